//! The gateway's decisions, one file each: `verify`, `export`, `recognize`, `notice`,
//! `trust_list` (install), `status_list` (a status list version published) and `pt` (a round's define, submit, close and report). Each takes
//! the caller ([`Caller`]), what it sent, and a [`Context`] (the trust list in force, the
//! equivalence table, the register, the time), and returns a [`Decision`] — what the
//! caller is told, the effects on the register, the log entry — or a [`Refusal`]. Only
//! [`record`] commits them, entry and effects together; nothing else writes the log.
//!
//! Who may ask for a decision is decided here too, from the [`Caller`] the server
//! authenticated. The HTTP server, the batch and the CLI call these functions; none of them
//! holds a rule of its own.
//!
//! A decision must never read the wall clock (only [`Context::now`]), never write the
//! store or the log itself (it returns effects), and never know about HTTP: a refusal has a
//! [`Class`], which the server maps to a status.

pub mod caller;
pub mod did_document;
pub mod equivalence_table;
pub mod export;
pub mod notice;
pub mod pt;
pub mod recognize;
pub mod record;
pub mod register;
pub mod status_list;
pub mod sweep;
pub mod trust_list;
pub mod verify;

pub use caller::{Caller, Grant, Role};
pub use record::{Recorded, Recorder, Refused};

use crate::crypto::keys::SigningKey;
use crate::crypto::x509::Crls;
use crate::ledger::entry::{Entry, RuleVersion, Rules, document_digest};
use crate::recognition::{StatusSource, Verifiers};
use crate::store::{Effect, Store, StoreError};
use crate::trust::TrustList;
use crate::trust::equivalence_table::Version as TableVersion;
use crate::xml::Limits;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use time::OffsetDateTime;

/// The rule-set version of this code: what its decisions' entries name beside the rule
/// documents they used. Raise it with any change that can make a decision come out
/// differently for the same document, trust list and equivalence table, so that an audit
/// knows which entries this build can decide again.
///
/// - `1`: the first rule set named in entries.
/// - `2`: decisions are made at the second their entry records; an unsigned export names
///   and keeps the grant it is decided under; exports and PT steps keep their documents
///   (what an audit decides them again from); a PT round whose robust s* collapses is
///   degenerate (Algorithm A on deviations from the median), and the median method may
///   take nIQR as s*.
/// - `3`: an exported credential's JWS header names its key as the gateway's DID
///   verification method (`kid`); a PT round definition may carry a homogeneity study,
///   which its report checks.
/// - `4`: an exported credential's `credentialStatus` is its two W3C Bitstring Status
///   List entries (revocation, suspension) at the certificate's slot; status list versions
///   are published as decisions (`status-list`).
/// - `5`: a signed XML document's stated signing time is the signer's word: its
///   certificates are judged at it (not before the document's own issue or status date),
///   but only anchors and a signer the trust list grants throughout from then until the
///   decision anchor or sign it, and its CRLs must be fresh at the decision; of two versions
///   of one CRL only the later is consulted; a withdrawal or cancellation the document
///   states is final, whatever status the register holds; an IAF record stating
///   Unaccredited, or naming another accreditation body of the list than its CB's, is not
///   recognized.
/// - `6`: only a document-signing service's certificates sign or vouch (a certificate a
///   list holds under a service of another type signs nothing); a UNTP credential's issue
///   date is the day in China its `validFrom` falls on, and its expiry date the last day in
///   China its `validUntil` covers to the end (never a day past the instant it states).
/// - `7`: a CB-signed export replaces facts an exporter registered unsigned (register
///   origin `export-unsigned`) whatever dates either states; a PT round's bilateral
///   reference laboratory takes results from the round's provider only; a bilateral Eₙ
///   that is not finite is no score; Algorithm A reports an overflow rather than a
///   collapsed s*.
/// - `8`: a status further from in force that the document's body signed stands over the
///   register's (`Status::held`): a suspension or expiry over "valid", as a withdrawal or
///   cancellation already stood over any other; an export of this gateway stating facts the
///   register no longer holds is superseded (`register.superseded`).
/// - `9`: an accreditor's membership must hold over the whole issue day in China, not at its
///   midnight alone (two statuses listed at one instant both count); a certificate's
///   accreditation claim must name its CB's accreditor as the list holds it (a name the
///   list does not hold is refused, as another body's was), in a recognition and in an
///   export alike (`recognition::claim_not_of`); a
///   credential is not in force before its `validFrom` instant, though its issue day has
///   begun; a management-system or service certificate listing assessed products is refused
///   (`model.products_outside_product_certification`); a credential dated before 0001-01-01
///   in China is refused; a verification that cannot read the register is refused (503),
///   never logged; a PT number other than zero below 1e-150 in magnitude is refused
///   (`pt.out_of_range`), as one above 1e150 was.
/// - `10`: every name a certificate states of its certification body (the name, and the
///   English name when it states one) must be one the trust list holds for that body — its
///   id, a name in any language or a trade name — and no other body's, in a recognition and
///   in an export alike (`recognition::cb_name_not_held`, `trust.cb_name_other`); an
///   accreditation claim may name its accreditor by a name of it in any language; a
///   certificate's standards must be recognized by the equivalence table and of its own
///   kind as the table says it — a product or service certificate may name
///   management-system standards beside its own kind's, never in their place
///   (`standards.other_kind`; a row saying no kind recognizes nothing,
///   `standards.kind_unknown`) — in a recognition and in an export alike
///   (`recognition::standards_refused`); a UNTP credential of a body names it once more at
///   most, by its own id, and its authority's and standards' ids are made of their names;
///   no text holds a character XML 1.0 does not allow, in XML or JSON, nor a certificate's
///   text a C1 control or a bidirectional formatting character (`model.hidden_control`); a
///   joint PT round
///   enrols each participant under the partner that submits for it, and a round that
///   enrols its participants takes results for them only, each from its own partner
///   (`pt.participants_not_enrolled`, `pt.participant_not_yours`); a round's partners are
///   accreditation bodies; a PT document writes its namespace as it is and holds each
///   element read once once; a PT number other than zero below 1e-100 in magnitude is
///   refused (`pt.out_of_range`; 1e-150 before).
/// - `11`: no text anywhere in a certificate document — a field the model carries or not,
///   an attribute, a comment, a member name — holds a C1 control, DEL, a format character
///   but the zero-width (non-)joiner, another default-ignorable code point, a line or
///   paragraph separator, a braille blank, a noncharacter or a private-use character
///   (`model.hidden_control`, [`crate::formats::text`]); an IAF record's accreditation body
///   country is a code; a JWS header and a notice's payload holding a member twice are
///   refused, as a batch line is; a trust list is installed only when no text of it hides
///   characters and its bodies' names tell them apart ([`crate::trust::names`]); a PT result's
///   U and k must give a u = U/k in range at submission.
/// - `12`: a trust list's bodies' names look alike across scripts too: a Cyrillic or Greek
///   letter drawn as a Latin one is that Latin letter ([`crate::trust::look_alike_key`]), so
///   a name written wholly in such letters is no name of its own beside the Latin one.
/// - `13`: an XML document's element, attribute, declared prefix and processing-instruction
///   target names must be names XML allows, and the `xml` and `xmlns` prefixes and their
///   namespaces bound only as XML Namespaces reserves them (`xml.malformed`; such a
///   document was read before, and canonicalized into bytes no reader takes); Armenian and
///   Cherokee letters drawn as Latin ones are those Latin letters in a trust list's bodies'
///   names, as Cyrillic and Greek ones are since `12`.
/// - `14`: a trust list's bodies' names look alike as Unicode's confusables data draws their
///   characters, in every script (the UTS #39 skeleton: Lisu, Coptic, Ethiopic letters…, a
///   lunate sigma as `C`, ideographs drawn alike), not only in the four scripts named
///   before; a verified document stating other facts of its certificate than the register
///   holds (both read through the register's CN XML), and no newer than the registered
///   version, is superseded, whoever signed it (`register.superseded`, as an export of this
///   gateway was since `8`); while a CB's
///   accreditor is not an active signatory, a certificate it dates before that is
///   recognized only as the register holds it (through its CN XML), registered while the
///   membership was active (a registration changing no fact keeps the first one's time;
///   the membership's reason: its issue date is its body's word); a UNTP credential stating
///   this gateway's did:web as its issuer is signed by the gateway's own signing
///   certificate or refused (`trust.signer_not_listed`);
///   a trust list's `Critical="1"` (an `xs:boolean`), or a value that is no boolean or none,
///   makes an unknown extension critical, and a body an unknown critical extension makes
///   unusable answers for no membership (`trust.body_unknown`).
/// - `15`: a notice for a certificate the register does not hold is decided (it was refused
///   unrecorded, `store.not_found`): the certificate is taken as valid before it
///   ([`crate::notice::Register::unheld`]), and an applied notice registers its status
///   alone ([`register::origin::NOTICE`]), which every verification then reads; such a
///   record states no facts, so a notice's date is not held to an issue date, and an export
///   or recognition registers the first facts under the status the notices gave; a
///   credential whose status is in status lists is `status.unknown` under a status alone
///   that is valid, as it is when the register does not hold it; a notice's number is a
///   certificate number (`notice.number`); a trust list's `ServiceHistoryInstance` tells of
///   the service's certificates today only when it names every one of them (itself, or by
///   `X509SKI` as RFC 5280's method 1 computes it from the key), is of the service's type,
///   has no critical extension not understood and starts before the current status — any
///   other grants them nothing in its period ([`crate::trust::STATUS_OF_ANOTHER_SERVICE`]),
///   and one starting with the current status or after it is not applied.
/// - `16`: GB18030's four-byte sequences of U+9FB4–U+9FBB and U+FE10–U+FE19 are not the
///   charset's (`xml.bad_encoding`, as glibc's iconv reads it); no container of a
///   certificate's format carries an attribute (`format.unexpected_attribute`); a
///   certificate's text is one line without white space at either end (`model.text_layout`),
///   a JSON format's text read without XML's white space at its ends as an XML format's is,
///   and no more taken off (a no-break or ideographic space is a character of the text); the
///   holder's country is the holder's, stated by an IAF record with or without an address;
///   an Unaccredited IAF record names no accreditation body's country; a certificate naming
///   no accreditation states `Unspecified` (UNTP `assessmentLevel`), and an export of a CB
///   whose accreditor the list does not name states what the certificate claims; PT: no
///   text of a PT document holds a hidden character, and no element an attribute its reader
///   does not read (an assigned value only its method's), both when it is admitted, not
///   when a stored one is read back; a bilateral reference is an identifier; a measurand
///   whose assigned value and σ_pt are the scheme's is scored whatever kept Algorithm A from
///   its statistics (no convergence, too few results; s* then not reported); a homogeneity
///   study is computed from its results' differences from its first; a submission after the
///   deadline is `pt.deadline_passed` whether the round closed or not (`pt.round_closed`
///   no longer comes of one); and a definition or submission refused once it verified as
///   the partner's is logged `refused` with its reason.
/// - `17`: a certificate's CB is held in force for it by the list in force
///   ([`crate::recognition::cb_not_granted`], `trust.cb_not_granted`): a granted
///   document-signing service now, and one at every instant of its issue day since the list
///   first gave the CB's services a status — in recognition (the gateway's own exports too),
///   export, and the look-up's headline, which is `unknown` otherwise; a JWS's `kid` beside
///   `x5c` names the x5c signer's key (`jws.kid_other`).
/// - `18`: a certificate that claims no accreditation (CN XML without one, a credential
///   without its authorisation, as an IAF record saying Unaccredited) is not recognized or
///   exported (`trust.accreditation_unclaimed`); only domestic certificates are exported
///   (`export.foreign_issuer`); a certificate is valid no longer than its programme's cycle
///   and six months (`model.validity_too_long`: a management system's three years, CCC's
///   five, ten for other product and service schemes), is not issued in a year before its
///   CNCA-approved body's approval (`model.issued_before_approval`), has no status date more
///   than a day before its issue date (`model.status_before_issue`), and a CCC certificate
///   is a CNCA-approved body's (`model.ccc_not_domestic`) for its number's product category
///   (`model.ccc_category_mismatch`); a standard past the end of its transition in the
///   equivalence table (`recognized_until`) is not recognized
///   (`standards.transition_ended`), in recognition, export and the look-up's headline,
///   which is `unknown` too when the table in force does not recognize a standard; an
///   exporter's bearer token identifies it on the public page as its certificate does; a
///   management-system certificate names its programme's standard or an adoption of it
///   (`standards.other_programme`: ISO 9001 for QMS …, `ProgramCode::certifies_against`); an
///   amended edition in ISO's form (`ISO 9001:2015/Amd 1:2024`) is judged by its edition's
///   row.
/// - `19`: the gateway's own signature stands for a certificate its register holds a
///   document of (an export registers what it exports, with its document); of one it does
///   not hold, or holds the status of alone (its body's notices), its signer is judged as
///   any other (`trust.signer_not_listed`), as the audit judges a document this log never
///   exported; a register that cannot answer for the gateway's signature fails the
///   decision closed (`register.unavailable`) before any other check.
/// - `20`: the gateway's own signature stands for the very documents it exported, which
///   its register keeps by digest with the certificate ([`register::exported`]), and for no
///   other: a document it signed but never exported (stating the registered facts, or an
///   export changed since) is `trust.not_exported`, as the audit judges it; and the
///   look-up's headline is `unknown` for a certificate a verification would refuse for its
///   accreditation ([`crate::recognition::accreditation_refused`], its registration's time
///   vouching as a register read's does) or for its CB's name.
/// - `21`: a signed version stating other facts than the registered one replaces it only
///   when issued after it, no longer on the same day too (`register.older_document`, in
///   export and recognition): a same-day version verified as superseded, yet registered, so
///   the first version exported again rolled the register back and its earlier exports
///   verified again ([`crate::model::Certificate::may_replace`], the one rule both ask);
///   and a registration compares facts as the register keeps them, through its CN XML
///   ([`crate::recognition::changed_as_registered`]): what CN XML cannot keep (a foreign holder's registration
///   id, IAF sectors) is no other fact, so a record sent again is the same facts, whatever
///   its date.
/// - `22`: a suspension of a suspended certificate is its body's word restated, applied as
///   such ([`crate::notice::Action::allowed_from`]): a restoration the body issued before
///   it, arriving after it, is stale, where it restored the certificate the body's last word
///   had suspended again.
/// - `23`: an export states `GlobalMRA` only when its CB's accreditor was an active signatory
///   throughout the certificate's issue day as well as now
///   ([`crate::recognition::assessment_level`]; one dated inside a suspension since ended was
///   signed as `GlobalMRA`, which the gateway's own verification refused); a modified adoption
///   the equivalence table accepts recognizes a certificate naming the national standard, not
///   the international one alone (`standards.mod_international_only`), and a row not verified
///   recognizes nothing (`standards.unverified`), nor does an unverified modified adoption
///   named beside its national standard; a trust list holding a body, its
///   MutualRecognition, one membership or any element its reader takes one of twice is
///   refused (the first answered), as is an empty `BodyId` or `AccreditedBy`; a CB the list
///   names no accreditor for is held to none, its export refused as its verification is
///   (`trust.accreditation_other`); a signing time ahead of now (within the clock skew)
///   needs its key granted from now to then; a notice's date-time is held to the issue
///   date by its day in China; a registration keeps the key its document was signed with,
///   and a look-up, like a verification of the gateway's export, holds it to that key's
///   grant when the registration was made, as the list tells it now
///   ([`crate::recognition::signer_withdrawn`]); a PT
///   document's element holds text or elements, not both, its numbers are trimmed of XML's
///   white space only and one too small to hold is refused
///   ([`crate::pt::stats::read_number`]), and Algorithm A's `iso2022` stop holds x* at the
///   place of s*'s third significant figure, as ISO 13528 says; a certificate of a CB the
///   trust list does not hold is not exported (`trust.cb_unknown`), and an IAF record whose
///   identity number of the form `{body}:{number}` names another certificate is refused
///   (`format.invalid`), as is a credential of this profile whose Endorsement, holder,
///   product or site id is not made of what it names, whose own, its status's or an
///   assessment's id is neither the subject's (`#credential`, `#status`, `#assessment-N`)
///   nor an https URL, a DID or a UUID URN of the issuer's, whose status-list entry's id is
///   not its list's and index's, whose contexts are more than the profile's two, whose
///   status context is another, whose scheme's or standard's issuing party holds more than
///   an id and a name, or whose `IDverifiedByCAB` is not true.
/// - `24`: a registration of other facts than the register holds of a certificate (an
///   export or a recognition: its CB's later version, its signed document over an
///   exporter's word) supersedes the status-list slot of the credentials exported of those
///   ([`register::supersedes`], [`crate::store::Effect::SupersedeStatusSlot`]): revoked in
///   its lists for good, as `/v1/verify` refuses those credentials (`register.superseded`),
///   never given again; the certificate's next export draws a slot of its own (found by
///   attack: the lists kept a superseded credential's slot clear, and the next version's
///   credential named the same slot).
/// - `25`: a certificate the register holds valid whose look-up would not call it valid
///   under the rules in force (its CB out of the trust list or not in force, its signer's
///   key withdrawn from before its registration, its accreditation or standards refused,
///   its document unread) has its suspension bit set in the status lists while they
///   withhold it ([`status_list::withheld`]), and no list is told under a trust list out of
///   date (found by review: the lists kept vouching for what `/v1/verify` and the look-up
///   refused, and a W3C verifier reads only the lists); an equivalence table writing one
///   adoption (national and international designation, as a certificate names them) in
///   two rows is not installed (`standards.table`: the second row would never be read).
/// - `26`: an unsigned export that would register its number on the exporter's word
///   ([`export::on_word`]) is refused while the register holds another number of the same
///   CB that an eye reads as the same (`register.look_alike`, [`crate::ids::number_skeleton`]:
///   O, Q and D as 0, I and L as 1, Z as 2, S as 5, G as 6, B as 8, U as V, separators not
///   counted), checked again at commit ([`crate::store::Effect::NoLookAlike`]) (found by review: an exporter
///   granted a holder registered, on its word, `…-OO1` beside its withdrawn `…-001`, and the
///   gateway signed it valid); the last check of an export, after every check of the
///   certificate itself. In the other order, a number first registered by its CB's signed
///   document, its body's notice or a partner's recognition suspends the exporter's word
///   the register holds valid on a number of the CB that reads as it, by the gateway's
///   status event naming the decision ([`register::first_registration`],
///   [`crate::store::Effect::SuspendLookAlikes`], held at commit to the words it found;
///   found by review of the first: an exporter that always used a look-alike number kept
///   its certificates valid through its CB's withdrawal); its body's notice may restore it.
/// - `27`: a body's restoration lifts the gateway's own suspension of rule set 26 only when
///   signed (`iat`) more than [`crate::notice::SKEW`] after it (`notice.stale`,
///   [`register::suspended_by_gateway`], [`crate::notice::admit`]) (found by review: notices
///   are ordered by their own `iat`, and a restoration the body signed before the
///   suspension, never relayed, lifted it when sent after); and the gateway restates its
///   suspension of an exporter's word its body had suspended already
///   ([`register::suspended_by_look_alike`]; found by attack: no event of the gateway's, so
///   the body's earlier restoration, held back, made it valid beside its look-alike).
/// - `28`: a node sweeps at start ([`sweep`]): each exporter's word beside a number of its
///   CB that reads as it, first registered after the gateway last suspended the word for a
///   look-alike or with no such suspension ([`register::swept`], [`register::unmet`]: a pair
///   registered before rule set 26, or beside a word its body had suspended before 27), is
///   suspended by the gateway's own status event ([`register::SWEPT`]), so that a body's
///   restoration is held to it as rule set 27 holds one, under one logged decision (kind
///   `look-alikes`, naming no number) an audit decides again from the register the log
///   made (found by review: such words stayed valid, or restorable by a restoration signed
///   before, until their bodies acted, and only an operator's listing found them).
pub const RULE_SET: &str = "28";

/// What a decision is made against, fixed for the decision's whole life: one time, one
/// trust list, one equivalence table.
pub struct Context<'a> {
    /// The time of the decision, from the gateway's clock, to the second
    /// ([`to_the_second`]): the time its entry records.
    pub now: OffsetDateTime,
    /// The trust list in force when the decision started.
    pub trust_list: Arc<TrustList>,
    /// The equivalence table in force when the decision started.
    pub table: Arc<TableVersion>,
    /// The CRLs in force (their set is kept: entries name it, see [`Context::rules`]).
    pub crls: &'a Crls,
    pub store: &'a dyn Store,
    /// The register's status of certificates as a verification reads it, when not the
    /// store's (its in-memory versions, to decide without blocking).
    pub register: Option<&'a dyn StatusSource>,
    pub limits: Limits,
    pub verifiers: Option<&'a Verifiers>,
    /// The gateway's signing key and chain: what exports and PT reports are signed with.
    pub signing_key: &'a SigningKey,
    pub signing_chain: &'a [CertificateDer<'static>],
    /// The certificates of signing keys rotated out (`[signing] previous_certificates`).
    pub previous_signers: &'a [Vec<u8>],
    /// The base URL of links signed into documents (the export's receipt link).
    pub public_base: String,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Context({}, trust list {})", rfc3339(self.now), self.trust_list.sequence)
    }
}

/// Whether the gateway's signing chain (its certificate and every one it sends with it) is
/// valid at `now`: the one rule for the start, a reload and every signature the gateway
/// makes. Outside its window
/// every verifier (this gateway's too) refuses what it signs for the gateway's own
/// certificate, so nothing is signed, and nothing decided that must be signed to stand.
pub fn signer_in_force(chain: &[CertificateDer<'_>], now: OffsetDateTime) -> Result<(), Refusal> {
    let not_in_force = |detail: String| Err(Refusal::new(Class::Unavailable, "signing.not_in_force", detail));
    if chain.is_empty() {
        return not_in_force("the gateway has no signing certificate".into());
    }
    let at = rfc3339_of_unix;
    let now_s = now.unix_timestamp();
    // Every certificate it sends: a verifier refuses a chain whose intermediate expired too.
    for (i, der) in chain.iter().enumerate() {
        let which = match i {
            0 => "the gateway's signing certificate".to_string(),
            i => format!("certificate {} of the gateway's signing chain", i + 1),
        };
        let Some((not_before, not_after)) = crate::crypto::x509::validity_of(der.as_ref()) else {
            return not_in_force(format!("{which} does not read"));
        };
        if now_s > not_after {
            return not_in_force(format!("{which} expired at {}", at(not_after)));
        }
        if now_s < not_before {
            return not_in_force(format!("{which} is not valid before {}", at(not_before)));
        }
    }
    Ok(())
}

impl<'a> Context<'a> {
    /// The gateway's key and chain to sign with at the decision's time, while its
    /// certificate is valid ([`signer_in_force`]).
    pub fn signer(&self) -> Result<(&'a SigningKey, &'a [CertificateDer<'static>]), Refusal> {
        signer_in_force(self.signing_chain, self.now)?;
        Ok((self.signing_key, self.signing_chain))
    }
}

impl Context<'_> {
    /// The trust list in force, if it may still decide now; a stale list refuses every
    /// decision that needs it (fail closed, never a guess).
    pub fn trust_list_in_date(&self) -> Result<&TrustList, Refusal> {
        in_date(&self.trust_list, self.now)?;
        Ok(&self.trust_list)
    }

    /// The decision's time as every recorded time is written.
    pub fn time(&self) -> String {
        rfc3339(self.now)
    }

    /// The recognition decision on `document` (see [`crate::recognition::decide`]).
    /// `own_signers` (a verification) accepts the gateway's own signing certificates for
    /// domestic issuers — the one in force and those rotated out, which signed the exports
    /// before the rotation: for verifying what the gateway exported, never for recognizing
    /// what a partner sends — and holds the document to the version the register holds.
    ///
    /// A verdict that could not read the register decided nothing: it is refused (503
    /// `register.unavailable`), never answered or logged as "invalid" — an audit, reading
    /// the register as the log has it, would decide it otherwise (found by review: such
    /// entries were disagreements no audit could settle).
    pub fn recognition(&self, document: &[u8], own_signers: bool) -> Result<crate::recognition::Verdict, Refusal> {
        let own: Vec<Vec<u8>> = match (own_signers, self.signing_chain.first()) {
            (true, Some(c)) => {
                std::iter::once(c.as_ref().to_vec()).chain(self.previous_signers.iter().cloned()).collect()
            }
            _ => Vec::new(),
        };
        let store = register::StoreRegister(self.store);
        let ctx = crate::recognition::Context {
            trust_list: &self.trust_list,
            equivalence: &self.table.table,
            crls: if self.crls.is_empty() { None } else { Some(self.crls) },
            register: self.register.unwrap_or(&store),
            own_signers: &own,
            now: self.now,
            verifying: own_signers,
            limits: self.limits,
            verifiers: self.verifiers,
        };
        let verdict = crate::recognition::decide(document, &ctx);
        match verdict.unread_register() {
            Some(why) => Err(Refusal::new(Class::Unavailable, crate::recognition::REGISTER_UNAVAILABLE, why)),
            None => Ok(verdict),
        }
    }

    /// Verifies an enveloped XML signature now, by a signer chaining to `anchors`
    /// (certificates the trust list grants), with the gateway's CRLs.
    pub fn verify_xml(
        &self,
        document: &[u8],
        anchors: &[&[u8]],
    ) -> Result<crate::crypto::xmldsig::Verified, crate::crypto::xmldsig::DsigError> {
        verify_xml(document, anchors, self.crls, self.now, &self.limits)
    }

    /// The rules this decision is made with, as its entry names them.
    pub fn rules(&self) -> Rules {
        Rules::V2 {
            trust_list: Some(RuleVersion {
                sequence: self.trust_list.sequence,
                digest: self.trust_list.digest.clone(),
            }),
            equivalence_table: Some(RuleVersion {
                sequence: self.table.table.sequence,
                digest: self.table.digest.clone(),
            }),
            crls: Some(self.crls.set_digest().into()),
            rule_set: Some(RULE_SET.into()),
        }
    }

    /// A log entry of this decision: its time and the rules it was made with.
    pub fn entry(&self, kind: &str, actor: &str, inputs: Vec<String>, verdict: &str) -> Entry {
        Entry {
            kind: kind.into(),
            time: self.time(),
            actor: actor.into(),
            inputs,
            outputs: vec![],
            rules: self.rules(),
            verdict: verdict.into(),
            reasons: vec![],
        }
    }
}

/// What kind of refusal a refusal is; the server maps each to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Class {
    /// The request cannot be read (not XML, not JSON, not a JWS, a bad parameter): 400.
    Malformed,
    /// No identity where one is needed: 401.
    Unauthenticated,
    /// An identity that may not do this: 403.
    Forbidden,
    /// What it names does not exist: 404.
    NotFound,
    /// None of the forms it accepts can be served: 406.
    NotAcceptable,
    /// It contradicts what the register holds now: 409.
    Conflict,
    /// Well-formed, but not something that may be decided as asked: 422.
    Invalid,
    /// The gateway's own fault (a stored record it cannot read): 500.
    Internal,
    /// Something the decision needs is not available now (the store, the log, a trust list
    /// in date): 503.
    Unavailable,
}

/// A refused decision: why, in a reason code and in words; and, for a refusal that is a
/// decision in its own right (the caller known, the document read), its log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub class: Class,
    pub reason: String,
    pub detail: String,
    /// Set for refusals that are recorded: [`record`] logs them before they are answered.
    pub entry: Option<Box<Entry>>,
    /// The documents a recorded refusal keeps with its entry ([`Effect::KeepDocument`]).
    pub kept: Vec<Effect>,
}

impl Refusal {
    pub fn new(class: Class, reason: &str, detail: impl Into<String>) -> Self {
        Self { class, reason: reason.into(), detail: detail.into(), entry: None, kept: Vec::new() }
    }

    /// This refusal, keeping the documents of `effects` with its entry when it is recorded.
    pub fn keeping(mut self, effects: &[Effect]) -> Self {
        self.kept.extend(effects.iter().filter(|e| matches!(e, Effect::KeepDocument { .. })).cloned());
        self
    }

    /// This refusal, recorded under `entry` (its verdict becomes `refused`, its reasons
    /// this refusal's reason, its outputs none).
    pub fn logged(mut self, mut entry: Entry) -> Self {
        entry.verdict = "refused".into();
        entry.outputs.clear();
        entry.reasons = vec![self.reason.clone()];
        self.entry = Some(Box::new(entry));
        self
    }

    /// A caller whose role may not ask for this decision: unauthenticated when it showed no
    /// identity at all (credentials are what it lacks), forbidden when it is someone who may
    /// not do this.
    pub fn role(caller: &Caller, detail: &str) -> Self {
        let class = if caller.authenticated() { Class::Forbidden } else { Class::Unauthenticated };
        Self::new(class, "auth.role", detail)
    }

    /// A store error met while deciding: a missing record, a conflict, or the store being
    /// unavailable.
    pub fn store(e: &StoreError) -> Self {
        let class = match e {
            StoreError::NotFound { .. } | StoreError::Conflict { reason: "pt.round_unknown", .. } => Class::NotFound,
            StoreError::Conflict { .. } => Class::Conflict,
            _ => Class::Unavailable,
        };
        Self::new(class, e.code(), e.to_string())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.reason, self.detail)
    }
}

/// A decision made, waiting to be recorded: what the caller is told, the log entry, and the
/// effects on the register that take effect with it or not at all.
#[derive(Debug)]
pub struct Decision<A> {
    pub answer: A,
    pub entry: Entry,
    pub effects: Vec<Effect>,
    /// Whether a conflict the store finds at commit (the register changed since the
    /// decision read it) is itself recorded as a refusal: for decisions on a certificate
    /// (export, recognition, notice). Others (a round defined twice, a racing install) are
    /// answered unrecorded: the caller asked for what the register already settled.
    pub conflicts_recorded: bool,
}

impl<A> Decision<A> {
    /// A decision whose commit conflicts are answered unrecorded.
    pub fn new(answer: A, entry: Entry, effects: Vec<Effect>) -> Self {
        Self { answer, entry, effects, conflicts_recorded: false }
    }

    /// This decision, its commit conflicts recorded as refusals.
    pub fn recording_conflicts(mut self) -> Self {
        self.conflicts_recorded = true;
        self
    }
}

/// A decision's outcome before it is recorded.
pub type Decided<A> = Result<Decision<A>, Refusal>;

/// Refuses a decision under `list` at `now` when the list is out of date (503: a new one
/// is due).
pub fn in_date(list: &TrustList, now: OffsetDateTime) -> Result<(), Refusal> {
    list.in_date(now).map_err(|e| Refusal::new(Class::Unavailable, e.code(), e.to_string()))
}

/// Verifies an enveloped XML signature whose signer chains to `anchors` at `now` (a CB's
/// signed CN XML, a partner's PT document): the gateway's rule, and an audit's.
pub fn verify_xml(
    document: &[u8],
    anchors: &[&[u8]],
    crls: &Crls,
    now: OffsetDateTime,
    limits: &Limits,
) -> Result<crate::crypto::xmldsig::Verified, crate::crypto::xmldsig::DsigError> {
    use crate::crypto::xmldsig::{KeySource, Options, Profile};
    let anchors = crate::recognition::anchors_of(anchors);
    let options = Options {
        key: KeySource::Trusted {
            anchors: &anchors,
            crls: if crls.is_empty() { None } else { Some(crls) },
            at: now.unix_timestamp().max(0) as u64,
        },
        allow_sha1: false,
        profile: Profile::Enveloped,
    };
    crate::crypto::xmldsig::verify(document, limits, &options)
}

/// `sha256:<hex>` of a document, as log entries name their inputs and outputs.
pub fn digest(document: &[u8]) -> String {
    document_digest(document)
}

/// Keeps an input document with the decision's entry, so that an audit can decide again
/// from what the entry names.
pub fn keep(document: &[u8]) -> Effect {
    keep_as(digest(document), document)
}

/// [`keep`] for a document whose [`digest`] the decision already took (for its entry): a
/// large document is hashed once, not once per use (the second hash was 2% of the gateway's
/// CPU per verification).
pub fn keep_as(digest: String, document: &[u8]) -> Effect {
    Effect::KeepDocument { digest, document: document.to_vec() }
}

/// A decision's time: the clock's, to the second. A decision is made at the very time its
/// entry records (which is to the second), so that one made just after a deadline is not
/// logged at the deadline, and an audit deciding it again at the logged time decides it
/// the same.
pub fn to_the_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A time as RFC 3339 to the second, the form every recorded time takes.
/// Unix seconds as [`rfc3339`] writes a time (the number itself when out of range).
pub fn rfc3339_of_unix(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t).map(rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Whether `issuer` is `partner` itself or a CB that `partner` accredits: the bodies a
/// partner may speak for.
pub fn belongs_to(list: &TrustList, issuer: &str, partner: &str) -> bool {
    issuer == partner
        || list.body(issuer).and_then(|p| p.body.as_ref()).and_then(|b| b.accredited_by.as_deref()) == Some(partner)
}

/// The partner's own bodies: itself and the CBs it accredits (see [`belongs_to`]).
pub fn bodies_of<'a>(list: &'a TrustList, partner: &str) -> Vec<&'a str> {
    list.providers
        .iter()
        .filter_map(|p| p.body.as_ref())
        .filter(|b| belongs_to(list, &b.id, partner))
        .map(|b| b.id.as_str())
        .collect()
}
