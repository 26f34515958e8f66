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

/// The UNTP DCC v0.6.0 JSON Schema from the corpus, compiled with format checks; `None`
/// (skipped, or a failure when required) without the corpus.
pub fn dcc_validator() -> Option<jsonschema::Validator> {
    let path = corpus()?.join("untp/dcc-v0.6.0-schema.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .expect("schema json");
    Some(jsonschema::options().should_validate_formats(true).build(&schema).expect("compile schema"))
}

/// Every schema error in `value`, with where it is.
pub fn schema_errors(validator: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// Runs the `mrgate` binary with `stdin` as its input and collects its output.
pub fn mrgate(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn mrgate");
    // The program may exit before reading its input (e.g. a usage error); that is not a failure here.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("wait")
}

/// The demo trust list under another sequence, built and signed by its operator with
/// `mrgate trust build` (a newer list to install).
pub fn demo_trust_list(sequence: u64) -> Vec<u8> {
    let demo = gateway::DEMO;
    let built = mrgate(
        &[
            "trust",
            "build",
            &format!("{demo}/trust-list.toml"),
            "--key",
            &format!("{demo}/trust-list-operator.key"),
            "--cert",
            &format!("{demo}/trust-list-operator.pem"),
            "--sequence",
            &sequence.to_string(),
        ],
        b"",
    );
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    built.stdout
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
/// Validates `document` against the ETSI TS 119 612 v2.4.1 schema of the corpus with
/// xmllint, offline: the W3C schemas it imports by URL (xml.xsd, xmldsig-core-schema.xsd)
/// are mapped by an XML catalog to the copies the Python `xmlschema` package ships. `None`
/// (skipped, or a failure when required) without the corpus, xmllint or xmlschema.
pub fn etsi_trust_list_schema(document: &[u8]) -> Option<(bool, String)> {
    let schema = corpus()?.join("etsi/ts_119612v020401_xsd.xsd");
    if !tool("xmllint") {
        return None;
    }
    let found = Command::new("python3")
        .args(["-c", "import os, xmlschema; print(os.path.dirname(xmlschema.__file__))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("schemas"));
    let Some(w3c) = found else {
        skip_or_fail("the Python package xmlschema (its W3C schemas)");
        return None;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = dir.path().join("catalog.xml");
    let entry = |url: &str, file: &str| {
        let local = w3c.join(file);
        assert!(local.is_file(), "{} is not in the xmlschema package", local.display());
        format!(
            "  <uri name=\"{url}\" uri=\"file://{0}\"/>\n  <system systemId=\"{url}\" uri=\"file://{0}\"/>\n",
            local.display()
        )
    };
    let text = format!(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n{}{}</catalog>\n",
        entry("http://www.w3.org/2001/xml.xsd", "XML/xml.xsd"),
        entry(
            "http://www.w3.org/TR/2008/REC-xmldsig-core-20080610/xmldsig-core-schema.xsd",
            "DSIG/xmldsig-core-schema.xsd"
        ),
    );
    std::fs::write(&catalog, text).expect("catalog");
    let doc = dir.path().join("list.xml");
    std::fs::write(&doc, document).expect("write");
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", &catalog)
        .args(["--nonet", "--noout", "--schema"])
        .arg(&schema)
        .arg(&doc)
        .output()
        .expect("run xmllint");
    Some((out.status.success(), String::from_utf8_lossy(&out.stderr).to_string()))
}

pub mod audit;
pub mod gateway;
pub mod go;
pub mod partners;
pub mod pg;

/// Verifies an enveloped XML signature now, by a signer chaining to the PEM anchor at
/// `anchor` (no CRLs); returns the reason code of a failure.
pub fn verify_xml_signed(document: &[u8], anchor: &str) -> Result<(), String> {
    use mrgate::crypto::xmldsig::{KeySource, Options, Profile};
    let mut anchors = mrgate::crypto::x509::TrustAnchors::new();
    anchors.add_pem_or_der(&std::fs::read(anchor).expect("anchor")).expect("anchor");
    let at = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let options = Options {
        key: KeySource::Trusted { anchors: &anchors, crls: None, at },
        allow_sha1: false,
        profile: Profile::Enveloped,
    };
    mrgate::crypto::xmldsig::verify(document, &mrgate::xml::Limits::default(), &options)
        .map(|_| ())
        .map_err(|e| e.code().to_string())
}
