//! What the log hands out and clients read back: signed checkpoints (signed notes), log
//! entries, receipts (JSON), consistency proofs, witnesses' verifier keys and cosignatures. Never a panic, never "verified" under the
//! wrong key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::ledger::{checkpoint::Checkpoint, entry::Entry, receipt};

const KEY: [u8; 32] = [7; 32];

fuzz_target!(|data: &[u8]| {
    // An entry read is its one canonical form: written again, the same bytes.
    if let Ok(entry) = Entry::decode(data) {
        assert_eq!(entry.encode().ok().as_deref(), Some(data));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    assert!(Checkpoint::verify(text, &KEY).is_err() || text.contains('\u{2014}'));
    // A witness's verifier key reads back as written; a cosignature never verifies under a
    // key that signed nothing here.
    if let Ok(w) = mrgate::ledger::cosignature::Witness::from_verifier_key(text) {
        assert_eq!(w.verifier_key(), text.trim());
    }
    let witness = mrgate::ledger::cosignature::Witness { name: "w.example/w".into(), public_key: KEY };
    assert_eq!(witness.cosigned(text), None);
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
