//! The committed demo PKI (`certs/demo/`) and `mrgate pki demo`: every certificate does what
//! its file name promises, and the revoked ones are revoked.

use mrgate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, read_certificates, verify_path};
use std::path::Path;
use std::process::Command;

const AT: u64 = 1_780_272_000; // 2026-06-01

fn check(dir: &Path) {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let anchors = |name: &str| {
        let mut a = TrustAnchors::new();
        a.add_pem_or_der(&read(name)).expect("anchor");
        a
    };
    let cert = |name: &str| read_certificates(&read(name)).expect("cert").remove(0);
    let verify = |leaf: &str, anchor: &str, purpose: Purpose, crl: Option<&str>| {
        let mut crls = Crls::new();
        if let Some(c) = crl {
            crls.add_pem_or_der(&read(c)).expect("crl");
        }
        let options = PathOptions { purpose, time: AT, crls: crl.map(|_| &crls), max_intermediates: None };
        verify_path(&cert(leaf), &[], &anchors(anchor), &options).map(|v| v.subject).map_err(|e| e.code())
    };
    assert!(verify("server.pem", "ca.pem", Purpose::ServerAuth, None).is_ok());
    assert_eq!(verify("server.pem", "ca.pem", Purpose::DocumentSigning, None), Err("x509.eku"));
    for signer in ["signing.pem", "trust-list-operator.pem", "cb/CNCA-R-2002-001.pem", "cb/CNCA-R-2002-002.pem"] {
        assert!(verify(signer, "ca.pem", Purpose::DocumentSigning, Some("crl/domestic.crl.pem")).is_ok(), "{signer}");
    }
    assert_eq!(
        verify("cb/revoked.pem", "ca.pem", Purpose::DocumentSigning, Some("crl/domestic.crl.pem")),
        Err("x509.revoked")
    );
    for role in ["customs", "exporter", "operator"] {
        assert!(verify(&format!("clients/{role}.pem"), "ca.pem", Purpose::ClientAuth, None).is_ok(), "{role}");
    }
    for body in ["dakks", "ukas", "anab"] {
        let root = format!("foreign/{body}/root.pem");
        let crl = format!("foreign/{body}/crl.pem");
        assert!(verify(&format!("foreign/{body}/signer.pem"), &root, Purpose::DocumentSigning, Some(&crl)).is_ok());
        assert_eq!(
            verify(&format!("foreign/{body}/revoked-signer.pem"), &root, Purpose::DocumentSigning, Some(&crl)),
            Err("x509.revoked")
        );
        assert!(verify(&format!("clients/partner-{body}.pem"), &root, Purpose::ClientAuth, None).is_ok());
        // A foreign signer does not chain to the domestic root.
        assert_eq!(
            verify(&format!("foreign/{body}/signer.pem"), "ca.pem", Purpose::DocumentSigning, None),
            Err("x509.untrusted")
        );
        // Keys match their certificates.
        let key =
            mrgate::crypto::keys::SigningKey::from_pkcs8(&read(&format!("foreign/{body}/signer.key"))).expect("key");
        let public =
            mrgate::crypto::keys::PublicKey::from_certificate_der(cert(&format!("foreign/{body}/signer.pem")).as_ref());
        assert_eq!(public.expect("public"), key.public_key());
    }
    assert!(!String::from_utf8(read("exporter.token")).expect("utf8").trim().is_empty());
}

#[test]
fn committed_demo_pki_is_consistent() {
    check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/demo"));
}

#[test]
fn pki_demo_command_writes_a_fresh_consistent_set_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("demo");
    let run =
        || Command::new(env!("CARGO_BIN_EXE_mrgate")).args(["pki", "demo", "--out"]).arg(&out).output().expect("run");
    assert_eq!(run().status.code(), Some(0));
    check(&out);
    let again = run();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
