//! Verification: is this document (a signed credential, a signed CN or IAF XML) a valid,
//! recognized certificate now? Customs, partners and operators verify on the API; anyone
//! on the public page; each line of a batch is one verification. Every verification is
//! recorded, whatever its verdict; it changes nothing in the register.

use super::{Caller, Context, Decided, Decision, Refusal, Role};
use crate::recognition::Verdict;
use crate::store::Effect;

/// The actor of an anonymous verification on the public page.
pub const PUBLIC: &str = "public";

/// Who is verifying, and as whom it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The API (`POST /v1/verify`, a batch): customs, partners and operators only.
    Api,
    /// The public page: anyone; a caller without an identity is logged as `public`.
    Public,
}

/// Whether `caller` may verify on behalf of `audience`, and as whom it is logged.
pub fn actor(caller: &Caller, audience: Audience) -> Result<String, Refusal> {
    match audience {
        // An exporter's bearer token is an identity as its certificate is (found by attack:
        // with the token, its verification was logged as `public`, its document not kept).
        Audience::Public if !caller.authenticated() => Ok(PUBLIC.into()),
        Audience::Public => Ok(caller.actor.clone()),
        Audience::Api if matches!(caller.role, Role::Anonymous | Role::Exporter) => {
            Err(Refusal::role(caller, "verify needs a customs, partner or operator client certificate"))
        }
        Audience::Api => Ok(caller.actor.clone()),
    }
}

/// The verdict on `document`, with its log entry. The gateway's own exports verify as its
/// own (a document it exported stands for the domestic issuer it names; one it signed and
/// did not export stands for nothing).
pub fn verify(ctx: &Context<'_>, caller: &Caller, audience: Audience, document: &[u8]) -> Decided<Verdict> {
    let actor = actor(caller, audience)?;
    if document.is_empty() {
        return Err(Refusal::new(super::Class::Malformed, "http.empty", "send the document as the request body"));
    }
    let verdict = ctx.recognition(document, true)?;
    let digest = super::digest(document);
    let entry = entry(ctx, &actor, digest.clone(), &verdict);
    // The document is kept for an audit to decide again — except an anonymous caller's on
    // the public page: anyone could fill the store with documents at the public rate, and
    // nobody answers for them (their entries are counted as not re-derived).
    let mut effects = if actor == PUBLIC { vec![] } else { vec![super::keep_as(digest, document)] };
    // Logged only while the register still holds what the verdict read of it: a notice or
    // an export committed meanwhile (on any node) makes it a conflict, decided again
    // ([`REGISTER_CHANGED`]), so no "valid" follows a suspension in the log's order.
    if let Some(read) = &verdict.register_read {
        effects.push(Effect::RegisterAsRead {
            issuer: read.issuer.clone(),
            number: read.number.clone(),
            status: read.status.map(|s| s.as_str().to_string()),
            document: read.document.clone(),
        });
    }
    Ok(Decision::new(verdict, entry, effects))
}

/// The refusal of a verification whose certificate changed in the register (its status, or
/// the document an export's facts were compared with) between the read and the entry's commit ([`Effect::RegisterAsRead`]): nothing was logged, and the
/// caller decides again (at most [`ATTEMPTS`] times in all) with the register as it is now.
pub const REGISTER_CHANGED: &str = "register.changed";

/// How many times a verification is decided while the register keeps changing under it.
pub const ATTEMPTS: usize = 3;

/// The register's version of a certificate, as customs reads its status (a batch's look-up
/// lines): a status is read for a decision like a document's, so not under a stale list.
pub fn certificate_view(
    ctx: &Context<'_>,
    issuer: &str,
    number: &str,
) -> Result<Option<std::sync::Arc<crate::store::CertificateView>>, Refusal> {
    ctx.trust_list_in_date()?;
    ctx.store.certificate_view(issuer, number).map_err(|e| Refusal::store(&e))
}

/// The status a person should read of a registered certificate (the look-up's
/// `headline`), now: [`headline`] on China's date, under the trust list in force and the
/// equivalence table in force, by which a verification of its document would not refuse it
/// ([`crate::recognition::refused_now`]: its CB in force, its accreditation under an
/// arrangement or vouched for by its registration, its standards recognized; rule sets 18
/// and 20; found by attack: a table dropping a standard, and an accreditor's suspended
/// membership, left certificates "valid" on the look-up). `registered_at`: when the
/// register recognized its facts as they are (`recorded_at`).
pub fn headline_now(
    recorded: &str,
    registration: (Option<time::OffsetDateTime>, Option<&crate::store::RegisteredSigner>),
    cert: Option<&crate::model::Certificate>,
    now: time::OffsetDateTime,
    trust_list: &crate::trust::TrustList,
    table: &crate::standards::Table,
) -> &'static str {
    let decides = trust_list.in_date(now).is_ok()
        && cert.is_some_and(|c| crate::recognition::refused_now(trust_list, table, c, registration, now).is_none());
    headline(recorded, cert, crate::model::china_date(now), decides)
}

/// The status a person should read on `day`: a certificate recorded as valid is valid only
/// while its dates hold ([`crate::model::Certificate::dates_hold`], the one validity rule)
/// and the trust list in force may still decide — expired once its expiry date has passed,
/// whatever the record says; unknown when its stored document cannot be read, when it is
/// not yet in force, or when the list may not decide (`list_decides`: a stale list, or one
/// no longer holding its CB in force; fail closed: never a guessed "valid").
pub fn headline(
    recorded: &str,
    cert: Option<&crate::model::Certificate>,
    day: time::Date,
    list_decides: bool,
) -> &'static str {
    use crate::model::{NotInForce, Status};
    let status = Status::ALL.iter().find(|s| s.as_str() == recorded).copied();
    match (status, cert.map(|c| c.dates_hold(day))) {
        (Some(Status::Valid), Some(Ok(()))) if list_decides => "valid",
        (Some(Status::Valid), Some(Err(NotInForce::Expired { .. }))) => "expired",
        (Some(Status::Valid), _) => "unknown",
        (Some(s), _) => s.as_str(),
        (None, _) => "unknown",
    }
}

/// A verification's log entry: the same for the API, the page and each line of a batch.
fn entry(ctx: &Context<'_>, actor: &str, digest: String, verdict: &Verdict) -> crate::ledger::entry::Entry {
    let (word, reasons) = logged(verdict);
    let mut entry = ctx.entry("recognition", actor, vec![digest], word);
    entry.reasons = reasons;
    entry
}

/// What the log records of a verification decided as `verdict`: `valid`, or `invalid` with
/// the reasons of every check not passed (what an audit, deciding again, compares).
pub fn logged(verdict: &Verdict) -> (&'static str, Vec<String>) {
    (if verdict.valid { "valid" } else { "invalid" }, verdict.unmet_reasons())
}

#[cfg(test)]
mod tests {
    use super::headline;
    use crate::formats::cn_xml;
    use crate::xml::Limits;
    use time::macros::date;

    #[test]
    fn the_headline_reads_the_dates_and_the_list_not_only_the_record() {
        let cert = cn_xml::parse(include_bytes!("../../tests/data/cn-qms.xml"), &Limits::default()).expect("fixture");
        assert_eq!((cert.issue_date, cert.expiry_date), (date!(2025 - 01 - 10), date!(2028 - 01 - 09)));
        let c = Some(&cert);
        assert_eq!(headline("valid", c, date!(2028 - 01 - 09), true), "valid");
        assert_eq!(headline("valid", c, date!(2025 - 01 - 10), true), "valid");
        assert_eq!(headline("valid", c, date!(2028 - 01 - 10), true), "expired");
        assert_eq!(headline("valid", c, date!(2025 - 01 - 09), true), "unknown", "not yet in force is never valid");
        assert_eq!(headline("valid", c, date!(2026 - 01 - 01), false), "unknown", "a stale list decides nothing");
        assert_eq!(headline("suspended", c, date!(2026 - 01 - 01), true), "suspended");
        assert_eq!(headline("withdrawn", c, date!(2030 - 01 - 01), true), "withdrawn");
        assert_eq!(headline("valid", None, date!(2026 - 01 - 01), true), "unknown");
        assert_eq!(headline("archived", c, date!(2026 - 01 - 01), true), "unknown");
    }
}
