//! ISO 13528 statistics at scale: Algorithm A over 10⁶ results; a 1,000-participant report;
//! closing a 1,000-participant exchange round (evaluate, write the XML report, sign it).
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
    let round = mrgate::pt::exchange::Round {
        id: "BENCH-1".into(),
        scheme: "bench".into(),
        provider: "dakks".into(),
        partners: vec!["dakks".into()],
        participants: vec![],
        deadline: time::OffsetDateTime::UNIX_EPOCH,
        items: vec![],
        measurands: vec![mrgate::pt::exchange::Measurand {
            id: "Pb".into(),
            name: "Lead".into(),
            unit: "mg/kg".into(),
            item: None,
            assigned: mrgate::pt::exchange::Assigned::AlgorithmA { stop: Stop::Converge },
            sigma_pt: None,
            homogeneity: vec![],
        }],
    };
    let inputs: Vec<mrgate::pt::exchange::Input> = thousand
        .iter()
        .map(|r| mrgate::pt::exchange::Input {
            submitter: "dakks".into(),
            result: mrgate::pt::exchange::SubmittedResult {
                participant: r.participant.clone(),
                measurand: "Pb".into(),
                value: r.result,
                u: r.u,
                expanded: r.expanded,
                k: Some(2.0),
                method: None,
            },
        })
        .collect();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");
    let key = mrgate::crypto::keys::SigningKey::from_pkcs8(&std::fs::read(format!("{demo}/signing.key")).expect("key"))
        .expect("pkcs8");
    let chain = mrgate::crypto::x509::read_certificates(&std::fs::read(format!("{demo}/signing.pem")).expect("pem"))
        .expect("chain");
    g.bench_function("close_round_1000_participants_signed_xml", |b| {
        b.iter(|| {
            let report = mrgate::pt::exchange::evaluate_round(
                &round,
                "00",
                vec![],
                black_box(&inputs),
                time::OffsetDateTime::UNIX_EPOCH,
            );
            mrgate::crypto::xmldsig::sign(&mrgate::pt::exchange::write_report(&report), &key, &chain).expect("sign")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
