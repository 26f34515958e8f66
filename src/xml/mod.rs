//! Bounded XML reading: bytes in, a small positioned element tree out.
//!
//! Every XML document the gateway accepts passes through here first. This module decodes
//! the declared encoding (UTF-8 or GB18030/GBK), refuses DTDs and undefined entities,
//! enforces size, depth and element-count limits, and resolves namespaces. It keeps each
//! element's line and column so that later layers can say *where* a document is wrong.
//!
//! It must never expand entities beyond the five predefined ones and character references,
//! never fetch anything, and never guess an encoding: bytes that do not match the declared
//! encoding are an error, not mojibake.

pub mod c14n;
mod decode;
mod tree;
mod write;

pub use decode::decode_document;
pub use tree::{Attribute, Document, Element, Node, NotBase64, Pi, XML_NS, is_xml_char, is_xml_space};
pub use write::XmlWriter;

use std::fmt;

/// Upper bounds applied while reading one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes before decoding.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the document element is depth 1).
    pub max_depth: usize,
    /// Most elements accepted in one document.
    pub max_elements: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes_per_element: usize,
    /// Most attributes (namespace declarations included) in one document.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_elements: 100_000,
            max_attributes_per_element: 256,
            max_attributes: 200_000,
        }
    }
}

/// A place in a document: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a document could not be read as XML at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("{pos}: elements nested deeper than the limit of {limit}")]
    TooDeep { pos: Pos, limit: usize },
    #[error("{pos}: more than {limit} elements")]
    TooManyElements { pos: Pos, limit: usize },
    /// On one element (`per_element`) or in the whole document.
    #[error("{pos}: more than {limit} attributes{}", if *per_element { " on one element" } else { " in the document" })]
    TooManyAttributes { pos: Pos, limit: usize, per_element: bool },
    #[error("{pos}: a DOCTYPE is not accepted (no DTDs, no entity declarations)")]
    Doctype { pos: Pos },
    #[error("{pos}: undefined entity '&{name};' (only the five predefined entities are accepted)")]
    UndefinedEntity { pos: Pos, name: String },
    #[error("unsupported encoding '{declared}' (accepted: UTF-8, GB18030, GBK, GB2312)")]
    UnsupportedEncoding { declared: String },
    #[error("{pos}: bytes are not valid {encoding}")]
    BadEncoding { pos: Pos, encoding: &'static str },
    #[error("{pos}: namespace prefix '{prefix}' is not declared")]
    UnboundPrefix { pos: Pos, prefix: String },
    #[error("{pos}: not well-formed: {message}")]
    Malformed { pos: Pos, message: String },
    #[error("the document has no root element")]
    NoRoot,
}

impl XmlError {
    /// Stable reason code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            XmlError::TooLarge { .. } => "xml.too_large",
            XmlError::TooDeep { .. } => "xml.too_deep",
            XmlError::TooManyElements { .. } => "xml.too_many_elements",
            XmlError::TooManyAttributes { .. } => "xml.too_many_attributes",
            XmlError::Doctype { .. } => "xml.doctype",
            XmlError::UndefinedEntity { .. } => "xml.undefined_entity",
            XmlError::UnsupportedEncoding { .. } => "xml.unsupported_encoding",
            XmlError::BadEncoding { .. } => "xml.bad_encoding",
            XmlError::UnboundPrefix { .. } => "xml.unbound_prefix",
            XmlError::Malformed { .. } => "xml.malformed",
            XmlError::NoRoot => "xml.no_root",
        }
    }

    /// Where in the document the error is, when it is at one place.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            XmlError::TooDeep { pos, .. }
            | XmlError::TooManyElements { pos, .. }
            | XmlError::TooManyAttributes { pos, .. }
            | XmlError::Doctype { pos }
            | XmlError::UndefinedEntity { pos, .. }
            | XmlError::BadEncoding { pos, .. }
            | XmlError::UnboundPrefix { pos, .. }
            | XmlError::Malformed { pos, .. } => Some(*pos),
            _ => None,
        }
    }
}

/// Reads a whole document: size check, decoding, then the bounded tree.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    parse_document(bytes, limits).map(|d| d.root)
}

/// Reads a whole document, keeping comments and processing instructions outside the root.
pub fn parse_document(bytes: &[u8], limits: &Limits) -> Result<Document, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let text = decode_document(bytes)?;
    tree::build(&text, limits)
}

/// What canonical XML (and so every writer here) replaces in text content.
fn text_escape(b: u8) -> Option<&'static str> {
    match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    }
}

/// What canonical XML replaces in a double-quoted attribute value.
fn attr_escape(b: u8) -> Option<&'static str> {
    match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    }
}

/// Hands `s` to `put` in runs, each special character replaced by `table`'s reference.
/// The specials are ASCII, so every run ends on a character boundary. `any_special` says
/// first, with vectorized searches, whether there is anything to replace at all: most text
/// has nothing, and is then passed whole (canonicalizing a large document is mostly this).
fn escape_with(
    s: &str,
    any_special: impl Fn(&[u8]) -> bool,
    table: impl Fn(u8) -> Option<&'static str>,
    mut put: impl FnMut(&str),
) {
    if !any_special(s.as_bytes()) {
        put(s);
        return;
    }
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        if let Some(reference) = table(b) {
            // On character boundaries: `i` is an ASCII byte's, `from` the byte after one.
            put(s.get(from..i).unwrap_or_default());
            put(reference);
            from = i + 1;
        }
    }
    put(s.get(from..).unwrap_or_default());
}

fn text_has_special(s: &[u8]) -> bool {
    memchr::memchr3(b'&', b'<', b'>', s).is_some() || memchr::memchr(b'\r', s).is_some()
}

fn attr_has_special(s: &[u8]) -> bool {
    memchr::memchr3(b'&', b'<', b'"', s).is_some() || memchr::memchr3(b'\t', b'\n', b'\r', s).is_some()
}

/// Escapes text content for output.
pub fn escape_text(s: &str, out: &mut String) {
    escape_with(s, text_has_special, text_escape, |run| out.push_str(run));
}

/// Escapes an attribute value (double-quoted) for output.
pub fn escape_attr(s: &str, out: &mut String) {
    escape_with(s, attr_has_special, attr_escape, |run| out.push_str(run));
}

/// Like [`escape_text`], handing the output to `put` in runs.
pub(crate) fn escape_text_with(s: &str, put: impl FnMut(&str)) {
    escape_with(s, text_has_special, text_escape, put);
}

/// Like [`escape_attr`], handing the output to `put` in runs.
pub(crate) fn escape_attr_with(s: &str, put: impl FnMut(&str)) {
    escape_with(s, attr_has_special, attr_escape, put);
}

/// Computes the line and column of a byte offset in `text`.
pub(crate) fn pos_at(text: &str, offset: usize) -> Pos {
    // A char boundary at or below the end: `get` always finds it.
    let before = text.get(..text.floor_char_boundary(offset)).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_text = before.rsplit_once('\n').map_or(before, |(_, last)| last);
    let column = line_text.chars().count() as u32 + 1;
    Pos { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = String::new();
        escape_text(s, &mut out);
        out
    }

    fn attr(s: &str) -> String {
        let mut out = String::new();
        escape_attr(s, &mut out);
        out
    }

    /// Canonical XML's replacements, at the start, the end, side by side and beside
    /// multi-byte characters; text with none is passed whole.
    #[test]
    fn text_and_attribute_values_are_escaped_as_canonical_xml_says() {
        assert_eq!(text("中文 plain"), "中文 plain");
        assert_eq!(text("&a<b>c\r"), "&amp;a&lt;b&gt;c&#xD;");
        assert_eq!(text("中&&文\"'\t\n"), "中&amp;&amp;文\"'\t\n");
        assert_eq!(attr("x"), "x");
        assert_eq!(attr("\"&<>\t\n\r'"), "&quot;&amp;&lt;>&#x9;&#xA;&#xD;'");
        assert_eq!(attr("值\r"), "值&#xD;");
        assert_eq!(text(""), "");
    }

    /// The vectorized pre-checks and the replacement tables name the same bytes: each byte a
    /// table replaces is replaced when it is the only special in a long run, and no other
    /// byte is (a byte added to a table alone would otherwise pass unescaped).
    #[test]
    fn the_pre_checks_find_every_byte_the_tables_replace() {
        for b in 0u8..128 {
            let s = format!("{}{}{}", "x".repeat(40), b as char, "y".repeat(40));
            for (table, has, escape) in [
                (
                    text_escape as fn(u8) -> Option<&'static str>,
                    text_has_special as fn(&[u8]) -> bool,
                    text as fn(&str) -> String,
                ),
                (attr_escape, attr_has_special, attr),
            ] {
                assert_eq!(has(s.as_bytes()), table(b).is_some(), "byte {b:#x}");
                let expected = format!(
                    "{}{}{}",
                    "x".repeat(40),
                    table(b).map_or((b as char).to_string(), str::to_string),
                    "y".repeat(40)
                );
                assert_eq!(escape(&s), expected, "byte {b:#x}");
            }
        }
    }
}
