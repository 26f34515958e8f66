//! Go's own transparency-log packages (golang.org/x/mod/sumdb/note and tlog, as Debian
//! packages them), run over cases a test writes: the independent checker of checkpoints,
//! cosigned or not, and proofs.

use std::process::{Command, Stdio};

/// Where Debian puts golang.org/x/mod (golang-golang-x-mod-dev).
pub const GOPATH: &str = "/usr/share/gocode";

/// Runs Go's checker (`tests/interop/tlog.go`) over `cases`; the cases it did not say "ok" to.
pub fn tlog_failures(cases: &[serde_json::Value]) -> Vec<String> {
    use std::io::Write;
    let cache = tempfile::tempdir().expect("tmp");
    let mut child = Command::new("go")
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/tlog.go")])
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", cache.path())
        .env("GOFLAGS", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go run");
    let mut input = Vec::new();
    for c in cases {
        input.extend(serde_json::to_vec(c).expect("json"));
        input.push(b'\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("go output");
    writer.join().expect("writer").expect("write cases");
    assert!(out.status.success(), "go: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(said.lines().count(), cases.len(), "one verdict per case");
    said.lines().filter(|l| !l.ends_with(" ok")).map(String::from).collect()
}

/// Whether `go` and golang.org/x/mod are installed (reported as skipped when not, or a
/// failure when required).
pub fn ready() -> bool {
    let ready = super::tool("go") && std::path::Path::new(GOPATH).join("src/golang.org/x/mod/sumdb/tlog").is_dir();
    if !ready {
        assert!(!super::required(), "go or golang-golang-x-mod-dev is missing and MRGATE_REQUIRE_CORPUS=1");
        eprintln!("SKIPPED: go with golang.org/x/mod under {GOPATH} is missing (Debian: golang-golang-x-mod-dev)");
    }
    ready
}
