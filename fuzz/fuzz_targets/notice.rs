//! Status notice payloads (JSON) from untrusted bytes: a notice with every field in range, or
//! an error with a reason code. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::notice::Notice;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let now = time::OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("now");
    match Notice::read(&payload, now) {
        Err(e) => assert!(e.code().starts_with("notice.")),
        Ok(n) => {
            assert!(!n.jti.is_empty() && n.jti.len() <= mrgate::notice::MAX_JTI);
            let _ = n.check_issue_date(time::Date::MIN);
        }
    }
});
