//! The gateway's decentralized identifier: `did:web` (W3C DID Core; the did:web method),
//! made from its public URL, and the DID document that lists the keys it signs
//! credentials with, so that a verifier that knows DIDs and not X.509 finds the key.
//!
//! The gateway — not each certification body — is the DID: the keys are the gateway's
//! (it signs every export), one document lists them and survives a key rotation (a
//! rotated key stays listed for the credentials it signed), and no document claims that a
//! body controls a key it never held. This module builds identifiers and documents; it
//! never fetches one and never decides trust (a verifier of ours trusts the `x5c` chain).

use super::keys::PublicKey;
use serde_json::{Value, json};

/// Why a DID cannot be made of a public URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    #[error("'{url}': a did:web needs an https URL with a host")]
    NotHttps { url: String },
}

/// Why a DID cannot be made of a public URL with a path.
const WITH_PATH: &str =
    "a did:web of a URL with a path is resolved at <path>/did.json, which the gateway does not serve";

/// The did:web of a gateway reached at `public_base` (`https://host[:port]`): the host
/// name and its port, percent-encoded (`%3A`). The document is served at
/// `/.well-known/did.json`, so a public URL with a path (whose did:web resolves under the
/// path) has no DID, and an IP-literal host neither (a DID cannot hold its brackets).
pub fn did_of(public_base: &str) -> Result<String, DidError> {
    let not_https = |why: &str| DidError::NotHttps { url: format!("{public_base} ({why})") };
    let rest = public_base.strip_prefix("https://").ok_or_else(|| not_https("not https"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('/') {
        return Err(not_https(WITH_PATH));
    }
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if !host_ok || !port.chars().all(|c| c.is_ascii_digit()) || (authority.contains(':') && port.is_empty()) {
        return Err(not_https("not a host name and port"));
    }
    Ok(if port.is_empty() { format!("did:web:{host}") } else { format!("did:web:{host}%3A{port}") })
}

/// The JWK thumbprint of `key` (RFC 7638: SHA-256 over its defining members, base64url).
pub fn thumbprint(key: &PublicKey) -> Option<String> {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    // `to_jwk` writes the members in the thumbprint's order; serde_json keeps it compact. An
    // RSA key, which the gateway never signs with and so never lists, has its thumbprint all
    // the same (RFC 7638 §3.2: `e`, `kty`, `n`, the integers without leading zeros): a CB's
    // credential may name its RSA key by it (found by review: every `kid` beside an RSA
    // `x5c` was refused). A brainpool key has no JWK, so no thumbprint.
    let jwk = match key.kind {
        crate::crypto::keys::KeyKind::Rsa { .. } => {
            use x509_parser::prelude::FromDer;
            let (_, rsa) = x509_parser::public_key::RSAPublicKey::from_der(key.raw()).ok()?;
            let unsigned = |b: &[u8]| b.iter().copied().skip_while(|&x| x == 0).collect::<Vec<u8>>();
            serde_json::json!({"e": b64(&unsigned(rsa.exponent)), "kty": "RSA", "n": b64(&unsigned(rsa.modulus))})
        }
        _ => key.to_jwk()?,
    };
    let canonical = serde_json::to_vec(&jwk).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &canonical);
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

/// The verification method of `key` under `did`: `did#<thumbprint>`, what a credential's
/// JWS header names as `kid`.
pub fn key_id(did: &str, key: &PublicKey) -> Option<String> {
    Some(format!("{did}#{}", thumbprint(key)?))
}

/// The DID document listing `keys` (the signing key in force first, then those rotated
/// out, kept for the credentials they signed) as JSON Web Key verification methods that
/// may assert credentials. Keys with no JWK form are left out.
pub fn document(did: &str, keys: &[PublicKey]) -> Value {
    let mut methods: Vec<Value> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for key in keys {
        let (Some(jwk), Some(id)) = (key.to_jwk(), key_id(did, key)) else { continue };
        if ids.contains(&id) {
            continue;
        }
        methods.push(json!({"id": id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}));
        ids.push(id);
    }
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_of_a_public_url() {
        assert_eq!(did_of("https://gateway.example.cn"), Ok("did:web:gateway.example.cn".into()));
        assert_eq!(did_of("https://gateway.example.cn/"), Ok("did:web:gateway.example.cn".into()));
        assert_eq!(did_of("https://localhost:8443"), Ok("did:web:localhost%3A8443".into()));
        for bad in [
            "http://gateway.example.cn",
            "https://",
            "https://bad host/",
            "gateway.example.cn",
            "https://example.org/mrgate/cn",
            "https://:8443",
            "https://host:",
            "https://host:84a3",
            "https://[::1]:8443",
            "https://host?x",
        ] {
            assert!(did_of(bad).is_err(), "{bad}");
        }
    }

    /// RFC 7638 §3.1's example key and thumbprint are RSA; RFC 8037 §A.3 gives one for
    /// an Ed25519 key, which this reproduces.
    #[test]
    fn an_rsa_thumbprint_as_rfc_7638_computes_it() {
        // RFC 7638 §3.1's key and thumbprint (joserfc computes the same).
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = PublicKey::from_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB"})).expect("key");
        assert_eq!(thumbprint(&key).as_deref(), Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    }

    #[test]
    fn thumbprint_as_rfc_8037_computes_it() {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let key = PublicKey::from_jwk(&jwk).expect("key");
        assert_eq!(thumbprint(&key).as_deref(), Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"));
    }
}
