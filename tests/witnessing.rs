//! The gateway and its witnesses (c2sp.org/tlog-witness), over real HTTPS: what it publishes
//! is what `required` witnesses cosigned; a receipt read back carries their cosignatures,
//! which `mrgate log verify-receipt` counts against the witnesses a checker relies on (and
//! Python's `cryptography` and Go's `sumdb/note` check independently); and a gateway showing
//! a second history is refused by the witness, which keeps the evidence, while a client
//! holding a checkpoint of the first history finds the second inconsistent with it and is
//! told so with both checkpoints.

mod common;

use common::gateway::{DEMO, Response, call, config, domestic_certificate, token};
use mrgate::ledger::cosignature::Witness;
use mrgate::server::config::{WitnessConfig, Witnessing};
use mrgate::server::{App, start};
use mrgate::witness::config::{Config as WitnessServerConfig, Tls, WatchedLog};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The demo log's origin and verifier key (what a witness is told to watch).
fn demo_log() -> (String, String) {
    let origin = mrgate::pki::DEMO_LOG_ORIGIN.to_string();
    let pem = std::fs::read(format!("{DEMO}/log.pub")).expect("log.pub");
    let spki = <rustls::pki_types::SubjectPublicKeyInfoDer as rustls::pki_types::pem::PemObject>::from_pem_slice(&pem)
        .expect("spki");
    let public = &spki.as_ref()[spki.as_ref().len() - 32..];
    let vkey = mrgate::ledger::checkpoint::verifier_key(&origin, public).expect("vkey");
    (origin, vkey)
}

/// A witness named `name` over `dir`, watching the demo log, with a key of its own.
fn witness_config(dir: &Path, name: &str) -> WitnessServerConfig {
    std::fs::create_dir_all(dir).expect("dir");
    let key = dir.join("witness.key");
    std::fs::write(&key, mrgate::witness::key::generate().expect("key").0).expect("write key");
    let (origin, vkey) = demo_log();
    WitnessServerConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.join("data"),
        name: name.into(),
        key,
        tls: Tls { certificate: format!("{DEMO}/server.pem").into(), key: format!("{DEMO}/server.key").into() },
        logs: vec![WatchedLog { origin, vkey }],
    }
}

fn asked(witness: &mrgate::witness::serve::Running) -> WitnessConfig {
    WitnessConfig { vkey: witness.verifier_key(), url: format!("https://localhost:{}", witness.addr().port()) }
}

/// A demo gateway over `dir` that asks `witnesses`, `required` of which must cosign.
async fn gateway(dir: &Path, required: usize, witnesses: Vec<WitnessConfig>) -> (Arc<App>, SocketAddr) {
    gateway_refreshing(dir, required, witnesses, Witnessing::default().refresh_seconds).await
}

/// [`gateway`], asking its witnesses again every `refresh` seconds while the log is quiet.
async fn gateway_refreshing(
    dir: &Path,
    required: usize,
    witnesses: Vec<WitnessConfig>,
    refresh_seconds: u64,
) -> (Arc<App>, SocketAddr) {
    let mut c = config(dir);
    c.witnessing =
        Witnessing { required, ca: vec![format!("{DEMO}/ca.pem").into()], witness: witnesses, refresh_seconds };
    let app = Arc::new(App::load(c).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    (app, running.addr)
}

/// Waits until the gateway at `addr` has stopped committing for a reason saying `why`; then
/// a decision is refused (503, nothing logged) and `/healthz` says why.
async fn assert_stops_deciding(app: &App, addr: SocketAddr, why: &str) {
    let started = Instant::now();
    while app.log.diverged().is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the gateway went on committing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let diverged = app.log.diverged().unwrap_or_default().to_string();
    assert!(diverged.contains(why), "{diverged}");
    let size = app.log.size().expect("size");
    let r = call(addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("log.unavailable")), "{}", text(&r));
    assert_eq!(app.log.size().expect("size"), size, "nothing logged");
    let health = get(addr, "/healthz").await;
    assert_eq!((health.status, health.json()["detail"].as_str()), (503, Some(diverged.as_str())));
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    call(addr, "GET", path, vec![], None, None).await
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Waits until the published checkpoint holds more than `index` entries; how long it took.
async fn published_past(addr: SocketAddr, index: u64) -> Duration {
    let started = Instant::now();
    loop {
        let w = get(addr, "/v1/log/witnesses").await.json();
        if w["published"]["size"].as_u64().is_some_and(|s| s > index) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never published past {index}: {w}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `mrgate log verify-receipt` over `receipt` with these witnesses' keys; its exit code
/// and report.
fn verify_receipt(dir: &Path, receipt: &serde_json::Value, keys: &[String], min: usize) -> (i32, serde_json::Value) {
    let receipt_path = dir.join("receipt.json");
    std::fs::write(&receipt_path, receipt.to_string()).expect("write");
    let mut args = vec!["log".to_string(), "verify-receipt".into(), "--log-key".into(), format!("{DEMO}/log.pub")];
    args.extend(["--origin".into(), "demo.mrgate.example/log".into()]);
    for (i, key) in keys.iter().enumerate() {
        let path = dir.join(format!("witness-{i}.vkey"));
        std::fs::write(&path, key).expect("write");
        args.extend(["--witness-key".into(), path.display().to_string()]);
    }
    args.extend(["--min-witnesses".into(), min.to_string(), receipt_path.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::mrgate(&args, b"");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), report)
}

fn names(report: &serde_json::Value) -> Vec<&str> {
    report["witnesses"].as_array().map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect()).unwrap_or_default()
}

/// A quiet log's checkpoint is cosigned again every `refresh_seconds`, so its published
/// cosignatures stay fresh (found by attack: they were asked for a new size only, and an
/// audit's `--max-age` failed an honest log that had nothing to log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_logs_checkpoint_is_cosigned_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let w1 =
        mrgate::witness::serve::start(&witness_config(&dir.path().join("w1"), "witness.test/w1")).await.expect("w1");
    let (_app, gw) = gateway_refreshing(&dir.path().join("gw"), 1, vec![asked(&w1)], 1).await;
    let export = call(gw, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", text(&export));
    published_past(gw, export.json()["receipt"]["index"].as_u64().expect("index")).await;
    let witness = Witness::from_verifier_key(&w1.verifier_key()).expect("w1");
    let cosigned = async || {
        let note = text(&get(gw, "/v1/log/checkpoint").await);
        (note.lines().nth(1).map(str::to_string), witness.cosigned(&note))
    };
    let (size, first) = cosigned().await;
    let first = first.expect("cosigned");
    // Nothing more is logged; within a few refreshes the same checkpoint carries a newer time.
    let started = Instant::now();
    loop {
        let (now_size, now) = cosigned().await;
        assert_eq!(now_size, size, "the log grew");
        if now.expect("cosigned") > first {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never cosigned again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A refresh is at least a second; none at all is refused.
    let mut c = config(&dir.path().join("other"));
    c.witnessing.refresh_seconds = 0;
    let Err(refused) = App::load(c) else { panic!("refresh_seconds = 0 was taken") };
    assert!(refused.contains("witnessing.refresh_seconds = 0: must be 1 to 86400"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_publishes_what_its_witnesses_cosigned() {
    let dir = tempfile::tempdir().expect("tmp");
    let w1 =
        mrgate::witness::serve::start(&witness_config(&dir.path().join("w1"), "witness.test/w1")).await.expect("w1");
    let w2 =
        mrgate::witness::serve::start(&witness_config(&dir.path().join("w2"), "witness.test/w2")).await.expect("w2");
    // A third witness the checker trusts, which this gateway never asks.
    let w3 = Witness::of("witness.test/w3", &mrgate::witness::key::generate().expect("key").1).expect("w3");
    let (app, gw) = gateway(&dir.path().join("gw"), 2, vec![asked(&w1), asked(&w2)]).await;

    let export = call(gw, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", text(&export));
    let exported = export.json();
    let index = exported["receipt"]["index"].as_u64().expect("index");
    let took = published_past(gw, index).await;
    eprintln!("cosigned by both witnesses {took:?} after the export was acknowledged");

    // The published checkpoint: the log's signature, then both cosignatures, each verifying
    // over it; the policy names both witnesses and says they vouched.
    let note = text(&get(gw, "/v1/log/checkpoint").await);
    let signatures: Vec<&str> = note.split_once("\n\n").expect("signatures").1.lines().collect();
    assert_eq!(signatures.len(), 3, "{note}");
    let (witness1, witness2) = (
        Witness::from_verifier_key(&w1.verifier_key()).expect("w1"),
        Witness::from_verifier_key(&w2.verifier_key()).expect("w2"),
    );
    assert!(witness1.cosigned(&note).is_some() && witness2.cosigned(&note).is_some(), "{note}");
    let log_public = &std::fs::read(format!("{DEMO}/log.pub")).expect("pub");
    let spki =
        <rustls::pki_types::SubjectPublicKeyInfoDer as rustls::pki_types::pem::PemObject>::from_pem_slice(log_public)
            .expect("spki");
    let public = &spki.as_ref()[spki.as_ref().len() - 32..];
    mrgate::ledger::checkpoint::Checkpoint::verify(&note, public).expect("the log's own signature");
    let policy = get(gw, "/v1/log/witnesses").await.json();
    assert_eq!(policy["required"], 2);
    assert_eq!(policy["witnesses"][0]["vkey"], w1.verifier_key().as_str());
    assert_eq!(policy["witnesses"][1]["name"], "witness.test/w2");
    assert_eq!(policy["published"]["vouched"], serde_json::json!(["witness.test/w1", "witness.test/w2"]));

    // Go's sumdb/note opens the cosigned checkpoint with the log's key (the cosignature
    // lines beside it are of keys it does not know), and tlog checks entry 0 in it.
    if common::go::ready() {
        let size: u64 = note.lines().nth(1).expect("size").parse().expect("size");
        let entry0 = get(gw, "/v1/log/entries?start=0&end=1").await.json()["entries"][0]["entry"].clone();
        let proof = get(gw, &format!("/v1/log/proof/inclusion?index=0&size={size}")).await.json();
        let b64 = |v: &serde_json::Value| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v.as_str().expect("b64")).expect("b64")
        };
        let hashes: Vec<Vec<u8>> = proof["hashes"].as_array().expect("hashes").iter().map(b64).collect();
        let (origin, vkey) = demo_log();
        let case = serde_json::json!({"name": "cosigned", "key_name": origin, "vkey": vkey, "public_key": public,
            "note": note, "entry": b64(&entry0), "index": 0, "record_proof": hashes});
        assert_eq!(common::go::tlog_failures(&[case]), Vec::<String>::new());
    }

    // Python's cryptography checks each cosignature over the message the spec defines.
    if common::tool("python3") {
        let path = dir.path().join("published.checkpoint");
        std::fs::write(&path, &note).expect("write");
        for w in [&w1, &w2] {
            let out = std::process::Command::new("python3")
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/cosignature.py"))
                .arg(w.verifier_key())
                .arg(&path)
                .output()
                .expect("python3");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }

    // The export read back: its receipt is proved against the published, cosigned checkpoint.
    let id = exported["id"].as_str().expect("id");
    let again = call(gw, "GET", &format!("/v1/exports/{id}"), vec![], None, Some(&token())).await.json();
    let receipt = again["receipt"].clone();
    assert_eq!(receipt["checkpoint"].as_str(), Some(note.as_str()));
    let keys = |ws: &[&Witness]| ws.iter().map(|w| w.verifier_key()).collect::<Vec<_>>();
    let checks = dir.path().join("checks");
    std::fs::create_dir_all(&checks).expect("dir");
    let (code, report) = verify_receipt(&checks, &receipt, &[], 0);
    assert_eq!((code, report["valid"].as_bool(), names(&report)), (0, Some(true), vec![]), "{report}");
    let (code, report) = verify_receipt(&checks, &receipt, &keys(&[&witness1]), 1);
    assert_eq!((code, names(&report)), (0, vec!["witness.test/w1"]), "{report}");
    let (code, report) = verify_receipt(&checks, &receipt, &keys(&[&witness1, &witness2]), 2);
    assert_eq!((code, names(&report)), (0, vec!["witness.test/w1", "witness.test/w2"]), "{report}");
    // Refused: two required, one of the trusted never cosigned; the receipt's own check
    // passes, the policy does not.
    let (code, report) = verify_receipt(&checks, &receipt, &keys(&[&witness1, &w3]), 2);
    assert_eq!((code, report["reason"].as_str(), names(&report)), (1, Some("log.witnesses"), vec!["witness.test/w1"]));
    let (code, report) = verify_receipt(&checks, &receipt, &keys(&[&w3]), 1);
    assert_eq!((code, report["reason"].as_str()), (1, Some("log.witnesses")));
    // The receipt as the decision gave it (the log's own newest checkpoint, not yet witnessed):
    // valid as a receipt, but no witness vouches for its checkpoint.
    let (code, report) = verify_receipt(&checks, &exported["receipt"], &keys(&[&witness1, &witness2]), 1);
    assert_eq!((code, report["reason"].as_str(), names(&report)), (1, Some("log.witnesses"), vec![]));
    // Asking for more witnesses than are named is a usage error.
    let (code, _) = verify_receipt(&checks, &receipt, &keys(&[&witness1]), 2);
    assert_eq!(code, 2);

    // One witness gone: two are required, so nothing newer is published.
    let published = policy["published"]["size"].as_u64().expect("size");
    w2.stop().await;
    for _ in 0..3 {
        // A verdict on what is not a document is a logged decision too: the log grows.
        let r = call(gw, "POST", "/v1/verify", b"not a document".to_vec(), Some("customs"), None).await;
        assert_eq!(r.status, 200, "{}", text(&r));
    }
    let verified = call(
        gw,
        "POST",
        "/v1/verify",
        exported["documents"]["untp-dcc"].as_str().expect("vc").as_bytes().to_vec(),
        Some("customs"),
        None,
    )
    .await;
    assert_eq!(verified.status, 200);
    // Whatever the task tries meanwhile, one witness cannot make two.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let policy = get(gw, "/v1/log/witnesses").await.json();
    assert_eq!(policy["published"]["size"].as_u64(), Some(published), "{policy}");
    assert!(app.log.size().expect("size") > published);
    w1.stop().await;
}

/// A gateway made to show a second history (here, a second gateway over another store with
/// the same log key and origin — what a dishonest operator would run): the witness, which
/// cosigned the first history, refuses the second and keeps the request as evidence, so the
/// second gateway publishes nothing; a client holding the first history's checkpoint finds
/// the second's inconsistent with it, and `verify-consistency` reports both checkpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_history_is_refused_by_the_witness_and_caught_by_a_client() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = mrgate::witness::serve::start(&witness_config(&dir.path().join("w"), "witness.test/w")).await.expect("w");
    let (_a, a) = gateway(&dir.path().join("a"), 1, vec![asked(&w)]).await;
    let export = call(a, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", text(&export));
    published_past(a, export.json()["receipt"]["index"].as_u64().expect("index")).await;
    let first = text(&get(a, "/v1/log/checkpoint").await);
    let first_size: u64 = first.lines().nth(1).expect("size").parse().expect("size");

    // The second history: other decisions, more of them, made before its witness is asked.
    let dir_b = dir.path().join("b");
    let mut second = serde_json::Value::Null;
    {
        let app = Arc::new(App::load(config(&dir_b)).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        for _ in 0..first_size + 2 {
            let r = call(running.addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
            assert_eq!(r.status, 200, "{}", text(&r));
            second = r.json()["receipt"].clone();
        }
        running.shutdown(Duration::from_secs(5)).await;
    }
    let second_size = second["tree_size"].as_u64().expect("size");
    assert!(second_size > first_size);
    let (b_app, b) = gateway(&dir_b, 1, vec![asked(&w)]).await;
    // The witness refuses it, and keeps the request with what it had cosigned.
    let started = Instant::now();
    let evidence = loop {
        let evidence = w.cosigner().evidence().expect("evidence");
        if !evidence.is_empty() {
            break evidence;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the witness was never shown the second history");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // At the size it cosigned, another root (409); past it, a proof that cannot reach it (422):
    // which one depends on how far the second gateway had got when it first asked.
    assert!(["witness.inconsistent", "witness.proof"].contains(&evidence[0].reason.as_str()), "{}", evidence[0].reason);
    assert_eq!(evidence[0].stored_note.as_deref().map(|n| n.split("\n\n").next()), Some(first.split("\n\n").next()));
    assert!(String::from_utf8_lossy(&evidence[0].request).contains("\n\ndemo.mrgate.example/log\n"));
    // So the second gateway has nothing cosigned to publish, and decides nothing more: every
    // receipt it gave on would prove entries of a history its witness refused.
    let published = get(b, "/v1/log/checkpoint").await;
    assert_eq!((published.status, published.json()["reason"].as_str()), (503, Some("log.not_witnessed")));
    assert_stops_deciding(&b_app, b, "holds a checkpoint of this log that the log's size").await;

    // A client holding the first history's checkpoint asks the second gateway to prove
    // that its checkpoint extends it: the proof does not verify, and the report carries both.
    let proof = get(b, &format!("/v1/log/proof/consistency?from={first_size}&to={second_size}")).await;
    assert_eq!(proof.status, 200);
    let files = dir.path().join("client");
    std::fs::create_dir_all(&files).expect("dir");
    let second_note = second["checkpoint"].as_str().expect("checkpoint");
    for (name, bytes) in [("old", first.as_bytes()), ("new", second_note.as_bytes()), ("proof.json", &proof.body)] {
        std::fs::write(files.join(name), bytes).expect("write");
    }
    let path = |n: &str| files.join(n).display().to_string();
    let out = common::mrgate(
        &[
            "log",
            "verify-consistency",
            "--log-key",
            &format!("{DEMO}/log.pub"),
            "--origin",
            "demo.mrgate.example/log",
            &path("old"),
            &path("new"),
            &path("proof.json"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["valid"], false);
    assert_eq!(report["evidence"]["old"].as_str(), Some(first.as_str()));
    assert_eq!(report["evidence"]["new"].as_str(), Some(second_note));
    w.stop().await;
}

/// A data directory put back from a backup holds fewer entries than its witness cosigned:
/// acknowledged decisions are gone, and the gateway must not sign a second history at the
/// sizes it already signed. It starts (its high-water mark came back with the backup), asks
/// its witness, is told of the larger size, and decides nothing more. Found by attack: it
/// went on deciding and handing out receipts on the fork while the witness refused it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_put_back_from_a_backup_decides_nothing_more() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = mrgate::witness::serve::start(&witness_config(&dir.path().join("w"), "witness.test/w")).await.expect("w");
    let data = dir.path().join("a");
    let backup = dir.path().join("backup");
    let run = async |then: &str| {
        let mut c = config(&data);
        c.witnessing = Witnessing {
            required: 1,
            ca: vec![format!("{DEMO}/ca.pem").into()],
            witness: vec![asked(&w)],
            ..Witnessing::default()
        };
        let app = Arc::new(App::load(c).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let addr = running.addr;
        if then == "decide" {
            let r = call(addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
            assert_eq!(r.status, 200, "{}", text(&r));
            published_past(addr, r.json()["receipt"]["index"].as_u64().expect("index")).await;
            running.shutdown(Duration::from_secs(5)).await;
        } else {
            assert_stops_deciding(
                &app,
                addr,
                "witness witness.test/w cosigned this log at size 4, and the log holds 3 entries",
            )
            .await;
            running.shutdown(Duration::from_secs(5)).await;
        }
    };
    run("decide").await;
    let copy = |from: &Path, to: &Path| {
        let status = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().expect("cp");
        assert!(status.success());
    };
    copy(&data, &backup);
    run("decide").await;
    std::fs::remove_dir_all(&data).expect("rm");
    copy(&backup, &data);
    run("check").await;
    w.stop().await;
}

/// One witness alone saying the history is not the one it cosigned is its word alone — a
/// hostile or broken witness could say it of any log — while the others the policy counts
/// still vouch: the gateway goes on, publishing what they cosign (found by review: any one
/// witness's answer stopped every node). Here the witness that saw the history before a
/// backup was put back refuses; a second one, new to the log, cosigns; one is required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_witness_alone_refusing_does_not_stop_what_the_others_vouch_for() {
    let dir = tempfile::tempdir().expect("tmp");
    let w1 =
        mrgate::witness::serve::start(&witness_config(&dir.path().join("w1"), "witness.test/w1")).await.expect("w1");
    let w2 =
        mrgate::witness::serve::start(&witness_config(&dir.path().join("w2"), "witness.test/w2")).await.expect("w2");
    let data = dir.path().join("a");
    let backup = dir.path().join("backup");
    let run = async |witnesses: Vec<WitnessConfig>, decisions: usize| {
        let mut c = config(&data);
        c.witnessing = Witnessing {
            required: 1,
            ca: vec![format!("{DEMO}/ca.pem").into()],
            witness: witnesses,
            ..Witnessing::default()
        };
        let app = Arc::new(App::load(c).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let mut index = 0;
        for _ in 0..decisions {
            let r = call(running.addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
            assert_eq!(r.status, 200, "{}", text(&r));
            index = r.json()["receipt"]["index"].as_u64().expect("index");
        }
        published_past(running.addr, index).await;
        let vouched = get(running.addr, "/v1/log/witnesses").await.json()["published"]["vouched"].clone();
        running.shutdown(Duration::from_secs(5)).await;
        (app, vouched)
    };
    run(vec![asked(&w1)], 1).await;
    let status = std::process::Command::new("cp").arg("-a").arg(&data).arg(&backup).status().expect("cp");
    assert!(status.success());
    // w1 cosigns two more entries, which the backup does not hold.
    run(vec![asked(&w1)], 2).await;
    std::fs::remove_dir_all(&data).expect("rm");
    let status = std::process::Command::new("cp").arg("-a").arg(&backup).arg(&data).status().expect("cp");
    assert!(status.success());
    let (app, vouched) = run(vec![asked(&w1), asked(&w2)], 1).await;
    assert_eq!(app.log.diverged(), None);
    assert_eq!(vouched, serde_json::json!(["witness.test/w2"]));
    w1.stop().await;
    w2.stop().await;
}
