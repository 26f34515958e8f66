//! XML signature verification: a real 55 KB trusted list (`ie-tl.xml`, RSA-2048, exclusive
//! c14n, XAdES) and a ~3 KB signed CN certificate (ECDSA P-256), per document inside mrgate.
//! `cargo bench --bench xmldsig`; `benches/xmlsec1-compare.sh` times whole processes
//! against xmlsec1 on the same files.

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::TrustAnchors;
use mrgate::crypto::xmldsig::{self, KeySource, Options, Profile};
use mrgate::xml::Limits;
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("xmldsig");
    let corpus = std::env::var_os("MRGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    if let Ok(ie) = std::fs::read(corpus.join("trusted-lists/ie-tl.xml")) {
        let insecure = Options { key: KeySource::InsecureEmbedded, allow_sha1: false, profile: Profile::Enveloped };
        assert!(xmldsig::verify(&ie, &limits, &insecure).is_ok());
        g.bench_function("verify_ie_tl_55KB", |b| {
            b.iter(|| xmldsig::verify(black_box(&ie), &limits, &insecure).expect("valid"))
        });
    } else {
        eprintln!("SKIPPED: ie-tl.xml benchmark (no corpus at {})", corpus.display());
    }

    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/");
    let key =
        SigningKey::from_pkcs8(&std::fs::read(format!("{demo}cb/CNCA-R-2002-001.key")).expect("key")).expect("key");
    let chain =
        mrgate::crypto::x509::read_certificates(&std::fs::read(format!("{demo}cb/CNCA-R-2002-001.pem")).expect("pem"))
            .expect("chain");
    let doc = include_str!("../tests/data/cn-qms.xml");
    let signed = xmldsig::sign(doc, &key, &chain).expect("sign");
    let mut anchors = TrustAnchors::new();
    anchors.add_pem_or_der(&std::fs::read(format!("{demo}ca.pem")).expect("ca")).expect("anchor");
    let trusted = Options {
        key: KeySource::Trusted { anchors: &anchors, crls: None, at: 1_780_272_000 },
        allow_sha1: false,
        profile: Profile::Enveloped,
    };
    assert!(xmldsig::verify(signed.as_bytes(), &limits, &trusted).is_ok());
    g.bench_function(format!("verify_cn_certificate_{}B_with_chain", signed.len()), |b| {
        b.iter(|| xmldsig::verify(black_box(signed.as_bytes()), &limits, &trusted).expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
