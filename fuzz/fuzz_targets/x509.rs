//! Certificates from untrusted DER: the profile checks in every role, and path validation
//! of the bytes as a signer under the demo roots; the bytes as a CRL set an entry names (an
//! audit reads it from the gateway it audits). Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::profile::{self, Role};
use mrgate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, verify_path};
use rustls_pki_types::CertificateDer;

fuzz_target!(|data: &[u8]| {
    for role in [Role::Leaf, Role::Intermediate, Role::Anchor] {
        let _ = profile::check_certificate(data, role, 1_780_272_000);
    }
    let _ = profile::check_crl(data, None);
    // A set that reads is its own set document's: written again and read back, the same set.
    if let Ok(crls) = Crls::from_set_document(data) {
        let again = Crls::from_set_document(&crls.set_document()).expect("a set document reads");
        assert_eq!(again.set_digest(), crls.set_digest());
        assert_eq!(again.summaries(), crls.summaries());
        // Completed by nothing, a set is itself; completed by the latest of its own lists,
        // nothing of them completes it further.
        assert_eq!(crls.completed_with(&crls, &[]).set_digest(), crls.set_digest());
        let latest = crls.latest_at(None);
        let completed = crls.completed_with(&crls, &crls.completed_by(&crls, &latest));
        assert_eq!(completed.completed_by(&crls, &latest), Vec::<usize>::new());
    }
    let mut anchors = TrustAnchors::new();
    anchors.add_pem_or_der(include_bytes!("../../certs/demo/ca.pem")).expect("anchor");
    let der = CertificateDer::from(data.to_vec());
    for purpose in [Purpose::DocumentSigning, Purpose::ClientAuth, Purpose::ServerAuth] {
        let options = PathOptions { purpose, time: 1_780_272_000, crls: None, max_intermediates: Some(4) , crls_at: None};
        let _ = verify_path(&der, &[], &anchors, &options);
    }
});
