//! Hostile input found by attacking `serve --demo`, each kept as a regression: a signed
//! credential whose standard crashed the verifier, attributes that cost quadratic time,
//! certificate numbers holding `/`, a closed pipe under the command line.

mod common;

use common::gateway::{call, config, domestic_certificate, token};
use mrgate::server::{App, start};
use std::sync::Arc;

fn verdict_reasons(v: &serde_json::Value) -> Vec<String> {
    v["checks"].as_array().into_iter().flatten().filter_map(|c| c["reason"].as_str().map(str::to_string)).collect()
}

/// A standard whose edition year is not ASCII (`ISO 9001:中文`) is exported, signed, and then
/// verified: the verifier answers (standards not equivalent), it does not drop the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_with_a_non_ascii_year_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    for (i, standard) in ["GB/T 19001-2016/ISO 9001:中文", "GB/T 19001-中文"].into_iter().enumerate() {
        let doc = String::from_utf8(domestic_certificate())
            .expect("utf8")
            .replace("GB/T 19001-2016/ISO 9001:2015", standard)
            .replace("04925Q10021R0M", &format!("04925Q1002{i}R0M"));
        let export = call(addr, "POST", "/v1/exports", doc.into_bytes(), None, Some(&token())).await;
        assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
        let credential = export.json()["documents"]["untp-dcc"].as_str().expect("jws").as_bytes().to_vec();
        let v = call(addr, "POST", "/v1/verify", credential, Some("customs"), None).await;
        assert_eq!(v.status, 200, "{standard}");
        let v = v.json();
        assert_eq!(v["valid"], false, "{standard}");
        assert!(verdict_reasons(&v).contains(&"standards.notation".to_string()), "{standard}: {v}");
    }
    running.task.abort();
}

/// 100,000 attributes on the root element: refused at the limit, whatever the route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_attributes_are_refused_at_the_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let many: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
    let doc = format!("<Certificate xmlns=\"urn:cn:certification:certificate:1\"{many}/>").into_bytes();
    assert!(doc.len() < 2 * 1024 * 1024);
    let v = call(addr, "POST", "/v1/verify/public", doc.clone(), None, None).await.json();
    assert_eq!(v["valid"], false);
    assert!(verdict_reasons(&v).contains(&"xml.too_many_attributes".to_string()), "{v}");
    let export = call(addr, "POST", "/v1/exports", doc, None, Some(&token())).await;
    assert_eq!((export.status, export.json()["reason"].as_str()), (422, Some("xml.too_many_attributes")));
    running.task.abort();
}

/// Certificate numbers may hold `/`: percent-encoded in the path (as the page sends them),
/// they are found, from the store and then from memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_with_a_slash_is_found_percent_encoded() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let doc = String::from_utf8(domestic_certificate()).expect("utf8").replace("04925Q10021R0M", "04925Q/10021R0M");
    let export = call(addr, "POST", "/v1/exports", doc.into_bytes(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    for path in
        ["/v1/certificates/CNCA-R-2002-001/04925Q%2F10021R0M", "/v1/certificates/CNCA-R-2002-001/04925Q%2f10021R0M"]
    {
        for _ in 0..2 {
            let r = call(addr, "GET", path, vec![], None, None).await;
            assert_eq!((r.status, r.json()["number"].as_str()), (200, Some("04925Q/10021R0M")), "{path}");
        }
    }
    let bad = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q%2G", vec![], None, None).await;
    assert_eq!((bad.status, bad.json()["reason"].as_str()), (400, Some("http.path")));
    let unencoded = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q/10021R0M", vec![], None, None).await;
    assert_eq!(unencoded.status, 404);
    running.task.abort();
}

/// `mrgate … | head`: the reader going away ends the program with 141 (as SIGPIPE would),
/// never a panic.
#[test]
fn the_command_line_ends_quietly_on_a_closed_pipe() {
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/log.pub");
    for args in [
        vec!["log", "verifier-key", "--log-key", key, "--name", "demo.mrgate.example/log"],
        vec![
            "translate",
            "--from",
            "cn-xml",
            "--to",
            "untp-dcc",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-qms.xml"),
        ],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mrgate"))
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
    }
}
