//! Document-signing path validation on freshly generated PKIs: one valid path per key type
//! and one test per rejection rule, each asserting the reason code and the certificate named.

use mrgate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, verify_path};
use mrgate::pki::{Ca, KeyAlg, LeafSpec, Profile, RawPublicKey};
use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use rustls_pki_types::CertificateDer;
use time::macros::datetime;

/// 2026-06-01, inside the demo validity window.
const AT: u64 = 1_780_272_000;

fn anchors(ca: &Ca) -> TrustAnchors {
    let mut a = TrustAnchors::new();
    a.add_der(&CertificateDer::from(ca.der().to_vec())).expect("anchor");
    a
}

fn opts(crls: Option<&Crls>) -> PathOptions<'_> {
    PathOptions { purpose: Purpose::DocumentSigning, time: AT, crls, max_intermediates: None, crls_at: None }
}

fn der(bytes: &[u8]) -> CertificateDer<'static> {
    CertificateDer::from(bytes.to_vec())
}

fn signer(cn: &str) -> LeafSpec {
    LeafSpec::new(cn, Profile::DocumentSigner)
}

#[test]
fn valid_paths_for_each_key_type() {
    for alg in [KeyAlg::EcdsaP256, KeyAlg::Ed25519, KeyAlg::EcdsaP384] {
        let mut root = Ca::root("Test Root", "Test AB", "DE", KeyAlg::EcdsaP256).expect("root");
        let mut inter = root.intermediate("Test Intermediate", Some(0), true).expect("intermediate");
        let mut spec = signer("Signer");
        spec.key_alg = alg;
        let leaf = inter.issue(&spec).expect("leaf");
        let v = verify_path(&der(leaf.der()), &[der(inter.der())], &anchors(&root), &opts(None))
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(v.chain, ["CN=Signer", "CN=Test Intermediate", "C=DE, O=Test AB, CN=Test Root"]);
    }
}

#[test]
fn valid_rsa_signer() {
    let mut root = Ca::root("Root", "AB", "GB", KeyAlg::EcdsaP256).expect("root");
    let key = mrgate::pki::Key::rsa_from_pem(include_str!("data/rsa-2048.key.pem")).expect("rsa key");
    let leaf = root.issue_for(&signer("RSA Signer"), &key.0).expect("leaf");
    let v = verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)).expect("valid");
    assert!(matches!(v.public_key.kind, mrgate::crypto::keys::KeyKind::Rsa { bits: 2048 }));
}

fn assert_rejected(
    result: Result<mrgate::crypto::x509::VerifiedSigner, mrgate::crypto::x509::PathError>,
    code: &str,
    names: &str,
) {
    let err = result.expect_err("must be rejected");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.to_string().contains(names), "'{err}' should name '{names}'");
}

#[test]
fn untrusted_root() {
    let mut root = Ca::root("Real Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let other = Ca::root("Other Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let leaf = root.issue(&signer("Signer")).expect("leaf");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&other), &opts(None)), "x509.untrusted", "Real Root");
}

#[test]
fn expired_signer() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("Old Signer");
    spec.not_after = datetime!(2026-01-01 0:00 UTC);
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)), "x509.expired", "Old Signer");
}

#[test]
fn not_yet_valid_signer() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("Future Signer");
    spec.not_before = datetime!(2027-01-01 0:00 UTC);
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(
        verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)),
        "x509.not_yet_valid",
        "Future Signer",
    );
}

#[test]
fn wrong_key_usage() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("Encipher Only");
    spec.key_usages = Some(vec![KeyUsagePurpose::KeyEncipherment]);
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(
        verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)),
        "x509.key_usage",
        "Encipher Only",
    );
}

#[test]
fn missing_key_usage() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("No KU");
    spec.key_usages = Some(vec![]);
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)), "x509.key_usage", "No KU");
}

#[test]
fn ca_only_key_usage_on_leaf() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("CA Usage Leaf");
    spec.key_usages = Some(vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]);
    let leaf = root.issue(&spec).expect("leaf");
    let err = verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)).expect_err("rejected");
    assert_eq!(err.code(), "x509.key_usage");
    assert!(err.to_string().contains("CA Usage Leaf") && err.to_string().contains("keyCertSign"), "{err}");
}

#[test]
fn leaf_marked_as_ca() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("CA Leaf");
    spec.is_ca = true;
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)), "x509.ca_as_signer", "CA Leaf");
}

#[test]
fn issuer_without_ca_basic_constraints() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut not_ca = root.intermediate("Not A CA", None, false).expect("intermediate");
    let leaf = not_ca.issue(&signer("Signer")).expect("leaf");
    let err = verify_path(&der(leaf.der()), &[der(not_ca.der())], &anchors(&root), &opts(None)).expect_err("rejected");
    assert_eq!(err.code(), "x509.issuer_not_ca", "{err}");
}

#[test]
fn path_length_exceeded() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut first = root.intermediate("Intermediate pathlen 0", Some(0), true).expect("first");
    let mut second = first.intermediate("Intermediate below", None, true).expect("second");
    let leaf = second.issue(&signer("Deep Signer")).expect("leaf");
    let err = verify_path(&der(leaf.der()), &[der(second.der()), der(first.der())], &anchors(&root), &opts(None))
        .expect_err("rejected");
    assert_eq!(err.code(), "x509.path_len", "{err}");
    // The same chain with a permissive pathLen verifies, so the rejection is the constraint's.
    let mut root2 = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut first2 = root2.intermediate("Intermediate pathlen 1", Some(1), true).expect("first");
    let mut second2 = first2.intermediate("Intermediate below", None, true).expect("second");
    let leaf2 = second2.issue(&signer("Deep Signer")).expect("leaf");
    assert!(
        verify_path(&der(leaf2.der()), &[der(second2.der()), der(first2.der())], &anchors(&root2), &opts(None)).is_ok()
    );
}

#[test]
fn rsa_1024_signer_is_refused() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let pem = include_bytes!("data/rsa-1024.pub.pem");
    let spki = rustls_pki_types::pem::PemObject::from_pem_slice(pem)
        .map(|d: rustls_pki_types::SubjectPublicKeyInfoDer<'_>| d.as_ref().to_vec())
        .expect("spki");
    let (_, parsed) =
        <x509_parser::x509::SubjectPublicKeyInfo as x509_parser::prelude::FromDer<_>>::from_der(&spki).expect("parse");
    let raw = RawPublicKey {
        subject_public_key: parsed.subject_public_key.data.to_vec(),
        algorithm: &rcgen::PKCS_RSA_SHA256,
    };
    let leaf = root.issue_for(&signer("Weak RSA Signer"), &raw).expect("leaf");
    let err = verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)).expect_err("rejected");
    assert_eq!(err.code(), "key.weak_rsa");
    assert!(err.to_string().contains("Weak RSA Signer") && err.to_string().contains("1024"), "{err}");
}

#[test]
fn server_auth_only_eku_is_not_a_document_signer() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut spec = signer("TLS Only");
    spec.extended_key_usages = Some(vec![ExtendedKeyUsagePurpose::ServerAuth]);
    let leaf = root.issue(&spec).expect("leaf");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)), "x509.eku", "TLS Only");
}

#[test]
fn eku_absent_or_email_protection_is_accepted() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    for eku in [vec![], vec![ExtendedKeyUsagePurpose::EmailProtection]] {
        let mut spec = signer("Signer");
        spec.extended_key_usages = Some(eku.clone());
        let leaf = root.issue(&spec).expect("leaf");
        assert!(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)).is_ok(), "{eku:?}");
    }
}

#[test]
fn revoked_signer() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let leaf = root.issue(&signer("Revoked Signer")).expect("leaf");
    let good = root.issue(&signer("Good Signer")).expect("leaf");
    let crl = root.crl(&[&leaf.serial], datetime!(2026-05-01 0:00 UTC), datetime!(2026-07-01 0:00 UTC)).expect("crl");
    let mut crls = Crls::new();
    crls.add_pem_or_der(crl.pem().expect("pem").as_bytes()).expect("crl");
    assert_rejected(
        verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(Some(&crls))),
        "x509.revoked",
        "Revoked Signer",
    );
    assert!(verify_path(&der(good.der()), &[], &anchors(&root), &opts(Some(&crls))).is_ok());
    // Without the CRL the same signer passes: the rejection is the CRL's doing.
    assert!(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(None)).is_ok());
}

#[test]
fn stale_crl() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let leaf = root.issue(&signer("Signer")).expect("leaf");
    let crl = root.crl(&[], datetime!(2026-01-01 0:00 UTC), datetime!(2026-02-01 0:00 UTC)).expect("crl");
    let mut crls = Crls::new();
    crls.add_der(crl.der().as_ref()).expect("crl");
    assert_rejected(verify_path(&der(leaf.der()), &[], &anchors(&root), &opts(Some(&crls))), "x509.crl_stale", "Root");
}

#[test]
fn tampered_certificate_signature() {
    let mut root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let leaf = root.issue(&signer("Signer")).expect("leaf");
    let mut bytes = leaf.der().to_vec();
    let n = bytes.len();
    bytes[n - 5] ^= 0x01;
    let err = verify_path(&der(&bytes), &[], &anchors(&root), &opts(None)).expect_err("rejected");
    assert_eq!(err.code(), "x509.bad_signature", "{err}");
}

#[test]
fn garbage_is_malformed() {
    let root = Ca::root("Root", "AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let err = verify_path(&der(b"not a certificate"), &[], &anchors(&root), &opts(None)).expect_err("rejected");
    assert_eq!(err.code(), "x509.malformed");
    assert_eq!(err.severity(), mrgate::crypto::Severity::Unreadable);
}

/// A path whose certificate is signed with SHA-1 is refused as SHA-1 (`alg.sha1_refused`),
/// not as an algorithm mrgate lacks; another unsupported algorithm stays "unsupported". The
/// SHA-1 certificate is the RSA one with its two signature-algorithm OIDs changed from
/// sha256WithRSAEncryption to sha1WithRSAEncryption (same length): the algorithm is refused
/// before any signature is checked.
#[test]
fn a_sha1_signed_certificate_is_refused_as_sha1() {
    let key_pem = include_str!("data/rsa-2048.key.pem");
    let key = rcgen::KeyPair::from_pem(key_pem).expect("rsa key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(rcgen::DnType::CommonName, "RSA Root");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = mrgate::pki::demo_not_before();
    params.not_after = mrgate::pki::demo_not_after();
    let root_cert = params.self_signed(&key).expect("root");
    let mut root = Ca::load(&root_cert.pem(), key_pem).expect("load");
    let leaf = root.issue(&signer("Signer under RSA")).expect("leaf");
    let sha256_rsa: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let with_algorithm = |last: u8| {
        let mut bytes = leaf.der().to_vec();
        let mut changed = 0;
        let mut at = 0;
        while let Some(found) =
            bytes.get(at..).and_then(|rest| rest.windows(sha256_rsa.len()).position(|w| w == sha256_rsa))
        {
            let end = at + found + sha256_rsa.len() - 1;
            bytes[end] = last;
            changed += 1;
            at = end + 1;
        }
        assert_eq!(changed, 2, "the TBS and the outer signature algorithm");
        der(&bytes)
    };
    let anchors = anchors(&root);
    verify_path(&der(leaf.der()), &[], &anchors, &opts(None)).expect("the RSA path itself is valid");
    let sha1 = verify_path(&with_algorithm(0x05), &[], &anchors, &opts(None)).expect_err("SHA-1");
    assert_eq!(sha1.code(), "alg.sha1_refused", "{sha1}");
    // sha224WithRSAEncryption: not SHA-1, not supported either.
    let sha224 = verify_path(&with_algorithm(0x0e), &[], &anchors, &opts(None)).expect_err("SHA-224");
    assert_eq!(sha224.code(), "alg.unsupported", "{sha224}");
}
