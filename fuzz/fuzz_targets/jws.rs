//! Compact JWS from untrusted text: parsed, then verified against the demo's roots; never a
//! panic, and "valid" only with a signature that verifies.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::jws::{self, Verifier};
use mrgate::crypto::x509::{Crls, TrustAnchors};

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    if jws::parse(token).is_err() {
        return;
    }
    let mut anchors = TrustAnchors::new();
    for root in
        [&include_bytes!("../../certs/demo/ca.pem")[..], include_bytes!("../../certs/demo/foreign/dakks/root.pem")]
    {
        anchors.add_pem_or_der(root).expect("anchor");
    }
    let verdict = Verifier::new(anchors, Crls::new()).verify(token, 1_780_272_000);
    if verdict.valid {
        assert!(verdict.signer_certificate.is_some());
    }
});
