//! ISO 13528 statistics at scale: Algorithm A over 10⁶ results; a 1,000-participant report.
//! `cargo bench --bench pt`

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::pt::stats::{self, Method, Options, ParticipantResult, Stop};
use std::hint::black_box;

/// Deterministic pseudo-normal data with a few outliers (no RNG dependency).
fn data(n: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let s: f64 = (0..6).map(|_| next()).sum::<f64>() - 3.0;
            if i % 97 == 0 { 100.0 + s * 10.0 } else { 50.0 + s }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("pt");
    g.sample_size(10);
    let million = data(1_000_000);
    g.bench_function("algorithm_a_1e6", |b| {
        b.iter(|| stats::algorithm_a(black_box(&million), Stop::Converge).expect("a"))
    });
    let thousand: Vec<ParticipantResult> = data(1000)
        .into_iter()
        .enumerate()
        .map(|(i, v)| ParticipantResult {
            participant: format!("P{i:04}"),
            result: v,
            u: Some(0.5),
            expanded: Some(1.0),
        })
        .collect();
    let options = Options { method: Method::AlgorithmA, stop: Stop::Converge, sigma_pt: Some(1.0) };
    g.bench_function("report_1000_participants", |b| {
        b.iter(|| stats::evaluate(black_box(&thousand), &options).expect("r"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
