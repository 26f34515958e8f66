//! XML signature verification: a real 55 KB trusted list (`ie-tl.xml`, RSA-2048, exclusive
//! c14n, XAdES) and a ~3 KB signed CN certificate (ECDSA P-256), per document inside mrgate.
//! Also the cost of hostile namespace scopes (parse and canonicalization) beside none.
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

    // Hostile input's cost: 20,000 elements that each declare a namespace again, under the
    // largest scope the default limits allow (62 levels of 256 declarations), parsed and
    // canonicalized, beside the same elements under no scope. Linear work keeps the two
    // close; a per-element cost in the scope's size made the first 52 s.
    let leaves = "<e xmlns:p0_0=\"u\"/>".repeat(20_000);
    let mut scoped = String::new();
    for depth in 0..62 {
        scoped.push_str("<e");
        for i in 0..256 {
            scoped.push_str(&format!(" xmlns:p{depth}_{i}=\"u\""));
        }
        scoped.push('>');
    }
    let scoped = format!("{scoped}{leaves}{}", "</e>".repeat(62));
    let bare = format!("<e xmlns:p0_0=\"u\">{leaves}</e>");
    let c14n = mrgate::xml::c14n::Method::from_uri(mrgate::xml::c14n::C14N).expect("c14n");
    for (name, doc) in [
        ("c14n_20000_redeclaring_elements_in_a_15872_namespace_scope", &scoped),
        ("c14n_20000_redeclaring_elements_in_no_scope", &bare),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let parsed = mrgate::xml::parse_document(black_box(doc.as_bytes()), &limits).expect("parse");
                mrgate::xml::c14n::document(&parsed, &c14n, None)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
