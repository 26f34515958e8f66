//! IAF CertSearch records, XML and JSON, from untrusted bytes (the first byte picks which):
//! an error with a reason, or a certificate that renders without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = if pick % 2 == 0 { Format::IafXml } else { Format::IafJson };
    match formats::parse(format, rest, &Limits::default()) {
        Err(e) => assert!(!e.code().is_empty()),
        Ok(cert) => {
            let _ = formats::render(Format::CnXml, &cert);
            let _ = formats::render(format, &cert);
        }
    }
});
