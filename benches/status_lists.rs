//! What a status change costs the W3C Bitstring Status Lists: flipping one certificate's
//! bit and making the list's next version ready to serve — the register changed, the list's
//! slots read back from the store, each valid certificate held to the rules in force (the
//! look-up's rule, its facts as last read), its bits set, GZIP-compressed and
//! base64url-encoded, the credential written and signed (Ed25519, the demo signing key) —
//! against the signature alone, side by side in one run, on a demo gateway's list of 65,536
//! held slots (a list is filled to half its 131,072 bits) with 1 % of them suspended.
//! Logging the version (one log entry with its document, the group commit
//! `benches/load.sh` measures) is not in it. A node keeps each list's slots between reads
//! and reads again only those changed since (`version_made_again`: none changed);
//! `first_read` is the same list made by a node that knows none yet (every slot read, each
//! document read and parsed), `slots_read_whole` the store's read of them all.
//! `cargo bench --bench status_lists`
//!
//! It also prints the served sizes of a list (its encoded bits) at 0 %, 1 %, 10 % and 50 %
//! of its slots set.

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::crypto::keys::SigningKey;
use mrgate::decisions::status_list::{Lists, version};
use mrgate::server::App;
use mrgate::server::config::Config;
use mrgate::status_list::{FILL, LENGTH, Purpose, Slot, Version, encode};
use mrgate::store::{CertificateRecord, Effect, StatusEvent, Write};
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
    let app = App::load(Config::demo(std::path::Path::new(DEMO), dir.path())).expect("app");
    let store = app.store.as_ref();
    // Issued by the demo list's CB, named as the list holds it: in force under its rules.
    let document = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-qms.xml"))
        .expect("fixture")
        .replace("CNCA-R-2017-049", "CNCA-R-2002-001")
        .replace("<Name>示例认证有限公司</Name>", "<Name>中国质量认证中心</Name>")
        .replace(
            "<NameEn>Example Certification Co., Ltd.</NameEn>",
            "<NameEn>China Quality Certification Centre</NameEn>",
        );
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
            document: document.as_bytes().to_vec(),
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
    let lists = Lists::default();
    let made = |lists: &Lists| version(&app.context(), 1, Purpose::Suspension, lists).expect("version").version;
    let sample = made(&lists);
    // None withheld: 1 % suspended.
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
            let version = made(&lists);
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
    g.bench_function("slots_read_whole", |b| b.iter(|| store.status_list(1, None).expect("list").0.len()));
    g.bench_function("version_made_again", |b| b.iter(|| made(&lists).set.len()));
    g.finish();
    let mut g = c.benchmark_group("status_list_cold");
    g.sample_size(10);
    g.bench_function("first_read", |b| b.iter(|| made(&Lists::default()).set.len()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
