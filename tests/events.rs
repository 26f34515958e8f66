//! Operational events, end to end: `mrgate serve` with `[events] format = "json"` writes
//! one event per request on stderr, whose request id the caller got in `x-request-id` and
//! in problem bodies; an event names the route, the caller, the decision, the reason and
//! the log index, and never a document, a token or a key.

mod common;

use common::gateway::{call, domestic_certificate, token};
use std::io::BufRead;
use std::process::{Command, Stdio};

/// The example configuration with the demo's files, a free port and its own data directory.
fn config(dir: &std::path::Path, format: &str) -> std::path::PathBuf {
    let config = common::gateway::example_config_text(&dir.join("data"))
        .replace("format = \"text\"", &format!("format = \"{format}\""));
    let path = dir.join("mrgate.toml");
    std::fs::write(&path, config).expect("config");
    path
}

/// A gateway process, killed if a test fails before it stops it (not left serving).
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mrgate serve` with JSON events at `info` on a piped stderr (not read here), and the
/// address its banner names.
fn serve_json(dir: &std::path::Path) -> (Serving, std::net::SocketAddr) {
    let path = config(dir, "json");
    let mut child = Serving(
        Command::new(env!("CARGO_BIN_EXE_mrgate"))
            .args(["serve", "--config", path.to_str().expect("path")])
            .env("MRGATE_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let mut banner = String::new();
    std::io::BufReader::new(child.0.stdout.take().expect("stdout")).read_line(&mut banner).expect("banner");
    let addr = banner
        .trim()
        .strip_prefix("mrgate listening on https://")
        .and_then(|a| a.split('/').next())
        .unwrap_or_else(|| panic!("banner: {banner}"))
        .parse()
        .expect("address");
    (child, addr)
}

fn find<'a>(events: &'a [serde_json::Value], request_id: &str) -> &'a serde_json::Value {
    let found: Vec<_> = events.iter().filter(|e| e["request_id"] == request_id).collect();
    assert_eq!(found.len(), 1, "one event for request {request_id} in {events:#?}");
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_has_one_event_and_the_caller_its_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, addr) = serve_json(dir.path());
    let stderr = child.0.stderr.take().expect("stderr");
    let lines = std::thread::spawn(move || std::io::BufReader::new(stderr).lines().map_while(Result::ok).collect());

    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201);
    let exported = export.json();
    let credential = exported["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    let verify = call(addr, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await;
    assert_eq!(verify.status, 200);
    // Refused for want of an identity: the problem body carries the request id.
    let anonymous =
        call(addr, "GET", &format!("/v1/exports/{}", exported["id"].as_str().expect("id")), vec![], None, None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["request_id"], anonymous.request_id.as_str());
    // A refused export is recorded: its event names the refusal and where it was logged.
    let future = common::gateway::domestic_certificate_dated(1);
    let refused = call(addr, "POST", "/v1/exports", future, None, Some(&token())).await;
    assert_eq!(refused.status, 422);
    let problem = refused.json();
    assert_eq!(problem["request_id"], refused.request_id.as_str());

    assert!(Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().expect("kill").success());
    assert!(child.0.wait().expect("wait").success());
    let lines: Vec<String> = lines.join().expect("stderr");
    let events: Vec<serde_json::Value> =
        lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("a JSON event")).collect();

    let ids = [&export.request_id, &verify.request_id, &anonymous.request_id, &refused.request_id];
    let mut unique: Vec<_> = ids.iter().collect();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{ids:?}");
    assert!(ids.iter().all(|id| !id.is_empty()));

    let e = find(&events, &export.request_id);
    assert_eq!(
        (&e["route"], &e["caller"], &e["status"], &e["decision"], &e["log_index"], &e["method"]),
        (
            &"POST /v1/exports".into(),
            &"exporter:demo-exporter".into(),
            &201.into(),
            &"export.exported".into(),
            &exported["receipt"]["index"],
            &"POST".into()
        )
    );
    assert_eq!(e["level"], "INFO");
    assert!(e["latency_us"].as_u64().is_some(), "{e}");
    let e = find(&events, &verify.request_id);
    assert_eq!((&e["decision"], &e["log_index"]), (&"recognition.valid".into(), &verify.json()["receipt"]["index"]));
    assert!(e["caller"].as_str().expect("caller").starts_with("customs:"), "{e}");
    let e = find(&events, &anonymous.request_id);
    assert_eq!((&e["status"], &e["reason"], &e["caller"]), (&401.into(), &"auth.role".into(), &"anonymous".into()));
    assert_eq!(e["log_index"], serde_json::Value::Null);
    let e = find(&events, &refused.request_id);
    assert_eq!(
        (&e["decision"], &e["reason"], &e["log_index"]),
        (&"export.refused".into(), &"validity.not_yet_valid".into(), &problem["receipt"]["index"])
    );
    // Never a document, a token or a key.
    let all = lines.join("\n");
    for secret in [token().as_str(), "上海示例科技有限公司", "04925Q10021R0M", &credential[..40], "PRIVATE KEY"]
    {
        assert!(!all.contains(secret), "{secret:?} in the events:\n{all}");
    }
}

/// A stderr nobody reads for a while (a log collector that stalls: the pipe fills at 64 KB)
/// holds no answer: events wait in the gateway's buffer, and none is lost when the reader
/// comes back. (Written by the request itself, the 200th event or so would block the
/// gateway; the timeout turns that hang into a failure.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stderr_holds_no_answer_and_loses_no_event() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, addr) = serve_json(dir.path());
    // A thousand events of some 200 bytes: three times what the pipe holds.
    let mut ids = Vec::new();
    for i in 0..1000 {
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            call(addr, "GET", "/healthz", vec![], Some("customs"), None),
        )
        .await
        .unwrap_or_else(|_| panic!("request {i} waited on the events' output"));
        assert_eq!(answer.status, 200, "request {i}");
        ids.push(answer.request_id);
    }
    let stderr = child.0.stderr.take().expect("stderr");
    let lines = std::thread::spawn(move || std::io::BufReader::new(stderr).lines().map_while(Result::ok).collect());
    assert!(Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().expect("kill").success());
    assert!(child.0.wait().expect("wait").success());
    let lines: Vec<String> = lines.join().expect("stderr");
    let events: Vec<serde_json::Value> =
        lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("a JSON event")).collect();
    let written: usize = lines.iter().map(String::len).sum();
    assert!(written > 3 * 65536, "the pipe was filled: {written} bytes in {} lines", lines.len());
    for id in &ids {
        assert_eq!(find(&events, id)["route"], "GET /healthz");
    }
}

/// A stderr that is closed loses the events written to it after: none holds an answer,
/// and each is counted in `mrgate_events_lost_total`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_closed_stderr_loses_are_counted() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, addr) = serve_json(dir.path());
    drop(child.0.stderr.take().expect("stderr"));
    for i in 0..10 {
        let answer = call(addr, "GET", "/healthz", vec![], Some("customs"), None).await;
        assert_eq!(answer.status, 200, "request {i}");
    }
    // The writer's tick is 20 ms: what it had by then, it has tried to write.
    let lost = || async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let metrics = call(addr, "GET", "/metrics", vec![], Some("operator"), None).await;
        assert_eq!(metrics.status, 200);
        let text = String::from_utf8(metrics.body).expect("utf8");
        let line = text.lines().find(|l| l.starts_with("mrgate_events_lost_total ")).map(str::to_string);
        line.unwrap_or_else(|| panic!("no mrgate_events_lost_total in {text}"))
    };
    // The ten requests' events; then the first scrape's own too.
    assert_eq!(lost().await, "mrgate_events_lost_total 10");
    assert_eq!(lost().await, "mrgate_events_lost_total 11");
    assert!(Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().expect("kill").success());
    assert!(child.0.wait().expect("wait").success(), "a closed stderr does not fail the exit");
}

#[test]
fn a_level_filter_that_does_not_parse_stops_the_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = config(dir.path(), "text");
    let out = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["serve", "--config", path.to_str().expect("path")])
        .env("MRGATE_LOG", "mrgate=loud")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MRGATE_LOG=\"mrgate=loud\""), "{stderr}");
}

#[test]
fn an_unknown_event_format_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = config(dir.path(), "xml");
    let out = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["serve", "--config", path.to_str().expect("path")])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown variant `xml`") && stderr.contains("format"), "{stderr}");
}
