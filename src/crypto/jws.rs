//! JWS compact serialization (RFC 7515) and VC-JOSE credentials (`typ: vc+jwt`).
//!
//! Verification order: strict base64url parts → header (alg, crit, typ) → key (an `x5c`
//! chain validated by [`super::x509`], or a configured `kid`) → alg/key fit → signature →
//! payload. Any failure stops with its reason; nothing after a failure can turn the verdict
//! to valid. Refused outright: `alg: none`, HMAC (a public key is never a shared secret),
//! unknown `crit` entries, DER-encoded ECDSA signatures (JWS uses r‖s), padded or
//! non-canonical base64url.

use super::keys::{Algorithm, EcdsaEncoding, KeyError, PublicKey, SigningKey};
use super::x509::{Crls, PathError, PathOptions, Purpose, TrustAnchors, VerifiedSigner, verify_path};
use super::{Check, Severity};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// Why a JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    #[error("{part}: not canonical unpadded base64url")]
    Base64 { part: &'static str },
    #[error("header: {0}")]
    Header(String),
    #[error("header names critical extensions this verifier does not understand: {0:?}")]
    UnknownCrit(Vec<String>),
    #[error("algorithm: {0}")]
    Algorithm(KeyError),
    #[error("no key to verify with: the header has neither x5c nor a kid this verifier knows")]
    NoKey,
    #[error("kid '{0}' is not a configured key")]
    UnknownKid(String),
    /// The `kid` as written, then why it does not name the x5c signer's key.
    #[error("kid {0}")]
    KidOther(String),
    #[error("x5c: {0}")]
    X5c(String),
    #[error("signer: {0}")]
    Path(PathError),
    #[error("key: {0}")]
    Key(KeyError),
    #[error("signature does not verify")]
    Signature,
    #[error("payload is not a JSON object: {0}")]
    PayloadNotJson(String),
    #[error("credential header: {0}")]
    CredentialType(String),
}

impl JwsError {
    pub fn code(&self) -> &'static str {
        match self {
            JwsError::Malformed(_) => "jws.malformed",
            JwsError::Base64 { .. } => "jws.base64",
            JwsError::Header(_) => "jws.header",
            JwsError::UnknownCrit(_) => "jws.crit",
            JwsError::Algorithm(e) => e.code(),
            JwsError::NoKey => "jws.no_key",
            JwsError::UnknownKid(_) => "jws.unknown_kid",
            JwsError::KidOther(_) => "jws.kid_other",
            JwsError::X5c(_) => "jws.x5c",
            JwsError::Path(e) => e.code(),
            JwsError::Key(e) => e.code(),
            JwsError::Signature => "sig.invalid",
            JwsError::PayloadNotJson(_) => "jws.payload",
            JwsError::CredentialType(_) => "jws.typ",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            JwsError::Malformed(_) | JwsError::Base64 { .. } | JwsError::Header(_) | JwsError::X5c(_) => {
                Severity::Unreadable
            }
            JwsError::Algorithm(e) | JwsError::Key(e) => e.severity(),
            JwsError::Path(e) => e.severity(),
            _ => Severity::Invalid,
        }
    }

    /// The verdict check this error fails.
    pub fn check(&self) -> &'static str {
        match self {
            JwsError::Malformed(_) | JwsError::Base64 { .. } | JwsError::Header(_) => "format",
            JwsError::UnknownCrit(_) | JwsError::CredentialType(_) => "header",
            JwsError::Algorithm(_) => "algorithm",
            JwsError::NoKey | JwsError::UnknownKid(_) | JwsError::KidOther(_) | JwsError::X5c(_) | JwsError::Key(_) => {
                "key"
            }
            JwsError::Path(_) => "chain",
            JwsError::Signature => "signature",
            JwsError::PayloadNotJson(_) => "payload",
        }
    }
}

/// A compact JWS split into its parts, nothing verified yet.
#[derive(Debug, Clone)]
pub struct ParsedJws<'t> {
    pub header: Map<String, Value>,
    pub alg_name: String,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'t str,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

fn b64url(part: &'static str, s: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| JwsError::Base64 { part })
}

/// Splits and decodes a compact JWS; checks only its form.
pub fn parse(token: &str) -> Result<ParsedJws<'_>, JwsError> {
    let token = token.trim_end_matches(['\n', '\r']);
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed("a compact JWS has exactly three dot-separated parts".into()));
    };
    if h.is_empty() || s.is_empty() {
        return Err(JwsError::Malformed("header and signature must not be empty".into()));
    }
    let header_bytes = b64url("header", h)?;
    // Read strictly: a member given twice (two `x5c`, two `alg`) is refused, never resolved
    // to one a reader takes and another tool does not (found by attack: a header naming two
    // signers' chains verified under the last).
    let header = crate::formats::json::parse(&header_bytes, &crate::xml::Limits::default())
        .map_err(|e| JwsError::Header(format!("not JSON as read strictly: {e}")))?
        .to_value();
    let Value::Object(header) = header else { return Err(JwsError::Header("must be a JSON object".into())) };
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| JwsError::Header("'alg' is missing or not a string".into()))?
        .to_string();
    let payload = b64url("payload", p)?;
    let signature = b64url("signature", s)?;
    // `header.payload`: all before the third part's dot.
    let (signing_input, _) = token
        .rsplit_once('.')
        .ok_or_else(|| JwsError::Malformed("a compact JWS has exactly three dot-separated parts".into()))?;
    Ok(ParsedJws { header, alg_name, signing_input, payload, signature })
}

/// Header parameters understood here; `crit` may only name parameters a verifier
/// implements, and this one implements none beyond RFC 7515's own.
const UNDERSTOOD_CRIT: [&str; 0] = [];

fn check_header(jws: &ParsedJws<'_>) -> Result<Algorithm, JwsError> {
    let alg = Algorithm::from_jws(&jws.alg_name).map_err(JwsError::Algorithm)?;
    if let Some(crit) = jws.header.get("crit") {
        let names: Vec<String> = crit
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| JwsError::Header("'crit' must be a non-empty array".into()))?
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| JwsError::Header("'crit' entries are strings".into()))
            })
            .collect::<Result<_, _>>()?;
        let unknown: Vec<String> = names.into_iter().filter(|n| !UNDERSTOOD_CRIT.contains(&n.as_str())).collect();
        if !unknown.is_empty() {
            return Err(JwsError::UnknownCrit(unknown));
        }
    }
    if jws.header.get("b64").is_some_and(|v| v != &Value::Bool(true)) {
        return Err(JwsError::UnknownCrit(vec!["b64".into()]));
    }
    // The key is the `x5c` leaf's or a configured `kid`'s, nothing else: a header that also
    // names a key another way (an embedded JWK, a URL to fetch one from) could name another
    // key to a verifier that follows it, and is refused rather than ignored (found by
    // review: one with a `jwk` of another key verified).
    if let Some(other) = KEY_ELSEWHERE.iter().find(|p| jws.header.get(**p).is_some()) {
        return Err(JwsError::Header(format!(
            "'{other}' names a key another way than x5c or kid: this verifier takes neither, and another might"
        )));
    }
    Ok(alg)
}

/// Header parameters (RFC 7515 §4.1) that name a signing key in a way this verifier does not
/// take: by value (`jwk`) or by a URL to fetch (`jku`, `x5u`).
const KEY_ELSEWHERE: [&str; 3] = ["jwk", "jku", "x5u"];

/// Verifies the signature of an already-parsed JWS with a key the caller trusts.
pub fn verify_signature(jws: &ParsedJws<'_>, key: &PublicKey) -> Result<Algorithm, JwsError> {
    let alg = check_header(jws)?;
    if !alg.fits(key.kind) {
        return Err(JwsError::Algorithm(KeyError::AlgorithmMismatch { alg: alg.jws_name(), key: key.kind.name() }));
    }
    key.verify(alg, jws.signing_input.as_bytes(), &jws.signature, EcdsaEncoding::Fixed).map_err(|e| match e {
        KeyError::BadSignature => JwsError::Signature,
        other => JwsError::Key(other),
    })?;
    Ok(alg)
}

/// A chain validated once, kept by the digest of its signer's certificate: the digest of
/// all the certificates it was presented with (a hit needs the same ones), the validated
/// signer, and until when the CRLs it was validated with are fresh (`None` without CRLs).
type KeptChain = ([u8; 32], VerifiedSigner, Option<u64>);

/// A signer's chain validated for one document, or found kept: kept between documents only
/// once the document's signature has verified with its key ([`Verifier::keep`]), so that no
/// one but a signer's key holder adds to the kept chains (found by review: a made-up
/// credential carrying a genuine chain and any other certificate, its signature garbage,
/// added a chain each time — filling the cache and flushing the genuine ones). One chain is
/// kept per signer certificate, the last one its signature verified with: an XML
/// signature's KeyInfo is not signed, so the holder of one genuine document could present it
/// with other certificates added, each a chain of its own (found by review), and now only
/// takes that signer's own place.
#[derive(Debug)]
pub struct ValidatedChain {
    pub signer: VerifiedSigner,
    /// For [`Verifier::keep`]: its place among the kept chains and until when its CRLs are
    /// fresh; `None` when it was found there.
    unkept: Option<Unkept>,
}

/// A validated chain not kept yet ([`ValidatedChain`]).
#[derive(Debug)]
pub struct Unkept {
    id: [u8; 32],
    kept: KeptChain,
}

impl ValidatedChain {
    /// The signer, and the chain to keep once its signature verified (`None`: kept already).
    pub fn into_parts(self) -> (VerifiedSigner, Option<Unkept>) {
        (self.signer, self.unkept)
    }
}

/// A configured verifier: trust anchors and CRLs for `x5c`, keys by `kid`, and a cache of
/// validated chains.
#[derive(Debug, Default)]
pub struct Verifier {
    pub anchors: TrustAnchors,
    pub crls: Crls,
    pub keys: HashMap<String, PublicKey>,
    /// Require the VC-JOSE credential header (`typ: vc+jwt`, `cty: vc` when present) and a
    /// JSON object payload.
    pub credential: bool,
    /// Validated chains by SHA-256 of their signer's certificate ([`KeptChain`]): the signer
    /// and the time window in which the result holds (the certificates' validity, cut at the
    /// CRLs' next update). Valid for this verifier's anchors and CRLs only.
    cache: Mutex<HashMap<[u8; 32], KeptChain>>,
}

/// The outcome of verifying one JWS.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    pub valid: bool,
    pub checks: Vec<Check>,
    /// The signer's subject, when a chain was validated.
    pub signer: Option<String>,
    pub alg: Option<String>,
    #[serde(skip)]
    pub payload: Option<Vec<u8>>,
    /// The signer's certificate (DER), when an x5c chain was validated.
    #[serde(skip)]
    pub signer_certificate: Option<Vec<u8>>,
    #[serde(skip)]
    pub error: Option<JwsError>,
}

impl Verdict {
    pub fn severity(&self) -> Option<Severity> {
        self.error.as_ref().map(JwsError::severity)
    }
}

impl Verifier {
    pub fn new(anchors: TrustAnchors, crls: Crls) -> Self {
        Self { anchors, crls, ..Self::default() }
    }

    /// Verifies `token` at `at` (Unix seconds), returning every check made.
    pub fn verify(&self, token: &str, at: u64) -> Verdict {
        match parse(token) {
            Ok(jws) => self.verify_parsed(&jws, at),
            Err(e) => Verdict {
                valid: false,
                checks: vec![Check::fail(e.check(), e.code(), e.to_string())],
                signer: None,
                alg: None,
                payload: None,
                signer_certificate: None,
                error: Some(e),
            },
        }
    }

    /// [`Verifier::verify`] for a token the caller has already parsed.
    pub fn verify_parsed(&self, jws: &ParsedJws<'_>, at: u64) -> Verdict {
        self.verify_parsed_payload(jws, at, false)
    }

    /// [`Verifier::verify_parsed`] for a credential whose payload the caller has already read
    /// as a JSON object (recognition reads the credential before it knows whose anchors to
    /// verify it with): the payload is not read a second time.
    pub fn verify_read_credential(&self, jws: &ParsedJws<'_>, at: u64) -> Verdict {
        self.verify_parsed_payload(jws, at, true)
    }

    fn verify_parsed_payload(&self, jws: &ParsedJws<'_>, at: u64, payload_read: bool) -> Verdict {
        let mut checks = Vec::new();
        let mut signer = None;
        let mut certificate = None;
        let alg_name = Some(jws.alg_name.clone());
        match self.verify_inner(jws, at, payload_read, &mut checks, &mut signer, &mut certificate) {
            Ok(()) => Verdict {
                valid: true,
                checks,
                signer,
                alg: alg_name,
                payload: Some(jws.payload.clone()),
                signer_certificate: certificate,
                error: None,
            },
            Err(e) => {
                checks.push(Check::fail(e.check(), e.code(), e.to_string()));
                Verdict {
                    valid: false,
                    checks,
                    signer,
                    alg: alg_name,
                    payload: None,
                    signer_certificate: certificate,
                    error: Some(e),
                }
            }
        }
    }

    fn verify_inner(
        &self,
        jws: &ParsedJws<'_>,
        at: u64,
        payload_read: bool,
        checks: &mut Vec<Check>,
        signer_out: &mut Option<String>,
        certificate_out: &mut Option<Vec<u8>>,
    ) -> Result<(), JwsError> {
        checks.push(Check::pass("format", "jws.compact", "compact JWS with canonical base64url parts"));
        let alg = check_header(jws)?;
        checks.push(Check::pass("algorithm", "alg.accepted", format!("{alg}")));
        if self.credential {
            match jws.header.get("typ").and_then(Value::as_str) {
                Some(typ) if media_type_is(typ, "vc+jwt") => {}
                other => return Err(JwsError::CredentialType(format!("typ must be vc+jwt, is {other:?}"))),
            }
            // A VC-JOSE credential's payload is the credential itself (W3C VC-JOSE-COSE):
            // `cty`, when given, says so and nothing else.
            match jws.header.get("cty") {
                None => {}
                Some(Value::String(cty)) if media_type_is(cty, "vc") => {}
                Some(cty) => return Err(JwsError::CredentialType(format!("cty must be vc when present, is {cty}"))),
            }
            checks.push(Check::pass("header", "jws.typ", "typ vc+jwt"));
        }

        let chain = match jws.header.get("x5c") {
            Some(x5c) => {
                let ders = decode_x5c(x5c)?;
                let chain = self.validate_chain(&ders, at)?;
                Some((chain, ders))
            }
            None => None,
        };
        let configured;
        let key = if let Some((chain, ders)) = &chain {
            let verified = &chain.signer;
            checks.push(Check::pass(
                "chain",
                "x509.valid",
                format!("signer '{}' chains to a trust anchor", verified.subject),
            ));
            // A `kid` beside `x5c` names the leaf's key, as a DID verification method
            // (`…#<JWK thumbprint>`) or the thumbprint alone: a DID verifier resolves `kid`,
            // and one naming another key would have it check another key than this verifier
            // did (found by attack: any `kid` was ignored here).
            if let Some(kid) = jws.header.get("kid") {
                let Some(leaf) = super::did::thumbprint(&verified.public_key) else {
                    return Err(JwsError::KidOther(format!(
                        "{kid}: the x5c signer's {} key has no JWK thumbprint to be named by; send x5c alone",
                        verified.public_key.kind.name()
                    )));
                };
                let names_leaf = kid.as_str().is_some_and(|kid| {
                    kid == leaf || kid.rsplit_once('#').is_some_and(|(_, fragment)| fragment == leaf)
                });
                if !names_leaf {
                    return Err(JwsError::KidOther(format!(
                        "{kid} names another key than the x5c signer's: a header names one key"
                    )));
                }
            }
            *signer_out = Some(verified.subject.clone());
            *certificate_out = ders.first().map(|d| d.as_ref().to_vec());
            &verified.public_key
        } else if let Some(kid) = jws.header.get("kid").and_then(Value::as_str) {
            configured = self.keys.get(kid).ok_or_else(|| JwsError::UnknownKid(kid.to_string()))?;
            checks.push(Check::pass("key", "jws.kid", format!("configured key '{kid}'")));
            configured
        } else {
            return Err(JwsError::NoKey);
        };
        verify_signature(jws, key)?;
        if let Some(unkept) = chain.and_then(|(c, _)| c.unkept) {
            self.keep(unkept);
        }
        checks.push(Check::pass("signature", "sig.valid", format!("{alg} signature verifies")));
        if self.credential && payload_read {
            checks.push(Check::pass("payload", "jws.payload", "JSON object (read by the caller)"));
        } else if self.credential {
            // A JSON object: checked for syntax without building it (the caller parses it).
            let object = jws.payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            match serde_json::from_slice::<serde::de::IgnoredAny>(&jws.payload) {
                Ok(_) if object => checks.push(Check::pass("payload", "jws.payload", "JSON object")),
                Ok(_) => return Err(JwsError::PayloadNotJson("not an object".into())),
                Err(e) => return Err(JwsError::PayloadNotJson(e.to_string())),
            }
        }
        Ok(())
    }

    /// Validates an x5c chain, reusing a kept result when `at` lies in its window.
    pub fn validate_chain(&self, ders: &[CertificateDer<'static>], at: u64) -> Result<ValidatedChain, JwsError> {
        self.validate_chain_signed_at(ders, at, at)
    }

    /// Keeps a chain validated for a document whose signature verified with its key.
    pub fn keep(&self, unkept: Unkept) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(unkept.id, unkept.kept);
        }
    }

    /// How many validated chains this verifier keeps.
    pub fn chains_kept(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.len())
    }

    /// Validates a chain whose certificates are judged at `signed` (a signature's stated
    /// time) and whose CRLs must still be fresh at `now` (the decision's time): a
    /// revocation published since is not missed because the signature claims an earlier
    /// time ([`PathOptions::crls_at`]).
    pub fn validate_chain_signed_at(
        &self,
        ders: &[CertificateDer<'static>],
        signed: u64,
        now: u64,
    ) -> Result<ValidatedChain, JwsError> {
        let at = signed;
        // The signer's certificate's digest, and of all the certificates presented: that of
        // the signer's, then each other's length and bytes (hashed once each).
        let mut signer_id = [0u8; 32];
        let signer = ders.first().map(|d| d.as_ref()).unwrap_or_default();
        signer_id.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, signer).as_ref());
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&signer_id);
        for d in ders.iter().skip(1) {
            ctx.update(&(d.as_ref().len() as u64).to_be_bytes());
            ctx.update(d.as_ref());
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(ctx.finish().as_ref());
        if let Ok(cache) = self.cache.lock()
            && let Some((presented, hit, fresh_until)) = cache.get(&signer_id)
            && *presented == id
            && hit.valid_from <= at
            && at <= hit.valid_until
            && fresh_until.is_none_or(|f| at.max(now) <= f)
        {
            return Ok(ValidatedChain { signer: hit.clone(), unkept: None });
        }
        let options = PathOptions {
            purpose: Purpose::DocumentSigning,
            time: at,
            crls: if self.crls.is_empty() { None } else { Some(&self.crls) },
            max_intermediates: Some(8),
            crls_at: Some(now).filter(|now| *now > at),
        };
        let (leaf, intermediates) =
            ders.split_first().ok_or_else(|| JwsError::X5c("must be a non-empty array".into()))?;
        let verified = verify_path(leaf, intermediates, &self.anchors, &options).map_err(JwsError::Path)?;
        // Inside the certificates' window the answer changes only with the CRLs: a new CRL
        // means a new verifier, and the ones held go stale at their next update — after
        // which the chain must be validated again (and fail as stale).
        let fresh_until = self.crls.fresh_until().filter(|_| !self.crls.is_empty()).map(|f| f.saturating_sub(1));
        let unkept = Unkept { id: signer_id, kept: (id, verified.clone(), fresh_until) };
        Ok(ValidatedChain { signer: verified, unkept: Some(unkept) })
    }
}

/// The certificates of an `x5c` header, signer first (at most ten).
pub fn decode_x5c(x5c: &Value) -> Result<Vec<CertificateDer<'static>>, JwsError> {
    let list =
        x5c.as_array().filter(|a| !a.is_empty()).ok_or_else(|| JwsError::X5c("must be a non-empty array".into()))?;
    if list.len() > 10 {
        return Err(JwsError::X5c("more than 10 certificates".into()));
    }
    list.iter()
        .map(|v| {
            let s = v.as_str().ok_or_else(|| JwsError::X5c("entries must be strings".into()))?;
            STANDARD
                .decode(s)
                .map(CertificateDer::from)
                .map_err(|_| JwsError::X5c("entries must be standard base64 DER".into()))
        })
        .collect()
}

/// Whether a `typ` or `cty` header value names the media type `application/<expected>`, as
/// RFC 7515 §4.1.9–4.1.10 say to compare them: media types are case-insensitive, and a
/// value without a '/' stands for `application/` followed by it (`vc+jwt`, `VC+JWT` and
/// `application/vc+jwt` are one type). Parameters (`;…`) are not accepted: no header of a
/// credential or notice needs one.
pub fn media_type_is(value: &str, expected: &str) -> bool {
    let value = value.to_ascii_lowercase();
    let value = value.strip_prefix("application/").unwrap_or(&value);
    !value.contains('/') && value == expected.to_ascii_lowercase()
}

/// Signs a payload as a compact JWS. For credentials the header carries `typ: vc+jwt` and
/// `cty: vc`; `chain` (signer first) goes into `x5c`.
pub fn sign(
    payload: &[u8],
    key: &SigningKey,
    chain: &[CertificateDer<'_>],
    kid: Option<&str>,
    credential: bool,
) -> Result<String, JwsError> {
    let media = credential.then_some(CREDENTIAL_MEDIA);
    sign_with(payload, key, chain, kid, media)
}

/// Signs a payload as a compact JWS whose header says what it holds (`typ`, `cty`).
pub fn sign_typed(
    payload: &[u8],
    key: &SigningKey,
    chain: &[CertificateDer<'_>],
    typ: &str,
    cty: &str,
) -> Result<String, JwsError> {
    sign_with(payload, key, chain, None, Some((typ, cty)))
}

fn sign_with(
    payload: &[u8],
    key: &SigningKey,
    chain: &[CertificateDer<'_>],
    kid: Option<&str>,
    media: Option<(&str, &str)>,
) -> Result<String, JwsError> {
    let signing_input = signing_input(payload, key.algorithm(), chain, kid, media)?;
    let signature = key.sign(signing_input.as_bytes()).map_err(JwsError::Key)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The `header.payload` that [`sign`] signs for a credential (`credential = true`) with a
/// key of `alg`, `chain` and `kid`: what an audit holds the gateway's exported credentials
/// to, header and payload byte for byte.
pub fn credential_signing_input(
    payload: &[u8],
    alg: Algorithm,
    chain: &[CertificateDer<'_>],
    kid: Option<&str>,
) -> Result<String, JwsError> {
    signing_input(payload, alg, chain, kid, Some(CREDENTIAL_MEDIA))
}

/// Whether the gateway signs JWS with a key of `alg`: EdDSA (Ed25519) and ES256, what
/// every VC-JOSE verifier has.
pub fn signs_with(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::Ed25519 | Algorithm::EcdsaP256Sha256)
}

/// What a credential's header says it holds (`typ`, `cty`).
const CREDENTIAL_MEDIA: (&str, &str) = ("vc+jwt", "vc");

/// The protected header as the gateway writes it, and the payload: `header.payload`.
fn signing_input(
    payload: &[u8],
    alg: Algorithm,
    chain: &[CertificateDer<'_>],
    kid: Option<&str>,
    media: Option<(&str, &str)>,
) -> Result<String, JwsError> {
    if !signs_with(alg) {
        return Err(JwsError::Algorithm(KeyError::Unsupported(format!("signing with {alg} (EdDSA and ES256 only)"))));
    }
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(alg.jws_name().into()));
    if let Some((typ, cty)) = media {
        header.insert("typ".into(), Value::String(typ.into()));
        header.insert("cty".into(), Value::String(cty.into()));
    }
    if let Some(kid) = kid {
        header.insert("kid".into(), Value::String(kid.into()));
    }
    if !chain.is_empty() {
        header.insert(
            "x5c".into(),
            Value::Array(chain.iter().map(|c| Value::String(STANDARD.encode(c.as_ref()))).collect()),
        );
    }
    let header = serde_json::to_vec(&Value::Object(header)).map_err(|e| JwsError::Header(e.to_string()))?;
    Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_compare_as_rfc_7515_says() {
        for (value, expected) in [
            ("notice+jwt", "notice+jwt"),
            ("NOTICE+JWT", "notice+jwt"),
            ("application/notice+jwt", "notice+jwt"),
            ("APPLICATION/Notice+JWT", "notice+jwt"),
        ] {
            assert!(media_type_is(value, expected), "{value}");
        }
        for value in [
            "",
            "application/",
            "notice",
            "text/notice+jwt",
            "application/application/notice+jwt",
            "notice+jwt;x=1",
            " notice+jwt",
            "notice+jwt ",
            "x-notice+jwt",
        ] {
            assert!(!media_type_is(value, "notice+jwt"), "{value:?}");
        }
    }

    #[test]
    fn strict_base64url() {
        assert_eq!(parse("eyJhbGciOiJFZERTQSJ9.e30=.AAAA").unwrap_err().code(), "jws.base64");
        assert_eq!(parse("eyJhbGciOiJFZERTQSJ9.e30.AA+A").unwrap_err().code(), "jws.base64");
        assert_eq!(parse("a.b").unwrap_err().code(), "jws.malformed");
        assert_eq!(parse("a.b.c.d").unwrap_err().code(), "jws.malformed");
        // Non-canonical trailing bits: "AB" and "AA" decode to the same byte only if bits are ignored.
        assert_eq!(parse("eyJhbGciOiJFZERTQSJ9.e30.AB").unwrap_err().code(), "jws.base64");
    }

    #[test]
    fn header_must_be_an_object_with_alg() {
        let h = URL_SAFE_NO_PAD.encode("[1]");
        assert_eq!(parse(&format!("{h}.e30.AAAA")).unwrap_err().code(), "jws.header");
        let h = URL_SAFE_NO_PAD.encode("{\"typ\":\"JWT\"}");
        assert_eq!(parse(&format!("{h}.e30.AAAA")).unwrap_err().code(), "jws.header");
    }
}
