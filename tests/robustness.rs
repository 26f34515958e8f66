//! Robustness under arbitrary and mutated input (proptest, in the tree so that every test
//! run fuzzes a little): every reader answers an error with a reason code and a message and
//! never panics; a certificate that still parses after its document was mutated renders and
//! parses back to itself; a mutated JWS verifies only if it still says, byte for byte, what
//! was signed.

use mrgate::crypto::jws;
use mrgate::crypto::keys::SigningKey;
use mrgate::formats::{self, Format};
use mrgate::ledger::checkpoint::Checkpoint;
use mrgate::ledger::entry::Entry;
use mrgate::xml::Limits;
use proptest::prelude::*;
use std::sync::LazyLock;

/// The QMS sample in each format: what the mutations start from.
static SEEDS: LazyLock<Vec<(Format, Vec<u8>)>> = LazyLock::new(|| {
    let limits = Limits::default();
    let cn = include_bytes!("data/cn-qms.xml").to_vec();
    let cert = formats::parse(Format::CnXml, &cn, &limits).expect("the sample parses");
    Format::ALL.iter().map(|&f| (f, formats::render(f, &cert).bytes)).collect()
});

/// One change to a document; positions wrap around its length.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to the grammars weigh as much as all the others.
    let byte = prop_oneof![any::<u8>(), prop::sample::select(b"<>&;\"'/=:{}[],\\ \n0-9aZ\xe4\xff\x00".to_vec())];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(p, b)| Edit::Set(p, b)),
        (any::<usize>(), byte).prop_map(|(p, b)| Edit::Insert(p, b)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut doc: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = doc.len().max(1);
        match *e {
            Edit::Set(p, b) if !doc.is_empty() => doc[p % len] = b,
            Edit::Insert(p, b) => doc.insert(p % (doc.len() + 1), b),
            Edit::Remove(p) if !doc.is_empty() => drop(doc.remove(p % len)),
            Edit::Truncate(p) => doc.truncate(p % (doc.len() + 1)),
            _ => {}
        }
    }
    doc
}

/// Every reader of untrusted bytes, asked about `bytes`: each answers, and each error has
/// a reason code and a message.
fn read_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    for format in Format::ALL {
        if let Err(e) = formats::parse(format, bytes, &limits) {
            prop_assert!(!e.code().is_empty() && !e.to_string().is_empty(), "{format:?}: {e:?}");
        }
    }
    if let Err(e) = mrgate::xml::parse(bytes, &limits) {
        prop_assert!(!e.code().is_empty() && !e.to_string().is_empty(), "xml: {e:?}");
    }
    if let Err(e) = Entry::decode(bytes) {
        prop_assert!(!e.code().is_empty() && !e.to_string().is_empty(), "entry: {e:?}");
    }
    let text = String::from_utf8_lossy(bytes);
    if let Err(e) = Checkpoint::verify(&text, &[7u8; 32]) {
        prop_assert!(!e.code().is_empty() && !e.to_string().is_empty(), "checkpoint: {e:?}");
    }
    if let Err(e) = jws::parse(&text) {
        prop_assert!(!e.code().is_empty() && !e.to_string().is_empty(), "jws: {e:?}");
    }
    if let Err(e) = mrgate::pt::csv::read_results(&text) {
        prop_assert!(!e.to_string().is_empty(), "csv: {e:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_bytes_are_refused_with_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        read_everything(&bytes)?;
    }

    #[test]
    fn a_mutated_document_is_refused_with_a_reason_or_round_trips(
        seed in 0..Format::ALL.len(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let (format, doc) = &SEEDS[seed];
        let mutated = apply(doc.clone(), &edits);
        read_everything(&mutated)?;
        let limits = Limits::default();
        if let Ok(cert) = formats::parse(*format, &mutated, &limits) {
            let again = formats::parse(*format, &formats::render(*format, &cert).bytes, &limits);
            prop_assert_eq!(again, Ok(cert));
        }
    }

    #[test]
    fn a_mutated_jws_verifies_only_as_what_was_signed(edits in prop::collection::vec(edit(), 1..4)) {
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("key");
        let key = SigningKey::from_pkcs8(pkcs8.as_ref()).expect("key");
        let payload = &SEEDS[1].1;
        let token = jws::sign(payload, &key, &[], None, true).expect("sign");
        let signed = jws::parse(&token).expect("parses");
        let mutated = String::from_utf8_lossy(&apply(token.clone().into_bytes(), &edits)).into_owned();
        let Ok(parsed) = jws::parse(&mutated) else { return Ok(()) };
        if jws::verify_signature(&parsed, &key.public_key()).is_ok() {
            prop_assert_eq!(format!("{:?}", parsed), format!("{:?}", signed));
        }
    }
}

/// Base64url leaves unused bits in the last character of a part whose length is not a
/// multiple of 3: a signature whose last character differs only there decodes to the same
/// bytes. Such a token is not the one that was signed, and is refused.
#[test]
fn a_jws_with_other_unused_bits_in_its_signature_is_refused() {
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("key");
    let key = SigningKey::from_pkcs8(pkcs8.as_ref()).expect("key");
    let token = jws::sign(b"{\"a\":1}", &key, &[], None, false).expect("sign");
    let parsed = jws::parse(&token).expect("parses");
    assert!(jws::verify_signature(&parsed, &key.public_key()).is_ok());
    // A 64-byte signature is 86 characters; the last holds 2 bits of data and 4 unused.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *token.as_bytes().last().expect("not empty");
    let value = alphabet.iter().position(|&c| c == last).expect("base64url");
    let twin = alphabet[(value & !0b1111) | ((value + 1) & 0b1111)] as char;
    let mut other = token.clone();
    other.pop();
    other.push(twin);
    let refused = jws::parse(&other).map(|p| jws::verify_signature(&p, &key.public_key()));
    let code = match refused {
        Err(e) | Ok(Err(e)) => e.code(),
        Ok(Ok(_)) => panic!("{other} was accepted"),
    };
    assert_eq!(code, "jws.base64");
}
