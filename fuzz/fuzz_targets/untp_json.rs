//! UNTP Digital Conformity Credentials (JSON) from untrusted bytes: an error with a reason
//! and a JSON path, or a certificate that renders without panicking. The translation's
//! reader (`formats::read`, which also compares the document with what is written back)
//! agrees with the verification's on what is refused and what is read.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let parsed = formats::parse(Format::UntpDcc, data, &Limits::default());
    let read = formats::read(Format::UntpDcc, data, &Limits::default());
    match (parsed, read) {
        (Err(e), Err(again)) => {
            assert!(!e.code().is_empty());
            assert_eq!(e, again);
        }
        (Ok(cert), Ok((same, _))) => {
            assert_eq!(cert, same);
            for f in Format::ALL {
                let _ = formats::render(f, &cert);
            }
        }
        (parsed, read) => panic!("the readers disagree: {parsed:?} / {read:?}"),
    }
});
