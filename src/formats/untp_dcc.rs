//! UNTP Digital Conformity Credential v0.6.0: a W3C Verifiable Credential 2.0 whose subject
//! is a `ConformityAttestation`. This module renders and reads the unsigned credential; the
//! VC-JOSE envelope is the signature layer's job.
//!
//! The mapping is in `schemas/MAPPING.md`. `assessmentLevel` is rendered from the model
//! (set by the caller's trust decision) and never inferred here. The certificate's register
//! status travels in the VC's `credentialStatus` slot with the type
//! `CertificationRegisterStatus`, so a suspended certificate never renders as a plain
//! credential that looks valid; an export replaces it with W3C Bitstring Status List
//! entries ([`crate::status_list`]), which the reader reads as stating no status. Every
//! credential written expands as JSON-LD in safe mode: a term no context defines is never
//! written.

use super::json::{self, Json};
use super::strict::{Found, Object};
use super::{FormatError, LossReport, Rendered};
use crate::ids::{self, ApprovalNo, BodyId, CreditCode, ForeignBodyId, IdError};
use crate::model::{
    Accreditation, AssessmentLevel, Certificate, CertificationBody, Holder, Party, Product, ProgramCode, Status,
};
use crate::xml::Limits;
use serde_json::{Map, Value, json};

pub const CONTEXT_VC: &str = "https://www.w3.org/ns/credentials/v2";
pub const CONTEXT_DCC: &str = "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/";
pub const STATUS_TYPE: &str = "CertificationRegisterStatus";
const CNCA_ID: &str = "urn:cn:cnca";
const CNCA_NAME: &str = "Certification and Accreditation Administration of the People's Republic of China (CNCA)";

/// Percent-encodes everything outside RFC 3986 "unreserved", for use inside URNs.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn dec(s: &str) -> Option<String> {
    let mut rest = s.as_bytes();
    let mut out = Vec::with_capacity(rest.len());
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let [high, low, tail @ ..] = tail else { return None };
            let hex = [*high, *low];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            rest = tail;
        } else {
            out.push(b);
            rest = tail;
        }
    }
    String::from_utf8(out).ok()
}

fn issuer_id(id: &BodyId) -> String {
    match id {
        BodyId::Cnca(a) => format!("urn:cn:cnca:approval:{}", enc(a.as_str())),
        BodyId::Foreign(f) => format!("urn:mrgate:body:{}", enc(f.as_str())),
    }
}

/// An accreditation authority's id in this profile: made of its name.
fn authority_id(name: &str) -> String {
    format!("urn:mrgate:accreditation-body:{}", enc(name))
}

/// A standard's id in this profile: made of its designation.
fn standard_id(designation: &str) -> String {
    format!("urn:mrgate:standard:{}", enc(designation))
}

fn subject_id(cert: &Certificate) -> String {
    format!("urn:cn:cnca:certificate:{}:{}", enc(cert.issuer_id()), enc(cert.number.as_str()))
}

/// The id of an accreditation in this profile: its authority and number.
fn accreditation_id(body: &str, number: &str) -> String {
    format!("urn:mrgate:accreditation:{}:{}", enc(body), enc(number))
}

/// The id of a holder known by a registered id other than a credit code.
fn registered_party_id(id: &str) -> String {
    format!("urn:mrgate:registered-id:{}", enc(id))
}

/// In this profile an id of a fact is made of what it names: one naming anything else is a
/// claim no check reads, which a person reading the credential may take for the fact (found
/// by attack: an Endorsement id naming UKAS 0001 beside the name CNAS C001-M verified
/// "valid"). `path` is the member's.
fn profile_id(id: &str, expected: &str, path: &str) -> Result<(), FormatError> {
    if id == expected { Ok(()) } else { Err(invalid(path, format!("must be '{expected}' in this profile"))) }
}

/// An id this profile writes as its subject's `#{suffix}` (the credential's, its register
/// status's, an assessment's): in this profile it is that, or an id of the issuer's own
/// that names nothing this profile names — an https URL, a DID or a UUID URN, a value a
/// translation rewrites and reports lost. Any other is refused: another certificate's id,
/// and this profile's written in another case, with white space or in look-alike letters
/// (found by review: `URN:CN:cnca:certificate:…` naming another certificate, which RFC 8141
/// reads as the same URN, was taken for no certificate's id). Another issuer's credential
/// names what it names.
fn own_id(reading: Reading, subject: Option<&str>, id: &str, suffix: &str, path: &str) -> Result<(), FormatError> {
    let Some(expected) = subject_part(reading, subject, suffix) else { return Ok(()) };
    if id == expected || is_other_issuer_id(id) || is_uuid_urn(id) {
        return Ok(());
    }
    Err(invalid(
        path,
        format!("must be '{expected}' in this profile, or an https URL, a DID or a urn:uuid of the issuer's"),
    ))
}

/// The id this profile makes of a part of its subject (`{subject}#{suffix}`: its holder, an
/// assessment, a product…); `None` where no id is held to it — another issuer's credential,
/// or a subject that is no certificate's, refused for that where it is read.
fn subject_part(reading: Reading, subject: Option<&str>, suffix: &str) -> Option<String> {
    let subject = subject.filter(|s| reading == Reading::Profile && s.starts_with("urn:cn:cnca:certificate:"))?;
    Some(format!("{subject}#{suffix}"))
}

/// Whether `id` is a UUID URN (RFC 9562): `urn:uuid:` and 32 hexadecimal digits in the
/// groups 8-4-4-4-12.
fn is_uuid_urn(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("urn:uuid:") else { return false };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A scheme's or a standard's issuing party in this profile: an object of an `id` and a
/// `name`, nothing more. Its values are a translation's to rewrite and report lost (the
/// model keeps no standards body); anything more would be nodes a JSON-LD reader merges into
/// the credential's graph (`@included`: a second attestation, another Endorsement) that
/// this reader never reads (found by review: such an `issuingParty` verified valid).
fn issuing_party(value: &Json<'_>, path: &str) -> Result<(), FormatError> {
    let mut party = Object::new(value, path)?;
    party.req_str("id")?;
    party.req_str("name")?;
    party.finish()
}

/// The `IDverifiedByCAB` this profile writes: true.
fn verified_by_cab(o: &mut Object<'_>) -> Result<(), FormatError> {
    let path = o.path_of("IDverifiedByCAB");
    match o.req_value("IDverifiedByCAB")? {
        Json::Bool(true) => Ok(()),
        _ => Err(invalid(&path, "must be true in this profile")),
    }
}

fn standards_body(standard: &str) -> (&'static str, &'static str) {
    if standard.starts_with("GB") {
        ("urn:mrgate:standards-body:SAC", "Standardization Administration of China (SAC)")
    } else if standard.starts_with("ISO") {
        ("urn:mrgate:standards-body:ISO", "International Organization for Standardization (ISO)")
    } else if standard.starts_with("IEC") || standard.starts_with("CISPR") {
        ("urn:mrgate:standards-body:IEC", "International Electrotechnical Commission (IEC)")
    } else {
        ("urn:mrgate:standards-body:other", "Standards body named in the designation")
    }
}

/// Renders the unsigned credential.
pub fn render(cert: &Certificate) -> Rendered {
    let (vc, loss) = credential(cert);
    let mut bytes = serde_json::to_vec_pretty(&vc).unwrap_or_default();
    bytes.push(b'\n');
    Rendered { bytes, loss }
}

/// The unsigned credential as a JSON value, and what it could not carry.
fn credential(cert: &Certificate) -> (Value, LossReport) {
    let mut loss = LossReport::default();
    let cb = &cert.certification_body;
    let h = &cert.holder;
    let subject = subject_id(cert);

    loss.add_if(cert.original_issue_date.is_some(), "OriginalIssueDate");
    loss.add_if(h.name_en.is_some(), "Holder/NameEn");
    if let Some(a) = &h.address {
        loss.add_if(a.division_code.is_some(), "Holder/Address/DivisionCode");
        loss.add("Holder/Address/Text");
        loss.add_if(a.post_code.is_some(), "Holder/Address/PostCode");
    }
    loss.add_if(h.country != "CN", "Holder/Country");
    if let Some(a) = &cb.accreditation {
        loss.add_if(a.country.is_some(), "CertificationBody/Accreditation/Country");
    }
    for s in &cert.sites {
        loss.add_if(s.address.is_some(), "Sites/Site/Address");
    }
    for p in &cert.products {
        loss.add_if(p.hs_code.is_some(), "Products/Product/HSCode");
        loss.add_if(p.ccc_category.is_some(), "Products/Product/CCCCategory");
    }
    for (present, name) in [(&cert.manufacturer, "Manufacturer"), (&cert.factory, "Factory")] {
        if let Some(p) = present {
            loss.add(&format!("{name}/Name"));
            loss.add_if(p.address.is_some(), &format!("{name}/Address"));
        }
    }
    loss.add_if(!cert.sectors.is_empty(), "Sectors");

    let mut issuer = Map::new();
    issuer.insert("type".into(), json!(["CredentialIssuer"]));
    issuer.insert("id".into(), json!(issuer_id(&cb.id)));
    issuer.insert("name".into(), json!(cb.name));
    if let Some(en) = &cb.name_en {
        issuer.insert(
            "issuerAlsoKnownAs".into(),
            json!([{"id": issuer_id(&cb.id), "name": en, "registeredId": cb.id.as_str()}]),
        );
    }

    let mut party = Map::new();
    match (&h.credit_code, &h.registered_id) {
        (Some(code), _) => {
            party.insert("id".into(), json!(format!("urn:cn:uscc:{code}")));
            party.insert("name".into(), json!(h.name));
            party.insert("registeredId".into(), json!(code.as_str()));
        }
        (None, Some(id)) => {
            party.insert("id".into(), json!(registered_party_id(id)));
            party.insert("name".into(), json!(h.name));
            party.insert("registeredId".into(), json!(id));
        }
        (None, None) => {
            party.insert("id".into(), json!(format!("{subject}#holder")));
            party.insert("name".into(), json!(h.name));
        }
    }

    let assessments: Vec<Value> = cert
        .standards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (body_id, body_name) = standards_body(s);
            let mut a = Map::new();
            a.insert("type".into(), json!(["ConformityAssessment", "Declaration"]));
            a.insert("id".into(), json!(format!("{subject}#assessment-{}", i + 1)));
            a.insert(
                "referenceStandard".into(),
                json!({
                    "type": ["Standard"],
                    "id": standard_id(s),
                    "name": s,
                    "issuingParty": {"id": body_id, "name": body_name},
                }),
            );
            a.insert("conformance".into(), json!(true));
            a.insert("conformityTopic".into(), json!("governance.compliance"));
            if i == 0 && !cert.products.is_empty() {
                let products: Vec<Value> = cert
                    .products
                    .iter()
                    .enumerate()
                    .map(|(n, p)| {
                        let mut product = Map::new();
                        product.insert("id".into(), json!(format!("{subject}#product-{}", n + 1)));
                        product.insert("name".into(), json!(p.name));
                        if let Some(m) = &p.model {
                            product.insert("registeredId".into(), json!(m));
                        }
                        // No `type`: see [`untyped`].
                        json!({"product": product, "IDverifiedByCAB": true})
                    })
                    .collect();
                a.insert("assessedProduct".into(), Value::Array(products));
            }
            if i == 0 && !cert.sites.is_empty() {
                let sites: Vec<Value> = cert
                    .sites
                    .iter()
                    .enumerate()
                    .map(|(n, s)| {
                        json!({
                            "facility": {"id": format!("{subject}#site-{}", n + 1), "name": s.name},
                            "IDverifiedByCAB": true,
                        })
                    })
                    .collect();
                a.insert("assessedFacility".into(), Value::Array(sites));
            }
            Value::Object(a)
        })
        .collect();

    let mut cs = Map::new();
    cs.insert("type".into(), json!(["ConformityAttestation", "Attestation"]));
    cs.insert("id".into(), json!(subject));
    if let Some(en) = &cert.scope_en {
        cs.insert("name".into(), json!(en));
    }
    cs.insert("description".into(), json!(cert.scope_zh));
    cs.insert("assessorLevel".into(), json!("3rdParty"));
    cs.insert("assessmentLevel".into(), json!(cert.assessment_level.as_str()));
    cs.insert("attestationType".into(), json!("certification"));
    cs.insert("issuedToParty".into(), Value::Object(party));
    if let Some(a) = &cb.accreditation {
        cs.insert(
            "authorisation".into(),
            json!([{
                "type": ["Endorsement"],
                "id": accreditation_id(&a.body, &a.number),
                "name": a.number,
                "issuingAuthority": {"id": authority_id(&a.body), "name": a.body},
            }]),
        );
    }
    cs.insert(
        "scope".into(),
        json!({
            "type": ["ConformityAssessmentScheme", "Standard"],
            "id": format!("urn:cn:cnca:program:{}", cert.program_code.as_str()),
            "name": cert.program,
            "issuingParty": {"id": CNCA_ID, "name": CNCA_NAME},
        }),
    );
    cs.insert("assessment".into(), Value::Array(assessments));

    let mut status = Map::new();
    status.insert("@context".into(), status_context());
    status.insert("id".into(), json!(format!("{subject}#status")));
    status.insert("type".into(), json!(STATUS_TYPE));
    status.insert("statusValue".into(), json!(cert.status.as_str()));
    if let Some(d) = cert.status_date {
        status.insert("statusDate".into(), json!(ids::format_date(d)));
    }

    let mut vc = Map::new();
    vc.insert("@context".into(), json!([CONTEXT_VC, CONTEXT_DCC]));
    vc.insert("type".into(), json!(["DigitalConformityCredential", "VerifiableCredential"]));
    vc.insert("id".into(), json!(format!("{subject}#credential")));
    vc.insert("issuer".into(), Value::Object(issuer));
    vc.insert("validFrom".into(), json!(format!("{}T00:00:00+08:00", ids::format_date(cert.issue_date))));
    vc.insert("validUntil".into(), json!(format!("{}T23:59:59+08:00", ids::format_date(cert.expiry_date))));
    vc.insert("credentialStatus".into(), Value::Object(status));
    vc.insert("credentialSubject".into(), Value::Object(cs));
    (Value::Object(vc), loss)
}

fn invalid(path: &str, message: impl Into<String>) -> FormatError {
    FormatError::Invalid { pos: None, path: path.to_string(), message: message.into() }
}

/// How a credential is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// This gateway's profile (`schemas/MAPPING.md`): its URN ids tie the subject to the
    /// issuer, `credentialStatus` is stated, and no member is there that the profile does
    /// not read. What is verified and recognized: the register is keyed by these ids.
    Profile,
    /// Another issuer's credential, as the UNTP schema allows it: DID or https ids, open
    /// objects, no status mechanism. Read for a translation or a check, whose loss report
    /// names what the model cannot hold; never verified or recognized.
    OtherIssuer,
}

impl Reading {
    /// A credential is another issuer's when its issuer is a DID or an https URL and none
    /// of its ids claims this gateway's profile (a subject or scheme id in its URNs); one
    /// that claims the profile anywhere is held to all of it.
    fn of(value: &Json<'_>) -> Self {
        fn member<'v>(v: Option<&'v Json<'v>>, key: &str) -> Option<&'v Json<'v>> {
            v.and_then(Json::as_object).and_then(|m| m.iter().find(|(k, _)| k == key)).map(|(_, v)| v)
        }
        let id = |v| member(v, "id").and_then(Json::as_str).unwrap_or_default();
        let subject = member(Some(value), "credentialSubject");
        let other = is_other_issuer_id(id(member(Some(value), "issuer")))
            && !id(subject).starts_with("urn:cn:cnca:certificate:")
            && !id(member(subject, "scope")).starts_with("urn:cn:cnca:program:");
        if other { Reading::OtherIssuer } else { Reading::Profile }
    }

    /// Ends an object: in the profile only the members read (and `defined`, accepted
    /// unread) may be there; another issuer's objects are as open as the schema leaves
    /// them (what is not read is reported lost by [`read`]).
    fn end(self, o: Object<'_>, defined: &[&'static str]) -> Result<(), FormatError> {
        match self {
            Reading::Profile => o.finish_defined(defined),
            Reading::OtherIssuer => {
                o.finish_open();
                Ok(())
            }
        }
    }

    /// Checks a `type` array: in the profile it must be there and be exactly `expected`;
    /// in another issuer's credential it must name them (the schema's `contains`; other
    /// types are reported lost), and an object without one has the schema's default —
    /// but the credential itself must state its types, as the VC data model requires.
    fn types(self, o: &mut Object<'_>, expected: &[&str]) -> Result<(), FormatError> {
        let path = o.path_of("type");
        let types = match o.opt_value("type") {
            Some(types) => types,
            None if self == Reading::OtherIssuer && path != "/type" => return Ok(()),
            None => return Err(FormatError::Missing { pos: None, path, what: "field" }),
        };
        let list: Vec<&str> = types.as_array().map(|a| a.iter().filter_map(Json::as_str).collect()).unwrap_or_default();
        let exact = list.len() == expected.len() || self == Reading::OtherIssuer;
        if expected.iter().all(|t| list.contains(t)) && exact {
            Ok(())
        } else {
            Err(invalid(&path, format!("must be {expected:?}")))
        }
    }
}

/// The `type` of an object whose schema gives it a read-only default the UNTP 0.6.0
/// context does not define (`SecureLink`, `ProductVerification`, `FacilityVerification`):
/// written out, a JSON-LD processor in safe mode refuses it as a relative type, so the
/// gateway leaves it out (UNTP's released instance does too). Stated, it must name
/// `expected`.
fn untyped(o: &mut Object<'_>, expected: &[&str]) -> Result<(), FormatError> {
    Reading::OtherIssuer.types(o, expected)
}

/// Whether an id is another issuer's: a DID or an https URL, as UNTP's own examples use,
/// rather than this gateway's URNs.
fn is_other_issuer_id(id: &str) -> bool {
    id.starts_with("did:") || id.starts_with("https://")
}

/// The body id of an issuer named by a DID or an https URL: the DID's method-specific id
/// or the URL's host and path, each character a body id cannot hold (`:`, `/`, `%`, …)
/// turned into `-`. The DID itself has no place in CN XML; a translation reports it lost.
fn body_of_other_issuer(id: &str) -> Result<ForeignBodyId, IdError> {
    let rest = id
        .strip_prefix("https://")
        .or_else(|| id.strip_prefix("did:web:"))
        .or_else(|| id.strip_prefix("did:").and_then(|m| m.split_once(':').map(|(_, specific)| specific)))
        .unwrap_or(id);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let mapped: String =
        rest.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect();
    ForeignBodyId::parse(mapped.trim_matches('-'))
}

/// The certificate number of a credential from another issuer: the last path segment of
/// its subject id (a DID's last `:` segment), which must be a certificate number as CN
/// writes them; it is never changed (upper-cased, say) to fit, so two ids never become one
/// number. An id with a query or a fragment is refused: its last segment names nothing.
fn number_of_other_subject(id: &str) -> Result<&str, FormatError> {
    if id.contains(['?', '#']) {
        return Err(invalid("/credentialSubject/id", "another issuer's subject id must have no query or fragment"));
    }
    Ok(id.rsplit(['/', ':']).next().unwrap_or_default())
}

/// Reads an unsigned credential into the model, with what the model could not hold: every
/// member of the document that writing the model back as a credential would not reproduce
/// exactly, as a JSON pointer without array indices (e.g. an assessment's `conformityTopic`,
/// another issuer's ids, the time of `validFrom`). Nothing is dropped silently. Reads this
/// gateway's profile and other issuers' credentials alike.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<(Certificate, LossReport), FormatError> {
    let value = json::parse(bytes, limits)?;
    let cert = from_json_all(&value, Reading::of(&value)).map_err(Found::first)?;
    let (written, _) = credential(&cert);
    let mut loss = LossReport::default();
    compare(&value, Some(&written), "", &mut loss);
    Ok((cert, loss))
}

/// Adds to `loss` every path under `path` where `original` holds something `written` does
/// not hold the same way. `type` arrays compare as sets (JSON-LD types are unordered);
/// a null member carries nothing.
fn compare(original: &Json<'_>, written: Option<&Value>, path: &str, loss: &mut LossReport) {
    let Some(written) = written else {
        if !original.is_null() {
            loss.add(path);
        }
        return;
    };
    match (original, written) {
        (Json::Object(members), Value::Object(written)) => {
            for (key, value) in members {
                let inner = format!("{path}/{}", pointer_token(key));
                match (key.as_ref(), value, written.get(key.as_ref())) {
                    ("type", Json::Array(types), Some(Value::Array(ours))) => {
                        let mut theirs: Vec<&str> = types.iter().filter_map(Json::as_str).collect();
                        let mut ours: Vec<&str> = ours.iter().filter_map(Value::as_str).collect();
                        theirs.sort_unstable();
                        ours.sort_unstable();
                        if theirs != ours || types.len() != theirs.len() {
                            loss.add(&inner);
                        }
                    }
                    (_, value, written) => compare(value, written, &inner, loss),
                }
            }
        }
        (Json::Array(items), Value::Array(written)) => {
            for (at, item) in items.iter().enumerate() {
                compare(item, written.get(at), path, loss);
            }
        }
        (Json::String(a), Value::String(b)) if a == b => {}
        (Json::Bool(a), Value::Bool(b)) if a == b => {}
        (Json::Number(a), Value::Number(b)) if a == b => {}
        (Json::Null, _) => {}
        _ => loss.add(path),
    }
}

/// Reads an unsigned credential in this gateway's profile back into the model: what a
/// verification and a recognition read. Another issuer's credential is refused here
/// ([`read`] translates it): the register is keyed by this profile's ids.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Certificate, FormatError> {
    let value = json::parse(bytes, limits)?;
    from_json_all(&value, Reading::Profile).map_err(Found::first)
}

/// Reads an unsigned credential with every error found, in reading order (never an empty
/// list when it fails): each member that does not read is noted and reading goes on; a
/// member that is not an object where one must be ends the part of the credential under it.
/// Another issuer's credential reads as [`read`] reads it.
pub fn parse_all(bytes: &[u8], limits: &Limits) -> Result<Certificate, Vec<FormatError>> {
    let value = json::parse(bytes, limits).map_err(|e| vec![e])?;
    from_json_all(&value, Reading::of(&value))
}

/// What the issuer says of the certification body.
struct Issuer {
    body_id: BodyId,
    name: String,
    name_en: Option<String>,
}

/// What the attestation says, as far as it reads.
struct Subject {
    id: String,
    scope_en: Option<String>,
    scope_zh: String,
    assessment_level: AssessmentLevel,
    holder_name: String,
    credit_code: Option<CreditCode>,
    registered_id: Option<String>,
    accreditation: Option<Accreditation>,
    program: String,
    cnca_program: Option<ProgramCode>,
    standards: Vec<String>,
    products: Vec<Product>,
    sites: Vec<Party>,
}

fn from_json_all(value: &Json<'_>, reading: Reading) -> Result<Certificate, Vec<FormatError>> {
    let mut found = Found::default();
    let mut vc = Object::new(value, "").map_err(|e| vec![e])?;
    let context = found.value(vc.req_value("@context"));
    // Another issuer's may add contexts (reported lost); this profile's is these two alone:
    // a context added could define its terms anew for a JSON-LD reader, which this reader
    // would not see (found by review).
    if let Some(context) = context {
        let ctx: Vec<&str> =
            context.as_array().map(|a| a.iter().filter_map(Json::as_str).collect()).unwrap_or_default();
        let all_read = ctx.len() == context.as_array().map_or(0, |a| a.len());
        if ctx.first() != Some(&CONTEXT_VC) || ctx.get(1) != Some(&CONTEXT_DCC) {
            found.0.push(invalid("/@context", format!("must begin with [\"{CONTEXT_VC}\", \"{CONTEXT_DCC}\"]")));
        } else if reading == Reading::Profile && !(all_read && ctx.len() == 2) {
            found
                .0
                .push(invalid("/@context", format!("must be [\"{CONTEXT_VC}\", \"{CONTEXT_DCC}\"] in this profile")));
        }
    }
    found.value(reading.types(&mut vc, &["DigitalConformityCredential", "VerifiableCredential"]));
    let credential_id = found.value(vc.req_str("id"));
    // The CN model needs a validity period, though the schema does not require one.
    let valid_from = found.value(vc.req_str("validFrom").and_then(|v| issue_date(&v)));
    let valid_until = found.value(vc.req_str("validUntil").and_then(|v| expiry_date(&v)));
    let issuer = found.value(vc.req_value("issuer")).and_then(|v| read_issuer(v, reading, &mut found));

    let status = match vc.opt_value("credentialStatus") {
        Some(status_value) => found.value(credential_status(status_value, reading)),
        // This profile always states the status: one without it was cut out, and is never
        // read as valid. A credential from another issuer that names no status mechanism
        // is, as the VC data model has it, valid for its validity period.
        None if reading == Reading::Profile => {
            found.0.push(FormatError::Missing { pos: None, path: "/credentialStatus".into(), what: "field" });
            None
        }
        None => Some(ReadStatus { status: Status::Valid, date: None, own_id: None }),
    };

    let cs_value = found.value(vc.req_value("credentialSubject"));
    found.value(reading.end(vc, &[]));
    let subject = cs_value.and_then(|v| read_subject(v, reading, &mut found));
    // The subject's own, or the issuer's naming nothing here (reported lost): [`own_id`].
    if let (Some(id), Some(subject)) = (&credential_id, &subject) {
        found.value(own_id(reading, Some(&subject.id), id, "credential", "/id"));
    }
    // So is a register status's id (a status list's entries name their lists instead).
    if let (Some(Some(id)), Some(subject)) = (status.as_ref().map(|s| &s.own_id), &subject) {
        found.value(own_id(reading, Some(&subject.id), id, "status", "/credentialStatus/id"));
    }

    let (
        Some(valid_from),
        Some(valid_until),
        Some(issuer),
        Some(ReadStatus { status, date: status_date, .. }),
        Some(subject),
        true,
    ) = (valid_from, valid_until, issuer, status, subject, found.0.is_empty())
    else {
        return Err(found.0);
    };
    let program_code = subject
        .cnca_program
        .unwrap_or_else(|| ProgramCode::of_foreign_scheme(&subject.standards, !subject.products.is_empty()));
    let number_text = match reading {
        Reading::Profile => match subject.id.strip_prefix("urn:cn:cnca:certificate:") {
            Some(tail) => dec(tail.rsplit(':').next().unwrap_or("")).unwrap_or_default(),
            None => {
                return Err(vec![invalid("/credentialSubject/id", "must start with 'urn:cn:cnca:certificate:'")]);
            }
        },
        Reading::OtherIssuer if is_other_issuer_id(&subject.id) => {
            number_of_other_subject(&subject.id).map_err(|e| vec![e])?.to_string()
        }
        Reading::OtherIssuer => {
            return Err(vec![invalid(
                "/credentialSubject/id",
                "another issuer's subject id must be an https URL or a DID",
            )]);
        }
    };
    let number = Certificate::parse_number(program_code, &number_text)
        .map_err(|source| vec![FormatError::Id { pos: None, path: "/credentialSubject/id".into(), source }])?;
    // Said of `validUntil`, where the reader looks: its last whole day in China is not
    // after the day `validFrom` falls on.
    crate::ids::check_validity_period(valid_from, valid_until)
        .map_err(|source| vec![FormatError::Id { pos: None, path: "/validUntil".into(), source }])?;
    let cert = Certificate {
        number,
        category: program_code.category(),
        program: subject.program,
        program_code,
        status,
        status_date,
        issue_date: valid_from,
        original_issue_date: None,
        expiry_date: valid_until,
        certification_body: CertificationBody {
            name: issuer.name,
            name_en: issuer.name_en,
            id: issuer.body_id,
            accreditation: subject.accreditation,
        },
        holder: Holder {
            name: subject.holder_name,
            name_en: None,
            credit_code: subject.credit_code,
            registered_id: subject.registered_id,
            country: "CN".into(),
            address: None,
        },
        standards: subject.standards,
        scope_zh: subject.scope_zh,
        scope_en: subject.scope_en,
        sites: subject.sites,
        products: subject.products,
        manufacturer: None,
        factory: None,
        sectors: Vec::new(),
        assessment_level: subject.assessment_level,
    };
    // This profile's subject id names the issuer and the number: one that does not is
    // refused, never read as either.
    if reading == Reading::Profile && subject.id != subject_id(&cert) {
        return Err(vec![invalid("/credentialSubject/id", format!("must be {}", subject_id(&cert)))]);
    }
    cert.check().map_err(|e| vec![FormatError::from(e)])?;
    Ok(cert)
}

/// This profile's body id of a URN (`urn:cn:cnca:approval:…`, `urn:mrgate:body:…`).
fn body_of_urn(urn: &str, path: &str) -> Result<BodyId, FormatError> {
    let id_err = |source| FormatError::Id { pos: None, path: path.to_string(), source };
    match (urn.strip_prefix("urn:cn:cnca:approval:"), urn.strip_prefix("urn:mrgate:body:")) {
        (Some(tail), _) => ApprovalNo::parse(&dec(tail).unwrap_or_default()).map(BodyId::Cnca).map_err(id_err),
        (_, Some(tail)) => ForeignBodyId::parse(&dec(tail).unwrap_or_default()).map(BodyId::Foreign).map_err(id_err),
        _ => Err(invalid(path, "must start with 'urn:cn:cnca:approval:' or 'urn:mrgate:body:'")),
    }
}

/// The certification body a credential's issuer names. In this profile the issuer is the
/// body's URN, with its English name in `issuerAlsoKnownAs`; or — a credential the gateway
/// exported — the gateway's did:web, with the body's URN, name and approval number first
/// in `issuerAlsoKnownAs` and its English name after. Another issuer's body is its DID.
fn read_issuer(value: &Json<'_>, reading: Reading, found: &mut Found) -> Option<Issuer> {
    let mut issuer = found.value(Object::new(value, "/issuer"))?;
    found.value(reading.types(&mut issuer, &["CredentialIssuer"]));
    let iid = found.value(issuer.req_str("id"));
    let via_gateway = reading == Reading::Profile && iid.as_deref().is_some_and(names_the_gateway);
    let mut body_id = match (&iid, reading) {
        (None, _) => None,
        (Some(iid), Reading::OtherIssuer) => {
            found.value(body_of_other_issuer(iid).map(BodyId::Foreign).map_err(|source| FormatError::Id {
                pos: None,
                path: "/issuer/id".into(),
                source,
            }))
        }
        (Some(_), Reading::Profile) if via_gateway => None,
        (Some(iid), Reading::Profile) => found.value(body_of_urn(iid, "/issuer/id")),
    };
    // The gateway's name, when the issuer is its DID: the body's is in issuerAlsoKnownAs.
    let issuer_name = found.value(issuer.req_text("name"));
    let mut name = if via_gateway { None } else { issuer_name };
    let mut name_en = None;
    let aliases = found.value(issuer.opt_array("issuerAlsoKnownAs")).unwrap_or_default();
    let mut body_urn: Option<String> = None;
    for (i, aka) in aliases.iter().enumerate() {
        let path = format!("/issuer/issuerAlsoKnownAs/{i}");
        let Some(mut a) = found.value(Object::new(aka, &path)) else { continue };
        let aka_id = found.value(a.req_str("id"));
        let aka_name = found.value(a.req_text("name"));
        let registered = found.value(a.opt_str("registeredId")).flatten();
        found.value(reading.end(a, &[]));
        // Another issuer's other names (a business register's, say) are not an English
        // name of the body; they are reported lost.
        if reading == Reading::OtherIssuer {
            continue;
        }
        if via_gateway {
            match (i, &aka_id, &body_urn) {
                (0, Some(urn), _) => {
                    body_id = found.value(body_of_urn(urn, &format!("{path}/id")));
                    body_urn = Some(urn.clone());
                    name = aka_name.clone();
                }
                (_, Some(urn), Some(body)) if urn != body => {
                    found.0.push(invalid(&format!("{path}/id"), "names another body than the first"));
                }
                _ => name_en = aka_name.clone(),
            }
        } else {
            // The body's own credential names it once more, in English, by its own id: any
            // other alias would be a name no check reads (found by review: only the last
            // alias's name was held to the trust list).
            if aka_id.is_some() && aka_id != iid {
                found.0.push(invalid(&format!("{path}/id"), "names another body than the issuer"));
            }
            name_en = aka_name.clone();
        }
        if let (Some(reg), Some(id)) = (&registered, &body_id)
            && reg != id.as_str()
        {
            found.0.push(invalid(&format!("{path}/registeredId"), "does not match the issuer's id"));
        }
    }
    // The body, and its English name, when the gateway issued it; its English name alone
    // when the body did. Each is read: no alias is left for a reader to take as the body's
    // name unchecked.
    let most = if via_gateway { 2 } else { 1 };
    if reading == Reading::Profile && aliases.len() > most {
        let what = if via_gateway { "the body and its English name" } else { "the body's English name" };
        found.0.push(invalid(
            &format!("/issuer/issuerAlsoKnownAs/{most}"),
            format!("names more than {what}: at most {most} entries"),
        ));
    }
    if via_gateway && aliases.is_empty() {
        found.0.push(FormatError::Missing {
            pos: None,
            path: "/issuer/issuerAlsoKnownAs".into(),
            what: "certification body (named here, first, when the issuer is a DID)",
        });
    }
    // The schema closes the issuer, for another issuer too.
    found.value(issuer.finish());
    Some(Issuer { body_id: body_id?, name: name?, name_en })
}

fn read_subject(value: &Json<'_>, reading: Reading, found: &mut Found) -> Option<Subject> {
    let mut cs = found.value(Object::new(value, "/credentialSubject"))?;
    found.value(reading.types(&mut cs, &["ConformityAttestation", "Attestation"]));
    let id = found.value(cs.req_str("id"));
    let scope_en = found.value(cs.opt_text("name")).flatten();
    let scope_zh = found.value(cs.req_text("description"));
    if let Some(level) = found.value(cs.req_str("assessorLevel"))
        && level != "3rdParty"
    {
        found.0.push(invalid("/credentialSubject/assessorLevel", "must be 3rdParty for a certification"));
    }
    let assessment_level = found.value(cs.req_str("assessmentLevel").and_then(|level| match level.as_str() {
        "GlobalMRA" => Ok(AssessmentLevel::GlobalMRA),
        "Accredited" => Ok(AssessmentLevel::Accredited),
        "Unspecified" => Ok(AssessmentLevel::Unspecified),
        other => Err(FormatError::NotInList {
            pos: None,
            path: "/credentialSubject/assessmentLevel".into(),
            value: other.into(),
            expected: "GlobalMRA, Accredited, Unspecified".into(),
        }),
    }));
    if let Some(kind) = found.value(cs.req_str("attestationType"))
        && kind != "certification"
    {
        found.0.push(invalid("/credentialSubject/attestationType", "must be certification"));
    }
    let holder = found
        .value(cs.req_value("issuedToParty"))
        .and_then(|party| found.value(read_party(party, reading, id.as_deref())));
    let accreditation = match found.value(cs.opt_array("authorisation")) {
        None | Some([]) => Some(None),
        // The model holds one accreditation: another issuer's further ones are read as
        // lost (they differ from what is written back); this profile never writes two.
        Some([one, rest @ ..]) if rest.is_empty() || reading == Reading::OtherIssuer => {
            found.value(read_endorsement(one, reading)).map(Some)
        }
        Some(_) => {
            found.0.push(invalid("/credentialSubject/authorisation", "at most one accreditation is supported"));
            None
        }
    };
    let scheme = found.value(cs.req_value("scope")).and_then(|scope| found.value(read_scheme(scope, reading)));

    let mut standards = Vec::new();
    let mut products = Vec::new();
    let mut sites = Vec::new();
    let assessments = found.value(cs.opt_array("assessment")).unwrap_or_default();
    for (i, a) in assessments.iter().enumerate() {
        read_assessment(a, (i, id.as_deref()), reading, found, &mut standards, &mut products, &mut sites);
    }
    if assessments.is_empty() {
        found.0.push(FormatError::Missing {
            pos: None,
            path: "/credentialSubject/assessment".into(),
            what: "assessment",
        });
    } else if standards.is_empty() && reading == Reading::OtherIssuer {
        found.0.push(FormatError::Missing {
            pos: None,
            path: "/credentialSubject/assessment/referenceStandard".into(),
            what: "standard (at least one assessment's referenceStandard)",
        });
    }
    // The gateway's exports link to their transparency-log receipt. The link is evidence
    // about the credential, not part of the certificate, so the model does not keep it.
    if let Some(link) = cs.opt_value("auditableEvidence") {
        found.value(read_receipt_link(link));
    }
    found.value(reading.end(cs, &[]));
    let (holder_name, credit_code, registered_id) = holder?;
    let (program, cnca_program) = scheme?;
    Some(Subject {
        id: id?,
        scope_en,
        scope_zh: scope_zh?,
        assessment_level: assessment_level?,
        holder_name,
        credit_code,
        registered_id,
        accreditation: accreditation?,
        program,
        cnca_program,
        standards,
        products,
        sites,
    })
}

/// The holder: its name, and its credit code or other registered id.
fn read_party(
    value: &Json<'_>,
    reading: Reading,
    subject: Option<&str>,
) -> Result<(String, Option<CreditCode>, Option<String>), FormatError> {
    let mut party = Object::new(value, "/credentialSubject/issuedToParty")?;
    let pid = party.req_str("id")?;
    let holder_name = party.req_text("name")?;
    let registered = party.opt_text("registeredId")?;
    reading.end(party, &[])?;
    if let Some(code) = pid.strip_prefix("urn:cn:uscc:") {
        let code = CreditCode::parse(code).map_err(|source| FormatError::Id {
            pos: None,
            path: "/credentialSubject/issuedToParty/id".into(),
            source,
        })?;
        if registered.as_deref().is_some_and(|r| r != code.as_str()) {
            return Err(invalid(
                "/credentialSubject/issuedToParty/registeredId",
                "does not match the credit code in id",
            ));
        }
        Ok((holder_name, Some(code), None))
    } else if pid.starts_with("urn:mrgate:registered-id:") {
        let id = registered.ok_or_else(|| FormatError::Missing {
            pos: None,
            path: "/credentialSubject/issuedToParty/registeredId".into(),
            what: "field",
        })?;
        if reading == Reading::Profile {
            profile_id(&pid, &registered_party_id(&id), "/credentialSubject/issuedToParty/id")?;
        }
        Ok((holder_name, None, Some(id)))
    } else {
        // In this profile a holder known by no credit code is its registered id's, or, with
        // none, its subject's `#holder`.
        let expected = match registered.as_deref() {
            Some(id) => (reading == Reading::Profile).then(|| registered_party_id(id)),
            None => subject_part(reading, subject, "holder"),
        };
        if let Some(expected) = expected {
            profile_id(&pid, &expected, "/credentialSubject/issuedToParty/id")?;
        }
        Ok((holder_name, None, registered))
    }
}

fn read_endorsement(value: &Json<'_>, reading: Reading) -> Result<Accreditation, FormatError> {
    let mut e = Object::new(value, "/credentialSubject/authorisation/0")?;
    reading.types(&mut e, &["Endorsement"])?;
    let endorsement_id = e.req_str("id")?;
    let number = e.req_text("name")?;
    let auth = e.req_value("issuingAuthority")?;
    reading.end(e, &[])?;
    let mut a = Object::new(auth, "/credentialSubject/authorisation/0/issuingAuthority")?;
    let id = a.req_str("id")?;
    let body = a.req_text("name")?;
    reading.end(a, &[])?;
    // In this profile the id is made of the name: one that names another authority is a
    // claim no check reads (found by review: an id naming UKAS beside the name DAkkS).
    if reading == Reading::Profile && id != authority_id(&body) {
        return Err(invalid(
            "/credentialSubject/authorisation/0/issuingAuthority/id",
            format!("must be '{}', the authority its name names", authority_id(&body)),
        ));
    }
    if reading == Reading::Profile {
        let expected = accreditation_id(&body, &number);
        profile_id(&endorsement_id, &expected, "/credentialSubject/authorisation/0/id")?;
    }
    Ok(Accreditation { body, number, country: None })
}

/// The scheme: its name, and its CNCA programme when it is one (another scheme's is worked
/// out once the standards and products are read).
fn read_scheme(value: &Json<'_>, reading: Reading) -> Result<(String, Option<ProgramCode>), FormatError> {
    let mut scheme = Object::new(value, "/credentialSubject/scope")?;
    reading.types(&mut scheme, &["ConformityAssessmentScheme", "Standard"])?;
    let sid = scheme.req_str("id")?;
    let cnca_program = match (sid.strip_prefix("urn:cn:cnca:program:"), reading) {
        (Some(code), _) => Some(ProgramCode::parse(code).ok_or_else(|| FormatError::NotInList {
            pos: None,
            path: "/credentialSubject/scope/id".into(),
            value: code.into(),
            expected: "QMS, EMS, OHSMS, ISMS, EnMS, FSMS, HACCP, ITSMS, CCC, PRODUCT, SERVICE".into(),
        })?),
        (None, Reading::OtherIssuer) if is_other_issuer_id(&sid) => None,
        (None, Reading::OtherIssuer) => {
            return Err(invalid(
                "/credentialSubject/scope/id",
                "another issuer's scheme id must be an https URL or a DID",
            ));
        }
        (None, Reading::Profile) => {
            return Err(invalid("/credentialSubject/scope/id", "must start with 'urn:cn:cnca:program:'"));
        }
    };
    let program = scheme.req_text("name")?;
    if reading == Reading::Profile
        && let Some(party) = scheme.opt_value("issuingParty")
    {
        issuing_party(party, "/credentialSubject/scope/issuingParty")?;
    }
    reading.end(scheme, &["issuingParty"])?;
    Ok((program, cnca_program))
}

/// Reads the assessment at `index` of the subject `subject` (its id, when it has one).
fn read_assessment(
    value: &Json<'_>,
    (index, subject): (usize, Option<&str>),
    reading: Reading,
    found: &mut Found,
    standards: &mut Vec<String>,
    products: &mut Vec<Product>,
    sites: &mut Vec<Party>,
) {
    let path = &format!("/credentialSubject/assessment/{index}");
    let Some(mut o) = found.value(Object::new(value, path)) else { return };
    found.value(reading.types(&mut o, &["ConformityAssessment", "Declaration"]));
    // In this profile the ids of what an assessment assessed are its subject's, numbered
    // across the assessments. Its own id is the subject's or the issuer's ([`own_id`]); its
    // topic, like the issuing parties' ids and names, is a value a translation rewrites and
    // reports lost.
    let id_path = o.path_of("id");
    if let Some(id) = found.value(o.req_str("id")) {
        found.value(own_id(reading, subject, &id, &format!("assessment-{}", index + 1), &id_path));
    }
    if let Some(conformance) = found.value(o.req_value("conformance"))
        && conformance != &Json::Bool(true)
    {
        found.0.push(invalid(&o.path_of("conformance"), "a certificate attests conformance: must be true"));
    }
    // Another topic is a value rewritten, which a translation reports lost: it states no
    // fact of the certificate.
    found.value(o.req_str("conformityTopic"));
    // Every assessment of this profile names its standard; another issuer's may not.
    let standard = match reading {
        Reading::Profile => found.value(o.req_value("referenceStandard")),
        Reading::OtherIssuer => o.opt_value("referenceStandard"),
    };
    if let Some(std_value) = standard {
        let read = |v| -> Result<String, FormatError> {
            let mut s = Object::new(v, &format!("{path}/referenceStandard"))?;
            reading.types(&mut s, &["Standard"])?;
            let id = s.req_str("id")?;
            let name = s.req_text("name")?;
            // In this profile the id is made of the designation: one naming another standard
            // is a standard no check reads (found by review).
            if reading == Reading::Profile && id != standard_id(&name) {
                return Err(invalid(
                    &format!("{path}/referenceStandard/id"),
                    format!("must be '{}', the standard its name names", standard_id(&name)),
                ));
            }
            // The schema closes a Standard; another issuer's may carry its issue date too.
            match reading {
                Reading::Profile => {
                    if let Some(party) = s.opt_value("issuingParty") {
                        issuing_party(party, &format!("{path}/referenceStandard/issuingParty"))?;
                    }
                    s.finish()?
                }
                Reading::OtherIssuer => s.finish_defined(&["issuingParty", "issueDate"])?,
            }
            Ok(name)
        };
        if let Some(name) = found.value(read(std_value)) {
            standards.push(name);
        }
    }
    // Numbered across the assessments, as read so far (the gateway writes them all in the
    // first): two products in two assessments are never one id.
    let (first_product, first_site) = (products.len(), sites.len());
    for (n, p) in found.value(o.opt_array("assessedProduct")).unwrap_or_default().iter().enumerate() {
        let read = || -> Result<Product, FormatError> {
            let mut pv = Object::new(p, &format!("{path}/assessedProduct/{n}"))?;
            untyped(&mut pv, &["ProductVerification"])?;
            let product = pv.req_value("product")?;
            if reading == Reading::Profile {
                verified_by_cab(&mut pv)?;
            }
            reading.end(pv, &["IDverifiedByCAB"])?;
            let mut po = Object::new(product, &format!("{path}/assessedProduct/{n}/product"))?;
            let id = po.req_str("id")?;
            if let Some(expected) = subject_part(reading, subject, &format!("product-{}", first_product + n + 1)) {
                profile_id(&id, &expected, &format!("{path}/assessedProduct/{n}/product/id"))?;
            }
            let name = po.req_text("name")?;
            let model = po.opt_text("registeredId")?;
            reading.end(po, &[])?;
            Ok(Product { name, model, hs_code: None, ccc_category: None })
        };
        if let Some(product) = found.value(read()) {
            products.push(product);
        }
    }
    for (n, f) in found.value(o.opt_array("assessedFacility")).unwrap_or_default().iter().enumerate() {
        let read = || -> Result<Party, FormatError> {
            let mut fv = Object::new(f, &format!("{path}/assessedFacility/{n}"))?;
            untyped(&mut fv, &["FacilityVerification"])?;
            let facility = fv.req_value("facility")?;
            if reading == Reading::Profile {
                verified_by_cab(&mut fv)?;
            }
            reading.end(fv, &["IDverifiedByCAB"])?;
            let mut fo = Object::new(facility, &format!("{path}/assessedFacility/{n}/facility"))?;
            let id = fo.req_str("id")?;
            if let Some(expected) = subject_part(reading, subject, &format!("site-{}", first_site + n + 1)) {
                profile_id(&id, &expected, &format!("{path}/assessedFacility/{n}/facility/id"))?;
            }
            let name = fo.req_text("name")?;
            reading.end(fo, &[])?;
            Ok(Party { name, address: None })
        };
        if let Some(site) = found.value(read()) {
            sites.push(site);
        }
    }
    found.value(reading.end(o, &[]));
}

/// The link to the transparency-log receipt an export carries: a SecureLink to an https URL.
fn read_receipt_link(value: &Json<'_>) -> Result<(), FormatError> {
    let mut l = Object::new(value, "/credentialSubject/auditableEvidence")?;
    untyped(&mut l, &["SecureLink", "Link"])?;
    if !l.req_str("linkURL")?.starts_with("https://") {
        return Err(invalid("/credentialSubject/auditableEvidence/linkURL", "must be an https URL"));
    }
    for key in ["linkName", "linkType", "hashDigest", "hashMethod", "encryptionMethod"] {
        l.opt_str(key)?;
    }
    l.finish()
}

/// The terms of this profile's own status type (a translation's `credentialStatus`),
/// defined where they are used: neither the VC nor the UNTP context defines them, and a
/// JSON-LD processor in safe mode refuses an undefined term.
fn status_context() -> Value {
    json!({
        STATUS_TYPE: format!("urn:mrgate:vocab:{STATUS_TYPE}"),
        "statusValue": "urn:mrgate:vocab:statusValue",
        "statusDate": {"@id": "urn:mrgate:vocab:statusDate", "@type": "http://www.w3.org/2001/XMLSchema#date"},
    })
}

/// The type of a W3C Bitstring Status List entry.
pub const LIST_ENTRY_TYPE: &str = "BitstringStatusListEntry";

/// Whether a credential (its JSON) keeps its status in status lists — then it states no
/// status of its own, and only the lists (the register, for the gateway's own) can tell
/// it. Read as JSON, escapes and all: a credential that does not read is taken to (fail
/// closed). See [`status_lists`].
pub fn status_in_lists(credential: &[u8], limits: &Limits) -> bool {
    status_lists(credential, limits).is_some()
}

/// The types of status-list entries (W3C Bitstring Status List and its predecessors): an
/// object of one of these types says a list keeps the credential's status.
const LIST_ENTRY_TYPES: [&str; 3] = [LIST_ENTRY_TYPE, "StatusList2021Entry", "RevocationList2020Status"];

/// Where a credential's status is kept in lists, and which lists, as an error names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLists {
    /// The JSON pointer of the first entry found.
    pub path: String,
    /// The lists' URLs (`statusListCredential`), each once, the first three and how many
    /// more; characters that could drive a terminal escaped.
    pub lists: String,
}

/// The status lists a credential names, or `None` when it names none (it then states a
/// status of its own, or, from another issuer, none at all). Every object of the credential
/// is looked at, not only `credentialStatus`: under another name (an alias from a context
/// of its own, the full IRI) an entry is a status kept in a list all the same. A credential
/// that does not read is taken to name some (`unread`).
pub fn status_lists(credential: &[u8], limits: &Limits) -> Option<StatusLists> {
    let Ok(value) = json::parse(credential, limits) else {
        return Some(StatusLists { path: String::new(), lists: "unread".into() });
    };
    let mut found = ListsFound::default();
    found.walk(&value, &mut Vec::new());
    let first = found.first?;
    let shown: Vec<String> = found.lists.iter().take(3).map(|l| l.escape_debug().to_string()).collect();
    let more = found.lists.len().saturating_sub(shown.len());
    let mut lists = shown.join(", ");
    if more > 0 {
        lists.push_str(&format!(" and {more} more"));
    }
    Some(StatusLists { path: first, lists })
}

/// What [`status_lists`] gathers on its walk.
#[derive(Default)]
struct ListsFound {
    first: Option<String>,
    lists: Vec<String>,
    seen: std::collections::HashSet<String>,
}

/// One step of a JSON pointer, kept as borrowed until a pointer is written.
enum Step<'v> {
    Member(&'v str),
    Item(usize),
}

impl ListsFound {
    fn walk<'v>(&mut self, value: &'v Json<'_>, at: &mut Vec<Step<'v>>) {
        match value {
            Json::Object(members) => {
                if is_list_entry(members) {
                    if self.first.is_none() {
                        self.first = Some(pointer(at));
                    }
                    let list = members.iter().find(|(k, _)| k == "statusListCredential").and_then(|(_, v)| v.as_str());
                    let list = list.unwrap_or("an unnamed list").to_string();
                    if self.seen.insert(list.clone()) {
                        self.lists.push(list);
                    }
                }
                for (name, member) in members {
                    at.push(Step::Member(name));
                    self.walk(member, at);
                    at.pop();
                }
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(Step::Item(i));
                    self.walk(item, at);
                    at.pop();
                }
            }
            _ => {}
        }
    }
}

/// The JSON pointer (RFC 6901) of a place the walk reached.
fn pointer(at: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in at {
        out.push('/');
        match step {
            Step::Member(name) => out.push_str(&pointer_token(name)),
            Step::Item(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// A member name as a JSON pointer's reference token (RFC 6901: `~` and `/` escaped).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Whether an object's `type` (a string, or an array holding one) is a status-list entry's.
fn is_list_entry(members: &[(std::borrow::Cow<'_, str>, Json<'_>)]) -> bool {
    let Some((_, ty)) = members.iter().find(|(k, _)| k == "type") else { return false };
    let is_entry = |t: &Json<'_>| t.as_str().is_some_and(|t| LIST_ENTRY_TYPES.contains(&t));
    match ty.as_array() {
        Some(types) => types.iter().any(is_entry),
        None => is_entry(ty),
    }
}

/// Whether a `credentialStatus` value names Bitstring Status List entries (the reader's
/// test, [`credential_status`]; [`status_lists`] looks wider).
fn names_lists(status: &Json<'_>) -> bool {
    let of_type = |e: &Json<'_>| {
        e.as_object().is_some_and(|m| m.iter().any(|(k, v)| k == "type" && v.as_str() == Some(LIST_ENTRY_TYPE)))
    };
    match status.as_array() {
        Some(entries) => entries.iter().any(of_type),
        None => of_type(status),
    }
}

/// A credential's `credentialStatus` as read ([`credential_status`]).
struct ReadStatus {
    status: Status,
    date: Option<time::Date>,
    /// The id of this profile's register status, which the credential's subject decides
    /// ([`own_id`]); `None` for status-list entries, which name their lists.
    own_id: Option<String>,
}

/// The register status a credential's `credentialStatus` states, and its date: this
/// profile's own type (a translation), or Bitstring Status List entries (an export; any
/// issuer's), which state no status — read as valid here, the status being the lists'
/// (a verification asks the register; a translation reports the entries lost).
fn credential_status(value: &Json<'_>, reading: Reading) -> Result<ReadStatus, FormatError> {
    let entries: Vec<(&Json<'_>, String)> = match value.as_array() {
        Some(a) => a.iter().enumerate().map(|(i, e)| (e, format!("/credentialStatus/{i}"))).collect(),
        None => vec![(value, "/credentialStatus".to_string())],
    };
    if names_lists(value) {
        for (entry, path) in &entries {
            status_list_entry(entry, path, reading)?;
        }
        return Ok(ReadStatus { status: Status::Valid, date: None, own_id: None });
    }
    let mut st = Object::new(value, "/credentialStatus")?;
    // The definitions of this type's terms: in this profile what [`status_context`] writes
    // (another could define them anew for a JSON-LD reader; found by review).
    if let Some(context) = st.opt_value("@context")
        && reading == Reading::Profile
        && context.to_value() != status_context()
    {
        return Err(invalid("/credentialStatus/@context", "must be the context this profile writes for its status"));
    }
    let own_id = st.req_str("id")?;
    if st.req_str("type")? != STATUS_TYPE {
        return Err(invalid("/credentialStatus/type", format!("must be {STATUS_TYPE}")));
    }
    let status_text = st.req_str("statusValue")?;
    let status = Status::parse(&status_text).ok_or_else(|| FormatError::NotInList {
        pos: None,
        path: "/credentialStatus/statusValue".into(),
        value: status_text.clone(),
        expected: "valid, suspended, withdrawn, cancelled, expired".into(),
    })?;
    // The status date is a calendar date (as written here), not a date-time.
    let status_date = st
        .opt_str("statusDate")?
        .map(|d| {
            ids::parse_date(&d).map_err(|source| FormatError::Id {
                pos: None,
                path: "/credentialStatus/statusDate".into(),
                source,
            })
        })
        .transpose()?;
    st.finish()?;
    Ok(ReadStatus { status, date: status_date, own_id: Some(own_id) })
}
/// One Bitstring Status List entry: its list (an https URL), its purpose and its index (a
/// decimal string, as the specification writes it).
fn status_list_entry(value: &Json<'_>, path: &str, reading: Reading) -> Result<(), FormatError> {
    let mut e = Object::new(value, path)?;
    if e.req_str("type")? != LIST_ENTRY_TYPE {
        return Err(invalid(&e.path_of("type"), format!("every entry is a {LIST_ENTRY_TYPE}")));
    }
    let id_path = e.path_of("id");
    let id = e.opt_str("id")?;
    let purpose = e.req_str("statusPurpose")?;
    if reading == Reading::Profile && crate::status_list::Purpose::parse(&purpose).is_none() {
        return Err(invalid(&e.path_of("statusPurpose"), "must be revocation or suspension"));
    }
    let index = e.req_str("statusListIndex")?;
    if index.is_empty() || index.len() > 10 || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(&e.path_of("statusListIndex"), "must be a decimal index"));
    }
    let list = e.req_str("statusListCredential")?;
    if !list.starts_with("https://") {
        return Err(invalid(&e.path_of("statusListCredential"), "must be an https URL"));
    }
    // In this profile an entry's id is its list's and index's, as the gateway writes it
    // ([`crate::status_list::entry_id`]): another certificate's id there is a claim no check
    // reads (found by review).
    let expected = crate::status_list::entry_id(&list, &index);
    if let Some(id) = id
        && reading == Reading::Profile
        && id != expected
    {
        return Err(invalid(&id_path, format!("must be '{expected}' in this profile")));
    }
    reading.end(e, &[])
}

/// A credential's validity bound: an RFC 3339 date-time, as the schema requires (a date
/// alone, or any other text, is refused as the schema refuses it).
fn date_time(value: &str, path: &str) -> Result<time::OffsetDateTime, FormatError> {
    let refused = || invalid(path, format!("'{value}' is not an RFC 3339 date-time"));
    // RFC 3339's own grammar separates date and time with `T` (the space some readers
    // allow is not in it, nor in JSON Schema's date-time).
    if !matches!(value.as_bytes().get(10), Some(b'T' | b't')) {
        return Err(refused());
    }
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).map_err(|_| refused())
}

/// The issue date a credential's `validFrom` gives: the calendar day in China (UTC+8, where
/// the register keeps its days, [`crate::model::china_date`]) the instant falls on —
/// `2025-01-09T16:00:00Z` is 10 January there. Never the string cut at its tenth character,
/// nor the date in the credential's own offset. Like every certificate's issue date, the
/// day counts whole: the rules tied to it (accreditation at issue, notices, which version
/// is newer) read the day the certificate was issued on in China.
fn issue_date(value: &str) -> Result<time::Date, FormatError> {
    Ok(in_china(date_time(value, "/validFrom")?, value, "/validFrom")?.date())
}

/// The expiry date a credential's `validUntil` gives: the last calendar day in China it
/// covers to its end. A certificate is in force on its expiry date to the day's end, so the
/// day the instant falls on counts only when the instant is its last second or later:
/// `2028-01-09T23:59:59+08:00` ends on the 9th, `2028-01-09T00:00:00+14:00` (18:00 on the
/// 8th in Beijing) on the 7th — its own date, the 9th, would read it in force up to 30
/// hours past the instant it states. Never in force after it; up to a day short of it.
fn expiry_date(value: &str) -> Result<time::Date, FormatError> {
    let until = in_china(date_time(value, "/validUntil")?, value, "/validUntil")?;
    // The gateway decides to the second: the day's last second covers it.
    let day = match until.checked_add(time::Duration::SECOND) {
        Some(after) => after.date().previous_day(),
        // The last second China's calendar holds (9999-12-31 23:59:59) covers its day.
        None => Some(until.date()),
    };
    day.ok_or_else(|| invalid("/validUntil", format!("'{value}' ends before any day in China")))
}

/// `at` in China's offset, or a clear refusal for an instant past the last day the gateway
/// holds (9999-12-31 there) or before the first ([`crate::ids::is_certificate_day`]).
fn in_china(at: time::OffsetDateTime, value: &str, path: &str) -> Result<time::OffsetDateTime, FormatError> {
    let there = at.checked_to_offset(time::macros::offset!(+8)).ok_or_else(|| {
        invalid(path, format!("'{value}' is past 9999-12-31 in China, the last day a certificate may have"))
    })?;
    if !crate::ids::is_certificate_day(there.date()) {
        return Err(invalid(
            path,
            format!("'{value}' is before 0001-01-01 in China, the first day a certificate may have"),
        ));
    }
    Ok(there)
}

/// The instant a credential (its JSON payload) states it is valid from (`validFrom`), when
/// it reads: its issue date is the day in China that instant falls on, and before the
/// instant itself it is not in force yet, though that day has begun
/// ([`crate::recognition`]'s validity check).
/// Whether a profile credential's issuer id names this gateway: in the profile, a `did:web`
/// issuer is the gateway's own (its exports), the body being first in `issuerAlsoKnownAs`;
/// every other issuer is a body's URN.
fn names_the_gateway(id: &str) -> bool {
    id.starts_with("did:web:")
}

/// Whether a credential states this gateway as its issuer (read in the profile, with a
/// `did:web` issuer): one only the gateway's own signing certificate may sign
/// ([`crate::recognition::decide`]).
pub fn issued_as_the_gateway(credential: &[u8], limits: &Limits) -> bool {
    let Ok(value) = json::parse(credential, limits) else { return false };
    let issuer = value.as_object().and_then(|m| m.iter().find(|(k, _)| k == "issuer")).map(|(_, v)| v);
    let id = issuer.and_then(Json::as_object).and_then(|m| m.iter().find(|(k, _)| k == "id")).map(|(_, v)| v);
    Reading::of(&value) == Reading::Profile && id.and_then(Json::as_str).is_some_and(names_the_gateway)
}

pub fn valid_from(credential: &[u8], limits: &Limits) -> Option<time::OffsetDateTime> {
    let value = json::parse(credential, limits).ok()?;
    let (_, from) = value.as_object()?.iter().find(|(name, _)| name == "validFrom")?;
    date_time(from.as_str()?, "/validFrom").ok()
}
