//! Signature wrapping and other attacks on enveloped XML signatures. The XSW1–XSW8 shapes of
//! "On Breaking SAML: Be Whoever You Want to Be" (Somorovsky et al., 2012), adapted to a
//! signed document whose signature covers the document element: each moves the signed
//! content somewhere the verifier does not read, or shadows it, and each must be refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::TrustAnchors;
use mrgate::crypto::xmldsig::{self, DsigError, KeySource, Options, Profile};
use mrgate::pki::{Ca, Issued, KeyAlg, LeafSpec, Profile as CertProfile};
use mrgate::xml::Limits;
use mrgate::xml::c14n::{self, Method};
use rustls_pki_types::CertificateDer;

const AT: u64 = 1_780_272_000;
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

struct Pki {
    root: Ca,
    signer: Issued,
}

fn pki() -> Pki {
    let mut root = Ca::root("Wrapping Root", "Test AB", "DE", KeyAlg::EcdsaP256).expect("root");
    let signer = root.issue(&LeafSpec::new("Wrapping Signer", CertProfile::DocumentSigner)).expect("leaf");
    Pki { root, signer }
}

/// Verifies against the test root, as the gateway's profile does.
fn verified(p: &Pki, doc: &str) -> Result<xmldsig::Verified, xmldsig::DsigError> {
    let mut anchors = TrustAnchors::new();
    anchors.add_der(&CertificateDer::from(p.root.der().to_vec())).expect("anchor");
    let options = Options {
        key: KeySource::Trusted { anchors: &anchors, crls: None, at: AT },
        allow_sha1: false,
        profile: Profile::Enveloped,
    };
    xmldsig::verify(doc.as_bytes(), &Limits::default(), &options)
}

/// The signed amount, or the reason code.
fn verify(p: &Pki, doc: &str) -> Result<String, String> {
    verified(p, doc)
        .map(|v| v.document.root.elements().find(|e| e.local == "Amount").map(|a| a.text()).unwrap_or_default())
        .map_err(|e| e.code().to_string())
}

/// Signs `<Doc Id="d1">…</Doc>` with a reference `URI="#d1"` (enveloped, exclusive c14n),
/// using only library pieces, so tests can also build the signature over other shapes.
fn sign_by_id(p: &Pki, body: &str) -> String {
    let key = SigningKey::from_pkcs8(p.signer.key_pem().as_bytes()).expect("key");
    let cert = STANDARD.encode(p.signer.der());
    let exc = c14n::EXC_C14N;
    let template = |digest: &str, value: &str| {
        format!(
            "<ds:Signature xmlns:ds=\"{DS}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{exc}\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\
<ds:Reference URI=\"#d1\"><ds:Transforms><ds:Transform Algorithm=\"{DS}enveloped-signature\"/>\
<ds:Transform Algorithm=\"{exc}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>{value}</ds:SignatureValue>\
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
        )
    };
    let doc = |sig: &str| format!("<Doc xmlns=\"urn:test\" Id=\"d1\">{body}{sig}</Doc>");
    let method = Method::from_uri(exc).expect("method");
    let placed = mrgate::xml::parse_document(doc(&template("D", "V")).as_bytes(), &Limits::default()).expect("parse");
    let sig_el = placed.root.elements().last();
    let digest =
        STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &c14n::document(&placed, &method, sig_el)));
    let with_digest = doc(&template(&digest, "V"));
    let placed = mrgate::xml::parse_document(with_digest.as_bytes(), &Limits::default()).expect("parse");
    let n = placed.root.elements().count() - 1;
    let si = c14n::subtree(&placed, &[n, 0], &method, None).expect("si");
    let value = STANDARD.encode(key.sign(&si).expect("sign"));
    doc(&template(&digest, &value))
}

/// The signature element of a signed document, as text.
fn signature_of(signed: &str) -> &str {
    let start = signed.find("<ds:Signature").expect("signature");
    let end = signed.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    &signed[start..end]
}

const ORIGINAL: &str = "<Amount>100</Amount><Payee>Alice</Payee>";

/// The original signed, in two parts: the signature element and the document without it.
fn signed_parts(p: &Pki) -> (String, String) {
    let signed = sign_by_id(p, ORIGINAL);
    let sig = signature_of(&signed).to_string();
    let unsigned = signed.replace(&sig, "");
    (sig, unsigned)
}

/// A signer's chain validated for a document is kept between documents (as the gateway's
/// recognition keeps them) only once the signature over SignedInfo verified with its key:
/// a document whose digests are its own but whose signature value is garbage keeps nothing.
#[test]
fn a_chain_is_kept_only_once_the_signature_over_signed_info_verified() {
    let p = pki();
    let mut anchors = TrustAnchors::new();
    anchors.add_der(&CertificateDer::from(p.root.der().to_vec())).expect("anchor");
    let chains = mrgate::crypto::jws::Verifier::new(anchors, mrgate::crypto::x509::Crls::new());
    let kept = |doc: &str| {
        let options = Options {
            key: KeySource::Kept { chains: &chains, at: AT, now: AT },
            allow_sha1: false,
            profile: Profile::Enveloped,
        };
        xmldsig::verify(doc.as_bytes(), &Limits::default(), &options).map(|_| ())
    };
    let signed = sign_by_id(&p, ORIGINAL);
    let value = signed.split("SignatureValue>").nth(1).and_then(|v| v.strip_suffix("</ds:")).expect("a value");
    let garbage = signed.replacen(value, &STANDARD.encode([7u8; 64]), 1);
    assert_eq!(kept(&garbage), Err(DsigError::SignatureInvalid));
    assert_eq!(chains.chains_kept(), 0);
    assert_eq!(kept(&signed), Ok(()));
    assert_eq!(chains.chains_kept(), 1);
    // KeyInfo is not signed: the same genuine document with other certificates added still
    // verifies, and takes its signer's one place among the kept chains, never another.
    let root = STANDARD.encode(p.root.der());
    let leaf = STANDARD.encode(p.signer.der());
    for added in [vec![root.clone()], vec![root.clone(), root.clone()], vec![leaf.clone()]] {
        let extra: String = added.iter().map(|c| format!("<ds:X509Certificate>{c}</ds:X509Certificate>")).collect();
        let padded = signed.replacen("</ds:X509Data>", &format!("{extra}</ds:X509Data>"), 1);
        assert_ne!(padded, signed);
        assert_eq!(kept(&padded), Ok(()), "{} added", added.len());
        assert_eq!(chains.chains_kept(), 1, "{} added", added.len());
    }
    // And the document as it was sent is found again.
    assert_eq!(kept(&signed), Ok(()));
    assert_eq!(chains.chains_kept(), 1);
}

#[test]
fn the_original_verifies() {
    let p = pki();
    assert_eq!(verify(&p, &sign_by_id(&p, ORIGINAL)), Ok("100".into()));
}

#[test]
fn xsw1_original_moved_into_an_object_of_the_signature() {
    let p = pki();
    let (sig, original_doc) = signed_parts(&p);
    let wrapped_sig =
        sig.replacen("</ds:Signature>", &format!("<ds:Object>{original_doc}</ds:Object></ds:Signature>"), 1);
    let attack = format!(
        "<Doc xmlns=\"urn:test\" Id=\"evil\"><Amount>1000000</Amount><Payee>Mallory</Payee>{wrapped_sig}</Doc>"
    );
    assert_eq!(verify(&p, &attack), Err("dsig.not_whole_document".into()));
}

#[test]
fn xsw2_original_as_a_sibling_before_the_signature() {
    let p = pki();
    let (sig, original_doc) = signed_parts(&p);
    let attack = format!("<Doc xmlns=\"urn:test\" Id=\"evil\"><Amount>1000000</Amount>{original_doc}{sig}</Doc>");
    assert_eq!(verify(&p, &attack), Err("dsig.not_whole_document".into()));
}

#[test]
fn xsw3_evil_root_takes_the_signed_id() {
    let p = pki();
    let (sig, original_doc) = signed_parts(&p);
    let attack = format!(
        "<Doc xmlns=\"urn:test\" Id=\"d1\"><Amount>1000000</Amount>{sig}<Extensions>{original_doc}</Extensions></Doc>"
    );
    assert_eq!(verify(&p, &attack), Err("dsig.duplicate_id".into()));
}

#[test]
fn xsw4_signed_document_wrapped_inside_an_evil_root() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let attack = format!("<Doc xmlns=\"urn:test\" Id=\"evil\"><Amount>1000000</Amount>{signed}</Doc>");
    assert_eq!(verify(&p, &attack), Err("dsig.misplaced".into()));
}

#[test]
fn xsw5_content_changed_original_copy_kept_elsewhere() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let attack = signed.replacen(
        "<Amount>100</Amount>",
        "<Amount>1000000</Amount><Extensions><Amount>100</Amount></Extensions>",
        1,
    );
    assert_eq!(verify(&p, &attack), Err("dsig.digest_mismatch".into()));
}

#[test]
fn xsw6_original_inside_the_signature_object_evil_root_keeps_the_id() {
    let p = pki();
    let (sig, original_doc) = signed_parts(&p);
    let wrapped_sig =
        sig.replacen("</ds:Signature>", &format!("<ds:Object>{original_doc}</ds:Object></ds:Signature>"), 1);
    let attack = format!("<Doc xmlns=\"urn:test\" Id=\"d1\"><Amount>1000000</Amount>{wrapped_sig}</Doc>");
    assert_eq!(verify(&p, &attack), Err("dsig.duplicate_id".into()));
}

#[test]
fn xsw7_original_hidden_in_an_unsigned_extension_with_another_id() {
    let p = pki();
    let (sig, original_doc) = signed_parts(&p);
    let attack = format!(
        "<Doc xmlns=\"urn:test\" Id=\"evil\"><Amount>1000000</Amount><Extensions>{original_doc}</Extensions>{sig}</Doc>"
    );
    assert_eq!(verify(&p, &attack), Err("dsig.not_whole_document".into()));
}

#[test]
fn xsw8_original_in_an_object_and_a_second_signature_inside_it() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let sig = signature_of(&signed);
    let wrapped_sig = sig.replacen("</ds:Signature>", &format!("<ds:Object>{signed}</ds:Object></ds:Signature>"), 1);
    let attack = format!("<Doc xmlns=\"urn:test\" Id=\"evil\"><Amount>1000000</Amount>{wrapped_sig}</Doc>");
    assert_eq!(verify(&p, &attack), Err("dsig.multiple_signatures".into()));
}

#[test]
fn comments_cannot_change_what_was_signed() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    // A comment inside the value is outside the digest and outside the value read.
    let commented = signed.replacen("<Amount>100</Amount>", "<Amount>10<!-- 0000 -->0</Amount>", 1);
    assert_eq!(verify(&p, &commented), Ok("100".into()));
    // Making the comment swallow digits changes the value, and the digest sees it.
    let truncated = signed.replacen("<Amount>100</Amount>", "<Amount>1<!--00--></Amount>", 1);
    assert_eq!(verify(&p, &truncated), Err("dsig.digest_mismatch".into()));
}

#[test]
fn whitespace_changes_are_seen() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    assert_eq!(verify(&p, &signed.replacen("<Amount>100", "<Amount> 100", 1)), Err("dsig.digest_mismatch".into()));
}

#[test]
fn duplicate_ids_anywhere_are_refused() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let dup = signed.replacen("<Payee>Alice</Payee>", "<Payee Id=\"x\">Alice</Payee><Note Id=\"x\"/>", 1);
    assert_eq!(verify(&p, &dup), Err("dsig.duplicate_id".into()));
}

#[test]
fn reference_to_nothing() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL).replacen("Id=\"d1\"", "Id=\"d2\"", 1);
    assert_eq!(verify(&p, &signed), Err("dsig.reference_not_found".into()));
}

#[test]
fn two_enveloped_signatures() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let sig = signature_of(&signed).to_string();
    assert_eq!(
        verify(&p, &signed.replacen("</Doc>", &format!("{sig}</Doc>"), 1)),
        Err("dsig.multiple_signatures".into())
    );
}

#[test]
fn tampered_signature_value_and_untrusted_signer() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let start = signed.find("<ds:SignatureValue>").expect("sv") + "<ds:SignatureValue>".len();
    let mut bad = signed.clone();
    let c = if &signed[start..start + 1] == "A" { "B" } else { "A" };
    bad.replace_range(start..start + 1, c);
    assert_eq!(verify(&p, &bad), Err("sig.invalid".into()));
    // Another root with the same name but another key: the chain's signature fails.
    let other = pki();
    assert_eq!(verify(&other, &signed), Err("x509.bad_signature".into()));
}

#[test]
fn xpath_transform_and_sha1_are_refused() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let xpath = signed.replacen(
        &format!("<ds:Transform Algorithm=\"{DS}enveloped-signature\"/>"),
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>",
        1,
    );
    assert_eq!(verify(&p, &xpath), Err("alg.unsupported".into()));
    let sha1 = signed.replacen("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1", 1);
    assert_eq!(verify(&p, &sha1), Err("alg.sha1_refused".into()));
}

#[test]
fn missing_key_info() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let start = signed.find("<ds:KeyInfo>").expect("ki");
    let end = signed.find("</ds:KeyInfo>").expect("end") + "</ds:KeyInfo>".len();
    let mut bare = signed.clone();
    bare.replace_range(start..end, "");
    assert_eq!(verify(&p, &bare), Err("dsig.no_key".into()));
}

mod xades {
    use super::*;

    fn signed_with(p: &Pki) -> String {
        let key = SigningKey::from_pkcs8(p.signer.key_pem().as_bytes()).expect("key");
        xmldsig::sign_at(
            "<Doc xmlns=\"urn:test\"><Amount>100</Amount></Doc>",
            &key,
            &[CertificateDer::from(p.signer.der().to_vec())],
            "2026-05-01T08:00:00Z",
        )
        .expect("sign")
    }

    fn verify_full(p: &Pki, doc: &str) -> Result<Option<String>, String> {
        verified(p, doc).map(|v| v.signing_time).map_err(|e| e.code().to_string())
    }

    #[test]
    fn signing_time_is_signed_and_reported() {
        let p = pki();
        let signed = signed_with(&p);
        assert_eq!(verify_full(&p, &signed), Ok(Some("2026-05-01T08:00:00Z".into())));
        let backdated = signed.replacen("2026-05-01T08:00:00Z", "2020-01-01T00:00:00Z", 1);
        assert_eq!(verify_full(&p, &backdated), Err("dsig.digest_mismatch".into()));
    }

    #[test]
    fn signing_certificate_must_be_the_signer() {
        let p = pki();
        let signed = signed_with(&p);
        // Put another certificate first in KeyInfo: the chain may still validate, but the
        // signed SigningCertificate digest no longer names the certificate used.
        let mut other_root = Ca::root("Wrapping Root", "Test AB", "DE", KeyAlg::EcdsaP256).expect("root");
        let other = other_root.issue(&LeafSpec::new("Other", CertProfile::DocumentSigner)).expect("leaf");
        let swapped = signed.replacen(
            "<ds:X509Certificate>",
            &format!("<ds:X509Certificate>{}</ds:X509Certificate><ds:X509Certificate>", STANDARD.encode(other.der())),
            1,
        );
        assert!(verify_full(&p, &swapped).is_err());
    }

    /// The reason code and message of a refusal.
    fn refusal(p: &Pki, doc: &str) -> (String, String) {
        let e = verified(p, doc).expect_err("refused");
        (e.code().to_string(), e.to_string())
    }

    /// Signed properties stay signed wherever they are moved inside the signature (exclusive
    /// c14n does not see their ancestors), so where they sit and which signature they name
    /// is checked apart from their digest.
    #[test]
    fn qualifying_properties_belong_to_this_signature() {
        let p = pki();
        let signed = signed_with(&p);
        let target = "Target=\"#mrgate-signature\"";
        assert!(signed.contains(target) && signed.contains(" Id=\"mrgate-signature\""));
        let xades = |message: &str| ("dsig.xades".to_string(), format!("XAdES: {message}"));
        for (changed, expected) in [
            (
                signed.replacen(target, "Target=\"#another-signature\"", 1),
                xades(
                    "xades:QualifyingProperties has Target '#another-signature', not this signature's '#mrgate-signature'",
                ),
            ),
            (
                signed.replacen(&format!(" {target}"), "", 1),
                xades("xades:QualifyingProperties has Target '', not this signature's '#mrgate-signature'"),
            ),
            (
                signed.replacen(target, "Target=\"mrgate-signature\"", 1),
                xades(
                    "xades:QualifyingProperties has Target 'mrgate-signature', not this signature's '#mrgate-signature'",
                ),
            ),
            (
                signed.replacen(" Id=\"mrgate-signature\"", "", 1),
                xades(
                    "xades:QualifyingProperties has Target '#mrgate-signature', but the signature has no Id for it to name",
                ),
            ),
            (
                signed.replacen("<ds:Object>", "<ds:Object><Wrapper xmlns=\"urn:w\">", 1).replacen(
                    "</ds:Object>",
                    "</Wrapper></ds:Object>",
                    1,
                ),
                xades("xades:SignedProperties is not in ds:Object/xades:QualifyingProperties of this signature"),
            ),
        ] {
            assert_eq!(refusal(&p, &changed), expected);
        }
    }

    /// base64Binary may hold whitespace (and, being XML, comments), never elements: their text
    /// would otherwise be dropped and the rest decoded as if they were not there.
    #[test]
    fn base64_values_hold_text_only() {
        let p = pki();
        let signed = signed_with(&p);
        let at = signed.find("<ds:X509Certificate>").expect("cert") + "<ds:X509Certificate>".len() + 12;
        let mut with_comment = signed.clone();
        with_comment.insert_str(at, "<!-- a comment -->\n");
        assert_eq!(verify_full(&p, &with_comment), Ok(Some("2026-05-01T08:00:00Z".into())));
        // A processing instruction is not part of the value either (XPath's string value).
        let mut with_pi = signed.clone();
        with_pi.insert_str(at, "<?note AAAA?>");
        assert_eq!(verify_full(&p, &with_pi), Ok(Some("2026-05-01T08:00:00Z".into())));
        let mut with_element = signed.clone();
        with_element.insert_str(at, "<ds:Extra>AAAA</ds:Extra>");
        let (code, message) = refusal(&p, &with_element);
        assert_eq!(code, "dsig.structure");
        assert!(message.ends_with("ds:X509Certificate holds an element <Extra>; expected base64 text"), "{message}");
        let value = signed.find("<ds:SignatureValue>").expect("value") + "<ds:SignatureValue>".len() + 8;
        let mut in_value = signed.clone();
        in_value.insert_str(value, "<x xmlns=\"urn:x\"/>");
        assert_eq!(refusal(&p, &in_value).0, "dsig.structure");
        // XML's own whitespace may stand between base64 characters (as a character
        // reference too); any other space is not base64Binary.
        let mut spaced = signed.clone();
        spaced.insert_str(value, " \t\r\n&#x20;&#9;");
        assert_eq!(verify_full(&p, &spaced), Ok(Some("2026-05-01T08:00:00Z".into())));
        for other in ["\u{A0}", "\u{3000}", "\u{2003}", "\u{85}", "&#xA0;", "\u{2028}"] {
            let mut in_value = signed.clone();
            in_value.insert_str(value, other);
            let (code, message) = refusal(&p, &in_value);
            assert_eq!(code, "dsig.structure", "{other:?}");
            assert!(message.ends_with("ds:SignatureValue is not base64"), "{other:?}: {message}");
            let mut in_cert = signed.clone();
            in_cert.insert_str(at, other);
            let (code, message) = refusal(&p, &in_cert);
            assert_eq!(code, "dsig.structure", "{other:?}");
            assert!(message.ends_with("ds:X509Certificate is not base64"), "{other:?}: {message}");
        }
    }

    #[test]
    fn ed25519_xml_signatures_verify() {
        let mut root = Ca::root("Ed Root", "Test AB", "DE", KeyAlg::EcdsaP256).expect("root");
        let mut spec = LeafSpec::new("Ed Signer", CertProfile::DocumentSigner);
        spec.key_alg = KeyAlg::Ed25519;
        let signer = root.issue(&spec).expect("leaf");
        let p = Pki { root, signer };
        let signed = signed_with(&p);
        assert!(signed.contains("eddsa-ed25519"));
        assert_eq!(verify_full(&p, &signed), Ok(Some("2026-05-01T08:00:00Z".into())));
        assert_eq!(verify_full(&p, &signed.replacen(">100<", ">900<", 1)), Err("dsig.digest_mismatch".into()));
    }

    /// What `sign_at` writes, and nothing else: the gateway's own signed documents are held
    /// to it byte for byte (but for the signature value), so signed content slipped into
    /// the signature (an Object it does not reference) or after it shows.
    #[test]
    fn only_what_sign_at_writes_is_in_its_signed_form() {
        let p = pki();
        let chain = [CertificateDer::from(p.signer.der().to_vec())];
        let alg = mrgate::crypto::keys::KeyKind::EcP256.signing_algorithm();
        let text = "<Doc xmlns=\"urn:test\"><Amount>100</Amount></Doc>";
        let signed = signed_with(&p);
        let form = |s: &str, t: &str, at: &str| xmldsig::is_signed_form(s, t, alg, &chain, at).expect("form");
        assert!(form(&signed, text, "2026-05-01T08:00:00Z"));
        assert!(!form(&signed, text, "2026-05-01T08:00:01Z"), "another signing time");
        assert!(!form(&signed, "<Doc xmlns=\"urn:test\"><Amount>900</Amount></Doc>", "2026-05-01T08:00:00Z"));
        let object =
            signed.replacen("</ds:Signature>", "<ds:Object><Amount>900</Amount></ds:Object></ds:Signature>", 1);
        assert!(verify_full(&p, &object).is_ok(), "an Object no reference names leaves the signature valid");
        assert!(!form(&object, text, "2026-05-01T08:00:00Z"));
        let after = signed.replacen("</ds:Signature>", "</ds:Signature><Amount>900</Amount>", 1);
        assert!(!form(&after, text, "2026-05-01T08:00:00Z"));
        assert_eq!(xmldsig::unsigned_of(&signed).as_deref(), Some(text));
        let decoy = signed.replacen(
            "</ds:Signature>\n",
            "</ds:Signature><Amount>900</Amount><ds:Signature xmlns:ds=\"urn:x\"></ds:Signature>\n",
            1,
        );
        assert_ne!(decoy, signed);
        assert!(!form(&decoy, text, "2026-05-01T08:00:00Z"));
    }

    /// A document whose text holds the signer's own placeholders signs and verifies: they
    /// are filled in the signature, which comes after the document's content.
    #[test]
    fn placeholders_in_the_document_are_only_text() {
        let p = pki();
        let key = SigningKey::from_pkcs8(p.signer.key_pem().as_bytes()).expect("key");
        let text =
            "<Doc xmlns=\"urn:test\"><Name>@@SIGNATURE-VALUE@@ @@DIGEST-VALUE@@ @@PROPERTIES-DIGEST@@</Name></Doc>";
        let chain = [CertificateDer::from(p.signer.der().to_vec())];
        let signed = xmldsig::sign_at(text, &key, &chain, "2026-05-01T08:00:00Z").expect("sign");
        assert!(signed.contains("<Name>@@SIGNATURE-VALUE@@ @@DIGEST-VALUE@@ @@PROPERTIES-DIGEST@@</Name>"), "{signed}");
        assert_eq!(verify_full(&p, &signed), Ok(Some("2026-05-01T08:00:00Z".into())));
    }

    /// The signature goes before the document element's end tag as the parser read it:
    /// written with a space, with its text (and the placeholders) in a comment or a
    /// processing instruction after it, behind a byte-order mark. Each signs, verifies,
    /// keeps the text around the signature byte for byte, and is in the signed form.
    #[test]
    fn the_signature_goes_before_the_document_elements_own_end_tag() {
        let p = pki();
        let key = SigningKey::from_pkcs8(p.signer.key_pem().as_bytes()).expect("key");
        let chain = [CertificateDer::from(p.signer.der().to_vec())];
        let alg = mrgate::crypto::keys::KeyKind::EcP256.signing_algorithm();
        let at = "2026-05-01T08:00:00Z";
        let body = "<Doc xmlns=\"urn:test\"><Amount>100</Amount>";
        for (end, epilog) in [
            ("</Doc >", ""),
            ("</Doc>", "<!-- </Doc> @@SIGNATURE-VALUE@@ @@DIGEST-VALUE@@ @@PROPERTIES-DIGEST@@ -->"),
            ("</Doc>", "\n<?note </Doc>?>\n"),
            ("</Doc\n>", "<!--</Doc>--><!--</Doc>-->"),
        ] {
            for bom in ["", "\u{FEFF}"] {
                let text = format!("{bom}{body}{end}{epilog}");
                let signed = xmldsig::sign_at(&text, &key, &chain, at).expect("sign");
                let (before, after) = signed.split_once("  <ds:Signature").expect("placed");
                assert_eq!(before, format!("{bom}{body}"));
                assert!(after.ends_with(&format!("</ds:Signature>\n{end}{epilog}")), "{signed}");
                assert_eq!(verify_full(&p, &signed), Ok(Some(at.into())), "{text}");
                assert!(xmldsig::is_signed_form(&signed, &text, alg, &chain, at).expect("form"), "{text}");
                let moved = signed.replacen(">100<", ">900<", 1);
                assert_eq!(verify_full(&p, &moved), Err("dsig.digest_mismatch".into()));
            }
        }
        // An empty-element document element has no end tag to sign before: refused, named.
        let refused =
            xmldsig::sign_at("<Doc xmlns=\"urn:test\"/><!-- </Doc> -->", &key, &chain, at).expect_err("empty");
        assert_eq!(refused.code(), "dsig.structure");
        assert!(refused.to_string().contains("empty-element tag"), "{refused}");
    }
}

/// Signed here, with library pieces: the document (`#d1`, enveloped) and, beside it, the
/// parts of the signature `also` names — `#k1` its KeyInfo, `#o1` an Object holding a decoy
/// `<Amount>`, `#a1` that decoy, `#cm` its CanonicalizationMethod (inside SignedInfo).
fn sign_with_more(p: &Pki, also: &[&str]) -> String {
    let key = SigningKey::from_pkcs8(p.signer.key_pem().as_bytes()).expect("key");
    let cert = STANDARD.encode(p.signer.der());
    let exc = c14n::EXC_C14N;
    let method = Method::from_uri(exc).expect("method");
    let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    let template = |digests: &[String], value: &str| {
        let mut refs = format!(
            "<ds:Reference URI=\"#d1\"><ds:Transforms><ds:Transform Algorithm=\"{DS}enveloped-signature\"/>\
<ds:Transform Algorithm=\"{exc}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{sha256}\"/>\
<ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
            digests[0]
        );
        for (uri, digest) in also.iter().zip(&digests[1..]) {
            refs.push_str(&format!(
                "<ds:Reference URI=\"{uri}\"><ds:Transforms><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"{sha256}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
            ));
        }
        format!(
            "<ds:Signature xmlns:ds=\"{DS}\"><ds:SignedInfo><ds:CanonicalizationMethod Id=\"cm\" Algorithm=\"{exc}\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>{refs}</ds:SignedInfo>\
<ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo Id=\"k1\"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate>\
</ds:X509Data></ds:KeyInfo><ds:Object Id=\"o1\"><Amount xmlns=\"urn:test\" Id=\"a1\">999</Amount></ds:Object></ds:Signature>"
        )
    };
    let doc = |sig: &str| format!("<Doc xmlns=\"urn:test\" Id=\"d1\">{ORIGINAL}{sig}</Doc>");
    let blank: Vec<String> = std::iter::repeat_n("D".to_string(), also.len() + 1).collect();
    let placed =
        mrgate::xml::parse_document(doc(&template(&blank, "V")).as_bytes(), &Limits::default()).expect("parse");
    let n = placed.root.elements().count() - 1;
    let sig_el = placed.root.elements().last();
    let hash = |octets: &[u8]| STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, octets));
    let mut digests = vec![hash(&c14n::document(&placed, &method, sig_el))];
    for uri in also {
        // Signature children: SignedInfo 0, SignatureValue 1, KeyInfo 2, Object 3.
        let path = match *uri {
            "#k1" => vec![n, 2],
            "#o1" => vec![n, 3],
            "#a1" => vec![n, 3, 0],
            "#cm" => vec![n, 0, 0],
            other => panic!("{other}"),
        };
        digests.push(hash(&c14n::subtree(&placed, &path, &method, None).expect("part")));
    }
    let with_digests = doc(&template(&digests, "V"));
    let placed = mrgate::xml::parse_document(with_digests.as_bytes(), &Limits::default()).expect("parse");
    let si = c14n::subtree(&placed, &[n, 0], &method, None).expect("si");
    let value = STANDARD.encode(key.sign(&si).expect("sign"));
    doc(&template(&digests, &value))
}

/// A signature may sign parts of itself beside the document — its KeyInfo, an Object — and
/// what is read is still the document alone (the Object's decoy amount is never it); a
/// changed part fails its digest; a reference into SignedInfo is refused.
#[test]
fn a_signature_signs_its_own_key_info_or_object_beside_the_document() {
    let p = pki();
    assert_eq!(verify(&p, &sign_with_more(&p, &[])), Ok("100".into()));
    for also in [&["#k1"][..], &["#o1"], &["#k1", "#o1"]] {
        let signed = sign_with_more(&p, also);
        assert_eq!(verify(&p, &signed), Ok("100".into()), "{also:?}");
        let decoy = signed.replacen(">999<", ">998<", 1);
        let expected = if also.contains(&"#o1") { Err("dsig.digest_mismatch".into()) } else { Ok("100".into()) };
        assert_eq!(verify(&p, &decoy), expected, "{also:?}");
    }
    assert_eq!(verify(&p, &sign_with_more(&p, &["#cm"])), Err("dsig.not_whole_document".into()));
}

/// Each part of a signature is signed once: two references to one part, or to a part and
/// something inside it, are refused before either is canonicalized a second time (found by
/// review: seven references to one large Object cost seconds before the signer was looked at).
#[test]
fn a_part_of_the_signature_is_signed_once() {
    let p = pki();
    assert_eq!(verify(&p, &sign_with_more(&p, &["#a1"])), Ok("100".into()));
    assert_eq!(verify(&p, &sign_with_more(&p, &["#k1", "#a1"])), Ok("100".into()));
    for (also, uri, earlier) in [
        (&["#o1", "#o1"][..], "#o1", "#o1"),
        (&["#k1", "#k1"], "#k1", "#k1"),
        (&["#o1", "#a1"], "#a1", "#o1"),
        (&["#a1", "#o1"], "#o1", "#a1"),
        (&["#k1", "#o1", "#k1"], "#k1", "#k1"),
    ] {
        let refused = verified(&p, &sign_with_more(&p, also)).map(|_| ()).expect_err("overlapping");
        assert_eq!(refused, DsigError::OverlappingReferences { uri: uri.into(), earlier: earlier.into() }, "{also:?}");
        assert_eq!((refused.code(), refused.check()), ("dsig.overlapping_references", "profile"));
    }
    // Of a part, the enveloped-signature transform leaves nothing (the part is inside the
    // signature it takes out): such a reference signs nothing, and is refused as not the
    // document rather than taken as signing the part (xmlsec1 digests the empty node-set).
    let signed = sign_with_more(&p, &["#o1"]);
    let transforms = "<ds:Reference URI=\"#o1\"><ds:Transforms>";
    let enveloped =
        signed.replacen(transforms, &format!("{transforms}<ds:Transform Algorithm=\"{DS}enveloped-signature\"/>"), 1);
    assert_ne!(enveloped, signed);
    let refused = verified(&p, &enveloped).map(|_| ()).expect_err("a reference that signs nothing");
    assert_eq!(refused, DsigError::NotWholeDocument { uri: "#o1".into() });
}

/// Every reference costs a canonicalization and a digest, so their number is bounded before
/// any is computed, and a second reference to the whole document is refused before the
/// document is canonicalized again (a SignedInfo of thousands of correct `#d1` references
/// over a large document was gigabytes of work before the refusal).
#[test]
fn references_are_bounded_before_the_work_they_cost() {
    let p = pki();
    let signed = sign_by_id(&p, ORIGINAL);
    let start = signed.find("<ds:Reference").expect("reference");
    let end = signed.find("</ds:Reference>").expect("end") + "</ds:Reference>".len();
    let reference = &signed[start..end];
    let with = |n: usize| signed.replacen(reference, &reference.repeat(n), 1);
    let second = DsigError::NotWholeDocument { uri: "2 content references".into() };
    assert_eq!(verified(&p, &with(2)).map(|_| ()), Err(second.clone()));
    assert_eq!(verified(&p, &with(xmldsig::MAX_REFERENCES)).map(|_| ()), Err(second));
    for n in [xmldsig::MAX_REFERENCES + 1, 1000] {
        let err = verified(&p, &with(n)).map(|_| ()).expect_err("too many");
        assert_eq!(err.code(), "dsig.structure", "{err}");
        assert!(err.to_string().ends_with("more than 8 ds:Reference in ds:SignedInfo"), "{err}");
    }
    assert_eq!(verify(&p, &with(1)), Ok("100".into()));
}
