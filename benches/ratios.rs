//! mrgate's side of `benches/ratios.sh` (issue 27's targets as ratios): each command times
//! one operation looped in this process and prints nanoseconds per operation, so that the
//! script sets it beside its yardstick measured in the same run. Not a criterion bench:
//! the script reads one number per line.
//!
//! - `xmldsig FILE N [ANCHOR_PEM]`: parse and verify an enveloped XML signature N times, as
//!   `mrgate xmldsig verify` does: the signer's chain validated to ANCHOR_PEM, or with none
//!   the embedded key unverified (as `xmlsec1 --insecure`).
//! - `xmldsig-kept FILE N ANCHOR_PEM`: the same as the gateway's recognition checks it: the
//!   signer's chain validated once and the result kept (a JWS verifier's chain cache), so
//!   each round parses, canonicalizes, digests and checks the document's own signature.
//! - `floor FILE N`: what any verification on this parser pays before building anything:
//!   the document decoded (its UTF-8 checked), every event read by quick-xml with the
//!   checks the tree's builder asks for (text decoded, attributes normalized), and one
//!   SHA-256 over the document's bytes (a canonical form is about as long as the
//!   document). No tree, no canonicalization, no signature: a verification cannot be
//!   faster than this, so libxmlsec1's time over it is the best ratio this design can reach.
//! - `parse FILE N`: the document read into the tree the verification works on, and the
//!   tree dropped — the part of a verification between the floor and the signature.
//! - `signatures LEAF_PEM ISSUER_PEM N`: ring's raw ECDSA P-256 check of the leaf
//!   certificate's signature with its issuer's key, N times, printed twice over: what a
//!   signed certificate verified with its chain must pay at least — the document's
//!   signature and its signer's certificate's, two checks of the same kind (the document's
//!   over its SignedInfo, a few hundred bytes like the certificate's TBS).
//! - `ed25519 JWS_FILE N`: ring's raw Ed25519 check of a compact JWS's signature N times,
//!   with the key of its `x5c` leaf: the floor of a verification.
//!
//! Without a command (as under `cargo test --all-targets`) it does nothing.

use mrgate::crypto::x509::{Crls, TrustAnchors};
use mrgate::crypto::xmldsig::{self, KeySource, Options, Profile};
use mrgate::xml::Limits;
use std::hint::black_box;
use std::time::Instant;

// The allocator the `mrgate` binary runs with, so that this measures what the gateway does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn per_op(n: u32, mut op: impl FnMut()) -> f64 {
    op(); // warm
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    let n: u32 = arg(2).parse().unwrap_or(0);
    match arg(0) {
        "xmldsig" | "xmldsig-kept" => {
            let doc = std::fs::read(arg(1)).expect("document");
            let mut anchors = TrustAnchors::new();
            if let Some(pem) = args.get(3) {
                anchors.add_pem_or_der(&std::fs::read(pem).expect("anchor")).expect("anchor");
            }
            let at = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
            let chains;
            let key = match (arg(0), args.get(3)) {
                ("xmldsig-kept", _) => {
                    chains = mrgate::crypto::jws::Verifier::new(anchors.clone(), Crls::new());
                    KeySource::Kept { chains: &chains, at, now: at }
                }
                (_, Some(_)) => KeySource::Trusted { anchors: &anchors, crls: None, at },
                (_, None) => KeySource::InsecureEmbedded,
            };
            let options = Options { key, allow_sha1: false, profile: Profile::Enveloped };
            let limits = Limits::default();
            xmldsig::verify(&doc, &limits, &options).expect("the document verifies");
            let ns = per_op(n, || {
                xmldsig::verify(black_box(&doc), &limits, &options).expect("valid");
            });
            println!("{ns:.0}");
        }
        "floor" => {
            let doc = std::fs::read(arg(1)).expect("document");
            let ns = per_op(n, || {
                black_box(floor(black_box(&doc)));
            });
            println!("{ns:.0}");
        }
        "parse" => {
            let doc = std::fs::read(arg(1)).expect("document");
            let limits = Limits::default();
            let ns = per_op(n, || {
                black_box(mrgate::xml::parse_document(black_box(&doc), &limits).expect("well-formed"));
            });
            println!("{ns:.0}");
        }
        "signatures" => {
            let pem = |i: usize| std::fs::read(arg(i)).expect("pem");
            let leaf = mrgate::crypto::x509::read_certificates(&pem(1)).expect("leaf").remove(0);
            let issuer = mrgate::crypto::x509::read_certificates(&pem(2)).expect("issuer").remove(0);
            let leaf = x509_parser::parse_x509_certificate(leaf.as_ref()).expect("certificate").1;
            let issuer = x509_parser::parse_x509_certificate(issuer.as_ref()).expect("certificate").1;
            let key = ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                issuer.public_key().subject_public_key.data.to_vec(),
            );
            let (tbs, signature) = (leaf.tbs_certificate.as_ref(), leaf.signature_value.data.as_ref());
            key.verify(tbs, signature).expect("the issuer signed the leaf");
            let n = n.max(1);
            let ns = per_op(n, || key.verify(black_box(tbs), black_box(signature)).expect("valid"));
            println!("{:.0}", 2.0 * ns);
        }
        "ed25519" => {
            let token = std::fs::read_to_string(arg(1)).expect("jws");
            let parsed = mrgate::crypto::jws::parse(token.trim()).expect("jws");
            let leaf = parsed.header["x5c"][0].as_str().expect("x5c");
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, leaf).expect("b64");
            let cert = x509_parser::parse_x509_certificate(&der).expect("certificate").1;
            let raw = cert.public_key().subject_public_key.data.to_vec();
            let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, raw);
            let (input, signature) = (parsed.signing_input.as_bytes(), parsed.signature.clone());
            key.verify(input, &signature).expect("the signature verifies");
            let ns = per_op(n, || key.verify(black_box(input), black_box(&signature)).expect("valid"));
            println!("{ns:.0}");
        }
        // Nothing asked (as under `cargo test --all-targets`, which passes its own flags).
        "" => {}
        flag if flag.starts_with("--") => {}
        _ => {
            eprintln!(
                "usage: ratios xmldsig FILE N [ANCHOR_PEM] | ratios xmldsig-kept FILE N ANCHOR_PEM | ratios floor FILE N | ratios parse FILE N | ratios signatures LEAF_PEM ISSUER_PEM N | ratios ed25519 JWS_FILE N"
            );
            std::process::exit(2);
        }
    }
}

/// Reads `doc` as the tree's builder does, without building (see `floor` above); returns
/// a number depending on everything read, so that nothing is optimized away.
fn floor(doc: &[u8]) -> usize {
    use quick_xml::events::Event;
    let text = mrgate::xml::decode_document(doc).expect("decodes");
    let mut reader = quick_xml::reader::Reader::from_str(&text);
    reader.config_mut().trim_text(false);
    reader.config_mut().enable_all_checks(true);
    let mut seen = 0;
    loop {
        match reader.read_event().expect("well-formed") {
            Event::Start(e) | Event::Empty(e) => {
                seen += e.name().as_ref().len();
                for attr in e.attributes().with_checks(false) {
                    let attr = attr.expect("attribute");
                    seen += attr.normalized_value(quick_xml::XmlVersion::Implicit1_0).expect("value").len();
                }
            }
            Event::Text(t) => seen += t.xml10_content().len(),
            Event::Eof => break,
            _ => seen += 1,
        }
    }
    seen + ring::digest::digest(&ring::digest::SHA256, doc).as_ref().len()
}
