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

/// What was assessed decides the accreditation a CB is held to: a management-system (or
/// service) certificate listing assessed products is refused, in every format (the rule is
/// the model's), never held to 17021-1 for a product certification.
#[test]
fn only_a_product_certification_lists_products() {
    let products = "<Scope lang=\"zh\">软件开发与技术服务</Scope>\n  <Products>\n    <Product>\n      <Name>电饭煲</Name>\n      \
                    <Model>RC-1</Model>\n      <HSCode>851660</HSCode>\n    </Product>\n  </Products>";
    let doc = mutate("<Scope lang=\"zh\">软件开发与技术服务</Scope>", products);
    let err = parse(doc.as_bytes()).expect_err("a QMS certificate with a product");
    assert_eq!(err.code(), "model.products_outside_product_certification");
    assert_eq!(
        err.to_string(),
        "programme QMS is a Management System certification, which assesses no products, yet the certificate \
         lists 1 assessed product(s): only a product certification (CCC, PRODUCT) does"
    );
    let service = doc
        .replace("<Category>管理体系认证</Category>", "<Category>服务认证</Category>")
        .replace("<ProgramCode>QMS</ProgramCode>", "<ProgramCode>SERVICE</ProgramCode>");
    assert_eq!(
        parse(service.as_bytes()).expect_err("a service certificate with a product").code(),
        "model.products_outside_product_certification"
    );
    // The same certificate as a product certification reads.
    let product = doc
        .replace("<Category>管理体系认证</Category>", "<Category>产品认证</Category>")
        .replace("<ProgramCode>QMS</ProgramCode>", "<ProgramCode>PRODUCT</ProgramCode>");
    assert_eq!(parse(product.as_bytes()).expect("a product certification").products.len(), 1);
    // Products and each product carry no attribute, as every other container does (found
    // with the IAF record's lists, which read theirs and ignored them).
    for (tag, path) in [("Products", "Products"), ("Product", "Products/Product")] {
        let changed = product.replacen(&format!("<{tag}>"), &format!("<{tag} status=\"withdrawn\">"), 1);
        let err = parse(changed.as_bytes()).expect_err(tag);
        assert_eq!((err.code(), err.path()), ("format.unexpected_attribute", Some(path)), "{tag}");
    }
}

/// No text of a certificate holds a C1 control or a bidirectional formatting character,
/// written as it is or by a character reference (XML 1.0 allows them; a page or a terminal
/// would show what the certificate does not say: U+009B starts an escape sequence, U+202E
/// turns a name around). Found by review.
#[test]
fn no_text_holds_a_hidden_control() {
    for (from, to, field, code) in [
        ("<Name>上海示例科技有限公司</Name>", "<Name>Evil\u{9b}31mRED\u{9b}0m</Name>", "Holder/Name", 0x9b),
        ("<Name>上海示例科技有限公司</Name>", "<Name>Evil&#x9b;31m</Name>", "Holder/Name", 0x9b),
        ("<Name>示例认证有限公司</Name>", "<Name>示例认证&#8238;司公限有</Name>", "CertificationBody/Name", 0x202e),
        (
            "<Scope lang=\"zh\">软件开发与技术服务</Scope>",
            "<Scope lang=\"zh\">软件\u{2066}开发</Scope>",
            "Scope",
            0x2066,
        ),
        ("GB/T 19001-2016/ISO 9001:2015", "GB/T 19001-2016/ISO\u{85}9001:2015", "Standards/Standard", 0x85),
        (
            "<NameEn>Example Certification Co., Ltd.</NameEn>",
            "<NameEn>Example\u{200F} Co.</NameEn>",
            "CertificationBody/NameEn",
            0x200f,
        ),
        // Found by attack: text hidden in tag characters, a zero-width space, a variation
        // selector, a Hangul filler, a braille blank, a soft hyphen.
        (
            "<Name>上海示例科技有限公司</Name>",
            "<Name>上海示例\u{E0049}\u{E0047}\u{E004E}科技</Name>",
            "Holder/Name",
            0xE0049,
        ),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例\u{200B}科技</Name>", "Holder/Name", 0x200B),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例科技有限公司&#x2065;</Name>", "Holder/Name", 0x2065),
        // DEL, a noncharacter, a private-use character (found by attack: signed into exports).
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例科技有限公司\u{7F}\u{7F}</Name>", "Holder/Name", 0x7F),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例&#xFDD0;科技</Name>", "Holder/Name", 0xFDD0),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例&#x10FFFF;科技</Name>", "Holder/Name", 0x10FFFF),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例&#x1FFFE;科技</Name>", "Holder/Name", 0x1FFFE),
        ("<Name>上海示例科技有限公司</Name>", "<Name>上海示例\u{E000}科技</Name>", "Holder/Name", 0xE000),
        ("<Name>示例认证有限公司</Name>", "<Name>示例认证有限公司\u{FE0F}</Name>", "CertificationBody/Name", 0xFE0F),
        ("<Name>示例认证有限公司</Name>", "<Name>示例认证有限公司&#xE0100;</Name>", "CertificationBody/Name", 0xE0100),
        (
            "<Scope lang=\"zh\">软件开发与技术服务</Scope>",
            "<Scope lang=\"zh\">软件\u{3164}开发</Scope>",
            "Scope",
            0x3164,
        ),
        (
            "<Scope lang=\"zh\">软件开发与技术服务</Scope>",
            "<Scope lang=\"zh\">软件\u{2800}开发</Scope>",
            "Scope",
            0x2800,
        ),
        (
            "<Scope lang=\"zh\">软件开发与技术服务</Scope>",
            "<Scope lang=\"zh\">软件&#x2063;开发&#xFEFF;</Scope>",
            "Scope",
            0x2063,
        ),
        (
            "<NameEn>Example Certification Co., Ltd.</NameEn>",
            "<NameEn>Exam\u{AD}ple Co.</NameEn>",
            "CertificationBody/NameEn",
            0xAD,
        ),
    ] {
        let doc = mutate(from, to);
        let err = parse(doc.as_bytes()).expect_err("refused");
        assert_eq!(err.code(), "model.hidden_control", "{to}");
        // Said where it stands: the element's line and column, and its path.
        let message = err.to_string();
        let expected = format!(
            "/Certificate/{field}: U+{code:04X} is a control, format or invisible character, which no text of a \
             certificate holds (it would make a page or a terminal show what the certificate does not say)"
        );
        let pos = err.pos().expect("positioned");
        assert_eq!(message, format!("{}:{}: {expected}", pos.line, pos.column), "{to}");
    }
    // The model holds its own fields to the same rule, whatever read them.
    let mut cert = mrgate::formats::parse(mrgate::formats::Format::CnXml, GOOD.as_bytes(), &Default::default())
        .expect("the fixture reads");
    cert.holder.name.push('\u{202E}');
    assert_eq!(cert.check().map_err(|e| e.code()), Err("model.hidden_control"));
    // Every other character reads: a zero-width joiner in a name, NBSP, CJK, an emoji.
    let fine = mutate("<Name>上海示例科技有限公司</Name>", "<Name>上海\u{200D}示例\u{A0}科技\u{200C} 😀</Name>");
    assert!(parse(fine.as_bytes()).is_ok());
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

/// Every error in a document: `formats::parse_all` (what `mrgate validate` reports) finds
/// each value that does not read, in document order, up to the first element missing or out
/// of place — after which nothing is in its place any more; `formats::parse` answers the
/// first of them.
#[test]
fn every_value_error_is_found_up_to_the_first_misplaced_element() {
    let all = |doc: &str| {
        formats::parse_all(Format::CnXml, doc.as_bytes(), &Limits::default())
            .expect_err("refused")
            .iter()
            .map(|e| (e.code(), e.pos().map(|p| (p.line, p.column)), e.path().map(str::to_string)))
            .collect::<Vec<_>>()
    };
    let path = |p: &str| Some(p.to_string());
    let three = GOOD
        .replacen("<Status>有效</Status>", "<Status>有点效</Status>", 1)
        .replacen("<IssueDate>2025-01-10</IssueDate>", "<IssueDate>2025-13-40</IssueDate>", 1)
        .replacen("91310110666007217T", "123", 1);
    assert_eq!(
        all(&three),
        [
            ("format.not_in_list", Some((7, 3)), path("Status")),
            ("id.date", Some((9, 3)), path("IssueDate")),
            ("id.credit_code.length", Some((22, 5)), path("Holder/CreditCode")),
        ]
    );
    assert_eq!(parse(three.as_bytes()).expect_err("refused").code(), "format.not_in_list");

    // A value error, then an element missing: both, and nothing after the missing one.
    let missing = GOOD
        .replacen("<Status>有效</Status>", "<Status>有点效</Status>", 1)
        .replacen("  <ExpiryDate>2028-01-09</ExpiryDate>\n", "", 1)
        .replacen("91310110666007217T", "123", 1);
    let found = all(&missing);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], ("format.not_in_list", Some((7, 3)), path("Status")));
    assert_eq!(found[1].0, "format.unexpected_element", "{found:?}");

    // An issue date after the expiry date: one error, the period's, not a cascade.
    let period = GOOD.replacen("<IssueDate>2025-01-10</IssueDate>", "<IssueDate>2029-01-10</IssueDate>", 1);
    assert_eq!(all(&period).len(), 1, "{:?}", all(&period));

    // A good document has none; the command line prints each error, and its JSON lists them.
    assert!(formats::parse_all(Format::CnXml, GOOD.as_bytes(), &Limits::default()).is_ok());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["validate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(three.as_bytes())?;
            child.wait_with_output()
        })
        .expect("mrgate validate");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes: Vec<&str> =
        report["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
    assert_eq!(codes, ["format.not_in_list", "id.date", "id.credit_code.length"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error[")).count(), 3, "{stderr}");
}
