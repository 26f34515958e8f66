//! What the decisions layer adds to a verification: the decision as the gateway makes it
//! (`decisions::verify::verify`: the context — time, trust list in force —, the caller's
//! check, the recognition, the log entry) against the recognition alone on the same
//! context, side by side in one run, on a credential the demo gateway exported. Recording
//! (the log's group commit) is `benches/load.sh`'s to measure. `cargo bench --bench
//! decisions -- verification`
//!
//! And the audit's speed against the gateway's own: deciding a log's verifications again
//! (`mrgate::audit`, reading entries, kept documents and rule versions from the store)
//! against deciding them in the first place, side by side, per entry, on a log of 2,000
//! verifications (half of the exported credential, half of bytes that are no
//! certificate). `cargo bench --bench decisions -- audit`. With `MRGATE_AUDIT_ENTRIES=N` it
//! also builds a log of N verifications and times one audit of it, printing entries per
//! second (the figure at 100,000); with `MRGATE_AUDIT_DATA=DIR` too, that log is
//! built in DIR and kept, for timing `mrgate log audit --url` against `mrgate serve --demo
//! --data-dir DIR`.
//!
//! With `MRGATE_AUDIT_LISTS=N` it builds a log of N exports into one status list, a
//! notice and the list's versions every 10, and times its audit side by side with each
//! version made from every slot (`Audit::lists_whole`, the audit before it made versions
//! again where the log changed them), three runs each, printing the medians and their ratio.
//!
//! And what a certificate's earlier exports cost a verification of one of them: the
//! exported credential verified just after its certificate was exported once more, with 1
//! and with 20,000 exports held, side by side (`cargo bench --bench decisions --
//! exports_held`; the two near one: the register is asked by digest, not read whole).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mrgate::audit::{Audit, StoreSource};
use mrgate::decisions::verify::{self, Audience};
use mrgate::decisions::{Caller, Role, export};
use mrgate::formats::Format;
use mrgate::server::App;
use mrgate::server::config::Config;
use std::hint::black_box;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

/// The demo exporter, as the server takes it from its token.
fn exporter(app: &App) -> Caller {
    let token = std::fs::read_to_string(format!("{DEMO}/exporter.token")).expect("token");
    let grant = app.authority.exporter_by_token(token.trim()).expect("granted");
    // Logged as the server logs a granted exporter: under its grant's name.
    let actor = format!("exporter:{}", grant.name);
    Caller { role: Role::Anonymous, actor, exporter: Some(grant) }
}

/// A demo gateway in `dir`, and a credential it exported (a UNTP JWS).
fn exporting_gateway(dir: &std::path::Path) -> (App, String) {
    let app = App::load(Config::demo(std::path::Path::new(DEMO), dir)).expect("app");
    let exporter = exporter(&app);
    let document = exportable();
    let request = export::Request { document: document.as_bytes(), formats: &[Format::UntpDcc] };
    let exported = app.recorder.record(export::export(&app.context(), &exporter, request)).expect("exported");
    let credential = exported.answer["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    (app, credential)
}

/// The fixture certificate (number `04925Q10021R0M`) as the demo exporter may export it.
fn exportable() -> String {
    let document = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-qms.xml")).expect("fixture");
    // Issued by CNCA-R-2002-001 (the grant's CB), named as the demo list holds it.
    String::from_utf8(document)
        .expect("utf8")
        .replace("CNCA-R-2017-049", "CNCA-R-2002-001")
        .replace("<Name>示例认证有限公司</Name>", "<Name>中国质量认证中心</Name>")
        .replace(
            "<NameEn>Example Certification Co., Ltd.</NameEn>",
            "<NameEn>China Quality Certification Centre</NameEn>",
        )
}

fn customs() -> Caller {
    Caller { role: Role::Customs, actor: "customs:bench".into(), exporter: None }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, credential) = exporting_gateway(dir.path());
    let customs = customs();

    let mut g = c.benchmark_group("verification");
    g.bench_function("recognition_alone", |b| {
        let ctx = app.context();
        b.iter(|| assert!(ctx.recognition(black_box(credential.as_bytes()), true).expect("the register reads").valid))
    });
    g.bench_function("decision_with_context_and_entry", |b| {
        b.iter(|| {
            let decided = verify::verify(&app.context(), &customs, Audience::Api, black_box(credential.as_bytes()));
            assert!(decided.expect("decided").answer.valid)
        })
    });
    g.finish();
}

/// A gateway whose log holds `n` verifications after its first entries, and the credential.
fn log_of(dir: &std::path::Path, n: usize) -> (App, String) {
    let (app, credential) = exporting_gateway(dir);
    let customs = customs();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let queued: Vec<_> = chunk
            .iter()
            .map(|i| {
                let doc = if i % 2 == 0 {
                    credential.clone().into_bytes()
                } else {
                    format!("no certificate {i}").into_bytes()
                };
                let decided = verify::verify(&app.context(), &customs, Audience::Api, &doc).expect("decided");
                app.recorder.queue(decided.entry, decided.effects).expect("queued")
            })
            .collect();
        runtime.block_on(async {
            for q in queued {
                q.receipt().await.expect("recorded");
            }
        });
    }
    (app, credential)
}

/// A gateway whose log holds `n` exports of as many certificates, each taking a slot of
/// status list 1, and after every `every` of them a notice suspending the last (its CB's,
/// relayed by an operator) and both of the list's versions published: a list growing to
/// `n` slots, with `n / every` versions of its suspension list and one of its revocation
/// list (which no suspension changes: published again, it is the current one, not logged).
fn lists_log(dir: &std::path::Path, n: usize, every: usize) -> App {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let app = App::load(Config::demo(std::path::Path::new(DEMO), dir)).expect("app");
    let (exporter, document) = (exporter(&app), exportable());
    let operator = Caller { role: Role::Operator, actor: "operator:bench".into(), exporter: None };
    let key = mrgate::crypto::keys::SigningKey::from_pkcs8(
        &std::fs::read(format!("{DEMO}/cb/CNCA-R-2002-001.key")).expect("key"),
    )
    .expect("key");
    let chain =
        mrgate::crypto::x509::read_certificates(&std::fs::read(format!("{DEMO}/cb/CNCA-R-2002-001.pem")).expect("pem"))
            .expect("chain");
    let header = serde_json::json!({"alg": "ES256", "typ": "notice+jwt", "x5c": [STANDARD.encode(chain[0].as_ref())]});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let lists = mrgate::decisions::status_list::Lists::default();
    let now = time::OffsetDateTime::now_utc();
    for i in 0..n {
        let number = format!("B{i:07}Q10021R0M");
        let numbered = document.replace("04925Q10021R0M", &number);
        let request = export::Request { document: numbered.as_bytes(), formats: &[Format::UntpDcc] };
        app.recorder.record(export::export(&app.context(), &exporter, request)).expect("exported");
        if (i + 1) % every != 0 {
            continue;
        }
        let payload = serde_json::json!({"issuer": "CNCA-R-2002-001", "number": number, "action": "suspend",
            "iat": now.unix_timestamp() - 60, "jti": format!("bench-{i}"), "date": now.date().to_string()});
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload.to_string()));
        let signature = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).expect("sign"));
        let notice = format!("{input}.{signature}");
        app.recorder.record(mrgate::decisions::notice::notice(&app.context(), &operator, &notice)).expect("applied");
        for purpose in [mrgate::status_list::Purpose::Revocation, mrgate::status_list::Purpose::Suspension] {
            let ctx = app.context();
            let read = mrgate::decisions::status_list::version(&ctx, 1, purpose, &lists).expect("read");
            match app.recorder.record(mrgate::decisions::status_list::publish(&ctx, read)) {
                Ok(_) => {}
                // The revocation list, unchanged by a suspension: its version is the last one.
                Err(refused) if refused.refusal.reason == "publication.current" => {}
                Err(refused) => panic!("published: {}", refused.refusal),
            }
        }
    }
    app
}

fn audit_of(app: &App) -> mrgate::audit::Report {
    audit_lists_whole(app, false)
}

/// [`audit_of`], each status list's version made from every slot (`lists_whole`) or not.
fn audit_lists_whole(app: &App, lists_whole: bool) -> mrgate::audit::Report {
    let crls = mrgate::server::configured_crls(&app.config).expect("crls");
    let policy = mrgate::server::install_policy(&app.config, &crls).expect("policy");
    let audit = Audit {
        policy: &policy,
        crls: &crls,
        gateway: vec![app.signing_chain.clone()],
        public_bases: vec![app.public_base()],
        limits: app.limits,
        checkpoints: vec![],
        format_1_until: 0,
        lists_whole,
    };
    audit.run(&StoreSource(app.store.as_ref())).expect("audit")
}

fn bench_audit(c: &mut Criterion) {
    const N: usize = 2_000;
    let dir = tempfile::tempdir().expect("tmp");
    let (app, credential) = log_of(dir.path(), N);
    let customs = customs();
    let entries = app.log.size().expect("size");

    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    g.throughput(Throughput::Elements(entries));
    g.bench_function("decide_again_every_entry", |b| {
        b.iter(|| {
            let report = audit_of(&app);
            assert_eq!((report.entries, report.disagreements.len()), (entries, 0));
        })
    });
    g.bench_function("decide_in_the_first_place", |b| {
        b.iter(|| {
            for i in 0..entries {
                let doc = if i % 2 == 0 {
                    credential.as_bytes().to_vec()
                } else {
                    format!("no certificate {i}").into_bytes()
                };
                black_box(verify::verify(&app.context(), &customs, Audience::Api, &doc).expect("decided"));
            }
        })
    });
    g.finish();

    if let Some(n) = std::env::var("MRGATE_AUDIT_LISTS").ok().and_then(|v| v.parse::<usize>().ok()) {
        let dir = tempfile::tempdir().expect("tmp");
        let built = std::time::Instant::now();
        let app = lists_log(dir.path(), n, 10);
        let built = built.elapsed();
        let timed = |whole: bool| {
            let started = std::time::Instant::now();
            let report = audit_lists_whole(&app, whole);
            assert_eq!(report.disagreements, []);
            (started.elapsed().as_secs_f64(), report.entries)
        };
        // Side by side, alternately, three times each: the medians.
        let mut runs = (Vec::new(), Vec::new());
        let mut entries = 0;
        for _ in 0..3 {
            let (changed, e) = timed(false);
            runs.0.push(changed);
            runs.1.push(timed(true).0);
            entries = e;
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (changed, whole) = (median(&mut runs.0), median(&mut runs.1));
        println!(
            "audit of {entries} entries, {n} exports in one status list, a notice and its versions every 10 (built in \
             {:.1} s): {changed:.2} s made again where changed, {whole:.2} s made whole ({:.2}x)",
            built.as_secs_f64(),
            whole / changed
        );
    }
    if let Some(n) = std::env::var("MRGATE_AUDIT_ENTRIES").ok().and_then(|v| v.parse::<usize>().ok()) {
        let dir = tempfile::tempdir().expect("tmp");
        let kept = std::env::var_os("MRGATE_AUDIT_DATA").map(std::path::PathBuf::from);
        let built = std::time::Instant::now();
        let (app, _) = log_of(kept.as_deref().unwrap_or(dir.path()), n);
        let built = built.elapsed();
        let started = std::time::Instant::now();
        let report = audit_of(&app);
        let took = started.elapsed();
        println!(
            "audit of {} entries (built in {:.1} s): {:.2} s, {:.0} entries/s; re-derived {}, disagreements {}",
            report.entries,
            built.as_secs_f64(),
            took.as_secs_f64(),
            report.entries as f64 / took.as_secs_f64(),
            report.re_derived,
            report.disagreements.len()
        );
    }
}

/// See the module's doc: a verification of an exported credential, each just after another
/// export of its certificate, with `held` exports held before.
fn bench_exports_held(c: &mut Criterion) {
    let mut g = c.benchmark_group("exports_held");
    for held in [1u64, 20_000] {
        let dir = tempfile::tempdir().expect("tmp");
        let (app, credential) = exporting_gateway(dir.path());
        let exported = app.store.exported_documents().expect("read");
        let (issuer, number) = exported.first().map(|d| (d.issuer.clone(), d.number.clone())).expect("an export");
        let record = |digests: Vec<String>| {
            let effect =
                mrgate::store::Effect::RecordExported { issuer: issuer.clone(), number: number.clone(), digests };
            app.store.write(effect).expect("recorded");
        };
        // Digests of documents never presented, as other exports of the certificate made.
        record((1..held).map(|i| format!("{i:064x}")).collect());
        let ctx = app.context();
        let mut next = held;
        g.bench_function(held.to_string(), |b| {
            b.iter(|| {
                next += 1;
                record(vec![format!("{next:064x}")]);
                assert!(ctx.recognition(black_box(credential.as_bytes()), true).expect("the register reads").valid)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_audit, bench_exports_held);
criterion_main!(benches);
