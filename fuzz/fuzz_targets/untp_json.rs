//! UNTP Digital Conformity Credentials (JSON) from untrusted bytes: an error with a reason
//! and a JSON path, or a certificate that renders without panicking. The readers agree:
//! what a verification reads (this gateway's profile only) a translation reads the same,
//! and what a translation refuses a verification refuses; `validate`'s reader (every
//! error) reads as the translation's, its first error the translation's; a credential whose
//! status is in status lists is never translated.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::formats::{self, Format};
use mrgate::xml::Limits;

fuzz_target!(|data: &[u8]| {
    let parsed = formats::parse(Format::UntpDcc, data, &Limits::default());
    let read = formats::read(Format::UntpDcc, data, &Limits::default());
    let all = formats::parse_all(Format::UntpDcc, data, &Limits::default());
    match (&parsed, &read) {
        (Ok(cert), Ok((same, _))) => assert_eq!(cert, same),
        (Ok(_), Err(e)) => panic!("verified but not translated: {e:?}"),
        (Err(e), _) => assert!(!e.code().is_empty()),
    }
    // A translation refuses what the reader refuses, and a credential whose status is in
    // status lists (never a guessed "valid"); what else reads, it renders.
    let translated = formats::translate(Format::UntpDcc, Format::CnXml, data, &Limits::default());
    let in_lists = formats::untp_dcc::status_in_lists(data, &Limits::default());
    match (&read, translated) {
        (Ok(_), Ok(_)) => assert!(!in_lists, "translated a credential whose status is in lists"),
        (Ok(_), Err(e)) => assert!(in_lists && e.code() == "translate.status_unknown", "{e:?}"),
        (Err(e), Err(same)) => assert_eq!(e, &same),
        (Err(e), Ok(_)) => panic!("translated what the reader refuses: {e:?}"),
    }
    match (read, all) {
        (Ok((cert, _)), Ok(same)) => {
            assert_eq!(cert, same);
            for f in Format::ALL {
                let _ = formats::render(f, &cert);
            }
        }
        (Err(e), Err(errors)) => assert_eq!(errors.into_iter().next(), Some(e)),
        (read, all) => panic!("translation and validate disagree: {read:?} / {all:?}"),
    }
});
