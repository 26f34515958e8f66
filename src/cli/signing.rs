//! Signature commands: `sign`, `jws verify`, `x509 verify`, `pki demo`.

use super::{print_json, read_input};
use crate::crypto::Severity;
use crate::crypto::jws::{self, Verifier};
use crate::crypto::keys::SigningKey;
use crate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, read_certificates, verify_path};
use crate::crypto::xmldsig::{self, KeySource};
use crate::formats::Format;
use crate::xml::Limits;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum JwsCommand {
    /// Verify a compact JWS credential (VC-JOSE) against trust anchors.
    Verify {
        #[command(flatten)]
        trust: TrustArgs,
        /// Accept any JWS, not only `typ: vc+jwt` credentials with a JSON payload.
        #[arg(long)]
        any_payload: bool,
        #[arg(default_value = "-")]
        file: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum XmldsigCommand {
    /// Verify an enveloped XML signature (CN XML, IAF XML, trusted lists).
    Verify {
        #[command(flatten)]
        trust: TrustArgs,
        /// Check the signature with the key in KeyInfo and make no trust decision (like
        /// `xmlsec1 --insecure`): for testing against other implementations only.
        #[arg(long)]
        insecure_embedded_key: bool,
        /// Accept SHA-1 digests and RSA-SHA1 (old test vectors only).
        #[arg(long)]
        allow_sha1: bool,
        #[arg(default_value = "-")]
        file: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum X509Command {
    /// Validate a document-signing certificate path.
    Verify {
        #[command(flatten)]
        trust: TrustArgs,
        /// Intermediate certificates (PEM, repeatable).
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// The signer certificate (PEM or DER).
        cert: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum PkiCommand {
    /// Generate the demo PKI (for demonstration only) into a new directory.
    Demo {
        #[arg(long)]
        out: PathBuf,
    },
    /// Mint a TLS client certificate under a CA whose key you hold (e.g. a demo root), with
    /// the role written as its subject OU and URI SAN. Writes OUT.pem and OUT.key.
    Client {
        /// The issuing CA's certificate (PEM).
        #[arg(long)]
        ca: PathBuf,
        /// The issuing CA's private key (PKCS#8 PEM).
        #[arg(long)]
        ca_key: PathBuf,
        /// The role claimed: customs, exporter, operator or partner:<body>.
        #[arg(long)]
        role: String,
        /// Path prefix of the two files written.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Who signs: a key and its certificate (and chain), as every signing command takes them.
#[derive(clap::Args, Debug)]
pub struct SignerArgs {
    /// PKCS#8 private key (PEM or DER): Ed25519 or ECDSA P-256 (and RSA for XML).
    #[arg(long)]
    pub key: PathBuf,
    /// The signer's certificate (PEM).
    #[arg(long)]
    pub cert: PathBuf,
    /// Intermediate certificates to add to the signature (PEM bundle).
    #[arg(long)]
    pub chain: Option<PathBuf>,
}

impl SignerArgs {
    /// The key and its certificate chain, checked to belong together.
    pub(super) fn load(&self) -> Result<Signer, ExitCode> {
        load_signer(&self.key, &self.cert, self.chain.as_deref())
    }
}

#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    /// Trust anchor certificates (PEM bundle or DER, repeatable).
    #[arg(long = "trust-anchor")]
    trust_anchor: Vec<PathBuf>,
    /// CRLs to honour (PEM or DER, repeatable).
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Validation time (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
}

/// Who may have signed a trust list the commands read: the operator's pinned signing
/// certificates, as the gateway's `trust_list.signers`.
#[derive(clap::Args, Debug)]
pub struct ListSigners {
    /// The trust-list operator's signing certificate (PEM, repeatable): the list must be
    /// signed by one of them, with the EKU tslSigning, and pass every check the gateway makes
    /// before it installs a list. Without it, any signer under --trust-anchor is taken (a
    /// warning says so).
    #[arg(long = "trust-list-signer")]
    trust_list_signer: Vec<PathBuf>,
}

impl ListSigners {
    /// The trust list in `bytes`, verified under `anchors` and `crls` at `at` (Unix seconds),
    /// and in date then: as the gateway installs one when signers are pinned (the pinned
    /// signer, its names and texts), else signed by any trust-list signer (EKU tslSigning)
    /// the anchors vouch for. The one
    /// rule of `verify`, `trust show` and `trust query` (found by attack: `trust query`
    /// answered "active" from a list a domestic CB had signed, past its NextUpdate).
    pub(super) fn load(
        &self,
        bytes: &[u8],
        anchors: &TrustAnchors,
        crls: &Crls,
        at: u64,
        limits: &crate::xml::Limits,
    ) -> Result<Result<crate::trust::TrustList, crate::trust::TrustError>, ExitCode> {
        let now = time::OffsetDateTime::from_unix_timestamp(at as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        if self.trust_list_signer.is_empty() {
            eprintln!(
                "warning: the trust list's signer is not pinned (--trust-list-signer): any signer under --trust-anchor is taken"
            );
            let crls = if crls.is_empty() { None } else { Some(crls) };
            // Signed by a trust-list signer (EKU tslSigning) all the same: under a national
            // root every CB's document signer chains too (found by review: a list a CB
            // signed was read unpinned).
            return Ok(crate::trust::TrustList::load(bytes, anchors, crls, at, limits).and_then(|list| {
                crate::trust::signs_trust_lists(list.signer_certificate.as_deref(), list.signed_by.as_deref())?;
                list.in_date(now)?;
                Ok(list)
            }));
        }
        let mut signer_certificates = Vec::new();
        for path in &self.trust_list_signer {
            let certs = crate::crypto::x509::read_certificates(&read_file(path)?).map_err(|e| {
                eprintln!("error[{}]: {}: {e}", e.code(), path.display());
                ExitCode::from(2)
            })?;
            signer_certificates.extend(certs.iter().map(|c| c.as_ref().to_vec()));
        }
        let policy = crate::trust::InstallPolicy {
            anchors: anchors.clone(),
            signer_certificates,
            signer_spki_sha256: Vec::new(),
            crls: crls.clone_for_verifier(),
        };
        Ok(policy.load(bytes, now, limits))
    }
}

/// Exit code for a failure of the given kind.
pub(super) fn exit_for(severity: Severity) -> ExitCode {
    ExitCode::from(match severity {
        Severity::Invalid => 1,
        Severity::Unreadable => 2,
        Severity::Unsupported => 3,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error[io.read]: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

/// Reads each file into `add`; an unreadable or unusable file is a usage error naming it.
fn add_files(
    paths: &[PathBuf],
    mut add: impl FnMut(&[u8]) -> Result<(), crate::crypto::x509::PathError>,
) -> Result<(), ExitCode> {
    for path in paths {
        add(&read_file(path)?).map_err(|e| {
            eprintln!("error[{}]: {}: {e}", e.code(), path.display());
            ExitCode::from(2)
        })?;
    }
    Ok(())
}

impl TrustArgs {
    pub(super) fn load(&self) -> Result<(TrustAnchors, Crls, u64), ExitCode> {
        let mut anchors = TrustAnchors::new();
        add_files(&self.trust_anchor, |bytes| anchors.add_pem_or_der(bytes).map(drop))?;
        let mut crls = Crls::new();
        add_files(&self.crl, |bytes| crls.add_pem_or_der(bytes))?;
        let at = match &self.at {
            Some(t) => flag_time("--at", t)?.unix_timestamp().max(0) as u64,
            None => time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64,
        };
        Ok((anchors, crls, at))
    }
}

/// The RFC 3339 time given to `flag`, or a usage error naming it (exit 2).
pub(super) fn flag_time(flag: &str, value: &str) -> Result<time::OffsetDateTime, ExitCode> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).map_err(|e| {
        eprintln!("error[usage.at]: {flag} '{value}': {e}");
        ExitCode::from(2)
    })
}

pub fn jws(command: JwsCommand, limits: &Limits) -> ExitCode {
    let JwsCommand::Verify { trust, any_payload, file } = command;
    let (anchors, crls, at) = match trust.load() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let input = match read_input(&file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let Ok(token) = std::str::from_utf8(&input) else {
        print_json(
            &json!({"valid": false, "checks": [{"check": "format", "outcome": "fail", "reason": "jws.malformed", "message": "not UTF-8 text"}]}),
        );
        return ExitCode::from(2);
    };
    let mut verifier = Verifier::new(anchors, crls);
    verifier.credential = !any_payload;
    let verdict = verifier.verify(token.trim(), at);
    let mut report = serde_json::to_value(&verdict).unwrap_or_default();
    if let Some(payload) = verdict.payload.as_ref().and_then(|p| serde_json::from_slice::<serde_json::Value>(p).ok()) {
        crate::formats::set_member(&mut report, "payload", payload);
    }
    print_json(&report);
    match verdict.severity() {
        None => ExitCode::SUCCESS,
        Some(s) => exit_for(s),
    }
}

pub fn x509(command: X509Command) -> ExitCode {
    let X509Command::Verify { trust, intermediate, cert } = command;
    let (anchors, crls, at) = match trust.load() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut intermediates = Vec::new();
    for path in &intermediate {
        let bytes = match read_file(path) {
            Ok(b) => b,
            Err(code) => return code,
        };
        match read_certificates(&bytes) {
            Ok(c) => intermediates.extend(c),
            Err(e) => {
                eprintln!("error[{}]: {}: {e}", e.code(), path.display());
                return ExitCode::from(2);
            }
        }
    }
    // The first certificate of the file signed; `read_certificates` gives one or an error.
    let first = |certs: Vec<_>| {
        certs.into_iter().next().ok_or_else(|| crate::crypto::x509::PathError::Malformed {
            which: "PEM".into(),
            message: "no CERTIFICATE block".into(),
        })
    };
    let signer = match read_file(&cert).map(|b| read_certificates(&b).and_then(first)) {
        Ok(Ok(signer)) => signer,
        Ok(Err(e)) => {
            print_json(
                &json!({"valid": false, "checks": [{"check": "format", "outcome": "fail", "reason": e.code(), "message": e.to_string()}]}),
            );
            return ExitCode::from(2);
        }
        Err(code) => return code,
    };
    let options = PathOptions {
        purpose: Purpose::DocumentSigning,
        time: at,
        crls: if crls.is_empty() { None } else { Some(&crls) },
        max_intermediates: Some(8),
        crls_at: None,
    };
    match verify_path(&signer, &intermediates, &anchors, &options) {
        Ok(v) => {
            print_json(&json!({
                "valid": true,
                "signer": v.subject,
                "chain": v.chain,
                "checks": [
                    {"check": "chain", "outcome": "pass", "reason": "x509.valid", "message": "the path validates to a trust anchor"},
                    {"check": "key_usage", "outcome": "pass", "reason": "x509.key_usage", "message": "document-signing KeyUsage and EKU"},
                    {"check": "revocation", "outcome": if crls.is_empty() { "skipped" } else { "pass" }, "reason": "x509.crl", "message": if crls.is_empty() { "no CRL supplied" } else { "not revoked by the supplied CRLs" }},
                ],
            }));
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_json(&json!({
                "valid": false,
                "checks": [{"check": "chain", "outcome": "fail", "reason": e.code(), "message": e.to_string()}],
            }));
            exit_for(e.severity())
        }
    }
}

pub fn pki(command: PkiCommand) -> ExitCode {
    let out = match command {
        PkiCommand::Demo { out } => out,
        PkiCommand::Client { ca, ca_key, role, out } => return pki_client(&ca, &ca_key, &role, &out),
    };
    match crate::pki::write_demo(&out) {
        Ok(files) => {
            eprintln!("wrote {} files to {} (demonstration only)", files.len(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error[pki.demo]: {e}");
            ExitCode::from(2)
        }
    }
}

fn pki_client(ca: &Path, ca_key: &Path, role: &str, out: &Path) -> ExitCode {
    let (Ok(cert), Ok(key)) = (read_file(ca), read_file(ca_key)) else { return ExitCode::from(2) };
    let minted = crate::pki::Ca::load(&String::from_utf8_lossy(&cert), &String::from_utf8_lossy(&key))
        .and_then(|mut ca| ca.issue(&crate::pki::LeafSpec::client(role)));
    let issued = match minted {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error[pki.client]: {}, {}: {e}", ca.display(), ca_key.display());
            return ExitCode::from(2);
        }
    };
    let (pem, key_path) = (out.with_extension("pem"), out.with_extension("key"));
    for (path, content) in [(&pem, issued.pem()), (&key_path, issued.key_pem())] {
        if let Err(e) = std::fs::write(path, content) {
            eprintln!("error[io.write]: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    eprintln!("wrote {} and {} (role {role}, issued by {})", pem.display(), key_path.display(), ca.display());
    ExitCode::SUCCESS
}

pub fn xmldsig_verify(command: XmldsigCommand, limits: &Limits) -> ExitCode {
    let XmldsigCommand::Verify { trust, insecure_embedded_key, allow_sha1, file } = command;
    let (anchors, crls, at) = match trust.load() {
        Ok(t) => t,
        Err(code) => return code,
    };
    if !insecure_embedded_key && anchors.is_empty() {
        eprintln!("error[usage.trust_anchor]: give --trust-anchor (or --insecure-embedded-key for interop testing)");
        return ExitCode::from(2);
    }
    let input = match read_input(&file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let key = if insecure_embedded_key {
        KeySource::InsecureEmbedded
    } else {
        KeySource::Trusted { anchors: &anchors, crls: if crls.is_empty() { None } else { Some(&crls) }, at }
    };
    let options = xmldsig::Options { key, allow_sha1, profile: xmldsig::Profile::Enveloped };
    let (verdict, _) = xmldsig::verify_report(&input, limits, &options);
    let mut report = serde_json::to_value(&verdict).unwrap_or_default();
    if insecure_embedded_key {
        crate::formats::set_member(
            &mut report,
            "trust",
            json!("none: --insecure-embedded-key checked the signature with the key in KeyInfo only"),
        );
    }
    print_json(&report);
    match &verdict.error {
        None => ExitCode::SUCCESS,
        Some(e) => exit_for(e.severity()),
    }
}

/// Signs a document in the given format; XML formats are parsed, rendered and signed, so
/// that what is signed is exactly what mrgate validated.
pub fn sign(format: super::SignFormat, signer: &SignerArgs, file: &str, limits: &Limits) -> ExitCode {
    let (key_path, cert_path, chain_path) = (&signer.key, &signer.cert, signer.chain.as_deref());
    match format {
        super::SignFormat::UntpDcc => sign_untp(key_path, cert_path, chain_path, file, limits),
        super::SignFormat::CnXml => sign_xml(Format::CnXml, key_path, cert_path, chain_path, file, limits),
        super::SignFormat::IafXml => sign_xml(Format::IafXml, key_path, cert_path, chain_path, file, limits),
    }
}

type Signer = (SigningKey, Vec<rustls_pki_types::CertificateDer<'static>>);

/// The key and its certificate chain, checked to belong together.
pub(super) fn load_signer(key_path: &Path, cert_path: &Path, chain_path: Option<&Path>) -> Result<Signer, ExitCode> {
    let key = match read_file(key_path).map(|b| SigningKey::from_pkcs8(&b)) {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => {
            eprintln!("error[{}]: {}: {e}", e.code(), key_path.display());
            return Err(ExitCode::from(2));
        }
        Err(code) => return Err(code),
    };
    let mut chain = Vec::new();
    for path in std::iter::once(cert_path).chain(chain_path) {
        match read_file(path).map(|b| read_certificates(&b)) {
            Ok(Ok(c)) => chain.extend(c),
            Ok(Err(e)) => {
                eprintln!("error[{}]: {}: {e}", e.code(), path.display());
                return Err(ExitCode::from(2));
            }
            Err(code) => return Err(code),
        }
    }
    // The signer's certificate must hold the signing key: a mismatch would issue a
    // document nobody can verify.
    // `read_certificates` gives at least one certificate or an error.
    let Some(signer) = chain.first() else {
        eprintln!("error[x509.malformed]: {}: no certificate", cert_path.display());
        return Err(ExitCode::from(2));
    };
    match key.is_certified_by(signer.as_ref()) {
        Ok(true) => Ok((key, chain)),
        Ok(false) => {
            eprintln!(
                "error[key.cert_mismatch]: {} does not certify the key in {}",
                cert_path.display(),
                key_path.display()
            );
            Err(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("error[{}]: {}: {e}", e.code(), cert_path.display());
            Err(ExitCode::from(2))
        }
    }
}

/// The signer's key and chain, and the document to sign read and parsed as `format`; a
/// failure has already been reported on stderr and comes back as the exit code.
fn signing_inputs(
    format: Format,
    key_path: &Path,
    cert_path: &Path,
    chain_path: Option<&Path>,
    file: &str,
    limits: &Limits,
) -> Result<(Signer, Vec<u8>, crate::model::Certificate), ExitCode> {
    let signer = load_signer(key_path, cert_path, chain_path)?;
    let input = read_input(file, limits)?;
    let cert = crate::formats::parse(format, &input, limits).map_err(|e| {
        eprintln!("error[{}]: {file}: {e}", e.code());
        ExitCode::from(1)
    })?;
    Ok((signer, input, cert))
}

fn sign_xml(
    format: Format,
    key_path: &Path,
    cert_path: &Path,
    chain_path: Option<&Path>,
    file: &str,
    limits: &Limits,
) -> ExitCode {
    let ((key, chain), _, cert) = match signing_inputs(format, key_path, cert_path, chain_path, file, limits) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let rendered = crate::formats::render(format, &cert);
    let text = String::from_utf8(rendered.bytes).unwrap_or_default();
    match xmldsig::sign(&text, &key, &chain) {
        Ok(signed) => super::write_out(signed.as_bytes()),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            exit_for(e.severity())
        }
    }
}

pub fn sign_untp(
    key_path: &Path,
    cert_path: &Path,
    chain_path: Option<&Path>,
    file: &str,
    limits: &Limits,
) -> ExitCode {
    // Only a well-formed credential is signed; the payload is its compact JSON.
    let ((key, chain), input, _) = match signing_inputs(Format::UntpDcc, key_path, cert_path, chain_path, file, limits)
    {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    // What is signed is what the gateway reads and shows (as an XML document is signed as
    // rendered from what was read): a credential holding members it does not read is not
    // signed (found by attack: an added `@context` redefining the credential's terms was
    // signed, and `translate` reported it lost).
    // W3C status-list entries too: the gateway's verification reads a certificate's status
    // from its register, never from the lists a credential names, so it would sign, unread,
    // lists of anyone's choosing (found by review: an exception for them signed entries
    // pointing anywhere). The gateway's exports carry its own lists' entries, which it signs
    // itself.
    if let Ok((_, loss)) = crate::formats::read(Format::UntpDcc, &input, limits)
        && !loss.is_empty()
    {
        eprintln!(
            "error[sign.not_carried]: {file}: the credential holds what the gateway does not read, which it would \
             sign unshown: {}",
            loss.lost.join(", ")
        );
        return ExitCode::from(1);
    }
    let value = serde_json::from_slice::<serde_json::Value>(&input).unwrap_or_default();
    let payload = serde_json::to_vec(&value).unwrap_or_default();
    match jws::sign(&payload, &key, &chain, None, true) {
        Ok(token) => super::write_out(format!("{token}\n").as_bytes()),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            exit_for(e.severity())
        }
    }
}
