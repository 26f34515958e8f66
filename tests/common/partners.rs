//! What partner accreditation bodies send, made with the demo PKI's foreign keys: a
//! foreign CB's certificate as a signed credential, and signed status notices.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mrgate::crypto::keys::SigningKey;
use mrgate::formats::{self, Format};
use mrgate::ids::{BodyId, ForeignBodyId};
use mrgate::model::Accreditation;
use mrgate::xml::Limits;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::gateway::DEMO;

/// The key and certificate chain at `certs/demo/<path>.key` and `.pem`.
pub fn signer(path: &str) -> (SigningKey, Vec<CertificateDer<'static>>) {
    (
        SigningKey::from_pkcs8(&std::fs::read(format!("{DEMO}/{path}.key")).expect("key")).expect("key"),
        CertificateDer::pem_file_iter(format!("{DEMO}/{path}.pem")).expect("pem").map(|c| c.expect("c")).collect(),
    )
}

/// A DAkkS-accredited CB's QMS certificate, issued this year, as a VC-JOSE credential.
pub fn foreign_credential(signed_by: &str) -> (String, String) {
    foreign_credential_with(signed_by, |_| {})
}

/// [`foreign_credential`] with `change` made to the credential before it is signed.
pub fn foreign_credential_with(signed_by: &str, change: impl Fn(&mut serde_json::Value)) -> (String, String) {
    let mut c =
        formats::parse(Format::CnXml, include_bytes!("../data/cn-qms.xml"), &Limits::default()).expect("fixture");
    c.certification_body.id = BodyId::Foreign(ForeignBodyId::parse("dakks-cb").expect("id"));
    // Named as the demo list holds it (the fixture's names are another CB's).
    c.certification_body.name = "dakks demo certification body".into();
    c.certification_body.name_en = None;
    c.certification_body.accreditation =
        Some(Accreditation { body: "DAkkS".into(), number: "D-ZM-0001".into(), country: Some("DE".into()) });
    let today = time::OffsetDateTime::now_utc().date();
    c.issue_date = today - time::Duration::days(30);
    c.expiry_date = today + time::Duration::days(700);
    c.status_date = Some(c.issue_date);
    let mut vc: serde_json::Value = serde_json::from_slice(&formats::render(Format::UntpDcc, &c).bytes).expect("json");
    change(&mut vc);
    let (key, chain) = signer(signed_by);
    let jws =
        mrgate::crypto::jws::sign(&serde_json::to_vec(&vc).expect("json"), &key, &chain, None, true).expect("sign");
    (jws, c.number.as_str().to_string())
}

/// A fresh notice: each later than the one before (`iat`), with its own `jti`, taking
/// effect when issued.
pub fn notice(action: &str, number: &str, signed_by: &str) -> Vec<u8> {
    notice_of("dakks-cb", action, number, signed_by)
}

/// [`notice`] of the certificate `number` of body `issuer`.
pub fn notice_of(issuer: &str, action: &str, number: &str, signed_by: &str) -> Vec<u8> {
    static SENT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let iat = time::OffsetDateTime::now_utc().unix_timestamp() - 1000 + n;
    let date = time::OffsetDateTime::from_unix_timestamp(iat).expect("iat").date().to_string();
    let payload = serde_json::json!({"issuer": issuer, "number": number, "action": action,
        "reason": "surveillance audit", "iat": iat, "jti": format!("notice-{n}"), "date": date});
    signed_notice(&payload, signed_by)
}

/// `payload` as a notice signed by `signed_by`.
pub fn signed_notice(payload: &serde_json::Value, signed_by: &str) -> Vec<u8> {
    let (key, chain) = signer(signed_by);
    let header = serde_json::json!({"alg": "ES256", "typ": "notice+jwt", "x5c": [STANDARD.encode(chain[0].as_ref())]});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
    let sig = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)).into_bytes()
}
