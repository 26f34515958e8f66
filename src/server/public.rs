//! Public routes: health, the current signed trust list, certificate status by number.
//!
//! Everything here answers callers without a client certificate, so it must never reveal
//! more than a certificate's own public facts and the log's public proofs.

use super::App;
use super::http::{Body, bytes, json, problem};
use crate::model::{Certificate, Status};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

pub fn healthz(app: &App) -> Response<Body> {
    let list = app.trust_list();
    json(StatusCode::OK, &json!({"status": "ok", "trust_list": {"sequence": list.sequence, "digest": list.digest}}))
}

pub fn trust_list(app: &App) -> Response<Body> {
    let bytes_now = app.trust_list_bytes.read().map(|b| b.as_ref().clone()).unwrap_or_default();
    bytes(StatusCode::OK, "application/xml", bytes_now)
}

/// The facts a person checks on a certificate, in the shape the verification page shows.
pub fn facts(cert: &Certificate) -> Value {
    let body = &cert.certification_body;
    json!({
        "number": cert.number.as_str(),
        "program": cert.program,
        "program_code": cert.program_code.as_str(),
        "holder": cert.holder.name,
        "holder_en": cert.holder.name_en,
        "holder_credit_code": cert.holder.credit_code.as_ref().map(|c| c.as_str()),
        "scope": cert.scope_zh,
        "scope_en": cert.scope_en,
        "standards": cert.standards,
        "products": cert.products.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "issue_date": cert.issue_date.to_string(),
        "expiry_date": cert.expiry_date.to_string(),
        "certification_body": body.name,
        "certification_body_en": body.name_en,
        "certification_body_id": body.id.as_str(),
        "accreditation": body.accreditation.as_ref().map(|a| json!({"body": a.body, "number": a.number})),
        "assessment_level": cert.assessment_level.as_str(),
    })
}

/// The status a person should read: a certificate recorded as valid whose expiry date has
/// passed is expired, whatever the record says; one whose stored document cannot be read
/// is unknown, never valid.
fn headline(recorded: &str, cert: Option<&Certificate>, today: time::Date) -> &'static str {
    let status = Status::ALL.iter().find(|s| s.as_str() == recorded).copied();
    match (status, cert) {
        (Some(Status::Valid), Some(c)) if c.expiry_date < today => "expired",
        (Some(Status::Valid), None) => "unknown",
        (Some(s), _) => s.as_str(),
        (None, _) => "unknown",
    }
}

/// Current status and history of a certificate the gateway exported or recognized, its
/// facts, and the log receipt of the decision that recorded it.
pub fn certificate(app: &App, issuer: &str, number: &str) -> Response<Body> {
    match app.store.certificate(issuer, number) {
        Ok(Some(record)) => {
            let history = app.store.status_history(issuer, number).unwrap_or_default();
            let cert = crate::formats::cn_xml::parse(&record.document, &app.limits).ok();
            // The newest export or recognition that recorded this certificate holds its receipt.
            let receipt = history
                .iter()
                .rev()
                .filter_map(|e| e.reference.split_once(':'))
                .filter(|(kind, _)| matches!(*kind, "export" | "recognition"))
                .find_map(|(_, id)| app.store.decision(id).ok().flatten())
                .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
                .map(|d| d["receipt"].clone())
                .unwrap_or(Value::Null);
            let today = time::OffsetDateTime::now_utc().date();
            json(
                StatusCode::OK,
                &json!({
                    "issuer": record.issuer,
                    "number": record.number,
                    "status": record.status,
                    "headline": headline(&record.status, cert.as_ref(), today),
                    "origin": record.origin,
                    "holder_credit_code": record.holder_credit_code,
                    "recorded_at": record.recorded_at,
                    "facts": cert.as_ref().map(facts),
                    "history": history,
                    "receipt": receipt,
                }),
            )
        }
        Ok(None) => problem(StatusCode::NOT_FOUND, "store.not_found", format!("no certificate {issuer}/{number}")),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::headline;
    use crate::formats::cn_xml;
    use crate::xml::Limits;
    use time::macros::date;

    #[test]
    fn the_headline_reads_the_expiry_date_not_only_the_record() {
        let cert = cn_xml::parse(include_bytes!("../../tests/data/cn-qms.xml"), &Limits::default()).expect("fixture");
        assert_eq!(cert.expiry_date, date!(2028 - 01 - 09));
        assert_eq!(headline("valid", Some(&cert), date!(2028 - 01 - 09)), "valid");
        assert_eq!(headline("valid", Some(&cert), date!(2028 - 01 - 10)), "expired");
        assert_eq!(headline("suspended", Some(&cert), date!(2026 - 01 - 01)), "suspended");
        assert_eq!(headline("withdrawn", Some(&cert), date!(2030 - 01 - 01)), "withdrawn");
        assert_eq!(headline("valid", None, date!(2026 - 01 - 01)), "unknown");
        assert_eq!(headline("archived", Some(&cert), date!(2026 - 01 - 01)), "unknown");
    }
}
