//! Shared helpers for the integration tests: where the conformance corpus and the domestic
//! samples are, and whether a missing one (or a missing external tool) skips or fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// True when `MRGATE_REQUIRE_CORPUS=1`: missing corpora or tools are failures, not skips.
pub fn required() -> bool {
    std::env::var("MRGATE_REQUIRE_CORPUS").is_ok_and(|v| v == "1")
}

fn skip_or_fail(what: &str) -> Option<PathBuf> {
    assert!(!required(), "{what} is missing and MRGATE_REQUIRE_CORPUS=1");
    eprintln!("SKIPPED: {what} is missing (set MRGATE_REQUIRE_CORPUS=1 to make this a failure)");
    None
}

/// The conformance corpus folder (`MRGATE_CORPUS`, default `../shared/corpus`).
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("MRGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() { Some(dir) } else { skip_or_fail(&format!("the conformance corpus at {}", dir.display())) }
}

/// The domestic sample certificates (`MRGATE_SAMPLES`, default `../shared/samples`).
pub fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("MRGATE_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples"));
    if dir.is_dir() { Some(dir) } else { skip_or_fail(&format!("the domestic samples at {}", dir.display())) }
}

/// Reads one sample, or skips.
pub fn sample(name: &str) -> Option<Vec<u8>> {
    let dir = samples()?;
    Some(std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// True when an external program is on PATH; otherwise skips (or fails when required).
pub fn tool(name: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().is_ok_and(|o| o.status.success());
    found || skip_or_fail(&format!("the external tool '{name}'")).is_some()
}

/// Runs `xmllint --schema` on a document; returns xmllint's verdict and its messages.
pub fn xmllint_schema(schema: &str, document: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("doc.xml");
    std::fs::write(&doc, document).expect("write");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(schema);
    let out =
        Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&doc).output().expect("run xmllint");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}
pub mod gateway;
