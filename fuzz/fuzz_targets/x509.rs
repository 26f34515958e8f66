//! Certificates from untrusted DER: the profile checks in every role, and path validation
//! of the bytes as a signer under the demo roots. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::profile::{self, Role};
use mrgate::crypto::x509::{PathOptions, Purpose, TrustAnchors, verify_path};
use rustls_pki_types::CertificateDer;

fuzz_target!(|data: &[u8]| {
    for role in [Role::Leaf, Role::Intermediate, Role::Anchor] {
        let _ = profile::check_certificate(data, role, 1_780_272_000);
    }
    let _ = profile::check_crl(data, None);
    let mut anchors = TrustAnchors::new();
    anchors.add_pem_or_der(include_bytes!("../../certs/demo/ca.pem")).expect("anchor");
    let der = CertificateDer::from(data.to_vec());
    for purpose in [Purpose::DocumentSigning, Purpose::ClientAuth, Purpose::ServerAuth] {
        let options = PathOptions { purpose, time: 1_780_272_000, crls: None, max_intermediates: Some(4) };
        let _ = verify_path(&der, &[], &anchors, &options);
    }
});
