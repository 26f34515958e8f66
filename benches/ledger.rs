//! Transparency-log hot paths: appends to the in-memory tree, and inclusion proofs in a
//! 10⁶-entry log. (Durable, batched appends arrive with the store.)
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
