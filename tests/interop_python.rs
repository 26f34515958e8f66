//! JWS interop with an independent implementation (Python joserfc + cryptography), both
//! directions, with tampering caught on both sides.

mod common;

use mrgate::crypto::jws::{self, Verifier};
use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::{Crls, TrustAnchors};
use mrgate::pki::{Ca, KeyAlg, LeafSpec, Profile};
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/jose.py");

fn python_ready() -> bool {
    let ok =
        Command::new("python3").args(["-c", "import joserfc, cryptography"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!common::required(), "python3 with joserfc and cryptography is missing and MRGATE_REQUIRE_CORPUS=1");
        eprintln!("SKIPPED: python3 with joserfc and cryptography is missing");
    }
    ok
}

fn python(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("python3").arg(SCRIPT).args(args).output().expect("run python");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn credential() -> Vec<u8> {
    let cert = mrgate::formats::parse(
        mrgate::formats::Format::CnXml,
        include_bytes!("data/cn-qms.xml"),
        &mrgate::xml::Limits::default(),
    )
    .expect("fixture");
    let vc: serde_json::Value =
        serde_json::from_slice(&mrgate::formats::render(mrgate::formats::Format::UntpDcc, &cert).bytes).expect("json");
    serde_json::to_vec(&vc).expect("json")
}

fn tamper(token: &str) -> String {
    use base64::Engine;
    let (head, sig) = token.rsplit_once('.').expect("dot");
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).expect("b64");
    bytes[3] ^= 0x40;
    format!("{head}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p.to_string_lossy().to_string()
}

#[test]
fn mrgate_signs_python_verifies() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mut root = Ca::root("Interop Root", "Interop AB", "SE", KeyAlg::EcdsaP256).expect("root");
    for (alg, name) in [(KeyAlg::Ed25519, "EdDSA"), (KeyAlg::EcdsaP256, "ES256")] {
        let mut spec = LeafSpec::new("Interop Signer", Profile::DocumentSigner);
        spec.key_alg = alg;
        let leaf = root.issue(&spec).expect("leaf");
        let key = SigningKey::from_pkcs8(leaf.key_pem().as_bytes()).expect("key");
        let payload = credential();
        let token = jws::sign(&payload, &key, &[CertificateDer::from(leaf.der().to_vec())], None, true).expect("sign");
        let cert = write(dir.path(), &format!("{name}.pem"), leaf.pem().as_bytes());
        let good = write(dir.path(), &format!("{name}.jwt"), token.as_bytes());
        let (ok, out, err) = python(&["verify", &cert, name, &good]);
        assert!(ok, "{name}: joserfc rejected mrgate's JWS: {err}");
        assert_eq!(out.as_bytes(), payload.as_slice(), "{name}: payload differs");
        let bad = write(dir.path(), &format!("{name}-bad.jwt"), tamper(&token).as_bytes());
        let (ok, _, _) = python(&["verify", &cert, name, &bad]);
        assert!(!ok, "{name}: joserfc accepted a tampered JWS");
    }
}

#[test]
fn python_signs_mrgate_verifies() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mut root = Ca::root("Interop Root", "Interop AB", "SE", KeyAlg::EcdsaP256).expect("root");
    let mut anchors = TrustAnchors::new();
    anchors.add_der(&CertificateDer::from(root.der().to_vec())).expect("anchor");
    let mut verifier = Verifier::new(anchors, Crls::new());
    verifier.credential = true;
    let payload = write(dir.path(), "vc.json", &credential());
    for (alg, name) in [(KeyAlg::Ed25519, "EdDSA"), (KeyAlg::EcdsaP256, "ES256")] {
        let mut spec = LeafSpec::new("Python Signer", Profile::DocumentSigner);
        spec.key_alg = alg;
        let leaf = root.issue(&spec).expect("leaf");
        let key = write(dir.path(), &format!("{name}.key"), leaf.key_pem().as_bytes());
        let cert = write(dir.path(), &format!("{name}.pem"), leaf.pem().as_bytes());
        let (ok, token, err) = python(&["sign", &key, name, &cert, &payload]);
        assert!(ok, "{name}: python failed to sign: {err}");
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        let v = verifier.verify(token.trim(), now);
        assert!(v.valid, "{name}: mrgate rejected joserfc's JWS: {:?}", v.checks);
        assert_eq!(v.alg.as_deref(), Some(name));
        let v = verifier.verify(&tamper(token.trim()), now);
        assert!(!v.valid);
        assert_eq!(v.checks.last().expect("check").reason, "sig.invalid");
        // typ and cty as media types (RFC 7515): any case, with or without application/.
        for (typ, cty, valid) in [
            ("application/vc+jwt", "application/vc", true),
            ("VC+JWT", "VC", true),
            ("application/jwt", "vc", false),
            ("vc+jwt", "vc+ld+json", false),
        ] {
            let (ok, token, err) = python(&["sign", &key, name, &cert, &payload, typ, cty]);
            assert!(ok, "{name}: python failed to sign: {err}");
            let v = verifier.verify(token.trim(), now);
            assert_eq!(v.valid, valid, "{name}, typ {typ}, cty {cty}: {:?}", v.checks);
            if !valid {
                assert_eq!(v.checks.last().expect("check").reason, "jws.typ");
            }
        }
    }
}
