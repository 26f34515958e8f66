//! The recognition decision against the demo trust list: a recognized foreign certificate,
//! and one rejection per rule — signature, chain, revoked signer, a signer not listed for the
//! CB, no membership for the scope, membership suspended or withdrawn at issue time,
//! non-equivalent standard, expired, suspended (in the document and by a notice), a CB
//! withdrawn from the list.

use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::{Crls, TrustAnchors, read_certificates};
use mrgate::formats::{self, Format};
use mrgate::ids::{BodyId, ForeignBodyId, parse_date};
use mrgate::model::{Accreditation, Category, Certificate, ProgramCode, Status};
use mrgate::recognition::{self, Context, HeldDocument, NoRegister, Registered, StatusSource, Verdict};
use mrgate::standards::Table;
use mrgate::trust::TrustList;
use mrgate::xml::Limits;
use time::OffsetDateTime;
use time::macros::datetime;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

fn read(p: &str) -> Vec<u8> {
    std::fs::read(format!("{DEMO}/{p}")).expect("read")
}

fn trust_list() -> TrustList {
    let mut operator = TrustAnchors::new();
    operator.add_pem_or_der(&read("ca.pem")).expect("anchor");
    TrustList::load(&read("trust-list.xml"), &operator, None, 1_780_272_000, &Limits::default()).expect("list")
}

fn crls() -> Crls {
    let mut c = Crls::new();
    for body in ["dakks", "ukas", "anab"] {
        c.add_pem_or_der(&read(&format!("foreign/{body}/crl.pem"))).expect("crl");
    }
    c
}

/// A certificate issued by a foreign CB of the demo list.
fn certificate(cb: &str, program: ProgramCode, issued: &str) -> Certificate {
    let mut c = formats::parse(Format::CnXml, include_bytes!("data/cn-qms.xml"), &Limits::default()).expect("fixture");
    c.certification_body.id = BodyId::Foreign(ForeignBodyId::parse(cb).expect("id"));
    // Named as the demo list holds it (the fixture's names are another CB's).
    c.certification_body.name = format!("{} demo certification body", cb.trim_end_matches("-cb"));
    c.certification_body.name_en = None;
    c.certification_body.accreditation = Some(Accreditation {
        body: cb.trim_end_matches("-cb").to_uppercase(),
        number: "D-ZM-0001".into(),
        country: None,
    });
    c.program_code = program;
    c.category = program.category();
    if program.category() == Category::Product {
        c.program = "Product certification".into();
        c.standards = vec!["IEC 60335-1:2004".into()];
    }
    c.issue_date = parse_date(issued).expect("date");
    c.expiry_date = c.issue_date.replace_year(c.issue_date.year() + 3).expect("date");
    c.status_date = Some(c.issue_date);
    c
}

fn key_and_chain(signer: &str) -> (SigningKey, Vec<rustls_pki_types::CertificateDer<'static>>) {
    (
        SigningKey::from_pkcs8(&read(&format!("{signer}.key"))).expect("key"),
        read_certificates(&read(&format!("{signer}.pem"))).expect("cert"),
    )
}

fn as_jws(c: &Certificate, signer: &str) -> Vec<u8> {
    let (key, chain) = key_and_chain(signer);
    let vc: serde_json::Value = serde_json::from_slice(&formats::render(Format::UntpDcc, c).bytes).expect("json");
    mrgate::crypto::jws::sign(&serde_json::to_vec(&vc).expect("json"), &key, &chain, None, true)
        .expect("sign")
        .into_bytes()
}

fn as_iaf_xml(c: &Certificate, signer: &str) -> Vec<u8> {
    let (key, chain) = key_and_chain(signer);
    let xml = String::from_utf8(formats::render(Format::IafXml, c).bytes).expect("utf8");
    mrgate::crypto::xmldsig::sign(&xml, &key, &chain).expect("sign").into_bytes()
}

fn as_cn_xml(c: &Certificate, signer: &str) -> Vec<u8> {
    let (key, chain) = key_and_chain(signer);
    let xml = String::from_utf8(formats::render(Format::CnXml, c).bytes).expect("utf8");
    mrgate::crypto::xmldsig::sign(&xml, &key, &chain).expect("sign").into_bytes()
}

/// A register holding a status, and a document when given one (its facts, as CN XML); no
/// document exported.
struct Register(Registered, Option<HeldDocument>);

impl StatusSource for Register {
    fn current(&self, _: &str, _: &str) -> (Registered, Option<HeldDocument>) {
        (self.0.clone(), self.1.clone())
    }

    fn exported(&self, _: &str, _: &str, _: &[String]) -> Result<bool, String> {
        Ok(false)
    }
}

/// A register holding the documents exported of `certificate` (issuer, number) by these
/// digests, or (`Err`) that cannot tell which it holds; otherwise `register`'s.
struct Exports<'r> {
    register: &'r Register,
    certificate: (&'r str, &'r str),
    digests: Result<Vec<String>, String>,
}

impl StatusSource for Exports<'_> {
    fn current(&self, issuer: &str, number: &str) -> (Registered, Option<HeldDocument>) {
        self.register.current(issuer, number)
    }

    fn exported(&self, issuer: &str, number: &str, readings: &[String]) -> Result<bool, String> {
        match self.digests.clone() {
            Ok(held) => Ok((issuer, number) == self.certificate && readings.iter().any(|r| held.contains(r))),
            Err(why) => Err(why),
        }
    }
}

fn decide_with(doc: &[u8], list: &TrustList, now: OffsetDateTime, register: &dyn StatusSource) -> Verdict {
    let table = Table::embedded();
    let crls = crls();
    let ctx = Context {
        trust_list: list,
        equivalence: &table,
        crls: Some(&crls),
        register,
        own_signers: &[],
        verifying: true,
        now,
        limits: Limits::default(),
        verifiers: None,
    };
    let fresh = recognition::decide(doc, &ctx);
    // The same decision through verifiers kept across every test of this file (the CRLs are
    // always the same demo ones): a chain cached at one time or under one trust list must
    // never change a later answer.
    static KEPT: std::sync::OnceLock<recognition::Verifiers> = std::sync::OnceLock::new();
    let kept =
        recognition::decide(doc, &Context { verifiers: Some(KEPT.get_or_init(recognition::Verifiers::new)), ..ctx });
    assert_eq!(
        serde_json::to_value(&kept).expect("json"),
        serde_json::to_value(&fresh).expect("json"),
        "kept verifiers changed the decision"
    );
    fresh
}

fn decide(doc: &[u8], now: OffsetDateTime) -> Verdict {
    decide_with(doc, &trust_list(), now, &NoRegister)
}

/// The build's equivalence table with every row confirmed, as an operator who confirmed
/// them installs it: the build's own recognizes nothing by a row not verified (rule set 23).
fn confirmed_table() -> Table {
    Table::parse(&mrgate::standards::EMBEDDED_TABLE.replace("verified = false", "verified = true")).expect("table")
}

const NOW: OffsetDateTime = datetime!(2026-06-01 0:00 UTC);

fn failed(v: &Verdict) -> (&'static str, String) {
    let c = v.checks.iter().find(|c| c.outcome == mrgate::crypto::Outcome::Fail).expect("a failed check");
    (c.check, c.reason.clone())
}

#[test]
fn a_recognized_foreign_certificate_as_jws_and_as_signed_iaf_xml() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    for doc in [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")] {
        let v = decide(&doc, NOW);
        assert!(v.valid, "{:#?}", v.checks);
        assert_eq!(v.status, "valid");
        assert_eq!(v.issuer.as_deref(), Some("dakks-cb"));
        let checks: Vec<&str> = v.checks.iter().map(|c| c.check).collect();
        assert_eq!(checks, ["format", "signature", "chain", "accreditation", "standards", "validity"]);
        assert_eq!(v.checks[3].reason, "trust.mra_active");
        assert_eq!(v.trust_list, trust_list().digest);
        assert_eq!(v.equivalence_table, Table::embedded().version);
    }
}

#[test]
fn tampered_signature() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let doc = String::from_utf8(as_jws(&cert, "foreign/dakks/signer")).expect("utf8");
    let (head, sig) = doc.rsplit_once('.').expect("dot");
    let mut bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).expect("b64");
    bytes[0] ^= 1;
    let forged = format!("{head}.{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes));
    let v = decide(forged.as_bytes(), NOW);
    assert!(!v.valid);
    assert_eq!(failed(&v), ("signature", "sig.invalid".into()));
    assert_eq!(v.status, "unknown");
    // And a tampered XML record.
    let xml = String::from_utf8(as_iaf_xml(&cert, "foreign/dakks/signer")).expect("utf8").replacen(
        ">Active<",
        ">Active <",
        1,
    );
    assert_eq!(failed(&decide(xml.as_bytes(), NOW)), ("signature", "dsig.digest_mismatch".into()));
}

#[test]
fn chain_from_another_accreditation_body() {
    // Signed by UKAS's CB signer but claiming to come from dakks-cb: no DAkkS anchor fits.
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let v = decide(&as_jws(&cert, "foreign/ukas/signer"), NOW);
    assert_eq!(failed(&v), ("chain", "x509.untrusted".into()));
}

/// A management-system certificate of the domestic CB CNCA-R-2002-001, accredited by CNAS.
fn domestic_certificate() -> Certificate {
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    cert.certification_body.id = BodyId::Cnca(mrgate::ids::ApprovalNo::parse("CNCA-R-2002-001").expect("id"));
    cert.certification_body.name = "中国质量认证中心".into();
    if let Some(a) = cert.certification_body.accreditation.as_mut() {
        a.body = "CNAS".into();
    }
    cert
}

#[test]
fn signer_not_listed_for_the_cb() {
    // The domestic root signs for CNCA CBs; CNCA-R-2002-002's key cannot sign for CNCA-R-2002-001.
    let cert = domestic_certificate();
    let v = decide(&as_jws(&cert, "cb/CNCA-R-2002-002"), NOW);
    assert_eq!(failed(&v), ("chain", "trust.signer_not_listed".into()));
    // The right key is recognized (CNAS is an IAF MLA signatory).
    assert!(decide(&as_jws(&cert, "cb/CNCA-R-2002-001"), NOW).valid);
}

/// The gateway's own signing key stands for the documents it exported and for no other,
/// even where the trust list also grants it as a CB's signer: as that signer it would be
/// held to less than as the gateway's export (found by review of rule set 20). Its document
/// is refused `trust.not_exported` until the register holds it among the certificate's
/// exports; the same key that is not the gateway's is the CB's granted signer, and valid.
#[test]
fn the_gateways_key_granted_as_a_cbs_signer_too_stands_only_for_its_exports() {
    let cert = domestic_certificate();
    let document = as_jws(&cert, "cb/CNCA-R-2002-001");
    let (_, chain) = key_and_chain("cb/CNCA-R-2002-001");
    let own = [chain.first().expect("leaf").as_ref().to_vec()];
    let (list, table, crls) = (trust_list(), Table::embedded(), crls());
    let decided = |register: &dyn StatusSource, own_signers: &[Vec<u8>]| {
        let ctx = Context {
            trust_list: &list,
            equivalence: &table,
            crls: Some(&crls),
            register,
            own_signers,
            verifying: true,
            now: NOW,
            limits: Limits::default(),
            verifiers: None,
        };
        recognition::decide(&document, &ctx)
    };
    let v = decided(&held(&cert), &own);
    assert_eq!(failed(&v), ("chain", "trust.not_exported".into()));
    let v = decided(&NoRegister, &own);
    assert_eq!(failed(&v), ("chain", "trust.not_exported".into()));
    let exported = || Ok(mrgate::decisions::register::exported::digests(&document));
    let this = (cert.issuer_id(), cert.number.as_str());
    let register = held(&cert);
    // Another document among the certificate's exports: still not this one.
    let other = as_jws(&cert, "cb/CNCA-R-2002-002");
    let others = Exports {
        register: &register,
        certificate: this,
        digests: Ok(mrgate::decisions::register::exported::digests(&other)),
    };
    assert_eq!(failed(&decided(&others, &own)), ("chain", "trust.not_exported".into()));
    // This document among another certificate's exports: not this one's.
    let elsewhere = Exports { register: &register, certificate: (this.0, "00000Q00000R0M"), digests: exported() };
    assert_eq!(failed(&decided(&elsewhere, &own)), ("chain", "trust.not_exported".into()));
    // Among the exports of a certificate the register holds no document of (not held, or
    // its status alone): an export registers both in one write, so this is none of them.
    for register in [Register(Registered::NotHeld, None), Register(Registered::Status(Status::Valid), None)] {
        let orphan = Exports { register: &register, certificate: this, digests: exported() };
        assert_eq!(failed(&decided(&orphan, &own)), ("chain", "trust.not_exported".into()), "{:?}", register.0);
    }
    // A register that cannot tell which documents were exported, or whose status does not
    // read: closed, before any other check.
    let unknown = Exports { register: &register, certificate: this, digests: Err("store: disk I/O error".into()) };
    let v = decided(&unknown, &own);
    assert_eq!(failed(&v), ("chain", mrgate::recognition::REGISTER_UNAVAILABLE.into()));
    assert!(v.checks.iter().any(|c| c.message == "the register cannot be read: store: disk I/O error"), "{v:?}");
    let unreadable = Register(Registered::Unavailable("stored status 'x' is not a status".into()), None);
    let v = decided(&Exports { register: &unreadable, certificate: this, digests: exported() }, &own);
    assert_eq!(failed(&v), ("chain", mrgate::recognition::REGISTER_UNAVAILABLE.into()));
    // Among the certificate's exports, it is the gateway's.
    let v = decided(&Exports { register: &register, certificate: this, digests: exported() }, &own);
    assert!(v.valid, "{v:?}");
    // Only the gateway's own signature asks which documents were exported: the CB's
    // signer's does not, and a register that cannot tell that is no matter to it.
    assert!(decided(&unknown, &[]).valid);
    // Not the gateway's key: the CB's granted signer, as any.
    assert!(decided(&held(&cert), &[]).valid);
}

/// Only a document-signing service's certificates sign: a list may hold services of other
/// types (an ETSI list's timestamping or CRL-issuing services), and a certificate listed
/// there for the CB, however granted, vouches for nothing the gateway decides — even while
/// the CB's signing service, holding other certificates, anchors the path.
#[test]
fn a_service_of_another_type_signs_nothing() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let (jws, xml) = (as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer"));
    let signer = read_certificates(&read("foreign/dakks/signer.pem")).expect("pem").remove(0);
    let listed = trust_list();
    for doc in [&jws, &xml] {
        assert!(decide_with(doc, &listed, NOW, &NoRegister).valid);
    }
    assert_eq!(listed.signing_certificates_of("dakks-cb", NOW).len(), 2);
    for other in [
        "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST",
        "http://uri.etsi.org/TrstSvc/Svctype/Certstatus/CRL",
        "",
        "urn:mrgate:trust-list:service-type:document-signing:v2",
        "URN:MRGATE:TRUST-LIST:SERVICE-TYPE:DOCUMENT-SIGNING",
    ] {
        // The signer moved to a second service of another type; the signing service keeps
        // the other certificate, so the CB is still anchored through DAkkS.
        let mut list = trust_list();
        let cb = list.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks-cb")).expect("cb");
        let mut moved = cb.services[0].clone();
        moved.type_id = other.into();
        moved.certificates.retain(|c| c.as_slice() == signer.as_ref());
        cb.services[0].certificates.retain(|c| c.as_slice() != signer.as_ref());
        cb.services.push(moved);
        assert_eq!(list.signing_certificates_of("dakks-cb", NOW).len(), 1, "{other:?}");
        assert!(!list.grants_signer("dakks-cb", &signer, NOW), "{other:?}");
        assert_eq!(list.anchors_for_cb("dakks-cb", NOW).len(), 2, "{other:?}: its own and DAkkS's");
        for doc in [&jws, &xml] {
            let v = decide_with(doc, &list, NOW, &NoRegister);
            assert!(!v.valid, "{other:?}");
            assert_eq!(
                failed(&v),
                ("chain", "trust.signer_not_listed".into()),
                "{other:?}: {}",
                serde_json::to_string(&v.checks).expect("json")
            );
        }
        // Nor does a CB holding no signing service at all anchor anything through DAkkS.
        let cb = list.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks-cb")).expect("cb");
        cb.services.remove(0);
        assert!(list.signing_certificates_of("dakks-cb", NOW).is_empty(), "{other:?}");
        assert!(list.anchors_for_cb("dakks-cb", NOW).is_empty(), "{other:?}");
        for doc in [&jws, &xml] {
            let v = decide_with(doc, &list, NOW, &NoRegister);
            assert!(!v.valid, "{other:?}");
            assert_eq!(failed(&v), ("chain", "x509.untrusted".into()), "{other:?}: no anchor for its CB");
        }
    }
}

#[test]
fn revoked_signer() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let v = decide(&as_jws(&cert, "foreign/dakks/revoked-signer"), NOW);
    assert_eq!(failed(&v), ("chain", "x509.revoked".into()));
}

#[test]
fn unknown_cb() {
    let cert = certificate("nobody-cb", ProgramCode::Qms, "2026-01-15");
    let v = decide(&as_jws(&cert, "foreign/dakks/signer"), NOW);
    assert_eq!(failed(&v), ("chain", "trust.cb_unknown".into()));
}

#[test]
fn no_membership_for_the_scope() {
    let cert = certificate("dakks-cb", ProgramCode::Product, "2026-01-15");
    let doc = as_jws(&cert, "foreign/dakks/signer");
    assert!(decide(&doc, NOW).valid, "DAkkS holds the 17065 membership");
    let mut list = trust_list();
    let dakks = list.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks")).expect("dakks");
    dakks.body.as_mut().expect("body").memberships.retain(|m| m.scope != "ISO/IEC 17065");
    let v = decide_with(&doc, &list, NOW, &NoRegister);
    assert_eq!(failed(&v), ("accreditation", "trust.mra_none".into()));
}

#[test]
fn membership_suspended_at_issue_time() {
    // UKAS's 17065 membership is suspended since 2026-03-01.
    let after = certificate("ukas-cb", ProgramCode::Product, "2026-04-01");
    assert_eq!(
        failed(&decide(&as_jws(&after, "foreign/ukas/signer"), NOW)),
        ("accreditation", "trust.mra_suspended".into())
    );
    // A certificate dated before the suspension is its body's word alone while the
    // suspension lasts (found by attack: dating a credential before it was enough): it is
    // recognized as the register holds it, recognized before, and not otherwise.
    let before = certificate("ukas-cb", ProgramCode::Product, "2026-02-01");
    let doc = as_jws(&before, "foreign/ukas/signer");
    let unregistered = decide(&doc, NOW);
    assert_eq!(failed(&unregistered), ("accreditation", "trust.mra_suspended".into()));
    assert_eq!(
        accreditation_message(&unregistered),
        "ukas is not an active IAF MLA signatory for ISO/IEC 17065 now (suspended since 2026-03-01T00:00:00Z): a \
         certificate dated before that (2026-02-01) is its body's word alone, recognized only as the register holds \
         it, and the register holds no recognition of it"
    );
    assert!(decide_with(&doc, &trust_list(), NOW, &held(&before)).valid);
    let mut wider = before.clone();
    wider.scope_en = Some("Any product at all".into());
    let other_facts = decide_with(&as_jws(&wider, "foreign/ukas/signer"), &trust_list(), NOW, &held(&before));
    assert_eq!(failed(&other_facts), ("accreditation", "trust.mra_suspended".into()));
    assert!(accreditation_message(&other_facts).ends_with("and the register holds other facts of it (scope)"));
    // Registered during the suspension (an export decides no membership): no vouching
    // (found by review); nor when the register cannot say when.
    let during = decide_with(&doc, &trust_list(), NOW, &held_since(&before, datetime!(2026-04-01 0:00 UTC)));
    assert_eq!(failed(&during), ("accreditation", "trust.mra_suspended".into()));
    assert!(accreditation_message(&during).ends_with("and the register recognized it only after that"));
    let Register(status, document) = held(&before);
    let unknown = Register(status, document.map(|d| HeldDocument { registered_at: None, ..d }));
    assert_eq!(
        failed(&decide_with(&doc, &trust_list(), NOW, &unknown)),
        ("accreditation", "trust.mra_suspended".into())
    );
    // Before the suspension, the same document is recognized unregistered.
    assert!(decide(&doc, datetime!(2026-02-15 0:00 UTC)).valid);

    // The look-up's headline holds a registered certificate to the same rule, with the
    // registration's time (found by attack: a CB exported a certificate during its
    // accreditor's suspension, and the look-up said "valid" where every verification of the
    // export refused it).
    let headline = |cert: &Certificate, registered_at: Option<OffsetDateTime>, now: OffsetDateTime| {
        mrgate::decisions::verify::headline_now(
            "valid",
            (registered_at, None),
            Some(cert),
            now,
            &trust_list(),
            &Table::embedded(),
        )
    };
    let (before_suspension, during) = (datetime!(2026-02-02 0:00 UTC), datetime!(2026-04-02 0:00 UTC));
    assert_eq!(headline(&after, Some(during), NOW), "unknown", "issued during the suspension");
    assert_eq!(headline(&before, Some(before_suspension), NOW), "valid", "recognized before it: vouched for");
    assert_eq!(headline(&before, Some(during), NOW), "unknown", "registered during it");
    assert_eq!(headline(&before, None, NOW), "unknown", "registered when, not known");
    assert_eq!(headline(&before, None, datetime!(2026-02-15 0:00 UTC)), "valid", "before the suspension");
    // And to its claim: another accreditor's, or a CB named otherwise than the list holds it.
    let mut claimed_other = before.clone();
    if let Some(a) = claimed_other.certification_body.accreditation.as_mut() {
        a.body = "DAKKS".into();
    }
    assert_eq!(headline(&claimed_other, Some(before_suspension), NOW), "unknown", "another accreditor claimed");
    let mut named_other = before.clone();
    named_other.certification_body.name = "Another certification body".into();
    assert_eq!(headline(&named_other, Some(before_suspension), NOW), "unknown", "a name the list does not hold");
}

/// A document the register holds as CN XML, which keeps less than some formats say (a
/// foreign holder's registration id, IAF sectors, an accreditation's country), is the
/// registered version still: it is held to the register through the same loss, never
/// superseded by what CN XML could not keep (found by review: the very document a partner
/// had recognized then verified `register.superseded … (holder)`), and vouched for while
/// its accreditor is suspended. A fact CN XML keeps, changed, is still another version.
#[test]
fn what_the_register_cannot_keep_does_not_supersede() {
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    (cert.holder.credit_code, cert.holder.registered_id) = (None, Some("HRB-12345".into()));
    cert.sectors =
        vec![mrgate::model::Sector { code: "19".into(), name: Some("Electrical and optical equipment".into()) }];
    let register = held(&cert);
    for doc in [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")] {
        let v = decide_with(&doc, &trust_list(), NOW, &register);
        assert!(v.valid, "{:?}", failed(&v));
    }
    let mut other = cert.clone();
    other.scope_en = Some("Another scope".into());
    let v = decide_with(&as_iaf_xml(&other, "foreign/dakks/signer"), &trust_list(), NOW, &register);
    assert_eq!(failed(&v), ("validity", "register.superseded".into()));
    // While UKAS is suspended, the register vouches through the same loss: a foreign holder
    // named by its registration id (no credit code) keeps its vouching (found by review:
    // read exactly, every such certificate lost it); a fact CN XML keeps, changed, does not.
    let mut ukas = certificate("ukas-cb", ProgramCode::Product, "2026-02-01");
    (ukas.holder.credit_code, ukas.holder.registered_id) = (None, Some("HRB-12345".into()));
    let v = decide_with(&as_jws(&ukas, "foreign/ukas/signer"), &trust_list(), NOW, &held(&ukas));
    assert!(v.valid, "{:?}", failed(&v));
    let mut wider = ukas.clone();
    wider.scope_en = Some("Any product at all".into());
    let v = decide_with(&as_jws(&wider, "foreign/ukas/signer"), &trust_list(), NOW, &held(&ukas));
    assert_eq!(failed(&v), ("accreditation", "trust.mra_suspended".into()));
    assert!(accreditation_message(&v).ends_with("and the register holds other facts of it (scope)"), "{v:?}");
}

/// A credential stating this gateway (its did:web) as its issuer is signed by the gateway's
/// own signing certificate or by no one: a CB's granted signer naming itself beside the
/// gateway's DID issues nothing as the gateway (found by attack: it verified "valid").
#[test]
fn only_the_gateway_signs_as_the_gateway() {
    let cert = certificate("dakks-cb", ProgramCode::Product, "2026-01-15");
    let link = mrgate::decisions::export::receipt_link("https://gw.example", &"0a".repeat(16));
    let payload = mrgate::decisions::export::credential_payload(
        &formats::render(Format::UntpDcc, &cert).bytes,
        &link,
        Some("did:web:gw.example"),
        None,
    )
    .expect("payload");
    let (key, chain) = key_and_chain("foreign/dakks/signer");
    let signed = |payload: &serde_json::Value| {
        mrgate::crypto::jws::sign(&serde_json::to_vec(payload).expect("json"), &key, &chain, None, true)
            .expect("sign")
            .into_bytes()
    };
    let v = decide(&signed(&payload), NOW);
    assert_eq!(failed(&v), ("chain", "trust.signer_not_listed".into()));
    assert_eq!(
        v.checks.iter().find(|c| c.check == "chain").map(|c| c.message.as_str()),
        Some(
            "the credential states this gateway as its issuer, and 'C=DE, O=dakks demo certification body, \
             CN=dakks demo certification body signer' is not the gateway's signing certificate"
        )
    );
    // The same certificate, issued by the body in its own name, is the body's to sign.
    assert!(decide(&as_jws(&cert, "foreign/dakks/signer"), NOW).valid);
}

/// A register holding `cert` as its current version, valid, registered the day after its
/// issue.
fn held(cert: &Certificate) -> Register {
    let day_after = cert.issue_date.next_day().expect("a day after").midnight().assume_utc();
    held_since(cert, day_after)
}

/// A register holding `cert` as its current version, valid, registered at `at`.
fn held_since(cert: &Certificate, at: OffsetDateTime) -> Register {
    Register(
        Registered::Status(mrgate::model::Status::Valid),
        Some(HeldDocument {
            document: formats::render(Format::CnXml, cert).bytes,
            exporters_word: false,
            registered_at: Some(at),
            signer: None,
        }),
    )
}

fn accreditation_message(v: &Verdict) -> String {
    v.checks.iter().find(|c| c.check == "accreditation").map(|c| c.message.clone()).unwrap_or_default()
}

/// A document stating other facts than the register holds of its certificate, and no newer
/// than the registered version, is superseded in a verification, however validly its body
/// signed it (found by attack: a CB's first version, re-issued since with a narrower scope
/// and an earlier expiry, verified "valid" with its old facts). A newer issue, not recognized
/// yet, is decided on its own facts; a recognition replaces the registered version unless it
/// is older (`may_register`, not this decision).
#[test]
fn a_superseded_version_is_not_valid() {
    let first = certificate("dakks-cb", ProgramCode::Product, "2026-01-15");
    let mut second = certificate("dakks-cb", ProgramCode::Product, "2026-03-01");
    second.scope_en = Some("Household refrigerators only".into());
    let register = held(&second);
    let v = decide_with(&as_jws(&first, "foreign/dakks/signer"), &trust_list(), NOW, &register);
    assert_eq!(failed(&v), ("validity", "register.superseded".into()));
    assert_eq!(
        v.checks.iter().find(|c| c.check == "validity").map(|c| c.message.as_str()),
        Some(
            "the register holds a version of this certificate issued 2026-03-01 with other facts (scope, dates), \
             and this document was issued 2026-01-15: it is superseded; its holder presents the current one"
        )
    );
    assert_eq!(v.status, "valid", "the register's status is read; the document is what is refused");
    // The registered version itself, and a newer one the register does not hold yet.
    assert!(decide_with(&as_jws(&second, "foreign/dakks/signer"), &trust_list(), NOW, &register).valid);
    let mut third = certificate("dakks-cb", ProgramCode::Product, "2026-04-01");
    third.scope_en = Some("Household refrigerators and freezers".into());
    assert!(decide_with(&as_jws(&third, "foreign/dakks/signer"), &trust_list(), NOW, &register).valid);
    // Issued the same day as the registered version, with other facts: superseded too.
    let mut sibling = second.clone();
    sibling.scope_en = Some("Household freezers only".into());
    let v = decide_with(&as_jws(&sibling, "foreign/dakks/signer"), &trust_list(), NOW, &register);
    assert_eq!(failed(&v), ("validity", "register.superseded".into()));
    // An IAF XML document of the first version, as its body signed it, is superseded the same.
    let v = decide_with(&as_iaf_xml(&first, "foreign/dakks/signer"), &trust_list(), NOW, &register);
    assert_eq!(failed(&v), ("validity", "register.superseded".into()));
    // Facts the register holds as an exporter's unsigned word do not stand over a document
    // the body signed.
    let word = Register(
        Registered::Status(mrgate::model::Status::Valid),
        Some(HeldDocument {
            document: formats::render(Format::CnXml, &second).bytes,
            exporters_word: true,
            registered_at: Some(datetime!(2026-03-02 0:00 UTC)),
            signer: None,
        }),
    );
    assert!(decide_with(&as_jws(&first, "foreign/dakks/signer"), &trust_list(), NOW, &word).valid);
    // A recognition of the first version is not refused here: whether it may replace the
    // registered one is `may_register`'s to say (older: `register.older_document`).
    let table = Table::embedded();
    let crls = crls();
    let list = trust_list();
    let recognizing =
        Context { register: &register, verifying: false, ..context(&list, &table, Some(&crls), NOW, None) };
    assert!(recognition::decide(&as_jws(&first, "foreign/dakks/signer"), &recognizing).valid);
    // A registered document that does not read decides nothing "valid".
    let unreadable = Register(
        Registered::Status(mrgate::model::Status::Valid),
        Some(HeldDocument {
            document: b"<not-a-certificate/>".to_vec(),
            exporters_word: false,
            registered_at: None,
            signer: None,
        }),
    );
    let v = decide_with(&as_jws(&first, "foreign/dakks/signer"), &trust_list(), NOW, &unreadable);
    assert_eq!(failed(&v), ("validity", "register.superseded".into()));
}

/// A certificate is dated by its day (in China), not by its instant: its accreditor's
/// membership must hold over the whole day. UKAS's 17065 membership is suspended from
/// 2026-03-01T00:00:00Z, 08:00 in China: a certificate of 1 March is refused (found by
/// review: the day's midnight, before the suspension, was read), one of 28 February is
/// not; and a membership suspended and restored within the issue day did not hold over it.
#[test]
fn a_membership_must_hold_over_the_whole_issue_day() {
    let message = |v: &Verdict| v.checks.iter().find(|c| c.check == "accreditation").map(|c| c.message.clone());
    let on_the_day =
        decide(&as_jws(&certificate("ukas-cb", ProgramCode::Product, "2026-03-01"), "foreign/ukas/signer"), NOW);
    assert_eq!(failed(&on_the_day), ("accreditation", "trust.mra_suspended".into()));
    assert_eq!(
        message(&on_the_day).as_deref(),
        Some(
            "ukas was not an active IAF MLA signatory for ISO/IEC 17065 throughout 2026-03-01 (China) \
             (suspended since 2026-03-01T00:00:00Z)"
        )
    );
    let day_before = certificate("ukas-cb", ProgramCode::Product, "2026-02-28");
    assert!(decide(&as_jws(&day_before, "foreign/ukas/signer"), datetime!(2026-02-28 23:00 UTC)).valid);

    // DAkkS's 17065 membership suspended at 10:00 in China on 15 January and restored at
    // 15:00: a certificate of that day is refused, those of the days around it are not.
    let mut list = trust_list();
    let dakks = list.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks")).expect("dakks");
    let membership =
        dakks.body.as_mut().expect("body").memberships.iter_mut().find(|m| m.scope == "ISO/IEC 17065").expect("17065");
    for (status, since) in [("suspended", datetime!(2026-01-15 02:00 UTC)), ("active", datetime!(2026-01-15 07:00 UTC))]
    {
        membership.history.push(mrgate::trust::StatusChange { status: status.into(), since });
    }
    let on = |day: &str| {
        let doc = as_jws(&certificate("dakks-cb", ProgramCode::Product, day), "foreign/dakks/signer");
        decide_with(&doc, &list, NOW, &NoRegister)
    };
    let within = on("2026-01-15");
    assert_eq!(failed(&within), ("accreditation", "trust.mra_suspended".into()));
    assert!(message(&within).is_some_and(|m| m.ends_with("(suspended since 2026-01-15T02:00:00Z)")), "{within:?}");
    assert!(on("2026-01-14").valid);
    assert!(on("2026-01-16").valid);

    // Two statuses at one instant are both read, whatever their order in the list (found
    // by review: of a suspension and a restoration listed at one instant only the last was
    // read, and a withdrawal later that day was missed): fail closed.
    let mut list = trust_list();
    let dakks = list.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks")).expect("dakks");
    let membership = dakks
        .body
        .as_mut()
        .expect("body")
        .memberships
        .iter_mut()
        .find(|m| m.scope == "ISO/IEC 17021-1")
        .expect("17021-1");
    for (status, since) in [
        ("suspended", datetime!(2026-01-20 00:00 UTC)),
        ("active", datetime!(2026-01-20 00:00 UTC)),
        ("withdrawn", datetime!(2026-01-20 07:00 UTC)),
    ] {
        membership.history.push(mrgate::trust::StatusChange { status: status.into(), since });
    }
    let doc = as_jws(&certificate("dakks-cb", ProgramCode::Qms, "2026-01-20"), "foreign/dakks/signer");
    let v = decide_with(&doc, &list, NOW, &NoRegister);
    assert_eq!(failed(&v), ("accreditation", "trust.mra_suspended".into()));
    // The day before, while the membership held; once withdrawn, that date is the body's
    // word alone.
    let before = as_jws(&certificate("dakks-cb", ProgramCode::Qms, "2026-01-19"), "foreign/dakks/signer");
    assert!(decide_with(&before, &list, datetime!(2026-01-19 20:00 UTC), &NoRegister).valid);
    assert_eq!(failed(&decide_with(&before, &list, NOW, &NoRegister)), ("accreditation", "trust.mra_withdrawn".into()));
}

/// A credential is in force from the instant its `validFrom` states, not from the start of
/// its issue day in China (found by review: one valid from 23:00 verified valid from the
/// day's midnight); on the days after, the instant has passed.
#[test]
fn a_credential_is_not_in_force_before_the_instant_it_states() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let (key, chain) = key_and_chain("foreign/dakks/signer");
    let mut vc: serde_json::Value =
        serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
    vc["validFrom"] = "2026-01-15T23:00:00+08:00".into();
    let jws =
        mrgate::crypto::jws::sign(&serde_json::to_vec(&vc).expect("json"), &key, &chain, None, true).expect("sign");
    let at = |now: OffsetDateTime| decide(jws.as_bytes(), now);
    // 04:00 and 22:59:59 in China on the issue day: not yet.
    for now in [datetime!(2026-01-14 20:00 UTC), datetime!(2026-01-15 14:59:59 UTC)] {
        let v = at(now);
        assert_eq!(failed(&v), ("validity", "validity.not_yet_valid".into()), "{now}");
        let message = v.checks.iter().find(|c| c.check == "validity").map(|c| c.message.clone());
        assert_eq!(message.as_deref(), Some("not valid before 2026-01-15T23:00:00+08:00"), "{now}");
    }
    // From the instant on, and the day before is refused by its date.
    assert!(at(datetime!(2026-01-15 15:00 UTC)).valid);
    assert!(at(datetime!(2026-01-16 01:00 UTC)).valid);
    let v = at(datetime!(2026-01-14 15:00 UTC));
    assert_eq!(failed(&v), ("validity", "validity.not_yet_valid".into()));
    assert_eq!(
        v.checks.iter().find(|c| c.check == "validity").map(|c| c.message.as_str()),
        Some("not valid before 2026-01-15")
    );
}

#[test]
fn membership_withdrawn_at_issue_time() {
    // ANAB's 17021-1 membership was withdrawn on 2025-06-01.
    let cert = certificate("anab-cb", ProgramCode::Qms, "2025-07-01");
    assert_eq!(
        failed(&decide(&as_jws(&cert, "foreign/anab/signer"), NOW)),
        ("accreditation", "trust.mra_withdrawn".into())
    );
    // Dated before the withdrawal: recognized as the register holds it, not otherwise.
    let earlier = certificate("anab-cb", ProgramCode::Qms, "2025-01-10");
    let doc = as_jws(&earlier, "foreign/anab/signer");
    assert_eq!(failed(&decide(&doc, NOW)), ("accreditation", "trust.mra_withdrawn".into()));
    assert!(decide_with(&doc, &trust_list(), NOW, &held(&earlier)).valid);
    assert!(decide(&doc, datetime!(2025-05-01 0:00 UTC)).valid);
}

#[test]
fn non_equivalent_standard() {
    let mut cert = certificate("dakks-cb", ProgramCode::Product, "2026-01-15");
    cert.standards = vec!["IEC 60335-1:2004".into(), "GB 19517-2023".into()];
    assert_eq!(failed(&decide(&as_jws(&cert, "foreign/dakks/signer"), NOW)), ("standards", "standards.neq".into()));
    cert.standards = vec!["ISO 9001:2008".into()];
    assert_eq!(failed(&decide(&as_jws(&cert, "foreign/dakks/signer"), NOW)), ("standards", "standards.unknown".into()));
}

/// A standard is recognized up to the end of its transition to the next edition (rule set
/// 18): a certificate to ISO/IEC 27001:2013 is not valid after 2025-10-31 in China, however
/// it is dated, and neither its look-up's headline. Found by attack: ones issued in 2026
/// verified "valid" and were exported as GlobalMRA.
#[test]
fn a_standard_past_its_transition_is_not_recognized() {
    let mut cert = certificate("dakks-cb", ProgramCode::Isms, "2025-03-01");
    cert.standards = vec!["ISO/IEC 27001:2013".into()];
    let table = Table::embedded();
    let day = |d: &str| parse_date(d).expect("date");
    assert_eq!(recognition::standards_refused(&table, &cert, day("2025-10-31")), None);
    let (reason, why) = recognition::standards_refused(&table, &cert, day("2025-11-01")).expect("refused");
    assert_eq!(
        (reason, why.as_str()),
        (
            "standards.transition_ended",
            "'ISO/IEC 27001:2013' is recognized until 2025-10-31, the end of its transition in the equivalence table \
             2026.12.07-1: a certificate to it is no longer valid"
        )
    );
    // Its GB/T designation is the same standard, and so is the pair.
    for named in ["GB/T 22080-2016", "GB/T 22080-2016/ISO/IEC 27001:2013"] {
        cert.standards = vec![named.into()];
        let refused = recognition::standards_refused(&table, &cert, day("2026-06-01")).map(|r| r.0);
        assert_eq!(refused, Some("standards.transition_ended"), "{named}");
    }
    for doc in [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")] {
        assert_eq!(failed(&decide(&doc, NOW)), ("standards", "standards.transition_ended".into()));
    }
    // The edition after it is recognized once an operator confirms its row, which the
    // build's table holds not verified (rule set 23).
    cert.standards = vec!["ISO/IEC 27001:2022".into()];
    let unverified = failed(&decide(&as_jws(&cert, "foreign/dakks/signer"), NOW));
    assert_eq!(unverified, ("standards", "standards.unverified".into()));
    let table = confirmed_table();
    assert_eq!(recognition::standards_refused(&table, &cert, day("2026-06-01")), None);
    // A registered certificate's headline follows the table in force: a table that no
    // longer recognizes its standard makes it unknown, as a verification would refuse it.
    let headline = |cert: &Certificate, table: &Table| {
        mrgate::decisions::verify::headline_now("valid", (Some(NOW), None), Some(cert), NOW, &trust_list(), table)
    };
    assert_eq!(headline(&cert, &table), "valid");
    assert_eq!(headline(&cert, &Table::embedded()), "unknown");
    let mut without = table.clone();
    without.rows.retain(|r| r.international != "ISO/IEC 27001:2022");
    assert_eq!(headline(&cert, &without), "unknown");
    cert.standards = vec!["ISO/IEC 27001:2013".into()];
    assert_eq!(headline(&cert, &table), "unknown");
}

/// A management-system certificate is certified against its programme's standard, or its
/// adoption (rule set 18; found by attack: a QMS certificate against ISO/IEC 20000-1 alone
/// was recognized); beside it, others of its kind may stand.
#[test]
fn a_management_system_certificate_names_its_programmes_standard() {
    // Every row confirmed: what is asked here is the programme, not the row.
    let table = confirmed_table();
    let refused = |program: ProgramCode, standards: &[&str]| {
        let mut cert = certificate("dakks-cb", program, "2026-01-15");
        cert.standards = standards.iter().map(|s| s.to_string()).collect();
        recognition::standards_refused(&table, &cert, parse_date("2026-06-01").expect("date")).map(|r| r.0)
    };
    for (program, standards) in [
        (ProgramCode::Qms, &["ISO 9001:2015"][..]),
        (ProgramCode::Qms, &["GB/T 19001-2016"][..]),
        (ProgramCode::Qms, &["ISO/IEC 20000-1:2018", "GB/T 19001-2016/ISO 9001:2015"][..]),
        (ProgramCode::Ems, &["ISO 14001:2015/Amd 1:2024"][..]),
        (ProgramCode::Itsms, &["ISO/IEC 20000-1:2018"][..]),
        (ProgramCode::Isms, &["GB/T 22080-2025"][..]),
    ] {
        assert_eq!(refused(program, standards), None, "{program:?} {standards:?}");
    }
    for (program, standards) in [
        (ProgramCode::Qms, &["ISO/IEC 20000-1:2018"][..]),
        (ProgramCode::Qms, &["ISO 14001:2015"][..]),
        (ProgramCode::Ems, &["GB/T 19001-2016"][..]),
        (ProgramCode::Itsms, &["ISO 9001:2015"][..]),
        (ProgramCode::Ohsms, &["ISO 9001:2015", "ISO 14001:2015"][..]),
    ] {
        assert_eq!(refused(program, standards), Some("standards.other_programme"), "{program:?} {standards:?}");
    }
    // Through the whole decision, under the build's table (whose ISO/IEC 20000-1:2018 row is
    // not verified: ISO 14001:2015 stands for another programme's standard here).
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    cert.standards = vec!["ISO 14001:2015".into()];
    assert_eq!(
        failed(&decide(&as_jws(&cert, "foreign/dakks/signer"), NOW)),
        ("standards", "standards.other_programme".into())
    );
}

/// A certificate is certified against standards of its own kind (rule set 10): a
/// management-system certificate "against" a product standard would be judged under its
/// body's 17021-1 membership while stating a product's conformity, and no certificate is
/// certified against a conformity-assessment standard. A table whose row says no kind
/// recognizes nothing by that row.
#[test]
fn a_standard_of_another_kind_is_not_recognized() {
    let standards_check = |program: ProgramCode, standards: &[&str], table: &Table| {
        let mut cert = certificate("dakks-cb", program, "2026-01-15");
        cert.products.clear();
        cert.standards = standards.iter().map(|s| s.to_string()).collect();
        let doc = as_jws(&cert, "foreign/dakks/signer");
        let crls = crls();
        let list = trust_list();
        let ctx = Context {
            trust_list: &list,
            equivalence: table,
            crls: Some(&crls),
            register: &NoRegister,
            own_signers: &[],
            verifying: true,
            now: NOW,
            limits: Limits::default(),
            verifiers: None,
        };
        let v = recognition::decide(&doc, &ctx);
        let c = v.checks.iter().find(|c| c.check == "standards").expect("standards");
        (v.valid, c.reason.clone(), c.message.clone())
    };
    // Every row confirmed: what is asked here is the kind, not the row.
    let table = confirmed_table();
    let refused = |reason: &str, message: &str| (false, reason.to_string(), message.to_string());
    for (program, standards, expected) in [
        (
            ProgramCode::Qms,
            &["IEC 60335-1:2004"][..],
            refused(
                "standards.other_kind",
                "'IEC 60335-1:2004' is a product standard: a management system certificate is not certified against it",
            ),
        ),
        (
            ProgramCode::Qms,
            &["ISO 9001:2015", "GB 4706.1-2005/IEC 60335-1:2004"][..],
            refused(
                "standards.other_kind",
                "'GB 4706.1-2005/IEC 60335-1:2004' is a product standard: a management system certificate is not certified against it",
            ),
        ),
        (
            ProgramCode::Product,
            &["ISO 9001:2015"][..],
            refused(
                "standards.other_kind",
                "a product certificate is certified against a product standard: it names management-system standards only ('ISO 9001:2015')",
            ),
        ),
        (
            ProgramCode::Product,
            &["IEC 60335-1:2004", "ISO/IEC 17065:2012"][..],
            refused(
                "standards.other_kind",
                "'ISO/IEC 17065:2012' is a conformity-assessment standard: a product certificate is not certified against it",
            ),
        ),
        (
            ProgramCode::Qms,
            &["ISO/IEC 17021-1:2015"][..],
            refused(
                "standards.other_kind",
                "'ISO/IEC 17021-1:2015' is a conformity-assessment standard: a management system certificate is not certified against it",
            ),
        ),
        (
            ProgramCode::Product,
            &["GB/T 27065-2015"][..],
            refused(
                "standards.other_kind",
                "'GB/T 27065-2015' is a conformity-assessment standard: a product certificate is not certified against it",
            ),
        ),
        // A modified adoption the table accepts, named by its international standard alone
        // (rule set 23; found by attack: it was recognized, where the row's rule asks for
        // a report of the national deviations).
        (
            ProgramCode::Product,
            &["IEC 62368-1:2018"][..],
            refused(
                "standards.mod_international_only",
                "'IEC 62368-1:2018' is adopted with national deviations as GB 4943.1-2022 in the equivalence table \
                 2026.12.07-1, which accepts a certificate naming GB 4943.1-2022 only: one naming 'IEC 62368-1:2018' \
                 alone was not assessed against them",
            ),
        ),
        (
            ProgramCode::Service,
            &["ISO 9001:2015"][..],
            refused(
                "standards.other_kind",
                "a service certificate is certified against a service standard: it names management-system standards only ('ISO 9001:2015')",
            ),
        ),
        (
            ProgramCode::Service,
            &["IEC 60335-1:2004"][..],
            refused(
                "standards.other_kind",
                "'IEC 60335-1:2004' is a product standard: a service certificate is not certified against it",
            ),
        ),
    ] {
        assert_eq!(standards_check(program, standards, &table), expected, "{program:?} {standards:?}");
    }
    // Its own kind: recognized.
    let recognized =
        (true, "standards.equivalent".to_string(), "2 standard(s) equivalent (table 2026.12.07-1)".to_string());
    assert_eq!(standards_check(ProgramCode::Qms, &["ISO 9001:2015", "GB/T 24001-2016"], &table), recognized);
    let product = standards_check(ProgramCode::Product, &["IEC 60335-1:2004", "GB 4943.1-2022"], &table);
    assert_eq!(product, recognized);
    let paired =
        standards_check(ProgramCode::Product, &["IEC 60335-1:2004", "GB 4943.1-2022/IEC 62368-1:2018"], &table);
    assert_eq!(paired, recognized);
    // Both halves named apart are the national standard named too (found by review).
    let apart = standards_check(ProgramCode::Product, &["GB 4943.1-2022", "IEC 62368-1:2018"], &table);
    assert_eq!(
        apart,
        (true, "standards.equivalent".to_string(), "2 standard(s) equivalent (table 2026.12.07-1)".to_string())
    );
    // Named beside a national standard another, verified row adopts, the unverified MOD row
    // still recognizes nothing (found by attack: the national name's row vouched for it).
    let beside_another = Table::parse(&mrgate::standards::EMBEDDED_TABLE.replacen(
        "[[row]]\ngb = \"GB 4943.1-2022\"",
        "[[row]]\ngb = \"GB 4943.1-2022\"\ninternational = \"IEC 62368-1:2014\"\nrelation = \"IDT\"\nkind = \"product\"\n\
         source = \"test\"\nverified = true\n\n[[row]]\ngb = \"GB 4943.1-2022\"",
        1,
    ))
    .expect("a table with two rows of GB 4943.1-2022");
    assert_eq!(
        standards_check(ProgramCode::Product, &["GB 4943.1-2022", "IEC 62368-1:2018"], &beside_another),
        refused(
            "standards.unverified",
            "'IEC 62368-1:2018' is in the equivalence table 2026.12.07-1 as GB 4943.1-2022 MOD IEC 62368-1:2018, a \
             row not verified: it recognizes nothing until an operator confirms it"
        )
    );
    // Verified, the same pair is recognized.
    let both_verified = Table::parse(
        &mrgate::standards::EMBEDDED_TABLE
            .replacen(
                "[[row]]\ngb = \"GB 4943.1-2022\"",
                "[[row]]\ngb = \"GB 4943.1-2022\"\ninternational = \"IEC 62368-1:2014\"\nrelation = \"IDT\"\n\
                 kind = \"product\"\nsource = \"test\"\nverified = true\n\n[[row]]\ngb = \"GB 4943.1-2022\"",
                1,
            )
            .replace("verified = false", "verified = true"),
    )
    .expect("the same, every row verified");
    assert_eq!(
        standards_check(ProgramCode::Product, &["GB 4943.1-2022", "IEC 62368-1:2018"], &both_verified),
        recognized
    );
    // The build's own table holds that row not verified: it recognizes nothing by it.
    let unverified = standards_check(ProgramCode::Product, &["IEC 60335-1:2004", "GB 4943.1-2022"], &Table::embedded());
    assert_eq!(
        unverified,
        refused(
            "standards.unverified",
            "'GB 4943.1-2022' is in the equivalence table 2026.12.07-1 as GB 4943.1-2022 MOD IEC 62368-1:2018, a row \
             not verified: it recognizes nothing until an operator confirms it"
        )
    );
    // A product certificate may name the factory's quality system beside its product
    // standard, never in its place.
    let factory = standards_check(ProgramCode::Product, &["ISO 9001:2015", "IEC 60335-1:2004"], &table);
    assert_eq!(factory, recognized);
    // A table from before kinds: its rows recognize nothing, whatever the certificate.
    let without_kinds = Table::parse(
        &mrgate::standards::EMBEDDED_TABLE.lines().filter(|l| !l.starts_with("kind = ")).collect::<Vec<_>>().join("\n"),
    )
    .expect("a table without kinds");
    for (program, standard) in [(ProgramCode::Qms, "ISO 9001:2015"), (ProgramCode::Product, "IEC 60335-1:2004")] {
        assert_eq!(
            standards_check(program, &[standard], &without_kinds),
            refused(
                "standards.kind_unknown",
                &format!("the equivalence table 2026.12.07-1 does not say what '{standard}' is a standard for")
            )
        );
    }
}

#[test]
fn expired() {
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    cert.expiry_date = parse_date("2026-05-01").expect("date");
    let v = decide(&as_jws(&cert, "foreign/dakks/signer"), NOW);
    assert_eq!(failed(&v), ("validity", "validity.expired".into()));
    assert_eq!(v.status, "expired");
}

/// A credential is never in force past the instant it states: its expiry date is the last
/// day in China its validUntil covers whole, so neither the instant's own calendar date
/// (midnight at +14:00 is 10:00 UTC the day before) nor a day it ends within reads as in
/// force. Its issue date is the day in China its validFrom falls on.
#[test]
fn a_credential_is_in_force_only_within_the_instants_it_states() {
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    // No status date: one is never before the issue date, which each case below moves.
    cert.status_date = None;
    let (key, chain) = key_and_chain("foreign/dakks/signer");
    let signed = |from: &str, until: &str| {
        let mut vc: serde_json::Value =
            serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
        vc["validFrom"] = from.into();
        vc["validUntil"] = until.into();
        mrgate::crypto::jws::sign(&serde_json::to_vec(&vc).expect("json"), &key, &chain, None, true)
            .expect("sign")
            .into_bytes()
    };
    let from = "2026-01-15T00:00:00+08:00";
    // NOW is 2026-06-01 08:00 in Beijing.
    let outcome = |from: &str, until: &str| {
        let v = decide(&signed(from, until), NOW);
        if v.valid { ("valid", String::new()) } else { failed(&v) }
    };
    let expired = ("validity", "validity.expired".to_string());
    assert_eq!(outcome(from, "2026-06-01T23:59:59+08:00"), ("valid", String::new()));
    // Ended at 10:00 UTC on 31 May, though its own date is 1 June.
    assert_eq!(outcome(from, "2026-06-01T00:00:00+14:00"), expired);
    assert_eq!(outcome(from, "2026-06-01T00:00:00+08:00"), expired);
    // Ends at 19:59:59 today in Beijing: today is not covered whole, so it is no longer in
    // force today (fail closed: a few hours early, never past what it states).
    assert_eq!(outcome(from, "2026-05-31T23:59:59-12:00"), expired);
    // Begins tomorrow in Beijing (midnight there), though its own date is today at -08:00.
    let not_yet = ("validity", "validity.not_yet_valid".to_string());
    assert_eq!(outcome("2026-06-01T08:00:00-08:00", "2027-01-01T00:00:00Z"), not_yet);
    assert_eq!(outcome("2026-06-01T16:00:00Z", "2027-01-01T00:00:00Z"), not_yet);
    // Issued today in Beijing: in force from the instant it states (15:00 there, after NOW),
    // not from the day's start (rule set 9: the day counted whole before); one valid from
    // the day's midnight is.
    assert_eq!(outcome("2026-06-01T07:00:00Z", "2027-01-01T00:00:00Z"), not_yet);
    assert_eq!(outcome("2026-05-31T16:00:00Z", "2027-01-01T00:00:00Z"), ("valid", String::new()));
}

#[test]
fn suspended_in_the_document_or_by_a_notice() {
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    cert.status = Status::Suspended;
    let v = decide(&as_jws(&cert, "foreign/dakks/signer"), NOW);
    assert_eq!((failed(&v), v.status), (("validity", "status.suspended".into()), "suspended"));
    // A valid document, but the register says withdrawn: the register wins.
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let v = decide_with(
        &as_jws(&cert, "foreign/dakks/signer"),
        &trust_list(),
        NOW,
        &Register(Registered::Status(Status::Withdrawn), None),
    );
    assert_eq!((failed(&v), v.status), (("validity", "status.withdrawn".into()), "withdrawn"));
    // And a suspended register over a valid document: suspended.
    let v = decide_with(
        &as_jws(&cert, "foreign/dakks/signer"),
        &trust_list(),
        NOW,
        &Register(Registered::Status(Status::Suspended), None),
    );
    assert_eq!((v.valid, v.status), (false, "suspended"));
}

/// A document its body signed stating its certificate suspended or expired is never answered
/// valid because the register holds it valid (found by review: a CB-signed record saying
/// 暂停, dated after anything the register knew, verified valid and was recognized again as
/// valid). Its status stands over a valid register's, the check says so, and nothing in the
/// register is over-read the other way: a register further from in force still wins.
#[test]
fn a_signed_suspension_the_register_has_not_heard_is_not_valid() {
    for stated in [Status::Suspended, Status::Expired] {
        let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
        cert.status = stated;
        for doc in [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")] {
            let v = decide_with(&doc, &trust_list(), NOW, &Register(Registered::Status(Status::Valid), None));
            let reason = format!("status.{}", stated.as_str());
            assert_eq!((v.valid, failed(&v), v.status), (false, ("validity", reason), stated.as_str()));
            let message = &v.checks.iter().find(|c| c.check == "validity").expect("validity").message;
            assert!(message.ends_with("where the register holds it valid — a document stating its certificate is not in force is not answered valid; its holder presents the current one"), "{message}");
            for held in [Status::Suspended, Status::Expired, Status::Withdrawn, Status::Cancelled] {
                let v = decide_with(&doc, &trust_list(), NOW, &Register(Registered::Status(held), None));
                assert_eq!((v.valid, v.status), (false, held.as_str()), "{stated:?} over {held:?}");
            }
        }
    }
}

/// The one rule (`Status::held`), whole: the register's status unless the document states one
/// further from in force.
#[test]
fn the_status_held_is_the_registers_unless_the_document_states_one_further_from_in_force() {
    use Status::{Cancelled as C, Expired as E, Suspended as S, Valid as V, Withdrawn as W};
    let held = |registered: Status| Status::ALL.map(|stated| Status::held(registered, stated));
    // Columns: the document states valid, suspended, withdrawn, cancelled, expired.
    assert_eq!(held(V), [V, S, W, C, E]);
    assert_eq!(held(S), [S, S, W, C, S]);
    assert_eq!(held(E), [E, E, W, C, E]);
    assert_eq!(held(W), [W, W, W, W, W]);
    assert_eq!(held(C), [C, C, C, C, C]);
}

/// A register that cannot answer never lets the document's own "valid" stand.
#[test]
fn an_unreadable_register_fails_closed() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let unavailable = Register(Registered::Unavailable("store: disk I/O error".into()), None);
    let v = decide_with(&as_jws(&cert, "foreign/dakks/signer"), &trust_list(), NOW, &unavailable);
    assert_eq!((v.valid, failed(&v), v.status), (false, ("validity", "register.unavailable".into()), "unknown"));
    // Not held is not unavailable: the document's own status stands.
    let v =
        decide_with(&as_jws(&cert, "foreign/dakks/signer"), &trust_list(), NOW, &Register(Registered::NotHeld, None));
    assert!(v.valid, "{:?}", v.checks);
}

#[test]
fn cb_withdrawn_from_the_list() {
    // anab-cb's service was withdrawn on 2026-09-01.
    let cert = certificate("anab-cb", ProgramCode::Product, "2026-01-15");
    let doc = as_jws(&cert, "foreign/anab/signer");
    assert!(decide(&doc, NOW).valid);
    let v = decide(&doc, datetime!(2026-10-01 0:00 UTC));
    assert!(!v.valid);
    assert_eq!(failed(&v).0, "chain");
}

#[test]
fn garbage_and_unsigned_documents() {
    let v = decide(b"hello", NOW);
    assert_eq!((failed(&v), v.status), (("format", "format.unknown".into()), "unknown"));
    assert!(v.checks.iter().skip(1).all(|c| c.outcome == mrgate::crypto::Outcome::Skipped));
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let unsigned = formats::render(Format::IafXml, &cert).bytes;
    assert_eq!(failed(&decide(&unsigned, NOW)), ("signature", "dsig.no_signature".into()));
}

#[test]
fn verify_command() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("vc.jwt");
    std::fs::write(&path, as_jws(&cert, "foreign/dakks/signer")).expect("write");
    let run = |extra: &[&str]| {
        let mut args =
            vec!["verify", "--trust-list", concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/trust-list.xml")];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_mrgate")).args(&args).output().expect("run")
    };
    let ca = format!("{DEMO}/ca.pem");
    let p = path.to_str().expect("path");
    let ok = run(&["--trust-anchor", &ca, "--at", "2026-06-01T00:00:00Z", p]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(true), Some("valid")));
    let expired = run(&["--trust-anchor", &ca, "--at", "2030-01-01T00:00:00Z", p]);
    assert_eq!(expired.status.code(), Some(1));
    // A trust list checked against the wrong operator is refused before any decision.
    let wrong = run(&["--trust-anchor", &format!("{DEMO}/foreign/dakks/root.pem"), p]);
    assert_eq!(wrong.status.code(), Some(2));
}

/// A chain validated once and kept must not vouch for the same credential after the
/// certificates have expired (`decide_with` compares kept and fresh verifiers).
#[test]
fn a_kept_chain_does_not_outlive_its_certificates() {
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let doc = as_jws(&cert, "foreign/dakks/signer");
    assert!(decide(&doc, NOW).valid);
    let later = datetime!(2046-06-01 0:00 UTC);
    let v = decide(&doc, later);
    assert!(!v.valid);
    assert_eq!(failed(&v), ("chain", "x509.expired".to_string()), "{:#?}", v.checks);

    // A signed XML record is checked at its signing time, through the same kept chains: a
    // chain kept from a record signed in its window never vouches for one signed after it.
    let inside = iaf_signed_at(&cert, "2026-05-01T08:00:00Z");
    let after = iaf_signed_at(&cert, "2046-01-01T00:00:00Z");
    let kept = recognition::Verifiers::new();
    let (list, table, crls) = (trust_list(), Table::embedded(), crls());
    let ctx = context(&list, &table, Some(&crls), NOW, Some(&kept));
    assert!(recognition::decide(inside.as_bytes(), &ctx).valid);
    let v = recognition::decide(after.as_bytes(), &Context { now: later, ..ctx });
    assert_eq!(failed(&v), ("chain", "x509.expired".to_string()), "{:#?}", v.checks);
}

/// An IAF XML record signed by the DAkkS-accredited CB's signer with the given XAdES
/// signing time.
fn iaf_signed_at(c: &Certificate, signing_time: &str) -> String {
    iaf_signed_by_at(c, "foreign/dakks/signer", signing_time)
}

fn iaf_signed_by_at(c: &Certificate, signer: &str, signing_time: &str) -> String {
    let (key, chain) = key_and_chain(signer);
    let xml = String::from_utf8(formats::render(Format::IafXml, c).bytes).expect("utf8");
    mrgate::crypto::xmldsig::sign_at(&xml, &key, &chain, signing_time).expect("sign")
}

/// A signing time is the signer's own word: no timestamp vouches for it. The certificates
/// are judged at it (valid at signing time), but a service the list has withdrawn since
/// signs nothing, however early its signatures say they were made. anab-cb's service was
/// withdrawn on 2026-09-01; a record its signer dates 2026-06-02 passed in October.
#[test]
fn a_backdated_signing_time_does_not_outlive_a_withdrawal() {
    let cert = certificate("anab-cb", ProgramCode::Product, "2026-01-15");
    let backdated = iaf_signed_by_at(&cert, "foreign/anab/signer", "2026-06-02T00:00:00Z");
    // Decided before the withdrawal: valid.
    assert!(decide(backdated.as_bytes(), datetime!(2026-08-01 0:00 UTC)).valid);
    // After it: no anchor the list grants now chains it.
    let v = decide(backdated.as_bytes(), datetime!(2026-10-01 0:00 UTC));
    assert_eq!(failed(&v), ("chain", "x509.untrusted".into()), "{:#?}", v.checks);
    // Signed after the withdrawal, and said so: the same.
    let honest = iaf_signed_by_at(&cert, "foreign/anab/signer", "2026-09-15T00:00:00Z");
    let v = decide(honest.as_bytes(), datetime!(2026-10-01 0:00 UTC));
    assert_eq!(failed(&v), ("chain", "x509.untrusted".into()), "{:#?}", v.checks);
    // As a credential (judged now, as ever): the same.
    let v = decide(&as_jws(&cert, "foreign/anab/signer"), datetime!(2026-10-01 0:00 UTC));
    assert_eq!(failed(&v).0, "chain", "{:#?}", v.checks);
}

/// CRLs are judged when the decision is made: one past its nextUpdate at the decision
/// refuses, though it was fresh at the signature's stated time (a revocation may have been
/// published since). Through kept verifiers too, whose chains were validated while it was
/// fresh.
#[test]
fn a_crl_stale_now_refuses_a_signature_dated_while_it_was_fresh() {
    let read_text = |p: &str| String::from_utf8(read(p)).expect("utf8");
    let root = mrgate::pki::Ca::load(&read_text("foreign/dakks/root.pem"), &read_text("foreign/dakks/root.key"))
        .expect("DAkkS root");
    let crl = root
        .crl_numbered(2, &[], datetime!(2026-04-01 0:00 UTC), datetime!(2026-07-01 0:00 UTC))
        .expect("crl")
        .pem()
        .expect("pem");
    let mut crls = Crls::new();
    crls.add_pem_or_der(crl.as_bytes()).expect("crl");
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let signed = iaf_signed_at(&cert, "2026-05-01T08:00:00Z");
    let (list, table, kept) = (trust_list(), Table::embedded(), recognition::Verifiers::new());
    let at = |now: OffsetDateTime, verifiers: Option<&recognition::Verifiers>| {
        recognition::decide(signed.as_bytes(), &context(&list, &table, Some(&crls), now, verifiers))
    };
    let fresh = datetime!(2026-06-01 0:00 UTC);
    let stale = datetime!(2026-08-01 0:00 UTC);
    assert!(at(fresh, Some(&kept)).valid, "{:#?}", at(fresh, None).checks);
    for verifiers in [Some(&kept), None] {
        let v = at(stale, verifiers);
        assert_eq!(failed(&v), ("chain", "x509.crl_stale".into()), "{:#?}", v.checks);
    }
}

/// A certificate is recognized as what it says it is: an IAF record stating `Unaccredited`,
/// or a certificate naming another accreditation body of the list (by id, name or trade
/// name) than its CB's accreditor, is refused at the accreditation check, whatever the list
/// says of the CB; the other checks are still made. A name the list does not hold, and a
/// credential or CN XML without the claim (both optional), are left to the list.
#[test]
fn a_certificate_is_recognized_only_as_accredited_by_its_cbs_accreditor() {
    let with_body = |body: Option<&str>| {
        let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
        match body {
            None => cert.certification_body.accreditation = None,
            Some(b) => {
                if let Some(a) = cert.certification_body.accreditation.as_mut() {
                    a.body = b.into();
                }
            }
        }
        cert
    };
    let outcomes = |v: &Verdict| v.checks.iter().map(|c| (c.check, c.reason.clone())).collect::<Vec<_>>();
    let refused_at = |reason: &str| {
        vec![
            ("format", "format.valid".to_string()),
            ("signature", "sig.valid".into()),
            ("chain", "x509.valid".into()),
            ("accreditation", reason.into()),
            ("standards", "standards.equivalent".into()),
            ("validity", "validity.in_force".into()),
        ]
    };
    // An IAF record that says Unaccredited.
    let unaccredited = as_iaf_xml(&with_body(None), "foreign/dakks/signer");
    assert!(String::from_utf8_lossy(&unaccredited).contains(">Unaccredited<"));
    let v = decide(&unaccredited, NOW);
    assert_eq!((v.valid, outcomes(&v)), (false, refused_at("trust.accreditation_unclaimed")));
    // Another body of the list, by id (any case), name or trade name, in either format.
    let ukas_name = "United Kingdom Accreditation Service (UKAS) — demo";
    // And any name the list does not hold for its accreditor: look-alikes of another body's
    // (full-width, a Cyrillic letter, a zero-width space, its name in other words) or of its
    // own, and a true name the list does not hold.
    for other in [
        "UKAS",
        "ukas",
        ukas_name,
        "ANAB",
        "cnas",
        "ＵＫＡＳ",
        "UKАS",
        "UKAS\u{200D}",
        "United Kingdom Accreditation Service",
        "ＤＡｋｋＳ",
        "Deutsche Akkreditierungsstelle GmbH",
    ] {
        let cert = with_body(Some(other));
        for doc in [as_iaf_xml(&cert, "foreign/dakks/signer"), as_jws(&cert, "foreign/dakks/signer")] {
            let v = decide(&doc, NOW);
            assert_eq!((v.valid, outcomes(&v)), (false, refused_at("trust.accreditation_other")), "{other}");
        }
    }
    let said = |body: &str| {
        let v = decide(&as_jws(&with_body(Some(body)), "foreign/dakks/signer"), NOW);
        v.checks.iter().find(|c| c.check == "accreditation").map(|c| c.message.clone()).unwrap_or_default()
    };
    assert_eq!(
        said("ＵＫＡＳ"),
        "the certificate names accreditation by 'ＵＫＡＳ' (a name the trust list does not hold); 'dakks-cb' is accredited by 'dakks'"
    );
    assert_eq!(
        said("ukas"),
        "the certificate names accreditation by 'ukas' (ukas in the trust list); 'dakks-cb' is accredited by 'dakks'"
    );
    // Its own accreditor by the id, name or trade name the list holds (ASCII case aside; a
    // document's spaces around a text are read off with it, and no certificate holds them),
    // recognized.
    let dakks_name = "Deutsche Akkreditierungsstelle (DAkkS) — demo";
    for own in ["DAkkS", "dakks", "DAKKS", dakks_name] {
        let cert = with_body(Some(own));
        let v = decide(&as_jws(&cert, "foreign/dakks/signer"), NOW);
        assert!(v.valid, "{own:?}: {:#?}", v.checks);
        assert!(decide(&as_iaf_xml(&cert, "foreign/dakks/signer"), NOW).valid, "{own:?}");
    }
    // No claim at all is the same fact in every format — an IAF record's "Unaccredited", CN
    // XML without Accreditation, a credential without its authorisation — and no arrangement
    // recognizes it (rule set 18; found by attack: only the IAF record was refused).
    let unclaimed = with_body(None);
    for doc in [
        as_jws(&unclaimed, "foreign/dakks/signer"),
        as_iaf_xml(&unclaimed, "foreign/dakks/signer"),
        as_cn_xml(&unclaimed, "foreign/dakks/signer"),
    ] {
        let v = decide(&doc, NOW);
        assert_eq!((v.valid, outcomes(&v)), (false, refused_at("trust.accreditation_unclaimed")));
    }
}

/// A certificate names its CB as the trust list holds it: its id and signer vouch for that
/// body only (rule set 10). Every other name — another CB's, a look-alike, the name with
/// more words — is refused at the chain, in either format and in either name field.
#[test]
fn a_certificate_names_its_cb_as_the_list_holds_it() {
    let named = |name: &str, name_en: Option<&str>| {
        let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
        cert.certification_body.name = name.into();
        cert.certification_body.name_en = name_en.map(Into::into);
        cert
    };
    let outcomes = |v: &Verdict| v.checks.iter().map(|c| (c.check, c.reason.clone())).collect::<Vec<_>>();
    let refused = vec![
        ("format", "format.valid".to_string()),
        ("signature", "sig.valid".into()),
        ("chain", "trust.cb_name_other".into()),
        ("accreditation", "recognition.not_reached".into()),
        ("standards", "recognition.not_reached".into()),
        ("validity", "recognition.not_reached".into()),
    ];
    let own = "dakks demo certification body";
    for (name, name_en) in [
        ("ukas demo certification body", None),
        ("ukas-cb", None),
        ("Example Certification Co., Ltd.", None),
        ("示例认证有限公司", None),
        ("ｄａｋｋｓ demo certification body", None),
        // A zero-width joiner, which a text may hold (a zero-width space it may not).
        ("dakks demo certification body\u{200D}", None),
        ("dаkks demo certification body", None),
        ("dakks demo certification body GmbH", None),
        ("dakks  demo certification body", None),
        (own, Some("ukas demo certification body")),
        (own, Some("Example Certification Co., Ltd.")),
        ("ukas demo certification body", Some(own)),
    ] {
        let cert = named(name, name_en);
        for doc in [as_iaf_xml(&cert, "foreign/dakks/signer"), as_jws(&cert, "foreign/dakks/signer")] {
            let v = decide(&doc, NOW);
            assert_eq!((v.valid, outcomes(&v)), (false, refused.clone()), "{name:?} {name_en:?}");
        }
    }
    let v = decide(&as_jws(&named("ukas demo certification body", Some(own)), "foreign/dakks/signer"), NOW);
    assert_eq!(
        v.checks[2].message,
        "the certificate names its certification body 'ukas demo certification body'; the trust list holds \
         'dakks-cb' as 'dakks demo certification body', 'dakks-cb' only"
    );
    let v = decide(&as_iaf_xml(&named("ＸＹＺ", Some("Other GmbH")), "foreign/dakks/signer"), NOW);
    assert_eq!(
        v.checks[2].message,
        "the certificate names its certification body 'ＸＹＺ' and 'Other GmbH'; the trust list holds 'dakks-cb' \
         as 'dakks demo certification body', 'dakks-cb' only"
    );
    // Its name or id as the list holds them, ASCII case and surrounding spaces aside.
    for (name, name_en) in
        [(own, None), (own, Some(own)), ("DAKKS Demo Certification Body", None), (" dakks-cb ", Some(" DAKKS-CB"))]
    {
        let cert = named(name, name_en);
        for doc in [as_iaf_xml(&cert, "foreign/dakks/signer"), as_jws(&cert, "foreign/dakks/signer")] {
            let v = decide(&doc, NOW);
            assert!(v.valid, "{name:?} {name_en:?}: {:#?}", v.checks);
        }
    }
}

/// A name a list gives two bodies names neither, however the list came to hold it (`trust
/// build` refuses to write one; a list from another tool may): a CB stating it is refused.
#[test]
fn a_name_of_two_bodies_names_neither() {
    let description: mrgate::trust::build::Description =
        toml::from_str(&String::from_utf8(read("trust-list.toml")).expect("utf8")).expect("description");
    let unsigned = mrgate::trust::build::render(&description, std::path::Path::new(DEMO)).expect("rendered");
    let ukas_cb = "<tsl:Name xml:lang=\"en\">ukas-cb</tsl:Name>";
    assert_eq!(unsigned.matches(ukas_cb).count(), 1, "ukas-cb's trade name, its id");
    let shared = unsigned
        .replace(ukas_cb, &format!("{ukas_cb}<tsl:Name xml:lang=\"en\">dakks demo certification body</tsl:Name>"));
    let (key, chain) = key_and_chain("trust-list-operator");
    let signed = mrgate::crypto::xmldsig::sign(&shared, &key, &chain).expect("signed");
    let mut operator = TrustAnchors::new();
    operator.add_pem_or_der(&read("ca.pem")).expect("anchor");
    let list = TrustList::load(signed.as_bytes(), &operator, None, 1_780_272_000, &Limits::default()).expect("list");
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    assert_eq!(cert.certification_body.name, "dakks demo certification body");
    let v = decide_with(&as_jws(&cert, "foreign/dakks/signer"), &list, NOW, &NoRegister);
    assert_eq!(failed(&v), ("chain", "trust.cb_name_other".into()));
    assert_eq!(
        v.checks[2].message,
        "the certificate names its certification body 'dakks demo certification body', which the trust list holds \
         for 'ukas-cb' too: a name of two bodies names neither"
    );
    // By its id, which names it alone, it is recognized under the same list.
    let mut by_id = cert.clone();
    by_id.certification_body.name = "dakks-cb".into();
    assert!(decide_with(&as_jws(&by_id, "foreign/dakks/signer"), &list, NOW, &NoRegister).valid);
}

/// A domestic CB's names in both of the languages the list holds (the test fixture's CB,
/// signed in CN XML by its own signer); the names swapped between fields still name it,
/// another domestic CB's Chinese name does not.
#[test]
fn a_domestic_certificate_names_its_cb_in_chinese_and_english() {
    let fixture = include_bytes!("data/cn-qms.xml");
    let mut cert = formats::parse(Format::CnXml, fixture, &Limits::default()).expect("fixture");
    cert.status = Status::Valid;
    let signed = |c: &Certificate| {
        let (key, chain) = key_and_chain("cb/CNCA-R-2017-049");
        let xml = String::from_utf8(formats::render(Format::CnXml, c).bytes).expect("utf8");
        mrgate::crypto::xmldsig::sign(&xml, &key, &chain).expect("sign").into_bytes()
    };
    let at = OffsetDateTime::new_utc(cert.issue_date.next_day().expect("day"), time::Time::MIDNIGHT);
    let chain_of = |c: &Certificate| {
        let v = decide(&signed(c), at);
        v.checks.iter().find(|k| k.check == "chain").map(|k| k.reason.clone()).unwrap_or_default()
    };
    assert_eq!(
        (cert.certification_body.name.as_str(), cert.certification_body.name_en.as_deref()),
        ("示例认证有限公司", Some("Example Certification Co., Ltd."))
    );
    assert_eq!(chain_of(&cert), "x509.valid");
    let mut swapped = cert.clone();
    swapped.certification_body.name = "Example Certification Co., Ltd.".into();
    swapped.certification_body.name_en = Some("示例认证有限公司".into());
    assert_eq!(chain_of(&swapped), "x509.valid");
    for (name, name_en) in [
        ("中国质量认证中心", Some("Example Certification Co., Ltd.")),
        ("示例认证有限公司", Some("China Quality Certification Centre")),
        ("示例认证有限公司 ", Some("Example Certification Co., Ltd")),
        ("示例认证有限公司（上海）", None),
    ] {
        let mut other = cert.clone();
        other.certification_body.name = name.into();
        other.certification_body.name_en = name_en.map(Into::into);
        assert_eq!(chain_of(&other), "trust.cb_name_other", "{name} {name_en:?}");
    }
}

/// A withdrawal or cancellation the body signed in the document is final: the register's
/// status (valid, suspended) does not revive it. The register still overrides a valid
/// document (`suspended_in_the_document_or_by_a_notice`).
#[test]
fn a_signed_withdrawal_is_final_whatever_the_register_holds() {
    for (stated, reason) in [(Status::Withdrawn, "status.withdrawn"), (Status::Cancelled, "status.cancelled")] {
        let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
        cert.status = stated;
        for doc in [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")] {
            for held in [Status::Valid, Status::Suspended] {
                let v = decide_with(&doc, &trust_list(), NOW, &Register(Registered::Status(held), None));
                let seen = (v.valid, failed(&v), v.status);
                assert_eq!(seen, (false, ("validity", reason.into()), stated.as_str()), "{held:?}");
            }
            // Both final: the register's stands (a cancellation after a withdrawal).
            let other = if stated == Status::Withdrawn { Status::Cancelled } else { Status::Withdrawn };
            let v = decide_with(&doc, &trust_list(), NOW, &Register(Registered::Status(other), None));
            assert_eq!((v.valid, v.status), (false, other.as_str()));
            let v = decide_with(&doc, &trust_list(), NOW, &Register(Registered::NotHeld, None));
            assert_eq!((v.valid, v.status), (false, stated.as_str()));
        }
    }
}

/// A signed IAF XML record signed at `signing_time`, and the same record with an unsigned
/// `xades:SigningTime` stating `stated` placed first in its signature (in a `ds:Object` that
/// no reference covers).
fn signed_at_and_restated(c: &Certificate, signing_time: &str, stated: &str) -> (Vec<u8>, Vec<u8>) {
    let signed = iaf_signed_at(c, signing_time);
    let bogus = format!(
        "<ds:Object><xades:SigningTime xmlns:xades=\"{}\">{stated}</xades:SigningTime></ds:Object><ds:Object",
        mrgate::crypto::xmldsig::XADES_NS
    );
    assert!(signed.contains("<ds:Object"), "the signature has no ds:Object to precede");
    let restated = signed.replacen("<ds:Object", &bogus, 1);
    assert_eq!(
        mrgate::crypto::xmldsig::stated_signing_time(
            &mrgate::xml::parse_document(restated.as_bytes(), &Limits::default()).expect("xml")
        ),
        Some(stated.into())
    );
    (signed.into_bytes(), restated.into_bytes())
}

fn as_json(v: &Verdict) -> serde_json::Value {
    serde_json::to_value(v).expect("json")
}

#[test]
fn the_chain_is_checked_at_the_signed_signing_time() {
    // The DAkkS signer's certificate is valid from 2025-01-01; the certificate is dated
    // before it (a signing time before the document's own dates is not believed).
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2024-05-01");
    let early = iaf_signed_at(&cert, "2024-06-01T00:00:00Z");
    assert_eq!(failed(&decide(early.as_bytes(), NOW)), ("chain", "x509.not_yet_valid".into()));
    assert!(decide(iaf_signed_at(&cert, "2026-05-01T08:00:00Z").as_bytes(), NOW).valid);
}

#[test]
fn an_unsigned_signing_time_cannot_make_a_signature_valid() {
    // Signed before the signer's certificate was valid; an unsigned time within its validity
    // must not be the time the chain is checked at.
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2024-05-01");
    let (signed, restated) = signed_at_and_restated(&cert, "2024-06-01T00:00:00Z", "2026-05-01T08:00:00Z");
    let v = decide(&restated, NOW);
    assert!(!v.valid);
    assert_eq!(failed(&v), ("chain", "x509.not_yet_valid".into()));
    assert_eq!(as_json(&v), as_json(&decide(&signed, NOW)));
}

#[test]
fn an_unsigned_signing_time_cannot_make_a_valid_signature_fail() {
    // Signed within the signer's validity; an unsigned time before it changes nothing.
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2024-05-01");
    let (signed, restated) = signed_at_and_restated(&cert, "2026-05-01T08:00:00Z", "2024-06-01T00:00:00Z");
    let v = decide(&restated, NOW);
    assert!(v.valid, "{:#?}", v.checks);
    assert_eq!(as_json(&v), as_json(&decide(&signed, NOW)));
}

#[test]
fn a_signing_time_after_now_is_not_used() {
    // A signed time more than five minutes ahead of the decision is not believed: the chain
    // is checked at the decision's time instead (here within the signer's validity).
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let ahead = iaf_signed_at(&cert, "2046-01-01T00:00:00Z");
    assert!(decide(ahead.as_bytes(), NOW).valid);
}

/// One change to a signed document, at a position given as a fraction of its length.
#[derive(Debug, Clone)]
enum Change {
    FlipBit {
        at: f64,
        bit: u8,
    },
    SetByte {
        at: f64,
        byte: u8,
    },
    Delete {
        at: f64,
        len: usize,
    },
    Insert {
        at: f64,
        text: &'static str,
    },
    /// A copy of one part of the document placed elsewhere, as signature-wrapping attacks do.
    Copy {
        from: f64,
        to: f64,
        len: usize,
    },
    Truncate {
        at: f64,
    },
}

const INSERTS: [&str; 10] =
    ["<!--x-->", "&amp;", "\"", ".", " ", "\n", "<a/>", "<CertificateNumber>X</CertificateNumber>", "==", "\u{feff}"];

fn change() -> impl proptest::strategy::Strategy<Value = Change> {
    use proptest::prelude::*;
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 0..8u8).prop_map(|(at, bit)| Change::FlipBit { at, bit }),
        (at.clone(), any::<u8>()).prop_map(|(at, byte)| Change::SetByte { at, byte }),
        (at.clone(), 1..64usize).prop_map(|(at, len)| Change::Delete { at, len }),
        (at.clone(), 0..INSERTS.len()).prop_map(|(at, i)| Change::Insert { at, text: INSERTS[i] }),
        (at.clone(), at.clone(), 1..400usize).prop_map(|(from, to, len)| Change::Copy { from, to, len }),
        at.prop_map(|at| Change::Truncate { at }),
    ]
}

fn apply(doc: &mut Vec<u8>, change: &Change) {
    let pos = |at: f64, doc: &Vec<u8>| ((doc.len() as f64 * at) as usize).min(doc.len().saturating_sub(1));
    match *change {
        Change::FlipBit { at, bit } => {
            let i = pos(at, doc);
            doc[i] ^= 1 << bit;
        }
        Change::SetByte { at, byte } => {
            let i = pos(at, doc);
            doc[i] = byte;
        }
        Change::Delete { at, len } => {
            let i = pos(at, doc);
            doc.drain(i..(i + len).min(doc.len()));
        }
        Change::Insert { at, text } => {
            let i = pos(at, doc);
            doc.splice(i..i, text.bytes());
        }
        Change::Copy { from, to, len } => {
            let i = pos(from, doc);
            let part = doc[i..(i + len).min(doc.len())].to_vec();
            let j = pos(to, doc);
            doc.splice(j..j, part);
        }
        Change::Truncate { at } => doc.truncate(pos(at, doc)),
    }
}

mod changed_documents {
    use super::*;
    use proptest::prelude::*;

    /// The two signed documents and the certificate each was decided to, made once.
    fn signed() -> &'static [(Vec<u8>, Certificate); 2] {
        static SIGNED: std::sync::OnceLock<[(Vec<u8>, Certificate); 2]> = std::sync::OnceLock::new();
        SIGNED.get_or_init(|| {
            let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
            [as_jws(&cert, "foreign/dakks/signer"), as_iaf_xml(&cert, "foreign/dakks/signer")].map(|doc| {
                let v = decide(&doc, NOW);
                assert!(v.valid, "{:#?}", v.checks);
                let decided = v.certificate.expect("a valid verdict carries its certificate");
                (doc, decided)
            })
        })
    }

    fn list() -> &'static TrustList {
        static LIST: std::sync::OnceLock<TrustList> = std::sync::OnceLock::new();
        LIST.get_or_init(trust_list)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Whatever is changed in a signed document, the decision is made without a panic,
        /// and it is valid only for exactly what the signer signed: a change that still
        /// passes may only be one that changes nothing signed (whitespace the
        /// canonicalization removes, say).
        #[test]
        fn a_changed_document_is_valid_only_for_what_was_signed(
            which in 0..2usize,
            changes in proptest::collection::vec(change(), 1..4),
        ) {
            let (original, signed_certificate) = &signed()[which];
            let mut doc = original.clone();
            for c in &changes {
                if doc.is_empty() {
                    break;
                }
                apply(&mut doc, c);
            }
            let v = decide_with(&doc, list(), NOW, &NoRegister);
            if v.valid {
                prop_assert_eq!(v.certificate.as_ref(), Some(signed_certificate));
            } else {
                prop_assert!(v.checks.iter().any(|c| c.outcome == mrgate::crypto::Outcome::Fail), "{:#?}", v.checks);
            }
        }
    }
}

/// The recognition decision with these CRLs (or none).
fn decide_with_crls(doc: &[u8], crls: Option<&Crls>, now: OffsetDateTime) -> Verdict {
    let (list, table) = (trust_list(), Table::embedded());
    recognition::decide(doc, &context(&list, &table, crls, now, None))
}

/// A decision's context with no register and no own signers.
fn context<'a>(
    list: &'a TrustList,
    table: &'a Table,
    crls: Option<&'a Crls>,
    now: OffsetDateTime,
    verifiers: Option<&'a recognition::Verifiers>,
) -> Context<'a> {
    Context {
        trust_list: list,
        equivalence: table,
        crls,
        register: &NoRegister,
        own_signers: &[],
        verifying: true,
        now,
        limits: Limits::default(),
        verifiers,
    }
}

/// A signature cannot have been made before the dates its document states: such a signing
/// time is not believed, and the decision's time is used instead. The DAkkS signer and root
/// expire at the end of 2045 (the list is in date until the end of 2046; no CRLs, the
/// demo's are stale by then).
#[test]
fn a_signing_time_before_the_documents_own_dates_is_not_believed() {
    let at = datetime!(2046-02-01 0:00 UTC);
    let mut cert = certificate("dakks-cb", ProgramCode::Qms, "2045-12-01");
    let honest = iaf_signed_at(&cert, "2045-12-15T00:00:00Z");
    assert!(decide_with_crls(honest.as_bytes(), None, at).valid, "signed within its window, after its issue");
    let before_issue = iaf_signed_at(&cert, "2045-11-01T00:00:00Z");
    let v = decide_with_crls(before_issue.as_bytes(), None, at);
    assert_eq!(failed(&v), ("chain", "x509.expired".into()), "{:#?}", v.checks);
    // Its status dated after the stated signing time (CN XML states it; IAF does not): the
    // same.
    cert.status_date = Some(parse_date("2045-12-20").expect("date"));
    let (key, chain) = key_and_chain("foreign/dakks/signer");
    let cn = String::from_utf8(formats::render(Format::CnXml, &cert).bytes).expect("utf8");
    assert!(cn.contains("2045-12-20"), "{cn}");
    let before_status = mrgate::crypto::xmldsig::sign_at(&cn, &key, &chain, "2045-12-15T00:00:00Z").expect("sign");
    let after_status = mrgate::crypto::xmldsig::sign_at(&cn, &key, &chain, "2045-12-21T00:00:00Z").expect("sign");
    assert!(decide_with_crls(after_status.as_bytes(), None, at).valid);
    let v = decide_with_crls(before_status.as_bytes(), None, at);
    assert_eq!(failed(&v), ("chain", "x509.expired".into()), "{:#?}", v.checks);
    // On China's date: signed at 16:30 UTC on the eve of its issue date is 00:30 in Beijing.
    let at_midnight = iaf_signed_at(&with_issue(&cert, "2045-12-02"), "2045-12-01T16:30:00Z");
    assert!(decide_with_crls(at_midnight.as_bytes(), None, at).valid);
}

fn with_issue(cert: &Certificate, issued: &str) -> Certificate {
    let mut c = cert.clone();
    c.issue_date = parse_date(issued).expect("date");
    c.status_date = Some(c.issue_date);
    c
}

/// Of two versions of one CRL configured, the later decides: an earlier version past its
/// nextUpdate does not refuse (it was consulted for freshness before), and an earlier one
/// that does not list a revocation does not hide the later one's (webpki consults the first
/// CRL that speaks for a certificate, and both were given it). Found by review.
#[test]
fn the_latest_version_of_a_crl_decides() {
    let read_text = |p: &str| String::from_utf8(read(p)).expect("utf8");
    let root = mrgate::pki::Ca::load(&read_text("foreign/dakks/root.pem"), &read_text("foreign/dakks/root.key"))
        .expect("DAkkS root");
    let signer_der = read_certificates(&read("foreign/dakks/signer.pem")).expect("signer").remove(0);
    let (_, signer) = x509_parser::parse_x509_certificate(signer_der.as_ref()).expect("signer");
    let crl = |number: u64, revoked: &[&[u8]], this: OffsetDateTime, next: OffsetDateTime| {
        root.crl_numbered(number, revoked, this, next).expect("crl").pem().expect("pem")
    };
    let stale = crl(2, &[], datetime!(2026-03-01 0:00 UTC), datetime!(2026-05-01 0:00 UTC));
    let fresh = crl(3, &[], datetime!(2026-05-15 0:00 UTC), datetime!(2026-07-01 0:00 UTC));
    let fresh_but_older = crl(2, &[], datetime!(2026-05-10 0:00 UTC), datetime!(2026-07-01 0:00 UTC));
    let revoking = crl(3, &[signer.raw_serial()], datetime!(2026-05-15 0:00 UTC), datetime!(2026-07-01 0:00 UTC));
    let set = |pems: &[&String]| {
        let mut c = Crls::new();
        for p in pems {
            c.add_pem_or_der(p.as_bytes()).expect("crl");
        }
        c
    };
    let cert = certificate("dakks-cb", ProgramCode::Qms, "2026-01-15");
    let docs = [iaf_signed_at(&cert, "2026-05-01T08:00:00Z").into_bytes(), as_jws(&cert, "foreign/dakks/signer")];
    for doc in &docs {
        for crls in [set(&[&stale, &fresh]), set(&[&fresh, &stale])] {
            let v = decide_with_crls(doc, Some(&crls), NOW);
            assert!(v.valid, "{:#?}", v.checks);
        }
        let v = decide_with_crls(doc, Some(&set(&[&stale])), NOW);
        assert_eq!(failed(&v), ("chain", "x509.crl_stale".into()), "{:#?}", v.checks);
        for crls in [set(&[&fresh_but_older, &revoking]), set(&[&revoking, &fresh_but_older])] {
            let v = decide_with_crls(doc, Some(&crls), NOW);
            assert_eq!(failed(&v), ("chain", "x509.revoked".into()), "{:#?}", v.checks);
        }
    }
}
