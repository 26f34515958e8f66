//! UNTP Digital Conformity Credentials (JSON) from untrusted bytes: an error with a reason
//! and a JSON path, or a certificate that renders without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    match formats::parse(Format::UntpDcc, data, &Limits::default()) {
        Err(e) => assert!(!e.code().is_empty()),
        Ok(cert) => {
            for f in Format::ALL {
                let _ = formats::render(f, &cert);
            }
        }
    }
});
