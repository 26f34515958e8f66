//! What the decisions layer adds to a verification: the decision as the gateway makes it
//! (`decisions::verify::verify`: the context — time, trust list in force —, the caller's
//! check, the recognition, the log entry) against the recognition alone on the same
//! context, side by side in one run, on a credential the demo gateway exported. Recording
//! (the log's group commit) is `benches/load.sh`'s to measure. `cargo bench --bench decisions`

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::decisions::verify::{self, Audience};
use mrgate::decisions::{Caller, Role, export};
use mrgate::formats::Format;
use mrgate::server::App;
use mrgate::server::config::Config;
use std::hint::black_box;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let app = App::load(Config::demo(std::path::Path::new(DEMO), dir.path())).expect("app");
    let token = std::fs::read_to_string(format!("{DEMO}/exporter.token")).expect("token");
    let grant = app.authority.exporter_by_token(token.trim()).expect("granted");
    let exporter = Caller { role: Role::Anonymous, actor: "exporter:demo".into(), exporter: Some(grant) };
    let document = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-qms.xml")).expect("fixture");
    let document = String::from_utf8(document).expect("utf8").replace("CNCA-R-2017-049", "CNCA-R-2002-001");
    let request = export::Request { document: document.as_bytes(), formats: &[Format::UntpDcc] };
    let exported = app.recorder.record(export::export(&app.context(), &exporter, request)).expect("exported");
    let credential = exported.answer["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    let customs = Caller { role: Role::Customs, actor: "customs:bench".into(), exporter: None };

    let mut g = c.benchmark_group("verification");
    g.bench_function("recognition_alone", |b| {
        let ctx = app.context();
        b.iter(|| assert!(ctx.recognition(black_box(credential.as_bytes()), true).valid))
    });
    g.bench_function("decision_with_context_and_entry", |b| {
        b.iter(|| {
            let decided = verify::verify(&app.context(), &customs, Audience::Api, black_box(credential.as_bytes()));
            assert!(decided.expect("decided").answer.valid)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
