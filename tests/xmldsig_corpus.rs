//! Real signed documents: the 33 trusted lists (every answer agrees with xmlsec1's, the
//! brainpool-signed one included) and the W3C / xmlsec interop
//! vectors (SHA-2 signatures verify; phaos' bad-digest and bad-sig are rejected; the merlin
//! canonicalization outputs are reproduced byte for byte).

mod common;

use mrgate::crypto::xmldsig::{self, KeySource, Options};
use mrgate::xml::Limits;

fn limits() -> Limits {
    Limits { max_bytes: 8 * 1024 * 1024, max_elements: 1_000_000, ..Limits::default() }
}

const INSECURE: Options<'static> =
    Options { key: KeySource::InsecureEmbedded, allow_sha1: false, profile: xmldsig::Profile::Enveloped };

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
        let ok = verdict.valid == (answer == "OK");
        eprintln!("{file}: xmlsec1 {answer}, mrgate {} ({reason})", if verdict.valid { "valid" } else { "not valid" });
        if !ok {
            disagreements.push(format!("{file}: xmlsec1 {answer}, mrgate {:?}", verdict.checks.last()));
        }
    }
    assert_eq!(count, 33);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

fn conformance(allow_sha1: bool) -> Options<'static> {
    Options { key: KeySource::InsecureEmbedded, allow_sha1, profile: xmldsig::Profile::Conformance }
}

/// Every xmldsig11 interop vector: exactly these verify (SHA-2 digests and signatures,
/// P-256/P-384, RSA); the rest use HMAC, SHA-1 (`rsa-sha256` and `rsa_sha512` digest with
/// SHA-1), SHA-224, P-521, RFC 4050 key values, KeyInfo references or curve/hash pairings
/// ring does not offer, and are refused with a reason — never valid.
#[test]
fn xmldsig11_interop_vectors() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("xmldsig/xmldsig11-interop-2012");
    let expected_valid = [
        "signature-enveloping-p256_sha256.xml",
        "signature-enveloping-p384_sha384.xml",
        "signature-enveloping-sha256-rsa-sha256.xml",
        "signature-enveloping-sha384-rsa_sha256.xml",
        "signature-enveloping-sha512-rsa_sha256.xml",
    ];
    let mut valid = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("dir").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "xml"));
    files.sort();
    for f in &files {
        let name = f.file_name().expect("name").to_string_lossy().to_string();
        let (v, _) = xmldsig::verify_report(&std::fs::read(f).expect("read"), &limits(), &conformance(false));
        if v.valid {
            valid.push(name);
        } else {
            let last = v.checks.last().expect("check");
            assert!(!last.reason.is_empty() && last.outcome == mrgate::crypto::Outcome::Fail, "{name}");
        }
    }
    assert_eq!(valid, expected_valid);
    assert!(files.len() >= 40);
}

#[test]
fn phaos_negatives_are_rejected_and_sha1_vectors_need_the_legacy_flag() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("xmldsig/phaos-xmldsig-three");
    let read = |n: &str| std::fs::read(dir.join(n)).expect("read");
    let (v, _) =
        xmldsig::verify_report(&read("signature-rsa-enveloped-bad-digest-val.xml"), &limits(), &conformance(true));
    assert_eq!(v.checks.last().expect("c").reason, "dsig.digest_mismatch");
    let (v, _) = xmldsig::verify_report(&read("signature-rsa-enveloped-bad-sig.xml"), &limits(), &conformance(true));
    assert!(!v.valid);
    // RSA-SHA1 over SHA-1 digests: refused by default, verifiable with the legacy flag.
    for name in ["signature-rsa-enveloped.xml", "signature-rsa-enveloping.xml", "signature-rsa-manifest.xml"] {
        let (strict, _) = xmldsig::verify_report(&read(name), &limits(), &conformance(false));
        assert_eq!(strict.checks.last().expect("c").reason, "alg.sha1_refused", "{name}");
        let (legacy, _) = xmldsig::verify_report(&read(name), &limits(), &conformance(true));
        assert!(legacy.valid, "{name}: {:?}", legacy.checks.last());
    }
    // The gateway's own profile refuses an enveloping signature whatever its algorithms.
    let (gateway, _) = xmldsig::verify_report(
        &read("signature-rsa-enveloping.xml"),
        &limits(),
        &Options { key: KeySource::InsecureEmbedded, allow_sha1: true, profile: xmldsig::Profile::Enveloped },
    );
    assert_eq!(gateway.checks.last().expect("c").reason, "dsig.misplaced");
}

/// The merlin c14n-three outputs that are whole-subtree canonicalizations (the others apply
/// XPath node-set filters, which mrgate does not implement): Canonical XML, exclusive, and
/// exclusive with `#default` in the InclusiveNamespaces PrefixList, of the first
/// `bar:Something`; and the inclusive canonical form of the signature's SignedInfo.
#[test]
fn merlin_c14n_three_outputs() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("xmldsig/merlin-c14n-three");
    let doc = mrgate::xml::parse_document(&std::fs::read(dir.join("signature.xml")).expect("read"), &limits())
        .expect("parse");
    let expected = |n: u32| std::fs::read(dir.join(format!("c14n-{n}.txt"))).expect("expected");
    use mrgate::xml::c14n::{self, Method};
    let inclusive = Method::from_uri(c14n::C14N).expect("m");
    let exclusive = Method::from_uri(c14n::EXC_C14N).expect("m");
    let mut exclusive_default = exclusive.clone();
    exclusive_default.inclusive_prefixes = vec!["#default".into()];
    assert_eq!(c14n::subtree(&doc, &[0], &inclusive, None).expect("c14n"), expected(0));
    assert_eq!(c14n::subtree(&doc, &[0], &exclusive, None).expect("c14n"), expected(9));
    assert_eq!(c14n::subtree(&doc, &[0], &exclusive_default, None).expect("c14n"), expected(18));
    assert_eq!(c14n::subtree(&doc, &[1, 0], &inclusive, None).expect("c14n"), expected(27));
}
