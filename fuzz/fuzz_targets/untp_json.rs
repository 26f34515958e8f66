//! UNTP Digital Conformity Credentials (JSON) from untrusted bytes: an error with a reason
//! and a JSON path, or a certificate that renders without panicking. The translation's
//! reader (`formats::read`, which also compares the document with what is written back)
//! agrees with the verification's on what is refused and what is read, and so does
//! `validate`'s (every error, the first of them the verification's).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let parsed = formats::parse(Format::UntpDcc, data, &Limits::default());
    let read = formats::read(Format::UntpDcc, data, &Limits::default());
    let all = formats::parse_all(Format::UntpDcc, data, &Limits::default());
    match (parsed, read) {
        (Err(e), Err(again)) => {
            assert!(!e.code().is_empty());
            assert_eq!(e, again);
            assert_eq!(all.err().and_then(|errors| errors.into_iter().next()), Some(e));
        }
        (Ok(cert), Ok((same, _))) => {
            assert_eq!(cert, same);
            assert_eq!(all.ok().as_ref(), Some(&cert));
            for f in Format::ALL {
                let _ = formats::render(f, &cert);
            }
        }
        (parsed, read) => panic!("the readers disagree: {parsed:?} / {read:?}"),
    }
});
