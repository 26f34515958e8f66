//! The three domestic samples through every format, checked against the project's XSDs
//! (xmllint) and the UNTP DCC v0.6.0 JSON Schema from the corpus.

mod common;

use mrgate::formats::{self, Format};
use mrgate::model::{ProgramCode, Status};
use mrgate::xml::Limits;

const SAMPLES: [&str; 3] = ["qms-valid.xml", "ems-suspended.xml", "ccc-gb18030.xml"];

fn parse_sample(name: &str) -> Option<mrgate::model::Certificate> {
    let bytes = common::sample(name)?;
    Some(formats::parse(Format::CnXml, &bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}")))
}

#[test]
fn samples_parse_with_their_facts() {
    let Some(qms) = parse_sample("qms-valid.xml") else {
        return;
    };
    assert_eq!(qms.number.as_str(), "00124Q38817R2M");
    assert_eq!(qms.status, Status::Valid);
    assert_eq!(qms.sites.len(), 1);
    assert_eq!(qms.scope_en.as_deref(), Some("Design, manufacture and service of printed circuit board assemblies"));

    let Some(ccc) = parse_sample("ccc-gb18030.xml") else {
        return;
    };
    assert_eq!(ccc.program_code, ProgramCode::Ccc);
    assert_eq!(ccc.holder.name, "杭州西溪家电股份有限公司");
    assert_eq!(ccc.products.len(), 2);
    assert_eq!(ccc.products[0].hs_code.as_ref().map(|h| h.as_str()), Some("8418102000"));
    assert_eq!(ccc.factory.as_ref().map(|f| f.name.as_str()), Some("杭州西溪家电股份有限公司余杭工厂"));

    let Some(ems) = parse_sample("ems-suspended.xml") else {
        return;
    };
    assert_eq!(ems.status, Status::Suspended);
}

#[test]
fn cn_xml_renders_the_utf8_samples_byte_for_byte() {
    for name in ["qms-valid.xml", "ems-suspended.xml"] {
        let Some(bytes) = common::sample(name) else {
            return;
        };
        let cert = formats::parse(Format::CnXml, &bytes, &Limits::default()).expect("parse");
        let rendered = formats::render(Format::CnXml, &cert);
        assert!(rendered.loss.is_empty());
        assert_eq!(String::from_utf8(rendered.bytes).expect("utf8"), String::from_utf8(bytes).expect("utf8"), "{name}");
    }
}

#[test]
fn gb18030_sample_renders_as_the_same_text_in_utf8() {
    let Some(bytes) = common::sample("ccc-gb18030.xml") else {
        return;
    };
    let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
    assert!(!had_errors);
    let cert = formats::parse(Format::CnXml, &bytes, &Limits::default()).expect("parse");
    let rendered = String::from_utf8(formats::render(Format::CnXml, &cert).bytes).expect("utf8");
    assert_eq!(rendered, text.replace("encoding=\"GB18030\"", "encoding=\"UTF-8\""));
}

#[test]
fn every_sample_translates_to_every_format_and_back() {
    for name in SAMPLES {
        let Some(cert) = parse_sample(name) else {
            return;
        };
        for format in Format::ALL {
            let rendered = formats::render(format, &cert);
            let back = formats::parse(format, &rendered.bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{name} -> {format}: {e}\n{}", String::from_utf8_lossy(&rendered.bytes)));
            assert_eq!(back.number, cert.number, "{name} {format}");
            assert_eq!(back.status, cert.status, "{name} {format}");
            assert_eq!(back.standards, cert.standards, "{name} {format}");
            assert_eq!(back.expiry_date, cert.expiry_date, "{name} {format}");
        }
    }
}

#[test]
fn loss_reports_name_exactly_what_each_format_drops() {
    let Some(qms) = parse_sample("qms-valid.xml") else {
        return;
    };
    let lost = |f| formats::render(f, &qms).loss.lost;
    assert_eq!(lost(Format::CnXml), Vec::<String>::new());
    assert_eq!(lost(Format::IafXml), ["StatusDate", "Holder/Address/DivisionCode"]);
    assert_eq!(lost(Format::IafJson), ["StatusDate", "Holder/Address/DivisionCode"]);
    assert_eq!(
        lost(Format::UntpDcc),
        [
            "OriginalIssueDate",
            "Holder/NameEn",
            "Holder/Address/DivisionCode",
            "Holder/Address/Text",
            "Holder/Address/PostCode",
            "Sites/Site/Address"
        ]
    );
    let Some(ccc) = parse_sample("ccc-gb18030.xml") else {
        return;
    };
    let iaf = formats::render(Format::IafXml, &ccc).loss.lost;
    for path in ["Products/Product/Model", "Products/Product/HSCode", "Manufacturer/Name", "Factory/Address"] {
        assert!(iaf.iter().any(|p| p == path), "{path} missing from {iaf:?}");
    }
}

#[test]
fn rendered_xml_validates_against_the_project_xsds() {
    if !common::tool("xmllint") {
        return;
    }
    for name in SAMPLES {
        let Some(cert) = parse_sample(name) else {
            return;
        };
        let (ok, msg) = common::xmllint_schema("cn-certificate.xsd", &formats::render(Format::CnXml, &cert).bytes);
        assert!(ok, "{name} cn-xml: {msg}");
        let (ok, msg) = common::xmllint_schema("iaf-certification.xsd", &formats::render(Format::IafXml, &cert).bytes);
        assert!(ok, "{name} iaf-xml: {msg}");
        let raw = common::sample(name).expect("sample");
        let (ok, msg) = common::xmllint_schema("cn-certificate.xsd", &raw);
        assert!(ok, "{name} as given: {msg}");
    }
}

#[test]
fn xsd_rejects_what_mrgate_rejects() {
    if !common::tool("xmllint") {
        return;
    }
    let Some(bytes) = common::sample("qms-valid.xml") else {
        return;
    };
    let text = String::from_utf8(bytes).expect("utf8");
    for (from, to) in [
        ("<Status>有效</Status>", "<Status>valid</Status>"),
        ("<ProgramCode>QMS</ProgramCode>", "<ProgramCode>XYZ</ProgramCode>"),
        ("CNCA-R-2002-001", "CNCA-2002-001"),
        ("<Scope lang=\"zh\">", "<Scope>"),
        ("<Sites>", "<Extra/><Sites>"),
    ] {
        let (ok, _) = common::xmllint_schema("cn-certificate.xsd", text.replacen(from, to, 1).as_bytes());
        assert!(!ok, "xmllint accepted {to}");
        assert!(formats::parse(Format::CnXml, text.replacen(from, to, 1).as_bytes(), &Limits::default()).is_err());
    }
}

#[test]
fn untp_credentials_validate_against_the_dcc_schema() {
    let Some(validator) = common::dcc_validator() else {
        return;
    };
    for name in SAMPLES {
        let Some(mut cert) = parse_sample(name) else {
            return;
        };
        for level in [mrgate::model::AssessmentLevel::Accredited, mrgate::model::AssessmentLevel::GlobalMRA] {
            cert.assessment_level = level;
            let vc: serde_json::Value =
                serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
            let errors = common::schema_errors(&validator, &vc);
            assert!(errors.is_empty(), "{name}: {errors:#?}");
            assert_eq!(vc["credentialSubject"]["assessmentLevel"], level.as_str());
        }
    }
}

#[test]
fn the_dcc_schema_is_not_a_rubber_stamp() {
    let Some(validator) = common::dcc_validator() else {
        return;
    };
    let Some(cert) = parse_sample("qms-valid.xml") else {
        return;
    };
    let good: serde_json::Value = serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
    let mut bad = good.clone();
    bad["credentialSubject"]["assessmentLevel"] = "Trusted".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad["credentialSubject"].as_object_mut().expect("object").remove("issuedToParty");
    assert!(!validator.is_valid(&bad));
    let mut bad = good;
    bad["issuer"]["unknown"] = "x".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn suspended_and_expired_sample_reports_both_facts() {
    let Some(ems) = parse_sample("ems-suspended.xml") else {
        return;
    };
    let at = mrgate::ids::parse_date("2026-11-26").expect("date");
    let findings = mrgate::cli::findings(&ems, at);
    let codes: Vec<&str> = findings.iter().map(|f| f["code"].as_str().expect("code")).collect();
    assert_eq!(codes, ["status.suspended", "validity.expired"]);
    assert_eq!(findings[1]["message"], "expired on 2026-04-01");
    // Before expiry, only the suspension is a finding.
    let before = mrgate::ids::parse_date("2026-01-01").expect("date");
    assert_eq!(mrgate::cli::findings(&ems, before).len(), 1);
}

#[test]
fn a_foreign_body_renders_in_cn_xml_and_validates() {
    let Some(mut cert) = parse_sample("qms-valid.xml") else { return };
    cert.certification_body.id =
        mrgate::ids::BodyId::Foreign(mrgate::ids::ForeignBodyId::parse("dakks-cb").expect("id"));
    let rendered = formats::render(Format::CnXml, &cert);
    let text = String::from_utf8(rendered.bytes.clone()).expect("utf8");
    assert!(text.contains("<BodyId>dakks-cb</BodyId>") && !text.contains("<ApprovalNo>"));
    let back = formats::parse(Format::CnXml, &rendered.bytes, &Limits::default()).expect("parse");
    assert_eq!(back.certification_body.id, cert.certification_body.id);
    if common::tool("xmllint") {
        let (ok, msg) = common::xmllint_schema("cn-certificate.xsd", &rendered.bytes);
        assert!(ok, "{msg}");
    }
    // A malformed CNCA number is never taken for a foreign id.
    let bad = text.replace("<BodyId>dakks-cb</BodyId>", "<BodyId>CNCA-R-02-1</BodyId>");
    assert_eq!(
        formats::parse(Format::CnXml, bad.as_bytes(), &Limits::default()).expect_err("bad").code(),
        "id.body_id"
    );
}
