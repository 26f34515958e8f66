//! The trust list: any bytes are refused with a reason or read (checked against the demo
//! operator's anchor, and with only the key in KeyInfo); a list read reports its dates
//! without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::crypto::x509::TrustAnchors;
use mrgate::trust::TrustList;
use mrgate::xml::Limits;
use std::sync::LazyLock;

static OPERATOR: LazyLock<TrustAnchors> = LazyLock::new(|| {
    let mut a = TrustAnchors::new();
    a.add_pem_or_der(include_bytes!("../../certs/demo/ca.pem")).expect("anchor");
    a
});

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    for list in
        [TrustList::load(data, &OPERATOR, None, 1_780_272_000, &limits), TrustList::load_insecure(data, &limits)]
    {
        match list {
            Err(e) => assert!(!e.code().is_empty()),
            Ok(l) => {
                let _ = l.in_date(time_now());
                let _ = l.installable_at(time_now());
                for p in &l.providers {
                    if let Some(b) = &p.body {
                        let _ = l.anchors_for_cb(&b.id, time_now());
                    }
                }
            }
        }
    }
});

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_780_272_000).expect("time")
}
