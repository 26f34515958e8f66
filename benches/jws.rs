//! JWS verification cost against ring's raw signature check.
//! `cargo bench --bench jws`
//!
//! - `raw_ring_*`: ring verifying the same signature over the same bytes (the floor).
//! - `verify_*_cached`: a full VC-JOSE verification (parse, header, x5c, cached chain,
//!   signature, payload JSON) with the chain result already cached.
//! - `chain_validation`: a cold document-signing path validation (root → signer).

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::crypto::jws::{self, Verifier};
use mrgate::crypto::keys::{EcdsaEncoding, SigningKey};
use mrgate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, verify_path};
use mrgate::pki::{Ca, KeyAlg, LeafSpec, Profile};
use rustls_pki_types::CertificateDer;
use std::hint::black_box;

const AT: u64 = 1_780_272_000;

fn bench(c: &mut Criterion) {
    let mut root = Ca::root("Bench Root", "Bench AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let mut anchors = TrustAnchors::new();
    anchors.add_der(&CertificateDer::from(root.der().to_vec())).expect("anchor");
    let mut verifier = Verifier::new(anchors.clone(), Crls::new());
    verifier.credential = true;
    let payload = br#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","DigitalConformityCredential"],"credentialSubject":{"id":"urn:example"}}"#;

    let mut g = c.benchmark_group("jws");
    for (alg, name) in [(KeyAlg::Ed25519, "eddsa"), (KeyAlg::EcdsaP256, "es256")] {
        let mut spec = LeafSpec::new("Bench Signer", Profile::DocumentSigner);
        spec.key_alg = alg;
        let leaf = root.issue(&spec).expect("leaf");
        let key = SigningKey::from_pkcs8(leaf.key_pem().as_bytes()).expect("key");
        let der = CertificateDer::from(leaf.der().to_vec());
        let token = jws::sign(payload, &key, std::slice::from_ref(&der), None, true).expect("sign");
        assert!(verifier.verify(&token, AT).valid);

        let parsed = jws::parse(&token).expect("parse");
        let public = key.public_key();
        let input = parsed.signing_input.as_bytes().to_vec();
        let signature = parsed.signature.clone();
        let alg_id = key.algorithm();
        g.bench_function(format!("raw_ring_{name}"), |b| {
            b.iter(|| {
                public.verify(alg_id, black_box(&input), black_box(&signature), EcdsaEncoding::Fixed).expect("ok")
            })
        });
        g.bench_function(format!("verify_{name}_cached"), |b| {
            b.iter(|| assert!(verifier.verify(black_box(&token), AT).valid))
        });
        if alg == KeyAlg::EcdsaP256 {
            let options = PathOptions {
                purpose: Purpose::DocumentSigning,
                time: AT,
                crls: None,
                max_intermediates: None,
                crls_at: None,
            };
            g.bench_function("chain_validation", |b| {
                b.iter(|| verify_path(black_box(&der), &[], &anchors, &options).expect("valid"))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
