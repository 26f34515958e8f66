//! Canonicalization of any document the reader accepts, by every method: never a panic, and
//! canonical output is well-formed XML that canonicalizes to itself (c14n is idempotent).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::xml::c14n::{self, Method};
use mrgate::xml::{Limits, parse_document};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_elements: 10_000, ..Limits::default() };
    let Ok(doc) = parse_document(data, &limits) else { return };
    for (exclusive, with_comments) in [(false, false), (false, true), (true, false), (true, true)] {
        let method = Method { exclusive, with_comments, inclusive_prefixes: Vec::new() };
        let once = c14n::document(&doc, &method, None);
        let reread = parse_document(&once, &limits).expect("canonical XML is well-formed");
        let twice = c14n::document(&reread, &method, None);
        assert_eq!(once, twice, "canonicalization is not idempotent");
    }
});
