//! Status notices: a signed notice (`typ: notice+jwt`, the payload [`crate::notice`]
//! describes), signed by a granted signing certificate of the issuing body — the body's
//! signature is the authority, never the caller's. Who may relay one ([`Relay`]): a
//! partner, the notices of its own bodies; an operator or an exporter, the notices of
//! domestic certification bodies (a CB's own signer suspends its certificate; the relay
//! only carries it). Once its signature is checked, every refusal (a bad
//! date, a replay, a stale or disallowed change) is recorded like any decision; what cannot
//! be read is refused unrecorded. A notice for a certificate the register does not hold
//! registers its status alone ([`crate::decisions::register::status_only`]): the body's
//! signed word is the authority over its certificate, recognized here or not, and a
//! withdrawn certificate's credential must not verify "valid" for want of a registration.

use super::{Caller, Class, Context, Decided, Decision, Refusal, belongs_to};
use crate::crypto::jws::{self, Verifier};
use crate::formats::{self, Format};
use crate::model::Status;
use crate::notice::Notice;
use crate::store::{Effect, NoticeRecord, StatusEvent};

/// What an applied notice answers.
#[derive(Debug)]
pub struct Applied {
    pub issuer: String,
    pub number: String,
    pub status: Status,
    /// The register held nothing of the certificate: the notice registered its status alone
    /// (the relay is told apart from a change to a certificate the gateway knew, so that a
    /// number it did not mean does not pass for one it did).
    pub registered_alone: bool,
}

/// A notice read and checked as far as it can be before the store admits it.
#[derive(Debug)]
pub struct Judged {
    pub notice: Notice,
    /// The date rule that needs the register (not before the certificate's issue date):
    /// a notice that breaks it is a recorded refusal.
    pub issue_date: Result<(), crate::notice::NoticeError>,
    /// The register's record of the certificate as the date rule read it (`None`: not held).
    pub registered: Option<crate::store::CertificateRecord>,
}

/// The register's record of a certificate (issuer, number), as a notice's checks read it.
pub type Registered<'a> =
    dyn Fn(&str, &str) -> Result<Option<crate::store::CertificateRecord>, crate::store::StoreError> + 'a;

/// Who relays a notice, and so whose notices it may relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay<'a> {
    /// A partner: the notices of its own bodies (itself and the CBs it accredits).
    Partner(&'a str),
    /// An operator or an exporter: the notices of domestic certification bodies.
    Domestic,
}

impl<'a> Relay<'a> {
    /// Who `caller` may relay notices as; `None` for a caller who may relay none.
    pub fn of(caller: &'a Caller) -> Option<Self> {
        match (&caller.role, caller.partner()) {
            (_, Some(p)) => Some(Relay::Partner(p)),
            (super::Role::Operator, _) => Some(Relay::Domestic),
            _ if super::export::may_export(caller) => Some(Relay::Domestic),
            _ => None,
        }
    }

    /// Who relayed a logged notice, by the actor its entry names (an audit's reading).
    pub fn of_actor(actor: &'a str) -> Option<Self> {
        match actor.split_once(':') {
            Some(("partner", p)) => Some(Relay::Partner(p)),
            Some(("operator" | "exporter", _)) => Some(Relay::Domestic),
            _ => None,
        }
    }

    /// Whether this relay may carry a notice of body `issuer`.
    fn may_relay(self, list: &crate::trust::TrustList, issuer: &str) -> Result<(), Refusal> {
        let (ok, why) = match self {
            Relay::Partner(p) => (belongs_to(list, issuer, p), format!("'{issuer}' is not a body of partner '{p}'")),
            Relay::Domestic => (
                crate::ids::BodyId::parse(issuer).is_ok_and(|b| b.is_domestic()),
                format!(
                    "'{issuer}' is no domestic certification body: a foreign body's notices come through its partner"
                ),
            ),
        };
        if ok { Ok(()) } else { Err(Refusal::new(Class::Forbidden, "auth.not_your_body", why)) }
    }
}

/// The checks of a notice `relay` carries that need no more than the trust list in force,
/// the CRLs, the time and the registered document of its certificate (`registered`):
/// well-formed, of a body `relay` may relay for, signed by a granted signer of that body.
/// A refusal here is not recorded (there is nothing it could have changed). What the
/// gateway decides with, and an audit decides again with.
pub fn judge(
    list: &crate::trust::TrustList,
    crls: &crate::crypto::x509::Crls,
    now: time::OffsetDateTime,
    limits: &crate::xml::Limits,
    relay: Relay<'_>,
    token: &str,
    registered: &Registered<'_>,
) -> Result<Judged, Refusal> {
    // A stale list decides nothing (fail closed), whatever the notice is.
    list.in_date(now).map_err(|e| Refusal::new(Class::Unavailable, e.code(), e.to_string()))?;
    let parsed = jws::parse(token).map_err(|e| Refusal::new(Class::Malformed, e.code(), e.to_string()))?;
    if !parsed
        .header
        .get("typ")
        .and_then(|t| t.as_str())
        .is_some_and(|t| crate::crypto::jws::media_type_is(t, "notice+jwt"))
    {
        return Err(Refusal::new(Class::Malformed, "jws.typ", "a notice has typ notice+jwt"));
    }
    // Read strictly: a member given twice (`"action":"withdraw","action":"suspend"`) is
    // refused, never taken as the last by the gateway and the first by an auditor (found by
    // attack).
    let payload = crate::formats::json::parse(&parsed.payload, &crate::xml::Limits::default())
        .map_err(|e| Refusal::new(Class::Malformed, "jws.payload", e.to_string()))?
        .to_value();
    let notice = Notice::read(&payload, now).map_err(|e| Refusal::new(Class::Malformed, e.code(), e.to_string()))?;
    let issuer = notice.issuer.clone();
    relay.may_relay(list, &issuer)?;
    // Signed by a granted signer of the issuing body, chaining to its accreditor.
    let anchors = crate::recognition::anchors_of(&list.anchors_for_cb(&issuer, now));
    let mut verifier = Verifier::new(anchors, crls.clone_for_verifier());
    verifier.credential = false;
    let v = verifier.verify_parsed(&parsed, now.unix_timestamp().max(0) as u64);
    if !v.valid {
        let (reason, message) = v.checks.last().map(|c| (c.reason.clone(), c.message.clone())).unwrap_or_default();
        return Err(Refusal::new(Class::Invalid, &reason, message));
    }
    if !list.grants_signer(&issuer, &v.signer_certificate.unwrap_or_default(), now) {
        return Err(Refusal::new(
            Class::Invalid,
            "trust.signer_not_listed",
            format!("the notice is not signed by a signer of '{issuer}'"),
        ));
    }
    // The date rule that needs the register's facts: a certificate it holds no document of
    // (never recorded, or only its status) has no issue date to hold the notice to.
    let registered = registered(&issuer, &notice.number).map_err(|e| Refusal::store(&e))?;
    let issue_date = match registered.as_ref().filter(|r| super::register::holds_facts(r)) {
        Some(record) => match formats::parse(Format::CnXml, &record.document, limits) {
            Ok(held) => notice.check_issue_date(held.issue_date),
            Err(_) => Ok(()),
        },
        None => Ok(()),
    };
    Ok(Judged { notice, issue_date, registered })
}

/// The decision on a notice sent by `caller`: a partner, an operator or an exporter
/// ([`Relay`]). The store admits it against the
/// register as it is when the decision is recorded ([`crate::notice::admit`]): a replay,
/// a stale notice or a transition DESIGN.md does not allow is then a recorded refusal.
pub fn notice(ctx: &Context<'_>, caller: &Caller, token: &str) -> Decided<Applied> {
    let Some(relay) = Relay::of(caller) else {
        return Err(Refusal::role(
            caller,
            "notices are relayed by a partner (its bodies'), an operator or an exporter (domestic bodies')",
        ));
    };
    let token = token.trim();
    let judged = judge(&ctx.trust_list, ctx.crls, ctx.now, &ctx.limits, relay, token, &|issuer, number| {
        ctx.store.certificate(issuer, number)
    })?;
    let Judged { notice, issue_date, registered } = judged;
    let (issuer, number) = (notice.issuer.clone(), notice.number.clone());
    let status = notice.action.target();
    let digest = super::digest(token.as_bytes());
    let mut entry = ctx.entry("notice", &caller.actor, vec![digest.clone()], status.as_str());
    entry.reasons = vec![format!("notice.{}", notice.action.as_str())];
    // The notice is kept with its entry, applied or refused: an audit decides it again.
    let kept = super::keep_as(digest.clone(), token.as_bytes());
    if let Err(e) = issue_date {
        return Err(Refusal::new(Class::Malformed, e.code(), e.to_string()).logged(entry).keeping(&[kept]));
    }
    let event = StatusEvent {
        status: status.as_str().into(),
        since: notice.date.clone(),
        actor: caller.actor.clone(),
        reference: format!("notice:{digest}"),
    };
    // The register as the date rule read it, or a conflict decided again (found by attack:
    // a first export landing between the read and the commit had its issue date skipped,
    // and the audit, deciding after the export, refused the notice the gateway applied).
    let as_read = Effect::ExpectCertificate {
        issuer: issuer.clone(),
        number: number.clone(),
        as_read: registered.as_ref().map(crate::store::AsRead::of),
    };
    // A jti is the issuing body's: unique among its notices, whichever partner relays them.
    let applying = Effect::ApplyNotice {
        at: ctx.time(),
        body: issuer.clone(),
        notice: NoticeRecord {
            issuer: issuer.clone(),
            number: number.clone(),
            action: notice.action,
            iat: notice.iat,
            jti: notice.jti.clone(),
        },
        event,
    };
    let mut effects = vec![kept, as_read, applying];
    // The notice registers its number first: the exporter's word on a number that reads as
    // it is suspended (rule set 26, `Effect::SuspendLookAlikes`).
    if registered.is_none() {
        let by = format!("notice:{digest}");
        let first = super::register::first_registration(ctx.store, &issuer, &number, &by, ctx.time());
        effects.push(first.map_err(|e| Refusal::store(&e))?);
    }
    let applied = Applied { issuer, number, status, registered_alone: registered.is_none() };
    Ok(Decision::new(applied, entry, effects).recording_conflicts())
}
