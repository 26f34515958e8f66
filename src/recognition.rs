//! The recognition decision (DESIGN.md, "Recognition decision"): is a foreign certificate
//! recognized, and why or why not — every check with its outcome and reason code.
//!
//! 1. the document parses (UNTP credential as VC-JOSE JWS, signed IAF XML, signed CN XML);
//! 2. its signature verifies and covers the whole certificate;
//! 3. the signer is one of the certification body's granted signing certificates in the
//!    trust list, its chain reaches the accreditation body's anchor at signing time, and it
//!    is not revoked; and the certificate names its body as the list holds it;
//! 4. the accreditation body held an active MLA/MRA membership for the certificate's scope
//!    at the certificate's issue date;
//! 5. every standard certified against is equivalent to one the domestic side accepts, and
//!    of the certificate's own kind;
//! 6. the certificate is within its validity dates and neither suspended, withdrawn nor
//!    cancelled (the register's status from notices overrides the document's).
//!
//! A verdict is `valid` only when every check passed; any check that could not be made
//! counts as failed. Nothing here writes anywhere: the caller records the verdict.

use crate::crypto::jws::{self, Verifier};
use crate::crypto::x509::{Crls, TrustAnchors};
use crate::crypto::xmldsig::{self, KeySource, Options, Profile};
use crate::crypto::{Check, Outcome};
use crate::formats::{self, Format};
use crate::model::{Certificate, Status};
use crate::standards::{self, StandardRef};
use crate::trust::{Provider, Role, TrustList};
use crate::xml::Limits;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use std::sync::Arc;
use time::OffsetDateTime;

/// What the register says of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Its current status (notices included): this overrides the document's.
    Status(Status),
    /// The register does not hold it: the document's own status stands.
    NotHeld,
    /// The register could not answer (a store error, a status it cannot read). The
    /// decision then fails closed: it never falls back to the document's own status.
    Unavailable(String),
}

/// The register's current status of a certificate (from notices), and the document it is
/// registered as.
pub trait StatusSource {
    /// The certificate's status and, for one held with a status that reads, its registered
    /// document: one read, so both are of one version.
    fn current(&self, issuer: &str, number: &str) -> (Registered, Option<HeldDocument>);
    /// Whether the gateway exported of certificate `issuer`/`number` a document by one of
    /// `readings` (a presented document's digests,
    /// [`crate::decisions::register::exported::readings`]): the only documents its own
    /// signature stands for (rule set 20). Asked by digest, so that it costs the same however
    /// often the certificate was exported. `Err`: the register cannot tell, and the
    /// decision fails closed.
    fn exported(&self, issuer: &str, number: &str, readings: &[String]) -> Result<bool, String>;
}

/// The document a certificate is registered as: its facts, as CN XML, and whether they are
/// an exporter's unsigned word (origin `export-unsigned`,
/// [`crate::decisions::register::origin`]), which a document its body signed stands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldDocument {
    pub document: Vec<u8>,
    pub exporters_word: bool,
    /// When the decision that registered these facts was made (`None`: not known, which
    /// vouches for nothing).
    pub registered_at: Option<OffsetDateTime>,
    /// The signer of the document that registered them ([`crate::store::CertificateRecord::signer`]).
    pub signer: Option<crate::store::RegisteredSigner>,
}

/// No register: the document's own status stands.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRegister;

impl StatusSource for NoRegister {
    fn current(&self, _: &str, _: &str) -> (Registered, Option<HeldDocument>) {
        (Registered::NotHeld, None)
    }

    fn exported(&self, _: &str, _: &str, _: &[String]) -> Result<bool, String> {
        Ok(false)
    }
}

/// What a decision is made against.
pub struct Context<'a> {
    pub trust_list: &'a TrustList,
    pub equivalence: &'a standards::Table,
    pub crls: Option<&'a Crls>,
    pub register: &'a dyn StatusSource,
    /// The gateway's own signing certificates (DER): a document they signed is an export of
    /// this gateway, and stands for any domestic (CNCA) issuer.
    pub own_signers: &'a [Vec<u8>],
    pub now: OffsetDateTime,
    /// A verification: the document is held to the version the register holds, and one that
    /// states other facts and is no newer is superseded. A recognition is not: its document
    /// replaces the registered version unless it is older
    /// ([`crate::decisions::recognize::may_register`]).
    pub verifying: bool,
    pub limits: Limits,
    /// Verifiers kept across decisions, if the caller keeps them; they must have been made
    /// with these same `crls`.
    pub verifiers: Option<&'a Verifiers>,
}

/// JWS verifiers kept across decisions, one per exact set of trust anchors. Each caches the
/// signer chains it has validated, for as long as the certificates are valid and the CRLs
/// fresh, so a credential from a signer seen before costs one signature check. A set belongs
/// to one set of CRLs: whoever holds it makes a new one when the CRLs change.
#[derive(Debug, Default)]
pub struct Verifiers {
    by_anchors: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<Verifier>>>,
}

impl Verifiers {
    pub fn new() -> Self {
        Self::default()
    }
}

/// A VC-JOSE verifier for exactly these anchor certificates: kept in `ctx.verifiers` when
/// there is one, made afresh otherwise.
fn verifier_for(ctx: &Context<'_>, anchor_ders: &[&[u8]]) -> std::sync::Arc<Verifier> {
    let make = || {
        let anchors = anchors_of(anchor_ders);
        let mut verifier = Verifier::new(anchors, ctx.crls.map(Crls::clone_for_verifier).unwrap_or_default());
        verifier.credential = true;
        std::sync::Arc::new(verifier)
    };
    let Some(kept) = ctx.verifiers else { return make() };
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    for der in anchor_ders {
        digest.update(&(der.len() as u64).to_be_bytes());
        digest.update(der);
    }
    let mut id = [0u8; 32];
    id.copy_from_slice(digest.finish().as_ref());
    let Ok(mut map) = kept.by_anchors.lock() else { return make() };
    if map.len() > 1_000 {
        map.clear();
    }
    std::sync::Arc::clone(map.entry(id).or_insert_with(make))
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Context(trust list {}, table {}, now {})",
            self.trust_list.sequence, self.equivalence.version, self.now
        )
    }
}

/// The verdict: the same shape for `/v1/verify`, `/v1/recognitions` and `mrgate verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub valid: bool,
    /// valid | suspended | withdrawn | cancelled | expired | unknown
    pub status: &'static str,
    pub checks: Vec<Check>,
    pub format: Option<Format>,
    pub issuer: Option<String>,
    pub number: Option<String>,
    pub signer: Option<String>,
    /// The trust-list and equivalence-table versions the decision used.
    pub trust_list: String,
    pub equivalence_table: String,
    #[serde(skip)]
    pub certificate: Option<Certificate>,
    /// The SHA-256 (hex) of the certificate whose signature was checked: what a
    /// registration by this document keeps ([`crate::store::CertificateRecord::signer`]).
    #[serde(skip)]
    pub signer_digest: Option<String>,
    /// What the decision read of the register, when it read it. A verification's entry is
    /// logged only while the register still says so (`store::Effect::RegisterAsRead`).
    #[serde(skip)]
    pub register_read: Option<RegisterRead>,
}

/// What a decision read of the register: a certificate's status (`None`: not held) and,
/// when the decision compared facts with it, its registered document's SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRead {
    pub issuer: String,
    pub number: String,
    pub status: Option<Status>,
    pub document: Option<String>,
}

impl Verdict {
    /// Why the register could not be read for this verdict, when it could not: then it
    /// decided nothing (its status is unknown), and it is refused rather than recorded —
    /// even when another check failed too, so that what is logged is always what an audit,
    /// replaying the register, decides again.
    pub fn unread_register(&self) -> Option<String> {
        let unread = |c: &&Check| c.reason == REGISTER_UNAVAILABLE && c.outcome != Outcome::Pass;
        self.checks.iter().find(unread).map(|c| c.message.clone())
    }

    /// The reason codes of every check that did not pass, for the log entry.
    pub fn unmet_reasons(&self) -> Vec<String> {
        self.checks.iter().filter(|c| c.outcome != crate::crypto::Outcome::Pass).map(|c| c.reason.clone()).collect()
    }
}

/// The reason of a verdict whose register could not be read ([`Verdict::unread_register`]).
pub const REGISTER_UNAVAILABLE: &str = "register.unavailable";

const CHECK_ORDER: [&str; 6] = ["format", "signature", "chain", "accreditation", "standards", "validity"];

struct Decision {
    checks: Vec<Check>,
}

impl Decision {
    fn pass(&mut self, check: &'static str, reason: &str, message: impl Into<String>) {
        self.checks.push(Check::pass(check, reason, message));
    }
    fn fail(&mut self, check: &'static str, reason: &str, message: impl Into<String>) {
        self.checks.push(Check::fail(check, reason, message));
    }
}

/// The assessment level a credential about `cert` states at `at`: `GlobalMRA` when the
/// issuing CB's accreditation body was an active signatory of the arrangement covering the
/// certificate's scope throughout its issue day (in China) and is at `at`, `Accredited`
/// when the list names its accreditor otherwise, and when it names none what the
/// certificate claims of itself
/// ([`AssessmentLevel::stated_by`](crate::model::AssessmentLevel::stated_by): `Unspecified`
/// without an accreditation, where it said `Accredited`). The one rule: exports state it,
/// and the look-up shows what the credential stated. The issue day as
/// [`accreditation_refused`] asks it (rule set 23; found by attack: a certificate dated
/// inside a suspension that had since ended was exported as `GlobalMRA`, a credential the
/// gateway's own verification refused).
pub fn assessment_level(list: &TrustList, cert: &Certificate, at: OffsetDateTime) -> crate::model::AssessmentLevel {
    let scope = cert.program_code.accreditation_scope();
    // Its CB's accreditor as recognition asks it (the empty id: the list names none).
    let accreditor = certification_body(list, cert.issuer_id()).map(|(_, ab)| ab).filter(|ab| !ab.is_empty());
    match accreditor.as_deref() {
        Some(ab)
            if membership_on_issue_day(list, cert, ab).active
                && list.membership_at(ab, arrangement_for(scope), scope, at).active =>
        {
            crate::model::AssessmentLevel::GlobalMRA
        }
        Some(_) => crate::model::AssessmentLevel::Accredited,
        None => crate::model::AssessmentLevel::stated_by(cert.certification_body.accreditation.as_ref()),
    }
}

/// Why a registered certificate (its CN XML, `cert`, registered with these facts at
/// `registered_at`) would not be recognized now by the rules that do not need its
/// document's signature: its CB a certification body of the list, in force
/// ([`cb_not_granted`]) and named as the list holds it ([`cb_name_not_held`]); its
/// accreditation ([`accreditation_refused`]: claimed, of its CB's accreditor, under an
/// arrangement on its issue day and now, or vouched for by its registration while the
/// membership was active); its standards recognized on today's date
/// ([`standards_refused`]); the key that signed the document registering them, when one
/// did (`signer`), still granted ([`signer_withdrawn`]). The look-up's `headline` asks it,
/// so that it never says `valid` where a verification of the document would refuse it
/// (found by review: a certificate claiming no accreditation stayed `valid` there; found by
/// attack, rule set 20: one a CB exported while its accreditor's membership was suspended,
/// which every verification of the export refused; rule set 23: one whose signer's service
/// was withdrawn, its CB holding another key).
pub fn refused_now(
    list: &TrustList,
    table: &standards::Table,
    cert: &Certificate,
    (registered_at, signer): (Option<OffsetDateTime>, Option<&crate::store::RegisteredSigner>),
    now: OffsetDateTime,
) -> Option<String> {
    let issuer = cert.issuer_id();
    let Some((cb, accreditor)) = certification_body(list, issuer) else {
        return Some(format!("'{issuer}' is not a certification body of the trust list"));
    };
    signer_withdrawn(list, issuer, signer)
        .or_else(|| cb_not_granted(list, cert, now))
        .or_else(|| cb_name_not_held(list, cb, cert))
        .or_else(|| {
            let registration = Registration::Same { at: registered_at };
            accreditation_refused(list, cert, Format::CnXml, &accreditor, now, &registration).err().map(|(_, why)| why)
        })
        .or_else(|| standards_refused(table, cert, crate::model::china_date(now)).map(|(_, why)| why))
}

/// Why a registration's signer (the key that signed the document it was registered by, and
/// when; `None`: no signature registered it) does not vouch for it: the trust list, as it
/// tells it now, says that key was not granted to `issuer` when the registration was made
/// ([`TrustList::withdrew_signer_at`]). A key withdrawn from before then (its compromise)
/// takes what it registered with it, as a verification of the document refuses it
/// (`trust.signer_not_listed`), though its CB holds another key in force (rule set 23; found
/// by attack: the look-up said valid). A key retired after the registration, or taken off
/// the list, leaves it standing: the facts were vouched for when they were registered, and
/// the headline speaks of the certificate, not of a document of it.
pub fn signer_withdrawn(
    list: &TrustList,
    issuer: &str,
    signer: Option<&crate::store::RegisteredSigner>,
) -> Option<String> {
    let signer = signer?;
    // A time that does not read vouches for nothing: the store wrote it.
    let at = OffsetDateTime::parse(&signer.registered_at, &time::format_description::well_known::Rfc3339).ok();
    let withdrawn = at.is_none_or(|at| list.withdrew_signer_at(issuer, &signer.certificate, at));
    withdrawn.then(|| {
        format!(
            "the document that registered it on {} was signed by a key the trust list says '{issuer}' was not \
             granted then (certificate SHA-256 {})",
            signer.registered_at, signer.certificate
        )
    })
}

/// Why `cert`, read from `format`, is no certificate of an accreditation: it claims none (an
/// IAF record saying "Unaccredited", CN XML without `Accreditation`, a credential without
/// its accreditation body's authorisation). A CB issues certificates outside its
/// accreditation too, and no arrangement recognizes those. `None` when it claims one. The
/// rule of recognition and of export alike.
pub fn accreditation_unclaimed(cert: &Certificate, format: Format) -> Option<String> {
    if cert.certification_body.accreditation.is_some() {
        return None;
    }
    let issuer = cert.issuer_id();
    let says = match format {
        Format::IafXml | Format::IafJson => "the record says its certificate is Unaccredited",
        Format::UntpDcc => "the credential names no accreditation (authorisation)",
        _ => "the certificate names no accreditation",
    };
    Some(format!("{says}: '{issuer}' issued it outside any accreditation, which no arrangement recognizes"))
}

/// Why `cert`'s accreditation claim does not name `accreditor`, its CB's accreditor, by the
/// id, name or a trade name `list` holds for it (ASCII case and surrounding spaces aside);
/// `None` when it does, or when it makes none. Another body of the list, or a name the list
/// does not hold — a look-alike, the body's name in other words — is not its accreditor: the
/// claim is a fact a verdict shows and an export states (rule set 9). With `accreditor`
/// empty (the list names no accreditor of the CB) no claim is its. The rule of recognition
/// and of export alike.
pub fn claim_not_of(list: &TrustList, cert: &Certificate, accreditor: &str) -> Option<String> {
    let claimed = cert.certification_body.accreditation.as_ref()?;
    let named = list.accreditation_body_named(&claimed.body);
    let issuer = cert.issuer_id();
    let held = match accreditor {
        "" => format!("the trust list names no accreditor of '{issuer}'"),
        _ if named == Some(accreditor) => return None,
        _ => format!("'{issuer}' is accredited by '{accreditor}'"),
    };
    let other = match named {
        Some(other) => format!("{other} in the trust list"),
        None => "a name the trust list does not hold".into(),
    };
    Some(format!("the certificate names accreditation by '{}' ({other}); {held}", claimed.body))
}

/// The certification body `issuer` of the list, with its accreditor's id (empty when the
/// list names none): `None` when the list holds no certification body by that id.
pub(crate) fn certification_body<'l>(list: &'l TrustList, issuer: &str) -> Option<(&'l Provider, String)> {
    let cb = list.body(issuer).filter(|p| p.body.as_ref().is_some_and(|b| b.role == Role::CertificationBody))?;
    Some((cb, cb.body.as_ref().and_then(|b| b.accredited_by.clone()).unwrap_or_default()))
}

/// What the register holds of a certificate's facts, for [`accreditation_refused`]: the
/// same facts, recognized at `at` (`None`: not known, which vouches for nothing); other
/// facts (which it names); or none.
#[derive(Debug, Clone, Copy)]
pub enum Registration<'a> {
    Same { at: Option<OffsetDateTime> },
    Other(&'a [&'static str]),
    None,
}

/// Step 4 of recognition, and the look-up's headline's ([`refused_now`]): `cert`, read from
/// `format`, as a certificate of `accreditor`'s accreditation under a mutual-recognition
/// arrangement. `Ok` with the pass's reason and message; `Err` with the refusal's.
///
/// - The certificate as it states itself: an IAF record that says "Unaccredited", or one
///   naming any other accreditor than its CB's (by the id, name or a trade name the list
///   holds for it), is no certificate of that accreditation. A name the list does not hold
///   is refused too: the claim is a fact the verdict shows, and a look-alike of another
///   body's name (full-width letters, a Cyrillic letter, a zero-width space, its name in
///   other words) would show that body under a "valid" (found by review; the claim was
///   left to the list when the list could not place it). A certificate that claims no
///   accreditation — CN XML without one, a credential without its authorisation — states
///   the same fact as the IAF record's "Unaccredited", and is refused alike (rule set 18;
///   found by attack: the same certificate was refused as an IAF record and "valid" as CN
///   XML or UNTP, and exported as GlobalMRA).
/// - The membership over the whole issue day (in China): the document says the day, not the
///   instant, it was issued.
/// - And now: the issue date is its body's own word (no timestamp vouches for it), so while
///   the membership is suspended or withdrawn a certificate dated before that is recognized
///   only as the register holds it — recognized, with these facts, while the membership was
///   active ([`Registration::Same`]; found by attack: a CB under a suspended accreditor
///   dated its credentials before the suspension, and they verified "valid"; and by review:
///   an export, which decides no membership, registered such a certificate during the
///   lapse). Once the membership is restored, its CBs may issue again, and a date before the
///   lapse gains them nothing.
pub fn accreditation_refused(
    list: &TrustList,
    cert: &Certificate,
    format: Format,
    accreditor: &str,
    now: OffsetDateTime,
    registration: &Registration<'_>,
) -> Result<(&'static str, String), (&'static str, String)> {
    if let Some(why) = accreditation_unclaimed(cert, format) {
        return Err(("trust.accreditation_unclaimed", why));
    }
    if let Some(why) = claim_not_of(list, cert, accreditor) {
        return Err(("trust.accreditation_other", why));
    }
    let scope = cert.program_code.accreditation_scope();
    let arrangement = arrangement_for(scope);
    let answer = membership_on_issue_day(list, cert, accreditor);
    let since = |status: &Option<crate::trust::StatusChange>| {
        status
            .as_ref()
            .map(|s| format!(" ({} since {})", s.status, crate::decisions::rfc3339(s.since)))
            .unwrap_or_default()
    };
    if !answer.active {
        return Err((
            answer.reason,
            format!(
                "{accreditor} was not an active {arrangement} signatory for {scope} throughout {} (China){}",
                cert.issue_date,
                since(&answer.status)
            ),
        ));
    }
    let now_answer = list.membership_at(accreditor, arrangement, scope, now);
    // Asked only of a certificate whose accreditor is not active now.
    let vouched = || match registration {
        Registration::Same { at: Some(at) } => list.membership_at(accreditor, arrangement, scope, *at).active,
        _ => false,
    };
    if !now_answer.active && !vouched() {
        let held = match registration {
            Registration::None => "holds no recognition of it".to_string(),
            Registration::Same { .. } => "recognized it only after that".to_string(),
            Registration::Other(changed) => format!("holds other facts of it ({})", changed.join(", ")),
        };
        return Err((
            now_answer.reason,
            format!(
                "{accreditor} is not an active {arrangement} signatory for {scope} now{}: a certificate dated before \
                 that ({}) is its body's word alone, recognized only as the register holds it, and the register {held}",
                since(&now_answer.status),
                cert.issue_date
            ),
        ));
    }
    Ok((
        answer.reason,
        format!(
            "{accreditor} was an active {arrangement} signatory for {scope} throughout {} (China)",
            cert.issue_date
        ),
    ))
}

/// Whether `accreditor` was an active signatory of the arrangement covering `cert`'s scope
/// throughout its issue day ([`issue_day`]): what recognition and the assessment level an
/// export states both ask.
fn membership_on_issue_day(list: &TrustList, cert: &Certificate, accreditor: &str) -> crate::trust::MembershipAnswer {
    let scope = cert.program_code.accreditation_scope();
    let (issued, day_end) = issue_day(cert);
    list.membership_throughout(accreditor, arrangement_for(scope), scope, issued, day_end)
}

/// A certificate's issue day in China, from its first instant to its last: the document says
/// the day, not the instant, it was issued, so what must hold on it must hold all day.
fn issue_day(cert: &Certificate) -> (OffsetDateTime, OffsetDateTime) {
    let china = time::macros::offset!(+8);
    (
        cert.issue_date.midnight().assume_offset(china),
        cert.issue_date.with_time(time::macros::time!(23:59:59.999_999_999)).assume_offset(china),
    )
}

/// Why `list` does not hold `cert`'s certification body in force for it at `now`: the body
/// must hold a granted document-signing service now, and have held one at every instant of
/// the certificate's issue day ([`TrustList::signing_lapse_during`]: since the list first
/// gave its services a status); `None` when it does. Found by attack: a CB whose service
/// was withdrawn for three months, granted again, dated certificates inside the gap, and
/// they verified "valid" and were registered; and a look-up showed "valid" for a
/// certificate of a CB the list had since withdrawn, which a verification refused. The rule
/// of recognition (the gateway's own exports too), export and look-up alike (rule set 17).
pub fn cb_not_granted(list: &TrustList, cert: &Certificate, now: OffsetDateTime) -> Option<String> {
    let issuer = cert.issuer_id();
    // Now: a service granted with its certificates. A service's current status is always its
    // certificates' own, so this answers for the body's standing now too.
    if !list.signs_at(issuer, now) {
        return Some(format!("'{issuer}' holds no granted signing service of the trust list in force now"));
    }
    let (from, to) = issue_day(cert);
    let lapse = list.signing_lapse_during(issuer, from, to)?;
    Some(format!(
        "'{issuer}' held no granted signing service of the trust list at {}, on the certificate's issue date {} \
         (China): a certificate dated then is not one it could issue",
        crate::decisions::rfc3339(lapse),
        cert.issue_date
    ))
}

/// Why `cert` does not name its certification body, `cb`, as `list` holds it: each name it
/// states of its CB (the name, and the English name when it states one) must be the body's
/// id, one of its names in any language or a trade name ([`Provider::is_named`]), and name
/// no other body of the list; `None` when they do. The CB's id and signer vouch only for
/// the body the list names: a name they do not hold (another CB's, a look-alike, an old
/// name the list dropped) is a fact a verdict, the public page and an export would show
/// under "valid", and a name the list gives two bodies names neither (rule set 10). The
/// rule of recognition and of export alike.
pub fn cb_name_not_held(list: &TrustList, cb: &Provider, cert: &Certificate) -> Option<String> {
    let body = &cert.certification_body;
    let stated: Vec<&String> = std::iter::once(&body.name).chain(body.name_en.as_ref()).collect();
    let unheld: Vec<String> = stated.iter().filter(|n| !cb.is_named(n)).map(|n| format!("'{n}'")).collect();
    if !unheld.is_empty() {
        // Every name it holds, its id last, each once as names compare.
        let id = cb.body.as_ref().map(|b| b.id.as_str()).unwrap_or_default();
        let mut held: Vec<&str> = Vec::new();
        let names = std::iter::once(cb.name.as_str())
            .chain(cb.other_names.iter().map(String::as_str))
            .chain(cb.trade_names.iter().map(String::as_str))
            .chain(std::iter::once(id));
        for n in names {
            if !held.iter().any(|h| crate::trust::same_name(h, n)) {
                held.push(n);
            }
        }
        let held: Vec<String> = held.iter().map(|n| format!("'{n}'")).collect();
        return Some(format!(
            "the certificate names its certification body {}; the trust list holds '{}' as {} only",
            unheld.join(" and "),
            cert.issuer_id(),
            held.join(", ")
        ));
    }
    let also = stated.iter().find_map(|n| {
        let other = list.providers.iter().find(|p| !std::ptr::eq(*p, cb) && p.body.is_some() && p.is_named(n))?;
        Some((n, other.body.as_ref().map(|b| b.id.clone()).unwrap_or_default()))
    });
    also.map(|(n, other)| {
        format!(
            "the certificate names its certification body '{n}', which the trust list holds for '{other}' too: a name of two bodies names neither"
        )
    })
}

/// Why the standards of `cert` are not recognized by `table`, for the first that is not:
/// one not equivalent to a standard the domestic side accepts, or of another kind than the
/// certificate — a management-system certificate "certified" against a product standard
/// would be judged under its body's 17021-1 membership while stating a product's
/// conformity, and no certificate is certified against a conformity-assessment standard
/// (rule set 10). A product or service certificate may name management-system standards
/// beside its own kind's (the factory's quality system, say), never in their place. A row
/// that says no kind (a table from before rule set 10) recognizes nothing: its kind is
/// unknown, not assumed. `None` when they are recognized. The rule of recognition and of
/// export alike: an export states the standards under the gateway's signature, and the
/// gateway signs nothing its own verification would refuse. On `today` (in China), a
/// standard is recognized only up to its row's end of transition (rule set 18).
pub fn standards_refused(
    table: &standards::Table,
    cert: &Certificate,
    today: time::Date,
) -> Option<(&'static str, String)> {
    let category = cert.category;
    let named = category.iaf().to_lowercase();
    let version = &table.version;
    let mut own_kind = false;
    let mut beside = Vec::new();
    // Whether a standard is the one its management-system programme certifies against
    // (`None`: a programme whose standard is not known here).
    let mut own_programme: Option<bool> = None;
    // A standard of another kind than the certificate's: a management-system standard beside
    // a product or service certificate's own is no such standard.
    let other_kind = |s: &str, row: &standards::Row| {
        let kind = row.kind?;
        match kind.certified_in() {
            Some(c) if c == category => None,
            Some(crate::model::Category::ManagementSystem) if category != crate::model::Category::ManagementSystem => {
                None
            }
            _ => {
                let why =
                    format!("'{s}' is a {} standard: a {named} certificate is not certified against it", kind.as_str());
                Some(("standards.other_kind", why))
            }
        }
    };
    // The modified adoptions the certificate names by their national standard: naming the
    // international one too, beside it, is no certificate to the international one alone.
    // A set: a certificate may name many standards (a list searched for each was quadratic).
    let named_nationally: std::collections::HashSet<&str> = cert
        .standards
        .iter()
        .filter_map(|s| StandardRef::parse(s).ok().filter(|r| r.national.is_some()))
        .filter_map(|r| table.equivalence(&r).row.map(|row| row.gb.as_str()))
        .collect();
    for s in &cert.standards {
        let r = match StandardRef::parse(s) {
            Ok(r) => r,
            Err(e) => return Some((e.code(), e.to_string())),
        };
        let mut eq = table.equivalence(&r);
        // Named beside its national standard, a modified adoption is that standard's, and its
        // row decides as the national standard's would: not verified, it recognizes nothing
        // (found by attack: an unverified MOD row adopting an international standard by the
        // national standard of another, verified row recognized).
        if let Some(row) = eq.row
            && eq.reason == "standards.mod_international_only"
            && named_nationally.contains(row.gb.as_str())
        {
            (eq.accepted, eq.reason) =
                if row.verified { (true, "standards.mod_rule") } else { (false, "standards.unverified") };
        }
        let row = match eq.row {
            Some(row) if eq.accepted => row,
            // The refusals rule set 23 added come after the standard's kind (found by review:
            // they told a QMS certificate naming a product standard to name it otherwise).
            Some(row)
                if matches!(eq.reason, "standards.unverified" | "standards.mod_international_only")
                    && let Some(refused) = other_kind(s, row) =>
            {
                return Some(refused);
            }
            Some(row) if eq.reason == "standards.unverified" => {
                let why = format!(
                    "'{s}' is in the equivalence table {version} as {} {} {}, a row not verified: it recognizes \
                     nothing until an operator confirms it",
                    row.gb,
                    row.relation.as_str(),
                    row.international
                );
                return Some((eq.reason, why));
            }
            Some(row) if eq.reason == "standards.mod_international_only" => {
                let why = format!(
                    "'{s}' is adopted with national deviations as {} in the equivalence table {version}, which \
                     accepts a certificate naming {} only: one naming '{s}' alone was not assessed against them",
                    row.gb, row.gb
                );
                return Some((eq.reason, why));
            }
            Some(row) => {
                let relation = row.relation.as_str();
                let why = format!(
                    "'{s}' is {relation} in the equivalence table {version}: not a standard the domestic side accepts"
                );
                return Some((eq.reason, why));
            }
            None => return Some((eq.reason, format!("'{s}' is not in the equivalence table {version}"))),
        };
        if let Some(until) = row.recognized_until.filter(|&until| today > until) {
            return Some((
                "standards.transition_ended",
                format!(
                    "'{s}' is recognized until {until}, the end of its transition in the equivalence table {version}: \
                     a certificate to it is no longer valid"
                ),
            ));
        }
        let Some(kind) = row.kind else {
            return Some((
                "standards.kind_unknown",
                format!("the equivalence table {version} does not say what '{s}' is a standard for"),
            ));
        };
        // The adoption stands for its international standard (GB/T 19001-2016 for ISO 9001).
        if let Some(own) = cert.program_code.certifies_against(&row.international) {
            own_programme = Some(own_programme.unwrap_or(false) || own);
        }
        match kind.certified_in() {
            Some(c) if c == category => own_kind = true,
            Some(crate::model::Category::ManagementSystem) if category != crate::model::Category::ManagementSystem => {
                beside.push(format!("'{s}'"));
            }
            _ => return other_kind(s, row),
        }
    }
    if !own_kind && !beside.is_empty() {
        let why = format!(
            "a {named} certificate is certified against a {named} standard: it names management-system standards only ({})",
            beside.join(", ")
        );
        return Some(("standards.other_kind", why));
    }
    // A management-system certificate names its programme's standard (rule set 18).
    if own_programme == Some(false) {
        let programme = cert.program_code.as_str();
        let why = format!("a {programme} certificate is certified against its programme's standard, and names none");
        return Some(("standards.other_programme", why));
    }
    None
}

/// The MLA/MRA arrangement that covers an accreditation scope.
pub fn arrangement_for(scope: &str) -> &'static str {
    match scope {
        "ISO/IEC 17025" | "ISO/IEC 17020" | "ISO 15189" | "ISO/IEC 17043" | "ISO 17034" => "ILAC MRA",
        _ => "IAF MLA",
    }
}

/// Decides whether `document` is a recognized certificate.
pub fn decide(document: &[u8], ctx: &Context<'_>) -> Verdict {
    let mut d = Decision { checks: Vec::new() };
    let mut verdict = Verdict {
        valid: false,
        status: "unknown",
        checks: Vec::new(),
        format: None,
        issuer: None,
        number: None,
        signer: None,
        trust_list: ctx.trust_list.digest.clone(),
        equivalence_table: ctx.equivalence.version.clone(),
        certificate: None,
        signer_digest: None,
        register_read: None,
    };
    let outcome = decide_inner(document, ctx, &mut d, &mut verdict);
    // Checks that could not be made are failures, listed in order.
    for check in CHECK_ORDER {
        if !d.checks.iter().any(|c| c.check == check) {
            d.checks.push(Check::skipped(check, "recognition.not_reached", "not checked: an earlier check failed"));
        }
    }
    d.checks.sort_by_key(|c| CHECK_ORDER.iter().position(|o| *o == c.check).unwrap_or(CHECK_ORDER.len()));
    verdict.valid = outcome.is_some() && d.checks.iter().all(|c| c.outcome == Outcome::Pass);
    verdict.checks = d.checks;
    verdict
}

/// The compact JWS `document` is, without the whitespace around it (how a credential is
/// read, however it was sent: a trailing newline is no other credential); `None` for any
/// other document, which is read whole.
pub fn compact_jws(document: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(document).ok().map(str::trim)?;
    (text.starts_with("eyJ") && text.matches('.').count() == 2).then_some(text)
}

fn decide_inner(document: &[u8], ctx: &Context<'_>, d: &mut Decision, verdict: &mut Verdict) -> Option<()> {
    // 0. A list past its NextUpdate may have missed a withdrawal: nothing is decided with it
    //    (fail closed: status unknown, never valid).
    if let Err(e) = ctx.trust_list.in_date(ctx.now) {
        d.fail("chain", e.code(), e.to_string());
        return None;
    }
    // 1. Format: the claimed issuer is read from the document to find its anchors; the
    //    content is trusted only after step 2 verified these same bytes.
    let jws_text = compact_jws(document);
    // A credential's payload, kept to ask of it later whether its status is in status lists
    // (then it states none itself).
    let mut credential = None;
    let (format, cert, payload) = if let Some(token) = jws_text {
        let parsed = match jws::parse(token) {
            Ok(p) => p,
            Err(e) => {
                d.fail("format", e.code(), e.to_string());
                return None;
            }
        };
        match formats::parse(Format::UntpDcc, &parsed.payload, &ctx.limits) {
            Ok(c) => {
                credential = Some(parsed.payload.clone());
                (Format::UntpDcc, c, Signed::Jws(parsed))
            }
            Err(e) => {
                d.fail("format", e.code(), format!("the credential: {e}"));
                return None;
            }
        }
    } else {
        let format = match Format::detect(document) {
            Some(f @ (Format::IafXml | Format::CnXml)) => f,
            _ => {
                d.fail(
                    "format",
                    "format.unknown",
                    "not a UNTP credential (JWS), a signed IAF record or a signed CN certificate",
                );
                return None;
            }
        };
        // Parsed once: the same tree gives the certificate and is verified in step 2.
        let parsed = crate::xml::parse_document(document, &ctx.limits)
            .map_err(formats::FormatError::from)
            .and_then(|tree| Ok((formats::parse_tree(format, &tree.root)?, tree)));
        match parsed {
            Ok((c, tree)) => (format, c, Signed::Xml(tree)),
            Err(e) => {
                d.fail("format", e.code(), e.to_string());
                return None;
            }
        }
    };
    verdict.format = Some(format);
    verdict.issuer = Some(cert.issuer_id().to_string());
    verdict.number = Some(cert.number.as_str().to_string());
    d.pass("format", "format.valid", format!("{format} document, schema rules met"));

    // 3a. The issuing body must be a certification body of the trust list.
    let issuer = cert.issuer_id().to_string();
    let Some((cb, accreditor)) = certification_body(ctx.trust_list, &issuer) else {
        d.fail("chain", "trust.cb_unknown", format!("'{issuer}' is not a certification body of the trust list"));
        return None;
    };

    // 2 + 3b. Signature, with anchors from the trust list only.
    // A signature made before the latest date the document states (its issue date, the
    // date of its status, China's midnight) says a time it cannot have been made at.
    let stated = cert.status_date.map_or(cert.issue_date, |s| s.max(cert.issue_date));
    let signed_from = stated.midnight().assume_offset(time::macros::offset!(+8));
    let signing = verify_signature(document, payload, &issuer, signed_from, ctx, d)?;
    verdict.signer = Some(signing.subject.clone());
    verdict.signer_digest = Some(crate::crypto::sha256_hex(&signing.certificate));
    // The gateway's own signature stands for the documents it exported, and for no other:
    // its register keeps their digests by certificate (rule set 20; the audit holds it
    // to the same set, as its log made it). A document signed with the gateway's key outside
    // its exports — by the key's holder (`mrgate sign`), by another deployment sharing the
    // key, before a store was reset, or an export changed since (line ends converted, a
    // byte-order mark added) — is refused as none of its exports (`trust.not_exported`).
    // Rule set 19 asked only for some document of the certificate in the register, and one
    // stating the registered facts but never exported verified "valid" where the audit found
    // it none of the gateway's. So for that signature alone the register is read here, and a
    // register that cannot answer fails the decision closed at once: a check below must not
    // refuse it as the gateway's when it may be. A credential's bytes exist only once its
    // export committed (it names the export's random id); an IAF XML signed at the same second
    // of the same facts is the same bytes (an Ed25519 signature is deterministic), which the
    // first export registered.
    let own_signer =
        cert.certification_body.id.is_domestic() && ctx.own_signers.iter().any(|c| c == &signing.certificate);
    // Only of a certificate the register holds with its document (not its status alone,
    // nor one whose status does not read, which fails closed here, before any other check):
    // an export registers both in one write, and the audit's register asks the same.
    let read_for_own = own_signer.then(|| ctx.register.current(&issuer, cert.number.as_str()));
    let own_export = match &read_for_own {
        Some((Registered::Unavailable(why), _)) => Err(why.clone()),
        Some((_, Some(_))) => {
            let readings = crate::decisions::register::exported::readings(document);
            ctx.register.exported(&issuer, cert.number.as_str(), &readings)
        }
        Some((_, None)) | None => Ok(false),
    };
    let own_export = match own_export {
        Ok(exported) => exported,
        Err(why) => {
            d.fail("chain", REGISTER_UNAVAILABLE, format!("the register cannot be read: {why}"));
            return None;
        }
    };
    // Granted from when it signed until now, throughout: a signing time is the signer's
    // own word (no timestamp vouches for it), so a service withdrawn since — even if granted
    // again — signs nothing, however early its signatures say they were made.
    let listed = ctx.trust_list.grants_signer_throughout(&issuer, &signing.certificate, signing.at, ctx.now);
    // Refused whatever the trust list grants the key besides: as a CB's granted signer it
    // would be held to less (a newer issue not superseded) than as the gateway's export.
    if own_signer && !own_export {
        d.fail(
            "chain",
            "trust.not_exported",
            format!(
                "'{}' is the gateway's own signing certificate, and this is no document the gateway exported of \
                 {issuer}/{}: an export verifies as it was sent, byte for byte but for white space around it",
                signing.subject,
                cert.number.as_str()
            ),
        );
        return None;
    }
    // The gateway's export stands for the document it was made of, and no longer than that
    // document's signer is granted: a CB's key withdrawn (its compromise) takes the exports
    // of what it signed with it (rule set 23; found by attack: they verified valid).
    if own_export
        && let Some((_, Some(held))) = &read_for_own
        && let Some(why) = signer_withdrawn(ctx.trust_list, &issuer, held.signer.as_ref())
    {
        d.fail("chain", "trust.signer_not_listed", why);
        return None;
    }
    if !own_export && !listed {
        let when = if signing.at == ctx.now { "" } else { " from its stated signing time until now" };
        d.fail(
            "chain",
            "trust.signer_not_listed",
            format!("'{}' is not a granted signing certificate of '{issuer}'{when}", signing.subject),
        );
        return None;
    }
    // A credential stating this gateway as its issuer is the gateway's word: only its own
    // signing certificate signs one (found by attack: a CB's granted signer issued a
    // credential as the gateway's did:web, naming itself in issuerAlsoKnownAs, and it
    // verified "valid" though every DID verifier would refuse it).
    if !own_export && credential.as_deref().is_some_and(|c| formats::untp_dcc::issued_as_the_gateway(c, &ctx.limits)) {
        d.fail(
            "chain",
            "trust.signer_not_listed",
            format!(
                "the credential states this gateway as its issuer, and '{}' is not the gateway's signing certificate",
                signing.subject
            ),
        );
        return None;
    }
    if let Some(why) = cb_not_granted(ctx.trust_list, &cert, ctx.now) {
        d.fail("chain", "trust.cb_not_granted", why);
        return None;
    }
    if let Some(why) = cb_name_not_held(ctx.trust_list, cb, &cert) {
        d.fail("chain", "trust.cb_name_other", why);
        return None;
    }
    d.pass(
        "chain",
        "x509.valid",
        format!("'{}' is a signer of '{issuer}', chaining to '{accreditor}'", signing.subject),
    );

    // The register's status and facts of the certificate, read once for the checks below
    // (already, for the gateway's own signature): its facts vouch for a document that
    // states them (4), and supersede one that states others and is not newer (6).
    let (registered, held) = read_for_own.unwrap_or_else(|| ctx.register.current(&issuer, cert.number.as_str()));
    // A register holding a certificate's status alone (its body's notices, no document,
    // `register::origin::NOTICE`) knows of one in force no more than those notices said.
    let in_register = matches!(registered, Registered::Status(_));
    let status_alone = in_register && held.is_none();
    // The digest of the registered document; for a status alone, of none (its empty
    // document), so a verification holds to "no facts registered" as it holds to facts: a
    // recognition registering some meanwhile is a conflict, decided again.
    let held_digest = match &held {
        Some(h) => Some(crate::crypto::sha256_hex(&h.document)),
        None => status_alone.then(|| crate::crypto::sha256_hex(b"")),
    };
    let held_facts =
        held.as_ref().zip(held_digest.as_deref()).map(|(h, digest)| registered_facts(format, &h.document, digest));
    // Read through the register's loss (a document stating otherwise only what CN XML cannot
    // keep is the registered version still), for what supersedes and for what vouches
    // during a suspension alike: read exactly, a foreign holder's registration id or address
    // country, IAF sectors or an accreditation's country made every such certificate lose
    // its vouching (found by review). What the loss hides is not vouched for either way.
    let held_changed = match &held_facts {
        Some(Ok(facts)) => Some(changed_as_registered(format, facts, &cert)),
        _ => None,
    };

    // 4. Accreditation: claimed, of the CB's accreditor, under an arrangement over the whole
    // issue day and now ([`accreditation_refused`]), vouched for by the register's
    // recognition of these very facts while the membership was active.
    let registration = match (&held_changed, &held) {
        (Some(changed), Some(h)) if changed.is_empty() => Registration::Same { at: h.registered_at },
        (Some(changed), _) => Registration::Other(changed),
        _ => Registration::None,
    };
    match accreditation_refused(ctx.trust_list, &cert, format, &accreditor, ctx.now, &registration) {
        Ok((reason, message)) => d.pass("accreditation", reason, message),
        Err((reason, message)) => d.fail("accreditation", reason, message),
    }

    // 5. Standards equivalence, and each standard of the certificate's own kind.
    let refused = standards_refused(ctx.equivalence, &cert, crate::model::china_date(ctx.now));
    match refused {
        None => d.pass(
            "standards",
            "standards.equivalent",
            format!("{} standard(s) equivalent (table {})", cert.standards.len(), ctx.equivalence.version),
        ),
        Some((reason, message)) => d.fail("standards", reason, message),
    }

    // 6. Validity and status; the register's status (notices) overrides the document's —
    // except one further from in force that the body signed in the document
    // (`Status::held`): a withdrawal is final, and a suspension the register has not heard
    // of is not answered "valid".
    let today = crate::model::china_date(ctx.now);
    let read =
        |status| RegisterRead { issuer: issuer.clone(), number: cert.number.as_str().into(), status, document: None };
    verdict.register_read = match &registered {
        Registered::Status(s) => Some(read(Some(*s))),
        Registered::NotHeld => Some(read(None)),
        Registered::Unavailable(_) => None,
    };
    // The register's status, when the document's own was held over it (said in the check).
    let mut overruled = None;
    let status = match registered {
        // Its status is in lists the gateway does not read for others: never a guessed "valid".
        Registered::NotHeld | Registered::Status(Status::Valid)
            if (!in_register || status_alone)
                && credential.as_deref().is_some_and(|c| formats::untp_dcc::status_in_lists(c, &ctx.limits)) =>
        {
            verdict.status = "unknown";
            let register = match status_alone {
                true => "holds only the status its body's notices gave the certificate",
                false => "does not hold the certificate",
            };
            d.fail(
                "validity",
                "status.unknown",
                format!("the credential's status is in a status list, and the register {register}"),
            );
            return None;
        }
        Registered::Status(s) => {
            let held = Status::held(s, cert.status);
            overruled = (held != s).then_some(s);
            held
        }
        Registered::NotHeld => cert.status,
        Registered::Unavailable(why) => {
            verdict.status = "unknown";
            d.fail("validity", REGISTER_UNAVAILABLE, format!("the register's status cannot be read: {why}"));
            return None;
        }
    };
    verdict.status = status.as_str();
    // A document stating other facts than the register holds of its certificate is
    // superseded, however validly signed, unless it is a newer issue than the registered one
    // (not recognized yet: its own facts stand). An export of this gateway states the facts
    // the register held when it was made: once the register holds others, it is superseded
    // (found by review: an exporter's unsigned scope kept verifying "valid" after its CB's
    // signed document had replaced it). A document its body signed stands over an exporter's
    // unsigned word. Found by attack: a CB's first version of a certificate, re-issued since
    // with a narrower scope and an earlier expiry, verified "valid" with its old facts.
    if in_register && (ctx.verifying || own_export) {
        if let Some(read) = verdict.register_read.as_mut() {
            read.document.clone_from(&held_digest);
        }
        let exporters_word = held.as_ref().is_some_and(|h| h.exporters_word);
        let superseded = match &held_facts {
            Some(Ok(facts)) => {
                let changed = held_changed.as_deref().unwrap_or_default();
                match changed.is_empty() {
                    true => None,
                    false if own_export => Some(format!(
                        "the register holds other facts of this certificate than this export states ({})",
                        changed.join(", ")
                    )),
                    false if exporters_word || cert.may_replace(facts).is_ok() => None,
                    false => Some(format!(
                        "the register holds a version of this certificate issued {} with other facts ({}), and this \
                         document was issued {}",
                        facts.issue_date,
                        changed.join(", "),
                        cert.issue_date
                    )),
                }
            }
            Some(Err(why)) => Some(format!("its registered document does not read: {why}")),
            None => None,
        };
        if let Some(why) = superseded {
            let then = if own_export { "its exporter exports it again" } else { "its holder presents the current one" };
            d.fail("validity", "register.superseded", format!("{why}: it is superseded; {then}"));
            verdict.certificate = Some(cert);
            return None;
        }
    }
    // A credential is in force from the instant it states, not from the start of its issue
    // day in China (found by review: one valid from 23:00 verified valid from midnight). The
    // instant falls on the issue day, so only that day reads it again.
    let issue_day = today == cert.issue_date;
    let not_before =
        credential.as_deref().filter(|_| issue_day).and_then(|c| formats::untp_dcc::valid_from(c, &ctx.limits));
    let in_force = match not_before.filter(|from| ctx.now < *from) {
        Some(from) => cert.dates_hold(today).and(Err(crate::model::NotInForce::NotYetValidAt { from })),
        None => cert.in_force(status, today),
    };
    match in_force {
        Ok(()) => d.pass(
            "validity",
            "validity.in_force",
            format!("in force until {}", crate::ids::format_date(cert.expiry_date)),
        ),
        Err(why) => {
            if matches!(why, crate::model::NotInForce::Expired { .. }) {
                verdict.status = Status::Expired.as_str();
            }
            let message = match (overruled, &why) {
                (Some(registered), crate::model::NotInForce::Status(_)) => format!(
                    "{}: the document states it, signed by its body, where the register holds it {} — a document \
                     stating its certificate is not in force is not answered valid; its holder presents the current one",
                    why.message(),
                    registered.as_str()
                ),
                _ => why.message(),
            };
            d.fail("validity", &why.code(), message);
        }
    }
    verdict.certificate = Some(cert);
    Some(())
}

/// The facts `cert` states otherwise than `held`, the registered version as `format`
/// states it (rendered in that format and read back), each read through the register's CN
/// XML: what CN XML cannot keep (a foreign holder's registration id, IAF sectors) is no
/// other fact (found by review: the very document a partner had recognized was then
/// superseded by its own registration). Compared directly first: a document stating the registered facts (every
/// export of this gateway) costs no rendering. A verification asks it in the presented
/// document's format; a registration (an export, a recognition) in CN XML, the register's
/// own (rule set 21; found by review: the very record a partner had recognized, sent again,
/// was refused as other facts of the same day).
pub fn changed_as_registered(format: Format, held: &Certificate, cert: &Certificate) -> Vec<&'static str> {
    let changed = held.changed_facts(cert);
    if changed.is_empty() {
        return changed;
    }
    let rendered = crate::decisions::register::registered_as(cert);
    match registered_facts(format, &rendered.bytes, &crate::crypto::sha256_hex(&rendered.bytes)) {
        Ok(as_registered) => held.changed_facts(&as_registered),
        Err(_) => changed,
    }
}

/// Whether the register coming to hold `document` (CN XML) in place of `registered` makes
/// the exports in `format` of `registered` superseded: a verification of one would find other
/// facts registered than it states, compared as a verification compares an export's
/// ([`changed_as_registered`]: through what the format carries, so that a change to facts
/// the format drops supersedes none of its exports). A document that does not read is taken
/// as other facts, as a verification takes it.
pub fn exports_superseded(format: Format, registered: &[u8], document: &[u8]) -> bool {
    let facts = |d: &[u8]| registered_facts(format, d, &crate::crypto::sha256_hex(d));
    match (facts(registered), facts(document)) {
        (Ok(exported), Ok(held)) => !changed_as_registered(format, &held, &exported).is_empty(),
        _ => true,
    }
}

/// The facts of a registered document (CN XML) as an export in `format` states them: rendered
/// in that format and read back, so that what the format cannot carry is lost on both sides
/// of a comparison with an export. Read under the default limits, the byte limit raised to
/// the rendering's own length: the register accepted it once, and a lower body limit
/// configured since (or another one on an auditor's machine) must not decide otherwise.
/// Kept by the document's digest (`digest`, its SHA-256 in hex: the same document gives the
/// same facts), so a gateway verifying one export many times reads its register's document
/// once; the cache is bounded by the bytes of the documents it was made from.
fn registered_facts(format: Format, document: &[u8], digest: &str) -> Result<Arc<Certificate>, String> {
    #[derive(Default)]
    struct Kept {
        facts: std::collections::HashMap<(Format, String), Arc<Certificate>>,
        bytes: usize,
    }
    /// Past this many bytes of documents, or this many entries, the cache starts again (a
    /// bound, not an LRU: a miss costs one parse and render).
    const MOST_BYTES: usize = 32 << 20;
    const MOST: usize = 4096;
    static KEPT: std::sync::Mutex<Option<Kept>> = std::sync::Mutex::new(None);
    let key = (format, digest.to_string());
    if let Some(held) = KEPT.lock().ok().and_then(|k| k.as_ref()?.facts.get(&key).cloned()) {
        return Ok(held);
    }
    let own = crate::decisions::register::read_as_accepted;
    let registered = formats::parse(Format::CnXml, document, &own(document)).map_err(|e| e.to_string())?;
    let stated = formats::render(format, &registered);
    let facts = Arc::new(formats::parse(format, &stated.bytes, &own(&stated.bytes)).map_err(|e| e.to_string())?);
    if let Ok(mut kept) = KEPT.lock() {
        let kept = kept.get_or_insert_with(Kept::default);
        if kept.facts.len() >= MOST || kept.bytes + document.len() > MOST_BYTES {
            *kept = Kept::default();
        }
        kept.bytes += document.len();
        kept.facts.insert(key, Arc::clone(&facts));
    }
    Ok(facts)
}

/// What a verified signature tells.
struct Signing {
    subject: String,
    certificate: Vec<u8>,
    /// The time the chain was validated at: XAdES SigningTime when present, else now.
    at: OffsetDateTime,
}

/// Trust anchors from certificates the trust list grants (as `anchors_for_cb` gives them).
pub fn anchors_of(ders: &[&[u8]]) -> TrustAnchors {
    let mut anchors = TrustAnchors::new();
    for der in ders {
        // Certificates that cannot be anchors (e.g. end-entity signing certificates listed
        // for the signer-identity check) are skipped here, not trusted.
        let _ = anchors.add_der(&CertificateDer::from(der.to_vec()));
    }
    anchors
}

/// A document as parsed in step 1, kept for step 2 to verify the same parse.
enum Signed<'a> {
    Jws(jws::ParsedJws<'a>),
    Xml(crate::xml::Document),
}

fn verify_signature(
    document: &[u8],
    signed: Signed<'_>,
    issuer: &str,
    signed_from: OffsetDateTime,
    ctx: &Context<'_>,
    d: &mut Decision,
) -> Option<Signing> {
    let tree = match signed {
        Signed::Xml(tree) => tree,
        Signed::Jws(token) => return verify_jws(&token, issuer, ctx, d),
    };
    // XML: validate the chain at the XAdES signing time when the signature states one, and
    // only a signed one. The time stated in the document picks the anchors for a first try;
    // that try stands only if it verifies and reports that same time as signed. Otherwise
    // (no such luck, or a failure that an unsigned time might have caused) the signed time
    // is read by a check against the embedded key, and the decision made at that time.
    // The stated time is the signer's own word (no timestamp vouches for it): the
    // certificates are judged at it, as the recognition rules ask ("valid at signing
    // time"), but only anchors the trust list grants from then until now anchor the chain,
    // and its CRLs must be fresh now — what was withdrawn or revoked since, or may have
    // been, is not passed by a signature dated before it. A time after now (five minutes'
    // skew) or before the document's own dates is not believed: the decision's time is
    // used instead.
    let usable = |t: Option<String>| {
        t.and_then(|t| OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok())
            .filter(|t| *t <= ctx.now + time::Duration::minutes(5) && *t >= signed_from)
    };
    // The tree parsed in step 1 serves the first try; the rare later ones parse again.
    let trusted_at = |at: OffsetDateTime, tree: Option<crate::xml::Document>| {
        let chains = verifier_for(ctx, &ctx.trust_list.anchors_for_cb_throughout(issuer, at, ctx.now));
        let options = Options {
            key: KeySource::Kept {
                chains: &chains,
                at: at.unix_timestamp().max(0) as u64,
                now: ctx.now.unix_timestamp().max(0) as u64,
            },
            allow_sha1: false,
            profile: Profile::Enveloped,
        };
        match tree {
            Some(tree) => xmldsig::verify_document(tree, &options),
            None => xmldsig::verify(document, &ctx.limits, &options),
        }
    };
    let stated = usable(xmldsig::stated_signing_time(&tree));
    let first = trusted_at(stated.unwrap_or(ctx.now), Some(tree));
    let confirmed = match &first {
        Ok(v) => usable(v.signing_time.clone()) == stated,
        // A refusal of the document's own bytes is the same at every time, and is not paid
        // for twice more (found by review: an unsigned time planted in a large document had
        // it verified three times over); one of its key or signer is tried at the signed time.
        Err(e) => e.is_of_the_document(),
    };
    let (at, verified) = if confirmed {
        (stated.unwrap_or(ctx.now), first)
    } else {
        let probe = Options { key: KeySource::InsecureEmbedded, allow_sha1: false, profile: Profile::Enveloped };
        let signed = usable(xmldsig::verify(document, &ctx.limits, &probe).ok().and_then(|v| v.signing_time));
        match signed == stated {
            true => (stated.unwrap_or(ctx.now), first),
            false => (signed.unwrap_or(ctx.now), trusted_at(signed.unwrap_or(ctx.now), None)),
        }
    };
    match verified {
        Ok(v) => {
            d.pass("signature", "sig.valid", "enveloped XML signature over the whole document");
            Some(Signing {
                subject: v.signer.unwrap_or_default(),
                certificate: v.signer_certificate.unwrap_or_default(),
                at,
            })
        }
        Err(e) => {
            let check = if matches!(e.check(), "chain" | "key") { "chain" } else { "signature" };
            d.fail(check, e.code(), e.to_string());
            None
        }
    }
}

fn verify_jws(token: &jws::ParsedJws<'_>, issuer: &str, ctx: &Context<'_>, d: &mut Decision) -> Option<Signing> {
    let verifier = verifier_for(ctx, &ctx.trust_list.anchors_for_cb(issuer, ctx.now));
    // Step 1 read the payload as a UNTP credential already.
    let v = verifier.verify_read_credential(token, ctx.now.unix_timestamp().max(0) as u64);
    if !v.valid {
        let last = v.checks.last().cloned().unwrap_or_else(|| Check::fail("signature", "sig.invalid", "no verdict"));
        let check = if last.check == "chain" { "chain" } else { "signature" };
        d.fail(check, &last.reason, last.message);
        return None;
    }
    d.pass(
        "signature",
        "sig.valid",
        format!("{} VC-JOSE signature over the whole credential", v.alg.unwrap_or_default()),
    );
    // A credential verified without an x5c chain has no signer certificate to list.
    let Some(certificate) = v.signer_certificate else {
        d.fail("chain", "jws.x5c", "a credential must carry its signer's chain in x5c");
        return None;
    };
    Some(Signing { subject: v.signer.unwrap_or_default(), certificate, at: ctx.now })
}
