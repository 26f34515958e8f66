//! An equivalence-table document from untrusted bytes (what `PUT
//! /v1/admin/equivalence-table` and an audit read): the build's TOML, a table another build
//! compiled in, or a compact JWS checked against the demo's operator anchor and pinned
//! signer. Never a panic; a signed version only with a signature that verifies, by the
//! pinned signer, over a table that parses.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::x509::{Crls, TrustAnchors, read_certificates};
use mrgate::trust::InstallPolicy;
use mrgate::trust::equivalence_table::{self as table, Origin};
use std::sync::LazyLock;

static POLICY: LazyLock<InstallPolicy> = LazyLock::new(|| {
    let mut anchors = TrustAnchors::new();
    anchors.add_pem_or_der(include_bytes!("../../certs/demo/ca.pem")).expect("anchor");
    let signer = read_certificates(include_bytes!("../../certs/demo/trust-list-operator.pem")).expect("signer");
    InstallPolicy {
        anchors,
        signer_certificates: signer.iter().map(|c| c.as_ref().to_vec()).collect(),
        signer_spki_sha256: Vec::new(),
        crls: Crls::new(),
    }
});

fuzz_target!(|data: &[u8]| {
    let at = time::OffsetDateTime::from_unix_timestamp(1_780_272_000).expect("time");
    if let Ok(v) = table::read_signed(data, &POLICY, at) {
        assert!(matches!(v.origin, Origin::Signed { .. }));
        assert!(v.table.sequence >= 1);
        assert_eq!(v.digest, mrgate::crypto::sha256_hex(data));
    }
    if let Ok(v) = table::read_logged(data, &POLICY, at) {
        assert!(v.table.sequence >= 1);
    }
    // The installed reading accepts an unsigned document only as the build's own table.
    if let Ok(v) = table::read(data, &POLICY, at) {
        assert!(v.origin != Origin::Build || data == mrgate::standards::EMBEDDED_TABLE.as_bytes());
    }
});
