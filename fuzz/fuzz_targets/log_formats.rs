//! What the log hands out and clients read back: signed checkpoints (signed notes), log
//! entries, receipts (JSON) and consistency proofs. Never a panic, never "verified" under the
//! wrong key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::ledger::{checkpoint::Checkpoint, entry::Entry, receipt};

const KEY: [u8; 32] = [7; 32];

fuzz_target!(|data: &[u8]| {
    let _ = Entry::decode(data);
    let Ok(text) = std::str::from_utf8(data) else { return };
    assert!(Checkpoint::verify(text, &KEY).is_err() || text.contains('\u{2014}'));
    if let Ok(r) = serde_json::from_slice::<receipt::Receipt>(data) {
        let _ = receipt::verify(&r, &KEY, Some(data));
    }
    if let Some((old, rest)) = text.split_once("\n\n\n")
        && let Some((new, proof)) = rest.split_once("\n\n\n")
        && let Ok(p) = serde_json::from_str(proof)
    {
        let _ = receipt::verify_consistency(old, new, &p, &KEY);
    }
});
