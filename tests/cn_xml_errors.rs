//! One negative test per rule of the domestic format, the identifiers and the bounded
//! reader: each asserts the exact reason code and where the error was found.

use mrgate::formats::{self, Format, FormatError};
use mrgate::xml::{Limits, Pos};

const GOOD: &str = include_str!("data/cn-qms.xml");

fn parse(doc: &[u8]) -> Result<mrgate::model::Certificate, FormatError> {
    formats::parse(Format::CnXml, doc, &Limits::default())
}

/// Replaces exactly one occurrence, so a fixture change cannot silently turn a test vacuous.
fn mutate(from: &str, to: &str) -> String {
    assert_eq!(GOOD.matches(from).count(), 1, "fixture must contain '{from}' exactly once");
    GOOD.replacen(from, to, 1)
}

/// Asserts the reason code, the line and column, and (when given) the element path.
fn assert_error(doc: &str, code: &str, line: u32, column: u32, path: Option<&str>) {
    let err = parse(doc.as_bytes()).expect_err("document must be rejected");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.pos(), Some(Pos { line, column }), "{err}");
    if let Some(p) = path {
        assert_eq!(err.path(), Some(p), "{err}");
    }
}

#[test]
fn the_fixture_itself_is_good() {
    let cert = parse(GOOD.as_bytes()).expect("fixture parses");
    assert_eq!(cert.holder.credit_code.as_ref().map(|c| c.as_str()), Some("91310110666007217T"));
}

#[test]
fn bad_credit_code_check_digit() {
    let doc = mutate("91310110666007217T", "91310110666007217U");
    assert_error(&doc, "id.credit_code.check_digit", 22, 5, Some("Holder/CreditCode"));
    assert!(parse(doc.as_bytes()).expect_err("bad").to_string().contains("expected 'T'"));
}

#[test]
fn bad_organisation_code_check_digit() {
    assert_error(&mutate("91310110666007217T", "91310110666007218T"), "id.credit_code.org_check_digit", 22, 5, None);
}

#[test]
fn credit_code_with_excluded_letter() {
    assert_error(&mutate("91310110666007217T", "9131011066600721IT"), "id.credit_code.charset", 22, 5, None);
}

#[test]
fn certificate_number_with_wrong_charset() {
    assert_error(&mutate("04925Q10021R0M", "04925q10021R0M"), "id.certificate_no.charset", 3, 3, Some("CertificateNo"));
}

#[test]
fn ccc_number_must_have_sixteen_digits() {
    let doc = mutate("<ProgramCode>QMS</ProgramCode>", "<ProgramCode>CCC</ProgramCode>").replacen(
        "<Category>管理体系认证</Category>",
        "<Category>产品认证</Category>",
        1,
    );
    assert_error(&doc, "id.ccc_number.form", 3, 3, Some("CertificateNo"));
}

#[test]
fn impossible_date() {
    assert_error(&mutate("<IssueDate>2025-01-10", "<IssueDate>2025-02-30"), "id.date", 9, 3, Some("IssueDate"));
}

#[test]
fn expiry_before_issue() {
    assert_error(&mutate("2028-01-09", "2024-01-09"), "id.expiry_before_issue", 10, 3, Some("ExpiryDate"));
}

#[test]
fn unknown_status() {
    assert_error(&mutate("<Status>有效</Status>", "<Status>正常</Status>"), "format.not_in_list", 7, 3, Some("Status"));
}

#[test]
fn unknown_program_code() {
    assert_error(
        &mutate("<ProgramCode>QMS</ProgramCode>", "<ProgramCode>ABC</ProgramCode>"),
        "format.not_in_list",
        6,
        3,
        None,
    );
}

#[test]
fn category_must_match_programme() {
    let err = parse(mutate("<Category>管理体系认证</Category>", "<Category>服务认证</Category>").as_bytes())
        .expect_err("bad");
    assert_eq!(err.code(), "model.category_mismatch");
}

#[test]
fn unknown_element() {
    let doc = mutate("  <Scope lang=\"zh\">", "  <Remarks>x</Remarks>\n  <Scope lang=\"zh\">");
    assert_error(&doc, "format.unexpected_element", 32, 3, Some(""));
}

#[test]
fn misplaced_element() {
    // IssueDate moved after ExpiryDate.
    let doc = mutate("  <IssueDate>2025-01-10</IssueDate>\n", "").replacen(
        "  <ExpiryDate>2028-01-09</ExpiryDate>\n",
        "  <ExpiryDate>2028-01-09</ExpiryDate>\n  <IssueDate>2025-01-10</IssueDate>\n",
        1,
    );
    assert_error(&doc, "format.unexpected_element", 9, 3, None);
}

#[test]
fn missing_required_element() {
    let doc = mutate("    <ApprovalNo>CNCA-R-2017-049</ApprovalNo>\n", "");
    let err = parse(doc.as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "format.unexpected_element");
    assert!(err.to_string().contains("<ApprovalNo>"), "{err}");
}

#[test]
fn unknown_attribute() {
    assert_error(
        &mutate("<Scope lang=\"zh\">", "<Scope lang=\"zh\" note=\"x\">"),
        "format.unexpected_attribute",
        32,
        3,
        None,
    );
}

#[test]
fn wrong_namespace_is_wrong_root() {
    let err = parse(mutate("urn:cn:certification:certificate:1", "urn:example").as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "format.wrong_root");
}

#[test]
fn doctype_is_refused() {
    let doc = GOOD.replacen("?>\n", "?>\n<!DOCTYPE Certificate [<!ENTITY e \"x\">]>\n", 1);
    assert_error(&doc, "xml.doctype", 2, 1, None);
}

#[test]
fn undefined_entity_is_refused() {
    assert_error(&mutate("软件开发与技术服务", "软件&xxe;"), "xml.undefined_entity", 32, 22, None);
}

#[test]
fn malformed_xml() {
    let err = parse(mutate("</Holder>", "</Holdr>").as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "xml.malformed");
    assert_eq!(err.pos().map(|p| p.line), Some(28));
}

#[test]
fn wrong_declared_encoding() {
    // UTF-8 bytes under a GB18030 declaration: an error, never mojibake.
    let doc = mutate("encoding=\"UTF-8\"", "encoding=\"GB18030\"");
    assert_error(&doc, "xml.bad_encoding", 4, 13, None);
}

#[test]
fn gb18030_bytes_declared_utf8() {
    let (gb, _, _) = encoding_rs::GB18030.encode(GOOD);
    let err = parse(&gb).expect_err("bad");
    assert_eq!(err.code(), "xml.bad_encoding");
    assert_eq!(err.pos(), Some(Pos { line: 4, column: 13 }));
}

#[test]
fn gb18030_declared_and_encoded_parses() {
    let doc = mutate("encoding=\"UTF-8\"", "encoding=\"GB18030\"");
    let (gb, _, _) = encoding_rs::GB18030.encode(&doc);
    let cert = parse(&gb).expect("GB18030 document");
    assert_eq!(cert.holder.name, "上海示例科技有限公司");
}

#[test]
fn too_deep() {
    let nested = format!("{}{}", "<Extra>".repeat(80), "</Extra>".repeat(80));
    let err =
        parse(mutate("<Scope lang=\"zh\">", &format!("{nested}<Scope lang=\"zh\">")).as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "xml.too_deep");
}

#[test]
fn too_many_elements() {
    let limits = Limits { max_elements: 20, ..Limits::default() };
    let err = formats::parse(Format::CnXml, GOOD.as_bytes(), &limits).expect_err("bad");
    assert_eq!(err.code(), "xml.too_many_elements");
}

#[test]
fn too_large() {
    let limits = Limits { max_bytes: 1024, ..Limits::default() };
    let err = formats::parse(Format::CnXml, GOOD.as_bytes(), &limits).expect_err("bad");
    assert_eq!(err.code(), "xml.too_large");
    assert_eq!(err.to_string(), format!("document is {} bytes, over the limit of 1024", GOOD.len()));
}

#[test]
fn text_where_elements_belong() {
    let err = parse(mutate("  <Standards>\n", "  <Standards>stray\n").as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "format.unexpected_text");
}

#[test]
fn empty_value() {
    assert_error(
        &mutate("<Program>质量管理体系认证</Program>", "<Program>  </Program>"),
        "format.missing",
        5,
        3,
        Some("Program"),
    );
}

#[test]
fn signature_is_allowed_only_at_the_end() {
    let sig = "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>";
    assert!(parse(mutate("</Certificate>", &format!("{sig}</Certificate>")).as_bytes()).is_ok());
    let err = parse(mutate("  <Standards>", &format!("{sig}<Standards>")).as_bytes()).expect_err("bad");
    assert_eq!(err.code(), "format.unexpected_element");
}
