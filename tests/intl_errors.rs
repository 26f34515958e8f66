//! Negative tests for the international formats: UNTP credentials and IAF records that
//! must be refused, each with its reason code and the path of the offending field.

use mrgate::formats::{self, Format, FormatError};
use mrgate::xml::Limits;
use serde_json::Value;

const GOOD_CN: &str = include_str!("data/cn-qms.xml");

fn rendered(format: Format) -> Vec<u8> {
    let cert = formats::parse(Format::CnXml, GOOD_CN.as_bytes(), &Limits::default()).expect("fixture");
    formats::render(format, &cert).bytes
}

fn json(format: Format) -> Value {
    serde_json::from_slice(&rendered(format)).expect("json")
}

fn parse_json(format: Format, v: &Value) -> Result<mrgate::model::Certificate, FormatError> {
    formats::parse(format, &serde_json::to_vec(v).expect("json"), &Limits::default())
}

fn assert_rejected(format: Format, v: &Value, code: &str, path: &str) {
    let err = parse_json(format, v).expect_err("must be rejected");
    assert_eq!((err.code(), err.path()), (code, Some(path)), "{err}");
}

#[test]
fn untp_fixture_round_trips() {
    assert!(parse_json(Format::UntpDcc, &json(Format::UntpDcc)).is_ok());
}

#[test]
fn untp_wrong_context() {
    let mut v = json(Format::UntpDcc);
    v["@context"][1] = "https://example.org/other/".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/@context");
}

#[test]
fn untp_missing_vc_type() {
    let mut v = json(Format::UntpDcc);
    v["type"] = serde_json::json!(["DigitalConformityCredential"]);
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/type");
}

#[test]
fn untp_unknown_status() {
    let mut v = json(Format::UntpDcc);
    v["credentialStatus"]["statusValue"] = "active".into();
    assert_rejected(Format::UntpDcc, &v, "format.not_in_list", "/credentialStatus/statusValue");
}

#[test]
fn untp_missing_status_is_not_read_as_valid() {
    let mut v = json(Format::UntpDcc);
    v.as_object_mut().expect("object").remove("credentialStatus");
    assert_rejected(Format::UntpDcc, &v, "format.missing", "/credentialStatus");
}

#[test]
fn untp_bad_credit_code() {
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["issuedToParty"]["id"] = "urn:cn:uscc:91310110666007217U".into();
    assert_rejected(Format::UntpDcc, &v, "id.credit_code.check_digit", "/credentialSubject/issuedToParty/id");
}

#[test]
fn untp_impossible_date() {
    let mut v = json(Format::UntpDcc);
    v["validFrom"] = "2025-02-30T00:00:00+08:00".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/validFrom");
    // Not an RFC 3339 date-time, as the schema refuses it: a date alone, no zone, a space
    // for the separator, a time without seconds.
    for text in ["2025-01-10", "2025-01-10T00:00:00", "2025-01-10 00:00:00+08:00", "2025-01-10T00:00+08:00"] {
        let mut v = json(Format::UntpDcc);
        v["validUntil"] = text.into();
        assert_rejected(Format::UntpDcc, &v, "format.invalid", "/validUntil");
    }
}

/// A validity bound with a time and a zone is the certificate's date where it lives —
/// Beijing (UTC+8) for a domestic CB — not the string's first ten characters.
#[test]
fn untp_dates_convert_to_the_certificates_time_zone() {
    let date = |from: &str, until: &str| {
        let mut v = json(Format::UntpDcc);
        v["validFrom"] = from.into();
        v["validUntil"] = until.into();
        // No status date: one is never before the issue date, which each case moves.
        v["credentialStatus"].as_object_mut().and_then(|s| s.remove("statusDate"));
        let cert = parse_json(Format::UntpDcc, &v).expect("reads");
        (mrgate::ids::format_date(cert.issue_date), mrgate::ids::format_date(cert.expiry_date))
    };
    let days = |a: &str, b: &str| (a.to_string(), b.to_string());
    // 16:00 UTC on the 9th is midnight of the 10th in Beijing; 15:59:59 UTC on 9 January
    // 2028 is the last second of the 9th there.
    assert_eq!(date("2025-01-09T16:00:00Z", "2028-01-09T15:59:59Z"), days("2025-01-10", "2028-01-09"));
    assert_eq!(date("2025-01-10T00:00:00+08:00", "2028-01-09T23:59:59+08:00"), days("2025-01-10", "2028-01-09"));
    // The issue date is the day in Beijing validFrom falls on: 20:00 at -05:00 is 09:00 on
    // the 10th there. The expiry date is the last day validUntil covers whole: midnight of
    // the 9th at +14:00 is 18:00 on the 8th there, so the 7th. Its own date (the 9th) would
    // read it in force up to 30 hours past the instant it states.
    assert_eq!(date("2025-01-09T20:00:00-05:00", "2028-01-09T00:00:00+14:00"), days("2025-01-10", "2028-01-07"));
    // The last second of a day covers it; one second short does not.
    assert_eq!(date("2025-01-10T00:00:00+08:00", "2028-01-09T23:59:58+08:00"), days("2025-01-10", "2028-01-08"));
    assert_eq!(date("2025-01-10T00:00:00+08:00", "2028-01-09T23:59:59.999+08:00"), days("2025-01-10", "2028-01-09"));
    assert_eq!(date("2025-01-10T00:00:00+08:00", "2028-01-10T00:00:00+08:00"), days("2025-01-10", "2028-01-09"));
    assert_eq!(date("2025-01-10T23:59:59+08:00", "2028-01-09T23:59:59+08:00"), days("2025-01-10", "2028-01-09"));
    assert_eq!(date("2025-01-09T15:59:59.5Z", "2028-01-09T23:59:59+08:00"), days("2025-01-09", "2028-01-09"));
    let refused = |from: &str, until: &str| {
        let mut v = json(Format::UntpDcc);
        v["validFrom"] = from.into();
        v["validUntil"] = until.into();
        let e = parse_json(Format::UntpDcc, &v).expect_err("refused");
        (e.code().to_string(), e.path().map(str::to_string), e.to_string())
    };
    // No day in Beijing after the issue day covered whole: said of validUntil.
    let (code, path, message) = refused("2025-01-10T09:00:00+08:00", "2025-01-11T20:00:00+08:00");
    assert_eq!((code.as_str(), path.as_deref()), ("id.expiry_before_issue", Some("/validUntil")), "{message}");
    // An instant past 9999-12-31 in China is refused where it stands, never a panic.
    for (from, until, at) in [
        ("2025-01-10T00:00:00+08:00", "9999-12-31T23:59:59Z", "/validUntil"),
        ("2025-01-10T00:00:00+08:00", "9999-12-31T20:00:00-05:00", "/validUntil"),
        ("9999-12-31T20:00:00-05:00", "2028-01-09T23:59:59+08:00", "/validFrom"),
    ] {
        let (code, path, message) = refused(from, until);
        assert_eq!((code.as_str(), path.as_deref()), ("format.invalid", Some(at)), "{message}");
        assert!(message.contains("past 9999-12-31 in China"), "{message}");
    }
    // The last instant China's calendar holds is a day the certificate may end on.
    assert_eq!(date("9997-01-01T00:00:00+08:00", "9999-12-31T15:59:59Z"), days("9997-01-01", "9999-12-31"));
    // An instant before 0001-01-01 in China is refused too (year 0 was rendered as dates no
    // format reads); its first instant there is a day a certificate may start on.
    for (from, until, at) in [
        ("0000-01-01T00:00:00+14:00", "2028-01-09T23:59:59+08:00", "/validFrom"),
        ("0000-12-31T15:59:59Z", "2028-01-09T23:59:59+08:00", "/validFrom"),
        ("2025-01-10T00:00:00+08:00", "0000-12-31T12:00:00Z", "/validUntil"),
    ] {
        let (code, path, message) = refused(from, until);
        assert_eq!((code.as_str(), path.as_deref()), ("format.invalid", Some(at)), "{message}");
        assert!(message.contains("is before 0001-01-01 in China"), "{message}");
    }
    // Its first instant there is a day the dates are read as; what refuses it is that its CB
    // was approved in 2017 (`model.issued_before_approval`), not the date.
    let mut v = json(Format::UntpDcc);
    v["validFrom"] = "0000-12-31T16:00:00Z".into();
    v["validUntil"] = "0003-12-31T23:59:59+08:00".into();
    v["credentialStatus"].as_object_mut().and_then(|s| s.remove("statusDate"));
    let e = parse_json(Format::UntpDcc, &v).expect_err("before its body's approval");
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("model.issued_before_approval", "issued 0001-01-01, in a year before CNCA-R-2017-049 was approved (2017)")
    );
}

#[test]
fn untp_expiry_before_issue() {
    let mut v = json(Format::UntpDcc);
    v["validUntil"] = "2024-01-01T00:00:00+08:00".into();
    let err = parse_json(Format::UntpDcc, &v).expect_err("bad");
    assert_eq!(err.code(), "id.expiry_before_issue");
}

/// This gateway's profile carries nothing it does not read: a member it does not know is
/// refused, in a translation too, never ignored (another issuer's credential may carry
/// what its schema allows: `tests/untp_other_issuers.rs`). A value it reads but rewrites
/// is reported lost; a member where the schema is closed is refused.
#[test]
fn untp_unknown_field() {
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["extraClaim"] = "x".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/credentialSubject/extraClaim");
    let bytes = serde_json::to_vec(&v).expect("json");
    let err = formats::read(Format::UntpDcc, &bytes, &Limits::default()).expect_err("the profile is closed");
    assert_eq!(err.path(), Some("/credentialSubject/extraClaim"));
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["assessment"][0]["conformityTopic"] = "environment.energy".into();
    let bytes = serde_json::to_vec(&v).expect("json");
    let (_, loss) = formats::read(Format::UntpDcc, &bytes, &Limits::default()).expect("a value rewritten");
    assert_eq!(loss.lost, ["/credentialSubject/assessment/conformityTopic"]);

    let mut v = json(Format::UntpDcc);
    v["issuer"]["extraClaim"] = "x".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/extraClaim");
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["assessment"][0]["referenceStandard"]["edition"] = "3".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/credentialSubject/assessment/0/referenceStandard/edition");
}

#[test]
fn untp_non_conformance_is_not_a_certificate() {
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["assessment"][0]["conformance"] = false.into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/credentialSubject/assessment/0/conformance");
}

#[test]
fn untp_subject_id_must_match_issuer_and_number() {
    let mut v = json(Format::UntpDcc);
    v["issuer"]["id"] = "urn:cn:cnca:approval:CNCA-R-2002-001".into();
    v["issuer"].as_object_mut().expect("object").remove("issuerAlsoKnownAs");
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/credentialSubject/id");
}

#[test]
fn untp_unknown_assessment_level() {
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["assessmentLevel"] = "GovtApproval".into();
    assert_rejected(Format::UntpDcc, &v, "format.not_in_list", "/credentialSubject/assessmentLevel");
}

#[test]
fn untp_malformed_json_has_a_position() {
    let err = formats::parse(Format::UntpDcc, b"{\n  \"@context\": [,\n}", &Limits::default()).expect_err("bad");
    assert_eq!(err.code(), "format.json");
    assert_eq!(err.pos().map(|p| p.line), Some(2));
}

/// Repeats `member` in front of its first occurrence with `earlier` as the value; the
/// document must be refused at the line the repeated name stands on.
fn assert_repeated_member_refused(format: Format, member: &str, earlier: &str) {
    let text = String::from_utf8(rendered(format)).expect("utf-8");
    let name = format!("\"{member}\": ");
    let at = text.find(&name).expect("member");
    let indent = &text[text[..at].rfind('\n').expect("line") + 1..at];
    let doubled = format!("{}{name}{earlier},\n{indent}{}", &text[..at], &text[at..]);
    let line = doubled[..doubled.rfind(&name).expect("member")].matches('\n').count() as u32 + 1;
    let err = formats::parse(format, doubled.as_bytes(), &Limits::default()).expect_err("must be refused");
    assert_eq!(err.code(), "format.json");
    assert_eq!(err.pos().map(|p| p.line), Some(line));
    assert!(err.to_string().contains(&format!("member '{member}' is given twice")), "{err}");
}

#[test]
fn untp_repeated_member_is_refused_not_read_as_either_value() {
    // A reader that kept the first value would see "suspended", one that kept the last "valid".
    assert_repeated_member_refused(Format::UntpDcc, "credentialStatus", r#"{"statusValue": "suspended"}"#);
}

#[test]
fn iaf_json_repeated_member_is_refused() {
    assert_repeated_member_refused(Format::IafJson, "certification_status", r#""Withdrawn""#);
}

#[test]
fn iaf_json_fixture_round_trips() {
    assert!(parse_json(Format::IafJson, &json(Format::IafJson)).is_ok());
}

#[test]
fn iaf_json_unknown_status() {
    let mut v = json(Format::IafJson);
    v["certification_status"] = "Valid".into();
    assert_rejected(Format::IafJson, &v, "format.not_in_list", "/certification_status");
}

#[test]
fn iaf_json_date_must_be_compact() {
    let mut v = json(Format::IafJson);
    v["certification_issue_date"] = "2025-01-10".into();
    assert_rejected(Format::IafJson, &v, "id.date", "/certification_issue_date");
}

#[test]
fn iaf_json_bad_credit_code() {
    let mut v = json(Format::IafJson);
    v["certified_entity"]["certified_entity_unique_id"] = "91310110666007217U".into();
    assert_rejected(Format::IafJson, &v, "id.credit_code.check_digit", "/certified_entity/certified_entity_unique_id");
}

#[test]
fn iaf_json_accredited_without_body() {
    let mut v = json(Format::IafJson);
    v.as_object_mut().expect("object").remove("accreditation_body_acronym");
    let err = parse_json(Format::IafJson, &v).expect_err("bad");
    assert_eq!(err.code(), "format.missing");
}

#[test]
fn iaf_json_wrong_template_version() {
    let mut v = json(Format::IafJson);
    v["template_version"] = "1.1".into();
    assert_rejected(Format::IafJson, &v, "format.not_in_list", "/template_version");
}

#[test]
fn iaf_json_wrong_type_of_value() {
    let mut v = json(Format::IafJson);
    v["certificate_number"] = 12345.into();
    assert_rejected(Format::IafJson, &v, "format.invalid", "/certificate_number");
}

fn iaf_xml() -> String {
    String::from_utf8(rendered(Format::IafXml)).expect("utf8")
}

fn parse_iaf_xml(doc: &str) -> Result<mrgate::model::Certificate, FormatError> {
    formats::parse(Format::IafXml, doc.as_bytes(), &Limits::default())
}

#[test]
fn iaf_xml_fixture_round_trips() {
    assert!(parse_iaf_xml(&iaf_xml()).is_ok());
}

#[test]
fn iaf_xml_unknown_element_has_line_and_column() {
    let doc = iaf_xml().replacen("  <certification_status>", "  <remark>x</remark>\n  <certification_status>", 1);
    let err = parse_iaf_xml(&doc).expect_err("bad");
    assert_eq!(err.code(), "format.unexpected_element");
    assert_eq!(err.pos().map(|p| (p.line, p.column)), Some((5, 3)));
}

#[test]
fn iaf_xml_impossible_date() {
    let doc = iaf_xml().replacen("<certification_issue_date>20250110", "<certification_issue_date>20250230", 1);
    let err = parse_iaf_xml(&doc).expect_err("bad");
    assert_eq!((err.code(), err.path()), ("id.date", Some("certification/certification_issue_date")));
    assert!(err.pos().is_some());
}

#[test]
fn iaf_xml_unaccredited_with_accreditation() {
    let doc = iaf_xml().replacen(">Accredited<", ">Unaccredited<", 1);
    assert_eq!(parse_iaf_xml(&doc).expect_err("bad").code(), "format.invalid");
}

/// An Unaccredited record names no part of an accreditation, its body's country included
/// (found by attack: the country was dropped from every translation without a loss report).
#[test]
fn iaf_unaccredited_with_an_accreditation_bodys_country_is_refused() {
    let mut record = json(Format::IafJson);
    let fields = record.as_object_mut().expect("record");
    fields.insert("accreditation_status".into(), "Unaccredited".into());
    fields.remove("accreditation_body_acronym");
    fields.remove("accreditation_number");
    assert!(parse_json(Format::IafJson, &record).is_ok(), "{record}");
    record["accreditation_body_country"] = "DE".into();
    let err = parse_json(Format::IafJson, &record).expect_err("a country of no accreditation");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some("/accreditation_status")));
    assert!(err.to_string().ends_with("an Unaccredited record names an accreditation"), "{err}");
}

#[test]
fn iaf_xml_foreign_entity_keeps_its_registration_id() {
    let doc = iaf_xml().replacen(">91310110666007217T<", ">HRB 12345 B<", 1).replacen(
        "<certified_entity_country>CN<",
        "<certified_entity_country>DE<",
        1,
    );
    let cert = parse_iaf_xml(&doc).expect("foreign entity");
    assert_eq!(cert.holder.registered_id.as_deref(), Some("HRB 12345 B"));
    assert_eq!(cert.holder.credit_code, None);
}

#[test]
fn untp_receipt_link_is_accepted_and_checked() {
    let link = serde_json::json!({
        "type": ["SecureLink", "Link"],
        "linkURL": "https://gateway.example.cn/v1/receipts/0a1b",
        "linkName": "mrgate transparency-log receipt",
        "linkType": "https://mrgate.example/linkTypes/log-receipt",
        "encryptionMethod": "none",
    });
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["auditableEvidence"] = link.clone();
    let with_link = parse_json(Format::UntpDcc, &v).expect("a linked credential parses");
    let without = parse_json(Format::UntpDcc, &json(Format::UntpDcc)).expect("fixture");
    assert_eq!(with_link, without, "the link is not part of the certificate");

    let path = "/credentialSubject/auditableEvidence";
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["auditableEvidence"] = link.clone();
    v["credentialSubject"]["auditableEvidence"]["linkURL"] = "http://gateway.example.cn/r/1".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", &format!("{path}/linkURL"));
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["auditableEvidence"] = link.clone();
    v["credentialSubject"]["auditableEvidence"]["type"] = serde_json::json!(["Link"]);
    assert_rejected(Format::UntpDcc, &v, "format.invalid", &format!("{path}/type"));
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["auditableEvidence"] = link.clone();
    v["credentialSubject"]["auditableEvidence"]["secret"] = "x".into();
    let err = parse_json(Format::UntpDcc, &v).expect_err("unknown key");
    assert_eq!(err.path(), Some(format!("{path}/secret").as_str()), "{err}");
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["auditableEvidence"] = "https://gateway.example.cn/v1/receipts/0a1b".into();
    assert!(parse_json(Format::UntpDcc, &v).is_err());
}

/// `validate` lists every error of a UNTP credential, in reading order — not the first
/// alone; a verification (`formats::parse`) stops at the first of them.
#[test]
fn untp_every_error_is_found() {
    let mut v = json(Format::UntpDcc);
    v["validFrom"] = "2025-01-10".into();
    v["issuer"]["extraClaim"] = "x".into();
    v["credentialStatus"]["statusValue"] = "active".into();
    v["credentialSubject"]["issuedToParty"]["id"] = "urn:cn:uscc:91310110666007217U".into();
    v["credentialSubject"]["assessment"][0]["conformance"] = false.into();
    let bytes = serde_json::to_vec(&v).expect("json");
    let errors = formats::parse_all(Format::UntpDcc, &bytes, &Limits::default()).expect_err("five errors");
    let found: Vec<(&str, Option<&str>)> = errors.iter().map(|e| (e.code(), e.path())).collect();
    assert_eq!(
        found,
        [
            ("format.invalid", Some("/validFrom")),
            ("format.invalid", Some("/issuer/extraClaim")),
            ("format.not_in_list", Some("/credentialStatus/statusValue")),
            ("id.credit_code.check_digit", Some("/credentialSubject/issuedToParty/id")),
            ("format.invalid", Some("/credentialSubject/assessment/0/conformance")),
        ]
    );
    let first = formats::parse(Format::UntpDcc, &bytes, &Limits::default()).expect_err("first");
    assert_eq!(first, errors[0]);
    // One error is one error; a valid credential has none.
    let mut v = json(Format::UntpDcc);
    v["credentialSubject"]["assessmentLevel"] = "GovtApproval".into();
    let bytes = serde_json::to_vec(&v).expect("json");
    assert_eq!(formats::parse_all(Format::UntpDcc, &bytes, &Limits::default()).map_err(|e| e.len()), Err(1));
    assert!(formats::parse_all(Format::UntpDcc, &rendered(Format::UntpDcc), &Limits::default()).is_ok());
}

/// The same for IAF records (XML and JSON): every value that does not read.
#[test]
fn iaf_every_value_error_is_found() {
    let doc = iaf_xml()
        .replacen("<certification_status>Active<", "<certification_status>Live<", 1)
        .replacen("<certification_issue_date>20250110<", "<certification_issue_date>20250230<", 1)
        .replacen("<certified_entity_postcode>200082<", "<certified_entity_postcode>20008<", 1);
    let errors = formats::parse_all(Format::IafXml, doc.as_bytes(), &Limits::default()).expect_err("three");
    let found: Vec<(&str, Option<&str>)> = errors.iter().map(|e| (e.code(), e.path())).collect();
    assert_eq!(
        found,
        [
            ("format.not_in_list", Some("certification/certification_status")),
            ("id.date", Some("certification/certification_issue_date")),
            ("id.post_code", Some("certification/certified_entity/certified_entity_postcode")),
        ]
    );
    assert_eq!(parse_iaf_xml(&doc).expect_err("first"), errors[0]);

    let mut v = json(Format::IafJson);
    v["certification_status"] = "Live".into();
    v["certification_scheme_code"] = "XMS".into();
    let bytes = serde_json::to_vec(&v).expect("json");
    let errors = formats::parse_all(Format::IafJson, &bytes, &Limits::default()).expect_err("two");
    let found: Vec<(&str, Option<&str>)> = errors.iter().map(|e| (e.code(), e.path())).collect();
    assert_eq!(
        found,
        [
            ("format.not_in_list", Some("/certification_status")),
            ("format.not_in_list", Some("/certification_scheme_code"))
        ]
    );
}

/// An exported credential's issuer is the gateway's did:web, with the certification body
/// first in `issuerAlsoKnownAs`: it reads back to the same certificate; an issuer DID that
/// names no body, or names it wrongly, is refused.
#[test]
fn untp_issued_by_the_gateways_did() {
    let link = mrgate::decisions::export::receipt_link("https://gw.example", &"0a".repeat(16));
    let issued = || {
        mrgate::decisions::export::credential_payload(
            &rendered(Format::UntpDcc),
            &link,
            Some("did:web:gw.example"),
            None,
        )
        .expect("payload")
    };
    let v = issued();
    assert_eq!(v["issuer"]["id"], "did:web:gw.example");
    let cert = parse_json(Format::UntpDcc, &v).expect("reads");
    let plain = parse_json(Format::UntpDcc, &json(Format::UntpDcc)).expect("fixture");
    assert_eq!(cert, plain, "the same certificate, the body named beside the gateway");

    let mut v = issued();
    v["issuer"].as_object_mut().expect("object").remove("issuerAlsoKnownAs");
    assert_rejected(Format::UntpDcc, &v, "format.missing", "/issuer/issuerAlsoKnownAs");
    let mut v = issued();
    v["issuer"]["issuerAlsoKnownAs"][0]["id"] = "https://cb.example".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/issuerAlsoKnownAs/0/id");
    let mut v = issued();
    v["issuer"]["issuerAlsoKnownAs"][1]["id"] = "urn:cn:cnca:approval:CNCA-R-2002-002".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/issuerAlsoKnownAs/1/id");
    let mut v = issued();
    v["issuer"]["issuerAlsoKnownAs"][0]["registeredId"] = "CNCA-R-2002-002".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/issuerAlsoKnownAs/0/registeredId");
    // A third alias: a name no check would read.
    let mut v = issued();
    let third =
        serde_json::json!({"id": v["issuer"]["issuerAlsoKnownAs"][0]["id"], "name": "ukas demo certification body"});
    v["issuer"]["issuerAlsoKnownAs"].as_array_mut().expect("aliases").push(third);
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/issuerAlsoKnownAs/2");
    // Another DID method is no gateway's: not this profile (its subject id is).
    let mut v = issued();
    v["issuer"]["id"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into();
    assert_rejected(Format::UntpDcc, &v, "format.invalid", "/issuer/id");
}

/// A body's own credential names it once more, in English, by its own id, at most: another
/// body's id there, or more aliases, would be names the trust-list check never reads (found
/// by review: only the last alias's name was held to the list, and a first alias naming
/// ukas-cb was recognized as dakks-cb's).
#[test]
fn untp_a_body_names_itself_once_more_at_most() {
    let v = json(Format::UntpDcc);
    let own = v["issuer"]["issuerAlsoKnownAs"][0].clone();
    assert_eq!(own["id"], v["issuer"]["id"], "the fixture's alias is the body itself");
    let alias = |id: &str, name: &str| serde_json::json!({"id": id, "name": name});
    let with = |aliases: Vec<Value>| {
        let mut v = json(Format::UntpDcc);
        v["issuer"]["issuerAlsoKnownAs"] = Value::Array(aliases);
        v
    };
    let issuer_id = v["issuer"]["id"].as_str().expect("id").to_string();
    for (aliases, path) in [
        (
            vec![alias("urn:mrgate:body:ukas-cb", "ukas demo certification body"), own.clone()],
            "/issuer/issuerAlsoKnownAs/0/id",
        ),
        (vec![alias("https://evil.example/ukas", "Example Certification Co., Ltd.")], "/issuer/issuerAlsoKnownAs/0/id"),
        (
            vec![alias("urn:cn:cnca:approval:CNCA-R-2002-001", "China Quality Certification Centre")],
            "/issuer/issuerAlsoKnownAs/0/id",
        ),
        (vec![alias(&issuer_id, "ukas demo certification body"), own.clone()], "/issuer/issuerAlsoKnownAs/1"),
        (vec![own.clone(), own.clone()], "/issuer/issuerAlsoKnownAs/1"),
    ] {
        let err = parse_json(Format::UntpDcc, &with(aliases.clone())).expect_err("refused");
        assert_eq!((err.code(), err.path()), ("format.invalid", Some(path)), "{aliases:?}: {err}");
    }
    // Its own English name once, or none: read.
    assert!(parse_json(Format::UntpDcc, &with(vec![own])).is_ok());
    assert!(parse_json(Format::UntpDcc, &with(vec![])).is_ok());
}

/// A string or member name holding a character XML 1.0 cannot carry is refused where it
/// stands (line and column): the certificate would translate to XML no reader takes, and a
/// control character in a name, or in a member name an error repeats, shown on a terminal
/// could be an escape sequence.
#[test]
fn json_text_holds_only_characters_xml_allows() {
    let refused = |format: Format, v: &Value, c: &str| {
        let err = parse_json(format, v).expect_err("refused");
        assert_eq!(err.code(), "format.json", "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{c} is not a character XML 1.0 allows")) && text.contains("line 1 column"),
            "{text}"
        );
    };
    for (pointer, text, c) in [
        ("/issuer/name", "dakks\u{1b}[2Jdemo", "U+001B"),
        ("/issuer/name", "bell\u{7}", "U+0007"),
        ("/credentialSubject/issuedToParty/name", "\u{FFFF}", "U+FFFF"),
    ] {
        let mut v = json(Format::UntpDcc);
        *v.pointer_mut(pointer).expect("member") = text.into();
        refused(Format::UntpDcc, &v, c);
    }
    let mut v = json(Format::UntpDcc);
    v["issuer"].as_object_mut().expect("issuer").insert("\u{1b}]0;owned\u{7}".into(), "x".into());
    refused(Format::UntpDcc, &v, "U+001B");
    let mut v = json(Format::IafJson);
    *v.pointer_mut("/certification_body_name").expect("name") = "CB\u{0}".into();
    refused(Format::IafJson, &v, "U+0000");
    // C1 controls and bidirectional formatting characters are characters, but no
    // certificate's text holds them.
    let mut v = json(Format::UntpDcc);
    *v.pointer_mut("/issuer/name").expect("name") = "\u{202E}ydob noitacifitrec".into();
    let err = parse_json(Format::UntpDcc, &v).expect_err("refused");
    assert_eq!(err.code(), "model.hidden_control", "{err}");
    // Tab, LF and CR are characters; so is every other one.
    let mut v = json(Format::UntpDcc);
    *v.pointer_mut("/issuer/name").expect("name") = "Example\tCertification\u{FFFD}\u{10000}\u{200D} Co., Ltd.".into();
    assert!(parse_json(Format::UntpDcc, &v).is_ok());
}

/// No text anywhere in a document holds a character that acts rather than shows, in a field
/// the model carries or not (found by attack: an IAF record's accreditation body country and
/// identity number, a credential's id, an assessment's topic, a standard's issuer carried
/// bidirectional controls and tag characters into documents verified "valid"). Said by its
/// JSON path, or by the XML element and its line and column.
#[test]
fn no_text_of_a_document_holds_a_hidden_character() {
    let hidden = "\u{202E}\u{E0041}\u{85}";
    let said = |err: &FormatError| (err.code(), err.path().map(str::to_string));
    let v = json(Format::UntpDcc);
    let subject = "/credentialSubject";
    for pointer in [
        "/id".to_string(),
        format!("{subject}/assessment/0/conformityTopic"),
        format!("{subject}/assessment/0/id"),
        format!("{subject}/assessment/0/referenceStandard/issuingParty/name"),
        format!("{subject}/scope/issuingParty/name"),
        format!("{subject}/authorisation/0/id"),
    ] {
        let mut changed = v.clone();
        let Some(member) = changed.pointer_mut(&pointer) else { panic!("{pointer} is not in the fixture") };
        *member = hidden.into();
        let err = parse_json(Format::UntpDcc, &changed).expect_err(&pointer);
        assert_eq!(said(&err), ("model.hidden_control", Some(pointer.clone())), "{err}");
        assert!(err.to_string().contains("U+202E is a control, format or invisible character"), "{err}");
    }
    // A member name.
    let mut changed = v.clone();
    changed["credentialSubject"].as_object_mut().expect("subject").insert("x\u{2065}".into(), "y".into());
    let err = parse_json(Format::UntpDcc, &changed).expect_err("a name");
    assert_eq!(said(&err), ("model.hidden_control", Some(format!("{subject}/x\u{2065}"))), "{err}");
    // An IAF record: the accreditation body's country is a code, and the identity number
    // holds no hidden character.
    let mut iaf = json(Format::IafJson);
    iaf["accreditation_body_country"] = "DE\u{202E}XX".into();
    let err = parse_json(Format::IafJson, &iaf).expect_err("country");
    assert_eq!(said(&err), ("model.hidden_control", Some("/accreditation_body_country".into())), "{err}");
    iaf["accreditation_body_country"] = "Germany".into();
    let err = parse_json(Format::IafJson, &iaf).expect_err("country");
    assert_eq!(said(&err), ("format.invalid", Some("/accreditation_body_country".into())), "{err}");
    let xml = String::from_utf8(rendered(Format::IafXml)).expect("utf8");
    let open = "<certification_identity_number>";
    assert_eq!(xml.matches(open).count(), 1);
    for (from, to) in [
        (open.to_string(), format!("{open}ukas-cb:OTHER-1&#x202E;&#xE0041;")),
        ("</certification>".to_string(), "<!-- \u{E0041} --></certification>".to_string()),
    ] {
        let changed = xml.replacen(&from, &to, 1);
        assert_ne!(changed, xml, "{from}");
        let err = mrgate::formats::parse(Format::IafXml, changed.as_bytes(), &Limits::default()).expect_err(&to);
        assert_eq!(err.code(), "model.hidden_control", "{err}");
        assert!(err.pos().is_some(), "{err}");
    }
}

/// In this profile every value is read or is the one the profile writes: an id of the
/// subject's kind spelled another way (another case RFC 8141 reads as the same URN, white
/// space, a look-alike letter) names no other certificate; a scheme's or standard's issuing
/// party holds an id and a name alone; the contexts are the profile's own; a status-list
/// entry's id is its list's and index's (found by review: each of these verified "valid"
/// naming another certificate or holding what a JSON-LD reader reads and this one does not).
/// The issuer's own ids that name nothing here — https URLs, DIDs, UUID URNs — still read.
#[test]
fn untp_profile_values_are_the_profiles_own() {
    let v = json(Format::UntpDcc);
    let subject = v["credentialSubject"]["id"].as_str().expect("subject").to_string();
    let other = subject.replace("04925Q10021R0M", "OTHER-1");
    let upper = other.replacen("urn:cn:cnca:certificate:", "URN:CN:cnca:certificate:", 1);
    let cyrillic = other.replacen("certificate", "\u{0441}ertificate", 1);
    let own_message = |suffix: &str| {
        format!("must be '{subject}#{suffix}' in this profile, or an https URL, a DID or a urn:uuid of the issuer's")
    };
    // A context beside the profile's two, refused at `/@context`.
    let added_context = |extra: Value| {
        let (vc, dcc) = (mrgate::formats::untp_dcc::CONTEXT_VC, mrgate::formats::untp_dcc::CONTEXT_DCC);
        let message = format!("must be [\"{vc}\", \"{dcc}\"] in this profile");
        ("/@context", serde_json::json!([vc, dcc, extra]), "/@context", message)
    };
    let parties = "/credentialSubject/scope/issuingParty";
    let standard_party = "/credentialSubject/assessment/0/referenceStandard/issuingParty";
    let refused: Vec<(&str, Value, &str, String)> = vec![
        ("/id", format!("{upper}#credential").into(), "/id", own_message("credential")),
        ("/id", format!(" {subject}#credential").into(), "/id", own_message("credential")),
        ("/id", format!("{cyrillic}#credential").into(), "/id", own_message("credential")),
        ("/id", "urn:uuid:not-a-uuid".into(), "/id", own_message("credential")),
        ("/credentialStatus/id", format!("{upper}#status").into(), "/credentialStatus/id", own_message("status")),
        (
            "/credentialSubject/assessment/0/id",
            format!("{cyrillic}#assessment-1").into(),
            "/credentialSubject/assessment/0/id",
            own_message("assessment-1"),
        ),
        added_context("https://cab.example/context.jsonld".into()),
        added_context(serde_json::json!({"name": "https://schema.org/name"})),
        (
            "/credentialStatus/@context",
            serde_json::json!({"statusValue": "https://cab.example/vocab#other"}),
            "/credentialStatus/@context",
            "must be the context this profile writes for its status".into(),
        ),
    ];
    for (pointer, value, refused_at, message) in refused {
        let mut changed = v.clone();
        let at = changed.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in {v}"));
        assert_ne!(*at, value, "{pointer}: a change");
        *at = value.clone();
        let err = parse_json(Format::UntpDcc, &changed).expect_err(pointer);
        assert_eq!(
            (err.code(), err.path(), err.to_string()),
            ("format.invalid", Some(refused_at), format!("{refused_at}: {message}")),
            "{pointer} = {value}"
        );
    }
    // An issuing party holding more than its id and name (a node JSON-LD would merge into
    // the graph) is refused where it stands; its id and name are values a translation
    // reports lost.
    for party in [parties, standard_party] {
        let mut included = v.clone();
        let at = included.pointer_mut(party).and_then(Value::as_object_mut).unwrap_or_else(|| panic!("{party}"));
        at.insert("@included".into(), serde_json::json!([{"id": other, "type": ["ConformityAttestation"]}]));
        let err = parse_json(Format::UntpDcc, &included).expect_err("@included");
        assert_eq!(
            (err.code(), err.to_string()),
            ("format.invalid", format!("{party}/@included: unexpected field")),
            "{party}"
        );
    }
    // A status-list entry's id is its list's and index's.
    let entries = |id: Option<&str>| {
        let mut changed = v.clone();
        let mut entry = serde_json::json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "7", "statusListCredential": "https://gw.example/v1/status-lists/1/revocation"});
        if let Some(id) = id {
            entry["id"] = id.into();
        }
        changed["credentialStatus"] = serde_json::json!([entry]);
        parse_json(Format::UntpDcc, &changed)
    };
    let err = entries(Some(&format!("{other}#status"))).expect_err("another certificate's id");
    assert_eq!(
        (err.code(), err.to_string()),
        (
            "format.invalid",
            "/credentialStatus/0/id: must be 'https://gw.example/v1/status-lists/1/revocation#7' in this profile"
                .into()
        )
    );
    let err = entries(Some("https://gw.example/v1/status-lists/1/revocation#8")).expect_err("another index");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some("/credentialStatus/0/id")), "{err}");
    entries(Some("https://gw.example/v1/status-lists/1/revocation#7")).expect("the entry's own id");
    entries(None).expect("no id");
    // The issuer's own ids that name nothing of this profile read.
    for id in
        ["https://cb.example/credentials/1", "did:web:cb.example:c:1", "urn:uuid:318d9dce-bc7b-40b9-a956-c9160bf910db"]
    {
        let mut changed = v.clone();
        changed["id"] = id.into();
        changed["credentialStatus"]["id"] = id.into();
        changed["credentialSubject"]["assessment"][0]["id"] = id.into();
        let read = parse_json(Format::UntpDcc, &changed).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(read, parse_json(Format::UntpDcc, &v).expect("as rendered"), "{id}");
    }
}

/// In this profile an accreditation authority's id and a standard's are made of their names:
/// one naming another authority or standard beside the name is refused, never left unread.
#[test]
fn untp_ids_name_what_their_names_name() {
    let v = json(Format::UntpDcc);
    let auth = "/credentialSubject/authorisation/0/issuingAuthority";
    assert_eq!(v.pointer(&format!("{auth}/id")), Some(&Value::from("urn:mrgate:accreditation-body:CNAS")));
    let mut other = v.clone();
    *other.pointer_mut(&format!("{auth}/id")).expect("id") = "urn:mrgate:accreditation-body:UKAS".into();
    let err = parse_json(Format::UntpDcc, &other).expect_err("refused");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some(format!("{auth}/id").as_str())), "{err}");
    assert!(err.to_string().contains("must be 'urn:mrgate:accreditation-body:CNAS'"), "{err}");
    let standard = "/credentialSubject/assessment/0/referenceStandard/id";
    assert!(v.pointer(standard).is_some(), "{v}");
    let mut other = v.clone();
    *other.pointer_mut(standard).expect("id") = "urn:mrgate:standard:IEC%2060335-1%3A2004".into();
    let err = parse_json(Format::UntpDcc, &other).expect_err("refused");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some(standard)), "{err}");
    // So is every other id and party this profile makes of what it names (found by attack:
    // an Endorsement id naming UKAS 0001 beside the name CNAS C001-M verified "valid").
    let subject = v["credentialSubject"]["id"].as_str().expect("subject").to_string();
    let other_certificate = subject.replace("04925Q10021R0M", "OTHER-1");
    assert_ne!(other_certificate, subject);
    let cases: [(&str, Value, &str); 5] = [
        (
            "/credentialSubject/authorisation/0/id",
            "urn:mrgate:accreditation:UKAS:0001".into(),
            "/credentialSubject/authorisation/0/id",
        ),
        (
            "/credentialSubject/issuedToParty/id",
            format!("{subject}#holder").into(),
            "/credentialSubject/issuedToParty/id",
        ),
        // A certificate's id elsewhere is the subject's (another scheme's id is a value a
        // translation reports lost).
        ("/id", format!("{other_certificate}#credential").into(), "/id"),
        ("/credentialStatus/id", format!("{other_certificate}#status").into(), "/credentialStatus/id"),
        (
            "/credentialSubject/assessment/0/id",
            format!("{other_certificate}#assessment-1").into(),
            "/credentialSubject/assessment/0/id",
        ),
    ];
    for (pointer, value, refused_at) in cases {
        let mut other = v.clone();
        let at = other.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in {v}"));
        assert_ne!(*at, value, "{pointer}: a change");
        *at = value;
        let err = parse_json(Format::UntpDcc, &other).expect_err(pointer);
        assert_eq!((err.code(), err.path()), ("format.invalid", Some(refused_at)), "{pointer}: {err}");
    }
    // A site: its id is the subject's, and the CB verified it.
    let with_site = |id: String, verified: Value| {
        let mut other = v.clone();
        other["credentialSubject"]["assessment"][0]["assessedFacility"] =
            serde_json::json!([{"facility": {"id": id, "name": "Plant 1"}, "IDverifiedByCAB": verified}]);
        parse_json(Format::UntpDcc, &other)
    };
    let site = with_site(format!("{subject}#site-1"), true.into()).expect("the profile's site");
    // A holder known by a registered id: the id is made of it.
    let mut registered = v.clone();
    registered["credentialSubject"]["issuedToParty"] = serde_json::json!({"id": "urn:mrgate:registered-id:HRB%2012345", "name": "Pumpen AG", "registeredId": "HRB 12345"});
    let holder = parse_json(Format::UntpDcc, &registered).expect("a registered id");
    assert_eq!(holder.holder.registered_id.as_deref(), Some("HRB 12345"));
    registered["credentialSubject"]["issuedToParty"]["id"] = "urn:mrgate:registered-id:HRB%2099999".into();
    let err = parse_json(Format::UntpDcc, &registered).expect_err("another registered id");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some("/credentialSubject/issuedToParty/id")), "{err}");
    assert_eq!(site.sites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["Plant 1"]);
    for (id, verified, refused_at) in [
        (
            format!("{subject}#site-2"),
            Value::from(true),
            "/credentialSubject/assessment/0/assessedFacility/0/facility/id",
        ),
        (
            format!("{subject}#site-1"),
            Value::from(false),
            "/credentialSubject/assessment/0/assessedFacility/0/IDverifiedByCAB",
        ),
        (
            format!("{subject}#site-1"),
            Value::from("true"),
            "/credentialSubject/assessment/0/assessedFacility/0/IDverifiedByCAB",
        ),
    ] {
        let err = with_site(id.clone(), verified.clone()).expect_err("refused");
        assert_eq!((err.code(), err.path()), ("format.invalid", Some(refused_at)), "{id} {verified}: {err}");
    }
}

/// An IAF record's identity number is the body's id and the certificate's number, as every
/// rendering writes it; one stating anything else (another body's number, a CertSearch id of
/// its own) carries what no other format holds, and a translation says it lost it — XML and
/// JSON alike — rather than dropping it unsaid (found by review).
#[test]
fn an_iaf_identity_number_of_its_own_is_reported_lost() {
    let limits = Limits::default();
    let lost = |from: Format, bytes: &[u8]| {
        formats::translate(from, Format::CnXml, bytes, &limits).expect("translates").loss.lost
    };
    let xml = String::from_utf8(rendered(Format::IafXml)).expect("utf8");
    let derived = "<certification_identity_number>CNCA-R-2017-049:04925Q10021R0M</certification_identity_number>";
    assert_eq!(xml.matches(derived).count(), 1, "the fixture's derived identity number");
    assert!(!lost(Format::IafXml, xml.as_bytes()).contains(&"certification_identity_number".to_string()));
    let other = xml.replace(
        derived,
        "<certification_identity_number>CNCA-R-2002-001:00124Q38817R2M</certification_identity_number>",
    );
    assert!(lost(Format::IafXml, other.as_bytes()).contains(&"certification_identity_number".to_string()));
    // Read as a certificate (to verify it, recognize it), it is refused: a reader of the
    // record takes the identity number for the certificate it is (found by attack).
    let err = mrgate::formats::parse(Format::IafXml, other.as_bytes(), &limits).expect_err("another certificate's");
    assert_eq!(
        (err.code(), err.to_string()),
        (
            "format.invalid",
            format!(
                "{}: certification/certification_identity_number: 'CNCA-R-2002-001:00124Q38817R2M' is not this \
                 record's identity number: its body and number make 'CNCA-R-2017-049:04925Q10021R0M'",
                err.pos().expect("where")
            )
        )
    );
    assert!(mrgate::formats::parse(Format::IafXml, xml.as_bytes(), &limits).is_ok());

    let mut v = json(Format::IafJson);
    assert_eq!(v["certification_identity_number"], "CNCA-R-2017-049:04925Q10021R0M");
    let bytes = serde_json::to_vec(&v).expect("json");
    assert!(!lost(Format::IafJson, &bytes).contains(&"certification_identity_number".to_string()));
    v["certification_identity_number"] = "CS-000123".into();
    let bytes = serde_json::to_vec(&v).expect("json");
    assert!(lost(Format::IafJson, &bytes).contains(&"certification_identity_number".to_string()));
    // An opaque identity number (CertSearch's own) names no certificate here: it is read.
    mrgate::formats::parse(Format::IafJson, &bytes, &limits).expect("a CertSearch id of its own");
    v["certification_identity_number"] = "CNCA-R-2002-001:00124Q38817R2M".into();
    let bytes = serde_json::to_vec(&v).expect("json");
    let err = mrgate::formats::parse(Format::IafJson, &bytes, &limits).expect_err("another certificate's");
    assert_eq!((err.code(), err.path()), ("format.invalid", Some("/certification_identity_number")), "{err}");
}

/// Every element an IAF record reads as a container carries no attribute: one would be
/// signed and never read (found by attack: `<certification_site status="withdrawn">` was
/// read as a certified site and dropped from every translation without a loss report).
#[test]
fn iaf_xml_containers_carry_no_attribute() {
    let doc = iaf_xml().replacen(
        "</certification_standards>",
        "</certification_standards><certification_sectors><certification_sector><sector_code>19</sector_code>\
         </certification_sector></certification_sectors><certification_sites><certification_site>\
         <site_name>Plant 2</site_name></certification_site></certification_sites>",
        1,
    );
    assert_eq!(parse_iaf_xml(&doc).expect("sectors and sites").sites.len(), 1);
    for (tag, path) in [
        ("certified_entity", "certification/certified_entity"),
        ("certification_standards", "certification/certification_standards"),
        ("certification_standard", "certification/certification_standards/certification_standard"),
        ("certification_sectors", "certification/certification_sectors"),
        ("certification_sector", "certification/certification_sectors/certification_sector"),
        ("certification_sites", "certification/certification_sites"),
        ("certification_site", "certification/certification_sites/certification_site"),
    ] {
        for attribute in ["status=\"withdrawn\"", "xml:lang=\"de\""] {
            let changed = doc.replacen(&format!("<{tag}>"), &format!("<{tag} {attribute}>"), 1);
            assert_ne!(changed, doc, "{tag}");
            let err = parse_iaf_xml(&changed).expect_err(tag);
            assert_eq!((err.code(), err.path()), ("format.unexpected_attribute", Some(path)), "{tag} {attribute}");
        }
    }
}

/// A text reads the same in every format: without XML white space at either end, a
/// no-break or ideographic space kept as the character it is, and one line. Found by attack:
/// a JSON record's name with spaces and a line feed around it became CN XML its schema
/// refuses and came back trimmed, with no loss reported; XML readers took U+00A0 and U+3000
/// off with `str::trim`; a name with a line break inside was rendered into every format.
#[test]
fn a_text_reads_the_same_in_every_format_and_is_one_line() {
    // An IAF JSON record's name with white space around it is read as the XML record's is.
    let mut record = json(Format::IafJson);
    record["certified_entity"]["certified_entity_name"] = "  ACME Co \n".into();
    let cert = parse_json(Format::IafJson, &record).expect("read");
    assert_eq!(cert.holder.name, "ACME Co");
    let cn = formats::render(Format::CnXml, &cert).bytes;
    assert!(String::from_utf8_lossy(&cn).contains("<Name>ACME Co</Name>"));
    // A UNTP credential's, likewise; an ideographic space is a character of the name.
    let mut vc = json(Format::UntpDcc);
    vc["credentialSubject"]["issuedToParty"]["name"] = " 示例有限公司\u{3000}".into();
    let cert = parse_json(Format::UntpDcc, &vc).expect("read");
    assert_eq!(cert.holder.name, "示例有限公司\u{3000}");
    let back = formats::parse(Format::CnXml, &formats::render(Format::CnXml, &cert).bytes, &Limits::default());
    assert_eq!(back.expect("CN XML").holder.name, "示例有限公司\u{3000}");
    // CN XML: XML's white space read off, a no-break space kept.
    let name = |text: &str| {
        let doc = GOOD_CN.replacen("<Name>上海示例科技有限公司</Name>", &format!("<Name>{text}</Name>"), 1);
        assert_ne!(doc, GOOD_CN, "the fixture's holder name");
        formats::parse(Format::CnXml, doc.as_bytes(), &Limits::default())
    };
    assert_eq!(name("\n  示例公司\u{A0}\t").expect("read").holder.name, "示例公司\u{A0}");
    // A line break inside is no text of a certificate, in any format.
    for text in ["示例\n公司", "示例&#13;公司", "示例&#10;公司"] {
        let err = name(text).expect_err(text);
        assert_eq!(err.code(), "model.text_layout", "{text}");
        assert_eq!(
            err.to_string(),
            "Holder/Name: the text holds a line break; a certificate's text is one line, without white space at either end",
            "{text}"
        );
    }
    let mut record = json(Format::IafJson);
    record["certified_entity"]["certified_entity_name"] = "ACME\r\nCo".into();
    assert_eq!(parse_json(Format::IafJson, &record).expect_err("two lines").code(), "model.text_layout");
}
