//! Wycheproof signature vectors (C2SP) through mrgate's verifiers: every `invalid` vector
//! must be rejected; every `valid` one with a supported algorithm must be accepted.

mod common;

use mrgate::crypto::jws;
use mrgate::crypto::keys::{Algorithm, EcdsaEncoding, PublicKey};
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn load(name: &str) -> Option<Value> {
    let corpus = common::corpus()?;
    Some(serde_json::from_slice(&std::fs::read(corpus.join("wycheproof").join(name)).expect("read")).expect("json"))
}

/// Runs a raw-signature file; returns (valid accepted, valid total, invalid rejected, invalid total).
fn run_file(name: &str, alg: Algorithm, encoding: EcdsaEncoding) -> Option<(usize, usize, usize, usize)> {
    let file = load(name)?;
    let (mut va, mut vt, mut ir, mut it) = (0, 0, 0, 0);
    let mut false_accepts = Vec::new();
    let mut false_rejects = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        let key = PublicKey::from_spki_der(&hex(group["publicKeyDer"].as_str().expect("publicKeyDer")));
        for t in group["tests"].as_array().expect("tests") {
            let accepted = key.as_ref().is_ok_and(|k| {
                k.verify(alg, &hex(t["msg"].as_str().expect("msg")), &hex(t["sig"].as_str().expect("sig")), encoding)
                    .is_ok()
            });
            match t["result"].as_str() {
                Some("valid") => {
                    vt += 1;
                    if accepted { va += 1 } else { false_rejects.push(t["tcId"].clone()) }
                }
                Some("invalid") => {
                    it += 1;
                    if accepted { false_accepts.push(t["tcId"].clone()) } else { ir += 1 }
                }
                _ => {}
            }
        }
    }
    eprintln!("{name}: valid accepted {va}/{vt}, invalid rejected {ir}/{it}");
    assert!(false_accepts.is_empty(), "{name}: invalid vectors accepted: {false_accepts:?}");
    assert!(false_rejects.is_empty(), "{name}: valid vectors rejected: {false_rejects:?}");
    Some((va, vt, ir, it))
}

#[test]
fn ed25519() {
    let Some((_, vt, _, it)) = run_file("ed25519_test.json", Algorithm::Ed25519, EcdsaEncoding::Fixed) else { return };
    assert!(vt > 0 && it > 0);
}

#[test]
fn ecdsa_p256_der() {
    let Some((_, vt, _, it)) =
        run_file("ecdsa_secp256r1_sha256_test.json", Algorithm::EcdsaP256Sha256, EcdsaEncoding::Der)
    else {
        return;
    };
    assert!(vt > 0 && it > 0);
}

#[test]
fn ecdsa_p256_p1363() {
    let Some((_, vt, _, it)) =
        run_file("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::EcdsaP256Sha256, EcdsaEncoding::Fixed)
    else {
        return;
    };
    assert!(vt > 0 && it > 0);
}

#[test]
fn ecdsa_p384_p1363() {
    let Some((_, vt, _, it)) =
        run_file("ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::EcdsaP384Sha384, EcdsaEncoding::Fixed)
    else {
        return;
    };
    assert!(vt > 0 && it > 0);
}

#[test]
fn rsa_pkcs1_2048_sha256() {
    let Some((_, vt, _, it)) =
        run_file("rsa_signature_2048_sha256_test.json", Algorithm::RsaPkcs1Sha256, EcdsaEncoding::Fixed)
    else {
        return;
    };
    assert!(vt > 0 && it > 0);
}

#[test]
fn rsa_pss_2048_sha256() {
    let Some((_, vt, _, it)) =
        run_file("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::RsaPssSha256, EcdsaEncoding::Fixed)
    else {
        return;
    };
    assert!(vt > 0 && it > 0);
}

/// The JWS vectors: keys are JWKs; the payloads are bytes, not credentials.
#[test]
fn json_web_signature() {
    let Some(file) = load("json_web_signature_test.json") else { return };
    let (mut valid, mut valid_accepted, mut invalid, mut refused_by_policy) = (0, 0, 0, Vec::new());
    let mut false_accepts = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        // Groups that publish only a private JWK use symmetric keys; the public part of an
        // asymmetric private JWK is the same key minus its private fields.
        let jwk = group.get("public").or_else(|| group.get("private")).cloned().unwrap_or(Value::Null);
        let key = PublicKey::from_jwk(&jwk);
        for t in group["tests"].as_array().expect("tests") {
            let token = t["jws"].as_str().unwrap_or("");
            // Why a vector was not accepted, when the reason is a policy rather than a defect.
            let mut policy: Option<String> = None;
            let accepted = match (&key, jws::parse(token)) {
                (Ok(k), Ok(parsed)) => {
                    let alg_ok = jwk.get("alg").is_none_or(|a| a.as_str() == Some(parsed.alg_name.as_str()));
                    if !alg_ok {
                        policy = Some(format!("token alg {} differs from the JWK's alg", parsed.alg_name));
                    }
                    alg_ok && jws::verify_signature(&parsed, k).is_ok()
                }
                (Err(e), _) => {
                    policy = Some(format!("key refused: {} ({})", e, e.code()));
                    false
                }
                _ => false,
            };
            match t["result"].as_str() {
                Some("invalid") => {
                    invalid += 1;
                    if accepted {
                        false_accepts.push(t["tcId"].clone());
                    }
                }
                Some("valid") => {
                    valid += 1;
                    if accepted {
                        valid_accepted += 1;
                    } else {
                        let why = policy.clone().unwrap_or_else(|| "no policy reason".into());
                        refused_by_policy.push(format!("{}: {why}", t["tcId"]));
                    }
                }
                _ => {}
            }
        }
    }
    eprintln!(
        "json_web_signature: {invalid} invalid, all rejected: {}; valid accepted {valid_accepted}/{valid}; \
         valid but refused by policy (HMAC, P-521): {refused_by_policy:?}",
        false_accepts.is_empty()
    );
    assert!(false_accepts.is_empty(), "invalid JWS accepted: {false_accepts:?}");
    // A valid vector may only be refused by policy: HMAC, an unsupported curve (P-521), or a
    // token whose alg differs from the one its key is bound to.
    for r in &refused_by_policy {
        assert!(
            r.contains("alg.refused") || r.contains("alg.unsupported") || r.contains("differs from the JWK"),
            "valid vector refused without a policy reason: {r}"
        );
    }
}
