//! What a status change costs the W3C Bitstring Status Lists: flipping one certificate's
//! bit and making the list's next version ready to serve — the register changed, the list's
//! slots read back from the store, its bits set, GZIP-compressed and base64url-encoded, the
//! credential written and signed (Ed25519, the demo signing key) — against the signature
//! alone, side by side in one run, on a list of 65,536 held slots (a list is filled to
//! half its 131,072 bits) with 1 % of them suspended. Logging the version (one log entry
//! with its document, the group commit `benches/load.sh` measures) is not in it.
//! `cargo bench --bench status_lists`
//!
//! It also prints the served sizes of a list (its encoded bits) at 0 %, 1 %, 10 % and 50 %
//! of its slots set.

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::crypto::keys::SigningKey;
use mrgate::status_list::{FILL, LENGTH, Purpose, Slot, Version, encode};
use mrgate::store::{CertificateRecord, Effect, StatusEvent, Store, Write};
use std::hint::black_box;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

/// A permutation of the list's indexes (an odd multiplier modulo a power of two): slots
/// spread over the list as random draws would be.
fn index(i: u32) -> u32 {
    i.wrapping_mul(40_503) & (LENGTH - 1)
}

fn event(status: &str) -> StatusEvent {
    StatusEvent {
        status: status.into(),
        since: "2026-12-03T00:00:00Z".into(),
        actor: "bench".into(),
        reference: "bench".into(),
    }
}

fn bench(c: &mut Criterion) {
    // Random indexes (xorshift), as slots are drawn.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut draw = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x as u32) & (LENGTH - 1)
    };
    for percent in [0u32, 1, 10, 50] {
        let mut set: Vec<u32> = (0..LENGTH * percent / 100).map(|_| draw()).collect();
        set.sort_unstable();
        set.dedup();
        println!("status list of {LENGTH} bits, {percent} % set: encodedList {} bytes", encode(&set, LENGTH).len());
    }
    let dir = tempfile::tempdir().expect("tmp");
    let store = mrgate::store::sqlite::SqliteStore::open(&dir.path().join("mrgate.db")).expect("store");
    let mut effects = Vec::new();
    for i in 0..FILL {
        let status = if i % 100 == 0 { "suspended" } else { "valid" };
        let number = format!("N-{i}");
        let record = CertificateRecord {
            issuer: "CNCA-R-2002-001".into(),
            number: number.clone(),
            holder_credit_code: None,
            origin: "export".into(),
            status: status.into(),
            document: b"<Certificate/>".to_vec(),
            recorded_at: "2026-12-03T00:00:00Z".into(),
            signer: None,
        };
        effects.push(Effect::PutCertificate { record, event: event(status) });
        let slot = Slot { list: 1, index: index(i) };
        effects.push(Effect::HoldStatusSlot { issuer: "CNCA-R-2002-001".into(), number, slot });
    }
    for outcome in store.commit(&[Write { entry: None, effects }]).expect("commit") {
        outcome.expect("written");
    }
    let key = SigningKey::from_pkcs8(&std::fs::read(format!("{DEMO}/signing.key")).expect("key")).expect("key");
    let (base, did) = ("https://gateway.example.cn", "did:web:gateway.example.cn");
    let now = time::OffsetDateTime::now_utc();
    let payload = |version: &Version| serde_json::to_vec(&version.credential(base, did, now, 300)).expect("json");
    let sample = Version::of(1, Purpose::Suspension, &store.status_list(1).expect("list")).expect("statuses");
    assert_eq!(sample.set.len(), 656);
    let sample_payload = payload(&sample);

    let mut g = c.benchmark_group("status_list");
    let mut suspended = false;
    g.bench_function("flip_and_republish", |b| {
        b.iter(|| {
            // N-1 is valid to begin with: suspended, then restored, then suspended again…
            suspended = !suspended;
            let status = if suspended { "suspended" } else { "valid" };
            let flip =
                Effect::SetStatus { issuer: "CNCA-R-2002-001".into(), number: "N-1".into(), event: event(status) };
            store.write(flip).expect("flip");
            let version = Version::of(1, Purpose::Suspension, &store.status_list(1).expect("list")).expect("statuses");
            assert_eq!(version.set.len(), 656 + usize::from(suspended));
            mrgate::crypto::jws::sign(&payload(&version), &key, &[], Some("did:web:gateway.example.cn#k"), true)
                .expect("sign")
        })
    });
    g.bench_function("signature_alone", |b| {
        b.iter(|| {
            mrgate::crypto::jws::sign(black_box(&sample_payload), &key, &[], Some("did:web:gateway.example.cn#k"), true)
                .expect("sign")
        })
    });
    g.bench_function("bits_encoded", |b| b.iter(|| encode(black_box(&sample.set), LENGTH)));
    g.bench_function("slots_read", |b| b.iter(|| store.status_list(1).expect("list").len()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
