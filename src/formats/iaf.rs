//! IAF CertSearch certification records (template v2.1 field names, IAF MD 28), as XML
//! (`schemas/iaf-certification.xsd`) and as the JSON body of CertSearch's upload API.
//!
//! Both encodings read into and write from one [`Record`] of raw fields, so the two can never
//! disagree on mapping; [`Record`] ⇄ [`Certificate`] is where values are validated.
//! Dates are `YYYYMMDD`; statuses are CertSearch's words (Active, Suspended, …).

use super::json::{self, Json};
use super::strict::{Children, Found, Object, leaf, only_attrs};
use super::{FormatError, LossReport, Rendered};
use crate::ids::{self, BodyId, CreditCode, PostCode};
use crate::model::{
    Accreditation, Address, AssessmentLevel, Category, Certificate, CertificationBody, Holder, Party, ProgramCode,
    Sector, Status,
};
use crate::xml::{self, Element, Limits, Pos, XmlWriter};
use serde_json::{Map, Value, json};

pub const TEMPLATE_VERSION: &str = "2.1";
const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// A raw value and where it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub pos: Option<Pos>,
    pub path: String,
}

type Opt = Option<Field>;

/// One CertSearch certification record, fields as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub certification_identity_number: Field,
    pub certificate_number: Field,
    pub certification_status: Field,
    pub accreditation_status: Field,
    pub certification_type: Field,
    pub certification_scheme_code: Field,
    pub certification_scheme_name: Field,
    pub certification_scope: Field,
    pub certification_scope_english: Opt,
    pub certification_original_issue_date: Opt,
    pub certification_issue_date: Field,
    pub certification_expiry_date: Field,
    pub certification_body_name: Field,
    pub certification_body_english_name: Opt,
    pub certification_body_identifier: Field,
    pub accreditation_body_acronym: Opt,
    pub accreditation_number: Opt,
    pub accreditation_body_country: Opt,
    pub certified_entity_unique_id: Opt,
    pub certified_entity_name: Field,
    pub certified_entity_english_name: Opt,
    pub certified_entity_street_address: Opt,
    pub certified_entity_postcode: Opt,
    pub certified_entity_country: Opt,
    pub standards: Vec<Field>,
    pub sectors: Vec<(Field, Opt)>,
    pub sites: Vec<(Field, Opt)>,
}

// ---------------------------------------------------------------------------------------
// XML

/// Parses a signed or unsigned `<certification>` document.
pub fn parse_xml(bytes: &[u8], limits: &Limits) -> Result<Certificate, FormatError> {
    let root = xml::parse(bytes, limits)?;
    record_from_xml(&root)?.into_certificate()
}

/// Like [`parse_xml`], with every value that does not read once the record's structure
/// reads (the first structural error alone otherwise).
pub fn parse_xml_all(bytes: &[u8], limits: &Limits) -> Result<Certificate, Vec<FormatError>> {
    let root = xml::parse(bytes, limits).map_err(|e| vec![FormatError::from(e)])?;
    record_from_xml(&root).map_err(|e| vec![e])?.into_certificate_all()
}

fn xleaf(c: &mut Children<'_>, name: &'static str) -> Result<Field, FormatError> {
    let e = c.req(name)?;
    let path = c.path_of(name);
    Ok(Field { value: leaf(e, &path)?, pos: Some(e.pos), path })
}

fn xopt(c: &mut Children<'_>, name: &'static str) -> Result<Opt, FormatError> {
    match c.opt(name) {
        Some(e) => {
            let path = c.path_of(name);
            Ok(Some(Field { value: leaf(e, &path)?, pos: Some(e.pos), path }))
        }
        None => Ok(None),
    }
}

/// Reads the record's fields from a `<certification>` element, strictly in template order.
pub fn record_from_xml(root: &Element) -> Result<Record, FormatError> {
    super::text::xml_shows_itself(root)?;
    if root.local != "certification" || root.ns.is_some() {
        return Err(FormatError::WrongRoot {
            pos: root.pos,
            found: root.local.clone(),
            expected: "certification",
            namespace: "(none)",
        });
    }
    only_attrs(root, "certification", &["template_version"])?;
    if root.attr("template_version") != Some(TEMPLATE_VERSION) {
        return Err(FormatError::NotInList {
            pos: Some(root.pos),
            path: "certification/@template_version".into(),
            value: root.attr("template_version").unwrap_or("").into(),
            expected: TEMPLATE_VERSION.into(),
        });
    }
    let mut c = Children::of_root(root, None, "certification")?;
    let mut r = Record {
        certification_identity_number: xleaf(&mut c, "certification_identity_number")?,
        certificate_number: xleaf(&mut c, "certificate_number")?,
        certification_status: xleaf(&mut c, "certification_status")?,
        accreditation_status: xleaf(&mut c, "accreditation_status")?,
        certification_type: xleaf(&mut c, "certification_type")?,
        certification_scheme_code: xleaf(&mut c, "certification_scheme_code")?,
        certification_scheme_name: xleaf(&mut c, "certification_scheme_name")?,
        certification_scope: xleaf(&mut c, "certification_scope")?,
        certification_scope_english: xopt(&mut c, "certification_scope_english")?,
        certification_original_issue_date: xopt(&mut c, "certification_original_issue_date")?,
        certification_issue_date: xleaf(&mut c, "certification_issue_date")?,
        certification_expiry_date: xleaf(&mut c, "certification_expiry_date")?,
        certification_body_name: xleaf(&mut c, "certification_body_name")?,
        certification_body_english_name: xopt(&mut c, "certification_body_english_name")?,
        certification_body_identifier: xleaf(&mut c, "certification_body_identifier")?,
        accreditation_body_acronym: xopt(&mut c, "accreditation_body_acronym")?,
        accreditation_number: xopt(&mut c, "accreditation_number")?,
        accreditation_body_country: xopt(&mut c, "accreditation_body_country")?,
        ..Record::default()
    };
    let entity = c.req("certified_entity")?;
    let mut ec = Children::new(entity, None, "certification/certified_entity")?;
    r.certified_entity_unique_id = xopt(&mut ec, "certified_entity_unique_id")?;
    r.certified_entity_name = xleaf(&mut ec, "certified_entity_name")?;
    r.certified_entity_english_name = xopt(&mut ec, "certified_entity_english_name")?;
    r.certified_entity_street_address = xopt(&mut ec, "certified_entity_street_address")?;
    r.certified_entity_postcode = xopt(&mut ec, "certified_entity_postcode")?;
    r.certified_entity_country = xopt(&mut ec, "certified_entity_country")?;
    ec.finish()?;

    let standards = c.req("certification_standards")?;
    let mut sc = Children::new(standards, None, "certification/certification_standards")?;
    let items = sc.many("certification_standard");
    if items.is_empty() {
        sc.req("certification_standard")?;
    }
    sc.finish()?;
    for s in items {
        let mut ic = Children::new(s, None, "certification/certification_standards/certification_standard")?;
        r.standards.push(xleaf(&mut ic, "standard_name")?);
        ic.finish()?;
    }
    if let Some(sectors) = c.opt("certification_sectors") {
        let mut sc = Children::new(sectors, None, "certification/certification_sectors")?;
        for s in sc.many("certification_sector") {
            let mut ic = Children::new(s, None, "certification/certification_sectors/certification_sector")?;
            let code = xleaf(&mut ic, "sector_code")?;
            let name = xopt(&mut ic, "sector_name")?;
            ic.finish()?;
            r.sectors.push((code, name));
        }
        sc.finish()?;
    }
    if let Some(sites) = c.opt("certification_sites") {
        let mut sc = Children::new(sites, None, "certification/certification_sites")?;
        for s in sc.many("certification_site") {
            let mut ic = Children::new(s, None, "certification/certification_sites/certification_site")?;
            let name = xleaf(&mut ic, "site_name")?;
            let address = xopt(&mut ic, "site_street_address")?;
            ic.finish()?;
            r.sites.push((name, address));
        }
        sc.finish()?;
    }
    if let Some(sig) = c.peek()
        && sig.is(DSIG_NAMESPACE, "Signature")
    {
        c.skip();
    }
    c.finish()?;
    Ok(r)
}

/// Renders the certificate as a CertSearch XML record.
pub fn render_xml(cert: &Certificate) -> Rendered {
    let (r, loss) = Record::from_certificate(cert);
    let mut w = XmlWriter::new();
    w.open("certification", &[("template_version", TEMPLATE_VERSION)]);
    let leaf = |w: &mut XmlWriter, name: &str, f: &Field| w.leaf(name, &[], &f.value);
    let opt = |w: &mut XmlWriter, name: &str, f: &Opt| w.opt_leaf(name, f.as_ref().map(|f| f.value.as_str()));
    leaf(&mut w, "certification_identity_number", &r.certification_identity_number);
    leaf(&mut w, "certificate_number", &r.certificate_number);
    leaf(&mut w, "certification_status", &r.certification_status);
    leaf(&mut w, "accreditation_status", &r.accreditation_status);
    leaf(&mut w, "certification_type", &r.certification_type);
    leaf(&mut w, "certification_scheme_code", &r.certification_scheme_code);
    leaf(&mut w, "certification_scheme_name", &r.certification_scheme_name);
    leaf(&mut w, "certification_scope", &r.certification_scope);
    opt(&mut w, "certification_scope_english", &r.certification_scope_english);
    opt(&mut w, "certification_original_issue_date", &r.certification_original_issue_date);
    leaf(&mut w, "certification_issue_date", &r.certification_issue_date);
    leaf(&mut w, "certification_expiry_date", &r.certification_expiry_date);
    leaf(&mut w, "certification_body_name", &r.certification_body_name);
    opt(&mut w, "certification_body_english_name", &r.certification_body_english_name);
    leaf(&mut w, "certification_body_identifier", &r.certification_body_identifier);
    opt(&mut w, "accreditation_body_acronym", &r.accreditation_body_acronym);
    opt(&mut w, "accreditation_number", &r.accreditation_number);
    opt(&mut w, "accreditation_body_country", &r.accreditation_body_country);
    w.open("certified_entity", &[]);
    opt(&mut w, "certified_entity_unique_id", &r.certified_entity_unique_id);
    leaf(&mut w, "certified_entity_name", &r.certified_entity_name);
    opt(&mut w, "certified_entity_english_name", &r.certified_entity_english_name);
    opt(&mut w, "certified_entity_street_address", &r.certified_entity_street_address);
    opt(&mut w, "certified_entity_postcode", &r.certified_entity_postcode);
    opt(&mut w, "certified_entity_country", &r.certified_entity_country);
    w.close("certified_entity");
    w.open("certification_standards", &[]);
    for s in &r.standards {
        w.open("certification_standard", &[]);
        leaf(&mut w, "standard_name", s);
        w.close("certification_standard");
    }
    w.close("certification_standards");
    if !r.sectors.is_empty() {
        w.open("certification_sectors", &[]);
        for (code, name) in &r.sectors {
            w.open("certification_sector", &[]);
            leaf(&mut w, "sector_code", code);
            opt(&mut w, "sector_name", name);
            w.close("certification_sector");
        }
        w.close("certification_sectors");
    }
    if !r.sites.is_empty() {
        w.open("certification_sites", &[]);
        for (name, address) in &r.sites {
            w.open("certification_site", &[]);
            leaf(&mut w, "site_name", name);
            opt(&mut w, "site_street_address", address);
            w.close("certification_site");
        }
        w.close("certification_sites");
    }
    w.close("certification");
    Rendered { bytes: w.finish().into_bytes(), loss }
}

// ---------------------------------------------------------------------------------------
// JSON

/// Parses the JSON body of a CertSearch upload.
pub fn parse_json(bytes: &[u8], limits: &Limits) -> Result<Certificate, FormatError> {
    let value = json::parse(bytes, limits)?;
    record_from_json(&value)?.into_certificate()
}

/// Like [`parse_json`], with every value that does not read once the record's structure
/// reads (the first structural error alone otherwise).
pub fn parse_json_all(bytes: &[u8], limits: &Limits) -> Result<Certificate, Vec<FormatError>> {
    let value = json::parse(bytes, limits).map_err(|e| vec![e])?;
    record_from_json(&value).map_err(|e| vec![e])?.into_certificate_all()
}

// Each field as the XML record's is read: without XML white space at either end.
fn jleaf(o: &mut Object<'_>, key: &'static str) -> Result<Field, FormatError> {
    let path = o.path_of(key);
    Ok(Field { value: o.req_text(key)?, pos: None, path })
}

fn jopt(o: &mut Object<'_>, key: &'static str) -> Result<Opt, FormatError> {
    let path = o.path_of(key);
    Ok(o.opt_text(key)?.map(|value| Field { value, pos: None, path }))
}

fn record_from_json(value: &Json<'_>) -> Result<Record, FormatError> {
    let mut o = Object::new(value, "")?;
    match o.req_str("template_version")? {
        v if v == TEMPLATE_VERSION => {}
        v => {
            return Err(FormatError::NotInList {
                pos: None,
                path: "/template_version".into(),
                value: v,
                expected: TEMPLATE_VERSION.into(),
            });
        }
    }
    let mut r = Record {
        certification_identity_number: jleaf(&mut o, "certification_identity_number")?,
        certificate_number: jleaf(&mut o, "certificate_number")?,
        certification_status: jleaf(&mut o, "certification_status")?,
        accreditation_status: jleaf(&mut o, "accreditation_status")?,
        certification_type: jleaf(&mut o, "certification_type")?,
        certification_scheme_code: jleaf(&mut o, "certification_scheme_code")?,
        certification_scheme_name: jleaf(&mut o, "certification_scheme_name")?,
        certification_scope: jleaf(&mut o, "certification_scope")?,
        certification_scope_english: jopt(&mut o, "certification_scope_english")?,
        certification_original_issue_date: jopt(&mut o, "certification_original_issue_date")?,
        certification_issue_date: jleaf(&mut o, "certification_issue_date")?,
        certification_expiry_date: jleaf(&mut o, "certification_expiry_date")?,
        certification_body_name: jleaf(&mut o, "certification_body_name")?,
        certification_body_english_name: jopt(&mut o, "certification_body_english_name")?,
        certification_body_identifier: jleaf(&mut o, "certification_body_identifier")?,
        accreditation_body_acronym: jopt(&mut o, "accreditation_body_acronym")?,
        accreditation_number: jopt(&mut o, "accreditation_number")?,
        accreditation_body_country: jopt(&mut o, "accreditation_body_country")?,
        ..Record::default()
    };
    let entity = o.req_value("certified_entity")?;
    let mut e = Object::new(entity, "/certified_entity")?;
    r.certified_entity_unique_id = jopt(&mut e, "certified_entity_unique_id")?;
    r.certified_entity_name = jleaf(&mut e, "certified_entity_name")?;
    r.certified_entity_english_name = jopt(&mut e, "certified_entity_english_name")?;
    r.certified_entity_street_address = jopt(&mut e, "certified_entity_street_address")?;
    r.certified_entity_postcode = jopt(&mut e, "certified_entity_postcode")?;
    r.certified_entity_country = jopt(&mut e, "certified_entity_country")?;
    e.finish()?;
    let standards = o.opt_array("certification_standards")?;
    if standards.is_empty() {
        return Err(FormatError::Missing { pos: None, path: "/certification_standards".into(), what: "standard" });
    }
    for (i, s) in standards.iter().enumerate() {
        let mut so = Object::new(s, &format!("/certification_standards/{i}"))?;
        r.standards.push(jleaf(&mut so, "standard_name")?);
        so.finish()?;
    }
    for (i, s) in o.opt_array("certification_sectors")?.iter().enumerate() {
        let mut so = Object::new(s, &format!("/certification_sectors/{i}"))?;
        let code = jleaf(&mut so, "sector_code")?;
        let name = jopt(&mut so, "sector_name")?;
        so.finish()?;
        r.sectors.push((code, name));
    }
    for (i, s) in o.opt_array("certification_sites")?.iter().enumerate() {
        let mut so = Object::new(s, &format!("/certification_sites/{i}"))?;
        let name = jleaf(&mut so, "site_name")?;
        let address = jopt(&mut so, "site_street_address")?;
        so.finish()?;
        r.sites.push((name, address));
    }
    o.finish()?;
    Ok(r)
}

/// Renders the certificate as a CertSearch upload JSON body.
pub fn render_json(cert: &Certificate) -> Rendered {
    let (r, loss) = Record::from_certificate(cert);
    let mut m = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, f: &Field| {
        m.insert(k.into(), Value::String(f.value.clone()));
    };
    m.insert("template_version".into(), json!(TEMPLATE_VERSION));
    put(&mut m, "certification_identity_number", &r.certification_identity_number);
    put(&mut m, "certificate_number", &r.certificate_number);
    put(&mut m, "certification_status", &r.certification_status);
    put(&mut m, "accreditation_status", &r.accreditation_status);
    put(&mut m, "certification_type", &r.certification_type);
    put(&mut m, "certification_scheme_code", &r.certification_scheme_code);
    put(&mut m, "certification_scheme_name", &r.certification_scheme_name);
    put(&mut m, "certification_scope", &r.certification_scope);
    let opts = [
        ("certification_scope_english", &r.certification_scope_english),
        ("certification_original_issue_date", &r.certification_original_issue_date),
    ];
    for (k, f) in opts {
        if let Some(f) = f {
            put(&mut m, k, f);
        }
    }
    put(&mut m, "certification_issue_date", &r.certification_issue_date);
    put(&mut m, "certification_expiry_date", &r.certification_expiry_date);
    put(&mut m, "certification_body_name", &r.certification_body_name);
    if let Some(f) = &r.certification_body_english_name {
        put(&mut m, "certification_body_english_name", f);
    }
    put(&mut m, "certification_body_identifier", &r.certification_body_identifier);
    for (k, f) in [
        ("accreditation_body_acronym", &r.accreditation_body_acronym),
        ("accreditation_number", &r.accreditation_number),
        ("accreditation_body_country", &r.accreditation_body_country),
    ] {
        if let Some(f) = f {
            put(&mut m, k, f);
        }
    }
    let mut e = Map::new();
    if let Some(f) = &r.certified_entity_unique_id {
        put(&mut e, "certified_entity_unique_id", f);
    }
    put(&mut e, "certified_entity_name", &r.certified_entity_name);
    for (k, f) in [
        ("certified_entity_english_name", &r.certified_entity_english_name),
        ("certified_entity_street_address", &r.certified_entity_street_address),
        ("certified_entity_postcode", &r.certified_entity_postcode),
        ("certified_entity_country", &r.certified_entity_country),
    ] {
        if let Some(f) = f {
            put(&mut e, k, f);
        }
    }
    m.insert("certified_entity".into(), Value::Object(e));
    m.insert("certification_standards".into(), r.standards.iter().map(|s| json!({"standard_name": s.value})).collect());
    if !r.sectors.is_empty() {
        let sectors = r.sectors.iter().map(|(c, n)| {
            let mut s = Map::new();
            s.insert("sector_code".into(), json!(c.value));
            if let Some(n) = n {
                s.insert("sector_name".into(), json!(n.value));
            }
            Value::Object(s)
        });
        m.insert("certification_sectors".into(), sectors.collect());
    }
    if !r.sites.is_empty() {
        let sites = r.sites.iter().map(|(n, a)| {
            let mut s = Map::new();
            s.insert("site_name".into(), json!(n.value));
            if let Some(a) = a {
                s.insert("site_street_address".into(), json!(a.value));
            }
            Value::Object(s)
        });
        m.insert("certification_sites".into(), sites.collect());
    }
    let mut bytes = serde_json::to_vec_pretty(&Value::Object(m)).unwrap_or_default();
    bytes.push(b'\n');
    Rendered { bytes, loss }
}

// ---------------------------------------------------------------------------------------
// Record ⇄ Certificate

fn field(value: impl Into<String>) -> Field {
    Field { value: value.into(), pos: None, path: String::new() }
}

fn id_err(f: &Field) -> impl FnOnce(ids::IdError) -> FormatError + '_ {
    move |source| FormatError::Id { pos: f.pos, path: f.path.clone(), source }
}

fn not_in_list(f: &Field, expected: &str) -> FormatError {
    FormatError::NotInList { pos: f.pos, path: f.path.clone(), value: f.value.clone(), expected: expected.into() }
}

fn looks_like_credit_code(s: &str) -> bool {
    s.len() == 18 && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

fn compact_date(f: &Field) -> Result<time::Date, FormatError> {
    ids::parse_compact_date(&f.value).map_err(id_err(f))
}

/// The identity number a record of `cert` states: the body's id and the certificate's
/// number (`CNCA-R-2002-001:04925Q10021R0M`), as every rendering writes it and as a
/// translation reads it back.
pub fn identity_number(cert: &Certificate) -> String {
    format!("{}:{}", cert.certification_body.id, cert.number)
}

/// Reads a record (its parsed XML) for a translation: the certificate, and what it states
/// that the model does not carry ([`Record::into_certificate_read`]).
pub fn read_xml(root: &Element) -> Result<(Certificate, LossReport), FormatError> {
    record_from_xml(root)?.into_certificate_read()
}

/// Like [`read_xml`], for the JSON body of a CertSearch upload.
pub fn read_json(bytes: &[u8], limits: &Limits) -> Result<(Certificate, LossReport), FormatError> {
    let value = json::parse(bytes, limits)?;
    record_from_json(&value)?.into_certificate_read()
}

impl Record {
    /// The certificate, and what the record states that no other format carries: an
    /// identity number other than the one derived from its body and number
    /// ([`identity_number`]), which a translation would otherwise drop unsaid (found by
    /// review: another body's number there was read and lost without a word).
    pub fn into_certificate_read(self) -> Result<(Certificate, LossReport), FormatError> {
        // As XML reads it (its text trimmed), so that both spellings of a record say the same.
        let stated = self.certification_identity_number.value.trim_matches(crate::xml::is_xml_space).to_string();
        let cert = self.fields().map_err(Found::first)?;
        let mut loss = LossReport::default();
        loss.add_if(stated != identity_number(&cert), "certification_identity_number");
        Ok((cert, loss))
    }

    /// Validates the raw fields into a certificate.
    pub fn into_certificate(self) -> Result<Certificate, FormatError> {
        self.into_certificate_all().map_err(Found::first)
    }

    /// The certificate, or every value of the record that does not read, in the record's
    /// order (never an empty list). An identity number of this profile's form is its body's
    /// id and its number ([`identity_number`]): a record naming another certificate there is
    /// refused, for a reader of the record takes that for the certificate it is (found by
    /// attack: a CB-signed record keyed `dakks-cb:OTHER-1` verified "valid" as certificate
    /// `X`). An opaque one is read, and a translation reports it lost
    /// ([`Record::into_certificate_read`]).
    pub fn into_certificate_all(self) -> Result<Certificate, Vec<FormatError>> {
        let field = self.certification_identity_number.clone();
        let cert = self.fields()?;
        let stated = field.value.trim_matches(crate::xml::is_xml_space);
        let derived = identity_number(&cert);
        // A number of this profile's form (`{body}:{number}`) names a certificate; an opaque
        // one (CertSearch's own, say) names none here, and a translation reports it lost.
        if stated.contains(':') && stated != derived {
            let message =
                format!("'{stated}' is not this record's identity number: its body and number make '{derived}'");
            return Err(vec![FormatError::Invalid { pos: field.pos, path: field.path, message }]);
        }
        Ok(cert)
    }

    /// The certificate the record's fields make, or every value that does not read.
    fn fields(self) -> Result<Certificate, Vec<FormatError>> {
        let mut found = Found::default();
        let status = found.value(Status::from_iaf(&self.certification_status.value).ok_or_else(|| {
            not_in_list(&self.certification_status, "Active, Suspended, Withdrawn, Cancelled, Expired")
        }));
        let category = found.value(
            Category::from_iaf(&self.certification_type.value)
                .ok_or_else(|| not_in_list(&self.certification_type, "Management System, Product, Service")),
        );
        let program_code = found.value(ProgramCode::parse(&self.certification_scheme_code.value).ok_or_else(|| {
            not_in_list(
                &self.certification_scheme_code,
                "QMS, EMS, OHSMS, ISMS, EnMS, FSMS, HACCP, ITSMS, CCC, PRODUCT, SERVICE",
            )
        }));
        let number = program_code.and_then(|program_code| {
            found.value(
                Certificate::parse_number(program_code, &self.certificate_number.value)
                    .map_err(id_err(&self.certificate_number)),
            )
        });
        let issue_date = found.value(compact_date(&self.certification_issue_date));
        let expiry_date = found.value(compact_date(&self.certification_expiry_date));
        if let (Some(issue_date), Some(expiry_date)) = (issue_date, expiry_date) {
            found.value(
                ids::check_validity_period(issue_date, expiry_date).map_err(id_err(&self.certification_expiry_date)),
            );
        }
        let original_issue_date =
            found.value(self.certification_original_issue_date.as_ref().map(compact_date).transpose());
        let id = found.value(
            BodyId::parse(&self.certification_body_identifier.value)
                .map_err(id_err(&self.certification_body_identifier)),
        );
        let accreditation = found.value(self.accreditation());
        let country = self.certified_entity_country.as_ref().map(|c| c.value.clone());
        // Both countries a record states are codes (found by attack: the accreditation
        // body's was read as any text, hidden characters and all).
        for c in [&self.certified_entity_country, &self.accreditation_body_country].into_iter().flatten() {
            if c.value.len() != 2 || !c.value.bytes().all(|b| b.is_ascii_uppercase()) {
                found.0.push(FormatError::Invalid {
                    pos: c.pos,
                    path: c.path.clone(),
                    message: "must be an ISO 3166-1 alpha-2 code".into(),
                });
            }
        }
        let domestic = country.as_deref().unwrap_or("CN") == "CN";
        let holder_ids = match &self.certified_entity_unique_id {
            // A domestic entity's unique id is its credit code, and one shaped like a credit
            // code must be a correct one; anything else is a registration id.
            Some(id) if domestic && looks_like_credit_code(&id.value) => {
                found.value(CreditCode::parse(&id.value).map_err(id_err(id))).map(|code| (Some(code), None))
            }
            Some(id) => Some((None, Some(id.value.clone()))),
            None => Some((None, None)),
        };
        let address = match (&self.certified_entity_street_address, &self.certified_entity_postcode) {
            (Some(street), postcode) => found
                .value(postcode.as_ref().map(|p| PostCode::parse(&p.value).map_err(id_err(p))).transpose())
                .map(|post_code| Some(Address { division_code: None, text: street.value.clone(), post_code })),
            (None, Some(p)) => {
                found.0.push(FormatError::Invalid {
                    pos: p.pos,
                    path: p.path.clone(),
                    message: "a postcode without a street address".into(),
                });
                None
            }
            (None, None) => Some(None),
        };
        let (
            Some(status),
            Some(category),
            Some(program_code),
            Some(number),
            Some(issue_date),
            Some(expiry_date),
            Some(original_issue_date),
            Some(id),
            Some(accreditation),
            Some((credit_code, registered_id)),
            Some(address),
            true,
        ) = (
            status,
            category,
            program_code,
            number,
            issue_date,
            expiry_date,
            original_issue_date,
            id,
            accreditation,
            holder_ids,
            address,
            found.0.is_empty(),
        )
        else {
            return Err(found.0);
        };
        let assessment_level = AssessmentLevel::stated_by(accreditation.as_ref());
        let cert = Certificate {
            number,
            category,
            program: self.certification_scheme_name.value,
            program_code,
            status,
            status_date: None,
            issue_date,
            original_issue_date,
            expiry_date,
            certification_body: CertificationBody {
                name: self.certification_body_name.value,
                name_en: self.certification_body_english_name.map(|f| f.value),
                id,
                accreditation,
            },
            holder: Holder {
                name: self.certified_entity_name.value,
                name_en: self.certified_entity_english_name.map(|f| f.value),
                credit_code,
                registered_id,
                country: country.unwrap_or_else(|| "CN".into()),
                address,
            },
            standards: self.standards.into_iter().map(|f| f.value).collect(),
            scope_zh: self.certification_scope.value,
            scope_en: self.certification_scope_english.map(|f| f.value),
            sites: self.sites.into_iter().map(|(n, a)| Party { name: n.value, address: a.map(|a| a.value) }).collect(),
            products: Vec::new(),
            manufacturer: None,
            factory: None,
            sectors: self
                .sectors
                .into_iter()
                .map(|(c, n)| Sector { code: c.value, name: n.map(|n| n.value) })
                .collect(),
            assessment_level,
        };
        cert.check().map_err(|e| vec![FormatError::from(e)])?;
        Ok(cert)
    }

    /// The accreditation the record names, consistent with its accreditation status.
    fn accreditation(&self) -> Result<Option<Accreditation>, FormatError> {
        let accredited = match self.accreditation_status.value.as_str() {
            "Accredited" => true,
            "Unaccredited" => false,
            _ => return Err(not_in_list(&self.accreditation_status, "Accredited, Unaccredited")),
        };
        match (accredited, &self.accreditation_body_acronym, &self.accreditation_number) {
            (true, Some(body), Some(number)) => Ok(Some(Accreditation {
                body: body.value.clone(),
                number: number.value.clone(),
                country: self.accreditation_body_country.as_ref().map(|c| c.value.clone()),
            })),
            (true, None, _) => Err(FormatError::Missing {
                pos: self.accreditation_status.pos,
                path: "accreditation_body_acronym".into(),
                what: "field (the record says Accredited)",
            }),
            (true, _, None) => Err(FormatError::Missing {
                pos: self.accreditation_status.pos,
                path: "accreditation_number".into(),
                what: "field (the record says Accredited)",
            }),
            // Its body's country too is a part of an accreditation the record names (found by
            // attack: an Unaccredited record's country was dropped without a loss reported).
            (false, None, None) if self.accreditation_body_country.is_none() => Ok(None),
            (false, _, _) => Err(FormatError::Invalid {
                pos: self.accreditation_status.pos,
                path: self.accreditation_status.path.clone(),
                message: "an Unaccredited record names an accreditation".into(),
            }),
        }
    }

    /// Maps a certificate to record fields, reporting what the record cannot carry.
    pub fn from_certificate(cert: &Certificate) -> (Record, LossReport) {
        let mut loss = LossReport::default();
        let opt = |v: Option<&str>| v.map(field);
        let h = &cert.holder;
        let cb = &cert.certification_body;
        loss.add_if(cert.status_date.is_some(), "StatusDate");
        if let Some(a) = &h.address {
            loss.add_if(a.division_code.is_some(), "Holder/Address/DivisionCode");
        }
        for p in &cert.products {
            loss.add("Products/Product/Name");
            loss.add_if(p.model.is_some(), "Products/Product/Model");
            loss.add_if(p.hs_code.is_some(), "Products/Product/HSCode");
            loss.add_if(p.ccc_category.is_some(), "Products/Product/CCCCategory");
        }
        for (present, name) in [(&cert.manufacturer, "Manufacturer"), (&cert.factory, "Factory")] {
            if let Some(p) = present {
                loss.add(&format!("{name}/Name"));
                loss.add_if(p.address.is_some(), &format!("{name}/Address"));
            }
        }
        // A domestic holder's unique id shaped like a credit code is read as its credit code:
        // a registration id so shaped cannot be written as one (found by attack: a foreign
        // registration id came back a Chinese credit code).
        let registered_id = match h.registered_id.as_deref() {
            Some(id) if h.country == "CN" && looks_like_credit_code(id) => {
                loss.add("Holder/RegisteredId");
                None
            }
            other => other,
        };
        let record = Record {
            certification_identity_number: field(identity_number(cert)),
            certificate_number: field(cert.number.as_str()),
            certification_status: field(cert.status.iaf()),
            accreditation_status: field(if cb.accreditation.is_some() { "Accredited" } else { "Unaccredited" }),
            certification_type: field(cert.category.iaf()),
            certification_scheme_code: field(cert.program_code.as_str()),
            certification_scheme_name: field(cert.program.as_str()),
            certification_scope: field(cert.scope_zh.as_str()),
            certification_scope_english: opt(cert.scope_en.as_deref()),
            certification_original_issue_date: cert.original_issue_date.map(|d| field(ids::format_compact_date(d))),
            certification_issue_date: field(ids::format_compact_date(cert.issue_date)),
            certification_expiry_date: field(ids::format_compact_date(cert.expiry_date)),
            certification_body_name: field(cb.name.as_str()),
            certification_body_english_name: opt(cb.name_en.as_deref()),
            certification_body_identifier: field(cb.id.as_str()),
            accreditation_body_acronym: opt(cb.accreditation.as_ref().map(|a| a.body.as_str())),
            accreditation_number: opt(cb.accreditation.as_ref().map(|a| a.number.as_str())),
            accreditation_body_country: opt(cb.accreditation.as_ref().and_then(|a| a.country.as_deref())),
            certified_entity_unique_id: opt(h.credit_code.as_ref().map(|c| c.as_str()).or(registered_id)),
            certified_entity_name: field(h.name.as_str()),
            certified_entity_english_name: opt(h.name_en.as_deref()),
            certified_entity_street_address: opt(h.address.as_ref().map(|a| a.text.as_str())),
            certified_entity_postcode: opt(h.address.as_ref().and_then(|a| a.post_code.as_ref()).map(|p| p.as_str())),
            // Stated with an address, as before, and whenever it is not CN, which a record
            // stating none means.
            certified_entity_country: opt((h.address.is_some() || h.country != "CN").then_some(h.country.as_str())),
            standards: cert.standards.iter().map(|s| field(s.as_str())).collect(),
            sectors: cert.sectors.iter().map(|s| (field(s.code.as_str()), opt(s.name.as_deref()))).collect(),
            sites: cert.sites.iter().map(|s| (field(s.name.as_str()), opt(s.address.as_deref()))).collect(),
        };
        (record, loss)
    }
}
