//! Enveloped XML signatures (XML-DSig 1.0/1.1, with the XAdES signed properties that
//! trusted lists carry): verify and sign.
//!
//! The profile is deliberately narrow, because signature-wrapping attacks live in the
//! gaps of a permissive one: exactly one `ds:Signature`, a child of the document element;
//! one content reference, which must resolve to the document element (`URI=""` or its ID);
//! other references only inside this signature — its own XAdES `SignedProperties`, or an
//! element of its `ds:KeyInfo` or a `ds:Object` (real trusted lists sign their signing
//! certificate so) — never to anything else outside it; transforms only
//! enveloped-signature and the four canonicalizations; ID values unique in the document.
//! The verifier returns the parsed document it verified, and callers read only that.

use super::keys::{Algorithm, EcdsaEncoding, KeyError, PublicKey, SigningKey};
use super::x509::{Crls, PathError, PathOptions, Purpose, TrustAnchors, read_certificates, verify_path};
use super::{Check, Severity};
use crate::xml::c14n::{self, Method};
use crate::xml::{self, Document, Element, Limits, Node, Pos, XmlError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest;
use rustls_pki_types::CertificateDer;

pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";

/// Why a signed document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsigError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the document has no ds:Signature")]
    NoSignature,
    #[error("{count} ds:Signature elements; exactly one is expected")]
    MultipleSignatures { count: usize },
    #[error("{pos}: ds:Signature must be a child of the document element")]
    Misplaced { pos: Pos },
    #[error("{pos}: {message}")]
    Structure { pos: Pos, message: String },
    #[error("unsupported {what}: {uri}")]
    Unsupported { what: &'static str, uri: String },
    #[error("{what} uses SHA-1, refused without --allow-sha1")]
    Sha1Refused { what: &'static str },
    #[error("ID '{id}' appears more than once")]
    DuplicateId { id: String },
    #[error("reference '{uri}' resolves to nothing")]
    ReferenceNotFound { uri: String },
    #[error("reference '{uri}' does not cover the whole document; the signed content must be the document element")]
    NotWholeDocument { uri: String },
    #[error("reference '{uri}' covers what reference '{earlier}' covers: each part of the signature is signed once")]
    OverlappingReferences { uri: String, earlier: String },
    #[error("the digest of reference '{uri}' does not match")]
    DigestMismatch { uri: String },
    #[error("the signature value does not verify")]
    SignatureInvalid,
    #[error("key: {0}")]
    Key(KeyError),
    #[error("signer: {0}")]
    Path(PathError),
    #[error("no key: {0}")]
    NoKey(&'static str),
    #[error("XAdES: {0}")]
    Xades(String),
}

impl DsigError {
    pub fn code(&self) -> &'static str {
        match self {
            DsigError::Xml(e) => e.code(),
            DsigError::NoSignature => "dsig.no_signature",
            DsigError::MultipleSignatures { .. } => "dsig.multiple_signatures",
            DsigError::Misplaced { .. } => "dsig.misplaced",
            DsigError::Structure { .. } => "dsig.structure",
            DsigError::Unsupported { .. } => "alg.unsupported",
            DsigError::Sha1Refused { .. } => "alg.sha1_refused",
            DsigError::DuplicateId { .. } => "dsig.duplicate_id",
            DsigError::ReferenceNotFound { .. } => "dsig.reference_not_found",
            DsigError::NotWholeDocument { .. } => "dsig.not_whole_document",
            DsigError::OverlappingReferences { .. } => "dsig.overlapping_references",
            DsigError::DigestMismatch { .. } => "dsig.digest_mismatch",
            DsigError::SignatureInvalid => "sig.invalid",
            DsigError::Key(e) => e.code(),
            DsigError::Path(e) => e.code(),
            DsigError::NoKey(_) => "dsig.no_key",
            DsigError::Xades(_) => "dsig.xades",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            DsigError::Xml(_) | DsigError::NoSignature | DsigError::Structure { .. } => Severity::Unreadable,
            DsigError::Unsupported { .. } => Severity::Unsupported,
            DsigError::Key(e) => e.severity(),
            DsigError::Path(e) => e.severity(),
            _ => Severity::Invalid,
        }
    }

    /// Whether the document could not be read as XML at all (a 400 on the API, where a
    /// document read and refused is a 422).
    pub fn is_syntax(&self) -> bool {
        matches!(self, DsigError::Xml(_))
    }

    /// Whether the refusal is of the document's own bytes — its form, profile, references
    /// and digests, all checked before any key or time is looked at — and so the same
    /// whichever key and time it is verified with (a verifier trying another time need not
    /// try again). Anything to do with the key, the signer's chain or the signature is not.
    pub fn is_of_the_document(&self) -> bool {
        matches!(
            self,
            DsigError::Xml(_)
                | DsigError::NoSignature
                | DsigError::MultipleSignatures { .. }
                | DsigError::Misplaced { .. }
                | DsigError::Structure { .. }
                | DsigError::DuplicateId { .. }
                | DsigError::ReferenceNotFound { .. }
                | DsigError::NotWholeDocument { .. }
                | DsigError::OverlappingReferences { .. }
                | DsigError::DigestMismatch { .. }
        )
    }

    /// The verdict check this error fails.
    pub fn check(&self) -> &'static str {
        match self {
            DsigError::Xml(_) | DsigError::NoSignature | DsigError::Structure { .. } => "format",
            DsigError::MultipleSignatures { .. }
            | DsigError::Misplaced { .. }
            | DsigError::DuplicateId { .. }
            | DsigError::ReferenceNotFound { .. }
            | DsigError::NotWholeDocument { .. }
            | DsigError::OverlappingReferences { .. } => "profile",
            DsigError::Unsupported { .. } | DsigError::Sha1Refused { .. } => "algorithm",
            DsigError::DigestMismatch { .. } => "digest",
            DsigError::SignatureInvalid => "signature",
            DsigError::Key(_) | DsigError::NoKey(_) => "key",
            DsigError::Path(_) => "chain",
            DsigError::Xades(_) => "xades",
        }
    }
}

/// Where the verification key comes from.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// The X509Data signer certificate, validated as a document signer to these anchors.
    Trusted { anchors: &'a TrustAnchors, crls: Option<&'a Crls>, at: u64 },
    /// Like `Trusted`, with the anchors and CRLs of a kept verifier, whose validated chains
    /// are reused when `at` lies in their window (as for a JWS's x5c); the CRLs must be
    /// fresh at `now` too (the decision's time, when `at` is a stated signing time).
    Kept { chains: &'a crate::crypto::jws::Verifier, at: u64, now: u64 },
    /// The key in KeyInfo, with no trust decision at all (like `xmlsec1 --insecure`):
    /// for interoperability tests only, never for a recognition decision.
    InsecureEmbedded,
    /// A key configured by the caller (e.g. the trust-list operator's key).
    Configured(&'a PublicKey),
}

/// Which shapes of signed document are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The gateway's profile: one enveloped signature under the document element, whose
    /// content reference covers the whole document.
    #[default]
    Enveloped,
    /// For interoperability vectors only: also enveloping signatures (the document element
    /// is `ds:Signature`, content in `ds:Object`), references to any element by ID, and keys
    /// from `ds:KeyValue`. Never used for a decision.
    Conformance,
}

/// Verification options.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub key: KeySource<'a>,
    /// Accept SHA-1 digests and RSA-SHA1 (old test vectors only).
    pub allow_sha1: bool,
    pub profile: Profile,
}

/// A verified document: the tree that was digested, and what the signature said.
#[derive(Debug)]
pub struct Verified {
    pub document: Document,
    pub checks: Vec<Check>,
    pub signer: Option<String>,
    /// The signer certificate (DER), when KeyInfo carried one.
    pub signer_certificate: Option<Vec<u8>>,
    /// XAdES SigningTime, as written.
    pub signing_time: Option<String>,
}

/// The outcome of a verification, with every check made.
#[derive(Debug, serde::Serialize)]
pub struct Verdict {
    pub valid: bool,
    pub checks: Vec<Check>,
    pub signer: Option<String>,
    pub signing_time: Option<String>,
    #[serde(skip)]
    pub error: Option<DsigError>,
}

/// Verifies `bytes` and reports every check.
pub fn verify_report(bytes: &[u8], limits: &Limits, options: &Options<'_>) -> (Verdict, Option<Verified>) {
    let mut checks = Vec::new();
    match verify_inner(bytes, limits, options, &mut checks) {
        Ok(v) => (
            Verdict {
                valid: true,
                checks: v.checks.clone(),
                signer: v.signer.clone(),
                signing_time: v.signing_time.clone(),
                error: None,
            },
            Some(v),
        ),
        Err(e) => {
            checks.push(Check::fail(e.check(), e.code(), e.to_string()));
            (Verdict { valid: false, checks, signer: None, signing_time: None, error: Some(e) }, None)
        }
    }
}

/// Verifies `bytes`; returns the verified document or the first failure.
pub fn verify(bytes: &[u8], limits: &Limits, options: &Options<'_>) -> Result<Verified, DsigError> {
    verify_inner(bytes, limits, options, &mut Vec::new())
}

/// Like [`verify`], for a document already parsed (within limits) from the bytes in question.
pub fn verify_document(document: xml::Document, options: &Options<'_>) -> Result<Verified, DsigError> {
    verify_tree(document, options, &mut Vec::new())
}

/// The most ds:Reference elements a signature of the gateway's profile may hold: its one
/// content reference and its own parts (SignedProperties, KeyInfo, Objects); real trusted
/// lists and certificates have two.
pub const MAX_REFERENCES: usize = 8;

/// The most in the conformance profile (the W3C interoperability vectors have up to 27).
pub const MAX_REFERENCES_CONFORMANCE: usize = 64;

/// A reference's canonical octets digested as canonicalization writes them, a block at a
/// time: they are never held whole (a 1.35 MB trusted list would be, twice over, while its
/// buffer grew).
struct Digesting {
    context: digest::Context,
    block: Vec<u8>,
}

impl Digesting {
    const BLOCK: usize = 16 * 1024;

    fn new(alg: &'static digest::Algorithm) -> Self {
        Self { context: digest::Context::new(alg), block: Vec::with_capacity(Self::BLOCK) }
    }

    fn finish(mut self) -> digest::Digest {
        self.context.update(&self.block);
        self.context.finish()
    }
}

impl c14n::Sink for Digesting {
    fn put(&mut self, bytes: &[u8]) {
        if self.block.len() + bytes.len() > Self::BLOCK {
            self.context.update(&self.block);
            self.block.clear();
        }
        if bytes.len() > Self::BLOCK {
            self.context.update(bytes);
        } else {
            self.block.extend_from_slice(bytes);
        }
    }
}

/// A ds:Reference as read from SignedInfo.
struct Reference {
    uri: String,
    kind: Option<String>,
    transforms: Vec<(String, Vec<String>)>,
    digest_method: String,
    digest_value: Vec<u8>,
}

fn structure(e: &Element, message: impl Into<String>) -> DsigError {
    DsigError::Structure { pos: e.pos, message: message.into() }
}

fn ds_children(e: &Element) -> Vec<&Element> {
    e.elements().collect()
}

fn expect<'d>(
    it: &mut std::iter::Peekable<std::vec::IntoIter<&'d Element>>,
    parent: &Element,
    name: &str,
) -> Result<&'d Element, DsigError> {
    match it.next() {
        Some(e) if e.is(DSIG_NS, name) => Ok(e),
        Some(e) => Err(structure(e, format!("expected ds:{name}, found {}", e.local))),
        None => Err(structure(parent, format!("ds:{name} is missing"))),
    }
}

fn algorithm_attr(e: &Element) -> Result<String, DsigError> {
    e.attr("Algorithm").map(str::to_string).ok_or_else(|| structure(e, format!("ds:{} lacks Algorithm", e.local)))
}

/// The parameters of a canonicalization `e` (a `ds:Transform` or SignedInfo's
/// `ds:CanonicalizationMethod`) of `algorithm`: for the exclusive ones, the PrefixList of
/// its one child, `InclusiveNamespaces` in the exclusive canonicalization's namespace (its
/// algorithm URI). Any other child, a second one, or one without a PrefixList is refused:
/// a parameter this verifier does not understand would make it canonicalize otherwise than
/// the signer did (libxmlsec1 refuses the same, `tests/xmlsec_interop.rs`). The other
/// algorithms take no parameters; their children are ignored, as libxmlsec1 ignores them.
fn inclusive_prefixes(e: &Element, algorithm: &str) -> Result<Vec<String>, DsigError> {
    if algorithm != c14n::EXC_C14N && algorithm != c14n::EXC_C14N_WITH_COMMENTS {
        return Ok(Vec::new());
    }
    let mut children = e.elements();
    let Some(child) = children.next() else { return Ok(Vec::new()) };
    let refused = |at: &Element, what: String| {
        structure(at, format!("{what}: an exclusive canonicalization takes one ec:InclusiveNamespaces, nothing else"))
    };
    if let Some(second) = children.next() {
        return Err(refused(second, format!("a second element <{}> in ds:{}", second.local, e.local)));
    }
    if !child.is(c14n::EXC_C14N, "InclusiveNamespaces") {
        return Err(refused(child, format!("<{}> (not in {}) in ds:{}", child.local, c14n::EXC_C14N, e.local)));
    }
    let list = child.attr("PrefixList").ok_or_else(|| structure(child, "ec:InclusiveNamespaces lacks PrefixList"))?;
    let mut prefixes: Vec<String> =
        list.split(xml::is_xml_space).filter(|p| !p.is_empty()).map(str::to_string).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    // Canonicalization looks each one up at every element, before any key is checked: a list
    // of thousands made one anonymous document cost seconds of CPU per thousand elements
    // (found by attack). A signer names the few prefixes its content uses.
    if prefixes.len() > MOST_INCLUSIVE_PREFIXES {
        return Err(structure(
            child,
            format!(
                "ec:InclusiveNamespaces names {} prefixes; at most {MOST_INCLUSIVE_PREFIXES} are read",
                prefixes.len()
            ),
        ));
    }
    Ok(prefixes)
}

/// The most distinct prefixes an exclusive canonicalization's `PrefixList` may name.
pub const MOST_INCLUSIVE_PREFIXES: usize = 64;

fn b64(e: &Element) -> Result<Vec<u8>, DsigError> {
    e.base64_binary().map_err(|why| match why {
        xml::NotBase64::HoldsElement(child) => {
            structure(child, format!("ds:{} holds an element <{}>; expected base64 text", e.local, child.local))
        }
        xml::NotBase64::Invalid => structure(e, format!("ds:{} is not base64", e.local)),
    })
}

/// What one walk of the document finds: every `ds:Signature` below the document element
/// (with its depth), and every element path (element-child indices from the root) by ID
/// attribute value. One walk, because on a large list each walk of the tree costs about a
/// twentieth of the whole verification, in cache misses alone.
struct Survey<'d> {
    signatures: Vec<(&'d Element, usize)>,
    ids: Vec<(&'d str, Vec<usize>)>,
}

fn survey(root: &Element) -> Survey<'_> {
    fn walk<'d>(e: &'d Element, path: &mut Vec<usize>, out: &mut Survey<'d>) {
        for a in &e.attrs {
            if a.ns.is_none() && matches!(a.local.as_str(), "Id" | "ID" | "id") {
                out.ids.push((&a.value, path.clone()));
            }
        }
        for (i, c) in e.elements().enumerate() {
            if c.is(DSIG_NS, "Signature") {
                out.signatures.push((c, path.len() + 1));
            }
            path.push(i);
            walk(c, path, out);
            path.pop();
        }
    }
    let mut out = Survey { signatures: Vec::new(), ids: Vec::new() };
    walk(root, &mut Vec::new(), &mut out);
    out
}

impl Survey<'_> {
    /// Refuses an ID given twice: a reference to it could mean either element.
    fn unique_ids(&self) -> Result<(), DsigError> {
        let mut seen = std::collections::HashSet::new();
        match self.ids.iter().find(|(id, _)| !seen.insert(*id)) {
            Some((id, _)) => Err(DsigError::DuplicateId { id: id.to_string() }),
            None => Ok(()),
        }
    }
}

fn element_at<'d>(root: &'d Element, path: &[usize]) -> Option<&'d Element> {
    let mut e = root;
    for &i in path {
        e = e.elements().nth(i)?;
    }
    Some(e)
}

fn digest_algorithm(uri: &str, allow_sha1: bool) -> Result<&'static digest::Algorithm, DsigError> {
    Ok(match uri {
        "http://www.w3.org/2001/04/xmlenc#sha256" => &digest::SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => &digest::SHA384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => &digest::SHA512,
        "http://www.w3.org/2000/09/xmldsig#sha1" if allow_sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "http://www.w3.org/2000/09/xmldsig#sha1" => return Err(DsigError::Sha1Refused { what: "a digest" }),
        other => return Err(DsigError::Unsupported { what: "digest method", uri: other.into() }),
    })
}

/// A signature method's algorithm, or RSA-SHA1 (legacy) as a separate case.
enum SigMethod {
    Modern(Algorithm),
    RsaSha1,
}

impl SigMethod {
    /// The digest of an RSA PKCS#1 method, for legacy (short-key) verification.
    fn rsa_digest(&self) -> Option<&'static str> {
        match self {
            SigMethod::RsaSha1 => Some("sha1"),
            SigMethod::Modern(Algorithm::RsaPkcs1Sha256) => Some("sha256"),
            SigMethod::Modern(Algorithm::RsaPkcs1Sha384) => Some("sha384"),
            SigMethod::Modern(Algorithm::RsaPkcs1Sha512) => Some("sha512"),
            _ => None,
        }
    }
}

fn signature_algorithm(uri: &str, allow_sha1: bool) -> Result<SigMethod, DsigError> {
    Ok(SigMethod::Modern(match uri {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Algorithm::RsaPkcs1Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Algorithm::RsaPkcs1Sha384,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Algorithm::RsaPkcs1Sha512,
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => Algorithm::RsaPssSha256,
        "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => Algorithm::RsaPssSha384,
        "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => Algorithm::RsaPssSha512,
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Algorithm::EcdsaP256Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Algorithm::EcdsaP384Sha384,
        "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519" => Algorithm::Ed25519,
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" if allow_sha1 => return Ok(SigMethod::RsaSha1),
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => {
            return Err(DsigError::Sha1Refused { what: "the signature method" });
        }
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1" | "http://www.w3.org/2009/xmldsig11#dsa-sha256" => {
            return Err(DsigError::Key(KeyError::Refused("DSA")));
        }
        other => return Err(DsigError::Unsupported { what: "signature method", uri: other.into() }),
    }))
}

fn verify_inner(
    bytes: &[u8],
    limits: &Limits,
    options: &Options<'_>,
    checks: &mut Vec<Check>,
) -> Result<Verified, DsigError> {
    let document = xml::parse_document(bytes, limits)?;
    verify_tree(document, options, checks)
}

fn verify_tree(document: xml::Document, options: &Options<'_>, checks: &mut Vec<Check>) -> Result<Verified, DsigError> {
    let root = &document.root;
    checks.push(Check::pass("format", "xml.well_formed", "well-formed XML within limits"));

    let conformance = options.profile == Profile::Conformance;
    let mut signatures = Vec::new();
    if root.is(DSIG_NS, "Signature") {
        if !conformance {
            return Err(DsigError::Misplaced { pos: root.pos });
        }
        signatures.push((root, 0));
    }
    // Only once the document element is known not to be a misplaced signature.
    let survey = survey(root);
    signatures.extend_from_slice(&survey.signatures);
    let (signature, depth) = match signatures.as_slice() {
        [] => return Err(DsigError::NoSignature),
        [one] => *one,
        many => return Err(DsigError::MultipleSignatures { count: many.len() }),
    };
    if depth > 1 || (depth == 0 && !conformance) {
        return Err(DsigError::Misplaced { pos: signature.pos });
    }
    // The element path of the signature: [] when it is the document element.
    let sig_path: Vec<usize> = if depth == 0 {
        Vec::new()
    } else {
        vec![root.elements().position(|e| std::ptr::eq(e, signature)).unwrap_or(0)]
    };
    survey.unique_ids()?;
    let ids = &survey.ids;
    checks.push(Check::pass(
        "profile",
        "dsig.enveloped",
        "one enveloped ds:Signature under the document element; IDs unique",
    ));

    // Signature := SignedInfo SignatureValue KeyInfo? Object*
    let mut parts = ds_children(signature).into_iter().peekable();
    let signed_info = expect(&mut parts, signature, "SignedInfo")?;
    let signature_value = expect(&mut parts, signature, "SignatureValue")?;
    let key_info = match parts.peek() {
        Some(e) if e.is(DSIG_NS, "KeyInfo") => parts.next(),
        _ => None,
    };
    for rest in parts {
        if !rest.is(DSIG_NS, "Object") {
            return Err(structure(rest, format!("unexpected {} in ds:Signature", rest.local)));
        }
    }

    // SignedInfo := CanonicalizationMethod SignatureMethod Reference+
    let mut si = ds_children(signed_info).into_iter().peekable();
    let c14n_el = expect(&mut si, signed_info, "CanonicalizationMethod")?;
    let c14n_uri = algorithm_attr(c14n_el)?;
    let mut si_method = Method::from_uri(&c14n_uri)
        .ok_or_else(|| DsigError::Unsupported { what: "canonicalization", uri: c14n_uri.clone() })?;
    si_method.inclusive_prefixes = inclusive_prefixes(c14n_el, &c14n_uri)?;
    let sm_el = expect(&mut si, signed_info, "SignatureMethod")?;
    let sig_method = signature_algorithm(&algorithm_attr(sm_el)?, options.allow_sha1)?;
    let mut references = Vec::new();
    // Each reference is canonicalized and digested: their number is bounded, or a few
    // megabytes of SignedInfo would buy a few gigabytes of work before any refusal.
    let most = if conformance { MAX_REFERENCES_CONFORMANCE } else { MAX_REFERENCES };
    for r in si {
        if !r.is(DSIG_NS, "Reference") {
            return Err(structure(r, format!("unexpected {} in ds:SignedInfo", r.local)));
        }
        if references.len() == most {
            return Err(structure(r, format!("more than {most} ds:Reference in ds:SignedInfo")));
        }
        references.push(read_reference(r)?);
    }
    if references.is_empty() {
        return Err(structure(signed_info, "ds:SignedInfo has no ds:Reference"));
    }

    // References: one to the whole document, others only inside this signature (its
    // SignedProperties, its KeyInfo, an Object).
    let mut content_refs = 0;
    let mut signed_properties: Option<&Element> = None;
    // The parts of the signature signed so far, by path and URI. Each is canonicalized and
    // digested, so in the gateway's profile none may be another's or inside another's:
    // the references' work is then at most the document's twice over (found by review:
    // seven references to one large ds:Object, each with 64 inclusive prefixes, cost seconds
    // before the signer was looked at).
    let mut parts_signed: Vec<(Vec<usize>, &str)> = Vec::new();
    for reference in &references {
        let (path, target) = if reference.uri.is_empty() {
            (Vec::new(), root)
        } else if let Some(id) = reference.uri.strip_prefix('#') {
            let path = ids
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, p)| p.clone())
                .ok_or_else(|| DsigError::ReferenceNotFound { uri: reference.uri.clone() })?;
            let target =
                element_at(root, &path).ok_or_else(|| DsigError::ReferenceNotFound { uri: reference.uri.clone() })?;
            (path, target)
        } else {
            return Err(DsigError::Unsupported { what: "reference URI", uri: reference.uri.clone() });
        };
        let inside_signature = path.len() > sig_path.len() && path.starts_with(&sig_path);
        if reference.kind.as_deref() == Some(SIGNED_PROPERTIES_TYPE)
            || (inside_signature && target.is(XADES_NS, "SignedProperties"))
        {
            if !inside_signature || !target.is(XADES_NS, "SignedProperties") {
                return Err(DsigError::Xades(format!(
                    "reference '{}' typed SignedProperties does not point at this signature's xades:SignedProperties",
                    reference.uri
                )));
            }
            check_qualifying_properties(root, &sig_path, &path)?;
            signed_properties = Some(target);
        } else if inside_signature {
            // Part of the signature itself (its KeyInfo, an Object): signed beside the
            // document, never taken for it. SignedInfo and SignatureValue cannot be.
            let part = path.get(sig_path.len()).and_then(|&i| signature.elements().nth(i));
            if !part.is_some_and(|p| p.is(DSIG_NS, "KeyInfo") || p.is(DSIG_NS, "Object")) {
                return Err(DsigError::NotWholeDocument { uri: reference.uri.clone() });
            }
        } else {
            if !path.is_empty() && !conformance {
                return Err(DsigError::NotWholeDocument { uri: reference.uri.clone() });
            }
            content_refs += 1;
            // Refused before a second whole-document canonicalization, not after all of them.
            if content_refs > 1 && !conformance {
                return Err(DsigError::NotWholeDocument { uri: format!("{content_refs} content references") });
            }
        }

        if inside_signature && !conformance {
            let overlapping =
                |(earlier, _): &&(Vec<usize>, &str)| path.starts_with(earlier) || earlier.starts_with(&path);
            if let Some((_, earlier)) = parts_signed.iter().find(overlapping) {
                let earlier = earlier.to_string();
                return Err(DsigError::OverlappingReferences { uri: reference.uri.clone(), earlier });
            }
            parts_signed.push((path.clone(), &reference.uri));
        }

        let mut enveloped = false;
        let mut method: Option<Method> = None;
        for (i, (alg, prefixes)) in reference.transforms.iter().enumerate() {
            // Of a part of the signature, the enveloped-signature transform leaves nothing
            // (the part is inside what it takes out): it belongs to a reference to the
            // document, and one that would sign nothing is refused as not the document,
            // not taken as signing the part (found by review: xmlsec1 digests the empty
            // node-set, mrgate digested the part).
            if alg == ENVELOPED && inside_signature {
                return Err(DsigError::NotWholeDocument { uri: reference.uri.clone() });
            }
            if alg == ENVELOPED && i == 0 {
                enveloped = true;
            } else if let Some(mut m) = Method::from_uri(alg).filter(|_| method.is_none()) {
                m.inclusive_prefixes = prefixes.clone();
                method = Some(m);
            } else {
                return Err(DsigError::Unsupported { what: "transform (or transform order)", uri: alg.clone() });
            }
        }
        // Same-document references are node-sets without comments; the final conversion to
        // octets is canonical XML unless a transform said otherwise.
        let mut method = method.unwrap_or_else(|| Method::from_uri(c14n::C14N).unwrap_or_else(|| si_method.clone()));
        method.with_comments = false;
        let exclude = if enveloped { Some(signature) } else { None };
        let alg = digest_algorithm(&reference.digest_method, options.allow_sha1)?;
        let mut octets = Digesting::new(alg);
        if reference.uri.is_empty() {
            c14n::document_into(&document, &method, exclude, &mut octets);
        } else {
            c14n::subtree_into(&document, &path, &method, exclude, &mut octets)
                .ok_or_else(|| DsigError::ReferenceNotFound { uri: reference.uri.clone() })?;
        }
        let computed = octets.finish();
        if computed.as_ref() != reference.digest_value.as_slice() {
            return Err(DsigError::DigestMismatch { uri: reference.uri.clone() });
        }
    }
    if content_refs != 1 && !conformance {
        return Err(DsigError::NotWholeDocument { uri: format!("{content_refs} content references") });
    }
    checks.push(Check::pass("digest", "dsig.digests_match", format!("{} reference digest(s) match", references.len())));

    // The key, and the signature over canonical SignedInfo.
    let si_path: Vec<usize> = sig_path.iter().copied().chain([0]).collect();
    let si_octets = c14n::subtree(&document, &si_path, &si_method, None).ok_or(DsigError::NoSignature)?;
    let signature_bytes = b64(signature_value)?;
    let certificates = key_info.map(x509_certificates).transpose()?.unwrap_or_default();
    // A chain validated for this document, kept between documents only once the signature
    // verifies with its key ([`crate::crypto::jws::ValidatedChain`]).
    let mut to_keep = None;
    let (public_key, signer, signer_der) = match options.key {
        KeySource::Configured(key) => (key.clone(), None, certificates.first().map(|c| c.as_ref().to_vec())),
        KeySource::InsecureEmbedded if certificates.is_empty() && conformance => {
            let key = key_info
                .and_then(|k| key_value(k, conformance))
                .ok_or(DsigError::NoKey("KeyInfo has no usable key"))??;
            (key, None, None)
        }
        KeySource::InsecureEmbedded => {
            let der = certificates.first().ok_or(DsigError::NoKey("KeyInfo has no X509Certificate"))?;
            let key = match PublicKey::from_certificate_der(der.as_ref()) {
                Ok(k) => k,
                Err(KeyError::WeakRsa { .. }) if conformance => {
                    use x509_parser::prelude::FromDer;
                    x509_parser::certificate::X509Certificate::from_der(der.as_ref())
                        .ok()
                        .and_then(|(_, c)| PublicKey::rsa_legacy_from_spki(c.public_key()))
                        .ok_or(DsigError::NoKey("the certificate's RSA key cannot be read"))?
                }
                Err(KeyError::Unsupported(uri)) => return Err(DsigError::Unsupported { what: "key", uri }),
                Err(other) => return Err(DsigError::Key(other)),
            };
            (key, crate::crypto::x509::subject_of(der.as_ref()), Some(der.as_ref().to_vec()))
        }
        KeySource::Trusted { anchors, crls, at } => {
            let (leaf, rest) = certificates.split_first().ok_or(DsigError::NoKey("KeyInfo has no X509Certificate"))?;
            let path_options = PathOptions {
                purpose: Purpose::DocumentSigning,
                time: at,
                crls,
                max_intermediates: Some(8),
                crls_at: None,
            };
            trusted_signer(verify_path(leaf, rest, anchors, &path_options), leaf, checks)?
        }
        KeySource::Kept { chains, at, now } => {
            let leaf = certificates.first().ok_or(DsigError::NoKey("KeyInfo has no X509Certificate"))?;
            let verified = match chains.validate_chain_signed_at(&certificates, at, now) {
                Ok(chain) => {
                    let (signer, unkept) = chain.into_parts();
                    // Kept once the signature over SignedInfo verifies, below.
                    to_keep = unkept.map(|u| (chains, u));
                    Ok(signer)
                }
                Err(crate::crypto::jws::JwsError::Path(p)) => Err(p),
                Err(other) => {
                    Err(PathError::Malformed { which: "the signer's chain".into(), message: other.to_string() })
                }
            };
            trusted_signer(verified, leaf, checks)?
        }
    };
    let legacy_rsa = matches!(public_key.kind, super::keys::KeyKind::Rsa { bits } if bits < 2048);
    if legacy_rsa {
        // Reached only in the conformance profile: the trusted and configured paths refuse
        // such keys when they are loaded.
        let digest = sig_method.rsa_digest().ok_or(DsigError::Key(KeyError::WeakRsa { bits: 0 }))?;
        public_key.verify_rsa_legacy(digest, &si_octets, &signature_bytes).map_err(|e| match e {
            KeyError::BadSignature => DsigError::SignatureInvalid,
            other => DsigError::Key(other),
        })?;
    } else {
        match sig_method {
            SigMethod::Modern(alg) => {
                // XML-DSig's ECDSA methods name the hash; the key names the curve.
                let alg = alg.on_curve_of(public_key.kind);
                public_key.verify(alg, &si_octets, &signature_bytes, EcdsaEncoding::Fixed).map_err(|e| match e {
                    KeyError::BadSignature => DsigError::SignatureInvalid,
                    other => DsigError::Key(other),
                })?
            }
            SigMethod::RsaSha1 => ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                public_key.raw(),
            )
            .verify(&si_octets, &signature_bytes)
            .map_err(|_| DsigError::SignatureInvalid)?,
        }
    }
    checks.push(Check::pass("signature", "sig.valid", "the signature over SignedInfo verifies"));
    if let Some((chains, unkept)) = to_keep {
        chains.keep(unkept);
    }

    let signing_time = match signed_properties {
        Some(sp) => Some(check_xades(sp, signer_der.as_deref())?),
        None => None,
    };
    if let Some(t) = &signing_time {
        checks.push(Check::pass("xades", "dsig.xades", format!("SigningCertificate matches; SigningTime {t}")));
    }
    Ok(Verified { checks: checks.clone(), signer, signer_certificate: signer_der, signing_time, document })
}

/// The key to check a signature with, the signer's subject and its certificate (DER), when known.
type SignerKey = (PublicKey, Option<String>, Option<Vec<u8>>);

/// The key, subject and certificate of a signer whose chain was validated, with the check
/// that says so; or why the chain does not hold.
fn trusted_signer(
    verified: Result<crate::crypto::x509::VerifiedSigner, PathError>,
    leaf: &CertificateDer<'_>,
    checks: &mut Vec<Check>,
) -> Result<SignerKey, DsigError> {
    let verified = verified.map_err(|e| match e {
        PathError::Unsupported { what, .. } => DsigError::Unsupported { what: "key", uri: what },
        other => DsigError::Path(other),
    })?;
    checks.push(Check::pass("chain", "x509.valid", format!("signer '{}' chains to a trust anchor", verified.subject)));
    Ok((verified.public_key, Some(verified.subject), Some(leaf.as_ref().to_vec())))
}

fn read_reference(r: &Element) -> Result<Reference, DsigError> {
    let uri = r
        .attr("URI")
        .ok_or_else(|| structure(r, "ds:Reference without URI (detached content is not accepted)"))?
        .to_string();
    let mut parts = ds_children(r).into_iter().peekable();
    let mut transforms = Vec::new();
    if let Some(t) = parts.peek()
        && t.is(DSIG_NS, "Transforms")
    {
        let t = parts.next().unwrap_or(r);
        for tr in t.elements() {
            if !tr.is(DSIG_NS, "Transform") {
                return Err(structure(tr, "only ds:Transform belongs in ds:Transforms"));
            }
            let algorithm = algorithm_attr(tr)?;
            let prefixes = inclusive_prefixes(tr, &algorithm)?;
            transforms.push((algorithm, prefixes));
        }
    }
    let dm = expect(&mut parts, r, "DigestMethod")?;
    let dv = expect(&mut parts, r, "DigestValue")?;
    if let Some(extra) = parts.next() {
        return Err(structure(extra, "unexpected element in ds:Reference"));
    }
    Ok(Reference {
        uri,
        kind: r.attr("Type").map(str::to_string),
        transforms,
        digest_method: algorithm_attr(dm)?,
        digest_value: b64(dv)?,
    })
}

/// A key from `ds:KeyValue`: RSAKeyValue or (XML-DSig 1.1) ECKeyValue with a named curve.
fn key_value(key_info: &Element, conformance: bool) -> Option<Result<PublicKey, DsigError>> {
    const DSIG11_NS: &str = "http://www.w3.org/2009/xmldsig11#";
    let kv = key_info.elements().find(|e| e.is(DSIG_NS, "KeyValue"))?;
    let inner = kv.elements().next()?;
    let child = |name: &str| inner.elements().find(|c| c.local == name);
    let b64url = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    if inner.is(DSIG_NS, "RSAKeyValue") {
        let n = child("Modulus").map(b64)?;
        let e = child("Exponent").map(b64)?;
        let (n, e) = match (n, e) {
            (Ok(n), Ok(e)) => (n, e),
            (Err(err), _) | (_, Err(err)) => return Some(Err(err)),
        };
        let jwk = serde_json::json!({"kty": "RSA", "n": b64url(n.clone()), "e": b64url(e.clone())});
        return Some(match PublicKey::from_jwk(&jwk) {
            Err(KeyError::WeakRsa { .. }) if conformance => Ok(PublicKey::rsa_legacy(&n, &e)),
            other => other.map_err(DsigError::Key),
        });
    }
    if inner.is(DSIG11_NS, "ECKeyValue") {
        let curve = child("NamedCurve").and_then(|c| c.attr("URI")).unwrap_or("");
        let point = match child("PublicKey").map(b64)? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let (crv, len) = match curve {
            "urn:oid:1.2.840.10045.3.1.7" => ("P-256", 32),
            "urn:oid:1.3.132.0.34" => ("P-384", 48),
            other => return Some(Err(DsigError::Unsupported { what: "curve", uri: other.into() })),
        };
        let xy = match point.split_first() {
            Some((4, xy)) if xy.len() == 2 * len => xy.split_at_checked(len),
            _ => None,
        };
        let Some((x, y)) = xy else {
            return Some(Err(DsigError::Key(KeyError::BadPublicKey("EC point is not uncompressed".into()))));
        };
        let jwk = serde_json::json!({"kty": "EC", "crv": crv, "x": b64url(x.to_vec()), "y": b64url(y.to_vec())});
        return Some(PublicKey::from_jwk(&jwk).map_err(DsigError::Key));
    }
    Some(Err(DsigError::Unsupported { what: "KeyValue", uri: inner.local.clone() }))
}

/// The certificates of a KeyInfo, signer first: at most ten, as a JWS's `x5c` (a chain
/// holds its signer and at most eight intermediates; KeyInfo is seldom signed, so any
/// number of others could be added to a signed document to cost its verifier).
fn x509_certificates(key_info: &Element) -> Result<Vec<CertificateDer<'static>>, DsigError> {
    const MOST: usize = 10;
    let mut out = Vec::new();
    for data in key_info.elements().filter(|e| e.is(DSIG_NS, "X509Data")) {
        for c in data.elements().filter(|e| e.is(DSIG_NS, "X509Certificate")) {
            if out.len() == MOST {
                return Err(structure(c, format!("KeyInfo holds more than {MOST} X509Certificate elements")));
            }
            out.push(CertificateDer::from(b64(c)?));
        }
    }
    Ok(out)
}

/// The XAdES SigningTime a document states, read without checking anything: the first
/// `xades:SigningTime` in document order. Only a hint for choosing the anchors to verify
/// against — it may be unsigned or false — until [`verify`] reports the same signed time.
pub fn stated_signing_time(document: &xml::Document) -> Option<String> {
    fn first(e: &Element) -> Option<&Element> {
        if e.is(XADES_NS, "SigningTime") {
            return Some(e);
        }
        e.elements().find_map(first)
    }
    first(&document.root).map(|t| t.token())
}

/// XAdES (EN 319 132-1, 4.3.1): the SignedProperties a reference names sit in
/// `ds:Object/xades:QualifyingProperties` of this signature, and QualifyingProperties names
/// the signature it qualifies in its Target. Properties that say they belong to another
/// signature are not this one's, however they came to be signed.
fn check_qualifying_properties(root: &Element, sig_path: &[usize], props_path: &[usize]) -> Result<(), DsigError> {
    let signature = element_at(root, sig_path);
    let object = element_at(root, props_path.get(..props_path.len().saturating_sub(2)).unwrap_or_default());
    let qualifying = element_at(root, props_path.get(..props_path.len().saturating_sub(1)).unwrap_or_default());
    let placed = props_path.len() == sig_path.len() + 3
        && object.is_some_and(|o| o.is(DSIG_NS, "Object"))
        && qualifying.is_some_and(|q| q.is(XADES_NS, "QualifyingProperties"));
    if !placed {
        return Err(DsigError::Xades(
            "xades:SignedProperties is not in ds:Object/xades:QualifyingProperties of this signature".into(),
        ));
    }
    let target = qualifying.and_then(|q| q.attr("Target")).unwrap_or("");
    match signature.and_then(|s| s.attr("Id")) {
        Some(id) if target.strip_prefix('#') == Some(id) => Ok(()),
        Some(id) => Err(DsigError::Xades(format!(
            "xades:QualifyingProperties has Target '{target}', not this signature's '#{id}'"
        ))),
        None => Err(DsigError::Xades(format!(
            "xades:QualifyingProperties has Target '{target}', but the signature has no Id for it to name"
        ))),
    }
}

/// Checks XAdES SigningCertificate(V2) against the signer certificate and returns SigningTime.
fn check_xades(signed_properties: &Element, signer_der: Option<&[u8]>) -> Result<String, DsigError> {
    fn find<'e>(e: &'e Element, name: &str) -> Option<&'e Element> {
        e.elements().find(|c| c.is(XADES_NS, name))
    }
    let ssp = find(signed_properties, "SignedSignatureProperties")
        .ok_or_else(|| DsigError::Xades("SignedSignatureProperties is missing".into()))?;
    let signing_time = find(ssp, "SigningTime").map(|t| t.token()).unwrap_or_default();
    let signing_certificate = find(ssp, "SigningCertificate").or_else(|| find(ssp, "SigningCertificateV2"));
    if let Some(sc) = signing_certificate {
        let der = signer_der
            .ok_or_else(|| DsigError::Xades("SigningCertificate present but no signer certificate".into()))?;
        let mut matched = false;
        for cert in sc.elements().filter(|c| c.is(XADES_NS, "Cert")) {
            let Some(cd) = find(cert, "CertDigest") else { continue };
            let method =
                cd.elements().find(|c| c.is(DSIG_NS, "DigestMethod")).and_then(|m| m.attr("Algorithm")).unwrap_or("");
            let value = cd.elements().find(|c| c.is(DSIG_NS, "DigestValue")).map(b64).transpose()?.unwrap_or_default();
            // A certificate digest identifies the signer certificate; SHA-1 is still what
            // XAdES v1 SigningCertificate writes, and it is accepted here (the signature
            // itself never rests on SHA-1 without the legacy flag). Taken with the `sha1`
            // crate, which uses the processor's SHA instructions: ring's SHA-1 is portable
            // code, 2% of verifying a trusted list such as ie-tl.xml.
            let digest_matches = match method {
                "http://www.w3.org/2000/09/xmldsig#sha1" => {
                    use sha1::Digest as _;
                    sha1::Sha1::digest(der).as_slice() == value.as_slice()
                }
                m => digest::digest(digest_algorithm(m, false)?, der).as_ref() == value.as_slice(),
            };
            if digest_matches {
                matched = true;
            }
        }
        if !matched {
            return Err(DsigError::Xades("no SigningCertificate digest matches the signer certificate".into()));
        }
    }
    Ok(signing_time)
}

/// Signs a document (UTF-8 text with a document element) with an enveloped XAdES-BES
/// signature: exclusive c14n, SHA-256, ECDSA-P256-SHA256, RSA-SHA256 or Ed25519, the chain
/// in X509Data, and signed properties with the signing time and the signer certificate's
/// digest (SigningCertificateV2).
pub fn sign(document_text: &str, key: &SigningKey, chain: &[CertificateDer<'_>]) -> Result<String, DsigError> {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let signing_time = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    sign_at(document_text, key, chain, &signing_time)
}

/// [`sign`] with a given signing time (RFC 3339), for reproducible output.
pub fn sign_at(
    document_text: &str,
    key: &SigningKey,
    chain: &[CertificateDer<'_>],
    signing_time: &str,
) -> Result<String, DsigError> {
    let placed = placed(document_text, key.algorithm(), chain, signing_time)?;
    let value = STANDARD.encode(key.sign(&placed.signed_info).map_err(DsigError::Key)?);
    let (head, tail) = placed.around_value();
    Ok(format!("{head}{value}{tail}"))
}

/// Where [`placed`] leaves the signature value to be written.
const SIGNATURE_VALUE: &str = "@@SIGNATURE-VALUE@@";

/// A document with its signature placed before the document element's end tag, complete
/// but for the signature value: the text before the signature, the signature (its value
/// [`SIGNATURE_VALUE`]), the text from the end tag on, and the canonical SignedInfo the
/// value signs. The placeholders are filled in the signature alone: the document's own
/// text (a comment after the end tag, say) may hold anything.
struct Placed<'a> {
    before: &'a str,
    signature: String,
    after: &'a str,
    signed_info: Vec<u8>,
}

impl Placed<'_> {
    /// The signed document's text up to its signature value, and from after it.
    fn around_value(&self) -> (String, String) {
        // SignatureValue comes before anything of the caller's in the signature (the
        // certificates, the signing time): the first placeholder is the one.
        let (head, tail) = self.signature.split_once(SIGNATURE_VALUE).unwrap_or((&self.signature, ""));
        (format!("{}  {head}", self.before), format!("{tail}\n{}", self.after))
    }
}

/// Whether `signed` is exactly what [`sign_at`] writes for `document_text` with a key of
/// `algorithm`, `chain` and `signing_time`, but for the signature value (base64, checked by
/// verifying it): nothing added, inside the signature or out of it. An audit holds the
/// gateway's signed documents to this.
pub fn is_signed_form(
    signed: &str,
    document_text: &str,
    algorithm: Algorithm,
    chain: &[CertificateDer<'_>],
    signing_time: &str,
) -> Result<bool, DsigError> {
    let (before, after) = placed(document_text, algorithm, chain, signing_time)?.around_value();
    let value = signed.strip_prefix(before.as_str()).and_then(|rest| rest.strip_suffix(after.as_str()));
    Ok(value.is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))))
}

/// The document with its signature placed ([`Placed`]).
fn placed<'a>(
    document_text: &'a str,
    algorithm: Algorithm,
    chain: &[CertificateDer<'_>],
    signing_time: &str,
) -> Result<Placed<'a>, DsigError> {
    let limits = Limits::default();
    let doc = xml::parse_document(document_text.as_bytes(), &limits)?;
    let found = survey(&doc.root).signatures;
    if !found.is_empty() || doc.root.is(DSIG_NS, "Signature") {
        return Err(DsigError::MultipleSignatures { count: found.len() + 1 });
    }
    let signer = chain.first().ok_or(DsigError::NoKey("no signer certificate"))?;
    let method = Method::from_uri(c14n::EXC_C14N).ok_or(DsigError::NoSignature)?;
    let sig_uri = match algorithm {
        // The ECDSA methods name the hash, not the curve: a brainpool key's is its own.
        Algorithm::EcdsaP256Sha256 | Algorithm::EcdsaBrainpoolP256Sha256 => {
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
        }
        Algorithm::EcdsaP384Sha384 | Algorithm::EcdsaBrainpoolP384Sha384 => {
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
        }
        Algorithm::RsaPkcs1Sha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        Algorithm::Ed25519 => "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519",
        other => return Err(DsigError::Unsupported { what: "signing algorithm", uri: other.to_string() }),
    };
    let certs: String = chain
        .iter()
        .map(|c| format!("<ds:X509Certificate>{}</ds:X509Certificate>", STANDARD.encode(c.as_ref())))
        .collect();
    let cert_digest = STANDARD.encode(digest::digest(&digest::SHA256, signer.as_ref()));
    const DIGEST: &str = "@@DIGEST-VALUE@@";
    const PROPS_DIGEST: &str = "@@PROPERTIES-DIGEST@@";
    const VALUE: &str = SIGNATURE_VALUE;
    const SIG_ID: &str = "mrgate-signature";
    const PROPS_ID: &str = "mrgate-signed-properties";
    let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\" Id=\"{SIG_ID}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{exc}\"/>\
<ds:SignatureMethod Algorithm=\"{sig_uri}\"/><ds:Reference URI=\"\"><ds:Transforms>\
<ds:Transform Algorithm=\"{ENVELOPED}\"/><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"{sha256}\"/><ds:DigestValue>{DIGEST}</ds:DigestValue></ds:Reference>\
<ds:Reference URI=\"#{PROPS_ID}\" Type=\"{SIGNED_PROPERTIES_TYPE}\"><ds:Transforms><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"{sha256}\"/><ds:DigestValue>{PROPS_DIGEST}</ds:DigestValue></ds:Reference>\
</ds:SignedInfo><ds:SignatureValue>{VALUE}</ds:SignatureValue>\
<ds:KeyInfo><ds:X509Data>{certs}</ds:X509Data></ds:KeyInfo>\
<ds:Object><xades:QualifyingProperties xmlns:xades=\"{XADES_NS}\" Target=\"#{SIG_ID}\"><xades:SignedProperties Id=\"{PROPS_ID}\">\
<xades:SignedSignatureProperties><xades:SigningTime>{signing_time}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert>\
<xades:CertDigest><ds:DigestMethod Algorithm=\"{sha256}\"/><ds:DigestValue>{cert_digest}</ds:DigestValue></xades:CertDigest>\
</xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>\
</ds:Signature>",
        exc = c14n::EXC_C14N
    );
    // Where the parser read the end tag, in the text it parsed: this text but for a
    // byte-order mark (a &str declaring another encoding parses only when it is ASCII,
    // which reads the same).
    let bom = if document_text.starts_with('\u{FEFF}') { '\u{FEFF}'.len_utf8() } else { 0 };
    let end_tag = doc.root_end.ok_or_else(|| {
        structure(&doc.root, "the document element is an empty-element tag: there is no end tag to sign before")
    })?;
    let (before, after) = document_text
        .split_at_checked(end_tag + bom)
        .filter(|(_, after)| after.starts_with("</"))
        .ok_or_else(|| structure(&doc.root, "the document element's end tag was not found"))?;
    let placed_text = format!("{before}  {signature}\n{after}");

    // Digests and SignedInfo are computed from the document as verifiers will see it: the
    // content digest over the document with the signature in place (left out by the
    // enveloped transform), the properties digest over SignedProperties in place, then
    // SignedInfo once it carries both.
    let placed = xml::parse_document(placed_text.as_bytes(), &limits)?;
    survey(&placed.root).unique_ids()?;
    let sig_index = placed.root.elements().position(|e| e.is(DSIG_NS, "Signature")).ok_or(DsigError::NoSignature)?;
    let signature_el = placed.root.elements().nth(sig_index);
    let content_digest =
        STANDARD.encode(digest::digest(&digest::SHA256, &c14n::document(&placed, &method, signature_el)));
    let object_index = signature_el.map(|s| s.elements().count() - 1).unwrap_or(3);
    // Signature / Object / QualifyingProperties / SignedProperties
    let props =
        c14n::subtree(&placed, &[sig_index, object_index, 0, 0], &method, None).ok_or(DsigError::NoSignature)?;
    let props_digest = STANDARD.encode(digest::digest(&digest::SHA256, &props));
    // In SignedInfo, which comes before anything of the caller's in the signature: the
    // first placeholders of their kind are the ones.
    let signature = signature.replacen(DIGEST, &content_digest, 1).replacen(PROPS_DIGEST, &props_digest, 1);
    let placed = xml::parse_document(format!("{before}  {signature}\n{after}").as_bytes(), &limits)?;
    let signed_info = c14n::subtree(&placed, &[sig_index, 0], &method, None).ok_or(DsigError::NoSignature)?;
    Ok(Placed { before, signature, after, signed_info })
}

/// The document [`sign_at`] signed, from what it wrote: the text with the signature it
/// placed (two spaces, `ds:Signature`, a line end) taken out. `None` for text not in that
/// form (one signature, placed as `sign_at` places it). With the signature verified, an
/// audit compares this with what the gateway's rules make, byte for byte.
pub fn unsigned_of(signed: &str) -> Option<String> {
    const START: &str = "  <ds:Signature xmlns:ds=\"";
    const END: &str = "</ds:Signature>\n";
    let (before, rest) = signed.split_once(START)?;
    let (_, after) = rest.split_once(END)?;
    if after.contains(START) || before.contains("<ds:Signature") {
        return None;
    }
    Some(format!("{before}{after}"))
}

/// Reads certificates for `sign` from PEM.
pub fn chain_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, DsigError> {
    read_certificates(pem).map_err(DsigError::Path)
}

/// Whether any node under `e` is a comment (used by tests of comment games).
pub fn has_comment(e: &Element) -> bool {
    e.children.iter().any(|n| match n {
        Node::Comment(_) => true,
        Node::Element(c) => has_comment(c),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exclusive canonicalization's PrefixList is read once per prefix, and refused past
    /// [`MOST_INCLUSIVE_PREFIXES`] distinct ones (found by attack: 20,000 prefixes over 2,000
    /// elements cost an anonymous request 15 s of CPU before any key was checked).
    #[test]
    fn a_prefix_list_is_read_once_per_prefix_and_bounded() {
        let read = |list: &str| {
            prefixes(&format!(r#"<ec:InclusiveNamespaces xmlns:ec="{}" PrefixList="{list}"/>"#, c14n::EXC_C14N))
        };
        assert_eq!(read(" c  ds\t#default c c\nds "), Ok(vec!["#default".into(), "c".into(), "ds".into()]));
        assert_eq!(read(""), Ok(vec![]));
        let most: Vec<String> = (0..MOST_INCLUSIVE_PREFIXES).map(|i| format!("p{i}")).collect();
        assert_eq!(read(&most.join(" ")).map(|p| p.len()), Ok(MOST_INCLUSIVE_PREFIXES));
        assert_eq!(read(&format!("{} p0 p1", most.join(" "))).map(|p| p.len()), Ok(MOST_INCLUSIVE_PREFIXES));
        let refused = read(&format!("{} one-more", most.join(" "))).expect_err("refused");
        assert!(refused.ends_with("ec:InclusiveNamespaces names 65 prefixes; at most 64 are read"), "{refused}");
        let many = vec!["c"; 20_000].join(" ");
        assert_eq!(read(&many), Ok(vec!["c".into()]));
    }

    /// XAdES SigningCertificate: the signer certificate must match one `Cert`'s digest, by
    /// SHA-1 (what XAdES v1 writes, taken with the `sha1` crate) or SHA-256, against digests
    /// of "abc" fixed here from the standards' test vectors (FIPS 180), not computed by the
    /// code under test; SHA-1 in the signature itself stays refused.
    #[test]
    fn the_signing_certificate_digest_must_match_the_signer() {
        const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
        const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
        const SHA1_ABC: &str = "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=";
        const SHA256_ABC: &str = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";
        let check = |method: &str, value: &str, der: &[u8]| {
            let properties = format!(
                r#"<xades:SignedProperties xmlns:xades="{XADES_NS}" xmlns:ds="{DSIG_NS}"><xades:SignedSignatureProperties><xades:SigningTime>2026-12-06T00:00:00Z</xades:SigningTime><xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="{method}"/><ds:DigestValue>{value}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties></xades:SignedProperties>"#
            );
            let parsed = xml::parse(properties.as_bytes(), &Limits::default()).expect("parse");
            check_xades(&parsed, Some(der))
        };
        let signed_at = Ok("2026-12-06T00:00:00Z".to_string());
        let no_match = Err(DsigError::Xades("no SigningCertificate digest matches the signer certificate".into()));
        assert_eq!(check(SHA1, SHA1_ABC, b"abc"), signed_at);
        assert_eq!(check(SHA256, SHA256_ABC, b"abc"), signed_at);
        assert_eq!(check(SHA1, SHA1_ABC, b"abd"), no_match);
        assert_eq!(check(SHA256, SHA256_ABC, b"abd"), no_match);
        assert_eq!(check(SHA1, SHA256_ABC, b"abc"), no_match);
        assert_eq!(check(SHA256, SHA1_ABC, b"abc"), no_match);
        assert_eq!(check(SHA1, "", b"abc"), no_match);
        let md5 = "http://www.w3.org/2001/04/xmldsig-more#md5";
        assert_eq!(
            check(md5, SHA1_ABC, b"abc"),
            Err(DsigError::Unsupported { what: "digest method", uri: md5.into() })
        );
    }

    /// A KeyInfo holds at most ten certificates, however its X509Data elements share them.
    #[test]
    fn a_key_info_holds_at_most_ten_certificates() {
        let key_info = |groups: &[usize]| {
            let data: String = groups
                .iter()
                .map(|n| format!("<X509Data>{}</X509Data>", "<X509Certificate>YWJj</X509Certificate>".repeat(*n)))
                .collect();
            let text = format!(r#"<KeyInfo xmlns="{DSIG_NS}">{data}</KeyInfo>"#);
            x509_certificates(&xml::parse(text.as_bytes(), &Limits::default()).expect("parse"))
        };
        assert_eq!(key_info(&[10]).map(|c| c.len()), Ok(10));
        assert_eq!(key_info(&[4, 6]).map(|c| c.len()), Ok(10));
        for groups in [&[11][..], &[6, 5], &[10, 1]] {
            let e = key_info(groups).expect_err("eleven");
            assert_eq!(e.code(), "dsig.structure", "{groups:?}");
            assert!(e.to_string().ends_with("KeyInfo holds more than 10 X509Certificate elements"), "{e}");
        }
    }

    /// A transform of `algorithm`'s parameters as [`inclusive_prefixes`] reads them from
    /// its children `children`: the PrefixList, or the refusal's message.
    fn prefixes_of(algorithm: &str, children: &str) -> Result<Vec<String>, String> {
        let transform = format!(
            r#"<Transform xmlns="http://www.w3.org/2000/09/xmldsig#" Algorithm="{algorithm}">{children}</Transform>"#
        );
        let parsed = xml::parse(transform.as_bytes(), &Limits::default()).expect("parse");
        inclusive_prefixes(&parsed, algorithm).map_err(|e| e.to_string())
    }

    fn prefixes(children: &str) -> Result<Vec<String>, String> {
        prefixes_of(c14n::EXC_C14N, children)
    }

    /// Only the exclusive canonicalization's own `InclusiveNamespaces` names prefixes to
    /// render; the list is split on XML whitespace alone; anything else in an exclusive
    /// canonicalization is refused, and nothing in the others is read.
    #[test]
    fn inclusive_namespaces_are_its_one_parameter() {
        let own = r#"<InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="bar #default"/>"#;
        assert_eq!(prefixes(own), Ok(vec!["#default".into(), "bar".into()]));
        assert_eq!(prefixes_of(c14n::EXC_C14N_WITH_COMMENTS, own), Ok(vec!["#default".into(), "bar".into()]));
        assert_eq!(prefixes(""), Ok(vec![]));
        assert_eq!(prefixes("<!-- a comment -->\n"), Ok(vec![]), "no element, no parameter");
        let prefixed = r#"<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList=" a&#x9;b&#xA; "/>"#;
        assert_eq!(prefixes(prefixed), Ok(vec!["a".into(), "b".into()]));
        let nbsp = "<InclusiveNamespaces xmlns=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"a\u{a0}b\"/>";
        assert_eq!(prefixes(nbsp), Ok(vec!["a\u{a0}b".into()]), "U+00A0 is no separator");
        let empty = r#"<InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList=""/>"#;
        assert_eq!(prefixes(empty), Ok(vec![]));
        let not_it = "in ds:Transform: an exclusive canonicalization takes one ec:InclusiveNamespaces, nothing else";
        for (other, name) in [
            (r#"<InclusiveNamespaces xmlns="urn:other" PrefixList="bar"/>"#, "InclusiveNamespaces"),
            (r#"<InclusiveNamespaces PrefixList="bar"/>"#, "InclusiveNamespaces"),
            (r#"<InclusiveNamespaces xmlns="" PrefixList="bar"/>"#, "InclusiveNamespaces"),
            (
                r#"<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n" PrefixList="bar"/>"#,
                "InclusiveNamespaces",
            ),
            (
                r#"<ec:inclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="bar"/>"#,
                "inclusiveNamespaces",
            ),
            ("<XPath>/</XPath>", "XPath"),
        ] {
            let message = format!("<{name}> (not in http://www.w3.org/2001/10/xml-exc-c14n#) {not_it}");
            assert!(prefixes(other).is_err_and(|e| e.ends_with(&message)), "{other}: {:?}", prefixes(other));
            // Before the canonicalization's own, or after it: a second element is refused.
            let second = format!("a second element <InclusiveNamespaces> {not_it}");
            assert!(prefixes(&format!("{other}{own}")).is_err_and(|e| e.ends_with(&second)), "{other}");
            let second = format!("a second element <{name}> {not_it}");
            assert!(prefixes(&format!("{own}{other}")).is_err_and(|e| e.ends_with(&second)), "{other}");
        }
        let second = format!("a second element <InclusiveNamespaces> {not_it}");
        assert!(prefixes(&format!("{own}{own}")).is_err_and(|e| e.ends_with(&second)));
        let bare = r#"<InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
        assert!(prefixes(bare).is_err_and(|e| e.ends_with("ec:InclusiveNamespaces lacks PrefixList")));
        // The inclusive canonicalizations and the enveloped transform take no parameters:
        // what they hold is not read.
        for algorithm in [c14n::C14N, c14n::C14N_WITH_COMMENTS, ENVELOPED] {
            assert_eq!(prefixes_of(algorithm, &format!("{own}{own}<XPath>/</XPath>")), Ok(vec![]), "{algorithm}");
        }
    }
}
