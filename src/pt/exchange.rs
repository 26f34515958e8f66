//! The PT exchange documents (`schemas/pt-exchange.xsd`, namespace [`NS`]): a provider's
//! round definition, a partner's results submission, and the gateway's performance report.
//!
//! This module reads and writes the documents and evaluates a closed round; it never
//! verifies a signature (the caller verifies first and hands over the verified tree) and
//! never touches the store or the network. Numbers are written with Rust's shortest
//! round-trip form, so a report's numbers read back bit for bit.

use super::csv::{num, quote};
use super::stats::{self, AssignedValue, Classification, Method, ParticipantResult, Stop};
use crate::xml::{Element, Pos, XmlWriter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The exchange namespace.
pub const NS: &str = "urn:mrgate:pt-exchange:1";

/// Why an exchange document cannot be read: what, where, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    #[error("line {}, column {}, {path}: {message}", pos.line, pos.column)]
    Invalid { pos: Pos, path: String, message: String },
}

impl ExchangeError {
    pub fn code(&self) -> &'static str {
        "pt.document"
    }

    fn at(e: &Element, path: &str, message: impl Into<String>) -> Self {
        ExchangeError::Invalid { pos: e.pos, path: path.to_string(), message: message.into() }
    }
}

/// How a measurand's assigned value is obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Assigned {
    /// Consensus of the participants by Algorithm A with a stopping rule.
    AlgorithmA {
        stop: Stop,
    },
    /// Consensus by the median (MADe as s*).
    Median,
    /// Consensus by the median (nIQR as s*).
    MedianNiqr,
    Reference {
        value: f64,
        u: f64,
    },
    Formulation {
        value: f64,
        u: f64,
    },
    /// Bilateral comparison: each laboratory against the named reference laboratory, by Eₙ.
    Bilateral {
        reference: String,
    },
}

/// A measured quantity of the round, with how it is evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurand {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// The item it is measured on, when the round names items.
    pub item: Option<String>,
    pub assigned: Assigned,
    /// σ_pt fixed by the scheme; `None` takes the round's robust s*.
    pub sigma_pt: Option<f64>,
    /// The provider's homogeneity study of the round's items for this measurand (ISO 13528
    /// Annex B.3), when it sends one: checked at closing against the σ_pt used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub homogeneity: Vec<HomogeneitySample>,
}

/// One item of a homogeneity study and its replicate results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomogeneitySample {
    pub id: String,
    pub results: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: String,
    pub description: String,
}

/// A round as its provider defined it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    pub id: String,
    pub scheme: String,
    /// The partner (accreditation body) running the round.
    pub provider: String,
    /// Partners whose participants may submit: the provider first, then any joint partners.
    pub partners: Vec<String>,
    /// The laboratories enrolled, each under the one partner that submits for it. A joint
    /// round must enrol them ([`crate::decisions::pt::may_define`]); a round of its provider
    /// alone may leave them open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<Enrolment>,
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: OffsetDateTime,
    pub items: Vec<Item>,
    pub measurands: Vec<Measurand>,
}

/// A laboratory enrolled in a round by its code, and the partner that submits for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub participant: String,
    pub partner: String,
}

impl Round {
    /// The partner a participant is enrolled under, by participant (empty when the round
    /// enrols none): one map for a submission's many results.
    pub fn enrolled(&self) -> std::collections::HashMap<&str, &str> {
        enrolment_map(&self.participants)
    }
}

fn enrolment_map(participants: &[Enrolment]) -> std::collections::HashMap<&str, &str> {
    participants.iter().map(|e| (e.participant.as_str(), e.partner.as_str())).collect()
}

/// One participant's result as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SubmittedResult {
    pub participant: String,
    pub measurand: String,
    pub value: f64,
    /// Standard uncertainty u(x), when stated.
    pub u: Option<f64>,
    /// Expanded uncertainty U(x) and its coverage factor k, when stated.
    #[serde(rename = "U")]
    pub expanded: Option<f64>,
    pub k: Option<f64>,
    pub method: Option<String>,
}

impl SubmittedResult {
    /// u(x) for ζ: as stated, or U/k.
    pub fn standard_uncertainty(&self) -> Option<f64> {
        self.u.or_else(|| self.expanded.zip(self.k).map(|(big_u, k)| big_u / k))
    }
}

/// A partner's results for its participants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub round: String,
    pub submitter: String,
    pub results: Vec<SubmittedResult>,
}

/// An identifier as the exchange allows it: 1–64 of `A–Z a–z 0–9 . _ -`, starting with a
/// letter or digit (safe in URLs, file names and CSV).
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

// ---- reading ----------------------------------------------------------------------------

fn children(e: &Element) -> impl DoubleEndedIterator<Item = &Element> {
    // The enveloped signature is the verifier's business, not the document's.
    e.elements().filter(|c| c.ns.as_deref() != Some(crate::crypto::xmldsig::DSIG_NS))
}

/// Refuses a child of `e` that is none of `allowed`, or one of them a second time: each is
/// read once, and a second one would be signed but never applied (found by review: a
/// second `Partners` naming another partner was accepted and ignored).
fn check_names(e: &Element, path: &str, allowed: &[&str]) -> Result<(), ExchangeError> {
    let mut seen = Vec::with_capacity(allowed.len());
    for c in children(e) {
        if c.ns.as_deref() != Some(NS) || !allowed.contains(&c.local.as_str()) {
            return Err(ExchangeError::at(
                c,
                path,
                format!("unexpected element '{}' (expected one of {})", c.local, allowed.join(", ")),
            ));
        }
        if seen.contains(&c.local.as_str()) {
            return Err(ExchangeError::at(c, path, format!("'{}' appears twice", c.local)));
        }
        seen.push(c.local.as_str());
    }
    Ok(())
}

/// Refuses a child of list `e` that is not an `item` (which repeats).
fn check_items(e: &Element, path: &str, item: &str) -> Result<(), ExchangeError> {
    match children(e).find(|c| c.ns.as_deref() != Some(NS) || c.local != item) {
        Some(c) => {
            Err(ExchangeError::at(c, path, format!("unexpected element '{}' (expected only '{item}')", c.local)))
        }
        None => Ok(()),
    }
}

fn child<'a>(e: &'a Element, path: &str, name: &str) -> Result<&'a Element, ExchangeError> {
    children(e).find(|c| c.local == name).ok_or_else(|| ExchangeError::at(e, path, format!("'{name}' is missing")))
}

fn text(e: &Element, path: &str, name: &str) -> Result<String, ExchangeError> {
    let c = child(e, path, name)?;
    let t = c.token();
    if t.is_empty() {
        return Err(ExchangeError::at(c, &format!("{path}/{name}"), "must not be empty"));
    }
    Ok(t)
}

fn attr(e: &Element, path: &str, name: &str) -> Result<String, ExchangeError> {
    e.attr(name).map(str::to_string).ok_or_else(|| ExchangeError::at(e, path, format!("attribute '{name}' is missing")))
}

fn id_attr(e: &Element, path: &str, name: &str) -> Result<String, ExchangeError> {
    let v = attr(e, path, name)?;
    if !valid_id(&v) {
        return Err(ExchangeError::at(
            e,
            path,
            format!("{name} '{v}' is not an identifier (1–64 of A–Z a–z 0–9 . _ -)"),
        ));
    }
    Ok(v)
}

/// A number of a PT document: admitted, with XML's white space around it (as `xs:double`
/// collapses it; no other space) and as [`stats::read_number`] reads it; stored, as it was
/// admitted before rule set 23 (any white space around it, a number too small to hold read
/// as zero), so that a round open across the upgrade is still read, closed and reported.
fn number(e: &Element, path: &str, what: &str, raw: &str, reading: Reading) -> Result<f64, ExchangeError> {
    let (v, n) = match reading {
        Reading::Admitted => {
            let v = raw.trim_matches(crate::xml::is_xml_space);
            (v, stats::read_number(v))
        }
        Reading::Stored => {
            let v = raw.trim();
            (v, v.parse::<f64>().ok().filter(|&n| stats::in_range(n)))
        }
    };
    match n {
        Some(n) => Ok(n),
        None => Err(ExchangeError::at(
            e,
            path,
            format!(
                "{what} '{v}' is not zero nor a finite number within {:e} to {:e} either side of it",
                crate::pt::stats::MIN_MAGNITUDE,
                crate::pt::stats::MAX_MAGNITUDE
            ),
        )),
    }
}

fn non_negative(e: &Element, path: &str, what: &str, raw: &str, reading: Reading) -> Result<f64, ExchangeError> {
    let n = number(e, path, what, raw, reading)?;
    if n < 0.0 {
        return Err(ExchangeError::at(e, path, format!("{what} must not be negative, is {n}")));
    }
    Ok(n)
}

/// Why U and k state no u a round takes ([`stats::standard_from_expanded`]).
pub(crate) fn out_of_range_u(big_u: f64, k: f64) -> String {
    format!(
        "U {big_u:e} with k {k:e} gives u = U/k = {:e}, not zero nor within {:e} to {:e} either side of it",
        big_u / k,
        stats::MIN_MAGNITUDE,
        stats::MAX_MAGNITUDE
    )
}

fn number_attr(e: &Element, path: &str, name: &str, reading: Reading) -> Result<f64, ExchangeError> {
    number(e, path, name, &attr(e, path, name)?, reading)
}

fn root_is(root: &Element, name: &str) -> Result<(), ExchangeError> {
    if !root.is(NS, name) {
        return Err(ExchangeError::at(
            root,
            &format!("/{}", root.local),
            format!("the document element must be {{{NS}}}{name}"),
        ));
    }
    Ok(())
}

/// Refuses a PT document with an element holding both text and elements: every element of
/// the exchange schema holds one or the other, and the tree's text of an element is its own
/// text alone, so `<Value>1<Value>0</Value>.5</Value>` was read as 1.5 where an XPath reader
/// of the same signed document reads 10.5 and a schema refuses it (found by attack).
fn text_or_elements(root: &Element) -> Result<(), ExchangeError> {
    // The signature's elements too: the whole document is held to it.
    each_element(root, Element::elements, |e| {
        let first = e.elements().next()?;
        e.text().chars().any(|c| !crate::xml::is_xml_space(c)).then(|| {
            format!("<{}> holds both text and the element <{}>; it holds one or the other", e.local, first.local)
        })
    })
}

/// Walks a PT document from `root` in document order, into the elements `below` gives of
/// each, and refuses it at the first element `refused` has a reason against. The names down
/// to each element are kept as the walk goes and spelled out as a path only for the one
/// refused: a path made for every element cost the document's size times its depth (found
/// by review: a name of megabytes above 10⁵ elements).
fn each_element<'e, I: DoubleEndedIterator<Item = &'e Element>>(
    root: &'e Element,
    below: impl Fn(&'e Element) -> I,
    refused: impl Fn(&'e Element) -> Option<String>,
) -> Result<(), ExchangeError> {
    let (mut open, mut names) = (vec![(root, 0)], Vec::new());
    while let Some((e, depth)) = open.pop() {
        names.truncate(depth);
        names.push(e.local.as_str());
        if let Some(message) = refused(e) {
            let path: String = names.iter().map(|n| format!("/{n}")).collect();
            return Err(ExchangeError::at(e, &path, message));
        }
        // Pushed last to first, so that the first is taken next.
        open.extend(below(e).rev().map(|c| (c, depth + 1)));
    }
    Ok(())
}

/// Refuses a PT document any of whose texts, attribute values or comments holds a character
/// that acts on a page, a terminal or a spreadsheet rather than showing itself — the rule
/// every certificate's texts are held to (found by attack: a scheme named with a
/// right-to-left override and a unit with one were accepted, and the report's CSV passed
/// them on to every partner).
fn shows_itself(root: &Element) -> Result<(), ExchangeError> {
    crate::formats::text::xml_shows_itself(root).map_err(|e| match e {
        crate::formats::FormatError::HiddenText { pos, path, code } => ExchangeError::Invalid {
            pos: pos.unwrap_or(root.pos),
            path,
            message: format!(
                "U+{code:04X} is a control, format or invisible character, which no text of a PT document holds"
            ),
        },
        other => ExchangeError::Invalid { pos: root.pos, path: format!("/{}", root.local), message: other.to_string() },
    })
}

/// The attributes each element of a PT document may carry: those its reader reads. An
/// element not named carries none. (An assigned value's depend on its method besides:
/// [`read_measurand`].)
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("RoundDefinition", &["id"]),
    ("Item", &["id"]),
    ("Participant", &["id", "partner"]),
    ("Measurand", &["id", "unit", "item"]),
    ("AssignedValue", &["method", "value", "u", "stop", "reference"]),
    ("SigmaPt", &["rule", "value"]),
    ("Sample", &["id"]),
    ("ResultsSubmission", &["round", "submitter"]),
    ("Result", &["participant", "measurand"]),
    ("ExpandedUncertainty", &["k"]),
];

/// Refuses an attribute a PT document's element carries and its reader does not read: it
/// would be signed and never applied (found by attack: `<SigmaPt scale="relative" …>` and
/// `<Value unit="g/kg" scale="1000">` were signed and read as if not there), as a
/// certificate's container carries none.
fn attributes_read(root: &Element) -> Result<(), ExchangeError> {
    each_element(root, children, |e| {
        let allowed = ATTRIBUTES.iter().find(|(name, _)| *name == e.local).map_or(&[][..], |(_, a)| *a);
        let a = e.attrs.iter().find(|a| a.ns.is_some() || !allowed.contains(&a.local.as_str()))?;
        let name = a.prefix.as_ref().map_or_else(|| a.local.clone(), |p| format!("{p}:{}", a.local));
        Some(format!("unexpected attribute '{name}'"))
    })
}

/// Whether a document is read to be admitted (a partner's, sent now) or read back as stored
/// (admitted under the rule set of its time): the rules of admission alone — no hidden
/// character, no attribute unread, added by rule set 16 — are not put to a stored one again,
/// or a round open across an upgrade could never be read, closed nor reported (found by
/// review: a definition with `xsi:schemaLocation`, accepted before, answered 500
/// `store.corrupt` to every request after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Admitted,
    Stored,
}

/// Reads a round definition from its (verified) document element, to be admitted.
pub fn read_round(root: &Element) -> Result<Round, ExchangeError> {
    read_round_as(root, Reading::Admitted)
}

/// Reads a round definition as [`Reading`] says.
pub fn read_round_as(root: &Element, reading: Reading) -> Result<Round, ExchangeError> {
    root_is(root, "RoundDefinition")?;
    if reading == Reading::Admitted {
        shows_itself(root)?;
        text_or_elements(root)?;
    }
    let path = "/RoundDefinition";
    check_names(root, path, &["Scheme", "Provider", "Partners", "Participants", "Deadline", "Items", "Measurands"])?;
    let id = id_attr(root, path, "id")?;
    let scheme = text(root, path, "Scheme")?;
    let provider = text(root, path, "Provider")?;
    let mut partners = vec![provider.clone()];
    // Each list a definition may make long is checked for duplicates by set: a search of
    // the list so far for each entry was quadratic (found by attack: 90,000 items cost 6 s
    // of CPU to read, and a stored round is read again for every request that names it).
    let mut named = HashSet::from([provider.clone()]);
    if let Ok(list) = child(root, path, "Partners") {
        let p = format!("{path}/Partners");
        check_items(list, &p, "Partner")?;
        for c in children(list) {
            let name = c.token();
            if name.is_empty() || !named.insert(name.clone()) {
                return Err(ExchangeError::at(c, &p, format!("partner '{name}' is empty or named twice")));
            }
            partners.push(name);
        }
    }
    let participants = read_participants(root, path, &named)?;
    let deadline_el = child(root, path, "Deadline")?;
    let deadline = OffsetDateTime::parse(&deadline_el.token(), &Rfc3339).map_err(|_| {
        ExchangeError::at(deadline_el, &format!("{path}/Deadline"), "not an RFC 3339 date-time with a time zone")
    })?;
    let mut items = Vec::new();
    let mut item_ids = HashSet::new();
    if let Ok(list) = child(root, path, "Items") {
        let p = format!("{path}/Items/Item");
        check_items(list, &p, "Item")?;
        for c in children(list) {
            let id = id_attr(c, &p, "id")?;
            if !item_ids.insert(id.clone()) {
                return Err(ExchangeError::at(c, &p, format!("item '{id}' is defined twice")));
            }
            items.push(Item { id, description: c.token() });
        }
    }
    let list = child(root, path, "Measurands")?;
    let p = format!("{path}/Measurands/Measurand");
    check_items(list, &format!("{path}/Measurands"), "Measurand")?;
    let mut measurands: Vec<Measurand> = Vec::new();
    let mut measurand_ids = HashSet::new();
    for m in children(list) {
        let measurand = read_measurand(m, &p, &item_ids, reading)?;
        if !measurand_ids.insert(measurand.id.clone()) {
            return Err(ExchangeError::at(m, &p, format!("measurand '{}' is defined twice", measurand.id)));
        }
        measurands.push(measurand);
    }
    if measurands.is_empty() {
        return Err(ExchangeError::at(list, &p, "a round measures at least one measurand"));
    }
    // A bilateral comparison's reference laboratory is the provider's: enrolled, it is
    // enrolled under the provider (every laboratory is scored against it).
    if !participants.is_empty() {
        let enrolled = enrolment_map(&participants);
        for (m, el) in measurands.iter().zip(children(list)) {
            if let Assigned::Bilateral { reference } = &m.assigned
                && enrolled.get(reference.as_str()) != Some(&provider.as_str())
            {
                return Err(ExchangeError::at(
                    el,
                    &p,
                    format!(
                        "measurand '{}': the reference laboratory '{reference}' is not enrolled under the provider '{provider}'",
                        m.id
                    ),
                ));
            }
        }
    }
    // Once its elements read, as they are: an element none reads says so first.
    if reading == Reading::Admitted {
        attributes_read(root)?;
    }
    Ok(Round { id, scheme, provider, partners, participants, deadline, items, measurands })
}

/// The laboratories a round enrols (`<Participants><Participant id="…" partner="…"/>`), each
/// once, each under a partner of the round. None when the definition has no `Participants`.
fn read_participants(root: &Element, path: &str, partners: &HashSet<String>) -> Result<Vec<Enrolment>, ExchangeError> {
    let Ok(list) = child(root, path, "Participants") else { return Ok(Vec::new()) };
    let p = format!("{path}/Participants/Participant");
    check_items(list, &format!("{path}/Participants"), "Participant")?;
    let mut participants = Vec::new();
    // A round may enrol thousands of laboratories: duplicates are found by set.
    let mut seen = HashSet::new();
    for c in children(list) {
        let participant = id_attr(c, &p, "id")?;
        let partner = attr(c, &p, "partner")?;
        if !partners.contains(&partner) {
            return Err(ExchangeError::at(
                c,
                &p,
                format!("participant '{participant}' is enrolled under '{partner}', not a partner of the round"),
            ));
        }
        if !seen.insert(participant.clone()) {
            return Err(ExchangeError::at(c, &p, format!("participant '{participant}' is enrolled twice")));
        }
        participants.push(Enrolment { participant, partner });
    }
    if participants.is_empty() {
        return Err(ExchangeError::at(list, &p, "Participants enrols at least one participant"));
    }
    Ok(participants)
}

fn read_measurand(
    m: &Element,
    path: &str,
    items: &HashSet<String>,
    reading: Reading,
) -> Result<Measurand, ExchangeError> {
    check_names(m, path, &["Name", "AssignedValue", "SigmaPt", "Homogeneity"])?;
    let id = id_attr(m, path, "id")?;
    let unit = attr(m, path, "unit")?;
    let item = m.attr("item").map(str::to_string);
    if let Some(i) = &item
        && !items.contains(i)
    {
        return Err(ExchangeError::at(m, path, format!("item '{i}' is not defined in Items")));
    }
    let name = text(m, path, "Name")?;
    let a = child(m, path, "AssignedValue")?;
    let ap = format!("{path}/AssignedValue");
    let method = attr(a, &ap, "method")?;
    // An assigned value carries only what its method reads.
    let read_by_method: &[&str] = match method.as_str() {
        "algorithm-a" => &["method", "stop"],
        "reference" | "formulation" => &["method", "value", "u"],
        "bilateral" => &["method", "reference"],
        _ => &["method"],
    };
    if let Some(unread) = a.attrs.iter().find(|x| !read_by_method.contains(&x.local.as_str())) {
        return Err(ExchangeError::at(
            a,
            &ap,
            format!("a {method} assigned value has no attribute '{}'", unread.local),
        ));
    }
    let value_and_u = || -> Result<(f64, f64), ExchangeError> {
        Ok((number_attr(a, &ap, "value", reading)?, non_negative(a, &ap, "u", &attr(a, &ap, "u")?, reading)?))
    };
    let assigned = match method.as_str() {
        "algorithm-a" => Assigned::AlgorithmA {
            stop: match a.attr("stop").unwrap_or("converge") {
                "converge" => Stop::Converge,
                "iso2022" => Stop::Iso2022,
                other => return Err(ExchangeError::at(a, &ap, format!("unknown stopping rule '{other}'"))),
            },
        },
        "median" => Assigned::Median,
        "median-niqr" => Assigned::MedianNiqr,
        "reference" => {
            let (value, u) = value_and_u()?;
            Assigned::Reference { value, u }
        }
        "formulation" => {
            let (value, u) = value_and_u()?;
            Assigned::Formulation { value, u }
        }
        "bilateral" => Assigned::Bilateral { reference: id_attr(a, &ap, "reference")? },
        other => return Err(ExchangeError::at(a, &ap, format!("unknown assigned-value method '{other}'"))),
    };
    let s = child(m, path, "SigmaPt")?;
    let sp = format!("{path}/SigmaPt");
    let sigma_pt = match attr(s, &sp, "rule")?.as_str() {
        "fixed" => {
            let v = number_attr(s, &sp, "value", reading)?;
            if v <= 0.0 {
                return Err(ExchangeError::at(s, &sp, format!("a fixed σ_pt must be positive, is {v}")));
            }
            Some(v)
        }
        "robust" => None,
        other => return Err(ExchangeError::at(s, &sp, format!("unknown σ_pt rule '{other}'"))),
    };
    // One study at most: `check_names` refuses a second.
    let homogeneity = match children(m).find(|c| c.local == "Homogeneity") {
        Some(h) => read_homogeneity(h, &format!("{path}/Homogeneity"), reading)?,
        None => Vec::new(),
    };
    Ok(Measurand { id, name, unit, item, assigned, sigma_pt, homogeneity })
}

/// The most results a homogeneity study may hold: Annex B's studies have tens (g ≥ 10
/// samples, m ≥ 2 replicates); this bounds what a definition makes every reader of it do.
pub const MAX_HOMOGENEITY_RESULTS: usize = 10_000;

/// A homogeneity study: samples with an id and their replicate results, shaped as Annex B
/// needs them (at least 2 samples of at least 2 results each, all with as many).
fn read_homogeneity(h: &Element, path: &str, reading: Reading) -> Result<Vec<HomogeneitySample>, ExchangeError> {
    check_items(h, path, "Sample")?;
    let sp = format!("{path}/Sample");
    let results = children(h).flat_map(children).count();
    if results > MAX_HOMOGENEITY_RESULTS {
        return Err(ExchangeError::at(
            h,
            path,
            format!("{results} results; a homogeneity study holds at most {MAX_HOMOGENEITY_RESULTS}"),
        ));
    }
    let mut samples: Vec<HomogeneitySample> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for sample in children(h) {
        check_items(sample, &sp, "Result")?;
        let id = id_attr(sample, &sp, "id")?;
        if !ids.insert(id.clone()) {
            return Err(ExchangeError::at(sample, &sp, format!("sample '{id}' is named twice")));
        }
        let results = children(sample)
            .map(|r| number(r, &format!("{sp}/Result"), "the result", &r.text(), reading))
            .collect::<Result<Vec<_>, _>>()?;
        samples.push(HomogeneitySample { id, results });
    }
    // The shape Annex B needs is checked now, so a round is never defined with a study
    // that cannot be evaluated at closing.
    let table: Vec<Vec<f64>> = samples.iter().map(|s| s.results.clone()).collect();
    stats::homogeneity(&table, None).map_err(|e| ExchangeError::at(h, path, e.to_string()))?;
    Ok(samples)
}

/// Reads a results submission from its (verified) document element, to be admitted.
pub fn read_submission(root: &Element) -> Result<Submission, ExchangeError> {
    read_submission_as(root, Reading::Admitted)
}

/// Reads a results submission as [`Reading`] says.
pub fn read_submission_as(root: &Element, reading: Reading) -> Result<Submission, ExchangeError> {
    root_is(root, "ResultsSubmission")?;
    if reading == Reading::Admitted {
        shows_itself(root)?;
        text_or_elements(root)?;
    }
    let path = "/ResultsSubmission";
    check_items(root, path, "Result")?;
    let round = id_attr(root, path, "round")?;
    let submitter = attr(root, path, "submitter")?;
    let p = format!("{path}/Result");
    let mut results: Vec<SubmittedResult> = Vec::new();
    // A submission may carry tens of thousands of results: duplicates are found by set.
    let mut seen = std::collections::HashSet::new();
    for r in children(root) {
        check_names(r, &p, &["Value", "StandardUncertainty", "ExpandedUncertainty", "Method"])?;
        let participant = id_attr(r, &p, "participant")?;
        let measurand = id_attr(r, &p, "measurand")?;
        if !seen.insert((participant.clone(), measurand.clone())) {
            return Err(ExchangeError::at(r, &p, format!("{participant} reports {measurand} twice")));
        }
        let value_el = child(r, &p, "Value")?;
        let value = number(value_el, &format!("{p}/Value"), "the value", &value_el.text(), reading)?;
        let u = match children(r).find(|c| c.local == "StandardUncertainty") {
            Some(c) => Some(non_negative(c, &format!("{p}/StandardUncertainty"), "u", &c.text(), reading)?),
            None => None,
        };
        let (expanded, k) = match children(r).find(|c| c.local == "ExpandedUncertainty") {
            Some(c) => {
                let ep = format!("{p}/ExpandedUncertainty");
                let k = number_attr(c, &ep, "k", reading)?;
                if k <= 0.0 {
                    return Err(ExchangeError::at(c, &ep, format!("the coverage factor must be positive, is {k}")));
                }
                let big_u = non_negative(c, &ep, "U", &c.text(), reading)?;
                if stats::standard_from_expanded(big_u, k).is_none() {
                    return Err(ExchangeError::at(c, &ep, out_of_range_u(big_u, k)));
                }
                (Some(big_u), Some(k))
            }
            None => (None, None),
        };
        let method = children(r).find(|c| c.local == "Method").map(|c| c.token());
        results.push(SubmittedResult { participant, measurand, value, u, expanded, k, method });
    }
    if results.is_empty() {
        return Err(ExchangeError::at(root, path, "a submission carries at least one result"));
    }
    if reading == Reading::Admitted {
        attributes_read(root)?;
    }
    Ok(Submission { round, submitter, results })
}

// ---- writing ----------------------------------------------------------------------------

fn f(v: f64) -> String {
    format!("{v}")
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Writes a round definition (unsigned; the provider signs it).
pub fn write_round(round: &Round) -> String {
    let mut w = XmlWriter::new();
    w.open("RoundDefinition", &[("xmlns", NS), ("id", &round.id)]);
    w.leaf("Scheme", &[], &round.scheme);
    w.leaf("Provider", &[], &round.provider);
    if let [_, others @ ..] = round.partners.as_slice()
        && !others.is_empty()
    {
        w.open("Partners", &[]);
        for p in others {
            w.leaf("Partner", &[], p);
        }
        w.close("Partners");
    }
    if !round.participants.is_empty() {
        w.open("Participants", &[]);
        for e in &round.participants {
            w.leaf("Participant", &[("id", &e.participant), ("partner", &e.partner)], "");
        }
        w.close("Participants");
    }
    w.leaf("Deadline", &[], &rfc3339(round.deadline));
    if !round.items.is_empty() {
        w.open("Items", &[]);
        for i in &round.items {
            w.leaf("Item", &[("id", &i.id)], &i.description);
        }
        w.close("Items");
    }
    w.open("Measurands", &[]);
    for m in &round.measurands {
        let mut attrs = vec![("id", m.id.as_str()), ("unit", m.unit.as_str())];
        if let Some(i) = &m.item {
            attrs.push(("item", i));
        }
        w.open("Measurand", &attrs);
        w.leaf("Name", &[], &m.name);
        write_assigned(&mut w, &m.assigned);
        match m.sigma_pt {
            Some(v) => w.leaf("SigmaPt", &[("rule", "fixed"), ("value", &f(v))], ""),
            None => w.leaf("SigmaPt", &[("rule", "robust")], ""),
        }
        if !m.homogeneity.is_empty() {
            w.open("Homogeneity", &[]);
            for sample in &m.homogeneity {
                w.open("Sample", &[("id", &sample.id)]);
                for r in &sample.results {
                    w.leaf("Result", &[], &f(*r));
                }
                w.close("Sample");
            }
            w.close("Homogeneity");
        }
        w.close("Measurand");
    }
    w.close("Measurands");
    w.close("RoundDefinition");
    w.finish()
}

fn write_assigned(w: &mut XmlWriter, a: &Assigned) {
    match a {
        Assigned::AlgorithmA { stop } => {
            let stop = match stop {
                Stop::Converge => "converge",
                Stop::Iso2022 => "iso2022",
            };
            w.leaf("AssignedValue", &[("method", "algorithm-a"), ("stop", stop)], "");
        }
        Assigned::Median => w.leaf("AssignedValue", &[("method", Method::Median.name())], ""),
        Assigned::MedianNiqr => w.leaf("AssignedValue", &[("method", Method::MedianNiqr.name())], ""),
        Assigned::Reference { value, u } => {
            w.leaf("AssignedValue", &[("method", "reference"), ("value", &f(*value)), ("u", &f(*u))], "")
        }
        Assigned::Formulation { value, u } => {
            w.leaf("AssignedValue", &[("method", "formulation"), ("value", &f(*value)), ("u", &f(*u))], "")
        }
        Assigned::Bilateral { reference } => {
            w.leaf("AssignedValue", &[("method", "bilateral"), ("reference", reference)], "")
        }
    }
}

/// Writes a results submission (unsigned; the submitting partner signs it).
pub fn write_submission(s: &Submission) -> String {
    let mut w = XmlWriter::new();
    w.open("ResultsSubmission", &[("xmlns", NS), ("round", &s.round), ("submitter", &s.submitter)]);
    for r in &s.results {
        w.open("Result", &[("participant", &r.participant), ("measurand", &r.measurand)]);
        w.leaf("Value", &[], &f(r.value));
        if let Some(u) = r.u {
            w.leaf("StandardUncertainty", &[], &f(u));
        }
        if let (Some(big_u), Some(k)) = (r.expanded, r.k) {
            w.leaf("ExpandedUncertainty", &[("k", &f(k))], &f(big_u));
        }
        w.opt_leaf("Method", r.method.as_deref());
        w.close("Result");
    }
    w.close("ResultsSubmission");
    w.finish()
}

// ---- evaluating -------------------------------------------------------------------------

/// A result as the round holds it at closing: who submitted it, in which document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub submitter: String,
    #[serde(flatten)]
    pub result: SubmittedResult,
}

/// A submission document the report rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionRef {
    pub submitter: String,
    /// SHA-256 of the signed document, hex.
    pub digest: String,
    pub received: String,
}

/// One laboratory against the reference laboratory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BilateralRow {
    pub participant: String,
    pub en: Option<f64>,
    pub classification: Option<Classification>,
}

/// What the evaluation of one measurand came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Evaluated {
        report: stats::Report,
    },
    Bilateral {
        reference: String,
        reference_result: f64,
        rows: Vec<BilateralRow>,
    },
    /// Nothing could be computed (too few results, a degenerate bilateral input…): why.
    NotEvaluated {
        reason: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasurandReport {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub assigned: Assigned,
    pub sigma_pt_rule: &'static str,
    pub inputs: Vec<Input>,
    /// The provider's homogeneity study checked against the σ_pt the scores used (the fixed
    /// one, or the round's s*), or the scheme's fixed σ_pt when nothing was scored; a
    /// bilateral comparison (scored by Eₙ, no σ_pt) or a robust round without a usable s*
    /// gets the study's statistics without a criterion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homogeneity: Option<stats::Homogeneity>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The performance report of a closed round: everything needed to reproduce its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceReport {
    pub round: String,
    pub scheme: String,
    pub provider: String,
    pub partners: Vec<String>,
    pub closed: String,
    /// SHA-256 of the signed round definition, hex.
    pub definition: String,
    pub submissions: Vec<SubmissionRef>,
    pub measurands: Vec<MeasurandReport>,
}

/// Evaluates a round over the results it holds at closing. Each measurand is evaluated on
/// its own; one that cannot be (say, fewer than 3 results) says why and gets no scores.
pub fn evaluate_round(
    round: &Round,
    definition_digest: &str,
    submissions: Vec<SubmissionRef>,
    inputs: &[Input],
    closed: OffsetDateTime,
) -> PerformanceReport {
    // Each measurand's inputs, gathered in one pass (not one pass per measurand: a round's
    // measurands times its results was quadratic, found by review).
    let mut by_measurand: std::collections::HashMap<&str, Vec<Input>> = std::collections::HashMap::new();
    for i in inputs {
        by_measurand.entry(i.result.measurand.as_str()).or_default().push(i.clone());
    }
    let measurands = round
        .measurands
        .iter()
        .map(|m| {
            let mut mine: Vec<Input> = by_measurand.remove(m.id.as_str()).unwrap_or_default();
            // In participants' order, whatever order the results were read in (a store's
            // collation, an audit's replay): the same results make the same report.
            mine.sort_by(|a, b| a.result.participant.cmp(&b.result.participant));
            let outcome = evaluate_measurand(m, &mine);
            let sigma_pt = match &outcome {
                Outcome::Evaluated { report } => Some(report.sigma_pt).filter(|s| *s > 0.0),
                Outcome::Bilateral { .. } => None,
                Outcome::NotEvaluated { .. } => m.sigma_pt,
            };
            let table: Vec<Vec<f64>> = m.homogeneity.iter().map(|s| s.results.clone()).collect();
            // The study reads as Annex B needs it; a σ_pt it refuses (an s* beyond the range
            // of numbers, from results at its edge) leaves the statistics without a criterion.
            let homogeneity = (!table.is_empty())
                .then(|| stats::homogeneity(&table, sigma_pt).or_else(|_| stats::homogeneity(&table, None)).ok())
                .flatten();
            MeasurandReport {
                id: m.id.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                assigned: m.assigned.clone(),
                sigma_pt_rule: if m.sigma_pt.is_some() { "fixed" } else { "robust" },
                inputs: mine,
                homogeneity,
                outcome,
            }
        })
        .collect();
    PerformanceReport {
        round: round.id.clone(),
        scheme: round.scheme.clone(),
        provider: round.provider.clone(),
        partners: round.partners.clone(),
        closed: rfc3339(closed),
        definition: definition_digest.to_string(),
        submissions,
        measurands,
    }
}

fn evaluate_measurand(m: &Measurand, inputs: &[Input]) -> Outcome {
    let not = |reason: &str, message: String| Outcome::NotEvaluated { reason: reason.into(), message };
    if let Assigned::Bilateral { reference } = &m.assigned {
        let Some(r) = inputs.iter().find(|i| &i.result.participant == reference) else {
            return not("pt.reference_missing", format!("the reference laboratory '{reference}' reported no result"));
        };
        let Some(big_u_ref) = r.result.expanded else {
            return not("pt.reference_no_u", format!("the reference laboratory '{reference}' stated no U"));
        };
        let rows = inputs
            .iter()
            .filter(|i| &i.result.participant != reference)
            .map(|i| {
                let en = i
                    .result
                    .expanded
                    .and_then(|big_u| stats::en_bilateral(i.result.value, big_u, r.result.value, big_u_ref));
                BilateralRow {
                    participant: i.result.participant.clone(),
                    en,
                    classification: en.map(stats::classify_en),
                }
            })
            .collect::<Vec<_>>();
        if rows.is_empty() {
            return not("pt.too_few", "a bilateral comparison needs a second laboratory".into());
        }
        return Outcome::Bilateral { reference: reference.clone(), reference_result: r.result.value, rows };
    }
    let results: Vec<ParticipantResult> = inputs
        .iter()
        .map(|i| ParticipantResult {
            participant: i.result.participant.clone(),
            result: i.result.value,
            u: i.result.standard_uncertainty(),
            expanded: i.result.expanded,
        })
        .collect();
    let (method, stop, assigned) = match m.assigned {
        Assigned::AlgorithmA { stop } => (Method::AlgorithmA, stop, AssignedValue::Consensus),
        Assigned::Median => (Method::Median, Stop::Converge, AssignedValue::Consensus),
        Assigned::MedianNiqr => (Method::MedianNiqr, Stop::Converge, AssignedValue::Consensus),
        Assigned::Reference { value, u } => (Method::AlgorithmA, Stop::Converge, AssignedValue::Reference { value, u }),
        Assigned::Formulation { value, u } => {
            (Method::AlgorithmA, Stop::Converge, AssignedValue::Formulation { value, u })
        }
        Assigned::Bilateral { .. } => {
            return not("pt.internal", "a bilateral measurand reached the consensus path".into());
        }
    };
    let options = stats::Options { method, stop, sigma_pt: m.sigma_pt };
    match stats::evaluate_with(&results, &options, assigned) {
        Ok(report) => Outcome::Evaluated { report },
        Err(e) => not(e.code(), e.to_string()),
    }
}

fn class_name(c: Option<Classification>) -> &'static str {
    match c {
        Some(Classification::Satisfactory) => "satisfactory",
        Some(Classification::Questionable) => "questionable",
        Some(Classification::Unsatisfactory) => "unsatisfactory",
        None => "",
    }
}

fn opt_attr<'a>(attrs: &mut Vec<(&'a str, String)>, name: &'a str, v: Option<f64>) {
    if let Some(v) = v {
        attrs.push((name, f(v)));
    }
}

fn leaf_owned(w: &mut XmlWriter, name: &str, attrs: &[(&str, String)], text: &str) {
    let borrowed: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.leaf(name, &borrowed, text);
}

/// Writes the performance report (unsigned; the gateway signs it).
pub fn write_report(r: &PerformanceReport) -> String {
    let mut w = XmlWriter::new();
    w.open("PerformanceReport", &[("xmlns", NS), ("round", &r.round)]);
    w.leaf("Scheme", &[], &r.scheme);
    w.leaf("Provider", &[], &r.provider);
    w.open("Partners", &[]);
    for p in &r.partners {
        w.leaf("Partner", &[], p);
    }
    w.close("Partners");
    w.leaf("Closed", &[], &r.closed);
    w.leaf("Definition", &[("sha256", &r.definition)], "");
    w.open("Submissions", &[]);
    for s in &r.submissions {
        w.leaf("Submission", &[("submitter", &s.submitter), ("sha256", &s.digest), ("received", &s.received)], "");
    }
    w.close("Submissions");
    for m in &r.measurands {
        w.open("Measurand", &[("id", &m.id), ("unit", &m.unit)]);
        w.leaf("Name", &[], &m.name);
        write_assigned(&mut w, &m.assigned);
        w.leaf("SigmaPtRule", &[], m.sigma_pt_rule);
        w.open("Inputs", &[]);
        for i in &m.inputs {
            let mut attrs = vec![
                ("participant", i.result.participant.clone()),
                ("submitter", i.submitter.clone()),
                ("value", f(i.result.value)),
            ];
            opt_attr(&mut attrs, "u", i.result.u);
            opt_attr(&mut attrs, "U", i.result.expanded);
            opt_attr(&mut attrs, "k", i.result.k);
            leaf_owned(&mut w, "Input", &attrs, "");
        }
        w.close("Inputs");
        if let Some(h) = &m.homogeneity {
            let mut attrs = vec![
                ("g", h.g.to_string()),
                ("m", h.m.to_string()),
                ("mean", f(h.mean)),
                ("sX", f(h.s_x)),
                ("sW", f(h.s_w)),
                ("sS", f(h.s_s)),
            ];
            opt_attr(&mut attrs, "criterion", h.criterion);
            if let Some(sufficient) = h.sufficient {
                attrs.push(("sufficient", sufficient.to_string()));
            }
            leaf_owned(&mut w, "Homogeneity", &attrs, "");
        }
        match &m.outcome {
            Outcome::Evaluated { report } => {
                let method = report.method.name();
                let stop = match report.stop {
                    Stop::Converge => "converge",
                    Stop::Iso2022 => "iso2022",
                };
                let attrs = [
                    ("robust", method.to_string()),
                    ("stop", stop.to_string()),
                    ("p", report.p.to_string()),
                    ("iterations", report.iterations.to_string()),
                    ("degenerate", report.degenerate.to_string()),
                ];
                let borrowed: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                w.open("Evaluation", &borrowed);
                w.leaf("XPt", &[], &f(report.x_pt));
                w.leaf("UXPt", &[], &f(report.u_x_pt));
                if let Some(s_star) = report.s_star {
                    w.leaf("SStar", &[], &f(s_star));
                }
                w.leaf("SigmaPt", &[], &f(report.sigma_pt));
                w.leaf(
                    "ScoreUsed",
                    &[],
                    match report.score_used {
                        stats::ScoreUsed::Z => "z",
                        stats::ScoreUsed::ZPrime => "z_prime",
                    },
                );
                w.open("Scores", &[]);
                for s in &report.results {
                    let mut attrs = vec![("participant", s.participant.clone())];
                    opt_attr(&mut attrs, "z", s.z);
                    opt_attr(&mut attrs, "zPrime", s.z_prime);
                    opt_attr(&mut attrs, "zeta", s.zeta);
                    opt_attr(&mut attrs, "en", s.en);
                    if s.classification.is_some() {
                        attrs.push(("classification", class_name(s.classification).into()));
                    }
                    if s.en_classification.is_some() {
                        attrs.push(("enClassification", class_name(s.en_classification).into()));
                    }
                    leaf_owned(&mut w, "Score", &attrs, "");
                }
                w.close("Scores");
                w.close("Evaluation");
            }
            Outcome::Bilateral { reference, reference_result, rows } => {
                w.open("Bilateral", &[("reference", reference), ("referenceValue", &f(*reference_result))]);
                for row in rows {
                    let mut attrs = vec![("participant", row.participant.clone())];
                    opt_attr(&mut attrs, "en", row.en);
                    if row.classification.is_some() {
                        attrs.push(("classification", class_name(row.classification).into()));
                    }
                    leaf_owned(&mut w, "Comparison", &attrs, "");
                }
                w.close("Bilateral");
            }
            Outcome::NotEvaluated { reason, message } => {
                w.leaf("NotEvaluated", &[("reason", reason)], message);
            }
        }
        w.close("Measurand");
    }
    w.close("PerformanceReport");
    w.finish()
}

/// The report's results table as CSV: one row per measurand and participant.
pub fn report_csv(r: &PerformanceReport) -> String {
    let mut out = String::from(
        "measurand,unit,participant,submitter,result,u,U,x_pt,u_x_pt,sigma_pt,score_used,z,z_prime,zeta,en,classification,en_classification\n",
    );
    for m in &r.measurands {
        // What is the same for every row of the measurand, and its scores by participant.
        let (x_pt, u_x_pt, sigma_pt, score_used) = match &m.outcome {
            Outcome::Evaluated { report } => {
                let used = if report.degenerate {
                    ""
                } else {
                    match report.score_used {
                        stats::ScoreUsed::Z => "z",
                        stats::ScoreUsed::ZPrime => "z_prime",
                    }
                };
                (Some(report.x_pt), Some(report.u_x_pt), Some(report.sigma_pt), used)
            }
            Outcome::Bilateral { reference_result, .. } => (Some(*reference_result), None, None, "en"),
            Outcome::NotEvaluated { .. } => (None, None, None, ""),
        };
        let scores: HashMap<&str, &stats::Scored> = match &m.outcome {
            Outcome::Evaluated { report } => report.results.iter().map(|s| (s.participant.as_str(), s)).collect(),
            _ => HashMap::new(),
        };
        let comparisons: HashMap<&str, &BilateralRow> = match &m.outcome {
            Outcome::Bilateral { rows, .. } => rows.iter().map(|r| (r.participant.as_str(), r)).collect(),
            _ => HashMap::new(),
        };
        for i in &m.inputs {
            let p = &i.result.participant;
            let scored = scores.get(p.as_str()).copied();
            let bilateral = comparisons.get(p.as_str()).copied();
            let en = scored.and_then(|s| s.en).or(bilateral.and_then(|b| b.en));
            let en_class = scored.and_then(|s| s.en_classification).or(bilateral.and_then(|b| b.classification));
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                quote(&m.id),
                quote(&m.unit),
                quote(p),
                quote(&i.submitter),
                i.result.value,
                num(i.result.u),
                num(i.result.expanded),
                num(x_pt),
                num(u_x_pt),
                num(sigma_pt),
                score_used,
                num(scored.and_then(|s| s.z)),
                num(scored.and_then(|s| s.z_prime)),
                num(scored.and_then(|s| s.zeta)),
                num(en),
                class_name(scored.and_then(|s| s.classification)),
                class_name(en_class),
            ));
        }
    }
    out
}
