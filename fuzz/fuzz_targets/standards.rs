//! The standards notation (`GB/T 19001-2016/ISO 9001:2015`) from untrusted text, and the
//! equivalence table's answer for whatever parses. Never a panic (a byte slice through a
//! multi-byte character was one).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::standards::{StandardRef, Table};
use std::sync::LazyLock;

static TABLE: LazyLock<Table> = LazyLock::new(Table::embedded);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = StandardRef::parse(text) {
        let _ = TABLE.equivalence(&r);
        let shown = r.to_string();
        assert_eq!(StandardRef::parse(&shown).as_ref(), Ok(&r), "'{text}' shows as '{shown}', which reads otherwise");
    }
});
