//! Go's own transparency-log packages (golang.org/x/mod/sumdb/note and tlog, as Debian
//! packages them), run over cases a test writes: the independent checker of checkpoints,
//! cosigned or not, and proofs.

use std::process::{Command, Stdio};

/// Where Debian puts golang.org/x/mod (golang-golang-x-mod-dev).
pub const GOPATH: &str = "/usr/share/gocode";

/// `go run tests/interop/<program> args…` with Debian's golang.org/x/mod, `stdin` written to
/// it; its output.
pub fn run(program: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let cache = tempfile::tempdir().expect("tmp");
    let mut child = Command::new("go")
        .arg("run")
        .arg(format!("{}/tests/interop/{program}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", cache.path())
        .env("GOFLAGS", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go run");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let out = child.wait_with_output().expect("go output");
    writer.join().expect("writer").expect("write stdin");
    out
}

/// Runs Go's checker (`tests/interop/tlog.go`) over `cases`; its verdict line for each
/// (`<name> ok`, or the step that failed and why).
pub fn tlog(cases: &[serde_json::Value]) -> Vec<String> {
    let mut input = Vec::new();
    for c in cases {
        input.extend(serde_json::to_vec(c).expect("json"));
        input.push(b'\n');
    }
    let out = run("tlog.go", &[], &input);
    assert!(out.status.success(), "go: {}", String::from_utf8_lossy(&out.stderr));
    let said: Vec<String> = String::from_utf8(out.stdout).expect("utf8").lines().map(String::from).collect();
    assert_eq!(said.len(), cases.len(), "one verdict per case");
    said
}

/// The cases [`tlog`] did not say "ok" to.
pub fn tlog_failures(cases: &[serde_json::Value]) -> Vec<String> {
    tlog(cases).into_iter().filter(|l| !l.ends_with(" ok")).collect()
}

/// `tests/interop/tiles.go`: Go's tlog reads the log at `base` (its `/v1/log` URL) through
/// its tiles, over TLS trusting `ca`, and recomputes the root of the checkpoint it opens
/// with `vkey`; what it printed (`ok <size> <entries>`, or the step that failed).
pub fn read_tiles(base: &str, ca: &str, vkey: &str) -> String {
    let out = run("tiles.go", &[base, ca, vkey], b"");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
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
