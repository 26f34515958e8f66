//! XML-signature verification of any bytes against fixed anchors (the demo's domestic root):
//! an error or a verified document; never a panic, never "valid" without a signature.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::x509::TrustAnchors;
use mrgate::crypto::xmldsig::{self, KeySource, Options, Profile};
use mrgate::xml::Limits;
use std::sync::LazyLock;

static ANCHORS: LazyLock<TrustAnchors> = LazyLock::new(|| {
    let mut a = TrustAnchors::new();
    a.add_pem_or_der(include_bytes!("../../certs/demo/ca.pem")).expect("anchor");
    a
});

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    for key in [KeySource::Trusted { anchors: &ANCHORS, crls: None, at: 1_780_272_000 }, KeySource::InsecureEmbedded] {
        let options = Options { key, allow_sha1: false, profile: Profile::Enveloped };
        if let Ok(v) = xmldsig::verify(data, &limits, &options) {
            assert!(String::from_utf8_lossy(data).contains(xmldsig::DSIG_NS), "verified without a signature");
            assert!(v.signer_certificate.is_some() || matches!(key, KeySource::InsecureEmbedded));
        }
    }
});
