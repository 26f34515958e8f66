//! The recognition decision over a whole foreign document, as `POST /v1/recognitions` and
//! `POST /v1/verify` make it: a signed IAF XML record and a UNTP credential (VC-JOSE JWS),
//! each issued by the demo list's DAkkS-accredited CB, decided against the demo trust list
//! with the gateway's kept verifiers. `cargo bench --bench recognition`

use criterion::{Criterion, criterion_group, criterion_main};
use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::{Crls, TrustAnchors, read_certificates};
use mrgate::formats::{self, Format};
use mrgate::ids::{BodyId, ForeignBodyId};
use mrgate::model::Accreditation;
use mrgate::recognition::{self, Context, NoRegister, Verifiers};
use mrgate::standards::Table;
use mrgate::trust::TrustList;
use mrgate::xml::Limits;
use std::hint::black_box;
use time::macros::datetime;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

fn read(p: &str) -> Vec<u8> {
    std::fs::read(format!("{DEMO}/{p}")).expect("read")
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut operator = TrustAnchors::new();
    operator.add_pem_or_der(&read("ca.pem")).expect("anchor");
    let list = TrustList::load(&read("trust-list.xml"), &operator, None, 1_780_272_000, &limits).expect("list");
    let mut crls = Crls::new();
    crls.add_pem_or_der(&read("foreign/dakks/crl.pem")).expect("crl");
    let table = Table::embedded();
    let verifiers = Verifiers::new();
    let ctx = Context {
        trust_list: &list,
        equivalence: &table,
        crls: Some(&crls),
        register: &NoRegister,
        own_signers: &[],
        verifying: true,
        now: datetime!(2026-06-01 0:00 UTC),
        limits,
        verifiers: Some(&verifiers),
    };

    let mut cert = formats::parse(Format::CnXml, include_bytes!("../tests/data/cn-qms.xml"), &limits).expect("fixture");
    cert.certification_body.id = BodyId::Foreign(ForeignBodyId::parse("dakks-cb").expect("id"));
    cert.certification_body.name = "dakks demo certification body".into();
    cert.certification_body.name_en = None;
    cert.certification_body.accreditation =
        Some(Accreditation { body: "DAKKS".into(), number: "D-ZM-0001".into(), country: None });
    cert.issue_date = time::macros::date!(2026 - 01 - 15);
    cert.status_date = Some(cert.issue_date);
    cert.expiry_date = time::macros::date!(2029 - 01 - 15);
    let key = SigningKey::from_pkcs8(&read("foreign/dakks/signer.key")).expect("key");
    let chain = read_certificates(&read("foreign/dakks/signer.pem")).expect("chain");

    let iaf = String::from_utf8(formats::render(Format::IafXml, &cert).bytes).expect("utf8");
    let xml = mrgate::crypto::xmldsig::sign_at(&iaf, &key, &chain, "2026-05-01T08:00:00Z").expect("sign");
    let untp = formats::render(Format::UntpDcc, &cert).bytes;
    let jws = mrgate::crypto::jws::sign(&untp, &key, &chain, None, true).expect("sign");

    let mut g = c.benchmark_group("recognition");
    for (name, doc) in [
        (format!("signed_iaf_xml_{}B", xml.len()), xml.as_bytes()),
        (format!("untp_jws_{}B", jws.len()), jws.as_bytes()),
    ] {
        let v = recognition::decide(doc, &ctx);
        assert!(v.valid, "{name}: {:#?}", v.checks);
        g.bench_function(name, |b| b.iter(|| assert!(recognition::decide(black_box(doc), &ctx).valid)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
