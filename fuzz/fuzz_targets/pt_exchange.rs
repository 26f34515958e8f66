//! PT exchange documents (round definitions, results submissions) from untrusted XML: an
//! error saying where, or a document that writes out and reads back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::pt::exchange;
use mrgate::xml::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    let Ok(root) = parse(data, &limits) else { return };
    if let Ok(round) = exchange::read_round(&root) {
        let text = exchange::write_round(&round);
        let again = exchange::read_round(&parse(text.as_bytes(), &limits).expect("well-formed")).expect("reads back");
        assert_eq!(again, round);
    }
    if let Ok(sub) = exchange::read_submission(&root) {
        let text = exchange::write_submission(&sub);
        let again =
            exchange::read_submission(&parse(text.as_bytes(), &limits).expect("well-formed")).expect("reads back");
        assert_eq!(again, sub);
    }
});
