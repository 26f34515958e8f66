//! Exports decided again, and what they made checked: the kept CN XML (and the grant an
//! unsigned one was exported under) through the gateway's own export rule
//! ([`crate::decisions::export::judge`]), then each output the entry names held against
//! what the rules make of the certificate, signed by the gateway at the decision's time.
//!
//! What it must never do: take an output's signature for its content (a document the
//! gateway signed is checked byte for byte against the rendering all the same), or accept
//! an output that is not one of the export's formats.

use super::{Walk, entry_time};
use crate::crypto::keys::PublicKey;
use crate::crypto::{jws, xmldsig};
use crate::decisions::Grant;
use crate::decisions::export::{self, Grounds};
use crate::formats::{self, Format};
use crate::ledger::entry::Entry;
use crate::model::Certificate;
use crate::status_list::Slot;

impl Walk<'_, '_> {
    /// An export decided again under the trust list it names, at its time, over the
    /// register as the log made it. Exported, it registers the certificate.
    pub(super) fn export(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        if !matches!(entry.verdict.as_str(), "exported" | "refused") {
            let detail = format!("'{}' is no verdict of an export", entry.verdict);
            return self.disagree(index, &kind, "audit.verdict", detail);
        }
        if entry.verdict != "exported" && !entry.outputs.is_empty() {
            return self.disagree(index, &kind, "audit.entry", "a refused export names outputs".into());
        }
        self.outputs_logged(&entry.outputs);
        let (input, granted) = match entry.inputs.as_slice() {
            [input] => (input, None),
            [input, grant] => (input, Some(grant)),
            inputs => {
                let detail = format!("{} inputs, an export has its document and perhaps a grant", inputs.len());
                return self.disagree(index, &kind, "audit.entry", detail);
            }
        };
        let Some(document) = self.document(index, &kind, input) else { return };
        let grant = match granted {
            None => None,
            Some(digest) => {
                let Some(bytes) = self.document(index, &kind, digest) else { return };
                match Grant::read(&bytes) {
                    Ok(g) => {
                        self.grant_named(index, digest, &g);
                        Some(g)
                    }
                    Err(why) => return self.disagree(index, &kind, "audit.document", why),
                }
            }
        };
        // A grant is named for an unsigned document only, and is the grant of the exporter
        // logged (under its name). Without one, an unsigned document is decided refused: a
        // gateway cannot export unsigned without naming the grant that allowed it. (An
        // exporter certificate without a grant is logged as `exporter:<hash>`, so the
        // absence of a grant alone says nothing.)
        let signed = export::cb_signed(&document);
        let shape = match &grant {
            Some(_) if signed => Some("a CB-signed export names a grant".to_string()),
            Some(g) if entry.actor.strip_prefix("exporter:") != Some(g.name.as_str()) => {
                Some(format!("the grant of '{}' names an export by '{}'", g.name, entry.actor))
            }
            _ => None,
        };
        if let Some(detail) = shape {
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        let cert = match formats::parse(Format::CnXml, &document, &self.audit.limits) {
            Ok(cert) => cert,
            Err(e) => {
                // The gateway answers a document that does not read without logging it.
                let detail = format!("the exported document does not read: [{}] {e}", e.code());
                return self.disagree(index, &kind, "audit.document", detail);
            }
        };
        let Some(list) = self.named_list(index, entry) else { return };
        let Some(table) = self.named_table(index, entry) else { return };
        let time = entry_time(entry);
        if let Err(r) = crate::decisions::in_date(&list, time) {
            let detail = format!("logged under a trust list out of date (the gateway answers 503 unlogged): {r}");
            return self.disagree(index, &kind, "audit.rules", detail);
        }
        let held = self.register.record(cert.issuer_id(), cert.number.as_str());
        // Read for a number the exporter's word would register, and for a first registration
        // (its CB's signed document), which suspends the exporter's word on them.
        let on_word = export::on_word(signed, held.as_ref());
        let look_alikes = match on_word || held.is_none() {
            true => self.register.look_alikes(cert.issuer_id(), cert.number.as_str()),
            false => Vec::new(),
        };
        let certificate = (cert.issuer_id().to_string(), cert.number.as_str().to_string());
        let crls = self.crls();
        let grounds = Grounds {
            list: &list,
            table: &table.table,
            crls: &crls.crls,
            now: time,
            limits: &self.audit.limits,
            grant: grant.as_ref(),
            actor: &entry.actor,
            registered: held.as_ref(),
            look_alikes: if on_word { &look_alikes } else { &[] },
        };
        let judged = export::judge(&document, cert, &grounds);
        let (decided, reasons) = match &judged {
            Ok(j) => ("exported", vec![j.reason.to_string()]),
            Err(refusal) => ("refused", vec![refusal.reason.clone()]),
        };
        if self.raced(entry, Some((&certificate.0, &certificate.1)), &look_alikes, decided, &reasons) {
            return;
        }
        if decided != entry.verdict || reasons != entry.reasons {
            let detail = format!("logged {} {:?}, decided again {decided} {reasons:?}", entry.verdict, entry.reasons);
            return self.disagree(index, &kind, "audit.verdict", detail);
        }
        let Ok(judged) = judged else {
            self.report.re_derived += 1;
            return;
        };
        // The export decided again as logged registers the certificate, whatever its
        // outputs turn out to be: a bad output is its own disagreement, not every later
        // decision's on that certificate. The gateway's signature stands only for outputs
        // that are what the rules make.
        // Other facts than the register holds supersede the slot of the credentials exported
        // of those, before this export's credential names its own (as the export's effects).
        let registered = crate::decisions::register::registered_as(&judged.cert).bytes;
        if crate::decisions::register::supersedes(held.as_ref(), &registered) {
            self.slots.supersede(judged.cert.issuer_id(), judged.cert.number.as_str());
        }
        let made = self.outputs(index, entry, &judged.cert);
        let cert = judged.cert;
        let origin = crate::decisions::register::origin::of_export(signed, held.as_ref().map(|h| h.origin.as_str()));
        // The CB's signer, or the one its unsigned word leaves in place, as the export keeps it.
        let signer = judged
            .signer
            .clone()
            .map(|certificate| crate::store::RegisteredSigner { certificate, registered_at: entry.time.clone() });
        let (issuer, number) = (cert.issuer_id(), cert.number.as_str());
        self.register.put((issuer, number), Some(cert.status), registered, (origin, signer), time);
        // Registered first by its CB's signed document: the exporter's word on a number that
        // reads as it is suspended, as the export's effects do.
        if !on_word && held.is_none() {
            self.register.suspend_look_alikes(issuer, number, time);
        }
        match made {
            Ok(exported) => {
                self.register.exported((cert.issuer_id(), cert.number.as_str()), exported);
                self.report.re_derived += 1;
            }
            Err(Some(detail)) => self.disagree(index, &kind, "audit.output", detail),
            Err(None) => {}
        }
    }

    /// Notes that entry `index` names `grant` (kept as `digest`), for the report.
    fn grant_named(&mut self, index: u64, digest: &str, grant: &Grant) {
        let grants = &mut self.report.grants;
        // Found by digest, not by a search of the report: a log may name a new grant with
        // every export.
        match self.grant_at.get(digest).and_then(|&at| grants.get_mut(at)) {
            Some(named) => {
                named.last = index;
                named.entries += 1;
            }
            None => {
                self.grant_at.insert(digest.to_string(), grants.len());
                grants.push(super::GrantNamed {
                    name: grant.name.clone(),
                    digest: digest.to_string(),
                    holders: grant.holders.iter().cloned().collect(),
                    bodies: grant.bodies.iter().cloned().collect(),
                    first: index,
                    last: index,
                    entries: 1,
                })
            }
        }
    }

    /// Notes the outputs an export logged as made names, by the digests the register keeps
    /// them by where their kept documents read (quietly: [`Walk::outputs`] notes what does
    /// not), so that the register's documents are held to what the log names even of an
    /// export that disagrees.
    fn outputs_logged(&mut self, outputs: &[String]) {
        for digest in outputs {
            use crate::decisions::register::exported;
            let digests = match self.documents.get(digest) {
                Some(d) => exported::digests(&d),
                None => match self.source.kept_document(digest) {
                    Ok(Some(d)) if crate::crypto::sha256_hex(&d) == *digest => {
                        let digests = exported::digests(&d);
                        // Kept for `outputs`, which reads it next, as `Walk::document` keeps it.
                        if d.len() <= super::CACHED_DOCUMENT_BYTES {
                            self.documents.put(digest, std::sync::Arc::new(d));
                        }
                        digests
                    }
                    // `outputs` notes what cannot be read, once.
                    _ => vec![digest.clone()],
                },
            };
            self.register.outputs_logged(digests);
        }
    }

    /// Each output of an export is one of its formats, once: the rendering of `cert`, the
    /// signed ones signed by the gateway at the decision's time, the credential's receipt
    /// link an export id no other export has; the digests the register keeps them by
    /// ([`crate::decisions::register::exported::digests`]). `Err(None)` when an output could not be read (the
    /// disagreement or the failure is noted already).
    fn outputs(&mut self, index: u64, entry: &Entry, cert: &Certificate) -> Result<Vec<String>, Option<String>> {
        if entry.outputs.is_empty() {
            return Err(Some("an export that made no document".into()));
        }
        let mut made = Vec::new();
        let mut exported = Vec::new();
        for digest in &entry.outputs {
            let document = self.document(index, &entry.kind, digest).ok_or(None)?;
            exported.extend(crate::decisions::register::exported::digests(&document));
            let (format, id, slot) =
                self.output(&document, cert, &entry.time).map_err(|why| Some(format!("{digest}: {why}")))?;
            if let Some(slot) = slot {
                self.slots.hold(cert, slot).map_err(|why| Some(format!("{digest}: {why}")))?;
            }
            if made.contains(&format) {
                return Err(Some(format!("two {format} documents")));
            }
            if let Some(id) = id
                && !self.receipt_ids.insert(id.clone())
            {
                return Err(Some(format!("{digest}: export id {id} is another export's")));
            }
            made.push(format);
        }
        Ok(exported)
    }

    /// Which of the export's formats `document` is, checked to be what the rules make of
    /// `cert` and, when signed, signed by the gateway at `signed_at`; with a credential,
    /// the export id its receipt link names.
    fn output(
        &self,
        document: &[u8],
        cert: &Certificate,
        signed_at: &str,
    ) -> Result<(Format, Option<String>, Option<Slot>), String> {
        let text = std::str::from_utf8(document).map_err(|_| "not UTF-8".to_string())?;
        if text.starts_with('<') {
            let expected = formats::render(Format::IafXml, cert).bytes;
            let expected = std::str::from_utf8(&expected).map_err(|_| "the rendering is not UTF-8".to_string())?;
            self.gateway_xml(document, expected, signed_at, "the IAF XML the rules make of the certificate")?;
            return Ok((Format::IafXml, None, None));
        }
        if text.starts_with('{') {
            if document != formats::render(Format::IafJson, cert).bytes {
                return Err("not the IAF JSON the rules make of the certificate".into());
            }
            return Ok((Format::IafJson, None, None));
        }
        let parsed = jws::parse(text).map_err(|e| format!("neither XML, JSON nor a JWS: {e}"))?;
        // Exactly the compact form the gateway writes: nothing around it.
        if text.trim() != text {
            return Err("a credential with text around its compact form".into());
        }
        // The one part the rules do not make: the export's id in its receipt link.
        let payload: serde_json::Value =
            serde_json::from_slice(&parsed.payload).map_err(|e| format!("the credential: {e}"))?;
        let link = payload
            .get("credentialSubject")
            .and_then(|s| s.get("auditableEvidence"))
            .ok_or("a credential without its receipt link")?;
        let (base, id) = link
            .get("linkURL")
            .and_then(|u| u.as_str())
            .and_then(|u| u.rsplit_once("/v1/receipts/"))
            .ok_or("a credential without its receipt link")?;
        let well_formed = id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed || *link != export::receipt_link(base, id) {
            return Err("a receipt link not as the gateway makes it".into());
        }
        let bases = &self.audit.public_bases;
        if !bases.is_empty() && !bases.iter().any(|b| b == base) {
            return Err(format!("a receipt link to {base}, not to the gateway ({})", bases.join(", ")));
        }
        let gateway = crate::crypto::did::did_of(base).ok();
        // The other part the rules do not make: the certificate's status-list slot, drawn
        // at random (held to one slot per certificate and certificate per slot by the
        // caller).
        let slot = match payload.get("credentialStatus") {
            Some(status) => {
                Some(Slot::of_entries(status, base).ok_or("a credentialStatus not as the gateway makes it")?)
            }
            None => None,
        };
        let status = slot.map(|s| s.entries(base));
        let expected = export::credential_payload(
            &formats::render(Format::UntpDcc, cert).bytes,
            link,
            gateway.as_deref(),
            status.as_ref(),
        )
        .and_then(|v| serde_json::to_vec(&v).ok())
        .ok_or("the rendering is no credential")?;
        if expected != parsed.payload {
            return Err("not the UNTP credential the rules make of the certificate".into());
        }
        // Header and payload exactly as the gateway writes them, signed by its key.
        let signed_as_the_gateway = self.gateway_signers().any(|(key, chain)| {
            let kid = export::credential_kid(base, key);
            jws::credential_signing_input(&expected, key.kind.signing_algorithm(), chain, kid.as_deref())
                .is_ok_and(|input| input == parsed.signing_input)
                && jws::verify_signature(&parsed, key).is_ok()
        });
        if !signed_as_the_gateway {
            return Err("a credential not signed as the gateway signs, with any of its chains".into());
        }
        Ok((Format::UntpDcc, Some(id.to_string()), slot))
    }

    /// The gateway's signing keys (read once, with the walk), each with its chain.
    fn gateway_signers(&self) -> impl Iterator<Item = (&PublicKey, &[rustls::pki_types::CertificateDer<'static>])> {
        self.gateway_keys.iter().map(|(key, at)| (key, self.audit.gateway.get(*at).map_or(&[][..], Vec::as_slice)))
    }

    /// An XML document the gateway signed (an IAF XML certificate, a PT report): `expected`
    /// (what the rules make, named `what` in an error) signed exactly as the gateway signs
    /// ([`xmldsig::is_signed_form`]: nothing added, in the signature or out of it) at
    /// `signed_at`, with one of its chains, and the signature verifying by that chain's key.
    pub(super) fn gateway_xml(
        &self,
        document: &[u8],
        expected: &str,
        signed_at: &str,
        what: &str,
    ) -> Result<(), String> {
        let text = std::str::from_utf8(document).map_err(|_| "not UTF-8".to_string())?;
        if xmldsig::unsigned_of(text).as_deref() != Some(expected) {
            return Err(format!("not {what}"));
        }
        let signed_as_the_gateway = self.gateway_signers().any(|(key, chain)| {
            let options = xmldsig::Options {
                key: xmldsig::KeySource::Configured(key),
                allow_sha1: false,
                profile: xmldsig::Profile::Enveloped,
            };
            xmldsig::is_signed_form(text, expected, key.kind.signing_algorithm(), chain, signed_at).unwrap_or(false)
                && xmldsig::verify(document, &self.audit.limits, &options).is_ok()
        });
        if !signed_as_the_gateway {
            return Err(format!(
                "not signed as the gateway signs, at the decision's time ({signed_at}), with any of its chains"
            ));
        }
        Ok(())
    }
}
