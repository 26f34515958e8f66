//! The domestic certificate XML (`urn:cn:certification:certificate:1`), as exported by the
//! national certification register. Schema: `schemas/cn-certificate.xsd`.
//!
//! Parsing is strict: elements in schema order, no unknown elements or attributes, every
//! error with its element path and line:column. An enveloped `ds:Signature` may close the
//! document; it is skipped here and verified by the signature layer, never trusted here.

use super::strict::{Children, Found, id_err, leaf, leaf_with_attrs, only_attrs};
use super::{FormatError, LossReport, Rendered};
use crate::ids::{self, ApprovalNo, BodyId, CccCategory, CreditCode, DivisionCode, ForeignBodyId, HsCode, PostCode};
use crate::model::{
    Accreditation, Address, AssessmentLevel, Category, Certificate, CertificationBody, Holder, Party, Product,
    ProgramCode, Status,
};
use crate::xml::{self, Element, Limits, XmlWriter};

pub const NAMESPACE: &str = "urn:cn:certification:certificate:1";
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS: Option<&str> = Some(NAMESPACE);

/// Parses a CN certificate document (UTF-8 or GB18030 as declared).
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Certificate, FormatError> {
    let root = xml::parse(bytes, limits)?;
    from_element(&root)
}

/// Parses a CN certificate document, finding every error it can ([`from_element_all`]).
pub fn parse_all(bytes: &[u8], limits: &Limits) -> Result<Certificate, Vec<FormatError>> {
    let root = xml::parse(bytes, limits).map_err(|e| vec![FormatError::from(e)])?;
    from_element_all(&root)
}

/// Reads the model from an already-parsed `<Certificate>` element: the first error, as
/// [`from_element_all`] finds them.
pub fn from_element(root: &Element) -> Result<Certificate, FormatError> {
    from_element_all(root).map_err(|errors| {
        errors.into_iter().next().unwrap_or(FormatError::Invalid {
            pos: Some(root.pos),
            path: "Certificate".into(),
            message: "unreadable".into(),
        })
    })
}

/// An element where one must be: or the reading ends with the errors found.
macro_rules! structure {
    ($found:ident, $read:expr) => {
        match $read {
            Ok(v) => v,
            Err(e) => return Err($found.ending(e)),
        }
    };
}

/// Reads the model from an already-parsed `<Certificate>` element, with every error found
/// in document order: each value that does not read, up to the first element missing or
/// out of place (after it nothing is in its place any more). Never empty when it fails.
pub fn from_element_all(root: &Element) -> Result<Certificate, Vec<FormatError>> {
    super::text::xml_shows_itself(root).map_err(|e| vec![e])?;
    let mut found = Found::default();
    if !root.is(NAMESPACE, "Certificate") {
        return Err(found.ending(FormatError::WrongRoot {
            pos: root.pos,
            found: root.local.clone(),
            expected: "Certificate",
            namespace: NAMESPACE,
        }));
    }
    found.value(only_attrs(root, "Certificate", &["schemaVersion"]));
    match root.attr("schemaVersion") {
        Some("1.0") => {}
        Some(other) => found.0.push(FormatError::NotInList {
            pos: Some(root.pos),
            path: "Certificate/@schemaVersion".into(),
            value: other.into(),
            expected: "1.0".into(),
        }),
        None => found.0.push(FormatError::Missing {
            pos: Some(root.pos),
            path: "Certificate/@schemaVersion".into(),
            what: "attribute",
        }),
    }

    let mut c = structure!(found, Children::of_root(root, NS, ""));
    let number_el = structure!(found, c.req("CertificateNo"));
    let number_text = found.value(leaf(number_el, "CertificateNo"));
    let category_el = structure!(found, c.req("Category"));
    let category = found.value(closed(category_el, "Category", Category::from_zh, "管理体系认证, 产品认证, 服务认证"));
    let program = found.value(leaf(structure!(found, c.req("Program")), "Program"));
    let program_code_el = structure!(found, c.req("ProgramCode"));
    let program_code = found.value(closed(
        program_code_el,
        "ProgramCode",
        ProgramCode::parse,
        "QMS, EMS, OHSMS, ISMS, EnMS, FSMS, HACCP, ITSMS, CCC, PRODUCT, SERVICE",
    ));
    let number = match (program_code, &number_text) {
        (Some(code), Some(text)) => {
            found.value(Certificate::parse_number(code, text).map_err(id_err(Some(number_el.pos), "CertificateNo")))
        }
        _ => None,
    };
    let status = found.value(closed(
        structure!(found, c.req("Status")),
        "Status",
        Status::from_zh,
        "有效, 暂停, 撤销, 注销, 过期",
    ));
    let status_date = c.opt("StatusDate").and_then(|e| found.value(date(e, "StatusDate")));
    let issue_date = found.value(date(structure!(found, c.req("IssueDate")), "IssueDate"));
    let original_issue_date = c.opt("OriginalIssueDate").and_then(|e| found.value(date(e, "OriginalIssueDate")));
    let expiry_el = structure!(found, c.req("ExpiryDate"));
    let expiry_date = found.value(date(expiry_el, "ExpiryDate"));
    if let (Some(issued), Some(expires)) = (issue_date, expiry_date) {
        found.value(ids::check_validity_period(issued, expires).map_err(id_err(Some(expiry_el.pos), "ExpiryDate")));
    }
    let certification_body = found.value(certification_body(structure!(found, c.req("CertificationBody"))));
    let holder = found.value(holder(structure!(found, c.req("Holder"))));

    let standards_el = structure!(found, c.req("Standards"));
    let standards = found.value(standards(standards_el));

    let scope_elements = c.many("Scope");
    if scope_elements.is_empty() {
        structure!(found, c.req("Scope"));
    }
    let scopes = found.value(scopes(&scope_elements, root));
    let sites = match c.opt("Sites") {
        Some(e) => found.value(parties(e, "Sites", "Site")),
        None => Some(Vec::new()),
    };
    let products = match c.opt("Products") {
        Some(e) => found.value(products(e)),
        None => Some(Vec::new()),
    };
    let manufacturer = match c.opt("Manufacturer") {
        Some(e) => found.value(party(e, "Manufacturer")).map(Some),
        None => Some(None),
    };
    let factory = match c.opt("Factory") {
        Some(e) => found.value(party(e, "Factory")).map(Some),
        None => Some(None),
    };
    if let Some(sig) = c.peek()
        && sig.is(DSIG_NAMESPACE, "Signature")
    {
        c.skip();
    }
    structure!(found, c.finish());

    let read = (|| {
        let certification_body = certification_body?;
        let assessment_level = AssessmentLevel::stated_by(certification_body.accreditation.as_ref());
        Some(Certificate {
            number: number?,
            category: category?,
            program: program?,
            program_code: program_code?,
            status: status?,
            status_date,
            issue_date: issue_date?,
            original_issue_date,
            expiry_date: expiry_date?,
            certification_body,
            holder: holder?,
            standards: standards?,
            scope_zh: scopes.as_ref()?.0.clone(),
            scope_en: scopes.as_ref()?.1.clone(),
            sites: sites?,
            products: products?,
            manufacturer: manufacturer?,
            factory: factory?,
            sectors: Vec::new(),
            assessment_level,
        })
    })();
    match read {
        Some(cert) if found.0.is_empty() => match cert.check() {
            Ok(()) => Ok(cert),
            Err(e) => Err(found.ending(FormatError::from(e))),
        },
        // A value missing is one that did not read, and noted.
        _ if !found.0.is_empty() => Err(found.0),
        _ => Err(found.ending(FormatError::Invalid {
            pos: Some(root.pos),
            path: "Certificate".into(),
            message: "a value could not be read".into(),
        })),
    }
}

fn standards(e: &Element) -> Result<Vec<String>, FormatError> {
    let mut sc = Children::new(e, NS, "Standards")?;
    let standards =
        sc.many("Standard").into_iter().map(|e| leaf(e, "Standards/Standard")).collect::<Result<Vec<_>, _>>()?;
    if standards.is_empty() {
        sc.req("Standard")?;
    }
    sc.finish()?;
    Ok(standards)
}

fn closed<T>(e: &Element, path: &str, parse: fn(&str) -> Option<T>, expected: &str) -> Result<T, FormatError> {
    let text = leaf(e, path)?;
    parse(&text).ok_or_else(|| FormatError::NotInList {
        pos: Some(e.pos),
        path: path.into(),
        value: text,
        expected: expected.into(),
    })
}

fn date(e: &Element, path: &str) -> Result<time::Date, FormatError> {
    let text = leaf(e, path)?;
    ids::parse_date(&text).map_err(id_err(Some(e.pos), path))
}

fn certification_body(e: &Element) -> Result<CertificationBody, FormatError> {
    let mut c = Children::new(e, NS, "CertificationBody")?;
    let name = leaf(c.req("Name")?, "CertificationBody/Name")?;
    let name_en = c.opt("NameEn").map(|e| leaf(e, "CertificationBody/NameEn")).transpose()?;
    // A domestic CB has its CNCA approval number; a recognized foreign CB its trust-list id.
    let id = match c.opt("ApprovalNo") {
        Some(e) => BodyId::Cnca(
            ApprovalNo::parse(&leaf(e, "CertificationBody/ApprovalNo")?)
                .map_err(id_err(Some(e.pos), "CertificationBody/ApprovalNo"))?,
        ),
        None => {
            let e = c.req("BodyId")?;
            BodyId::Foreign(
                ForeignBodyId::parse(&leaf(e, "CertificationBody/BodyId")?)
                    .map_err(id_err(Some(e.pos), "CertificationBody/BodyId"))?,
            )
        }
    };
    let accreditation = match c.opt("Accreditation") {
        Some(a) => {
            let mut ac = Children::new(a, NS, "CertificationBody/Accreditation")?;
            let body = leaf(ac.req("Body")?, "CertificationBody/Accreditation/Body")?;
            let number = leaf(ac.req("AccreditationNo")?, "CertificationBody/Accreditation/AccreditationNo")?;
            ac.finish()?;
            Some(Accreditation { body, number, country: None })
        }
        None => None,
    };
    c.finish()?;
    Ok(CertificationBody { name, name_en, id, accreditation })
}

fn holder(e: &Element) -> Result<Holder, FormatError> {
    let mut c = Children::new(e, NS, "Holder")?;
    let name = leaf(c.req("Name")?, "Holder/Name")?;
    let name_en = c.opt("NameEn").map(|e| leaf(e, "Holder/NameEn")).transpose()?;
    // Optional: the holder of a recognized foreign certificate has no Chinese credit code.
    let credit_code = match c.opt("CreditCode") {
        Some(e) => {
            Some(CreditCode::parse(&leaf(e, "Holder/CreditCode")?).map_err(id_err(Some(e.pos), "Holder/CreditCode"))?)
        }
        None => None,
    };
    let address = match c.opt("Address") {
        Some(a) => {
            let mut ac = Children::new(a, NS, "Holder/Address")?;
            let division_code = match ac.opt("DivisionCode") {
                Some(d) => Some(
                    DivisionCode::parse(&leaf(d, "Holder/Address/DivisionCode")?)
                        .map_err(id_err(Some(d.pos), "Holder/Address/DivisionCode"))?,
                ),
                None => None,
            };
            let text = leaf(ac.req("Text")?, "Holder/Address/Text")?;
            let post_code = match ac.opt("PostCode") {
                Some(p) => Some(
                    PostCode::parse(&leaf(p, "Holder/Address/PostCode")?)
                        .map_err(id_err(Some(p.pos), "Holder/Address/PostCode"))?,
                ),
                None => None,
            };
            ac.finish()?;
            Some(Address { division_code, text, post_code })
        }
        None => None,
    };
    c.finish()?;
    Ok(Holder { name, name_en, credit_code, registered_id: None, country: "CN".into(), address })
}

fn scopes(scopes: &[&Element], root: &Element) -> Result<(String, Option<String>), FormatError> {
    let mut zh = None;
    let mut en = None;
    for e in scopes {
        only_attrs(e, "Scope", &["lang"])?;
        let text = leaf_with_attrs(e, "Scope")?;
        let slot = match e.attr("lang") {
            Some("zh") => &mut zh,
            Some("en") => &mut en,
            Some(other) => {
                return Err(FormatError::NotInList {
                    pos: Some(e.pos),
                    path: "Scope/@lang".into(),
                    value: other.into(),
                    expected: "zh, en".into(),
                });
            }
            None => {
                return Err(FormatError::Missing { pos: Some(e.pos), path: "Scope/@lang".into(), what: "attribute" });
            }
        };
        if slot.is_some() {
            return Err(FormatError::Invalid {
                pos: Some(e.pos),
                path: "Scope".into(),
                message: "a language appears twice".into(),
            });
        }
        *slot = Some(text);
    }
    let zh = zh.ok_or(FormatError::Missing { pos: Some(root.pos), path: "Scope[@lang=zh]".into(), what: "element" })?;
    Ok((zh, en))
}

fn parties(e: &Element, path: &str, item: &'static str) -> Result<Vec<Party>, FormatError> {
    let mut c = Children::new(e, NS, path)?;
    let item_path = format!("{path}/{item}");
    let items = c.many(item);
    if items.is_empty() {
        c.req(item)?;
    }
    c.finish()?;
    items.into_iter().map(|i| party(i, &item_path)).collect()
}

fn party(e: &Element, path: &str) -> Result<Party, FormatError> {
    let mut c = Children::new(e, NS, path)?;
    let name = leaf(c.req("Name")?, &c.path_of("Name"))?;
    let address = c.opt("Address").map(|a| leaf(a, &format!("{path}/Address"))).transpose()?;
    c.finish()?;
    Ok(Party { name, address })
}

fn products(e: &Element) -> Result<Vec<Product>, FormatError> {
    let mut c = Children::new(e, NS, "Products")?;
    let items = c.many("Product");
    if items.is_empty() {
        c.req("Product")?;
    }
    c.finish()?;
    let mut out = Vec::with_capacity(items.len());
    for p in items {
        let mut pc = Children::new(p, NS, "Products/Product")?;
        let name = leaf(pc.req("Name")?, "Products/Product/Name")?;
        let model = pc.opt("Model").map(|e| leaf(e, "Products/Product/Model")).transpose()?;
        let hs_code = match pc.opt("HSCode") {
            Some(h) => Some(
                HsCode::parse(&leaf(h, "Products/Product/HSCode")?)
                    .map_err(id_err(Some(h.pos), "Products/Product/HSCode"))?,
            ),
            None => None,
        };
        let ccc_category = match pc.opt("CCCCategory") {
            Some(h) => Some(
                CccCategory::parse(&leaf(h, "Products/Product/CCCCategory")?)
                    .map_err(id_err(Some(h.pos), "Products/Product/CCCCategory"))?,
            ),
            None => None,
        };
        pc.finish()?;
        out.push(Product { name, model, hs_code, ccc_category });
    }
    Ok(out)
}

/// Renders the certificate as CN XML (always UTF-8). What CN XML cannot carry — sectors,
/// the accreditation body's country, a foreign address or holder id — is reported.
pub fn render(cert: &Certificate) -> Rendered {
    let mut loss = LossReport::default();
    let mut w = XmlWriter::new();
    w.open("Certificate", &[("xmlns", NAMESPACE), ("schemaVersion", "1.0")]);
    w.leaf("CertificateNo", &[], cert.number.as_str());
    w.leaf("Category", &[], cert.category.zh());
    w.leaf("Program", &[], &cert.program);
    w.leaf("ProgramCode", &[], cert.program_code.as_str());
    w.leaf("Status", &[], cert.status.zh());
    w.opt_leaf("StatusDate", cert.status_date.map(ids::format_date).as_deref());
    w.leaf("IssueDate", &[], &ids::format_date(cert.issue_date));
    w.opt_leaf("OriginalIssueDate", cert.original_issue_date.map(ids::format_date).as_deref());
    w.leaf("ExpiryDate", &[], &ids::format_date(cert.expiry_date));

    let cb = &cert.certification_body;
    w.open("CertificationBody", &[]);
    w.leaf("Name", &[], &cb.name);
    w.opt_leaf("NameEn", cb.name_en.as_deref());
    match &cb.id {
        BodyId::Cnca(a) => w.leaf("ApprovalNo", &[], a.as_str()),
        BodyId::Foreign(f) => w.leaf("BodyId", &[], f.as_str()),
    }
    if let Some(a) = &cb.accreditation {
        w.open("Accreditation", &[]);
        w.leaf("Body", &[], &a.body);
        w.leaf("AccreditationNo", &[], &a.number);
        w.close("Accreditation");
        loss.add_if(a.country.is_some(), "CertificationBody/Accreditation/Country");
    }
    w.close("CertificationBody");

    let h = &cert.holder;
    w.open("Holder", &[]);
    w.leaf("Name", &[], &h.name);
    w.opt_leaf("NameEn", h.name_en.as_deref());
    w.opt_leaf("CreditCode", h.credit_code.as_ref().map(|c| c.as_str()));
    loss.add_if(h.registered_id.is_some(), "Holder/RegisteredId");
    if let Some(a) = &h.address {
        w.open("Address", &[]);
        w.opt_leaf("DivisionCode", a.division_code.as_ref().map(|d| d.as_str()));
        w.leaf("Text", &[], &a.text);
        w.opt_leaf("PostCode", a.post_code.as_ref().map(|p| p.as_str()));
        w.close("Address");
    }
    loss.add_if(h.country != "CN", "Holder/Country");
    w.close("Holder");

    w.open("Standards", &[]);
    for s in &cert.standards {
        w.leaf("Standard", &[], s);
    }
    w.close("Standards");
    w.leaf("Scope", &[("lang", "zh")], &cert.scope_zh);
    if let Some(en) = &cert.scope_en {
        w.leaf("Scope", &[("lang", "en")], en);
    }
    if !cert.sites.is_empty() {
        w.open("Sites", &[]);
        for s in &cert.sites {
            write_party(&mut w, "Site", s);
        }
        w.close("Sites");
    }
    if !cert.products.is_empty() {
        w.open("Products", &[]);
        for p in &cert.products {
            w.open("Product", &[]);
            w.leaf("Name", &[], &p.name);
            w.opt_leaf("Model", p.model.as_deref());
            w.opt_leaf("HSCode", p.hs_code.as_ref().map(|c| c.as_str()));
            w.opt_leaf("CCCCategory", p.ccc_category.as_ref().map(|c| c.as_str()));
            w.close("Product");
        }
        w.close("Products");
    }
    if let Some(m) = &cert.manufacturer {
        write_party(&mut w, "Manufacturer", m);
    }
    if let Some(f) = &cert.factory {
        write_party(&mut w, "Factory", f);
    }
    w.close("Certificate");
    loss.add_if(!cert.sectors.is_empty(), "Sectors");
    Rendered { bytes: w.finish().into_bytes(), loss }
}

fn write_party(w: &mut XmlWriter, name: &str, p: &Party) {
    w.open(name, &[]);
    w.leaf("Name", &[], &p.name);
    w.opt_leaf("Address", p.address.as_deref());
    w.close(name);
}
