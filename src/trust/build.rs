//! Building a trust list from a TOML description (`mrgate trust build`), signed by the
//! operator. The description names bodies, their certificates (PEM files relative to the
//! description), service status history and mutual-recognition memberships; see
//! `certs/demo/trust-list.toml`.

use super::{MRA_NS, SERVICE_TYPE_SIGNING, STATUS_GRANTED, STATUS_WITHDRAWN, TSL_NS};
use crate::crypto::keys::SigningKey;
use crate::crypto::x509::read_certificates;
use crate::crypto::xmldsig;
use crate::xml::XmlWriter;
use base64::Engine;
use rustls_pki_types::CertificateDer;
use serde::Deserialize;
use std::path::Path;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    pub operator: Operator,
    #[serde(rename = "body", default)]
    pub bodies: Vec<BodyDescription>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub name: String,
    pub territory: String,
    pub sequence: u64,
    pub issued: String,
    pub next_update: String,
    /// The operator's postal address (its country is the territory).
    pub address: PostalAddress,
    /// Where the scheme is described and the operator reached (an https: or mailto: URI):
    /// the list's SchemeInformationURI and the operator's electronic address.
    pub uri: String,
}

/// A postal address as TS 119 612 writes it (5.3.5.1); the country comes from the body or
/// the operator's territory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    pub street: String,
    pub locality: String,
    #[serde(default)]
    pub postal_code: Option<String>,
}

/// How the list determines the status of its services (TS 119 612 5.3.8): the scheme's own.
const STATUS_DETERMINATION: &str = "urn:mrgate:trust-list:status-determination:accreditation";

/// How long historical service information is kept, in days (TS 119 612 5.3.12): 65535,
/// as long as the format can say — the history is what past decisions are judged by.
const HISTORICAL_INFORMATION_PERIOD: &str = "65535";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyDescription {
    pub id: String,
    pub role: super::Role,
    /// Its name in English: the first `TSPName`.
    pub name: String,
    /// Its names in other languages, as its certificates state them: a Chinese body's
    /// domestic name above all (`{ lang = "zh", name = "…" }`). A certificate naming its
    /// body by a name the list does not hold is refused (rule set 10).
    #[serde(default)]
    pub other_names: Vec<OtherName>,
    /// Names it trades under (`TSPTradeName`), after its id, which is always one.
    #[serde(default)]
    pub trade_names: Vec<String>,
    pub country: String,
    #[serde(default)]
    pub accredited_by: Option<String>,
    /// PEM files, relative to the description.
    pub certificates: Vec<String>,
    /// The body's postal address (its country is `country`).
    pub address: PostalAddress,
    /// Where the body is described (an https: URI): its TSPInformationURI and electronic
    /// address.
    pub uri: String,
    /// Service status history, oldest first: `{ status = "granted" | "withdrawn", since = RFC 3339 }`.
    pub service_status: Vec<StatusEntry>,
    #[serde(rename = "membership", default)]
    pub memberships: Vec<MembershipDescription>,
}

/// A body's name in one language (an RFC 5646 tag, as `xml:lang` takes it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherName {
    pub lang: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEntry {
    pub status: String,
    pub since: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipDescription {
    pub arrangement: String,
    pub scope: String,
    pub status: Vec<StatusEntry>,
}

fn check_time(value: &str, what: &str) -> Result<(), String> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map(|_| ())
        .map_err(|_| format!("{what}: '{value}' is not an RFC 3339 date-time"))
}

/// Renders the unsigned list.
pub fn render(description: &Description, base: &Path) -> Result<String, String> {
    let op = &description.operator;
    if op.name.trim().is_empty() || op.territory.trim().is_empty() {
        return Err("operator: name and territory must not be empty".into());
    }
    check_time(&op.issued, "operator.issued")?;
    check_time(&op.next_update, "operator.next_update")?;
    let mut w = XmlWriter::new();
    w.open(
        "tsl:TrustServiceStatusList",
        &[
            ("xmlns:tsl", TSL_NS),
            ("xmlns:mra", MRA_NS),
            ("TSLTag", "http://uri.etsi.org/19612/TSLTag"),
            ("Id", "mrgate-trust-list"),
        ],
    );
    w.open("tsl:SchemeInformation", &[]);
    w.leaf("tsl:TSLVersionIdentifier", &[], "6");
    w.leaf("tsl:TSLSequenceNumber", &[], &op.sequence.to_string());
    w.leaf("tsl:TSLType", &[], "urn:mrgate:trust-list:type:accreditation");
    w.open("tsl:SchemeOperatorName", &[]);
    w.leaf("tsl:Name", &[("xml:lang", "en")], &op.name);
    w.close("tsl:SchemeOperatorName");
    write_address(&mut w, "tsl:SchemeOperatorAddress", &op.address, &op.territory, &op.uri, "operator")?;
    w.open("tsl:SchemeName", &[]);
    w.leaf("tsl:Name", &[("xml:lang", "en")], &format!("{}: accreditation and mutual recognition", op.name));
    w.close("tsl:SchemeName");
    w.open("tsl:SchemeInformationURI", &[]);
    w.leaf("tsl:URI", &[("xml:lang", "en")], &op.uri);
    w.close("tsl:SchemeInformationURI");
    w.leaf("tsl:StatusDeterminationApproach", &[], STATUS_DETERMINATION);
    w.leaf("tsl:SchemeTerritory", &[], &op.territory);
    w.leaf("tsl:HistoricalInformationPeriod", &[], HISTORICAL_INFORMATION_PERIOD);
    w.leaf("tsl:ListIssueDateTime", &[], &op.issued);
    w.open("tsl:NextUpdate", &[]);
    w.leaf("tsl:dateTime", &[], &op.next_update);
    w.close("tsl:NextUpdate");
    w.close("tsl:SchemeInformation");
    w.open("tsl:TrustServiceProviderList", &[]);
    for (i, body) in description.bodies.iter().enumerate() {
        let path = format!("body '{}'", body.id);
        // What the gateway refuses to install is not built (rule set 23).
        let token = |s: &str| s.trim_matches(crate::xml::is_xml_space).to_string();
        if description.bodies.iter().take(i).any(|b| token(&b.id) == token(&body.id)) {
            return Err(format!("{path}: a second body of this id; a list holds each body once"));
        }
        if body.id.trim().is_empty() || body.name.trim().is_empty() || body.country.trim().is_empty() {
            return Err(format!("{path}: id, name and country must not be empty"));
        }
        if body.service_status.is_empty() {
            return Err(format!("{path}: service_status needs at least one entry"));
        }
        if matches!(body.role, super::Role::CertificationBody) && body.accredited_by.is_none() {
            return Err(format!("{path}: a certification body needs accredited_by"));
        }
        if let Some(ab) = &body.accredited_by
            && !description.bodies.iter().any(|b| &b.id == ab)
        {
            return Err(format!("{path}: accredited_by '{ab}' is not a body of this list"));
        }
        w.open("tsl:TrustServiceProvider", &[]);
        w.open("tsl:TSPInformation", &[]);
        w.open("tsl:TSPName", &[]);
        w.leaf("tsl:Name", &[("xml:lang", "en")], &body.name);
        for other in &body.other_names {
            let lang = other.lang.trim();
            let tag = |s: &str| !s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_alphanumeric());
            if !lang.split('-').all(tag) || lang.eq_ignore_ascii_case("en") || other.name.trim().is_empty() {
                return Err(format!(
                    "{path}: other_names needs a language tag other than en (like zh or zh-Hans) and a name, not lang '{}' name '{}'",
                    other.lang, other.name
                ));
            }
            w.leaf("tsl:Name", &[("xml:lang", lang)], &other.name);
        }
        w.close("tsl:TSPName");
        w.open("tsl:TSPTradeName", &[]);
        w.leaf("tsl:Name", &[("xml:lang", "en")], &body.id);
        for trade_name in &body.trade_names {
            if trade_name.trim().is_empty() {
                return Err(format!("{path}: a trade name must not be empty"));
            }
            w.leaf("tsl:Name", &[("xml:lang", "en")], trade_name);
        }
        w.close("tsl:TSPTradeName");
        write_address(&mut w, "tsl:TSPAddress", &body.address, &body.country, &body.uri, &path)?;
        w.open("tsl:TSPInformationURI", &[]);
        w.leaf("tsl:URI", &[("xml:lang", "en")], &body.uri);
        w.close("tsl:TSPInformationURI");
        w.open("tsl:TSPInformationExtensions", &[]);
        w.open("tsl:Extension", &[("Critical", "true")]);
        w.open("mra:MutualRecognition", &[]);
        w.leaf("mra:BodyId", &[], &body.id);
        w.leaf(
            "mra:Role",
            &[],
            match body.role {
                super::Role::AccreditationBody => "accreditation-body",
                super::Role::CertificationBody => "certification-body",
            },
        );
        w.leaf("mra:Country", &[], &body.country);
        if let Some(ab) = &body.accredited_by {
            w.leaf("mra:AccreditedBy", &[], ab);
        }
        for (i, m) in body.memberships.iter().enumerate() {
            if body
                .memberships
                .iter()
                .take(i)
                .any(|o| token(&o.arrangement) == token(&m.arrangement) && token(&o.scope) == token(&m.scope))
            {
                return Err(format!(
                    "{path}: a second membership of {} for {}; one holds its whole history",
                    m.arrangement, m.scope
                ));
            }
            // Installation refuses a membership without a status: so does the build.
            if m.status.is_empty() {
                return Err(format!("{path}: membership {} for {} needs at least one status", m.arrangement, m.scope));
            }
            w.open("mra:Membership", &[]);
            w.leaf("mra:Arrangement", &[], &m.arrangement);
            w.leaf("mra:Scope", &[], &m.scope);
            for s in &m.status {
                check_time(&s.since, &format!("{path} membership {} {}", m.arrangement, m.scope))?;
                if !matches!(s.status.as_str(), "active" | "suspended" | "withdrawn") {
                    return Err(format!(
                        "{path}: membership status '{}' is not active, suspended or withdrawn",
                        s.status
                    ));
                }
                w.leaf("mra:Status", &[("since", &s.since)], &s.status);
            }
            w.close("mra:Membership");
        }
        w.close("mra:MutualRecognition");
        w.close("tsl:Extension");
        w.close("tsl:TSPInformationExtensions");
        w.close("tsl:TSPInformation");

        let mut certs = Vec::new();
        for file in &body.certificates {
            let bytes = std::fs::read(base.join(file)).map_err(|e| format!("{path}: {file}: {e}"))?;
            certs.extend(read_certificates(&bytes).map_err(|e| format!("{path}: {file}: {e}"))?);
        }
        let status_uri = |s: &str| match s {
            "granted" => Ok(STATUS_GRANTED),
            "withdrawn" => Ok(STATUS_WITHDRAWN),
            other => Err(format!("{path}: service status '{other}' is not granted or withdrawn")),
        };
        let (current, earlier) = body.service_status.split_last().ok_or_else(|| format!("{path}: no status"))?;
        w.open("tsl:TSPServices", &[]);
        w.open("tsl:TSPService", &[]);
        w.open("tsl:ServiceInformation", &[]);
        w.leaf("tsl:ServiceTypeIdentifier", &[], SERVICE_TYPE_SIGNING);
        w.open("tsl:ServiceName", &[]);
        w.leaf("tsl:Name", &[("xml:lang", "en")], &format!("{} document signing", body.name));
        w.close("tsl:ServiceName");
        write_identity(&mut w, &certs);
        check_time(&current.since, &path)?;
        w.leaf("tsl:ServiceStatus", &[], status_uri(&current.status)?);
        w.leaf("tsl:StatusStartingTime", &[], &current.since);
        w.close("tsl:ServiceInformation");
        if !earlier.is_empty() {
            w.open("tsl:ServiceHistory", &[]);
            for s in earlier.iter().rev() {
                check_time(&s.since, &path)?;
                w.open("tsl:ServiceHistoryInstance", &[]);
                w.leaf("tsl:ServiceTypeIdentifier", &[], SERVICE_TYPE_SIGNING);
                w.open("tsl:ServiceName", &[]);
                w.leaf("tsl:Name", &[("xml:lang", "en")], &format!("{} document signing", body.name));
                w.close("tsl:ServiceName");
                write_identity(&mut w, &certs);
                w.leaf("tsl:ServiceStatus", &[], status_uri(&s.status)?);
                w.leaf("tsl:StatusStartingTime", &[], &s.since);
                w.close("tsl:ServiceHistoryInstance");
            }
            w.close("tsl:ServiceHistory");
        }
        w.close("tsl:TSPService");
        w.close("tsl:TSPServices");
        w.close("tsl:TrustServiceProvider");
    }
    // Each body's own fields checked above; now its names against the others'.
    super::names::names_tell_bodies_apart(description.bodies.iter().map(|b| {
        let names = std::iter::once(b.id.as_str())
            .chain(std::iter::once(b.name.as_str()))
            .chain(b.other_names.iter().map(|o| o.name.as_str()))
            .chain(b.trade_names.iter().map(String::as_str));
        (b.id.as_str(), names.collect())
    }))?;
    w.close("tsl:TrustServiceProviderList");
    w.close("tsl:TrustServiceStatusList");
    let list = w.finish();
    xml_characters(&list)?;
    texts_show_themselves(list.as_bytes())?;
    Ok(list)
}

/// Refuses a list any of whose texts — the operator's name, an address, a scope, a name —
/// holds a control, format or invisible character ([`crate::formats::text`]), said by its
/// element's path (found by attack: only the bodies' names were held to it, and an
/// operator's name turned around by U+202E was built, installed and served). The gateway
/// holds a list it installs to the same rule.
pub fn texts_show_themselves(list: &[u8]) -> Result<(), String> {
    let limits = super::list_limits(&crate::xml::Limits::default());
    let root = crate::xml::parse(list, &limits).map_err(|e| e.to_string())?;
    crate::formats::text::xml_shows_itself(&root).map_err(|e| match e {
        crate::formats::FormatError::HiddenText { pos, path, code } => format!(
            "{}{path}: U+{code:04X} is a control, format or invisible character, which no text of a trust list holds",
            pos.map(|p| format!("{p}: ")).unwrap_or_default()
        ),
        other => other.to_string(),
    })
}

/// Refuses a list holding a character XML 1.0 cannot carry (a control character, U+FFFE,
/// U+FFFF): other readers refuse such a list. Said by the line it would be written on.
fn xml_characters(list: &str) -> Result<(), String> {
    let forbidden = |c: char| !crate::xml::is_xml_char(c);
    let Some(line) = list.lines().find(|l| l.chars().any(forbidden)) else { return Ok(()) };
    let c = line.chars().find(|&c| forbidden(c)).unwrap_or_default();
    let shown: String = line
        .trim()
        .chars()
        .map(|c| if forbidden(c) { format!("\\u{{{:x}}}", u32::from(c)) } else { c.to_string() })
        .collect();
    Err(format!("U+{:04X} cannot be written in XML 1.0, in: {shown}", u32::from(c)))
}

/// An address element (`SchemeOperatorAddress`, `TSPAddress`): the postal address, in
/// `country`, and the electronic one, `uri`. Empty parts and a URI that is not https: or
/// mailto: are refused (`whose` names the operator or body).
fn write_address(
    w: &mut XmlWriter,
    element: &str,
    address: &PostalAddress,
    country: &str,
    uri: &str,
    whose: &str,
) -> Result<(), String> {
    for (part, value) in [("street", &address.street), ("locality", &address.locality)] {
        if value.trim().is_empty() {
            return Err(format!("{whose}: address.{part} is empty"));
        }
    }
    // https://host… or mailto:someone@host: something after the scheme, nothing blank.
    let rest = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("mailto:"));
    let reachable = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && (uri.starts_with("https://") || host.contains('@'))
    });
    if !reachable || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{whose}: uri '{uri}' is not an https: or mailto: URI"));
    }
    w.open(element, &[]);
    w.open("tsl:PostalAddresses", &[]);
    w.open("tsl:PostalAddress", &[("xml:lang", "en")]);
    w.leaf("tsl:StreetAddress", &[], &address.street);
    w.leaf("tsl:Locality", &[], &address.locality);
    if let Some(code) = address.postal_code.as_deref().filter(|c| !c.trim().is_empty()) {
        w.leaf("tsl:PostalCode", &[], code);
    }
    w.leaf("tsl:CountryName", &[], country);
    w.close("tsl:PostalAddress");
    w.close("tsl:PostalAddresses");
    w.open("tsl:ElectronicAddress", &[]);
    w.leaf("tsl:URI", &[("xml:lang", "en")], uri);
    w.close("tsl:ElectronicAddress");
    w.close(element);
    Ok(())
}

fn write_identity(w: &mut XmlWriter, certs: &[CertificateDer<'static>]) {
    w.open("tsl:ServiceDigitalIdentity", &[]);
    for c in certs {
        w.open("tsl:DigitalId", &[]);
        w.leaf("tsl:X509Certificate", &[], &base64::engine::general_purpose::STANDARD.encode(c.as_ref()));
        w.close("tsl:DigitalId");
    }
    w.close("tsl:ServiceDigitalIdentity");
}

/// Reads a description, renders and signs the list.
pub fn build(description_path: &Path, key: &SigningKey, chain: &[CertificateDer<'_>]) -> Result<String, String> {
    build_with(description_path, None, key, chain)
}

/// [`build`], with the list's sequence number `sequence` when given instead of the
/// description's (the next version of a list, from the same description).
pub fn build_with(
    description_path: &Path,
    sequence: Option<u64>,
    key: &SigningKey,
    chain: &[CertificateDer<'_>],
) -> Result<String, String> {
    let text = std::fs::read_to_string(description_path).map_err(|e| format!("{}: {e}", description_path.display()))?;
    let mut description: Description =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", description_path.display()))?;
    if let Some(sequence) = sequence {
        description.operator.sequence = sequence;
    }
    let base = description_path.parent().unwrap_or(Path::new("."));
    let unsigned = render(&description, base)?;
    xmldsig::sign(&unsigned, key, chain).map_err(|e| format!("signing: {e}"))
}
