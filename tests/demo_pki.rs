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
        let options =
            PathOptions { purpose, time: AT, crls: crl.map(|_| &crls), max_intermediates: None, crls_at: None };
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
    // The roots' keys are shipped and are their certificates' (anyone may mint under them).
    for root in ["ca", "foreign/dakks/root", "foreign/ukas/root", "foreign/anab/root"] {
        let pem = |ext: &str| String::from_utf8(read(&format!("{root}.{ext}"))).expect("utf8");
        assert!(mrgate::pki::Ca::load(&pem("pem"), &pem("key")).is_ok(), "{root}");
    }
    assert!(
        mrgate::pki::Ca::load(
            &String::from_utf8(read("ca.pem")).expect("utf8"),
            &String::from_utf8(read("foreign/dakks/root.key")).expect("utf8")
        )
        .is_err()
    );
    // Only the trust-list operator's certificate carries the tslSigning EKU.
    let tsl_signing = |name: &str| {
        let der = cert(name);
        let (_, c) = x509_parser::parse_x509_certificate(der.as_ref()).expect("parse");
        let eku = c
            .extended_key_usage()
            .expect("eku")
            .map(|e| e.value.other.iter().map(|o| o.to_id_string()).collect::<Vec<_>>());
        eku.unwrap_or_default().contains(&"0.4.0.2231.3.0".to_string())
    };
    assert!(tsl_signing("trust-list-operator.pem"));
    for other in ["signing.pem", "cb/CNCA-R-2002-001.pem", "cb/CNCA-R-2017-049.pem", "foreign/dakks/signer.pem"] {
        assert!(!tsl_signing(other), "{other}");
    }
}

/// `mrgate pki client` mints a client certificate claiming any role under a CA whose key
/// it is given; what the gateway then grants is tests/authority.rs's matter.
#[test]
fn pki_client_mints_under_a_root_whose_key_it_holds() {
    let dir = tempfile::tempdir().expect("tmp");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/demo");
    let out = dir.path().join("forged-operator");
    let run = |ca: &str, key: &str| {
        Command::new(env!("CARGO_BIN_EXE_mrgate"))
            .args(["pki", "client", "--role", "operator", "--ca"])
            .arg(demo.join(ca))
            .arg("--ca-key")
            .arg(demo.join(key))
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run")
    };
    let ok = run("foreign/dakks/root.pem", "foreign/dakks/root.key");
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let minted = read_certificates(&std::fs::read(out.with_extension("pem")).expect("pem")).expect("cert").remove(0);
    let mut dakks = TrustAnchors::new();
    dakks.add_pem_or_der(&std::fs::read(demo.join("foreign/dakks/root.pem")).expect("root")).expect("anchor");
    let options =
        PathOptions { purpose: Purpose::ClientAuth, time: AT, crls: None, max_intermediates: None, crls_at: None };
    assert!(verify_path(&minted, &[], &dakks, &options).is_ok());
    assert!(mrgate::crypto::x509::subject_of(minted.as_ref()).expect("subject").contains("OU=operator"));
    assert!(std::fs::read_to_string(out.with_extension("key")).expect("key").contains("PRIVATE KEY"));
    // A key that is not the CA's, or a missing file: exit 2, saying which.
    let wrong = run("foreign/dakks/root.pem", "foreign/ukas/root.key");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("error[pki.client]"));
    let missing = run("foreign/dakks/root.pem", "no-such.key");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such.key"));
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

/// A CRL file is PEM when it holds a `-----BEGIN` line anywhere: text before it (as `openssl
/// crl -text` writes, or a comment) is read past (found by re-test: it was read as DER and
/// refused as trailing data). One holding no CRL, or a block of another kind, is refused
/// (found by attack: a certificate given as a CRL file read as no CRL).
#[test]
fn a_crl_file_holds_crls_and_may_explain_them() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/demo");
    let crl = std::fs::read(demo.join("crl/domestic.crl.pem")).expect("crl");
    let explained = [b"Certificate Revocation List (CRL):\n        Version 2 (0x1)\n".as_slice(), &crl].concat();
    let mut crls = Crls::new();
    crls.add_pem_or_der(&explained).expect("explanatory text before the block");
    let cert = std::fs::read(demo.join("ca.pem")).expect("ca");
    for (bytes, why) in [
        (cert.clone(), "holds 0 X509 CRL block(s) among 1 block(s)"),
        ([crl.as_slice(), &cert].concat(), "holds 1 X509 CRL block(s) among 2 block(s)"),
    ] {
        let e = Crls::new().add_pem_or_der(&bytes).expect_err(why);
        assert!(e.to_string().contains(why), "{e}");
    }
}
