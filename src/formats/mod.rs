//! Wire formats: each module parses bytes into the canonical [`Certificate`] and renders
//! one back into bytes.
//!
//! Formats render what the model says and decide nothing about trust (e.g. UNTP's
//! `assessmentLevel` is a model field the caller sets). They never touch the network or the
//! store. A rendering that cannot carry a field lists it in a [`LossReport`]; nothing is
//! dropped silently. The mapping tables are in `schemas/MAPPING.md`.

pub mod cn_xml;
pub mod iaf;
pub(crate) mod json;
pub mod untp_dcc;

mod strict;
pub mod text;

use crate::ids::IdError;
use crate::model::{Certificate, ModelError};
use crate::xml::{Limits, Pos, XmlError};
use serde::Serialize;
use std::fmt;

/// The formats the gateway reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    CnXml,
    UntpDcc,
    IafXml,
    IafJson,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::CnXml, Format::UntpDcc, Format::IafXml, Format::IafJson];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::CnXml => "cn-xml",
            Format::UntpDcc => "untp-dcc",
            Format::IafXml => "iaf-xml",
            Format::IafJson => "iaf-json",
        }
    }

    pub fn parse_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Guesses the format of a document from its first significant bytes and root.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let head = start.trim_ascii_start();
        let probe = head.get(..4096).unwrap_or(head);
        if head.starts_with(b"{") {
            return Some(if contains(probe, b"\"@context\"") { Format::UntpDcc } else { Format::IafJson });
        }
        if head.starts_with(b"<") {
            if contains(probe, cn_xml::NAMESPACE.as_bytes()) {
                return Some(Format::CnXml);
            }
            if contains(probe, b"<certification") {
                return Some(Format::IafXml);
            }
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `object[key] = member` for a JSON document the gateway writes, without that index's
/// panic: a null becomes an object, as it does there; a value that is neither (never one
/// built from a struct or a `json!({..})` literal) is left unchanged.
pub(crate) fn set_member(object: &mut serde_json::Value, key: &str, member: serde_json::Value) {
    if object.is_null() {
        *object = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(members) = object.as_object_mut() {
        members.insert(key.into(), member);
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    // `windows(0)` would panic; every haystack contains the empty needle.
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Why a document could not be read into the model. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("{line}:{column}: not valid JSON: {message}")]
    Json { line: usize, column: usize, message: String },
    #[error("{pos}: root element is <{found}>, expected <{expected}> in namespace {namespace}")]
    WrongRoot { pos: Pos, found: String, expected: &'static str, namespace: &'static str },
    #[error("{pos}: {path}: unexpected element <{found}>; expected {expected}")]
    UnexpectedElement { pos: Pos, path: String, found: String, expected: String },
    #[error("{pos}: {path}: unexpected attribute '{name}'")]
    UnexpectedAttribute { pos: Pos, path: String, name: String },
    #[error("{pos}: {path}: text is not allowed here")]
    UnexpectedText { pos: Pos, path: String },
    #[error("{}{path}: required {what} is missing", pos.map(|p| format!("{p}: ")).unwrap_or_default())]
    Missing { pos: Option<Pos>, path: String, what: &'static str },
    #[error("{}{path}: {source}", pos.map(|p| format!("{p}: ")).unwrap_or_default())]
    Id { pos: Option<Pos>, path: String, source: IdError },
    #[error("{}{path}: '{value}' is not one of {expected}", pos.map(|p| format!("{p}: ")).unwrap_or_default())]
    NotInList { pos: Option<Pos>, path: String, value: String, expected: String },
    #[error("{}{path}: {message}", pos.map(|p| format!("{p}: ")).unwrap_or_default())]
    Invalid { pos: Option<Pos>, path: String, message: String },
    #[error("{0}")]
    Model(#[from] ModelError),
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// A credential whose status is kept in status lists states none of its own, and a
    /// translation reads no lists: every format it writes states a status, which would be
    /// a guess.
    #[error(
        "{path}: the credential's status is in status lists ({lists}), which a translation does not read; \
         {to} states a status, and it would be a guess (the lists tell it; for this gateway's own exports, \
         POST /v1/verify asks its register)"
    )]
    StatusInLists { path: String, lists: String, to: Format },
    /// A text anywhere in the document holds a character that acts rather than shows
    /// ([`text`]); the same rule and reason as the model's fields' (`model.hidden_control`).
    #[error(
        "{}{path}: U+{code:04X} is a control, format or invisible character, which no text of a certificate \
         holds (it would make a page or a terminal show what the certificate does not say)",
        pos.map(|p| format!("{p}: ")).unwrap_or_default()
    )]
    HiddenText { pos: Option<Pos>, path: String, code: u32 },
}

impl FormatError {
    /// Whether the bytes could not be read at all (not well-formed XML, not JSON, past the
    /// reader's limits) rather than read and found invalid: a 400, where invalid is a 422.
    pub fn is_syntax(&self) -> bool {
        matches!(self, FormatError::Xml(_) | FormatError::Json { .. } | FormatError::TooLarge { .. })
    }

    pub fn code(&self) -> &'static str {
        match self {
            FormatError::Xml(e) => e.code(),
            FormatError::Json { .. } => "format.json",
            FormatError::WrongRoot { .. } => "format.wrong_root",
            FormatError::UnexpectedElement { .. } => "format.unexpected_element",
            FormatError::UnexpectedAttribute { .. } => "format.unexpected_attribute",
            FormatError::UnexpectedText { .. } => "format.unexpected_text",
            FormatError::Missing { .. } => "format.missing",
            FormatError::Id { source, .. } => source.code(),
            FormatError::NotInList { .. } => "format.not_in_list",
            FormatError::Invalid { .. } => "format.invalid",
            FormatError::Model(e) => e.code(),
            FormatError::TooLarge { .. } => "format.too_large",
            FormatError::StatusInLists { .. } => "translate.status_unknown",
            FormatError::HiddenText { .. } => "model.hidden_control",
        }
    }

    pub fn pos(&self) -> Option<Pos> {
        match self {
            FormatError::Xml(e) => e.pos(),
            FormatError::Json { line, column, .. } => Some(Pos { line: *line as u32, column: *column as u32 }),
            FormatError::WrongRoot { pos, .. }
            | FormatError::UnexpectedElement { pos, .. }
            | FormatError::UnexpectedAttribute { pos, .. }
            | FormatError::UnexpectedText { pos, .. } => Some(*pos),
            FormatError::Missing { pos, .. }
            | FormatError::Id { pos, .. }
            | FormatError::NotInList { pos, .. }
            | FormatError::Invalid { pos, .. }
            | FormatError::HiddenText { pos, .. } => *pos,
            FormatError::Model(_) | FormatError::TooLarge { .. } | FormatError::StatusInLists { .. } => None,
        }
    }

    pub fn path(&self) -> Option<&str> {
        match self {
            FormatError::UnexpectedElement { path, .. }
            | FormatError::UnexpectedAttribute { path, .. }
            | FormatError::UnexpectedText { path, .. }
            | FormatError::Missing { path, .. }
            | FormatError::Id { path, .. }
            | FormatError::NotInList { path, .. }
            | FormatError::Invalid { path, .. }
            | FormatError::HiddenText { path, .. }
            | FormatError::StatusInLists { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// The fields a translation could not carry. What the target format cannot carry is named
/// by its CN-XML element path (slash-separated, no namespace, no indices), or the model's
/// own field name where CN XML has no element (`AssessmentLevel`); what the model could not
/// hold of a UNTP credential read, by its JSON pointer with the array indices left out
/// (`/credentialSubject/assessment/conformityTopic`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LossReport {
    pub lost: Vec<String>,
    /// The paths in `lost`, so that a document with very many members costs linear time.
    #[serde(skip)]
    seen: std::collections::HashSet<String>,
}

impl LossReport {
    pub fn add(&mut self, path: &str) {
        if self.seen.insert(path.to_string()) {
            self.lost.push(path.to_string());
        }
    }

    /// Everything `other` lists, after what this one does.
    pub fn extend(&mut self, other: &LossReport) {
        for path in &other.lost {
            self.add(path);
        }
    }

    pub(crate) fn add_if(&mut self, present: bool, path: &str) {
        if present {
            self.add(path);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lost.is_empty()
    }
}

/// A rendered document and what it could not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub loss: LossReport,
}

/// Parses a document of a known format.
pub fn parse(format: Format, bytes: &[u8], limits: &Limits) -> Result<Certificate, FormatError> {
    let cert = match format {
        Format::CnXml => cn_xml::parse(bytes, limits)?,
        Format::UntpDcc => untp_dcc::parse(bytes, limits)?,
        Format::IafXml => iaf::parse_xml(bytes, limits)?,
        Format::IafJson => iaf::parse_json(bytes, limits)?,
    };
    cert.check()?;
    Ok(cert)
}

/// Like [`parse`], with every error found: for CN XML each value that does not read, up to
/// the first element missing or out of place ([`cn_xml::from_element_all`]); for a UNTP
/// credential each member that does not read ([`untp_dcc::parse_all`]); for an IAF record
/// each value that does not read, once its fields are all in place. Never an empty list.
pub fn parse_all(format: Format, bytes: &[u8], limits: &Limits) -> Result<Certificate, Vec<FormatError>> {
    let cert = match format {
        Format::CnXml => cn_xml::parse_all(bytes, limits)?,
        Format::UntpDcc => untp_dcc::parse_all(bytes, limits)?,
        Format::IafXml => iaf::parse_xml_all(bytes, limits)?,
        Format::IafJson => iaf::parse_json_all(bytes, limits)?,
    };
    cert.check().map_err(|e| vec![FormatError::from(e)])?;
    Ok(cert)
}

/// Reads a document for a translation: the certificate, and what the document holds that
/// the model cannot — for a UNTP credential every member [`untp_dcc::read`] finds not
/// carried; for an XML format its enveloped `ds:Signature` (`Signature`), which no
/// rendering keeps; for an IAF record an identity number other than the one every rendering
/// derives ([`iaf::identity_number`]).
pub fn read(format: Format, bytes: &[u8], limits: &Limits) -> Result<(Certificate, LossReport), FormatError> {
    let (cert, loss) = match format {
        Format::UntpDcc => untp_dcc::read(bytes, limits)?,
        Format::CnXml | Format::IafXml => {
            let root = crate::xml::parse(bytes, limits)?;
            let (cert, mut loss) = match format {
                Format::IafXml => iaf::read_xml(&root)?,
                _ => (parse_tree(format, &root)?, LossReport::default()),
            };
            loss.add_if(root.elements().any(|e| e.is(cn_xml::DSIG_NAMESPACE, "Signature")), "Signature");
            (cert, loss)
        }
        Format::IafJson => iaf::read_json(bytes, limits)?,
    };
    cert.check()?;
    Ok((cert, loss))
}

/// Translates a document from one format to another, with every loss on the way: what the
/// model could not hold of the document ([`read`]), what `to` cannot carry ([`render`]),
/// and the UNTP assessment level when `to` has no place for it. A credential whose status
/// is in status lists is refused: the model reads it as valid (the lists' status being the
/// register's to tell), and every format written here would state that guess as a fact.
pub fn translate(from: Format, to: Format, bytes: &[u8], limits: &Limits) -> Result<Rendered, FormatError> {
    let (cert, read_loss) = read(from, bytes, limits)?;
    if from == Format::UntpDcc
        && let Some(found) = untp_dcc::status_lists(bytes, limits)
    {
        return Err(FormatError::StatusInLists { path: found.path, lists: found.lists, to });
    }
    let mut rendered = render(to, &cert);
    rendered.loss = lost_on_the_way(from, to, read_loss, &rendered.loss);
    Ok(rendered)
}

/// What a document of `from` loses on its way to `to`: what the model could not hold of it
/// (`read`), the UNTP assessment level when `to` has no place for it (only a UNTP credential
/// states one; the model's is otherwise a default), and what `to` cannot carry (`rendered`).
/// A translation and a recognition's registering say it the same way.
pub fn lost_on_the_way(from: Format, to: Format, read: LossReport, rendered: &LossReport) -> LossReport {
    let mut loss = read;
    if from == Format::UntpDcc && to != Format::UntpDcc {
        loss.add("AssessmentLevel");
    }
    loss.extend(rendered);
    loss
}

/// Like [`parse`], for an XML format whose document is already parsed (so a caller that
/// also verifies its signature reads the bytes once). The JSON formats are refused.
pub fn parse_tree(format: Format, root: &crate::xml::Element) -> Result<Certificate, FormatError> {
    let cert = match format {
        Format::CnXml => cn_xml::from_element(root)?,
        Format::IafXml => iaf::record_from_xml(root)?.into_certificate()?,
        Format::UntpDcc | Format::IafJson => {
            return Err(FormatError::Invalid {
                pos: None,
                path: "/".into(),
                message: format!("{format} is not an XML format"),
            });
        }
    };
    cert.check()?;
    Ok(cert)
}

/// Renders a certificate in a format, with the report of what it could not carry.
pub fn render(format: Format, cert: &Certificate) -> Rendered {
    match format {
        Format::CnXml => cn_xml::render(cert),
        Format::UntpDcc => untp_dcc::render(cert),
        Format::IafXml => iaf::render_xml(cert),
        Format::IafJson => iaf::render_json(cert),
    }
}
