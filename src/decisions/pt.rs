//! Proficiency testing: a partner PT provider defines a round, the partners in it submit
//! their participants' results until the deadline, the provider closes the round, and the
//! gateway computes, signs and records the performance report.
//!
//! Every document a partner sends is an enveloped XML signature by a granted signing
//! certificate of one of the partner's own bodies (itself or a CB it accredits), chaining to
//! that body's anchors in the trust list. A partner never touches another partner's
//! participants, and nothing is accepted after the deadline or once the round is closed.
//! A round is read by its partners and the operator only.

use super::{Caller, Class, Context, Decided, Decision, Refusal, Role, bodies_of};
use crate::crypto::x509::Crls;
use crate::crypto::xmldsig;
use crate::ledger::entry::Entry;
use crate::pt::exchange::{self, Input, Round, SubmissionRef, SubmittedResult};
use crate::store::{Effect, PtReportRecord, PtResultRecord, PtRoundRecord, PtSubmissionRecord};
use crate::trust::TrustList;
use crate::xml::Limits;
use serde_json::Value;
use time::OffsetDateTime;

/// The partner `caller` speaks for; anyone else may not take part in PT.
fn partner(caller: &Caller) -> Result<&str, Refusal> {
    caller.partner().ok_or_else(|| Refusal::role(caller, "this route needs a partner client certificate"))
}

/// Verifies a document signed by one of `partner`'s bodies; returns its document element.
fn verify_partner_document(ctx: &Context<'_>, document: &[u8], partner: &str) -> Result<crate::xml::Element, Refusal> {
    let list = ctx.trust_list_in_date()?;
    partner_document(list, ctx.crls, ctx.now, &ctx.limits, document, partner)
}

/// Verifies `document` as signed, at `now`, by a granted signer of one of `partner`'s
/// bodies in `list` (in date): the gateway's rule, and an audit's. A round's documents are
/// kept withheld while it is open, and a kept document is told to be one by its namespace
/// written as such ([`withheld_while_open`]): one that writes it any other way (a character
/// reference in it) is refused, so none passes for another kind of document (found by
/// review: `urn:mrgate:pt-exchange&#58;1` was served to every auditor).
pub fn partner_document(
    list: &TrustList,
    crls: &Crls,
    now: OffsetDateTime,
    limits: &Limits,
    document: &[u8],
    partner: &str,
) -> Result<crate::xml::Element, Refusal> {
    let bodies = bodies_of(list, partner);
    let anchors: Vec<&[u8]> = bodies.iter().flat_map(|b| list.anchors_for_cb(b, now)).collect();
    let verified = super::verify_xml(document, &anchors, crls, now, limits).map_err(|e| {
        if e.is_syntax() {
            Refusal::new(Class::Malformed, e.code(), format!("the document: {e}"))
        } else {
            Refusal::new(Class::Invalid, e.code(), format!("the partner's signature: {e}"))
        }
    })?;
    let signer = verified.signer_certificate.unwrap_or_default();
    if !bodies.iter().any(|b| list.grants_signer(b, &signer, now)) {
        return Err(Refusal::new(
            Class::Invalid,
            "trust.signer_not_listed",
            format!("'{}' is not a granted signer of a body of '{partner}'", verified.signer.unwrap_or_default()),
        ));
    }
    let root = verified.document.root;
    namespace_as_written(&root, document)?;
    Ok(root)
}

/// Refuses a PT document (`root` read from `document`) that writes its namespace otherwise
/// than as it is: the gateway's rule, and the command line's before it signs.
pub fn namespace_as_written(root: &crate::xml::Element, document: &[u8]) -> Result<(), Refusal> {
    if root.ns.as_deref() == Some(exchange::NS) && !names_its_namespace(document) {
        return Err(Refusal::new(
            Class::Malformed,
            "pt.document",
            format!("a PT document writes its namespace '{}' as it is, without character references", exchange::NS),
        ));
    }
    Ok(())
}

/// A PT document that does not read, as refused: the gateway's and an audit's.
pub fn read_error(e: exchange::ExchangeError) -> Refusal {
    Refusal::new(Class::Malformed, e.code(), e.to_string())
}

/// A stored round, read back from its definition (verified when it was accepted).
pub fn stored_round(ctx: &Context<'_>, id: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    let record = match ctx.store.pt_round(id) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Refusal::new(Class::NotFound, "pt.round_unknown", format!("no round '{id}'"))),
        Err(e) => return Err(Refusal::store(&e)),
    };
    let limits = crate::xml::Limits { max_bytes: record.definition.len().max(1), ..ctx.limits };
    let round = crate::xml::parse(&record.definition, &limits)
        .map_err(|e| e.to_string())
        .and_then(|root| exchange::read_round_as(&root, exchange::Reading::Stored).map_err(|e| e.to_string()))
        .map_err(|e| Refusal::new(Class::Internal, "store.corrupt", format!("round '{id}': {e}")))?;
    Ok((record, round))
}

/// Whether a kept document is withheld from all but the operator: a round's definition or
/// a partner's results, of a round not closed. Until it closes such a document is the
/// operator's alone — a partner in the round would read the others' results before
/// sending its own, one outside it what it may not see at all; once closed, whoever may
/// audit reads it. A round definition or results document that does not read, or whose
/// round is not found, is withheld too (fail closed). Any other document is not, whatever
/// bytes it holds: found by review, a recognition's document with the PT namespace in a
/// comment was withheld for good, hiding that decision from every audit but the operator's
/// (an audit now takes a withheld document only for a round's own steps). It is read under
/// its own length, not today's body limit, which a reload may have lowered since it was
/// accepted.
pub fn withheld_while_open(
    store: &dyn crate::store::Store,
    document: &[u8],
    limits: &Limits,
) -> Result<bool, crate::store::StoreError> {
    // Most kept documents are no PT document: they are told apart without a parse. Every PT
    // document the gateway accepts writes its namespace as it is (`partner_document`).
    if !names_its_namespace(document) {
        return Ok(false);
    }
    let limits = Limits { max_bytes: document.len().max(1), ..*limits };
    // Not XML, or not a round's document (a report is published once its round closed).
    let Ok(root) = crate::xml::parse(document, &limits) else { return Ok(false) };
    let round = match root.local.as_str() {
        _ if root.ns.as_deref() != Some(exchange::NS) => return Ok(false),
        "RoundDefinition" => exchange::read_round_as(&root, exchange::Reading::Stored).ok().map(|r| r.id),
        "ResultsSubmission" => exchange::read_submission_as(&root, exchange::Reading::Stored).ok().map(|s| s.round),
        _ => return Ok(false),
    };
    let Some(round) = round else { return Ok(true) };
    Ok(store.pt_round(&round)?.is_none_or(|record| record.closed_at.is_none()))
}

/// Whether `document` holds the PT namespace written as it is.
fn names_its_namespace(document: &[u8]) -> bool {
    memchr::memmem::find(document, exchange::NS.as_bytes()).is_some()
}

/// What a partner is told of round `id` when it is not in it: what it is told when there is
/// no such round, word for word. A partner outside a round learns nothing of it, not even
/// that it exists (found by review: 404 for an unknown id and 403 for another's round let
/// any partner list the rounds defined, and closing one named its provider).
fn not_partners_round(id: &str, partner: &str) -> Refusal {
    Refusal::new(Class::NotFound, "pt.round_unknown", format!("no round '{id}' that '{partner}' is in"))
}

/// Refuses a partner that is not in round `id` (`round`), as it refuses a round that does not exist.
pub fn in_round(round: &Round, id: &str, partner: &str) -> Result<(), Refusal> {
    if !round.partners.iter().any(|p| p == partner) {
        return Err(not_partners_round(id, partner));
    }
    Ok(())
}

/// Round `id`, read back for `partner`, which must be in it: a round it is not in is refused
/// as one that does not exist ([`not_partners_round`]). Asked before anything else of a
/// partner's call on a round, so that no other answer tells the two apart.
fn partners_round(ctx: &Context<'_>, id: &str, partner: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    let (record, round) = stored_round(ctx, id).map_err(|refusal| match refusal.reason.as_str() {
        "pt.round_unknown" => not_partners_round(id, partner),
        _ => refusal,
    })?;
    in_round(&round, id, partner)?;
    Ok((record, round))
}

/// A round that `caller` may read: a partner in it, or the operator.
pub fn readable_round(ctx: &Context<'_>, caller: &Caller, id: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    match &caller.role {
        Role::Partner(p) => partners_round(ctx, id, p),
        Role::Operator => stored_round(ctx, id),
        _ => Err(Refusal::role(caller, "a PT round is for its partners and the operator")),
    }
}

/// A round's definition as `caller` may read it (`GET /v1/pt/rounds/{id}`): whole for the
/// operator and the round's provider, and for everyone once it is closed; for the other
/// partners while it is open, without what their laboratories would be scored against — a
/// reference or formulation value and its uncertainty (`"withheld": true` in their place)
/// and the provider's homogeneity study (replicate results on the items) — and without the
/// other partners' enrolments, as the definition's document is withheld from them
/// ([`withheld_while_open`]).
pub fn definition_as_read(caller: &Caller, record: &PtRoundRecord, round: &Round) -> serde_json::Value {
    let mut shown = serde_json::to_value(round).unwrap_or_default();
    let whole = record.closed_at.is_some()
        || match &caller.role {
            Role::Operator => true,
            Role::Partner(p) => *p == round.provider,
            _ => false,
        };
    if whole {
        return shown;
    }
    // Its own laboratories only: which laboratory another partner enrolled is theirs to know
    // until the report names each one's submitting partner.
    if let (Role::Partner(p), Some(enrolled)) =
        (&caller.role, shown.get_mut("participants").and_then(serde_json::Value::as_array_mut))
    {
        enrolled.retain(|e| e.get("partner").and_then(serde_json::Value::as_str) == Some(p.as_str()));
    }
    let measurands = shown.get_mut("measurands").and_then(serde_json::Value::as_array_mut);
    for m in measurands.into_iter().flatten().filter_map(serde_json::Value::as_object_mut) {
        m.remove("homogeneity");
        if let Some(assigned) = m.get_mut("assigned").and_then(serde_json::Value::as_object_mut) {
            let value = assigned.remove("value");
            let u = assigned.remove("u");
            if value.is_some() || u.is_some() {
                assigned.insert("withheld".into(), serde_json::Value::Bool(true));
            }
        }
    }
    shown
}

/// Where a round stands, as `GET /v1/pt/rounds/{id}` says it.
pub fn state(record: &PtRoundRecord, round: &Round, reported: bool, now: OffsetDateTime) -> &'static str {
    match (&record.closed_at, reported) {
        (_, true) => "reported",
        (Some(_), false) => "closing",
        (None, _) if now > round.deadline => "past-deadline",
        (None, _) => "open",
    }
}

/// A PT decision's log entry.
fn entry(ctx: &Context<'_>, caller: &Caller, kind: &str, inputs: Vec<String>, verdict: &str) -> Entry {
    ctx.entry(kind, &caller.actor, inputs, verdict)
}

/// Whether `partner` may define `round` at `now`: its provider, naming partners that are
/// bodies of `list`, with a deadline still to come. The gateway's rule and an audit's.
pub fn may_define(list: &TrustList, round: &Round, partner: &str, now: OffsetDateTime) -> Result<(), Refusal> {
    if round.provider != partner {
        return Err(Refusal::new(
            Class::Forbidden,
            "auth.not_your_body",
            format!("the round's provider is '{}', the caller is '{partner}'", round.provider),
        ));
    }
    // Partners are accreditation bodies: only they hold a partner's role (a CB named one
    // made a round joint for a partner no one can act as; found by review).
    let is_partner = |p: &String| {
        list.body(p).and_then(|b| b.body.as_ref()).is_some_and(|b| b.role == crate::trust::Role::AccreditationBody)
    };
    if let Some(unknown) = round.partners.iter().find(|p| !is_partner(p)) {
        return Err(Refusal::new(
            Class::Invalid,
            "pt.partner_unknown",
            format!("partner '{unknown}' is not an accreditation body of the trust list"),
        ));
    }
    // A joint round enrols its laboratories, each under the partner that submits for it:
    // without that, a partner could submit first under a code another partner's laboratory
    // uses, and hold it (found by review; participants were first come, first served).
    if round.partners.len() > 1 && round.participants.is_empty() {
        return Err(Refusal::new(
            Class::Invalid,
            "pt.participants_not_enrolled",
            format!(
                "round '{}' is joint ({}): its definition enrols each participant under the partner that submits for it (Participants)",
                round.id,
                round.partners.join(", ")
            ),
        ));
    }
    if round.deadline <= now {
        return Err(Refusal::new(
            Class::Invalid,
            "pt.deadline_passed",
            format!("the deadline {} has already passed", round.deadline),
        ));
    }
    Ok(())
}

/// Defining a round: the provider's signed definition. The answer is the round. Once the
/// document verifies as the partner's, a refusal is logged with it kept, as a recognition's
/// is (found by attack: a definition refused for a deadline past left no trace).
pub fn define(ctx: &Context<'_>, caller: &Caller, document: &[u8]) -> Decided<Round> {
    let partner = partner(caller)?;
    let root = verify_partner_document(ctx, document, partner)?;
    let refused = refusal_logged(ctx, caller, "pt-round", document);
    let round = exchange::read_round(&root).map_err(read_error).map_err(&refused)?;
    may_define(&ctx.trust_list, &round, partner, ctx.now).map_err(&refused)?;
    let record = PtRoundRecord {
        id: round.id.clone(),
        provider: round.provider.clone(),
        definition: document.to_vec(),
        defined_at: ctx.time(),
        closed_at: None,
    };
    let digest = super::digest(document);
    let entry = entry(ctx, caller, "pt-round", vec![digest.clone()], "defined");
    // A round id already defined is a conflict the store finds; nothing is then logged.
    // The definition is kept with the entry: an audit decides the round from it.
    Ok(Decision::new(round, entry, vec![super::keep_as(digest, document), Effect::PutPtRound(record)]))
}

/// Whether round `id` (`round`, closed at `closed_at` if it is) takes `submission` from
/// `partner` at `now`, and if not the first reason why: the gateway's rule and an audit's,
/// whose reasons must agree. The deadline first: a round closes only after it, so a late
/// submission's reason does not depend on whether the close landed first (found by review:
/// an audit, which sees the log's order, decided `pt.round_closed` where the gateway had
/// logged the deadline, its own checks in another order).
pub fn may_take(
    round: &Round,
    id: &str,
    partner: &str,
    submission: &exchange::Submission,
    now: OffsetDateTime,
    closed_at: Option<impl std::fmt::Display>,
) -> Result<(), Refusal> {
    taking_results(now, round, id)?;
    if let Some(at) = closed_at {
        return Err(Refusal::new(Class::Conflict, "pt.round_closed", format!("round '{id}' closed at {at}")));
    }
    may_submit(round, id, partner, submission)
}

/// Refuses a submission for another round than `id`, the one it was sent to.
fn for_round(submission: &exchange::Submission, id: &str) -> Result<(), Refusal> {
    if submission.round != id {
        return Err(Refusal::new(
            Class::Invalid,
            "pt.round_mismatch",
            format!("the submission is for round '{}', posted to '{id}'", submission.round),
        ));
    }
    Ok(())
}

/// How a refusal of a partner's document, verified as the partner's, is recorded: logged as
/// a `kind` step refused for its reason, the document kept with the entry, so that the
/// partner can show it was sent and why it was refused, and an audit decides it again.
fn refusal_logged<'a>(
    ctx: &'a Context<'_>,
    caller: &'a Caller,
    kind: &'a str,
    document: &'a [u8],
) -> impl Fn(Refusal) -> Refusal + 'a {
    move |refusal: Refusal| {
        let digest = super::digest(document);
        let kept = [super::keep_as(digest.clone(), document)];
        refusal.logged(entry(ctx, caller, kind, vec![digest], "refused")).keeping(&kept)
    }
}

/// Refuses a result received at `now` once the round's deadline has passed.
pub fn taking_results(now: OffsetDateTime, round: &Round, id: &str) -> Result<(), Refusal> {
    if now > round.deadline {
        return Err(Refusal::new(
            Class::Conflict,
            "pt.deadline_passed",
            format!("round '{id}' took results until {}", round.deadline),
        ));
    }
    Ok(())
}

/// A submission read and checked, with the results it brings, ready to be decided against
/// the results stored at the time ([`submit`]).
#[derive(Debug, Clone)]
pub struct Submission {
    pub round: String,
    pub submitter: String,
    pub digest: String,
    stored: PtSubmissionRecord,
    results: Vec<PtResultRecord>,
}

impl Submission {
    /// How many results it brings.
    pub fn accepted(&self) -> usize {
        self.results.len()
    }
}

/// Whether `partner`'s `submission` may go into round `id` (`round`): for that round,
/// submitted by the partner, for the round's measurands, and for a bilateral reference
/// laboratory only by the round's provider. The gateway's rule and an audit's.
pub fn may_submit(round: &Round, id: &str, partner: &str, submission: &exchange::Submission) -> Result<(), Refusal> {
    for_round(submission, id)?;
    if submission.submitter != partner {
        return Err(Refusal::new(
            Class::Forbidden,
            "auth.not_your_body",
            format!("the submitter is '{}', the caller is '{partner}'", submission.submitter),
        ));
    }
    // A bilateral comparison's reference laboratory is the provider's: another partner
    // submitting under its id would have every laboratory scored against its value (and
    // take the id from the provider, first come). Whatever the measurand.
    // Looked up by hash: a submission's results times the round's measurands was quadratic
    // (found by review: three submissions of 25,000 results took 0.5, 3.3 and 6.8 s).
    let references: std::collections::HashSet<&str> = round
        .measurands
        .iter()
        .filter_map(|m| match &m.assigned {
            exchange::Assigned::Bilateral { reference } => Some(reference.as_str()),
            _ => None,
        })
        .collect();
    let measurands: std::collections::HashSet<&str> = round.measurands.iter().map(|m| m.id.as_str()).collect();
    if partner != round.provider
        && let Some(r) = submission.results.iter().find(|r| references.contains(r.participant.as_str()))
    {
        return Err(Refusal::new(
            Class::Forbidden,
            "pt.reference_not_yours",
            format!(
                "participant '{}' is the reference laboratory of round '{id}': only its provider '{}' submits for it",
                r.participant, round.provider
            ),
        ));
    }
    if let Some(r) = submission.results.iter().find(|r| !measurands.contains(r.measurand.as_str())) {
        return Err(Refusal::new(
            Class::Invalid,
            "pt.measurand_unknown",
            format!("participant '{}': round '{id}' has no measurand '{}'", r.participant, r.measurand),
        ));
    }
    // A round that enrols its laboratories takes results for them only, each from the
    // partner it enrols it under. One answer whether the laboratory is another partner's or
    // nobody's: a partner trying codes must not learn which others enrolled (found by
    // review), and its own enrolments it reads in the round.
    let enrolled = round.enrolled();
    if !enrolled.is_empty()
        && let Some(r) = submission.results.iter().find(|r| enrolled.get(r.participant.as_str()) != Some(&partner))
    {
        return Err(Refusal::new(
            Class::Forbidden,
            "pt.participant_not_yours",
            format!("participant '{}' is not enrolled in round '{id}' under '{partner}'", r.participant),
        ));
    }
    Ok(())
}

/// Reads and checks a partner's signed results for its participants in round `id`.
/// Returns it with the round it is for.
pub fn submission(
    ctx: &Context<'_>,
    caller: &Caller,
    id: &str,
    document: &[u8],
) -> Result<(Submission, Round), Refusal> {
    let partner = partner(caller)?;
    let (record, round) = partners_round(ctx, id, partner)?;
    // Verified and read first: a partner's submission for this round refused (late, the
    // round closed, results it may not send) is logged as its step refused
    // ([`refusal_logged`]), which an audit decides again from the document alone.
    let root = verify_partner_document(ctx, document, partner)?;
    let refused = refusal_logged(ctx, caller, "pt-results", document);
    let submission = exchange::read_submission(&root).map_err(read_error).map_err(&refused)?;
    // One for another round is not placed in this one's record.
    for_round(&submission, id)?;
    may_take(&round, id, partner, &submission, ctx.now, record.closed_at.as_deref()).map_err(&refused)?;
    let digest = super::digest(document);
    let stored = PtSubmissionRecord {
        round: id.to_string(),
        submitter: partner.to_string(),
        digest: digest.clone(),
        received: ctx.time(),
        document: document.to_vec(),
    };
    let results = submission
        .results
        .iter()
        .map(|r| PtResultRecord {
            measurand: r.measurand.clone(),
            participant: r.participant.clone(),
            submitter: partner.to_string(),
            submission: digest.clone(),
            result: serde_json::to_string(r).unwrap_or_default(),
        })
        .collect();
    Ok((Submission { round: id.into(), submitter: partner.into(), digest, stored, results }, round))
}

/// Accepting a submission, as received at `ctx.now` (checked again: verification takes
/// time, and the deadline is a legal fact). The entry says whether it replaces earlier
/// results; the store refuses it (`pt.results_changed`) if that is no longer so when it
/// commits, and it is then decided again.
pub fn submit(ctx: &Context<'_>, caller: &Caller, round: &Round, submission: &Submission) -> Decided<()> {
    taking_results(ctx.now, round, &submission.round).map_err(refusal_logged(
        ctx,
        caller,
        "pt-results",
        &submission.stored.document,
    ))?;
    let current = ctx.store.pt_results(&submission.round).map_err(|e| Refusal::store(&e))?;
    // By hash, not each result against every stored one (quadratic, found by review).
    let held: std::collections::HashSet<(&str, &str)> =
        current.iter().map(|c| (c.measurand.as_str(), c.participant.as_str())).collect();
    let replacing = submission.results.iter().any(|r| held.contains(&(r.measurand.as_str(), r.participant.as_str())));
    let mut stored = submission.stored.clone();
    stored.received = ctx.time();
    let mut entry = entry(ctx, caller, "pt-results", vec![submission.digest.clone()], "accepted");
    if replacing {
        entry.reasons = vec!["pt.replaced".into()];
    }
    let effect = Effect::PutPtSubmission { submission: stored, results: submission.results.clone(), replacing };
    // The document is kept with the entry: an audit decides the submission from it.
    Ok(Decision::new((), entry, vec![super::keep_as(submission.digest.clone(), &submission.stored.document), effect]))
}

/// Whether `partner` may close round `id` (`round`), or report it, at `now`: its provider,
/// under a trust list in date (the report is signed and logged under the list in force,
/// not a stale one), after the deadline. The gateway's rule and an audit's.
pub fn closing(round: &Round, id: &str, partner: &str, list: &TrustList, now: OffsetDateTime) -> Result<(), Refusal> {
    if round.provider != partner {
        return Err(Refusal::new(
            Class::Forbidden,
            "auth.not_provider",
            format!("only the provider '{}' closes round '{id}'", round.provider),
        ));
    }
    super::in_date(list, now)?;
    if now <= round.deadline {
        return Err(Refusal::new(
            Class::Conflict,
            "pt.deadline_not_reached",
            format!("round '{id}' takes results until {}", round.deadline),
        ));
    }
    Ok(())
}

/// The reasons a report's entry carries: why each measurand not evaluated was not.
pub fn report_reasons(report: &exchange::PerformanceReport) -> Vec<String> {
    report
        .measurands
        .iter()
        .filter_map(|m| match &m.outcome {
            exchange::Outcome::NotEvaluated { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// Checks that `caller` may close round `id` now: its provider, after the deadline, with
/// no report yet. Returns the round.
pub fn may_close(ctx: &Context<'_>, caller: &Caller, id: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    let partner = partner(caller)?;
    // Its partners only: to a partner outside it, a round that is there is one that is not.
    let (record, round) = partners_round(ctx, id, partner)?;
    closing(&round, id, partner, &ctx.trust_list, ctx.now)?;
    if ctx.store.pt_reported(id).map_err(|e| Refusal::store(&e))? {
        return Err(Refusal::new(Class::Conflict, "pt.round_closed", format!("round '{id}' already has its report")));
    }
    Ok((record, round))
}

/// Closing round `id` to submissions (`pt-close`), naming the definition and every
/// submission it closes with, in the order received. A submission committed between this
/// read and the close makes the store refuse it (`pt.results_changed`); it is then decided
/// again. The answer is the closing time and the submissions closed with.
pub fn close(ctx: &Context<'_>, caller: &Caller, record: &PtRoundRecord) -> Decided<(String, Vec<PtSubmissionRecord>)> {
    // A round closes only when its report can be signed now: it would stop taking results
    // with no report to show for them.
    ctx.signer()?;
    let id = &record.id;
    let submissions = ctx.store.pt_submissions(id).map_err(|e| Refusal::store(&e))?;
    let digests: Vec<String> = submissions.iter().map(|s| s.digest.clone()).collect();
    let inputs = std::iter::once(super::digest(&record.definition)).chain(digests.iter().cloned()).collect();
    let entry = entry(ctx, caller, "pt-close", inputs, "closed");
    let at = entry.time.clone();
    let effects = vec![Effect::ClosePtRound { id: id.clone(), at: at.clone(), submissions: digests }];
    Ok(Decision::new((at, submissions), entry, effects))
}

/// The id a round's report is stored under among decisions.
pub fn report_id(round: &str) -> String {
    format!("pt-report.{round}")
}

/// The performance report of round `record`/`round`, closed at `closed` with
/// `submissions`: evaluated, signed, and stored with its entry. The answer is the report
/// as JSON (what is stored and returned, without its receipt).
pub fn report(
    ctx: &Context<'_>,
    caller: &Caller,
    record: &PtRoundRecord,
    round: &Round,
    closed: &str,
    submissions: &[PtSubmissionRecord],
) -> Decided<Value> {
    let id = &record.id;
    let definition_digest = super::digest(&record.definition);
    let closed = OffsetDateTime::parse(closed, &time::format_description::well_known::Rfc3339).map_err(|e| {
        Refusal::new(Class::Internal, "store.corrupt", format!("round '{id}' closed at '{closed}': {e}"))
    })?;
    let mut inputs = Vec::new();
    for r in ctx.store.pt_results(id).map_err(|e| Refusal::store(&e))? {
        let result: SubmittedResult = serde_json::from_str(&r.result)
            .map_err(|e| Refusal::new(Class::Internal, "store.corrupt", format!("a result of round '{id}': {e}")))?;
        inputs.push(Input { submitter: r.submitter, result });
    }
    let refs: Vec<SubmissionRef> = submissions
        .iter()
        .map(|s| SubmissionRef {
            submitter: s.submitter.clone(),
            digest: s.digest.clone(),
            received: s.received.clone(),
        })
        .collect();
    let report = exchange::evaluate_round(round, &definition_digest, refs, &inputs, closed);
    // Signed at the decision's time, the time its entry records.
    let (signing_key, signing_chain) = ctx.signer()?;
    let xml = xmldsig::sign_at(&exchange::write_report(&report), signing_key, signing_chain, &ctx.time())
        .map_err(|e| Refusal::new(Class::Unavailable, e.code(), format!("signing the report: {e}")))?;
    let stored = PtReportRecord {
        xml: xml.into_bytes(),
        json: serde_json::to_string(&report).unwrap_or_default(),
        csv: exchange::report_csv(&report),
    };
    let mut used = vec![definition_digest];
    used.extend(submissions.iter().map(|s| s.digest.clone()));
    let mut entry = entry(ctx, caller, "pt-report", used, "reported");
    let digest = super::digest(&stored.xml);
    entry.outputs = vec![digest.clone()];
    entry.reasons = report_reasons(&report);
    let body = serde_json::to_value(&report).unwrap_or_default();
    // The report, what is returned and the entry are committed together: a report that can
    // be read is always in the log. (A report that fails here, say a concurrent close won,
    // logs nothing; closing again makes it anew.)
    let effects = vec![
        // Kept with the entry: an audit checks it is what the results make, signed.
        super::keep_as(digest, &stored.xml),
        Effect::PutPtReport { id: id.clone(), report: stored },
        Effect::PutDecision { id: report_id(id), kind: "pt-report".into(), json: body.to_string() },
    ];
    Ok(Decision::new(body, entry, effects))
}
