//! Transparency-log hot paths: appends to the in-memory tree, inclusion proofs in a
//! 10⁶-entry log, durable batched appends, and receipts from a reopened durable log (a recent
//! entry's from memory, an old one's by reading its tile back from the store).
//! `cargo bench --bench ledger`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mrgate::ledger::merkle::{self, Tree};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger");
    let mut tree = Tree::new();
    for i in 0..1_000_000u64 {
        tree.push(merkle::leaf_hash(&i.to_be_bytes()));
    }
    let size = tree.size();
    let root = tree.root(size).expect("root");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("inclusion_proof_1e6", |b| {
        b.iter(|| {
            i = (i + 7919) % size;
            black_box(tree.inclusion_proof(i, size).expect("proof"))
        })
    });
    let proof = tree.inclusion_proof(123_456, size).expect("proof");
    let leaf = tree.leaf(123_456).expect("leaf");
    g.bench_function("verify_inclusion_1e6", |b| {
        b.iter(|| merkle::verify_inclusion(123_456, size, black_box(&leaf), &proof, &root).expect("ok"))
    });
    let mut small = Tree::new();
    let mut n = 0u64;
    g.bench_function("append_leaf", |b| {
        b.iter(|| {
            n += 1;
            small.append(black_box(&n.to_be_bytes()))
        })
    });
    g.finish();

    // Durable appends: 16 threads appending to an SQLite store (WAL, synchronous=FULL);
    // group commit turns concurrent appends into one transaction each.
    let mut g = c.benchmark_group("ledger_durable");
    g.sample_size(10);
    g.throughput(Throughput::Elements(16 * 250));
    g.bench_function("durable_append_16_threads", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tmp");
                let store: std::sync::Arc<dyn mrgate::store::Store> = std::sync::Arc::new(
                    mrgate::store::sqlite::SqliteStore::open(&dir.path().join("b.db")).expect("store"),
                );
                let key = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).expect("key");
                let log =
                    std::sync::Arc::new(mrgate::ledger::durable::DurableLog::open("bench", key, store).expect("log"));
                let start = std::time::Instant::now();
                append_from_16_threads(&log, 250);
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();

    // Receipts after a restart: the tree is rebuilt from its tile roots, so an old entry's
    // receipt reads its tile (256 entries) from the store and re-hashes it, unless the tile
    // is among those kept since; a recent one's comes from memory. 16 × 1,090 entries: 68
    // complete tiles, more than are kept, and 32 recent entries.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("b.db");
    let seed = [9u8; 32];
    let open = || {
        let store: std::sync::Arc<dyn mrgate::store::Store> =
            std::sync::Arc::new(mrgate::store::sqlite::SqliteStore::open(&path).expect("store"));
        let key = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).expect("key");
        mrgate::ledger::durable::DurableLog::open("bench", key, store).expect("log")
    };
    {
        append_from_16_threads(&std::sync::Arc::new(open()), 1_090);
    }
    let log = open();
    let mut g = c.benchmark_group("ledger_receipt");
    g.bench_function("receipt_recent_entry", |b| b.iter(|| black_box(log.receipt(17_439).expect("receipt"))));
    g.bench_function("receipt_old_entry_kept_tile", |b| b.iter(|| black_box(log.receipt(10).expect("receipt"))));
    // One entry from each of 67 tiles in turn: each was the one used longest ago.
    let mut tile = 0;
    g.bench_function("receipt_old_entry_tile_from_store", |b| {
        b.iter(|| {
            tile = (tile + 1) % 67;
            black_box(log.receipt(tile * mrgate::ledger::merkle::TILE + 10).expect("receipt"))
        })
    });
    g.finish();
}

/// Appends `per_thread` distinct entries from each of 16 threads; returns once all are
/// committed.
fn append_from_16_threads(log: &std::sync::Arc<mrgate::ledger::durable::DurableLog>, per_thread: usize) {
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let log = std::sync::Arc::clone(log);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    log.append(&bench_entry(&format!("{t}/{i}"))).expect("append");
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().expect("join"));
}

/// A decision entry naming the input `document`.
fn bench_entry(document: &str) -> mrgate::ledger::entry::Entry {
    mrgate::ledger::entry::Entry {
        kind: "export".into(),
        time: "2026-11-26T00:00:00Z".into(),
        actor: "bench".into(),
        inputs: vec![mrgate::ledger::entry::document_digest(document.as_bytes())],
        outputs: vec![],
        rules: Default::default(),
        verdict: "valid".into(),
        reasons: vec![],
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
