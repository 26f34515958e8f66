//! CN certificate XML from untrusted bytes, in any encoding its declaration names (UTF-8,
//! GB18030/GBK): an error with a reason code, or a certificate that renders and reads back
//! to itself. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    match formats::parse(Format::CnXml, data, &limits) {
        Err(e) => assert!(!e.code().is_empty()),
        Ok(cert) => {
            let rendered = formats::render(Format::CnXml, &cert);
            let again = formats::parse(Format::CnXml, &rendered.bytes, &limits).expect("what we render reads back");
            assert_eq!(again, cert, "a certificate changed on its way through CN XML");
        }
    }
});
