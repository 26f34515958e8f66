//! `mrgate sign`, `jws verify` and `x509 verify` as a user runs them against the demo PKI:
//! verdict JSON and exit codes 0 valid, 1 invalid, 2 unreadable, 3 unsupported algorithm.

mod common;

use base64::Engine;
use common::mrgate;
use std::process::Output;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");
const AT: &str = "2026-06-01T00:00:00Z";

fn demo(path: &str) -> String {
    format!("{DEMO}/{path}")
}

fn credential() -> Vec<u8> {
    mrgate(&["translate", "--from", "cn-xml", "--to", "untp-dcc"], include_bytes!("data/cn-qms.xml")).stdout
}

fn sign(key: &str, cert: &str) -> Output {
    mrgate(&["sign", "--format", "untp-dcc", "--key", &demo(key), "--cert", &demo(cert)], &credential())
}

fn verdict(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn sign_then_verify_with_the_demo_pki() {
    let signed = sign("signing.key", "signing.pem");
    assert_eq!(signed.status.code(), Some(0), "{}", String::from_utf8_lossy(&signed.stderr));
    let out = mrgate(&["jws", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT], &signed.stdout);
    assert_eq!(out.status.code(), Some(0));
    let v = verdict(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["alg"], "EdDSA");
    assert_eq!(v["payload"]["credentialSubject"]["issuedToParty"]["registeredId"], "91310110666007217T");
}

#[test]
fn wrong_anchor_is_invalid_exit_1() {
    let signed = sign("foreign/dakks/signer.key", "foreign/dakks/signer.pem");
    let out = mrgate(&["jws", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT], &signed.stdout);
    assert_eq!(out.status.code(), Some(1));
    let v = verdict(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["checks"].as_array().expect("checks").last().expect("last")["reason"], "x509.untrusted");
}

#[test]
fn revoked_signer_with_crl_exit_1() {
    let signed = sign("foreign/ukas/revoked-signer.key", "foreign/ukas/revoked-signer.pem");
    let args = [
        "jws",
        "verify",
        "--trust-anchor",
        &demo("foreign/ukas/root.pem"),
        "--crl",
        &demo("foreign/ukas/crl.pem"),
        "--at",
        AT,
    ];
    let out = mrgate(&args, &signed.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(verdict(&out)["checks"].as_array().expect("c").last().expect("l")["reason"], "x509.revoked");
}

#[test]
fn garbage_is_unreadable_exit_2() {
    let out = mrgate(&["jws", "verify", "--trust-anchor", &demo("ca.pem")], b"not.a.jws!");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(verdict(&out)["valid"], false);
}

#[test]
fn unsupported_algorithm_exit_3() {
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"ES512","typ":"vc+jwt"}"#);
    let token = format!("{header}.e30.AAAA");
    let out = mrgate(&["jws", "verify", "--trust-anchor", &demo("ca.pem")], token.as_bytes());
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(verdict(&out)["checks"].as_array().expect("c").last().expect("l")["reason"], "alg.unsupported");
}

#[test]
fn sign_refuses_a_key_that_does_not_match_the_certificate() {
    let out = sign("signing.key", "foreign/anab/signer.pem");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("key.cert_mismatch"));
}

#[test]
fn sign_refuses_what_is_not_a_credential() {
    let out = mrgate(
        &["sign", "--format", "untp-dcc", "--key", &demo("signing.key"), "--cert", &demo("signing.pem")],
        b"{\"hello\": 1}",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

/// A credential is signed only as the gateway reads it: one holding members it does not
/// read is refused, naming them, and nothing is written (found by attack: an added
/// `@context` redefining the credential's terms was signed, and `translate` reported it lost).
#[test]
fn sign_refuses_a_credential_holding_what_it_does_not_read() {
    let sign = |credential: &serde_json::Value| {
        mrgate(
            &["sign", "--format", "untp-dcc", "--key", &demo("signing.key"), "--cert", &demo("signing.pem")],
            &serde_json::to_vec(credential).expect("json"),
        )
    };
    let good: serde_json::Value = serde_json::from_slice(&credential()).expect("credential");
    let mut context = good.clone();
    context["@context"].as_array_mut().expect("contexts").push(serde_json::json!({"name": "urn:evil:name"}));
    let mut topic = good.clone();
    topic["credentialSubject"]["assessment"][0]["conformityTopic"] = "environment.energy".into();
    // A context added is this profile's no more: refused as it is read (rule set 23).
    let out = sign(&context);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next(),
        Some(
            "error[format.invalid]: -: /@context: must be [\"https://www.w3.org/ns/credentials/v2\", \
             \"https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/\"] in this profile"
        )
    );
    let mut id = good.clone();
    id["id"] = "https://cb.example/credentials/1".into();
    for (changed, lost) in [(id, "/id"), (topic, "/credentialSubject/assessment/conformityTopic")] {
        let out = sign(&changed);
        assert_eq!(out.status.code(), Some(1), "{lost}");
        assert!(out.stdout.is_empty(), "{lost}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error[sign.not_carried]: -: the credential holds what the gateway does not read"),
            "{stderr}"
        );
        assert!(stderr.trim_end().ends_with(lost), "{stderr}");
    }
    assert_eq!(sign(&good).status.code(), Some(0));
    // W3C status-list entries, which a verification does not read (the register tells a
    // status): not signed either, wherever they point (found by review).
    let mut listed = good.clone();
    let entry = |purpose: &str| {
        serde_json::json!({"type": "BitstringStatusListEntry", "statusPurpose": purpose, "statusListIndex": "7",
                           "statusListCredential": format!("https://evil.example/{purpose}")})
    };
    listed["credentialStatus"] = serde_json::json!([entry("revocation"), entry("suspension")]);
    let out = sign(&listed);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim_end().ends_with("sign unshown: /credentialStatus"), "{stderr}");
}

#[test]
fn x509_verify_exit_codes() {
    let ok = mrgate(
        &["x509", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT, &demo("cb/CNCA-R-2002-001.pem")],
        b"",
    );
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(
        verdict(&ok)["signer"],
        "C=CN, O=China Quality Certification Centre, OU=CNCA-R-2002-001, CN=China Quality Certification Centre document signer"
    );
    let revoked = mrgate(
        &[
            "x509",
            "verify",
            "--trust-anchor",
            &demo("ca.pem"),
            "--crl",
            &demo("crl/domestic.crl.pem"),
            "--at",
            AT,
            &demo("cb/revoked.pem"),
        ],
        b"",
    );
    assert_eq!(revoked.status.code(), Some(1));
    let tls = mrgate(&["x509", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT, &demo("server.pem")], b"");
    assert_eq!(tls.status.code(), Some(1));
    assert_eq!(verdict(&tls)["checks"][0]["reason"], "x509.eku");
    let expired = mrgate(
        &["x509", "verify", "--trust-anchor", &demo("ca.pem"), "--at", "2050-01-01T00:00:00Z", &demo("signing.pem")],
        b"",
    );
    assert_eq!(expired.status.code(), Some(1));
    assert_eq!(verdict(&expired)["checks"][0]["reason"], "x509.expired");
    let dir = tempfile::tempdir().expect("tmp");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").expect("write");
    let bad = mrgate(&["x509", "verify", "--trust-anchor", &demo("ca.pem"), junk.to_str().expect("p")], b"");
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        mrgate(&["x509", "verify", "--at", "yesterday", "--trust-anchor", &demo("ca.pem"), &demo("signing.pem")], b"")
            .status
            .code(),
        Some(2)
    );
}
