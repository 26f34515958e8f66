//! Proficiency-testing rounds decided again, step by step, from the documents their entries
//! name: a round's definition and each submission through the gateway's own checks
//! ([`crate::decisions::pt`]) under the trust list each entry names, at its time; the close
//! against the submissions the log accepted before it; the report evaluated again from the
//! results as the log made them, and held byte for byte against the signed report kept.
//!
//! The rounds' state is the log's alone (which round is defined, open, closed, reported,
//! and which results stand), never the gateway's store of rounds. A definition or a
//! submission the gateway refused once it verified as the partner's is logged `refused`,
//! and decided again must be refused for the reason logged, changing nothing; a step logged
//! as made that the gateway's rules refuse is a disagreement.
//!
//! What it must never do: take a round's results from anywhere but the submissions the log
//! accepted, in the order it accepted them.

use super::{Walk, entry_time};
use crate::decisions::pt as decide;
use crate::ledger::entry::Entry;
use crate::pt::exchange::{self, Input, Round, SubmissionRef};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A round as the log made it so far.
#[derive(Debug)]
pub(super) struct LogRound {
    round: Round,
    /// The digest of its definition, as its entries name it.
    definition: String,
    /// The submissions accepted, in the order they were.
    submissions: Vec<SubmissionRef>,
    /// The results that stand, by (measurand, participant): a later submission's replace
    /// an earlier one's.
    results: BTreeMap<(String, String), Input>,
    closed: Option<OffsetDateTime>,
    reported: bool,
}

/// The rounds of the log: by id, and the id by definition digest (a close and a report
/// name the round by its definition).
#[derive(Debug, Default)]
pub(super) struct LogRounds {
    rounds: BTreeMap<String, LogRound>,
    by_definition: BTreeMap<String, String>,
    /// The PT documents withheld from this audit (their round was open when asked for):
    /// a round whose definition was withheld has steps the audit cannot follow, though its
    /// later documents may come once it closed while the audit ran.
    pub(super) withheld: std::collections::BTreeSet<String>,
}

impl Walk<'_, '_> {
    /// A PT step (`pt-round`, `pt-results`, `pt-close`, `pt-report`) decided again.
    pub(super) fn pt(&mut self, index: u64, entry: &Entry) {
        let verdict = match entry.kind.as_str() {
            "pt-round" => "defined",
            "pt-results" => "accepted",
            "pt-close" => "closed",
            _ => "reported",
        };
        let refusable = matches!(entry.kind.as_str(), "pt-round" | "pt-results");
        let decided = if entry.verdict == "refused" && refusable {
            match entry.actor.strip_prefix("partner:") {
                Some(partner) => self.pt_refused(index, entry, partner),
                None => Err(("audit.entry", format!("a PT step by '{}', who is no partner", entry.actor))),
            }
        } else if entry.verdict != verdict {
            Err(("audit.verdict", format!("'{}' is no verdict of a {} entry", entry.verdict, entry.kind)))
        } else if entry.kind != "pt-report" && !entry.outputs.is_empty() {
            Err(("audit.entry", format!("a {} entry names outputs", entry.kind)))
        } else if let Some(partner) = entry.actor.strip_prefix("partner:") {
            let partner = partner.to_string();
            match entry.kind.as_str() {
                "pt-round" => self.pt_define(index, entry, &partner),
                "pt-results" => self.pt_submit(index, entry, &partner),
                "pt-close" => self.pt_close(index, entry, &partner),
                _ => self.pt_report(index, entry, &partner),
            }
        } else {
            Err(("audit.entry", format!("a PT step by '{}', who is no partner", entry.actor)))
        };
        match decided {
            Ok(true) => self.report.re_derived += 1,
            // Could not be read: noted already.
            Ok(false) => {}
            Err((reason, detail)) => self.disagree(index, &entry.kind, reason, detail),
        }
    }

    /// The partner document an entry names as its one input, verified under the trust list
    /// it names (in date) at its time, with its digest. `Ok(None)` when it could not be had
    /// (noted already).
    fn partner_document(
        &mut self,
        index: u64,
        entry: &Entry,
        partner: &str,
    ) -> Result<Option<(crate::xml::Element, String)>, Step> {
        let Some(input) = self.one_input(index, entry) else { return Ok(None) };
        let Some(document) = self.document(index, &entry.kind, input) else { return Ok(None) };
        let Some(list) = self.named_list(index, entry) else { return Ok(None) };
        let time = entry_time(entry);
        crate::decisions::in_date(&list, time).map_err(|r| unlogged(r.to_string()))?;
        let crls = self.crls();
        let root = decide::partner_document(&list, &crls.crls, time, &self.audit.limits, &document, partner)
            .map_err(|r| unlogged(r.to_string()))?;
        Ok(Some((root, input.to_string())))
    }

    /// A definition or submission logged as refused, decided again: the document verifies
    /// as the partner's (as it did when refused), and the step's rules refuse it, first, for
    /// the reason logged. Nothing of any round changes.
    fn pt_refused(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<bool, Step> {
        let [logged] = entry.reasons.as_slice() else {
            return Err((
                "audit.entry",
                format!("a refused {} names {} reasons, not one", entry.kind, entry.reasons.len()),
            ));
        };
        if !entry.outputs.is_empty() {
            return Err(("audit.entry", format!("a refused {} entry names outputs", entry.kind)));
        }
        let withheld = self.rounds.withheld.len();
        let Some((root, _)) = self.partner_document(index, entry, partner)? else {
            // A refused step's document withheld (a definition that opened no round, a
            // submission to a round still open) is no open round's the log's later steps
            // depend on: taken for one, every later step of a round the log never defined
            // went unchecked (found by review).
            if self.rounds.withheld.len() > withheld
                && let Some(input) = entry.inputs.first()
            {
                self.rounds.withheld.remove(input);
            }
            return Ok(false);
        };
        let time = entry_time(entry);
        let again = if entry.kind == "pt-round" {
            let Some(list) = self.named_list(index, entry) else { return Ok(false) };
            exchange::read_round(&root)
                .map_err(decide::read_error)
                .and_then(|round| decide::may_define(&list, &round, partner, time))
        } else {
            match exchange::read_submission(&root) {
                Err(e) => Err(decide::read_error(e)),
                Ok(submission) => {
                    let id = submission.round.clone();
                    if !self.rounds.rounds.contains_key(&id) && !self.rounds.withheld.is_empty() {
                        self.withheld_step();
                        return Ok(false);
                    }
                    let Some(state) = self.rounds.rounds.get(&id) else {
                        return Err((
                            "audit.verdict",
                            format!("results for round '{id}', which the log never defined"),
                        ));
                    };
                    decide::in_round(&state.round, &id, partner)
                        .and_then(|()| decide::may_take(&state.round, &id, partner, &submission, time, state.closed))
                }
            }
        };
        match again {
            Err(refusal) if refusal.reason == *logged => Ok(true),
            Err(refusal) => Err((
                "audit.verdict",
                format!("logged refused for {logged}, decided again refused for {}: {refusal}", refusal.reason),
            )),
            Ok(()) => Err(("audit.verdict", format!("logged refused for {logged}, decided again it is taken"))),
        }
    }

    fn pt_define(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<bool, Step> {
        no_reasons(entry)?;
        let Some((root, definition)) = self.partner_document(index, entry, partner)? else { return Ok(false) };
        let round = exchange::read_round(&root).map_err(|e| unlogged(format!("[{}] {e}", e.code())))?;
        let Some(list) = self.named_list(index, entry) else { return Ok(false) };
        decide::may_define(&list, &round, partner, entry_time(entry)).map_err(|r| unlogged(r.to_string()))?;
        if self.rounds.rounds.contains_key(&round.id) {
            return Err(unlogged(format!("round '{}' is defined already (the store refuses it)", round.id)));
        }
        self.rounds.by_definition.insert(definition.clone(), round.id.clone());
        let state = LogRound {
            round,
            definition,
            submissions: Vec::new(),
            results: BTreeMap::new(),
            closed: None,
            reported: false,
        };
        self.rounds.rounds.insert(state.round.id.clone(), state);
        Ok(true)
    }

    fn pt_submit(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<bool, Step> {
        let Some((root, digest)) = self.partner_document(index, entry, partner)? else { return Ok(false) };
        let submission = exchange::read_submission(&root).map_err(|e| unlogged(format!("[{}] {e}", e.code())))?;
        let time = entry_time(entry);
        let id = submission.round.clone();
        // Its round's definition may be among what was withheld: not followed, not wrong.
        if !self.rounds.rounds.contains_key(&id) && !self.rounds.withheld.is_empty() {
            self.withheld_step();
            return Ok(false);
        }
        let Some(state) = self.rounds.rounds.get_mut(&id) else {
            return Err(unlogged(format!("results for round '{id}', which the log never defined")));
        };
        let round = &state.round;
        decide::in_round(round, &id, partner)
            .and_then(|()| decide::may_take(round, &id, partner, &submission, time, state.closed))
            .map_err(|r| unlogged(r.to_string()))?;
        // The store lets a partner replace only its own results, and the entry says
        // whether it replaced any.
        let key = |r: &exchange::SubmittedResult| (r.measurand.clone(), r.participant.clone());
        let mut replacing = false;
        for r in &submission.results {
            if let Some(held) = state.results.get(&key(r)) {
                if held.submitter != partner {
                    let detail = format!(
                        "replaces '{}''s result for '{}' (the store refuses it)",
                        held.submitter, r.participant
                    );
                    return Err(unlogged(detail));
                }
                replacing = true;
            }
        }
        let reasons: Vec<String> = if replacing { vec!["pt.replaced".into()] } else { vec![] };
        // Accepted as logged, the results stand whatever its reasons say: a wrong reason is
        // this entry's disagreement, not the close's and the report's after it.
        let said = if entry.reasons == reasons {
            Ok(true)
        } else {
            Err(("audit.verdict", format!("logged reasons {:?}, decided again {reasons:?}", entry.reasons)))
        };
        for r in submission.results {
            state.results.insert(key(&r), Input { submitter: partner.into(), result: r });
        }
        state.submissions.push(SubmissionRef { submitter: partner.into(), digest, received: entry.time.clone() });
        said
    }

    /// The round a close or a report names by its first input, with the submissions it
    /// names after it checked to be those the log accepted, in order.
    fn named_round(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<Option<&mut LogRound>, Step> {
        let Some((definition, named)) = entry.inputs.split_first() else {
            return Err(("audit.entry", format!("a {} entry names no round definition", entry.kind)));
        };
        // A round the log closes is no open round: its documents were withheld wrongly.
        if self.rounds.withheld.contains(definition) {
            let detail = format!(
                "the round's definition sha256:{definition} was withheld as an open round's, yet the log {}s the round",
                if entry.kind == "pt-close" { "close" } else { "report" }
            );
            return Err(("audit.document", detail));
        }
        let Some(id) = self.rounds.by_definition.get(definition).cloned() else {
            return Err(unlogged(format!("a round the log never defined ({definition})")));
        };
        let Some(list) = self.named_list(index, entry) else { return Ok(None) };
        let Some(state) = self.rounds.rounds.get_mut(&id) else {
            return Err(unlogged(format!("round '{id}' is not defined")));
        };
        decide::closing(&state.round, &id, partner, &list, entry_time(entry)).map_err(|r| unlogged(r.to_string()))?;
        if state.reported {
            return Err(unlogged(format!("round '{id}' already has its report")));
        }
        let accepted: Vec<&str> = state.submissions.iter().map(|s| s.digest.as_str()).collect();
        let named: Vec<&str> = named.iter().map(String::as_str).collect();
        if named != accepted {
            let detail = format!("names submissions {named:?}; the log accepted {accepted:?}");
            return Err(("audit.verdict", detail));
        }
        Ok(Some(state))
    }

    fn pt_close(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<bool, Step> {
        no_reasons(entry)?;
        let Some(state) = self.named_round(index, entry, partner)? else { return Ok(false) };
        if state.closed.is_some() {
            return Err(unlogged(format!("round '{}' is closed already", state.round.id)));
        }
        state.closed = Some(entry_time(entry));
        Ok(true)
    }

    fn pt_report(&mut self, index: u64, entry: &Entry, partner: &str) -> Result<bool, Step> {
        let [output] = entry.outputs.as_slice() else {
            return Err(("audit.entry", format!("{} outputs, a report has one", entry.outputs.len())));
        };
        let Some(state) = self.named_round(index, entry, partner)? else { return Ok(false) };
        let Some(closed) = state.closed else {
            return Err(unlogged(format!("a report of round '{}', which the log never closed", state.round.id)));
        };
        let inputs: Vec<Input> = state.results.values().cloned().collect();
        let report =
            exchange::evaluate_round(&state.round, &state.definition, state.submissions.clone(), &inputs, closed);
        state.reported = true;
        let reasons = decide::report_reasons(&report);
        if entry.reasons != reasons {
            return Err(("audit.verdict", format!("logged reasons {:?}, decided again {reasons:?}", entry.reasons)));
        }
        let Some(signed) = self.document(index, &entry.kind, output) else { return Ok(false) };
        let expected = exchange::write_report(&report);
        self.gateway_xml(&signed, &expected, &entry.time, "the report the log's results make")
            .map_err(|why| ("audit.output", why))?;
        Ok(true)
    }
}

/// A step decided again otherwise than the log says: the reason and what was found.
type Step = (&'static str, String);

/// A step logged as made that the gateway's rules refuse.
fn unlogged(why: String) -> Step {
    ("audit.verdict", format!("logged as made, but decided again it is refused: {why}"))
}

/// A round defined or closed carries no reasons.
fn no_reasons(entry: &Entry) -> Result<(), Step> {
    if entry.reasons.is_empty() {
        return Ok(());
    }
    Err(("audit.verdict", format!("logged reasons {:?}; a {} has none", entry.reasons, entry.kind)))
}
