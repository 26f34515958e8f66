//! Private keys (PKCS#8, PEM or DER), public keys from certificates, and the signature
//! algorithms the gateway accepts, with the policy that refuses weak ones.
//!
//! Policy: RSA keys under 2048 bits, SHA-1 and DSA are refused with their own reason codes;
//! brainpoolP256r1/P384r1 are verified with RustCrypto (ring has no brainpool), for XML
//! signatures and certificate paths only; other curves are "unsupported", never "valid".

use super::Severity;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::fmt;
use x509_parser::prelude::*;

/// Why a key could not be loaded or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("the key is not PKCS#8 PEM or DER: {0}")]
    Unreadable(String),
    #[error("the PKCS#8 key is not Ed25519, ECDSA P-256/P-384 or RSA")]
    UnknownKeyType,
    #[error("the public key cannot be read: {0}")]
    BadPublicKey(String),
    #[error("RSA key of {bits} bits is below the 2048-bit minimum")]
    WeakRsa { bits: usize },
    #[error("{0} is refused by policy")]
    Refused(&'static str),
    #[error("{0} is not supported")]
    Unsupported(String),
    #[error("algorithm {alg} does not match a {key} key")]
    AlgorithmMismatch { alg: &'static str, key: &'static str },
    #[error("signature does not verify")]
    BadSignature,
    #[error("signing failed")]
    SigningFailed,
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Unreadable(_) => "key.unreadable",
            KeyError::UnknownKeyType => "key.unknown_type",
            KeyError::BadPublicKey(_) => "key.bad_public_key",
            KeyError::WeakRsa { .. } => "key.weak_rsa",
            KeyError::Refused("SHA-1") => "alg.sha1_refused",
            KeyError::Refused("DSA") => "alg.dsa_refused",
            KeyError::Refused(_) => "alg.refused",
            KeyError::Unsupported(_) => "alg.unsupported",
            KeyError::AlgorithmMismatch { .. } => "alg.key_mismatch",
            KeyError::BadSignature => "sig.invalid",
            KeyError::SigningFailed => "sig.signing_failed",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            KeyError::Unreadable(_) | KeyError::UnknownKeyType | KeyError::BadPublicKey(_) => Severity::Unreadable,
            KeyError::Unsupported(_) => Severity::Unsupported,
            _ => Severity::Invalid,
        }
    }
}

/// The kind of a public key, as far as algorithm matching is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ed25519,
    EcP256,
    EcP384,
    /// brainpoolP256r1 and brainpoolP384r1 (RFC 5639): European signers use them in XML
    /// signatures and certificates; verified with RustCrypto (ring has no brainpool).
    EcBrainpoolP256,
    EcBrainpoolP384,
    Rsa {
        bits: usize,
    },
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::EcP256 => "ECDSA P-256",
            KeyKind::EcP384 => "ECDSA P-384",
            KeyKind::EcBrainpoolP256 => "ECDSA brainpoolP256r1",
            KeyKind::EcBrainpoolP384 => "ECDSA brainpoolP384r1",
            KeyKind::Rsa { .. } => "RSA",
        }
    }

    /// The algorithm a key of this kind signs with (RSA keys sign RS256).
    pub fn signing_algorithm(self) -> Algorithm {
        match self {
            KeyKind::Ed25519 => Algorithm::Ed25519,
            KeyKind::EcP256 => Algorithm::EcdsaP256Sha256,
            KeyKind::EcP384 => Algorithm::EcdsaP384Sha384,
            KeyKind::EcBrainpoolP256 => Algorithm::EcdsaBrainpoolP256Sha256,
            KeyKind::EcBrainpoolP384 => Algorithm::EcdsaBrainpoolP384Sha384,
            KeyKind::Rsa { .. } => Algorithm::RsaPkcs1Sha256,
        }
    }
}

/// A signature algorithm as named by JWS and XML-DSig, with the digest it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Ed25519,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    /// ECDSA on brainpoolP256r1 with SHA-256: XML-DSig only (its `ecdsa-sha256` names the
    /// hash, the key names the curve); JWS defines no such algorithm.
    EcdsaBrainpoolP256Sha256,
    /// ECDSA on brainpoolP384r1 with SHA-384, likewise.
    EcdsaBrainpoolP384Sha384,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
}

impl Algorithm {
    /// The JWS `alg` name.
    pub fn jws_name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "EdDSA",
            Algorithm::EcdsaP256Sha256 => "ES256",
            Algorithm::EcdsaP384Sha384 => "ES384",
            // Not JWS names (JWS has none for brainpool); never read back by `from_jws`.
            Algorithm::EcdsaBrainpoolP256Sha256 => "ECDSA-brainpoolP256r1-SHA256",
            Algorithm::EcdsaBrainpoolP384Sha384 => "ECDSA-brainpoolP384r1-SHA384",
            Algorithm::RsaPkcs1Sha256 => "RS256",
            Algorithm::RsaPkcs1Sha384 => "RS384",
            Algorithm::RsaPkcs1Sha512 => "RS512",
            Algorithm::RsaPssSha256 => "PS256",
            Algorithm::RsaPssSha384 => "PS384",
            Algorithm::RsaPssSha512 => "PS512",
        }
    }

    pub fn from_jws(name: &str) -> Result<Self, KeyError> {
        Ok(match name {
            "EdDSA" | "Ed25519" => Algorithm::Ed25519,
            "ES256" => Algorithm::EcdsaP256Sha256,
            "ES384" => Algorithm::EcdsaP384Sha384,
            "RS256" => Algorithm::RsaPkcs1Sha256,
            "RS384" => Algorithm::RsaPkcs1Sha384,
            "RS512" => Algorithm::RsaPkcs1Sha512,
            "PS256" => Algorithm::RsaPssSha256,
            "PS384" => Algorithm::RsaPssSha384,
            "PS512" => Algorithm::RsaPssSha512,
            "none" => return Err(KeyError::Refused("alg none")),
            "HS256" | "HS384" | "HS512" => return Err(KeyError::Refused("HMAC")),
            other => return Err(KeyError::Unsupported(format!("JWS algorithm '{other}'"))),
        })
    }

    /// For an XML signature, whose ECDSA method names the hash only: the algorithm on the
    /// curve of the key that made it (ECDSA-SHA256 by a brainpoolP256r1 key is ECDSA on that
    /// curve). Anything else is left as it is, to be refused by [`Algorithm::fits`].
    pub fn on_curve_of(self, key: KeyKind) -> Self {
        match (self, key) {
            (Algorithm::EcdsaP256Sha256, KeyKind::EcBrainpoolP256) => Algorithm::EcdsaBrainpoolP256Sha256,
            (Algorithm::EcdsaP384Sha384, KeyKind::EcBrainpoolP384) => Algorithm::EcdsaBrainpoolP384Sha384,
            _ => self,
        }
    }

    /// Whether a key of this kind can make this algorithm's signatures.
    pub fn fits(self, key: KeyKind) -> bool {
        matches!(
            (self, key),
            (Algorithm::Ed25519, KeyKind::Ed25519)
                | (Algorithm::EcdsaP256Sha256, KeyKind::EcP256)
                | (Algorithm::EcdsaP384Sha384, KeyKind::EcP384)
                | (Algorithm::EcdsaBrainpoolP256Sha256, KeyKind::EcBrainpoolP256)
                | (Algorithm::EcdsaBrainpoolP384Sha384, KeyKind::EcBrainpoolP384)
                | (
                    Algorithm::RsaPkcs1Sha256
                        | Algorithm::RsaPkcs1Sha384
                        | Algorithm::RsaPkcs1Sha512
                        | Algorithm::RsaPssSha256
                        | Algorithm::RsaPssSha384
                        | Algorithm::RsaPssSha512,
                    KeyKind::Rsa { .. }
                )
        )
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jws_name())
    }
}

/// How an ECDSA signature is encoded: JWS and XML-DSig use r‖s, X.509 uses DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcdsaEncoding {
    Fixed,
    Der,
}

/// A public key that can verify signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kind: KeyKind,
    /// Ed25519: 32 bytes; EC: the uncompressed point; RSA: the RSAPublicKey DER.
    raw: Vec<u8>,
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_BRAINPOOL_P256R1: &str = "1.3.36.3.3.2.8.1.1.7";
const OID_BRAINPOOL_P384R1: &str = "1.3.36.3.3.2.8.1.1.11";

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo (from a certificate or a PEM `PUBLIC KEY`).
    pub fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self, KeyError> {
        let alg = spki.algorithm.algorithm.to_id_string();
        let raw = spki.subject_public_key.data.to_vec();
        let kind = match alg.as_str() {
            OID_ED25519 => KeyKind::Ed25519,
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    OID_P256 => KeyKind::EcP256,
                    OID_P384 => KeyKind::EcP384,
                    OID_BRAINPOOL_P256R1 => KeyKind::EcBrainpoolP256,
                    OID_BRAINPOOL_P384R1 => KeyKind::EcBrainpoolP384,
                    other => return Err(KeyError::Unsupported(format!("elliptic curve {other}"))),
                }
            }
            OID_RSA | OID_RSA_PSS => {
                let bits = match spki.parsed() {
                    Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa.key_size(),
                    _ => return Err(KeyError::BadPublicKey("RSA key cannot be parsed".into())),
                };
                if bits < 2048 {
                    return Err(KeyError::WeakRsa { bits });
                }
                KeyKind::Rsa { bits }
            }
            OID_DSA => return Err(KeyError::Refused("DSA")),
            other => return Err(KeyError::Unsupported(format!("public key algorithm {other}"))),
        };
        Ok(Self { kind, raw })
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let (_, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        Self::from_spki(&spki)
    }

    /// Reads the subject public key of a DER certificate.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, KeyError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        Self::from_spki(cert.public_key())
    }

    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn from_spki_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let der = rustls_pki_types::SubjectPublicKeyInfoDer::from_pem_slice(pem)
            .map_err(|e| KeyError::Unreadable(format!("{e:?}")))?;
        let (_, spki) =
            SubjectPublicKeyInfo::from_der(der.as_ref()).map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        Self::from_spki(&spki)
    }

    /// The key as a public JWK (RFC 7517) with only its defining members, as RFC 7638
    /// orders them for a thumbprint (`crv`, `kty`, `x`[, `y`]): Ed25519 and EC
    /// P-256/P-384, the keys the gateway signs credentials with; `None` for others.
    pub fn to_jwk(&self) -> Option<serde_json::Value> {
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let (crv, len) = match self.kind {
            KeyKind::Ed25519 => return Some(serde_json::json!({"crv": "Ed25519", "kty": "OKP", "x": b64(&self.raw)})),
            KeyKind::EcP256 => ("P-256", 32),
            KeyKind::EcP384 => ("P-384", 48),
            _ => return None,
        };
        let (x, y) = self.raw.strip_prefix(&[4u8])?.split_at_checked(len)?;
        (y.len() == len).then(|| serde_json::json!({"crv": crv, "kty": "EC", "x": b64(x), "y": b64(y)}))
    }

    /// Reads a public JWK (RFC 7517): EC P-256/P-384, OKP Ed25519 or RSA. A key marked for
    /// encryption (`use: enc`) or whose `key_ops` do not include `verify` is refused, and so
    /// is a symmetric (`oct`) key: a verifier never treats a shared secret as a public key.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, KeyError> {
        use base64::Engine;
        let field = |name: &str| -> Result<Vec<u8>, KeyError> {
            let s = jwk
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| KeyError::BadPublicKey(format!("JWK lacks '{name}'")))?;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .map_err(|_| KeyError::BadPublicKey(format!("JWK '{name}' is not base64url")))
        };
        if let Some(u) = jwk.get("use")
            && u != "sig"
        {
            return Err(KeyError::Refused("a JWK not meant for signatures"));
        }
        if let Some(ops) = jwk.get("key_ops")
            && !ops.as_array().is_some_and(|a| a.iter().any(|o| o == "verify"))
        {
            return Err(KeyError::Refused("a JWK whose key_ops exclude verify"));
        }
        match jwk.get("kty").and_then(|v| v.as_str()) {
            Some("EC") => {
                let (kind, len) = match jwk.get("crv").and_then(|v| v.as_str()) {
                    Some("P-256") => (KeyKind::EcP256, 32),
                    Some("P-384") => (KeyKind::EcP384, 48),
                    other => return Err(KeyError::Unsupported(format!("JWK curve {other:?}"))),
                };
                let (x, y) = (field("x")?, field("y")?);
                if x.len() != len || y.len() != len {
                    return Err(KeyError::BadPublicKey("EC coordinates have the wrong length".into()));
                }
                let mut raw = vec![4u8];
                raw.extend_from_slice(&x);
                raw.extend_from_slice(&y);
                Ok(Self { kind, raw })
            }
            Some("OKP") if jwk.get("crv").and_then(|v| v.as_str()) == Some("Ed25519") => Self::ed25519(&field("x")?),
            Some("RSA") => {
                let n = field("n")?;
                let e = field("e")?;
                let n_trimmed: Vec<u8> = n.iter().copied().skip_while(|b| *b == 0).collect();
                let bits =
                    n_trimmed.first().map_or(0, |b| (n_trimmed.len() - 1) * 8 + (8 - b.leading_zeros() as usize));
                if bits < 2048 {
                    return Err(KeyError::WeakRsa { bits });
                }
                Ok(Self { kind: KeyKind::Rsa { bits }, raw: rsa_public_key_der(&n_trimmed, &e) })
            }
            Some("oct") => Err(KeyError::Refused("HMAC")),
            other => Err(KeyError::Unsupported(format!("JWK key type {other:?}"))),
        }
    }

    /// An RSA key of any size, with no policy check: only for verifying old interoperability
    /// vectors (1024-bit keys) in the XML-DSig conformance profile, never for a decision.
    pub(crate) fn rsa_legacy(n: &[u8], e: &[u8]) -> Self {
        let n: Vec<u8> = n.iter().copied().skip_while(|b| *b == 0).collect();
        let bits = n.first().map_or(0, |b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize));
        Self { kind: KeyKind::Rsa { bits }, raw: rsa_public_key_der(&n, e) }
    }

    /// The RSA key of a SubjectPublicKeyInfo with no size policy (see [`Self::rsa_legacy`]).
    pub(crate) fn rsa_legacy_from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Option<Self> {
        match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(Self::rsa_legacy(rsa.modulus, rsa.exponent)),
            _ => None,
        }
    }

    /// Verifies an RSA PKCS#1 v1.5 signature from a key under 2048 bits (ring's legacy
    /// 1024–8192-bit algorithms). Conformance vectors only.
    pub(crate) fn verify_rsa_legacy(&self, digest: &str, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let alg: &dyn sig::VerificationAlgorithm = match digest {
            "sha1" => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "sha256" => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            "sha512" => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            other => return Err(KeyError::Unsupported(format!("legacy RSA with {other}"))),
        };
        sig::UnparsedPublicKey::new(alg, &self.raw).verify(message, signature).map_err(|_| KeyError::BadSignature)
    }

    /// A raw Ed25519 public key (32 bytes).
    pub fn ed25519(raw: &[u8]) -> Result<Self, KeyError> {
        if raw.len() != 32 {
            return Err(KeyError::BadPublicKey("an Ed25519 key is 32 bytes".into()));
        }
        Ok(Self { kind: KeyKind::Ed25519, raw: raw.to_vec() })
    }

    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Verifies `signature` over `message` with `alg`.
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        ecdsa: EcdsaEncoding,
    ) -> Result<(), KeyError> {
        if !alg.fits(self.kind) {
            return Err(KeyError::AlgorithmMismatch { alg: alg.jws_name(), key: self.kind.name() });
        }
        if matches!(alg, Algorithm::EcdsaBrainpoolP256Sha256 | Algorithm::EcdsaBrainpoolP384Sha384) {
            return brainpool::verify(alg, &self.raw, message, signature, ecdsa);
        }
        let ring_alg: &dyn sig::VerificationAlgorithm = match (alg, ecdsa) {
            (Algorithm::Ed25519, _) => &sig::ED25519,
            (Algorithm::EcdsaP256Sha256, EcdsaEncoding::Fixed) => &sig::ECDSA_P256_SHA256_FIXED,
            (Algorithm::EcdsaP256Sha256, EcdsaEncoding::Der) => &sig::ECDSA_P256_SHA256_ASN1,
            (Algorithm::EcdsaP384Sha384, EcdsaEncoding::Fixed) => &sig::ECDSA_P384_SHA384_FIXED,
            (Algorithm::EcdsaP384Sha384, EcdsaEncoding::Der) => &sig::ECDSA_P384_SHA384_ASN1,
            (Algorithm::RsaPkcs1Sha256, _) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (Algorithm::RsaPkcs1Sha384, _) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (Algorithm::RsaPkcs1Sha512, _) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (Algorithm::RsaPssSha256, _) => &sig::RSA_PSS_2048_8192_SHA256,
            (Algorithm::RsaPssSha384, _) => &sig::RSA_PSS_2048_8192_SHA384,
            (Algorithm::RsaPssSha512, _) => &sig::RSA_PSS_2048_8192_SHA512,
            (Algorithm::EcdsaBrainpoolP256Sha256 | Algorithm::EcdsaBrainpoolP384Sha384, _) => {
                return Err(KeyError::BadSignature);
            }
        };
        if ecdsa == EcdsaEncoding::Fixed {
            let expected = match alg {
                Algorithm::EcdsaP256Sha256 => Some(64),
                Algorithm::EcdsaP384Sha384 => Some(96),
                _ => None,
            };
            if expected.is_some_and(|n| signature.len() != n) {
                return Err(KeyError::BadSignature);
            }
        }
        sig::UnparsedPublicKey::new(ring_alg, &self.raw).verify(message, signature).map_err(|_| KeyError::BadSignature)
    }
}

/// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = if trimmed.first().is_none_or(|b| b & 0x80 != 0) { vec![0u8] } else { Vec::new() };
        content.extend_from_slice(&trimmed);
        let mut out = vec![0x02];
        out.extend(der_length(content.len()));
        out.extend(content);
        out
    }
    fn der_length(len: usize) -> Vec<u8> {
        if len < 0x80 {
            vec![len as u8]
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
            let mut out = vec![0x80 | bytes.len() as u8];
            out.extend(bytes);
            out
        }
    }
    let mut body = integer(n);
    body.extend(integer(e));
    let mut out = vec![0x30];
    out.extend(der_length(body.len()));
    out.extend(body);
    out
}

/// A private key that signs.
pub enum SigningKey {
    Ed25519(sig::Ed25519KeyPair),
    EcdsaP256(sig::EcdsaKeyPair),
    EcdsaP384(sig::EcdsaKeyPair),
    Rsa(sig::RsaKeyPair),
    /// Brainpool keys sign XML signatures only (JWS names no algorithm for them).
    EcdsaBrainpoolP256(ecdsa::SigningKey<bp256::r1::BrainpoolP256r1>),
    EcdsaBrainpoolP384(ecdsa::SigningKey<bp384::r1::BrainpoolP384r1>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        write!(f, "SigningKey({})", self.kind().name())
    }
}

impl SigningKey {
    /// Loads a PKCS#8 private key from PEM (`PRIVATE KEY`) or DER.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, KeyError> {
        let der: Vec<u8> = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            match PrivateKeyDer::from_pem_slice(bytes) {
                Ok(PrivateKeyDer::Pkcs8(k)) => k.secret_pkcs8_der().to_vec(),
                Ok(_) => return Err(KeyError::Unreadable("only PKCS#8 keys (BEGIN PRIVATE KEY) are accepted".into())),
                Err(e) => return Err(KeyError::Unreadable(format!("{e:?}"))),
            }
        } else {
            PrivatePkcs8KeyDer::from(bytes.to_vec()).secret_pkcs8_der().to_vec()
        };
        let rng = SystemRandom::new();
        if let Ok(k) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
            return Ok(SigningKey::Ed25519(k));
        }
        if let Ok(k) = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng) {
            return Ok(SigningKey::EcdsaP256(k));
        }
        if let Ok(k) = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, &der, &rng) {
            return Ok(SigningKey::EcdsaP384(k));
        }
        if let Ok(k) = sig::RsaKeyPair::from_pkcs8(&der) {
            let bits = k.public().modulus_len() * 8;
            if bits < 2048 {
                return Err(KeyError::WeakRsa { bits });
            }
            return Ok(SigningKey::Rsa(k));
        }
        brainpool::signing_key(&der).ok_or(KeyError::UnknownKeyType)
    }

    pub fn kind(&self) -> KeyKind {
        match self {
            SigningKey::Ed25519(_) => KeyKind::Ed25519,
            SigningKey::EcdsaP256(_) => KeyKind::EcP256,
            SigningKey::EcdsaP384(_) => KeyKind::EcP384,
            SigningKey::Rsa(k) => KeyKind::Rsa { bits: k.public().modulus_len() * 8 },
            SigningKey::EcdsaBrainpoolP256(_) => KeyKind::EcBrainpoolP256,
            SigningKey::EcdsaBrainpoolP384(_) => KeyKind::EcBrainpoolP384,
        }
    }

    /// The algorithm this key signs with ([`KeyKind::signing_algorithm`]).
    pub fn algorithm(&self) -> Algorithm {
        self.kind().signing_algorithm()
    }

    /// Whether the certificate `der` certifies this key (its subject public key is this
    /// key's): what signs must be verifiable by the certificate sent with it. The one rule
    /// for the gateway's configuration and the command line's signing options; an error
    /// when the certificate's key does not read.
    pub fn is_certified_by(&self, der: &[u8]) -> Result<bool, KeyError> {
        Ok(PublicKey::from_certificate_der(der)? == self.public_key())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let raw = match self {
            SigningKey::Ed25519(k) => k.public_key().as_ref().to_vec(),
            SigningKey::EcdsaP256(k) | SigningKey::EcdsaP384(k) => k.public_key().as_ref().to_vec(),
            SigningKey::Rsa(k) => k.public_key().as_ref().to_vec(),
            SigningKey::EcdsaBrainpoolP256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            SigningKey::EcdsaBrainpoolP384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        };
        PublicKey { kind: self.kind(), raw }
    }

    /// Signs `message`; ECDSA signatures come out as r‖s (fixed-length).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            SigningKey::EcdsaP256(k) | SigningKey::EcdsaP384(k) => {
                k.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| KeyError::SigningFailed)
            }
            SigningKey::Rsa(k) => {
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut out).map_err(|_| KeyError::SigningFailed)?;
                Ok(out)
            }
            SigningKey::EcdsaBrainpoolP256(k) => brainpool::sign_p256(k, message),
            SigningKey::EcdsaBrainpoolP384(k) => brainpool::sign_p384(k, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_names_and_refusals() {
        assert_eq!(Algorithm::from_jws("ES256"), Ok(Algorithm::EcdsaP256Sha256));
        assert_eq!(Algorithm::from_jws("none").unwrap_err().code(), "alg.refused");
        assert_eq!(Algorithm::from_jws("HS256").unwrap_err().code(), "alg.refused");
        assert_eq!(Algorithm::from_jws("ES256K").unwrap_err().code(), "alg.unsupported");
        assert!(Algorithm::RsaPssSha256.fits(KeyKind::Rsa { bits: 2048 }));
        assert!(!Algorithm::EcdsaP256Sha256.fits(KeyKind::EcP384));
        // A brainpool key is no ES256/ES384 key (JWS names none for it); only an XML
        // signature's ECDSA method moves onto its curve.
        assert!(!Algorithm::EcdsaP256Sha256.fits(KeyKind::EcBrainpoolP256));
        assert!(!Algorithm::EcdsaP384Sha384.fits(KeyKind::EcBrainpoolP384));
        let on = |alg: Algorithm, key| alg.on_curve_of(key).fits(key);
        assert!(on(Algorithm::EcdsaP256Sha256, KeyKind::EcBrainpoolP256));
        assert!(on(Algorithm::EcdsaP384Sha384, KeyKind::EcBrainpoolP384));
        assert!(!on(Algorithm::EcdsaP384Sha384, KeyKind::EcBrainpoolP256), "SHA-384 on a 256-bit brainpool key");
        assert!(!on(Algorithm::RsaPkcs1Sha256, KeyKind::EcBrainpoolP256));
        assert!(Algorithm::from_jws(Algorithm::EcdsaBrainpoolP256Sha256.jws_name()).is_err());
    }

    #[test]
    fn sign_and_verify_each_generated_key_type() {
        let rng = SystemRandom::new();
        let ed = sig::Ed25519KeyPair::generate_pkcs8(&rng).expect("ed25519");
        let p256 = sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("p256");
        for der in [ed.as_ref(), p256.as_ref()] {
            let key = SigningKey::from_pkcs8(der).expect("load");
            let s = key.sign(b"message").expect("sign");
            key.public_key().verify(key.algorithm(), b"message", &s, EcdsaEncoding::Fixed).expect("verify");
            let err = key.public_key().verify(key.algorithm(), b"messagE", &s, EcdsaEncoding::Fixed).unwrap_err();
            assert_eq!(err.code(), "sig.invalid");
        }
    }

    #[test]
    fn der_ecdsa_signature_is_refused_where_fixed_is_expected() {
        let rng = SystemRandom::new();
        let pkcs8 = sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("p256");
        let der_key =
            sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).expect("k");
        let der_sig = der_key.sign(&rng, b"m").expect("sign");
        let public = PublicKey { kind: KeyKind::EcP256, raw: der_key.public_key().as_ref().to_vec() };
        assert!(public.verify(Algorithm::EcdsaP256Sha256, b"m", der_sig.as_ref(), EcdsaEncoding::Der).is_ok());
        assert_eq!(
            public.verify(Algorithm::EcdsaP256Sha256, b"m", der_sig.as_ref(), EcdsaEncoding::Fixed).unwrap_err(),
            KeyError::BadSignature
        );
    }

    #[test]
    fn mismatched_algorithm_is_named() {
        let rng = SystemRandom::new();
        let ed = sig::Ed25519KeyPair::generate_pkcs8(&rng).expect("ed25519");
        let key = SigningKey::from_pkcs8(ed.as_ref()).expect("load");
        let err =
            key.public_key().verify(Algorithm::EcdsaP256Sha256, b"m", &[0; 64], EcdsaEncoding::Fixed).unwrap_err();
        assert_eq!(err, KeyError::AlgorithmMismatch { alg: "ES256", key: "Ed25519" });
    }

    #[test]
    fn garbage_is_unreadable() {
        assert_eq!(SigningKey::from_pkcs8(b"not a key").unwrap_err().code(), "key.unknown_type");
        assert_eq!(
            SigningKey::from_pkcs8(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n").unwrap_err().code(),
            "key.unreadable"
        );
    }
}

/// ECDSA on the brainpool curves, which ring does not have: RustCrypto's `bp256`/`bp384`
/// sign and verify over the message's SHA-256 or SHA-384 (computed by ring). Signing is
/// deterministic (RFC 6979), so it needs no random source.
pub(crate) mod brainpool {
    use super::{Algorithm, EcdsaEncoding, KeyError, SigningKey};
    use bp256::r1::BrainpoolP256r1;
    use bp384::r1::BrainpoolP384r1;
    use ecdsa::elliptic_curve::pkcs8::DecodePrivateKey;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};

    /// A PKCS#8 brainpoolP256r1 or P384r1 private key, or `None` for any other.
    pub(crate) fn signing_key(pkcs8: &[u8]) -> Option<SigningKey> {
        if let Ok(k) = ecdsa::SigningKey::<BrainpoolP256r1>::from_pkcs8_der(pkcs8) {
            return Some(SigningKey::EcdsaBrainpoolP256(k));
        }
        ecdsa::SigningKey::<BrainpoolP384r1>::from_pkcs8_der(pkcs8).ok().map(SigningKey::EcdsaBrainpoolP384)
    }

    /// r‖s over the message's SHA-256.
    pub(crate) fn sign_p256(key: &ecdsa::SigningKey<BrainpoolP256r1>, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, message);
        let signature: ecdsa::Signature<BrainpoolP256r1> =
            key.sign_prehash(digest.as_ref()).map_err(|_| KeyError::SigningFailed)?;
        Ok(signature.to_bytes().to_vec())
    }

    /// r‖s over the message's SHA-384.
    pub(crate) fn sign_p384(key: &ecdsa::SigningKey<BrainpoolP384r1>, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let digest = ring::digest::digest(&ring::digest::SHA384, message);
        let signature: ecdsa::Signature<BrainpoolP384r1> =
            key.sign_prehash(digest.as_ref()).map_err(|_| KeyError::SigningFailed)?;
        Ok(signature.to_bytes().to_vec())
    }

    pub(crate) fn verify(
        alg: Algorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
        encoding: EcdsaEncoding,
    ) -> Result<(), KeyError> {
        let bad = |_| KeyError::BadSignature;
        match alg {
            Algorithm::EcdsaBrainpoolP256Sha256 => {
                let key = ecdsa::VerifyingKey::<bp256::r1::BrainpoolP256r1>::from_sec1_bytes(public_key)
                    .map_err(|e| KeyError::BadPublicKey(format!("brainpoolP256r1: {e}")))?;
                let digest = ring::digest::digest(&ring::digest::SHA256, message);
                let sig = match encoding {
                    EcdsaEncoding::Fixed => ecdsa::Signature::from_slice(signature).map_err(bad)?,
                    EcdsaEncoding::Der => ecdsa::Signature::from_der(signature).map_err(bad)?,
                };
                key.verify_prehash(digest.as_ref(), &sig).map_err(bad)
            }
            Algorithm::EcdsaBrainpoolP384Sha384 => {
                let key = ecdsa::VerifyingKey::<bp384::r1::BrainpoolP384r1>::from_sec1_bytes(public_key)
                    .map_err(|e| KeyError::BadPublicKey(format!("brainpoolP384r1: {e}")))?;
                let digest = ring::digest::digest(&ring::digest::SHA384, message);
                let sig = match encoding {
                    EcdsaEncoding::Fixed => ecdsa::Signature::from_slice(signature).map_err(bad)?,
                    EcdsaEncoding::Der => ecdsa::Signature::from_der(signature).map_err(bad)?,
                };
                key.verify_prehash(digest.as_ref(), &sig).map_err(bad)
            }
            _ => Err(KeyError::BadSignature),
        }
    }
}
