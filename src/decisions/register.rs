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

    /// The origin an export registers with: the CB's signature makes it `export`; an
    /// unsigned document keeps what the register held (it may change no fact, so it
    /// vouches for nothing new), or is the exporter's word when nothing was held.
    pub fn of_export(cb_signed: bool, held: Option<&str>) -> &'static str {
        match (cb_signed, held) {
            (true, _) => EXPORT,
            (false, None) => EXPORT_UNSIGNED,
            (false, Some(h)) if h == EXPORT_UNSIGNED => EXPORT_UNSIGNED,
            (false, Some(h)) if h == RECOGNITION => RECOGNITION,
            (false, Some(_)) => EXPORT,
        }
    }
}

/// The document a certificate is registered as, however it came (an export, a
/// recognition): its CN XML, as rendered from the certificate read.
pub fn registered_as(cert: &crate::model::Certificate) -> crate::formats::Rendered {
    crate::formats::render(crate::formats::Format::CnXml, cert)
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
        Some(s) => (
            Registered::Status(s),
            Some(HeldDocument {
                document: record.document.clone(),
                exporters_word: record.origin == origin::EXPORT_UNSIGNED,
                registered_at: time::OffsetDateTime::parse(
                    &record.recorded_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok(),
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
}
