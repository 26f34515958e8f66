//! IAF CertSearch records, XML and JSON, from untrusted bytes (the first byte picks which):
//! an error with a reason, or a certificate that renders without panicking. `validate`'s
//! reader (every error) agrees with the verification's (the first): same certificate, or
//! its first error is the one the verification stops at.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = if pick % 2 == 0 { Format::IafXml } else { Format::IafJson };
    let all = formats::parse_all(format, rest, &Limits::default());
    match formats::parse(format, rest, &Limits::default()) {
        Err(e) => {
            assert!(!e.code().is_empty());
            assert_eq!(all.err().and_then(|errors| errors.into_iter().next()), Some(e));
        }
        Ok(cert) => {
            assert_eq!(all.ok().as_ref(), Some(&cert));
            let _ = formats::render(Format::CnXml, &cert);
            let _ = formats::render(format, &cert);
        }
    }
});
