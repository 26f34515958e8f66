//! The register as a recognition decision reads it: the store's current status of a
//! certificate ([`StoreRegister`]), or only what the store holds in memory
//! ([`MemoryRegister`], for deciding on a connection's own thread without blocking).

use crate::model::Status;
use crate::recognition::{HeldDocument, Registered, StatusSource};
use crate::store::Store;

/// Where a registered certificate's facts come from (the register's `origin`, shown by a
/// look-up). The one rule that reads it: a CB-signed document always replaces facts an
/// exporter registered unsigned ([`crate::decisions::export::may_register`]), so a granted
/// exporter's word never stands against its certificate body's signature.
pub mod origin {
    /// A domestic certificate registered from a document its CB signed.
    pub const EXPORT: &str = "export";
    /// A domestic certificate registered from an unsigned document under an exporter's
    /// grant: its facts are the exporter's word until its CB's signed document comes.
    pub const EXPORT_UNSIGNED: &str = "export-unsigned";
    /// A foreign certificate recognized from its CB's signed document.
    pub const RECOGNITION: &str = "recognition";
    /// A certificate the register holds the status of alone: its body's signed notice came
    /// before any export or recognition of it ([`super::status_only`]). It has no document,
    /// so it states no facts and vouches for none; an export or a recognition registers its
    /// facts under the status the notices gave it, and never revives it.
    pub const NOTICE: &str = "notice";

    /// The origin an export registers with: the CB's signature makes it `export`; an
    /// unsigned document keeps what the register held (it may change no fact, so it
    /// vouches for nothing new), or is the exporter's word when nothing was held.
    pub fn of_export(cb_signed: bool, held: Option<&str>) -> &'static str {
        match (cb_signed, held) {
            (true, _) => EXPORT,
            (false, None) => EXPORT_UNSIGNED,
            (false, Some(h)) if h == NOTICE => EXPORT_UNSIGNED,
            (false, Some(h)) if h == EXPORT_UNSIGNED => EXPORT_UNSIGNED,
            (false, Some(h)) if h == RECOGNITION => RECOGNITION,
            (false, Some(_)) => EXPORT,
        }
    }
}

/// The record a notice makes of a certificate the register does not hold: its status alone
/// (origin [`origin::NOTICE`], no document), as of `at`, the notice's decision time. Both
/// stores write it inside the notice's transaction, and an audit makes the same.
pub fn status_only(issuer: &str, number: &str, status: &str, at: &str) -> crate::store::CertificateRecord {
    crate::store::CertificateRecord {
        issuer: issuer.into(),
        number: number.into(),
        holder_credit_code: None,
        origin: origin::NOTICE.into(),
        status: status.into(),
        document: Vec::new(),
        recorded_at: at.into(),
        signer: None,
    }
}

/// Whether a certificate the register holds as `origin` with `status` is suspended when a
/// number of its CB that reads as its number ([`crate::ids::number_skeleton`]) is first
/// registered by anything but an exporter's word — its CB's signed document, its body's
/// notice (rule set 26): it is the exporter's word, held valid — or held suspended, its
/// suspension then restated by the gateway (rule set 27), so that a restoration its body
/// signed before is stale ([`suspended_by_gateway`]; found by attack: a word its body had
/// suspended got no event of the gateway's, and the body's earlier restoration, held back,
/// made it valid beside the number it reads as). The rule the gateway decides by, the
/// stores hold a write to ([`crate::store::Effect::SuspendLookAlikes`]) and an audit replays.
pub fn suspended_by_look_alike(origin: &str, status: &str) -> bool {
    origin == origin::EXPORT_UNSIGNED && (status == Status::Valid.as_str() || status == Status::Suspended.as_str())
}

/// The numbers among `look_alikes` (of one number, [`crate::store::Store::look_alikes`]) a
/// first registration of it suspends ([`suspended_by_look_alike`]), in order: what the
/// decision names and the store holds its write to.
pub fn suspended_among(look_alikes: &[crate::store::LookAlike]) -> Vec<String> {
    let suspended = look_alikes.iter().filter(|l| suspended_by_look_alike(&l.origin, &l.status));
    suspended.map(|l| l.number.clone()).collect()
}

/// How the reference of the gateway's status event suspending an exporter's word begins
/// ([`first_registration`]); the decision that registered the look-alike follows.
pub const LOOK_ALIKE: &str = "look-alike:";

/// The numbers beside an exporter's `word` that the rules of sets 26 and 27 did not meet:
/// each first registered after the gateway last suspended the word for a look-alike (or
/// with no such suspension at all), in order. Rule set 26 suspends the word when a number
/// beside it is first registered, in the same commit, so a number it met is never after
/// that suspension; one registered before rule set 26, or beside a word its body had
/// suspended before rule set 27, is. Positions, not times: a number's facts may change and
/// its registration time with them (that would sweep again a word its body restored after
/// the gateway's suspension), and a notice's event is dated by the body. A number with no
/// place of first registration (no status event: a store repaired by hand) is met by any
/// suspension of the gateway's, so that a sweep meets it once and for all (found by
/// review: never met, it was swept again at every start, undoing its body's restoration).
pub fn unmet(word: &crate::store::LookAlikeWord) -> Vec<&crate::store::LookAlikeAt> {
    let met = |first: Option<u64>| match (word.suspended, first) {
        (Some(s), Some(f)) => s >= f,
        (Some(_), None) => true,
        (None, _) => false,
    };
    word.look_alikes.iter().filter(|n| !met(n.first)).collect()
}

/// The exporter's words the gateway's sweep suspends (rule set 28,
/// [`crate::decisions::sweep`]): each that [`suspended_by_look_alike`] would suspend, beside
/// a number [`unmet`] gives — in order, as (issuer, number). After it, none is left: the
/// sweep's own suspension comes after every number's first registration. Two words that
/// read alike are both swept: rule set 26 would have refused the later one, and which one
/// an exporter planted is not for the register to tell (their bodies may restore either).
pub fn swept(words: &[crate::store::LookAlikeWord]) -> Vec<(String, String)> {
    words.iter().filter(|w| is_swept(w)).map(|w| (w.issuer.clone(), w.number.clone())).collect()
}

/// Whether [`swept`] sweeps `word`.
pub fn is_swept(word: &crate::store::LookAlikeWord) -> bool {
    suspended_by_look_alike(origin::EXPORT_UNSIGNED, &word.status) && !unmet(word).is_empty()
}

/// The reference of the gateway's status event suspending an exporter's word in a sweep
/// ([`crate::decisions::sweep`]): a look-alike suspension ([`LOOK_ALIKE`]), so a body's
/// restoration is held to it as to any ([`suspended_by_gateway`]).
pub const SWEPT: &str = "look-alike:sweep";

/// When the gateway itself last suspended a certificate, from its status `events`: the
/// `since` of the last of its look-alike suspensions ([`first_registration`]), in seconds
/// since 1970 — what a body's restoration must be signed after (rule set 27,
/// [`crate::notice::admit`]). The stores and an audit read it so. A time that does not
/// read is taken as the latest there is: no restoration lifts a suspension of unknown time.
pub fn suspended_by_gateway<'a>(events: impl IntoIterator<Item = &'a crate::store::StatusEvent>) -> Option<i64> {
    let times =
        events.into_iter().filter(|e| e.actor == super::status_list::ACTOR && e.reference.starts_with(LOOK_ALIKE));
    let read = |since: &str| time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339);
    times.map(|e| read(&e.since).map_or(i64::MAX, |t| t.unix_timestamp())).max()
}

/// What a first registration of `issuer`/`number` by anything but an exporter's word (its
/// CB's signed document, its body's notice, a partner's recognition) does beside it, by the
/// decision `registered_by` (`export:<id>`, `notice:<digest>`, `recognition:<id>`) at `at`:
/// it suspends the certificates [`suspended_by_look_alike`] gives, as the register holds
/// them now — none, often — and its write is held to exactly those
/// ([`crate::store::Effect::SuspendLookAlikes`]), so that the exporter's word on a
/// look-alike committed meanwhile is met at commit (found by review: pushed only when some
/// were read, a word export landing between the read and the commit stayed valid). The
/// status event names the decision, not the number: a suspended certificate's public
/// look-up must not list its CB's numbers to an exporter that planted look-alikes.
pub fn first_registration(
    store: &dyn Store,
    issuer: &str,
    number: &str,
    registered_by: &str,
    at: String,
) -> Result<crate::store::Effect, crate::store::StoreError> {
    let suspended = suspended_among(&store.look_alikes(issuer, number)?);
    let event = crate::store::StatusEvent {
        status: Status::Suspended.as_str().into(),
        since: at,
        actor: super::status_list::ACTOR.into(),
        reference: format!("{LOOK_ALIKE}{registered_by}"),
    };
    Ok(crate::store::Effect::SuspendLookAlikes { issuer: issuer.into(), number: number.into(), suspended, event })
}

/// Whether the register holds a certificate's facts, not only its status
/// ([`origin::NOTICE`]): what an export, a recognition and a verification compare facts with.
pub fn holds_facts(record: &crate::store::CertificateRecord) -> bool {
    record.origin != origin::NOTICE
}

/// The limits a registered document (or its rendering) is read again under: the default ones
/// but for its own length, which the register accepted once — a lower body limit
/// configured since, or another on an auditor's machine, must not decide otherwise.
pub fn read_as_accepted(bytes: &[u8]) -> crate::xml::Limits {
    crate::xml::Limits { max_bytes: bytes.len().max(crate::xml::Limits::default().max_bytes), ..Default::default() }
}

/// Whether two registered documents (CN XML) state the same facts of their certificate
/// ([`crate::model::Certificate::changed_facts`]: not its status, which notices change). A
/// registration that changes no fact keeps the time the facts were first registered (a
/// retried recognition, a re-export, a status stated otherwise), which vouches for a
/// certificate dated before its accreditor's suspension
/// ([`crate::recognition::HeldDocument::registered_at`]): the gateway's rule when it
/// registers ([`recorded_since`]), and the audit's when it registers again.
pub fn same_facts(registered: &[u8], document: &[u8]) -> bool {
    let read =
        |bytes: &[u8]| crate::formats::parse(crate::formats::Format::CnXml, bytes, &read_as_accepted(bytes)).ok();
    // The same bytes (a re-export, a retry) are read once: the same facts, if they read.
    if registered == document {
        return read(document).is_some();
    }
    match (read(registered), read(document)) {
        (Some(a), Some(b)) => a.changed_facts(&b).is_empty(),
        _ => false,
    }
}

/// Whether a registration of `document` (CN XML) over `registered` changes the facts the
/// register holds of its certificate as a UNTP credential states them. The credentials
/// exported of the facts it held then state what it holds no longer: `/v1/verify` refuses
/// them (`register.superseded`), and their status-list slot is superseded with them
/// ([`crate::store::Effect::SupersedeStatusSlot`], rule set 24), by an export and a
/// recognition alike. Asked as the verification asks it
/// ([`crate::recognition::exports_superseded`]): a change only to facts a credential does
/// not carry (a holder's English address, sectors) leaves its credentials in force, and its
/// slot (found by review: such a change revoked a credential `/v1/verify` still found valid).
/// A status alone (its body's notices) states no fact a credential does.
pub fn supersedes(registered: Option<&crate::store::CertificateRecord>, document: &[u8]) -> bool {
    registered.is_some_and(|r| {
        holds_facts(r)
            && !same_facts(&r.document, document)
            && crate::recognition::exports_superseded(crate::formats::Format::UntpDcc, &r.document, document)
    })
}

/// The `recorded_at` of a registration of `document` made `now` over `registered`: the time
/// it holds when the facts are the same ([`same_facts`]), else `now` (found by review: a
/// retried recognition or a re-export during a suspension took the vouching away).
pub fn recorded_since(registered: Option<&crate::store::CertificateRecord>, document: &[u8], now: String) -> String {
    match registered {
        Some(r) if same_facts(&r.document, document) => r.recorded_at.clone(),
        _ => now,
    }
}

/// When the register recognized a certificate's facts as they are (its `recorded_at`);
/// `None` when that does not read, which vouches for nothing.
pub fn registered_at(record: &crate::store::CertificateRecord) -> Option<time::OffsetDateTime> {
    registered_at_str(&record.recorded_at)
}

/// [`registered_at`] of a `recorded_at` as stored.
pub fn registered_at_str(recorded_at: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(recorded_at, &time::format_description::well_known::Rfc3339).ok()
}

/// The document a certificate is registered as, however it came (an export, a
/// recognition): its CN XML, as rendered from the certificate read.
pub fn registered_as(cert: &crate::model::Certificate) -> crate::formats::Rendered {
    crate::formats::render(crate::formats::Format::CnXml, cert)
}

/// The documents the gateway exported of a certificate, by digest: the only documents its
/// own signature stands for (rule set 20). A document the gateway's key signed outside its
/// exports — by the key's holder (`mrgate sign`), by another deployment sharing the key, or
/// before a store was reset — is no export of this register's, whatever facts it states.
/// The gateway's rule when it verifies ([`crate::recognition`]), and an audit's replaying
/// the log, which holds the same set per certificate.
pub mod exported {
    use crate::ledger::entry::document_digest;

    /// The digests an export's output `document` is registered by
    /// ([`crate::store::Effect::RecordExported`]): as the gateway made it, and without the
    /// white space around it (`jq -r` adds a line feed; XML and a compact JWS read the same
    /// without it). The first is the one its log entry names as an output.
    pub fn digests(document: &[u8]) -> Vec<String> {
        let made = document_digest(document);
        let trimmed = document.trim_ascii();
        match trimmed.len() == document.len() {
            true => vec![made],
            false => vec![made, document_digest(trimmed)],
        }
    }

    /// The digests by which `document`, as it was presented, may be one of the exported
    /// documents: the very bytes, the bytes without the white space around them, and the
    /// compact JWS read from them ([`crate::recognition::compact_jws`]) — each of which the
    /// gateway reads as the same document — each reading once, when it is other bytes than
    /// the one before it. The register answers whether it holds any
    /// ([`crate::recognition::StatusSource::exported`]).
    pub fn readings(document: &[u8]) -> Vec<String> {
        let trimmed = document.trim_ascii();
        let mut readings = vec![document_digest(document)];
        if trimmed.len() != document.len() {
            readings.push(document_digest(trimmed));
        }
        if let Some(token) = crate::recognition::compact_jws(document).filter(|t| t.len() != trimmed.len()) {
            readings.push(document_digest(token.as_bytes()));
        }
        readings
    }
}

/// The register's status of certificates the gateway knows, for recognition decisions.
pub struct StoreRegister<'a>(pub &'a dyn Store);

impl std::fmt::Debug for StoreRegister<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreRegister")
    }
}

/// A stored version as the register's answer (a status that does not read is no answer),
/// with its document.
fn registered(view: &crate::store::CertificateView) -> (Registered, Option<HeldDocument>) {
    let record = &view.record;
    match Status::parse(&record.status) {
        Some(s) if !holds_facts(record) => (Registered::Status(s), None),
        Some(s) => (
            Registered::Status(s),
            Some(HeldDocument {
                document: record.document.clone(),
                exporters_word: record.origin == origin::EXPORT_UNSIGNED,
                registered_at: registered_at(record),
                signer: record.signer.clone(),
            }),
        ),
        None => (Registered::Unavailable(format!("stored status '{}' is not a status", record.status)), None),
    }
}

impl StatusSource for StoreRegister<'_> {
    fn current(&self, issuer: &str, number: &str) -> (Registered, Option<HeldDocument>) {
        // The view, shared: the record's copy would copy its document twice.
        match self.0.certificate_view(issuer, number) {
            Ok(Some(v)) => registered(&v),
            Ok(None) => (Registered::NotHeld, None),
            Err(e) => (Registered::Unavailable(e.to_string()), None),
        }
    }

    fn exported(&self, issuer: &str, number: &str, readings: &[String]) -> Result<bool, String> {
        self.0.exported_any(issuer, number, readings).map_err(|e| e.to_string())
    }
}

/// The register as far as the store's memory knows it, for deciding without blocking; notes
/// when it could not tell (the decision must then be made again with [`StoreRegister`]).
pub struct MemoryRegister<'a> {
    store: &'a dyn Store,
    missed: std::cell::Cell<bool>,
}

impl<'a> MemoryRegister<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store, missed: std::cell::Cell::new(false) }
    }

    /// Whether some answer needed the database.
    pub fn missed(&self) -> bool {
        self.missed.get()
    }
}

impl std::fmt::Debug for MemoryRegister<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryRegister")
    }
}

impl StatusSource for MemoryRegister<'_> {
    fn current(&self, issuer: &str, number: &str) -> (Registered, Option<HeldDocument>) {
        match self.store.cached_certificate_view(issuer, number) {
            crate::store::InMemory::Version(v) => registered(&v),
            crate::store::InMemory::Absent => (Registered::NotHeld, None),
            crate::store::InMemory::Unknown => {
                self.missed.set(true);
                (Registered::Unavailable("not in memory".into()), None)
            }
        }
    }

    fn exported(&self, issuer: &str, number: &str, readings: &[String]) -> Result<bool, String> {
        self.store.exported_in_memory(issuer, number, readings).ok_or_else(|| {
            self.missed.set(true);
            "not in memory".to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{recorded_since, registered_as, same_facts, swept, unmet};
    use crate::store::{LookAlikeAt, LookAlikeWord};

    fn word(number: &str, status: &str, suspended: Option<u64>, beside: &[(&str, Option<u64>)]) -> LookAlikeWord {
        let at = |(n, first): &(&str, Option<u64>)| LookAlikeAt {
            number: n.to_string(),
            origin: "export".into(),
            status: "valid".into(),
            first: *first,
        };
        LookAlikeWord {
            issuer: "CNCA-R-2002-001".into(),
            number: number.into(),
            status: status.into(),
            suspended,
            look_alikes: beside.iter().map(at).collect(),
        }
    }

    /// A number is met by the gateway's suspension of the word at or after its first
    /// registration (rule set 26 writes both in one commit, the number first); one
    /// registered after it, one beside a word never suspended, one with no place, is not.
    /// Only words in force are swept, in order; a word met by every number is not.
    #[test]
    fn a_word_is_swept_beside_a_number_registered_after_the_gateways_suspension() {
        let numbers = |w: &LookAlikeWord| unmet(w).iter().map(|n| n.number.clone()).collect::<Vec<_>>();
        assert_eq!(numbers(&word("A-OO1", "valid", Some(7), &[("A-001", Some(6))])), Vec::<String>::new());
        assert_eq!(numbers(&word("A-OO1", "valid", Some(7), &[("A-001", Some(7))])), Vec::<String>::new());
        assert_eq!(numbers(&word("A-OO1", "valid", Some(7), &[("A-001", Some(8))])), ["A-001"]);
        assert_eq!(numbers(&word("A-OO1", "valid", None, &[("A-001", Some(1))])), ["A-001"]);
        assert_eq!(numbers(&word("A-OO1", "valid", Some(7), &[("A-001", None)])), Vec::<String>::new());
        assert_eq!(numbers(&word("A-OO1", "valid", None, &[("A-001", None)])), ["A-001"]);
        let both = word("A-OO1", "suspended", Some(7), &[("A-001", Some(3)), ("A-0O1", Some(9))]);
        assert_eq!(numbers(&both), ["A-0O1"]);
        let words = [
            word("A-OO1", "valid", Some(7), &[("A-001", Some(3))]),
            word("B-OO1", "suspended", Some(7), &[("B-001", Some(9))]),
            word("C-OO1", "withdrawn", None, &[("C-001", Some(1))]),
            word("D-OO1", "cancelled", None, &[("D-001", Some(1))]),
            word("E-OO1", "valid", None, &[("E-001", Some(1))]),
            word("F-OO1", "expired", None, &[("F-001", Some(1))]),
            word("G-OO1", "", None, &[("G-001", Some(1))]),
        ];
        let key = |n: &str| ("CNCA-R-2002-001".to_string(), n.to_string());
        assert_eq!(swept(&words), [key("B-OO1"), key("E-OO1")]);
        assert_eq!(swept(&[]), []);
    }
    use crate::formats::{Format, parse};
    use crate::store::CertificateRecord;

    fn fixture() -> crate::model::Certificate {
        let xml = include_bytes!("../../tests/data/cn-qms.xml");
        parse(Format::CnXml, xml, &crate::xml::Limits::default()).expect("fixture")
    }

    /// A registration changing no fact keeps the time the facts were first registered — the
    /// same document again, or one stating another status — and one changing a fact takes
    /// its own; a document that does not read is no same fact (found by review: a retried
    /// recognition or a re-export during a suspension took the vouching away).
    #[test]
    fn a_registration_keeps_its_time_while_its_facts_stay() {
        let cert = fixture();
        let first = registered_as(&cert).bytes;
        let mut suspended = cert.clone();
        suspended.status = crate::model::Status::Suspended;
        let mut rescoped = cert.clone();
        rescoped.scope_en = Some("Another scope".into());
        let record = CertificateRecord {
            issuer: cert.issuer_id().into(),
            number: cert.number.as_str().into(),
            holder_credit_code: None,
            origin: super::origin::RECOGNITION.into(),
            status: "valid".into(),
            document: first.clone(),
            recorded_at: "2026-01-01T00:00:00Z".into(),
            signer: None,
        };
        let now = || "2026-04-01T00:00:00Z".to_string();
        assert_eq!(recorded_since(Some(&record), &first, now()), "2026-01-01T00:00:00Z");
        assert_eq!(recorded_since(Some(&record), &registered_as(&suspended).bytes, now()), "2026-01-01T00:00:00Z");
        assert_eq!(recorded_since(Some(&record), &registered_as(&rescoped).bytes, now()), "2026-04-01T00:00:00Z");
        assert_eq!(recorded_since(None, &first, now()), "2026-04-01T00:00:00Z");
        assert!(!same_facts(b"<not-a-certificate/>", &first));
        assert!(!same_facts(&first, b""));
    }

    /// An exported document is registered by its digest as made and, when white space
    /// surrounds it, without; it is the same document presented as made, with white space
    /// around it, or (a credential) with Unicode white space around its compact form — and
    /// no other: a byte changed, white space inside it, nothing registered.
    #[test]
    fn an_export_is_known_by_its_bytes_with_or_without_the_white_space_around_them() {
        use super::exported::{digests, readings};
        use crate::ledger::entry::document_digest as digest;
        let includes = |held: &[String], presented: &[u8]| readings(presented).iter().any(|r| held.contains(r));
        let xml = b"<Certificate>\n  <Number>1</Number>\n</Certificate>\n";
        assert_eq!(digests(xml), [digest(xml), digest(xml.trim_ascii())]);
        let jws = b"eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln";
        assert_eq!(digests(jws), [digest(jws)]);
        let mut held: Vec<String> = [digests(xml), digests(jws)].concat();
        held.sort();
        for presented in [
            &xml[..],
            xml.trim_ascii(),
            b"\r\n<Certificate>\n  <Number>1</Number>\n</Certificate>",
            jws,
            b"eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln\n",
            "\u{3000}eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln\u{a0}".as_bytes(),
        ] {
            assert!(includes(&held, presented), "{}", String::from_utf8_lossy(presented));
        }
        for other in [
            &b"<Certificate>\n  <Number>2</Number>\n</Certificate>\n"[..],
            b"<Certificate>\n <Number>1</Number>\n</Certificate>\n",
            b"eyJhbGciOiJFUzI1NiJ9.eyJ9.c2lo",
            b"eyJhbGciOiJFUzI1NiJ9 .eyJ9.c2ln",
            b"",
        ] {
            assert!(!includes(&held, other), "{}", String::from_utf8_lossy(other));
        }
        assert!(!includes(&[], jws), "nothing exported");
        // Each reading once, in order, when it is other bytes than the one before it.
        assert_eq!(readings(jws), [digest(jws)]);
        assert_eq!(readings(xml), [digest(xml), digest(xml.trim_ascii())]);
        let spaced = "\u{3000}eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln\n";
        let trimmed = "\u{3000}eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln";
        assert_eq!(readings(spaced.as_bytes()), [digest(spaced.as_bytes()), digest(trimmed.as_bytes()), digest(jws)]);
    }
}
