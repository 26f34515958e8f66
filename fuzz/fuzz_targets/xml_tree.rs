//! The bounded XML reader: any bytes give a tree or an error with a position; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::xml::{Limits, parse_document};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_elements: 10_000, max_attributes: 20_000, ..Limits::default() };
    if let Err(e) = parse_document(data, &limits) {
        assert!(e.code().starts_with("xml."));
    }
});
