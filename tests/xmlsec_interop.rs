//! XML signatures against an independent implementation, xmlsec1 (libxmlsec1 + OpenSSL), in
//! both directions, with tampering caught by both. (xmlsec1 1.2 has no Ed25519 for XML, so
//! the interop runs on ECDSA P-256 and RSA-2048.)

mod common;

use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::{TrustAnchors, read_certificates};
use mrgate::crypto::xmldsig::{self, KeySource, Options, Profile};
use mrgate::pki::{Ca, Issued, KeyAlg, LeafSpec, Profile as CertProfile};
use mrgate::xml::Limits;
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::process::Command;

const DOC: &str = include_str!("data/cn-qms.xml");
const AT: u64 = 1_780_272_000;

fn xmlsec1(args: &[&str]) -> (bool, String) {
    let out = Command::new("xmlsec1").args(args).output().expect("run xmlsec1");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p.to_string_lossy().to_string()
}

struct Setup {
    root: Ca,
    ecdsa: Issued,
    rsa: Issued,
    rsa_key_pem: &'static str,
}

fn setup() -> Setup {
    let mut root = Ca::root("Interop XML Root", "Interop AB", "NL", KeyAlg::EcdsaP256).expect("root");
    let ecdsa = root.issue(&LeafSpec::new("XML ECDSA Signer", CertProfile::DocumentSigner)).expect("leaf");
    let rsa_key_pem = include_str!("data/rsa-2048.key.pem");
    let rsa_key = mrgate::pki::Key::rsa_from_pem(rsa_key_pem).expect("rsa");
    let rsa = root.issue_for(&LeafSpec::new("XML RSA Signer", CertProfile::DocumentSigner), &rsa_key.0).expect("leaf");
    Setup { root, ecdsa, rsa, rsa_key_pem }
}

fn anchors(root: &Ca) -> TrustAnchors {
    let mut a = TrustAnchors::new();
    a.add_der(&CertificateDer::from(root.der().to_vec())).expect("anchor");
    a
}

fn mrgate_verify(root: &Ca, doc: &str) -> Result<(), String> {
    let anchors = anchors(root);
    let options = Options {
        key: KeySource::Trusted { anchors: &anchors, crls: None, at: AT },
        allow_sha1: false,
        profile: Profile::Enveloped,
    };
    xmldsig::verify(doc.as_bytes(), &Limits::default(), &options).map(|_| ()).map_err(|e| e.code().to_string())
}

/// The fixture with an empty enveloped-signature template for xmlsec1 to fill: exclusive
/// c14n, SHA-256 digest, signature `method`, the signer certificate in X509Data.
fn template(method: &str) -> String {
    DOC.replacen(
        "</Certificate>",
        &format!(
            "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
<ds:SignatureMethod Algorithm=\"{method}\"/><ds:Reference URI=\"\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>\
</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></Certificate>"
        ),
        1,
    )
}

fn tamper(doc: &str) -> String {
    doc.replacen("上海示例科技有限公司", "上海假冒科技有限公司", 1)
}

#[test]
fn mrgate_signs_xmlsec1_verifies() {
    if !common::tool("xmlsec1") {
        return;
    }
    let s = setup();
    let dir = tempfile::tempdir().expect("tmp");
    let ca = write(dir.path(), "ca.pem", &s.root.pem());
    for (name, key_pem, cert) in [("ecdsa", s.ecdsa.key_pem(), &s.ecdsa), ("rsa", s.rsa_key_pem.to_string(), &s.rsa)] {
        let key = SigningKey::from_pkcs8(key_pem.as_bytes()).expect("key");
        let signed = xmldsig::sign(DOC, &key, &[CertificateDer::from(cert.der().to_vec())]).expect("sign");
        let good = write(dir.path(), &format!("{name}.xml"), &signed);
        let (ok, out) = xmlsec1(&["--verify", "--trusted-pem", &ca, &good]);
        assert!(ok, "{name}: xmlsec1 rejected mrgate's signature:\n{out}");
        assert_eq!(mrgate_verify(&s.root, &signed), Ok(()));
        let bad = write(dir.path(), &format!("{name}-bad.xml"), &tamper(&signed));
        let (ok, _) = xmlsec1(&["--verify", "--trusted-pem", &ca, &bad]);
        assert!(!ok, "{name}: xmlsec1 accepted a tampered document");
        assert_eq!(mrgate_verify(&s.root, &tamper(&signed)), Err("dsig.digest_mismatch".into()));
    }
    // The signature is placed before the document element's end tag as parsed, not before
    // the last text that looks like it (here in a comment after it, the tag with a space).
    let key = SigningKey::from_pkcs8(s.ecdsa.key_pem().as_bytes()).expect("key");
    let end = DOC.rfind("</").expect("end tag");
    let (body, tag) = DOC.split_at(end);
    let tag = tag.trim_end().trim_end_matches('>');
    let text = format!("{body}{tag} >\n<!-- {tag}> -->\n");
    let signed = xmldsig::sign(&text, &key, &[CertificateDer::from(s.ecdsa.der().to_vec())]).expect("sign");
    assert!(signed.ends_with(&format!("</ds:Signature>\n{tag} >\n<!-- {tag}> -->\n")), "{signed}");
    let good = write(dir.path(), "epilog.xml", &signed);
    let (ok, out) = xmlsec1(&["--verify", "--trusted-pem", &ca, &good]);
    assert!(ok, "xmlsec1 rejected mrgate's signature before a commented end tag:\n{out}");
    assert_eq!(mrgate_verify(&s.root, &signed), Ok(()));
    let bad = write(dir.path(), "epilog-bad.xml", &tamper(&signed));
    assert!(!xmlsec1(&["--verify", "--trusted-pem", &ca, &bad]).0, "xmlsec1 accepted a tampered document");
    assert_eq!(mrgate_verify(&s.root, &tamper(&signed)), Err("dsig.digest_mismatch".into()));
}

#[test]
fn xmlsec1_signs_mrgate_verifies() {
    if !common::tool("xmlsec1") {
        return;
    }
    let s = setup();
    let dir = tempfile::tempdir().expect("tmp");
    for (name, method, key_pem, cert) in [
        ("ecdsa", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", s.ecdsa.key_pem(), &s.ecdsa),
        ("rsa", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", s.rsa_key_pem.to_string(), &s.rsa),
    ] {
        let template = template(method);
        let tmpl = write(dir.path(), &format!("{name}-tmpl.xml"), &template);
        let key = write(dir.path(), &format!("{name}.key"), &key_pem);
        let crt = write(dir.path(), &format!("{name}.pem"), &cert.pem());
        let out_path = dir.path().join(format!("{name}-signed.xml"));
        let (ok, out) = xmlsec1(&[
            "--sign",
            "--privkey-pem",
            &format!("{key},{crt}"),
            "--output",
            out_path.to_str().expect("p"),
            &tmpl,
        ]);
        assert!(ok, "{name}: xmlsec1 failed to sign:\n{out}");
        let signed = std::fs::read_to_string(&out_path).expect("signed");
        assert_eq!(mrgate_verify(&s.root, &signed), Ok(()), "{name}: mrgate rejected xmlsec1's signature");
        // What was verified parses as the certificate it claims to be.
        let cert =
            mrgate::formats::parse(mrgate::formats::Format::CnXml, signed.as_bytes(), &Limits::default()).expect("cn");
        assert_eq!(cert.number.as_str(), "04925Q10021R0M");
        assert_eq!(mrgate_verify(&s.root, &tamper(&signed)), Err("dsig.digest_mismatch".into()));
        let bad = write(dir.path(), &format!("{name}-bad.xml"), &tamper(&signed));
        let (ok, _) = xmlsec1(&["--verify", "--insecure", &bad]);
        assert!(!ok, "{name}: xmlsec1 accepted its own tampered document");
    }
}

/// Real trusted lists sign, beside the whole document, their own signing certificate: a
/// second reference to the signature's `ds:KeyInfo`. xmlsec1 signs such a template; mrgate
/// verifies it and catches a changed KeyInfo; a second reference to anything outside the
/// signature is still refused (the wrapping defence), though xmlsec1 signs and verifies it.
#[test]
fn a_signature_may_sign_its_own_key_info_and_nothing_else_outside() {
    if !common::tool("xmlsec1") {
        return;
    }
    let s = setup();
    let dir = tempfile::tempdir().expect("tmp");
    let key = write(dir.path(), "k.pem", &s.ecdsa.key_pem());
    let crt = write(dir.path(), "c.pem", &s.ecdsa.pem());
    let reference = |uri: &str| {
        format!(
            "<ds:Reference URI=\"{uri}\"><ds:Transforms>{}<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
</ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>",
            if uri.is_empty() {
                "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
            } else {
                ""
            }
        )
    };
    let signed_by_xmlsec1 = |name: &str, doc: &str, second: &str, id_attr: &[&str]| {
        let template = doc.replacen(
            "</Certificate>",
            &format!(
                "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>{}{}</ds:SignedInfo>\
<ds:SignatureValue/><ds:KeyInfo Id=\"signer-key\"><ds:X509Data/></ds:KeyInfo></ds:Signature></Certificate>",
                reference(""),
                reference(second)
            ),
            1,
        );
        let tmpl = write(dir.path(), &format!("{name}-tmpl.xml"), &template);
        let out = dir.path().join(format!("{name}.xml"));
        let mut args = vec!["--sign", "--privkey-pem"];
        let pair = format!("{key},{crt}");
        args.push(&pair);
        args.extend(id_attr);
        args.extend(["--output", out.to_str().expect("p"), &tmpl]);
        let (ok, said) = xmlsec1(&args);
        assert!(ok, "{name}: xmlsec1 failed to sign:\n{said}");
        let signed = std::fs::read_to_string(&out).expect("signed");
        let mut verify = vec!["--verify", "--insecure"];
        verify.extend(id_attr);
        verify.push(out.to_str().expect("p"));
        let (ok, said) = xmlsec1(&verify);
        assert!(ok, "{name}: xmlsec1 does not verify its own:\n{said}");
        signed
    };
    let key_info = signed_by_xmlsec1("key-info", DOC, "#signer-key", &[]);
    assert_eq!(mrgate_verify(&s.root, &key_info), Ok(()), "mrgate refused a signature over its own KeyInfo");
    let changed = key_info.replacen("<ds:X509Data>", "<ds:KeyName>someone else</ds:KeyName><ds:X509Data>", 1);
    assert_ne!(changed, key_info);
    assert_eq!(mrgate_verify(&s.root, &changed), Err("dsig.digest_mismatch".into()));
    assert_eq!(mrgate_verify(&s.root, &tamper(&key_info)), Err("dsig.digest_mismatch".into()));
    // A second reference to part of the document, outside the signature: refused.
    let holder = DOC.replacen("<Holder>", "<Holder Id=\"holder\">", 1);
    let outside = signed_by_xmlsec1("outside", &holder, "#holder", &["--id-attr:Id", "Holder"]);
    assert_eq!(mrgate_verify(&s.root, &outside), Err("dsig.not_whole_document".into()));
}

/// Brainpool (RFC 5639), as European signers use it: a CA and a signer made by Python
/// `cryptography`, a document signed with that signer by xmlsec1 (ECDSA-SHA256 on
/// brainpoolP256r1, ECDSA-SHA384 on brainpoolP384r1). mrgate validates the signer's path
/// to the CA and verifies the signature; a changed document, another root, or the signer
/// itself taken as root are refused.
#[test]
fn brainpool_paths_and_signatures_made_elsewhere_verify_here() {
    if !common::tool("xmlsec1") {
        return;
    }
    let python = Command::new("python3").args(["-c", "import cryptography"]).output().is_ok_and(|o| o.status.success());
    assert!(python || !common::required(), "python3 with cryptography is missing and MRGATE_REQUIRE_CORPUS=1");
    if !python {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/brainpool.py");
    let made = Command::new("python3").arg(script).arg(dir.path()).output().expect("python3");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let file = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let pem = |name: &str| read_certificates(&std::fs::read(file(name)).expect("pem")).expect("certificates");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    for (curve, method) in [
        ("bp256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
        ("bp384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"),
    ] {
        let anchors_of = |name: &str| {
            let mut a = TrustAnchors::new();
            a.add_der(&pem(name)[0]).expect("anchor");
            a
        };
        let (root, other) = (anchors_of(&format!("{curve}-root.pem")), anchors_of(&format!("{curve}-other-root.pem")));
        let leaf = pem(&format!("{curve}-leaf.pem"));
        let options = |at| mrgate::crypto::x509::PathOptions {
            purpose: mrgate::crypto::x509::Purpose::DocumentSigning,
            time: at,
            crls: None,
            max_intermediates: None,
            crls_at: None,
        };
        let path = |anchors: &TrustAnchors| {
            mrgate::crypto::x509::verify_path(&leaf[0], &[], anchors, &options(now)).map(drop).map_err(|e| e.code())
        };
        assert_eq!(path(&root), Ok(()), "{curve}: the path to its root");
        assert_eq!(path(&other), Err("x509.untrusted"), "{curve}: another root");
        assert!(path(&anchors_of(&format!("{curve}-leaf.pem"))).is_err(), "{curve}: the signer as its own root");

        let template = template(method);
        let tmpl = write(dir.path(), &format!("{curve}-tmpl.xml"), &template);
        let signed_path = dir.path().join(format!("{curve}-signed.xml"));
        let pair = format!("{},{}", file(&format!("{curve}-leaf.key")), file(&format!("{curve}-leaf.pem")));
        let (ok, said) =
            xmlsec1(&["--sign", "--privkey-pem", &pair, "--output", signed_path.to_str().expect("p"), &tmpl]);
        assert!(ok, "{curve}: xmlsec1 failed to sign:\n{said}");
        let signed = std::fs::read_to_string(&signed_path).expect("signed");
        let verify = |doc: &str, anchors: &TrustAnchors| {
            let options = Options {
                key: KeySource::Trusted { anchors, crls: None, at: now },
                allow_sha1: false,
                profile: Profile::Enveloped,
            };
            xmldsig::verify(doc.as_bytes(), &Limits::default(), &options).map(drop).map_err(|e| e.code().to_string())
        };
        assert_eq!(verify(&signed, &root), Ok(()), "{curve}: mrgate refused xmlsec1's brainpool signature");
        assert_eq!(verify(&tamper(&signed), &root), Err("dsig.digest_mismatch".into()), "{curve}");
        assert!(verify(&signed, &other).is_err(), "{curve}: another root");
        // The signature value changed in one byte: the brainpool check itself refuses it.
        let start = signed.find("<ds:SignatureValue>").expect("value") + "<ds:SignatureValue>".len();
        let mut bytes = signed.clone().into_bytes();
        bytes[start + 10] = if bytes[start + 10] == b'A' { b'B' } else { b'A' };
        assert_eq!(verify(&String::from_utf8(bytes).expect("utf8"), &root), Err("sig.invalid".into()), "{curve}");

        // Ours there: mrgate signs with the key Python made; xmlsec1 verifies against the
        // Python-made root, and refuses the document tampered and under the other root.
        let key = SigningKey::from_pkcs8(&std::fs::read(file(&format!("{curve}-leaf.key"))).expect("key"))
            .expect("brainpool key");
        assert_eq!(
            key.public_key().kind.name(),
            if curve == "bp256" { "ECDSA brainpoolP256r1" } else { "ECDSA brainpoolP384r1" }
        );
        let ours = xmldsig::sign(DOC, &key, &leaf).expect("mrgate signs with brainpool");
        assert!(ours.contains(&format!("<ds:SignatureMethod Algorithm=\"{method}\"/>")), "{curve}: {ours}");
        let ours_path = write(dir.path(), &format!("{curve}-ours.xml"), &ours);
        let (ok, said) = xmlsec1(&["--verify", "--trusted-pem", &file(&format!("{curve}-root.pem")), &ours_path]);
        assert!(ok, "{curve}: xmlsec1 rejected mrgate's brainpool signature:\n{said}");
        assert_eq!(verify(&ours, &root), Ok(()), "{curve}: mrgate's own");
        let bad = write(dir.path(), &format!("{curve}-ours-bad.xml"), &tamper(&ours));
        let (ok, _) = xmlsec1(&["--verify", "--trusted-pem", &file(&format!("{curve}-root.pem")), &bad]);
        assert!(!ok, "{curve}: xmlsec1 accepted a tampered document");
        let (ok, _) = xmlsec1(&["--verify", "--trusted-pem", &file(&format!("{curve}-other-root.pem")), &ours_path]);
        assert!(!ok, "{curve}: xmlsec1 accepted the signature under another root");
        // JWS names no algorithm for brainpool: a credential is never signed with one.
        let jws = mrgate::crypto::jws::sign(b"{}", &key, &leaf, None, true).expect_err("no JWS brainpool");
        assert_eq!(jws.code(), "alg.unsupported", "{curve}");
    }
}

/// An exclusive canonicalization's one parameter is its `ec:InclusiveNamespaces` with a
/// PrefixList: both implementations take it; anything else in it (a second one, another
/// element, one of another namespace or without a PrefixList) both refuse — xmlsec1 will
/// not sign such a template, mrgate will not verify a signature that has it. A child of the
/// enveloped transform, which takes no parameters, both ignore.
#[test]
fn an_exclusive_canonicalization_takes_its_inclusive_namespaces_and_nothing_else() {
    if !common::tool("xmlsec1") {
        return;
    }
    let s = setup();
    let dir = tempfile::tempdir().expect("tmp");
    let key = write(dir.path(), "rsa.key", s.rsa_key_pem);
    let crt = write(dir.path(), "rsa.pem", &s.rsa.pem());
    let plain = template("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    let sign = |template: &str, name: &str| -> Result<String, String> {
        let tmpl = write(dir.path(), &format!("{name}-tmpl.xml"), template);
        let out_path = dir.path().join(format!("{name}-signed.xml"));
        let args =
            ["--sign", "--privkey-pem", &format!("{key},{crt}"), "--output", out_path.to_str().expect("p"), &tmpl];
        match xmlsec1(&args) {
            (true, _) => Ok(std::fs::read_to_string(&out_path).expect("signed")),
            (false, out) => Err(out),
        }
    };
    const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    let transform = format!("<ds:Transform Algorithm=\"{EXC}\"/>");
    let method = format!("<ds:CanonicalizationMethod Algorithm=\"{EXC}\"/>");
    let enveloped = "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>";
    // `element` (self-closing in the template) holding `children`.
    let holding = |document: &str, element: &str, children: &str| {
        assert!(document.contains(element), "{element}");
        let open = element.trim_end_matches("/>");
        let name = open.split_whitespace().next().expect("name").trim_start_matches('<');
        document.replacen(element, &format!("{open}>{children}</{name}>"), 1)
    };
    let own = |list: &str| format!("<ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" PrefixList=\"{list}\"/>");
    let other = "<o:Parameter xmlns:o=\"urn:other\"/>";

    // Taken by both.
    for (what, element, children) in [
        ("the reference's transform with a PrefixList", transform.as_str(), own("ds")),
        ("SignedInfo's canonicalization with a PrefixList", method.as_str(), own("ds #default")),
        ("the enveloped transform holding an element", enveloped, other.to_string()),
    ] {
        let signed = sign(&holding(&plain, element, &children), "taken").unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(signed.contains(&children), "{what}: {signed}");
        assert_eq!(mrgate_verify(&s.root, &signed), Ok(()), "{what}");
        assert_eq!(mrgate_verify(&s.root, &tamper(&signed)), Err("dsig.digest_mismatch".into()), "{what}");
    }

    // Refused by both: xmlsec1 signs no such template; in a signature xmlsec1 made, mrgate
    // refuses it as a structure (not as a signature that fails).
    let signed = sign(&plain, "plain").expect("xmlsec1 signs the plain template");
    assert_eq!(mrgate_verify(&s.root, &signed), Ok(()));
    for (what, element, children) in [
        ("two in the transform", transform.as_str(), format!("{}{}", own("ds"), own("ds"))),
        ("one and another element", transform.as_str(), format!("{}{other}", own("ds"))),
        ("another element first", transform.as_str(), format!("{other}{}", own("ds"))),
        ("another element alone", transform.as_str(), other.to_string()),
        ("one without a PrefixList", transform.as_str(), format!("<ec:InclusiveNamespaces xmlns:ec=\"{EXC}\"/>")),
        (
            "one of another namespace",
            transform.as_str(),
            "<ec:InclusiveNamespaces xmlns:ec=\"urn:other\" PrefixList=\"ds\"/>".to_string(),
        ),
        ("two in SignedInfo's canonicalization", method.as_str(), format!("{}{}", own("ds"), own("ds"))),
        ("another element in SignedInfo's canonicalization", method.as_str(), other.to_string()),
    ] {
        let refused = sign(&holding(&plain, element, &children), "refused");
        assert!(refused.is_err(), "{what}: xmlsec1 signed it");
        assert_eq!(
            mrgate_verify(&s.root, &holding(&signed, element, &children)),
            Err("dsig.structure".into()),
            "{what}"
        );
    }
}
