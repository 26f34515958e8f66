//! Document-signing certificate paths: from a signer certificate through intermediates to a
//! trust anchor, at a given time, honouring CRLs.
//!
//! rustls-webpki builds the chain and checks signatures, validity, basic constraints, path
//! length, name constraints and CRLs. What webpki leaves to the caller for a document signer
//! is done here with x509-parser: KeyUsage must include digitalSignature or nonRepudiation,
//! EKU must be absent or name a document-signing purpose, and the signer's key must meet the
//! key policy. Every rejection names the certificate (subject) and the rule.

use super::Severity;
use super::keys::{KeyError, PublicKey};
use super::profile::{self, Role, Violation};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};
use std::cell::RefCell;
use std::time::Duration;
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter,
    OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy, VerifiedPath,
};
use x509_parser::prelude::*;

/// id-kp-documentSigning (RFC 9336), 1.3.6.1.5.5.7.3.36.
const EKU_DOCUMENT_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];
/// id-kp-emailProtection, 1.3.6.1.5.5.7.3.4 (S/MIME signers sign documents too).
const EKU_EMAIL_PROTECTION: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04];
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

/// The signature algorithms accepted inside certificate paths. No SHA-1, no DSA, RSA ≥ 2048.
static PATH_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    &BRAINPOOL_P256_SHA256,
    &BRAINPOOL_P384_SHA384,
];

/// ECDSA on a brainpool curve inside certificate paths (European signers' CAs use them;
/// ring has none): verified by RustCrypto (`keys::brainpool`), DER signatures.
#[derive(Debug)]
struct Brainpool {
    algorithm: super::keys::Algorithm,
    public_key: rustls_pki_types::AlgorithmIdentifier,
    signature: rustls_pki_types::AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for Brainpool {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), rustls_pki_types::InvalidSignature> {
        super::keys::brainpool::verify(self.algorithm, public_key, message, signature, super::keys::EcdsaEncoding::Der)
            .map_err(|_| rustls_pki_types::InvalidSignature)
    }

    fn public_key_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        self.public_key
    }

    fn signature_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        self.signature
    }
}

// AlgorithmIdentifier contents (DER, without the outer SEQUENCE): id-ecPublicKey with the
// named curve brainpoolP256r1 / brainpoolP384r1 (RFC 5639); ecdsa-with-SHA256 / -SHA384.
static BRAINPOOL_P256_SHA256: Brainpool = Brainpool {
    algorithm: super::keys::Algorithm::EcdsaBrainpoolP256Sha256,
    public_key: rustls_pki_types::AlgorithmIdentifier::from_slice(&[
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01,
        0x01, 0x07,
    ]),
    signature: rustls_pki_types::AlgorithmIdentifier::from_slice(&[
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ]),
};
static BRAINPOOL_P384_SHA384: Brainpool = Brainpool {
    algorithm: super::keys::Algorithm::EcdsaBrainpoolP384Sha384,
    public_key: rustls_pki_types::AlgorithmIdentifier::from_slice(&[
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01,
        0x01, 0x0b,
    ]),
    signature: rustls_pki_types::AlgorithmIdentifier::from_slice(&[
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
    ]),
};

/// What the end-entity certificate is being validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing documents: KeyUsage digitalSignature/nonRepudiation required; EKU absent or
    /// documentSigning / emailProtection.
    DocumentSigning,
    /// TLS server (used for conformance testing against x509-limbo and for the gateway's own TLS).
    ServerAuth,
    /// TLS client authentication (partners, customs, operators).
    ClientAuth,
}

/// Why a path was refused. Each variant names the certificate it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    #[error("certificate {which} cannot be read: {message}")]
    Malformed { which: String, message: String },
    #[error("no path from '{subject}' (issued by '{issuer}') to a trust anchor")]
    Untrusted { subject: String, issuer: String },
    #[error("'{subject}' expired at {not_after}")]
    Expired { subject: String, not_after: String },
    #[error("'{subject}' is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("'{subject}' is revoked by its issuer's CRL")]
    Revoked { subject: String },
    #[error("the CRL of '{issuer}' is stale (nextUpdate {next_update} has passed)")]
    CrlStale { issuer: String, next_update: String },
    #[error("'{subject}': {rule}")]
    Rule { subject: String, rule: String, code: &'static str },
    #[error("'{subject}': {source}")]
    Key { subject: String, source: KeyError },
    #[error("'{subject}': unsupported algorithm: {what}")]
    Unsupported { subject: String, what: String },
}

impl PathError {
    pub fn code(&self) -> &'static str {
        match self {
            PathError::Malformed { .. } => "x509.malformed",
            PathError::Untrusted { .. } => "x509.untrusted",
            PathError::Expired { .. } => "x509.expired",
            PathError::NotYetValid { .. } => "x509.not_yet_valid",
            PathError::Revoked { .. } => "x509.revoked",
            PathError::CrlStale { .. } => "x509.crl_stale",
            PathError::Rule { code, .. } => code,
            PathError::Key { source, .. } => source.code(),
            PathError::Unsupported { .. } => "alg.unsupported",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            PathError::Malformed { .. } => Severity::Unreadable,
            PathError::Unsupported { .. } => Severity::Unsupported,
            PathError::Key { source, .. } => source.severity(),
            _ => Severity::Invalid,
        }
    }
}

/// The trust anchors a verifier accepts, with their certificates for naming.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor<'static>>,
    ders: Vec<CertificateDer<'static>>,
    subjects: Vec<String>,
}

/// A certificate's subject, DER: what a path's issuers are matched by.
fn subject_der(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(cert.subject().as_raw().to_vec())
}

impl TrustAnchors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every certificate in a PEM bundle (or one DER certificate) as an anchor.
    pub fn add_pem_or_der(&mut self, bytes: &[u8]) -> Result<usize, PathError> {
        let certs = read_certificates(bytes)?;
        for der in &certs {
            self.add_der(der)?;
        }
        Ok(certs.len())
    }

    pub fn add_der(&mut self, der: &CertificateDer<'_>) -> Result<(), PathError> {
        let anchor = webpki::anchor_from_trusted_cert(der)
            .map_err(|e| PathError::Malformed { which: "trust anchor".into(), message: format!("{e:?}") })?
            .to_owned();
        self.subjects.push(subject_of(der.as_ref()).unwrap_or_else(|| "(unreadable subject)".into()));
        self.ders.push(der.clone().into_owned());
        self.anchors.push(anchor);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Whether `der` is a certificate of one of these anchors' subjects: a path names its
    /// issuers by subject alone, so any certificate of that name — the anchor, one
    /// re-certified (another serial, a signature spelled otherwise) or one of a new key — is
    /// that issuer in a path.
    pub fn names(&self, der: &[u8]) -> bool {
        let Some(wanted) = subject_der(der) else { return false };
        self.ders.iter().any(|d| subject_der(d.as_ref()).as_ref() == Some(&wanted))
    }

    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }
}

/// Certificate revocation lists, parsed once.
pub struct Crls {
    lists: Vec<CertRevocationList<'static>>,
    /// Each CRL's revoked serials, for naming the revoked certificate.
    serials: Vec<Vec<Vec<u8>>>,
    /// Each CRL's DER: the set document, and the profile checks of the CRLs a path consults.
    ders: Vec<Vec<u8>>,
    /// SHA-256 of [`Crls::set_document`], kept as CRLs are added (a decision's entry names
    /// it: computed once, not per decision), and the hash of the document so far.
    set_digest: String,
    set_hash: ring::digest::Context,
    /// Each CRL's facts, in the order added.
    summaries: Vec<CrlSummary>,
}

/// One CRL of a set, as an audit shows it and compares sets by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrlSummary {
    pub issuer: String,
    /// The issuer's name as encoded (what a path matches a CRL to its issuer by).
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
    /// The CRLNumber, decimal (absent when the CRL has none: the profile refuses it in use).
    pub number: Option<String>,
    /// thisUpdate and nextUpdate, Unix seconds.
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub revoked: usize,
    /// It has an IssuingDistributionPoint: it may speak for part of its issuer's
    /// certificates only.
    pub partitioned: bool,
    /// Its IssuingDistributionPoint as encoded (empty for none): with the issuer, its
    /// scope. CRLs of one scope are versions of one list; CRL numbers order them.
    #[serde(skip)]
    pub scope: Vec<u8>,
}

impl CrlSummary {
    /// Whether `other` is a version of the same list: the same issuer and scope.
    pub fn same_scope(&self, other: &CrlSummary) -> bool {
        self.issuer_der == other.issuer_der && self.scope == other.scope
    }

    /// Whether this CRL is a later one than `other` of the same list: a higher CRL number
    /// (a missing one is the lowest), then a later thisUpdate.
    pub fn later_than(&self, other: &CrlSummary) -> bool {
        // CRL numbers are decimal without leading zeros: the longer is the higher.
        let key = |c: &CrlSummary| (c.number.as_ref().map(|n| (n.len(), n.clone())), c.this_update);
        key(self) > key(other)
    }
}

impl std::fmt::Debug for Crls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crls({} CRL(s), set sha256:{})", self.lists.len(), self.set_digest)
    }
}

impl Default for Crls {
    /// The empty set (its digest is the empty document's).
    fn default() -> Self {
        Self {
            lists: Vec::new(),
            serials: Vec::new(),
            ders: Vec::new(),
            set_digest: crate::crypto::sha256_hex(b""),
            set_hash: ring::digest::Context::new(&ring::digest::SHA256),
            summaries: Vec::new(),
        }
    }
}

impl Crls {
    pub fn new() -> Self {
        Self::default()
    }

    /// The CRLs of a set document ([`Crls::set_document`]): PEM blocks, or nothing at all
    /// (the empty set).
    pub fn from_set_document(bytes: &[u8]) -> Result<Self, PathError> {
        let mut crls = Crls::new();
        if !bytes.is_empty() {
            crls.add_pem_or_der(bytes)?;
        }
        Ok(crls)
    }

    /// The CRLs as one document: each CRL's DER as a PEM block (`X509 CRL`), in the order
    /// added; the empty set is the empty document. It is what a decision's log entry names
    /// (`crls sha256:…`) and the gateway keeps, so that an audit decides again with the
    /// revocation the decision had, not with what was revoked since.
    pub fn set_document(&self) -> Vec<u8> {
        self.ders.iter().map(|der| crate::crypto::pem_block("X509 CRL", der)).collect::<String>().into_bytes()
    }

    /// SHA-256 of [`Crls::set_document`], lower-case hex.
    pub fn set_digest(&self) -> &str {
        &self.set_digest
    }

    /// Each CRL: issuer, number, dates and how many certificates it revokes, in order.
    pub fn summaries(&self) -> &[CrlSummary] {
        &self.summaries
    }

    /// For each list (issuer and scope) of these CRLs, the latest version that was issued
    /// by `time` and had not expired at it (any time: the latest version); their indexes,
    /// partitioned lists first (a path consults the first CRL that speaks for a
    /// certificate, and a partitioned one speaks for fewer).
    pub fn latest_at(&self, time: Option<i64>) -> Vec<usize> {
        let mut latest: Vec<usize> = Vec::new();
        for (at, c) in self.summaries.iter().enumerate() {
            if time.is_some_and(|t| c.this_update > t) {
                continue;
            }
            match latest.iter_mut().find(|i| self.summaries.get(**i).is_some_and(|l| l.same_scope(c))) {
                Some(i) if self.summaries.get(*i).is_some_and(|l| c.later_than(l)) => *i = at,
                Some(_) => {}
                None => latest.push(at),
            }
        }
        latest.retain(|i| {
            self.summaries.get(*i).is_some_and(|c| time.is_none_or(|t| c.next_update.is_none_or(|n| t < n)))
        });
        latest.sort_by_key(|i| self.summaries.get(*i).is_none_or(|c| !c.partitioned));
        latest
    }

    /// Which of `other`'s CRLs at `chosen` (as [`Crls::latest_at`] gives them) complete
    /// these: a later version of a list these hold an older one of, or a list these have
    /// no version of. Their indexes, in `chosen`'s order.
    pub fn completed_by(&self, other: &Crls, chosen: &[usize]) -> Vec<usize> {
        let completes = |c: &CrlSummary| {
            let versions = self.summaries.iter().filter(|own| own.same_scope(c));
            versions.clone().next().is_none() || versions.clone().any(|own| c.later_than(own))
        };
        chosen.iter().copied().filter(|i| other.summaries.get(*i).is_some_and(completes)).collect()
    }

    /// These CRLs completed by `other`'s at `taken` ([`Crls::completed_by`]): one of these
    /// older than a taken version of its list is replaced by it, in its place (a later
    /// version of a list holds what the earlier held); a taken list these have no version
    /// of comes after them (it never hides one of theirs).
    pub fn completed_with(&self, other: &Crls, taken: &[usize]) -> Crls {
        let version = |i: &usize| other.summaries.get(*i);
        let mut out = Crls::new();
        // Each was read once already, by the same readers.
        for (der, own) in self.ders.iter().zip(&self.summaries) {
            let later = taken.iter().find(|i| version(i).is_some_and(|c| c.same_scope(own) && c.later_than(own)));
            let _ = out.add_der(later.and_then(|i| other.ders.get(*i)).unwrap_or(der));
        }
        for i in taken {
            let new_list = version(i).is_some_and(|c| !self.summaries.iter().any(|own| own.same_scope(c)));
            if let (true, Some(d)) = (new_list, other.ders.get(*i)) {
                let _ = out.add_der(d);
            }
        }
        out
    }

    /// Adds CRLs from PEM (one or more `X509 CRL` blocks and nothing else) or one DER CRL.
    /// A PEM file holding no CRL, or a block of another kind, is refused: found by attack, a
    /// certificate given as a CRL file was read as no CRL at all, and a revoked signer
    /// verified "valid".
    pub fn add_pem_or_der(&mut self, bytes: &[u8]) -> Result<(), PathError> {
        let ders: Vec<Vec<u8>> = if is_pem(bytes) {
            let ders: Vec<Vec<u8>> = CertificateRevocationListDer::pem_slice_iter(bytes)
                .map(|r| r.map(|d| d.as_ref().to_vec()))
                .collect::<Result<_, _>>()
                .map_err(|e| PathError::Malformed { which: "CRL".into(), message: format!("{e:?}") })?;
            let blocks = pem_blocks(bytes);
            if ders.is_empty() || blocks != ders.len() {
                return Err(PathError::Malformed {
                    which: "CRL".into(),
                    message: format!(
                        "the PEM file holds {} X509 CRL block(s) among {blocks} block(s): a CRL file holds CRLs and \
                         nothing else, one at least",
                        ders.len()
                    ),
                });
            }
            ders
        } else {
            vec![bytes.to_vec()]
        };
        for der in ders {
            self.add_der(&der)?;
        }
        Ok(())
    }

    pub fn add_der(&mut self, der: &[u8]) -> Result<(), PathError> {
        let owned = OwnedCertRevocationList::from_der(der)
            .map_err(|e| PathError::Malformed { which: "CRL".into(), message: format!("{e:?}") })?;
        // Both readers must read it: the set document (what entries name) holds exactly the
        // CRLs that revoke.
        let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der)
            .map_err(|e| PathError::Malformed { which: "CRL".into(), message: e.to_string() })?;
        let serials: Vec<Vec<u8>> = crl.iter_revoked_certificates().map(|r| r.raw_serial().to_vec()).collect();
        let scope = crl
            .extensions()
            .iter()
            .find(|e| matches!(e.parsed_extension(), ParsedExtension::IssuingDistributionPoint(_)))
            .map(|e| e.value.to_vec());
        self.summaries.push(CrlSummary {
            issuer: crl.issuer().to_string(),
            issuer_der: crl.issuer().as_raw().to_vec(),
            number: crl.crl_number().map(|n| n.to_string()),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            revoked: serials.len(),
            partitioned: scope.is_some(),
            scope: scope.unwrap_or_default(),
        });
        self.serials.push(serials);
        self.ders.push(der.to_vec());
        self.lists.push(CertRevocationList::Owned(owned));
        self.set_hash.update(crate::crypto::pem_block("X509 CRL", der).as_bytes());
        self.set_digest = crate::crypto::lower_hex(self.set_hash.clone().finish().as_ref());
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Until when (Unix seconds) the latest version of every list here is fresh; `None` when
    /// none has a nextUpdate. A validation that consulted these CRLs holds no longer than this.
    pub fn fresh_until(&self) -> Option<u64> {
        // The latest version of each list: an older one is not consulted (`verify_path`).
        let latest = self.latest_at(None);
        let next = latest.iter().filter_map(|i| self.summaries.get(*i)).filter_map(|c| c.next_update);
        next.min().map(|t| t.max(0) as u64)
    }

    /// A copy holding the same CRLs (re-parsed from their DER).
    pub fn clone_for_verifier(&self) -> Crls {
        let mut out = Crls::new();
        for der in &self.ders {
            let _ = out.add_der(der);
        }
        out
    }
}

/// Reads certificates from a PEM bundle, or a single DER certificate.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, PathError> {
    if is_pem(bytes) {
        let certs: Vec<_> = CertificateDer::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| PathError::Malformed { which: "PEM".into(), message: format!("{e:?}") })?;
        if certs.is_empty() {
            return Err(PathError::Malformed { which: "PEM".into(), message: "no CERTIFICATE block".into() });
        }
        Ok(certs)
    } else {
        Ok(vec![CertificateDer::from(bytes.to_vec())])
    }
}

/// Whether `bytes` are PEM: they hold a `-----BEGIN ` line, wherever (text before it —
/// `openssl crl -text` output, a comment, a byte-order mark — is PEM's explanatory text).
/// Found by re-test: such a file was read as DER and refused as trailing data.
pub fn is_pem(bytes: &[u8]) -> bool {
    pem_blocks(bytes) > 0
}

/// How many PEM blocks `bytes` hold, of any kind: their `-----BEGIN ` lines.
fn pem_blocks(bytes: &[u8]) -> usize {
    bytes.windows(b"-----BEGIN ".len()).filter(|w| *w == b"-----BEGIN ").count()
}

/// The subject DN of a DER certificate, RFC 4514 style.
pub fn subject_of(der: &[u8]) -> Option<String> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c.subject().to_string())
}

/// The key identifier of a DER certificate's key computed from the key itself: the SHA-1 of
/// its subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1), what most CAs write in the
/// SubjectKeyIdentifier extension and ETSI trusted lists in `X509SKI`. Never the extension's
/// value: whoever issues a certificate writes that, and may copy another key's (found by
/// review: a new key's certificate carrying an old key's identifier took over its history).
/// `None` for a certificate that does not read.
pub fn key_identifier(der: &[u8]) -> Option<Vec<u8>> {
    let (_, c) = X509Certificate::from_der(der).ok()?;
    let bits = &c.public_key().subject_public_key.data;
    Some(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bits).as_ref().to_vec())
}

/// A DER certificate's validity window, `notBefore` and `notAfter` in seconds since the
/// epoch (both inclusive, RFC 5280 §4.1.2.5).
pub fn validity_of(der: &[u8]) -> Option<(i64, i64)> {
    let (_, c) = X509Certificate::from_der(der).ok()?;
    Some((c.validity().not_before.timestamp(), c.validity().not_after.timestamp()))
}

/// A signer that chained to an anchor, with what callers need afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    pub subject: String,
    pub public_key: PublicKey,
    /// Subjects from the signer up to the anchor.
    pub chain: Vec<String>,
    /// The window (Unix seconds) in which every certificate of the path is valid: a cached
    /// result may be reused for times inside it (for the same anchors and CRLs).
    pub valid_from: u64,
    pub valid_until: u64,
}

/// A document signer's ExtendedKeyUsage, when it has one, names document signing or email
/// protection ([`fits_document_signing`] reads the same rule without a path).
struct DocumentSigningEku;

impl ExtendedKeyUsageValidator for DocumentSigningEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if id == KeyPurposeId::new(EKU_DOCUMENT_SIGNING) || id == KeyPurposeId::new(EKU_EMAIL_PROTECTION) {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFoundContext(webpki::RequiredEkuNotFoundContext {
                required: webpki::KeyUsage::required(EKU_DOCUMENT_SIGNING),
                present,
            }))
        }
    }
}

enum Eku {
    Document(DocumentSigningEku),
    Key(webpki::KeyUsage),
}

impl ExtendedKeyUsageValidator for Eku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        match self {
            Eku::Document(d) => d.validate(iter),
            Eku::Key(k) => k.validate(iter),
        }
    }
}

/// Options for one validation.
#[derive(Debug, Clone, Copy)]
pub struct PathOptions<'a> {
    pub purpose: Purpose,
    /// Validation time, Unix seconds.
    pub time: u64,
    pub crls: Option<&'a Crls>,
    /// Most intermediates allowed in the path (x509-limbo's max_chain_depth).
    pub max_intermediates: Option<usize>,
    /// When the path's CRLs must still be fresh, if later than `time` (Unix seconds): the
    /// decision's time, when the certificates are judged at an earlier signing time. A CRL
    /// past its nextUpdate says nothing of a revocation since, whenever the signature was
    /// made (webpki judges CRLs at `time` only).
    pub crls_at: Option<u64>,
}

/// Whether a signature AlgorithmIdentifier names a SHA-1 signature: sha1WithRSAEncryption,
/// ecdsa-with-SHA1 or dsa-with-sha1. `algorithm` is the content of the AlgorithmIdentifier
/// SEQUENCE (as webpki reports it): the algorithm's OID comes first.
fn names_sha1(algorithm: &[u8]) -> bool {
    const SHA1_OIDS: [&[u8]; 3] = [
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01],
        &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03],
    ];
    let [0x06, length, rest @ ..] = algorithm else { return false };
    SHA1_OIDS.iter().any(|oid| usize::from(*length) == oid.len() && rest.starts_with(oid))
}

/// Validates `signer` (DER) through `intermediates` to one of `anchors`.
pub fn verify_path(
    signer: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &TrustAnchors,
    options: &PathOptions<'_>,
) -> Result<VerifiedSigner, PathError> {
    let (_, leaf) = X509Certificate::from_der(signer.as_ref())
        .map_err(|e| PathError::Malformed { which: "signer".into(), message: e.to_string() })?;
    let subject = leaf.subject().to_string();
    let ee = EndEntityCert::try_from(signer)
        .map_err(|e| PathError::Malformed { which: format!("'{subject}'"), message: format!("{e:?}") })?;

    // The latest version of each list only: webpki consults the first CRL that speaks for a
    // certificate, so an older version configured beside a newer one would hide the newer
    // one's revocations; and only the latest must be fresh.
    let current: Vec<usize> = options.crls.map(|c| c.latest_at(None)).unwrap_or_default();
    let crl_refs: Vec<&CertRevocationList<'_>> =
        options.crls.map(|c| current.iter().filter_map(|i| c.lists.get(*i)).collect()).unwrap_or_default();
    let revocation = if crl_refs.is_empty() {
        None
    } else {
        RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
            b.with_depth(RevocationCheckDepth::Chain)
                .with_status_policy(UnknownStatusPolicy::Allow)
                .with_expiration_policy(ExpirationPolicy::Enforce)
                .build()
        })
    };
    let eku = match options.purpose {
        Purpose::DocumentSigning => Eku::Document(DocumentSigningEku),
        Purpose::ServerAuth => Eku::Key(webpki::KeyUsage::required_if_present(EKU_SERVER_AUTH)),
        Purpose::ClientAuth => Eku::Key(webpki::KeyUsage::required_if_present(EKU_CLIENT_AUTH)),
    };
    let max = options.max_intermediates;
    // The last profile violation seen while building paths: the reason a candidate path that
    // webpki accepted was dropped. Reported when no other path succeeds.
    let violation: RefCell<Option<Violation>> = RefCell::new(None);
    // A CRL of the path stale at `crls_at`, likewise.
    let stale: RefCell<Option<PathError>> = RefCell::new(None);
    let at = options.time as i64;
    let path_check = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        if max.is_some_and(|m| path.intermediate_certificates().count() > m) {
            return Err(webpki::Error::MaximumPathDepthExceeded);
        }
        let anchor_der =
            anchors.anchors.iter().position(|a| std::ptr::eq(a, path.anchor())).and_then(|i| anchors.ders.get(i));
        let mut issuers: Vec<Vec<u8>> = Vec::new();
        let check = |der: &[u8], role: Role| -> Result<(), webpki::Error> {
            profile::check_certificate(der, role, at).map_err(|v| {
                *violation.borrow_mut() = Some(v);
                webpki::Error::UnsupportedCriticalExtension
            })
        };
        check(path.end_entity().der().as_ref(), Role::Leaf)?;
        for cert in path.intermediate_certificates() {
            check(cert.der().as_ref(), Role::Intermediate)?;
            issuers.push(cert.der().as_ref().to_vec());
        }
        if let Some(der) = anchor_der {
            check(der.as_ref(), Role::Anchor)?;
            issuers.push(der.as_ref().to_vec());
        }
        if let Some(crls) = options.crls {
            for issuer_der in &issuers {
                let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else { continue };
                let of_issuer = crls
                    .summaries
                    .iter()
                    .zip(&crls.ders)
                    .enumerate()
                    .filter(|(_, (s, _))| s.issuer_der == issuer.subject().as_raw());
                for (i, (summary, crl)) in of_issuer {
                    profile::check_crl(crl, Some(issuer_der)).map_err(|v| {
                        *violation.borrow_mut() = Some(v);
                        webpki::Error::UnsupportedCriticalExtension
                    })?;
                    // The latest version of each of the issuer's lists, not only the one
                    // webpki consults: a stale partition refuses too (fail closed).
                    if let (true, Some(at), Some(next)) = (current.contains(&i), options.crls_at, summary.next_update)
                        && next <= at as i64
                    {
                        *stale.borrow_mut() = Some(PathError::CrlStale {
                            issuer: summary.issuer.clone(),
                            next_update: format!("{next} (Unix seconds)"),
                        });
                        return Err(webpki::Error::UnsupportedCriticalExtension);
                    }
                }
            }
        }
        Ok(())
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(options.time));
    let path = ee
        .verify_for_usage(PATH_ALGORITHMS, &anchors.anchors, intermediates, time, &eku, revocation, Some(&path_check))
        .map_err(|e| match (violation.borrow_mut().take(), stale.borrow_mut().take()) {
            (Some(v), _) => from_violation(v),
            (None, Some(stale)) => stale,
            (None, None) => explain(e, &leaf, signer, intermediates, options),
        })?;

    let public_key = PublicKey::from_spki(leaf.public_key()).map_err(|source| match source {
        KeyError::Unsupported(what) => PathError::Unsupported { subject: subject.clone(), what },
        source => PathError::Key { subject: subject.clone(), source },
    })?;
    if options.purpose == Purpose::DocumentSigning {
        check_document_signer_key_usage(&leaf, &subject)?;
    }

    let mut chain = vec![subject.clone()];
    let (mut valid_from, mut valid_until) = (validity_secs(&leaf).0, validity_secs(&leaf).1);
    for der in path.intermediate_certificates() {
        if let Ok((_, c)) = X509Certificate::from_der(der.der().as_ref()) {
            chain.push(c.subject().to_string());
            let (from, until) = validity_secs(&c);
            valid_from = valid_from.max(from);
            valid_until = valid_until.min(until);
        }
    }
    let anchor_at = anchors.anchors.iter().position(|a| std::ptr::eq(a, path.anchor()));
    // The anchor's own window too (the profile holds it to it): a chain kept for its window
    // must not outlive its anchor.
    if let Some(Ok((_, c))) = anchor_at.and_then(|i| anchors.ders.get(i)).map(|d| X509Certificate::from_der(d.as_ref()))
    {
        let (from, until) = validity_secs(&c);
        valid_from = valid_from.max(from);
        valid_until = valid_until.min(until);
    }
    let anchor_subject =
        anchor_at.and_then(|i| anchors.subjects.get(i).cloned()).unwrap_or_else(|| "(trust anchor)".into());
    chain.push(anchor_subject);
    Ok(VerifiedSigner { subject, public_key, chain, valid_from, valid_until })
}

fn from_violation(v: Violation) -> PathError {
    match v.key {
        Some(KeyError::Unsupported(what)) => PathError::Unsupported { subject: v.subject, what },
        Some(source) => PathError::Key { subject: v.subject, source },
        None => PathError::Rule { subject: v.subject, rule: v.rule, code: v.code },
    }
}

fn validity_secs(c: &X509Certificate<'_>) -> (u64, u64) {
    let from = c.validity().not_before.timestamp().max(0) as u64;
    let until = c.validity().not_after.timestamp().max(0) as u64;
    (from, until)
}

/// Whether the certificate `der` may sign documents as every verifier here holds a document
/// signer to, apart from its path: not a CA, a KeyUsage of digitalSignature or
/// nonRepudiation, and an ExtendedKeyUsage, when it has one, naming document signing or
/// email protection. What the gateway's own signing certificate is held to at start and
/// reload (found by attack: the TLS server certificate, serverAuth only, was taken, and the
/// gateway then signed credentials its own verification refused `x509.eku`).
pub fn fits_document_signing(der: &[u8]) -> Result<(), PathError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| PathError::Malformed { which: "signing certificate".into(), message: e.to_string() })?;
    let subject = cert.subject().to_string();
    let rule = |rule: &str, code: &'static str| PathError::Rule { subject: subject.clone(), rule: rule.into(), code };
    if cert.is_ca() {
        return Err(rule("a CA certificate (basicConstraints cA=true) cannot be a signer", "x509.ca_as_signer"));
    }
    check_document_signer_key_usage(&cert, &subject)?;
    // The rule [`DocumentSigningEku`] holds a path's signer to, read here without a path.
    match cert.extended_key_usage() {
        Ok(None) => Ok(()),
        Ok(Some(eku))
            if eku.value.email_protection || eku.value.other.iter().any(|o| o.as_bytes() == EKU_DOCUMENT_SIGNING) =>
        {
            Ok(())
        }
        Ok(Some(_)) => Err(rule(
            "ExtendedKeyUsage names neither document signing (1.3.6.1.5.5.7.3.36) nor email protection",
            "x509.eku",
        )),
        Err(e) => Err(rule(&format!("ExtendedKeyUsage cannot be read: {e}"), "x509.malformed")),
    }
}

fn check_document_signer_key_usage(leaf: &X509Certificate<'_>, subject: &str) -> Result<(), PathError> {
    let rule =
        |rule: &str, code: &'static str| PathError::Rule { subject: subject.to_string(), rule: rule.into(), code };
    match leaf.key_usage() {
        Ok(Some(ku)) => {
            if ku.value.digital_signature() || ku.value.non_repudiation() {
                Ok(())
            } else if ku.value.key_cert_sign() || ku.value.crl_sign() {
                Err(rule(
                    "KeyUsage allows only certificate or CRL signing (a CA key), not document signing",
                    "x509.key_usage",
                ))
            } else {
                Err(rule("KeyUsage lacks digitalSignature and nonRepudiation", "x509.key_usage"))
            }
        }
        Ok(None) => {
            Err(rule("a document signer must carry a KeyUsage extension with digitalSignature", "x509.key_usage"))
        }
        Err(e) => Err(rule(&format!("KeyUsage cannot be read: {e}"), "x509.malformed")),
    }
}

/// Turns a webpki error into a rejection that names the certificate concerned.
fn explain(
    e: webpki::Error,
    leaf: &X509Certificate<'_>,
    signer: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    options: &PathOptions<'_>,
) -> PathError {
    let subject = leaf.subject().to_string();
    let parsed: Vec<X509Certificate<'_>> = std::iter::once(signer)
        .chain(intermediates)
        .filter_map(|d| X509Certificate::from_der(d.as_ref()).ok().map(|(_, c)| c))
        .collect();
    let at = options.time as i64;
    let rule = |rule: String, code: &'static str| PathError::Rule { subject: subject.clone(), rule, code };
    match e {
        webpki::Error::CertExpired { .. } => {
            let c = parsed.iter().find(|c| c.validity().not_after.timestamp() < at).unwrap_or(leaf);
            PathError::Expired { subject: c.subject().to_string(), not_after: c.validity().not_after.to_string() }
        }
        webpki::Error::CertNotValidYet { .. } => {
            let c = parsed.iter().find(|c| c.validity().not_before.timestamp() > at).unwrap_or(leaf);
            PathError::NotYetValid { subject: c.subject().to_string(), not_before: c.validity().not_before.to_string() }
        }
        webpki::Error::CertRevoked => {
            let revoked = options.crls.and_then(|crls| {
                parsed.iter().find(|c| {
                    crls.summaries.iter().zip(&crls.serials).any(|(crl, serials)| {
                        crl.issuer == c.issuer().to_string() && serials.iter().any(|s| s.as_slice() == c.raw_serial())
                    })
                })
            });
            PathError::Revoked { subject: revoked.unwrap_or(leaf).subject().to_string() }
        }
        webpki::Error::CrlExpired { next_update, .. } => PathError::CrlStale {
            issuer: leaf.issuer().to_string(),
            next_update: format!("{} (Unix seconds)", next_update.as_secs()),
        },
        webpki::Error::UnknownIssuer => PathError::Untrusted { subject, issuer: leaf.issuer().to_string() },
        webpki::Error::CaUsedAsEndEntity => {
            rule("a CA certificate (basicConstraints cA=true) cannot be a signer".into(), "x509.ca_as_signer")
        }
        webpki::Error::EndEntityUsedAsCa => {
            rule("an issuer in the path is not a CA (basicConstraints cA=true missing)".into(), "x509.issuer_not_ca")
        }
        webpki::Error::PathLenConstraintViolated => {
            rule("an issuer's pathLenConstraint is exceeded".into(), "x509.path_len")
        }
        webpki::Error::MaximumPathDepthExceeded => rule("the path is longer than allowed".into(), "x509.path_len"),
        webpki::Error::RequiredEkuNotFoundContext(_) => rule(
            match options.purpose {
                Purpose::DocumentSigning => {
                    "ExtendedKeyUsage is present but names no document-signing purpose (documentSigning or emailProtection)"
                }
                Purpose::ServerAuth => "ExtendedKeyUsage does not allow serverAuth",
                Purpose::ClientAuth => "ExtendedKeyUsage does not allow clientAuth",
            }
            .into(),
            "x509.eku",
        ),
        webpki::Error::InvalidSignatureForPublicKey => {
            rule("a certificate signature in the path does not verify".into(), "x509.bad_signature")
        }
        webpki::Error::UnsupportedSignatureAlgorithmContext(ctx) => {
            // The algorithm's DER: a SHA-1 signature is refused as such, not as "unsupported".
            if names_sha1(&ctx.signature_algorithm_id) {
                PathError::Key { subject, source: KeyError::Refused("SHA-1") }
            } else {
                PathError::Unsupported { subject, what: "signature algorithm in the path".into() }
            }
        }
        webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            PathError::Unsupported { subject, what: "signature algorithm for the issuer's key".into() }
        }
        webpki::Error::NameConstraintViolation => {
            rule("a name violates an issuer's name constraints".into(), "x509.name_constraints")
        }
        webpki::Error::UnsupportedCriticalExtension => {
            rule("a certificate carries an unsupported critical extension".into(), "x509.critical_extension")
        }
        other => rule(format!("{other:?}"), "x509.invalid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Ca, KeyAlg};
    use ::time::macros::datetime;

    /// A set of the CRLs `made`, in order.
    fn set(made: &[&rcgen::CertificateRevocationList]) -> Crls {
        let mut crls = Crls::new();
        for crl in made {
            crls.add_der(crl.der()).expect("crl");
        }
        crls
    }

    /// What an audit consults for a set it is given: for each list (issuer and scope), the
    /// latest version it holds that was issued and in force by then; one replaces an older
    /// version in the set in its place, one of a list the set lacks comes after the set's.
    #[test]
    fn later_versions_replace_older_ones_and_new_lists_come_last() {
        let one = Ca::root("CRL root one", "one", "DE", KeyAlg::EcdsaP256).expect("root");
        let two = Ca::root("CRL root two", "two", "GB", KeyAlg::EcdsaP256).expect("root");
        let (t0, t1, t2) =
            (datetime!(2026-11-01 0:00 UTC), datetime!(2026-11-10 0:00 UTC), datetime!(2026-11-20 0:00 UTC));
        let far = datetime!(2027-01-01 0:00 UTC);
        let crl = |ca: &Ca, n: u64, at| ca.crl_numbered(n, &[], at, far).expect("crl");
        let (one_1, one_2, one_3, one_5) = (crl(&one, 1, t0), crl(&one, 2, t1), crl(&one, 3, t2), crl(&one, 5, t0));
        let two_1 = crl(&two, 1, t0);
        let held = set(&[&one_2, &one_3, &two_1]);
        let at_t1 = Some(t1.unix_timestamp());
        // One's 2 (its 3 was issued after), two's 1; any time: one's 3.
        assert_eq!(held.latest_at(at_t1), [0, 2]);
        assert_eq!(held.latest_at(None), [1, 2]);
        assert_eq!(held.latest_at(Some(t0.unix_timestamp() - 1)), Vec::<usize>::new());
        // Expired by then: not in force (a CRL past its next update revokes nothing).
        let short = set(&[&one.crl_numbered(4, &[], t0, t1).expect("crl")]);
        assert_eq!(short.latest_at(Some(t1.unix_timestamp() - 1)), [0]);
        assert_eq!(short.latest_at(Some(t1.unix_timestamp())), Vec::<usize>::new());

        let numbers =
            |crls: &Crls| crls.summaries().iter().map(|c| c.number.clone().unwrap_or_default()).collect::<Vec<_>>();
        let complete = |named: &Crls, chosen: &[usize]| {
            let taken = named.completed_by(&held, chosen);
            (numbers(&named.completed_with(&held, &taken)), taken)
        };
        // One's 1 replaced by its 2 in place; two's 1 after.
        assert_eq!(complete(&set(&[&one_1]), &[0, 2]), (vec!["2".into(), "1".into()], vec![0, 2]));
        // The set's own is later (5), or the same (2): kept.
        assert_eq!(complete(&set(&[&one_5]), &[0, 2]), (vec!["5".into(), "1".into()], vec![2]));
        assert_eq!(complete(&set(&[&one_2, &two_1]), &[0, 2]), (vec!["2".into(), "1".into()], vec![]));
        // The empty set: what is chosen.
        assert_eq!(complete(&Crls::new(), &[0, 2]), (vec!["2".into(), "1".into()], vec![0, 2]));

        // A partitioned list is another list: the held full one comes after it, never
        // before (it would speak first for the certificates the partition speaks for).
        let partition = one.crl_partitioned(9, &[&[7]], t0, far, "http://crl.example/one-ee.crl").expect("crl");
        let named = set(&[&partition]);
        assert!(named.summaries()[0].partitioned && !named.summaries()[0].scope.is_empty());
        assert_eq!(complete(&named, &[0]), (vec!["9".into(), "2".into()], vec![0]));
        // Held partitioned and full versions of one issuer: both lists, partition first.
        let both = set(&[&one_2, &partition]);
        assert_eq!(both.latest_at(None), [1, 0]);
        let taken = Crls::new().completed_by(&both, &both.latest_at(None));
        assert_eq!(taken, [1, 0]);
        assert_eq!(numbers(&Crls::new().completed_with(&both, &taken)), ["9", "2"]);
    }

    /// A set document reads back as the set it was made of, and the empty set is the empty
    /// document; anything but PEM blocks of CRLs (or one DER CRL) does not read.
    #[test]
    fn a_set_document_reads_back_as_its_set() {
        let one = Ca::root("CRL root one", "one", "DE", KeyAlg::EcdsaP256).expect("root");
        let at = datetime!(2026-11-01 0:00 UTC);
        let (a, b) = (
            one.crl_numbered(1, &[&[7]], at, datetime!(2027-01-01 0:00 UTC)).expect("crl"),
            one.crl_numbered(2, &[], at, datetime!(2027-01-01 0:00 UTC)).expect("crl"),
        );
        let both = set(&[&a, &b]);
        let document = both.set_document();
        assert!(document.starts_with(b"-----BEGIN X509 CRL-----\n"));
        let again = Crls::from_set_document(&document).expect("reads");
        assert_eq!((again.set_digest(), again.summaries()), (both.set_digest(), both.summaries()));
        assert_eq!(again.set_digest(), crate::crypto::sha256_hex(&document));
        assert_eq!(both.summaries()[0].revoked, 1);
        let empty = Crls::from_set_document(b"").expect("the empty set");
        assert_eq!(empty.set_digest(), crate::crypto::sha256_hex(b""));
        assert!(empty.set_document().is_empty() && empty.is_empty());
        for bad in
            [&b"not a CRL"[..], b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", &[0x30, 0x03, 1, 2, 3]]
        {
            assert!(Crls::from_set_document(bad).is_err(), "{bad:?}");
        }
    }
}
