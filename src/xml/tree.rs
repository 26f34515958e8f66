//! The element tree built by [`super::parse`], and the bounded builder behind it.

use super::{Limits, Pos, XmlError, pos_at};

/// Turns increasing byte offsets into line:column in one pass over the text, so that
/// positioning every element costs O(document) in total rather than O(document) each.
struct LineTracker<'a> {
    text: &'a str,
    offset: usize,
    pos: Pos,
    /// The first line feed at or after where the last search began (`usize::MAX`: none is
    /// left), kept between calls and trusted only at or after where a search would begin
    /// now: the span before most elements is short and holds at most a line feed or two,
    /// which are then found by one search each, rather than by a count and a reverse
    /// search of every span (a sixth of building a large list's tree).
    next_newline: Option<usize>,
}

impl<'a> LineTracker<'a> {
    /// A span at least this long (base64 text, say) is counted with a vectorized count.
    const LONG: usize = 256;

    fn new(text: &'a str) -> Self {
        Self { text, offset: 0, pos: Pos { line: 1, column: 1 }, next_newline: None }
    }

    fn at(&mut self, offset: usize) -> Pos {
        if offset < self.offset {
            return pos_at(self.text, offset);
        }
        let end_boundary = self.text.floor_char_boundary(offset);
        let bytes = self.text.as_bytes();
        // `self.offset` is a char boundary at or below `offset`, so at or below `end_boundary`.
        let passed = bytes.get(self.offset..end_boundary).unwrap_or_default();
        let last_newline = if passed.len() >= Self::LONG {
            let last = memchr::memrchr(b'\n', passed).map(|i| self.offset + i);
            if last.is_some() {
                self.pos.line += memchr::memchr_iter(b'\n', passed).count() as u32;
            }
            last
        } else {
            let (mut from, mut last) = (self.offset, None);
            loop {
                let at = match self.next_newline {
                    Some(at) if at >= from => at,
                    _ => memchr::memchr(b'\n', bytes.get(from..).unwrap_or_default()).map_or(usize::MAX, |i| from + i),
                };
                self.next_newline = Some(at);
                if at >= end_boundary {
                    break last;
                }
                self.pos.line += 1;
                (from, last) = (at + 1, Some(at));
            }
        };
        // Columns count characters: each has exactly one byte that is not a continuation
        // byte (10xxxxxx), so bytes are counted without decoding. (Most markup is ASCII,
        // which is checked a word at a time.) A line feed is a character of its own, so
        // the byte after it starts one.
        let starts = |bytes: &[u8]| {
            if bytes.is_ascii() { bytes.len() } else { bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() }
        };
        match last_newline {
            Some(at) => self.pos.column = 1 + starts(bytes.get(at + 1..end_boundary).unwrap_or_default()) as u32,
            None => self.pos.column += starts(passed) as u32,
        }
        self.offset = end_boundary;
        self.pos
    }
}
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::collections::HashSet;
use std::sync::Arc;

/// The namespace bound to the `xml` prefix by the XML Namespaces recommendation.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A whole document: the document element and the comments and processing instructions
/// around it (the XML declaration and whitespace outside the root are not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub prolog: Vec<Node>,
    pub root: Element,
    pub epilog: Vec<Node>,
    /// Where the document element's end tag starts, in bytes of the text parsed (after a
    /// byte-order mark, decoded); `None` when it is an empty-element tag (`<a/>`). A signer
    /// places its signature here: a search of the text for the tag could find one in a
    /// comment after it, or miss one written `</a >`.
    pub root_end: Option<usize>,
}

/// One element with its resolved namespace, attributes, children and place in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// The namespace URI the element's prefix (or the default namespace) resolves to.
    pub ns: Option<Arc<str>>,
    /// Attributes other than namespace declarations, in document order.
    pub attrs: Vec<Attribute>,
    /// Namespace declarations written on this element: (prefix, URI); `None` is the default.
    pub ns_decls: Vec<(Option<String>, String)>,
    pub children: Vec<Node>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub prefix: Option<String>,
    pub local: String,
    pub ns: Option<Arc<str>>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Boxed: children vectors then hold small nodes, and grow by moving pointers rather
    /// than whole elements (a large list's elements have thousands of siblings).
    Element(Box<Element>),
    Text(String),
    Comment(String),
    /// Boxed: rare, and two strings inline would make every node of every children vector
    /// twice the size of a text node's (a large list's tree is walked for its memory).
    ProcessingInstruction(Box<Pi>),
}

/// A processing instruction: its target and its content (leading whitespace taken off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pi {
    pub target: String,
    pub content: String,
}

impl Element {
    /// Child elements, skipping text, comments and processing instructions.
    pub fn elements(&self) -> impl DoubleEndedIterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(&**e),
            _ => None,
        })
    }

    /// Concatenated text children (not descendants).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// The bytes an `xs:base64Binary` element holds (a certificate, a digest, a signature
    /// value): its text, with XML's own whitespace (space, tab, CR, LF) between the base64
    /// characters dropped and nothing else — another space (U+00A0, U+3000, …) is not
    /// base64. Comments and processing instructions are skipped, as XPath's string value
    /// (the value a schema validates) skips them; an element inside is refused, since the
    /// text alone would decode as if it were not there.
    pub fn base64_binary(&self) -> Result<Vec<u8>, NotBase64<'_>> {
        use base64::Engine;
        if let Some(child) = self.elements().next() {
            return Err(NotBase64::HoldsElement(child));
        }
        let mut text = Vec::new();
        for node in &self.children {
            if let Node::Text(t) = node {
                // A byte of a multi-byte character is never one of XML's spaces.
                text.extend(t.bytes().filter(|&b| !is_xml_space(char::from(b))));
            }
        }
        base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| NotBase64::Invalid)
    }

    /// The text of a token-like value (a URI, a date-time, a status, a name), as XML Schema
    /// collapses it at its ends: the text children with XML's whitespace ([`is_xml_space`])
    /// trimmed at both ends. Any other space (U+00A0, U+3000, …) is part of the value, so
    /// `granted` followed by U+00A0 is not `granted`.
    pub fn token(&self) -> String {
        self.text().trim_matches(is_xml_space).to_string()
    }

    /// The value of an attribute with no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns.is_none() && a.local == local).map(|a| a.value.as_str())
    }

    /// True when the element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }
}

/// A character XML 1.0 allows (the `Char` production): no control character but tab, LF
/// and CR, and not U+FFFE or U+FFFF (a Rust `char` is never a surrogate). Others readers
/// refuse, and a control character in a name shown on a page or a terminal (an escape
/// sequence, say) would show what the document does not say (found by review).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{FFFD}' | '\u{10000}'..)
}

fn no_character(c: char) -> String {
    format!("U+{:04X} is not a character XML 1.0 allows", u32::from(c))
}

/// The first character of `text` XML 1.0 does not allow, and where. Checked 64 bytes at a
/// time without an early exit, which the compiler vectorizes: a large list costs a pass of
/// its bytes, most of them base64. Only a chunk holding a control byte or 0xEF (the lead
/// byte of U+F000–U+FFFF, where U+FFFE and U+FFFF are) is looked at character by character.
fn not_a_character(text: &str) -> Option<(usize, char)> {
    // Compares and ors of bytes only, summed as bytes: what vectorizes.
    let suspect = |b: u8| {
        u8::from(b < 0x20) & u8::from(b != b'\t') & u8::from(b != b'\n') & u8::from(b != b'\r') | u8::from(b == 0xEF)
    };
    let mut start = 0;
    for chunk in text.as_bytes().chunks(64) {
        if chunk.iter().fold(0u8, |any, &b| any | suspect(b)) != 0 {
            // The chunk may begin inside a character: from the boundary at or before it.
            let from = text.floor_char_boundary(start);
            let to = text.ceil_char_boundary(start + chunk.len());
            let found = text.get(from..to).and_then(|t| t.char_indices().find(|&(_, c)| !is_xml_char(c)));
            if let Some((i, c)) = found {
                return Some((from + i, c));
            }
        }
        start += chunk.len();
    }
    None
}

/// Refuses attributes of the start tag `start` (read at `offset` of `text`) not separated
/// as XML 1.0 asks ([40] STag: white space before each attribute) or holding a '<' ([10]
/// AttValue), which quick-xml does not check: `<r a="1"b="2"/>` was read as two attributes
/// and `<r a="<"/>` as one (found by review; xmllint and xmlsec1 refuse both). The error
/// stands where the fault is, and names the attribute.
fn attributes_separated(start: &BytesStart<'_>, text: &str, offset: usize) -> Result<(), XmlError> {
    let raw = start.attributes_raw();
    // From quote to quote, most tags pass without a byte looked at alone; one that does
    // not is read again below, for where and what to say.
    let bytes = raw.as_bytes();
    let mut at = 0;
    let separated = loop {
        let Some(open) = bytes.get(at..).and_then(|rest| memchr::memchr2(b'"', b'\'', rest)).map(|i| at + i) else {
            break true;
        };
        let quote = bytes.get(open).copied().unwrap_or_default();
        // The value's end, or a '<' in it, which it must not hold ([10] AttValue).
        let Some(close) =
            bytes.get(open + 1..).and_then(|rest| memchr::memchr2(quote, b'<', rest)).map(|i| open + 1 + i)
        else {
            break true;
        };
        if bytes.get(close) == Some(&b'<') || bytes.get(close + 1).is_some_and(|&next| !is_xml_space(char::from(next)))
        {
            break false;
        }
        at = close + 1;
    };
    if separated {
        return Ok(());
    }
    // Where `raw` is in `text`: after the '<' and the name.
    let base = offset + 1 + start.len().saturating_sub(raw.len());
    // The open value's quote, and where the attribute being read began.
    let (mut quote, mut from) = (None, None);
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => {
                quote = None;
                if let Some(next) = raw.get(i + 1..).and_then(|r| r.chars().next()).filter(|&c| !is_xml_space(c)) {
                    let attribute = raw.get(from.unwrap_or(0)..=i).unwrap_or_default();
                    let message = format!("the attribute {attribute} is followed by '{next}', not by white space");
                    return Err(XmlError::Malformed { pos: pos_at(text, base + i + 1), message });
                }
                from = None;
            }
            Some(_) if b == b'<' => {
                let attribute = raw.get(from.unwrap_or(0)..).unwrap_or_default();
                let name = attribute.split(|c: char| c == '=' || is_xml_space(c)).next().unwrap_or_default();
                let message = format!("'<' in the value of attribute '{name}' (XML 1.0 [10]); write '&lt;'");
                return Err(XmlError::Malformed { pos: pos_at(text, base + i), message });
            }
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if from.is_none() && !is_xml_space(char::from(b)) => from = Some(i),
            None => {}
        }
    }
    Ok(())
}

/// XML's whitespace, the `S` production: space, tab, CR, LF — no other space.
pub fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Why an element's content is not `xs:base64Binary` ([`Element::base64_binary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotBase64<'e> {
    /// It holds this element.
    HoldsElement(&'e Element),
    /// Its text is not base64.
    Invalid,
}

struct Builder<'a> {
    limits: &'a Limits,
    /// The open elements, boxed as they will be held in their parent's children, so that
    /// closing one moves a pointer rather than the element.
    #[expect(clippy::vec_box, reason = "each is boxed once, where it opens, and the box moves to its parent")]
    stack: Vec<Box<Element>>,
    /// In-scope bindings of each prefix → its URIs, innermost last; URIs shared with the
    /// elements. Found by hash: searching every open element's declarations for each name
    /// was quadratic in a scope the limits let hold thousands.
    bindings: std::collections::HashMap<String, Vec<Arc<str>>>,
    /// The default namespace's bindings, innermost last, kept apart from the prefixes: most
    /// elements are in it, and looking it up as an empty key compared an empty `String`,
    /// whose pointer is dangling, and glibc's `memcmp` of zero bytes from such a pointer
    /// takes a masked load that faults and is suppressed in microcode — about a tenth of
    /// building a large list's tree (`perf annotate`).
    default_ns: Vec<Arc<str>>,
    elements: usize,
    attributes: usize,
    root: Option<Element>,
    root_end: Option<usize>,
    prolog: Vec<Node>,
    epilog: Vec<Node>,
}

/// Builds the tree, applying `limits` as elements open.
pub(super) fn build(text: &str, limits: &Limits) -> Result<Document, XmlError> {
    // The byte-order mark was taken off with the encoding; another U+FEFF is a character
    // before the document, which quick-xml would skip (and its offsets with it).
    if text.starts_with('\u{FEFF}') {
        let message = "a second byte-order mark (U+FEFF) before the document".into();
        return Err(XmlError::Malformed { pos: Pos { line: 1, column: 1 }, message });
    }
    if let Some((at, c)) = not_a_character(text) {
        return Err(XmlError::Malformed { pos: pos_at(text, at), message: no_character(c) });
    }
    // Only a document with a `]` can hold the `]]>` text must not (§2.4): each text is
    // searched for it only then (a search of every text was a twentieth of verifying
    // ie-tl.xml, which has none; looked for in the pass above, neither was vectorized).
    let may_end_cdata = memchr::memchr(b']', text.as_bytes()).is_some();
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().enable_all_checks(true);
    let mut lines = LineTracker::new(text);
    let mut b = Builder {
        limits,
        stack: Vec::new(),
        bindings: std::collections::HashMap::new(),
        default_ns: Vec::new(),
        elements: 0,
        attributes: 0,
        root: None,
        root_end: None,
        prolog: Vec::new(),
        epilog: Vec::new(),
    };
    loop {
        // Text is reported as its own event (it is not trimmed), so each event starts here.
        let offset = reader.buffer_position() as usize;
        // Where the event starts: kept for each element (counted forward from the last
        // element's, see [`LineTracker`]); for anything else only an error needs it, and
        // an error ends the parse, so it is counted from the start then, once.
        let pos = || pos_at(text, offset);
        // The result is matched in place, not moved out first (`map_err(..)?`, or `Ok(event)
        // => event` then a second `match`): each move copied the event in 16-byte loads
        // over the parser's 8-byte stores, which stalled on store forwarding (`perf
        // annotate` put 14%, then 7%, of verifying ie-tl.xml there).
        match reader.read_event() {
            Err(e) => {
                let pos = pos_at(text, reader.error_position() as usize);
                return Err(XmlError::Malformed { pos, message: e.to_string() });
            }
            // Read (and checked) before parsing; anywhere else it is not well-formed.
            Ok(Event::Decl(_)) if offset == 0 => {}
            Ok(Event::Decl(_)) => {
                return Err(XmlError::Malformed {
                    pos: pos(),
                    message: "an XML declaration is allowed only at the start of the document".into(),
                });
            }
            Ok(Event::DocType(_)) => return Err(XmlError::Doctype { pos: pos() }),
            Ok(Event::Start(start)) => {
                attributes_separated(&start, text, offset)?;
                b.open(&start, lines.at(offset))?
            }
            Ok(Event::Empty(start)) => {
                attributes_separated(&start, text, offset)?;
                b.open(&start, lines.at(offset))?;
                b.close();
            }
            Ok(Event::End(_)) => {
                if b.stack.is_empty() {
                    return Err(XmlError::Malformed { pos: pos(), message: "end tag without a start tag".into() });
                }
                if b.stack.len() == 1 {
                    b.root_end = Some(offset);
                }
                b.close();
            }
            Ok(Event::Text(t)) => {
                if let Some(at) = may_end_cdata.then(|| memchr::memmem::find(t.as_bytes(), b"]]>")).flatten() {
                    let message = "']]>' is not allowed in text (XML 1.0 §2.4); write ']]&gt;'".into();
                    return Err(XmlError::Malformed { pos: pos_at(text, offset + at), message });
                }
                b.text(&t.xml10_content(), pos)?
            }
            // Outside the document element only white space written as it is may stand (XML
            // 1.0 [1], [27]): never a CDATA section nor a reference, whatever it holds (found
            // by review: `<a/><![CDATA[ ]]>` and `<a/>&#10;` were read, as white space).
            Ok(Event::CData(_) | Event::GeneralRef(_)) if b.stack.is_empty() => {
                let message = "a CDATA section or a reference outside the document element".into();
                return Err(XmlError::Malformed { pos: pos(), message });
            }
            Ok(Event::CData(c)) => b.text(&c.xml10_content(), pos)?,
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) if !is_xml_char(c) => {
                        return Err(XmlError::Malformed { pos: pos(), message: no_character(c) });
                    }
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match &*r.xml10_content() {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        other => {
                            return Err(XmlError::UndefinedEntity { pos: pos(), name: other.to_string() });
                        }
                    },
                    Err(e) => {
                        return Err(XmlError::Malformed { pos: pos(), message: e.to_string() });
                    }
                };
                b.text(&resolved, pos)?;
            }
            Ok(Event::Comment(c)) => b.outside_or_inside(Node::Comment(c.xml10_content().into_owned())),
            Ok(Event::PI(pi)) => {
                // A target is a name without colons (XML Namespaces §7), and not `xml` in any
                // case, which XML 1.0 reserves (§2.6).
                let target = pi.target().to_string();
                if !is_ncname(&target) || target.eq_ignore_ascii_case("xml") {
                    let message = format!("'{target}' is not a name a processing instruction may have");
                    return Err(XmlError::Malformed { pos: pos(), message });
                }
                b.outside_or_inside(Node::ProcessingInstruction(Box::new(Pi {
                    target,
                    content: pi.content().trim_start().to_string(),
                })))
            }
            Ok(Event::Eof) => break,
        }
    }
    if let Some(open) = b.stack.last() {
        return Err(XmlError::Malformed {
            pos: pos_at(text, text.len()),
            message: format!("element <{}> opened at {} is not closed", open.local, open.pos),
        });
    }
    let root = b.root.ok_or(XmlError::NoRoot)?;
    Ok(Document { prolog: b.prolog, root, epilog: b.epilog, root_end: b.root_end })
}

impl Builder<'_> {
    /// Comments and processing instructions go to the open element, or before / after the
    /// document element (canonical XML keeps those too).
    fn outside_or_inside(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(top) => top.children.push(node),
            None if self.root.is_none() => self.prolog.push(node),
            None => self.epilog.push(node),
        }
    }

    /// Opens an element: checks it, binds its namespaces and pushes it on the stack. (It
    /// is pushed here rather than returned: a returned element was copied out of the
    /// `Result` in loads that stalled on the stores just made.)
    fn open(&mut self, start: &BytesStart<'_>, pos: Pos) -> Result<(), XmlError> {
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements { pos, limit: self.limits.max_elements });
        }
        if self.stack.len() + 1 > self.limits.max_depth {
            return Err(XmlError::TooDeep { pos, limit: self.limits.max_depth });
        }
        if self.stack.is_empty() && self.root.is_some() {
            return Err(XmlError::Malformed { pos, message: "more than one root element".into() });
        }
        let malformed = |message: String| XmlError::Malformed { pos, message };
        let name = start.name().into_inner();
        let (prefix, local) = split_qname(name).map_err(malformed)?;

        let mut ns_decls = Vec::new();
        let mut raw_attrs = Vec::new();
        // quick-xml's own duplicate check compares each attribute with every earlier one
        // (quadratic in their number); duplicates are found below, by hash, after
        // namespaces are resolved. The count is bounded before anything is decoded.
        for (n, attr) in start.attributes().with_checks(false).enumerate() {
            self.attributes += 1;
            if n >= self.limits.max_attributes_per_element {
                let limit = self.limits.max_attributes_per_element;
                return Err(XmlError::TooManyAttributes { pos, limit, per_element: true });
            }
            if self.attributes > self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes { pos, limit: self.limits.max_attributes, per_element: false });
            }
            let attr = attr.map_err(|e| malformed(e.to_string()))?;
            let key = attr.key.into_inner();
            let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(|e| match e {
                quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
                    XmlError::UndefinedEntity { pos, name }
                }
                other => malformed(other.to_string()),
            })?;
            // A character reference in a value may name what the text cannot hold.
            if let Some(c) = value.chars().find(|&c| !is_xml_char(c)) {
                return Err(malformed(no_character(c)));
            }
            let value = value.into_owned();
            if key == "xmlns" {
                if let Some(refusal) = reserved_binding(None, &value) {
                    return Err(malformed(refusal));
                }
                ns_decls.push((None, value));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                // An empty prefix is no name (and "" stands for the default namespace below).
                if p.is_empty() {
                    return Err(malformed("a namespace declaration with an empty prefix".into()));
                }
                if !is_ncname(p) {
                    return Err(malformed(format!("'{p}' is not a name XML allows for a namespace prefix")));
                }
                if value.is_empty() {
                    return Err(malformed(format!("namespace prefix '{p}' bound to an empty URI")));
                }
                if let Some(refusal) = reserved_binding(Some(p), &value) {
                    return Err(malformed(refusal));
                }
                ns_decls.push((Some(p.to_string()), value));
            } else {
                raw_attrs.push((key, value));
            }
        }
        // Unbound when the element closes, from its own `ns_decls` (an error on the way
        // ends the parse, bindings and all).
        for (p, u) in &ns_decls {
            let uri = Arc::from(u.as_str());
            match p {
                Some(p) => self.bindings.entry(p.clone()).or_default().push(uri),
                None => self.default_ns.push(uri),
            }
        }

        let ns = self.resolve(prefix.as_deref(), true, pos)?;
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        // Hashed only when there are many: most elements have a few attributes, which are
        // compared with each other directly (at most FEW² comparisons).
        const FEW: usize = 8;
        let mut seen = None;
        for (key, value) in raw_attrs {
            let (aprefix, alocal) = split_qname(key).map_err(malformed)?;
            let ans = self.resolve(aprefix.as_deref(), false, pos)?;
            // By expanded name: two prefixes bound to one namespace are still a duplicate.
            let twice = if attrs.len() < FEW {
                attrs.iter().any(|a: &Attribute| a.local == alocal && a.ns == ans)
            } else {
                let seen = seen.get_or_insert_with(|| {
                    attrs.iter().map(|a: &Attribute| (a.ns.clone(), a.local.clone())).collect::<HashSet<_>>()
                });
                !seen.insert((ans.clone(), alocal.clone()))
            };
            if twice {
                return Err(malformed(format!("attribute '{key}' appears twice")));
            }
            attrs.push(Attribute { prefix: aprefix, local: alocal, ns: ans, value });
        }
        // A namespace declared twice on one element is malformed too (XML Namespaces §3);
        // compared directly when few, by hash when many, as attributes are.
        let twice = if ns_decls.len() <= FEW {
            ns_decls.iter().enumerate().find(|(i, (p, _))| ns_decls.iter().take(*i).any(|(q, _)| q == p))
        } else {
            let mut declared = HashSet::with_capacity(ns_decls.len());
            ns_decls.iter().enumerate().find(|(_, (p, _))| !declared.insert(p))
        };
        if let Some((_, (p, _))) = twice {
            return Err(malformed(format!("namespace '{}' declared twice", p.as_deref().unwrap_or("xmlns"))));
        }
        self.stack.push(Box::new(Element { prefix, local, ns, attrs, ns_decls, children: Vec::new(), pos }));
        Ok(())
    }

    /// Closes the open element: ends the bindings it declared and appends it to its parent
    /// (or makes it the document element). The caller has checked that one is open.
    fn close(&mut self) {
        let Some(e) = self.stack.pop() else { return };
        for (prefix, _) in &e.ns_decls {
            let uris = match prefix {
                Some(p) => self.bindings.get_mut(p),
                None => Some(&mut self.default_ns),
            };
            if let Some(uris) = uris {
                uris.pop();
            }
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(e)),
            None => self.root = Some(*e),
        }
    }

    fn text(&mut self, t: &str, pos: impl FnOnce() -> Pos) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(top) => {
                if let Some(Node::Text(prev)) = top.children.last_mut() {
                    prev.push_str(t);
                } else {
                    top.children.push(Node::Text(t.to_string()));
                }
                Ok(())
            }
            None if t.chars().all(is_xml_space) => Ok(()),
            None => Err(XmlError::Malformed { pos: pos(), message: "text outside the root element".into() }),
        }
    }

    // Inlined: its result, returned through memory, was read back in loads that stalled on
    // the stores just made (`perf annotate`: a tenth of `open`).
    #[inline(always)]
    fn resolve(&self, prefix: Option<&str>, is_element: bool, pos: Pos) -> Result<Option<Arc<str>>, XmlError> {
        match prefix {
            Some("xml") => Ok(Some(Arc::from(XML_NS))),
            // `:name`: an empty prefix, which nothing can bind.
            Some("") => Err(XmlError::UnboundPrefix { pos, prefix: String::new() }),
            // An unprefixed attribute is in no namespace; an element is in the default one,
            // if any (`xmlns=""` undeclares it).
            None if !is_element => Ok(None),
            None => Ok(self.default_ns.last().filter(|uri| !uri.is_empty()).cloned()),
            Some(p) => match self.bindings.get(p).and_then(|uris| uris.last()) {
                Some(uri) => Ok(Some(Arc::clone(uri))),
                None => Err(XmlError::UnboundPrefix { pos, prefix: p.to_string() }),
            },
        }
    }
}

/// The namespace bound to the `xmlns` prefix, which no declaration may name.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Why a namespace declaration breaks XML Namespaces §3's reserved bindings, if it does: the
/// `xml` prefix may be declared only as its own namespace, `xmlns` not at all, and neither
/// namespace bound to another prefix or made the default. (Found by review: `xmlns:xml`
/// bound elsewhere was read as the real `xml` prefix by the tree, yet written as declared
/// by canonicalization.)
fn reserved_binding(prefix: Option<&str>, uri: &str) -> Option<String> {
    let shown = prefix.map_or_else(|| "the default namespace".to_string(), |p| format!("namespace prefix '{p}'"));
    match prefix {
        Some("xmlns") => Some("the prefix 'xmlns' cannot be declared".into()),
        Some("xml") if uri != XML_NS => Some(format!("the prefix 'xml' can be bound only to {XML_NS}")),
        Some("xml") => None,
        _ if uri == XML_NS || uri == XMLNS_NS => Some(format!("{shown} cannot be bound to the reserved {uri}")),
        _ => None,
    }
}

/// Splits a qualified name (XML Namespaces §4: `local` or `prefix:local`), each part a
/// name XML allows without a colon ([`is_ncname`]). quick-xml reads a tag's name up to the
/// first space, `/` or `>` and checks nothing else: found by fuzzing, `<a&//>` was read as
/// an element named `a&/`, which canonicalization then wrote as `<a&/></a&/>`, a document
/// no reader takes. An empty prefix (`:a`) is left to the namespace look-up, which refuses
/// it as a prefix nothing can bind.
fn split_qname(name: &str) -> Result<(Option<String>, String), String> {
    // A byte search: `split_once(':')` searches for a `char`, which compared each candidate
    // through `memcmp` (2% of building a trusted list's tree).
    let (prefix, local) = match memchr::memchr(b':', name.as_bytes()) {
        // `:` is ASCII, so both sides of it are on character boundaries.
        Some(at) => (name.get(..at), name.get(at + 1..).unwrap_or_default()),
        None => (None, name),
    };
    if prefix.is_some_and(|p| !p.is_empty() && !is_ncname(p)) || !is_ncname(local) {
        return Err(format!("'{name}' is not a name XML allows (a local name, or a prefix, a colon and a local name)"));
    }
    Ok((prefix.map(str::to_string), local.to_string()))
}

/// XML Namespaces' NCName: XML 1.0's `Name` without colons — a name-start character, then
/// name characters. Most names are ASCII letters, digits, `_`, `-` and `.`: those are
/// checked a byte at a time in one pass; a name with any other byte is checked again by
/// characters.
fn is_ncname(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else { return false };
    let ascii_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let ascii_rest = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let ascii = ascii_start(first) && rest.iter().all(|&b| ascii_rest(b));
    ascii || (!bytes.is_ascii() && is_ncname_chars(name))
}

/// [`is_ncname`] by characters, for names beyond ASCII.
fn is_ncname_chars(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_char(c))
}

/// XML 1.0 §2.3 `NameStartChar`, without the colon.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 `NameChar` beyond the name-start characters.
fn is_name_char(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, parse};
    use super::*;

    #[test]
    fn namespaces_resolve_and_positions_are_kept() {
        let doc = "<a xmlns='urn:x' xmlns:p='urn:p'>\n  <p:b p:c='1' d='&amp;&#x4E2D;'/>\n</a>";
        let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(root.ns.as_deref(), Some("urn:x"));
        let b = root.elements().next().unwrap();
        assert_eq!((b.ns.as_deref(), b.pos), (Some("urn:p"), Pos { line: 2, column: 3 }));
        assert_eq!(b.attrs[0].ns.as_deref(), Some("urn:p"));
        assert_eq!(b.attr("d"), Some("&中"));
    }

    /// The tracker gives, for every offset asked in turn, what [`pos_at`] counts from the start:
    /// across short spans (found line feed by line feed, the search kept between calls),
    /// long ones (counted), both in turn, offsets inside a character, repeated offsets,
    /// offsets going back, past the last line feed and past the end.
    #[test]
    fn the_line_tracker_agrees_with_counting_from_the_start() {
        use proptest::prelude::*;
        let piece = prop_oneof![Just("\n"), Just("a"), Just("é"), Just("中"), Just("\r\n"), Just("<b/>")];
        let text = proptest::collection::vec(piece, 0..1200).prop_map(|pieces| pieces.concat());
        // Mostly forward; now and then back (counted from the start), and past the end.
        let long = LineTracker::LONG as isize;
        let steps = proptest::collection::vec(-long / 4..2 * long, 1..60);
        // No failure file: a unit test's would be a directory of its own at the top of the
        // repository; a failure prints its minimal input.
        let config = ProptestConfig { failure_persistence: None, ..ProptestConfig::default() };
        proptest!(config, |(text in text, steps in steps)| {
            let mut lines = LineTracker::new(&text);
            let mut offset = 0usize;
            for step in steps {
                offset = offset.saturating_add_signed(step).min(text.len() + 2);
                prop_assert_eq!(lines.at(offset), pos_at(&text, offset), "offset {}", offset);
            }
        });
    }

    /// XML Namespaces §3: `xml` is bound only to its own namespace (declaring it so is
    /// allowed), `xmlns` is never declared, and neither namespace is bound to another prefix
    /// or made the default.
    #[test]
    fn reserved_namespace_bindings_are_refused() {
        let refused = |doc: &str| match parse(doc.as_bytes(), &Limits::default()) {
            Err(XmlError::Malformed { message, .. }) => message,
            other => panic!("{doc}: {other:?}"),
        };
        assert_eq!(
            refused("<a xmlns:xml='urn:other'/>"),
            "the prefix 'xml' can be bound only to http://www.w3.org/XML/1998/namespace"
        );
        assert_eq!(
            refused("<a xmlns:xmlns='http://www.w3.org/2000/xmlns/'/>"),
            "the prefix 'xmlns' cannot be declared"
        );
        assert_eq!(refused("<a xmlns:xmlns='urn:x'/>"), "the prefix 'xmlns' cannot be declared");
        assert_eq!(
            refused("<a xmlns:x='http://www.w3.org/XML/1998/namespace'/>"),
            "namespace prefix 'x' cannot be bound to the reserved http://www.w3.org/XML/1998/namespace"
        );
        assert_eq!(
            refused("<a><b xmlns:x='http://www.w3.org/2000/xmlns/'/></a>"),
            "namespace prefix 'x' cannot be bound to the reserved http://www.w3.org/2000/xmlns/"
        );
        assert_eq!(
            refused("<a xmlns='http://www.w3.org/XML/1998/namespace'/>"),
            "the default namespace cannot be bound to the reserved http://www.w3.org/XML/1998/namespace"
        );
        assert_eq!(
            refused("<a xmlns='http://www.w3.org/2000/xmlns/'/>"),
            "the default namespace cannot be bound to the reserved http://www.w3.org/2000/xmlns/"
        );
        // Declaring `xml` as what it is changes nothing.
        let root = parse(b"<a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>", &Limits::default())
            .expect("parse");
        assert_eq!(root.attrs[0].ns.as_deref(), Some(XML_NS));
    }

    /// The bytes' answer is the characters' answer, for every name: mostly ASCII (all
    /// 128 bytes, the name bytes most often), with characters beyond it now and then. A byte
    /// let through by the table that XML refuses would be a name canonicalization writes
    /// and no reader takes.
    #[test]
    fn names_checked_by_bytes_are_checked_as_by_characters() {
        use proptest::prelude::*;
        for b in 0u8..128 {
            let c = char::from(b);
            let (alone, after) = (c.to_string(), format!("a{c}"));
            assert_eq!(
                (is_ncname(&alone), is_ncname(&after)),
                (is_ncname_chars(&alone), is_ncname_chars(&after)),
                "{b:#x}"
            );
        }
        let piece = prop_oneof![
            4 => proptest::char::range('\0', '\u{7f}'),
            2 => prop_oneof![Just('a'), Just('_'), Just('-'), Just('.'), Just('7'), Just(':')],
            1 => any::<char>(),
            1 => prop_oneof![Just('é'), Just('\u{B7}'), Just('\u{300}'), Just('中'), Just('\u{2070}')],
        ];
        let name = proptest::collection::vec(piece, 0..12).prop_map(String::from_iter);
        let config = ProptestConfig { failure_persistence: None, cases: 4096, ..ProptestConfig::default() };
        proptest!(config, |(name in name)| {
            prop_assert_eq!(is_ncname(&name), is_ncname_chars(&name), "{:?}", name);
        });
    }

    /// Names are XML names: an element's, an attribute's, a declared prefix's, a processing
    /// instruction's target. The first case is what fuzzing found (`c14n` target): an
    /// element named `a&/`, whose canonical form no reader takes.
    #[test]
    fn names_xml_does_not_allow_are_refused() {
        let refused = |doc: &str| match parse(doc.as_bytes(), &Limits::default()) {
            Err(XmlError::Malformed { message, .. }) => message,
            other => panic!("{doc}: {other:?}"),
        };
        let not_a_name = |name: &str| {
            format!("'{name}' is not a name XML allows (a local name, or a prefix, a colon and a local name)")
        };
        assert_eq!(refused("<ceiity_nrubme&//>"), not_a_name("ceiity_nrubme&/"));
        assert_eq!(refused("<a&b/>"), not_a_name("a&b"));
        assert_eq!(refused("<1a/>"), not_a_name("1a"));
        assert_eq!(refused("<-a></-a>"), not_a_name("-a"));
        assert_eq!(refused("<a:b:c xmlns:a='urn:a'/>"), not_a_name("a:b:c"));
        assert_eq!(refused("<a: xmlns:a='urn:a'/>"), not_a_name("a:"));
        assert_eq!(refused("<a b;c='1'/>"), not_a_name("b;c"));
        assert_eq!(refused("<a x:&='1' xmlns:x='urn:x'/>"), not_a_name("x:&"));
        assert_eq!(refused("<a xmlns:1p='urn:p'/>"), "'1p' is not a name XML allows for a namespace prefix");
        assert_eq!(refused("<a><?1pi x?></a>"), "'1pi' is not a name a processing instruction may have");
        assert_eq!(refused("<a><?p:i x?></a>"), "'p:i' is not a name a processing instruction may have");
        assert_eq!(refused("<a><?XmL x?></a>"), "'XmL' is not a name a processing instruction may have");
        // An empty prefix is still the namespace look-up's to refuse.
        let empty = parse(b"<:a/>", &Limits::default()).unwrap_err();
        assert_eq!(empty, XmlError::UnboundPrefix { pos: Pos { line: 1, column: 1 }, prefix: String::new() });
        // Names beyond ASCII, and every kind of name character, are names.
        let root =
            parse("<文書 xmlns:ü='urn:u' ü:_a.b-c·7='1'><?pi-1 x?><é\u{301}/></文書>".as_bytes(), &Limits::default())
                .expect("parse");
        assert_eq!((root.local.as_str(), root.attrs[0].local.as_str()), ("文書", "_a.b-c·7"));
    }

    /// Columns count characters, not bytes, on the first line and after a line feed.
    #[test]
    fn columns_count_characters() {
        let doc = "<a>中文<b/>\n  é<c/>\n<d/></a>";
        let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
        let at: Vec<Pos> = root.elements().map(|e| e.pos).collect();
        assert_eq!(at, [Pos { line: 1, column: 6 }, Pos { line: 2, column: 4 }, Pos { line: 3, column: 1 }]);
    }

    /// The document element's end tag is found by the parser, not by its text: whitespace
    /// in the tag, the tag's text in a comment or processing instruction after it, a
    /// byte-order mark before it, or none at all (`<a/>`).
    #[test]
    fn the_document_elements_end_tag_is_where_the_parser_read_it() {
        let end = |doc: &str| {
            let parsed = super::super::parse_document(doc.as_bytes(), &Limits::default()).expect("parse");
            let text = doc.strip_prefix('\u{FEFF}').unwrap_or(doc);
            parsed.root_end.map(|at| text.get(at..).unwrap_or_default().to_string())
        };
        assert_eq!(end("<a><a>x</a></a>").as_deref(), Some("</a>"));
        assert_eq!(end("<p:a xmlns:p='urn:p'>x</p:a >\n").as_deref(), Some("</p:a >\n"));
        assert_eq!(end("<a>x</a><!-- </a> --><?pi </a>?>\n").as_deref(), Some("</a><!-- </a> --><?pi </a>?>\n"));
        assert_eq!(end("\u{FEFF}<a>中</a>").as_deref(), Some("</a>"));
        assert_eq!(end("<a/><!-- </a> -->"), None);
        assert_eq!(end("<a><b></b></a>").as_deref(), Some("</a>"));
        assert_eq!(end("<a>\r\n<!--c--><![CDATA[x]]>&amp;</a>\r\n").as_deref(), Some("</a>\r\n"));
        // One mark is the encoding's; a second is a character before the document.
        let refused = super::super::parse_document("\u{FEFF}\u{FEFF}<a>x</a>".as_bytes(), &Limits::default());
        let second = "a second byte-order mark (U+FEFF) before the document".to_string();
        assert_eq!(refused, Err(XmlError::Malformed { pos: Pos { line: 1, column: 1 }, message: second }));
    }

    /// Only elements are positioned as the parse goes; an error elsewhere is positioned
    /// when it happens, the same way: characters (not bytes) across CRLF and multi-byte text.
    #[test]
    fn errors_between_elements_are_positioned_in_characters() {
        let limits = Limits::default();
        let undefined = parse("<a>\r\n中文é&nbsp;</a>".as_bytes(), &limits).unwrap_err();
        assert_eq!(undefined, XmlError::UndefinedEntity { pos: Pos { line: 2, column: 4 }, name: "nbsp".into() });
        let declaration = parse("<a>中\r\n<b/>é<?xml version='1.0'?></a>".as_bytes(), &limits).unwrap_err();
        let message = "an XML declaration is allowed only at the start of the document".to_string();
        assert_eq!(declaration, XmlError::Malformed { pos: Pos { line: 2, column: 6 }, message });
        let outside = parse("<a>中</a>\r\n文x".as_bytes(), &limits).unwrap_err();
        let message = "text outside the root element".to_string();
        assert_eq!(outside, XmlError::Malformed { pos: Pos { line: 1, column: 9 }, message });
        // An element after them is still where it is.
        let root = parse("<a>\r\n中&amp;文<b/>é\r\n  <c/></a>".as_bytes(), &limits).unwrap();
        let at: Vec<Pos> = root.elements().map(|e| e.pos).collect();
        assert_eq!(at, [Pos { line: 2, column: 8 }, Pos { line: 3, column: 3 }]);
    }

    /// A namespace declared twice on one element is refused, among few declarations
    /// (compared directly) and among many (by hash), the default one too.
    #[test]
    fn a_namespace_declared_twice_is_refused() {
        let twice = |prefix: &str| XmlError::Malformed {
            pos: Pos { line: 1, column: 1 },
            message: format!("namespace '{prefix}' declared twice"),
        };
        let many: String = (0..9).map(|i| format!(" xmlns:p{i}='urn:{i}'")).collect();
        for (doc, prefix) in [
            ("<a xmlns:p='urn:1' xmlns:p='urn:2'/>".to_string(), "p"),
            ("<a xmlns='urn:1' xmlns:q='urn:q' xmlns='urn:1'/>".to_string(), "xmlns"),
            (format!("<a{many} xmlns:p3='urn:x'/>"), "p3"),
            (format!("<a xmlns='urn:d'{many} xmlns='urn:e'/>"), "xmlns"),
        ] {
            assert_eq!(parse(doc.as_bytes(), &Limits::default()), Err(twice(prefix)), "{doc}");
        }
        let distinct: String = (0..20).map(|i| format!(" xmlns:p{i}='urn:x'")).collect();
        assert!(parse(format!("<a xmlns='urn:x'{distinct}/>").as_bytes(), &Limits::default()).is_ok());
    }

    #[test]
    fn doctype_is_refused() {
        let doc = "<?xml version='1.0'?>\n<!DOCTYPE a [<!ENTITY x 'boom'>]>\n<a>&x;</a>";
        assert!(matches!(
            parse(doc.as_bytes(), &Limits::default()),
            Err(XmlError::Doctype { pos: Pos { line: 2, .. } })
        ));
    }

    #[test]
    fn an_xml_declaration_is_allowed_only_at_the_start() {
        let limits = Limits::default();
        let misplaced = |line, column| XmlError::Malformed {
            pos: Pos { line, column },
            message: "an XML declaration is allowed only at the start of the document".into(),
        };
        assert_eq!(parse(b"<a><?xml version='1.0'?></a>", &limits).unwrap_err(), misplaced(1, 4));
        assert_eq!(parse(b"\n<?xml version='1.0'?><a/>", &limits).unwrap_err(), misplaced(2, 1));
        assert_eq!(parse(b"<?xml version='1.0'?><?xml version='1.0'?><a/>", &limits).unwrap_err(), misplaced(1, 22));
        let with_bom = parse(b"\xEF\xBB\xBF<?xml version='1.0' encoding='UTF-8'?><a/>", &limits).expect("BOM");
        assert_eq!(with_bom.local, "a");
    }

    #[test]
    fn undefined_entity_is_refused() {
        let err = parse(b"<a>&nbsp;</a>", &Limits::default()).unwrap_err();
        assert_eq!(err, XmlError::UndefinedEntity { pos: Pos { line: 1, column: 4 }, name: "nbsp".into() });
    }

    #[test]
    fn depth_and_count_limits_hold() {
        let limits = Limits { max_depth: 3, ..Limits::default() };
        assert!(matches!(parse(b"<a><b><c><d/></c></b></a>", &limits), Err(XmlError::TooDeep { limit: 3, .. })));
        let limits = Limits { max_elements: 2, ..Limits::default() };
        assert!(matches!(parse(b"<a><b/><c/></a>", &limits), Err(XmlError::TooManyElements { limit: 2, .. })));
    }

    /// Attributes are bounded per element and per document before any is decoded, and
    /// duplicates are found by hash: 100,000 attributes on one element are refused at the
    /// limit (the work is bounded by the limit, not by what was sent).
    #[test]
    fn attributes_are_bounded_and_duplicates_found_in_linear_time() {
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
        let doc = format!("<root{many}/>");
        let refused = parse(doc.as_bytes(), &Limits::default());
        assert!(
            matches!(refused, Err(XmlError::TooManyAttributes { limit: 256, per_element: true, .. })),
            "{refused:?}"
        );
        assert_eq!(refused.map_err(|e| e.code()).err(), Some("xml.too_many_attributes"));
        let limits = Limits { max_attributes: 5, ..Limits::default() };
        let spread = b"<r a=\"1\" b=\"2\"><s c=\"3\" d=\"4\"/><t e=\"5\" f=\"6\"/></r>";
        assert!(matches!(
            parse(spread, &limits),
            Err(XmlError::TooManyAttributes { limit: 5, per_element: false, .. })
        ));
        let at_limit: String = (0..256).map(|i| format!(" a{i}=\"v\"")).collect();
        assert!(parse(format!("<root{at_limit}/>").as_bytes(), &Limits::default()).is_ok());
        for dup in [
            &b"<r a=\"1\" a=\"2\"/>"[..],
            b"<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:a=\"1\" q:a=\"2\"/>",
            b"<r xmlns:p=\"urn:x\" xmlns:p=\"urn:y\"/>",
            b"<r xmlns=\"urn:x\" xmlns=\"urn:y\"/>",
        ] {
            let e = parse(dup, &Limits::default()).expect_err("a duplicate");
            assert_eq!(e.code(), "xml.malformed", "{}", String::from_utf8_lossy(dup));
        }
        // Past eight attributes duplicates are found by hash: one among the first eight and
        // one after, two after, and two by expanded name, are all refused.
        let many = |extra: &str| {
            let first: String = (0..9).map(|i| format!(" a{i}=\"v\"")).collect();
            format!("<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\"{first} b=\"1\"{extra}/>")
        };
        for extra in [" a0=\"w\"", " b=\"2\"", " p:c=\"1\" q:c=\"2\""] {
            let e = parse(many(extra).as_bytes(), &Limits::default()).expect_err("a duplicate");
            assert_eq!(e.code(), "xml.malformed", "{extra}");
        }
        assert!(parse(many(" p:c=\"1\" c=\"2\"").as_bytes(), &Limits::default()).is_ok());
        // The same local name in two namespaces is two attributes.
        assert!(parse(b"<r xmlns:p=\"urn:x\" a=\"1\" p:a=\"2\"/>", &Limits::default()).is_ok());
        let limits = Limits { max_bytes: 5, ..Limits::default() };
        assert_eq!(parse(b"<a></a>", &limits), Err(XmlError::TooLarge { size: 7, limit: 5 }));
    }

    /// Bindings end with their element, an inner one shadows an outer one for its subtree
    /// only, and an empty prefix binds nothing (it is not the default namespace).
    #[test]
    fn namespace_bindings_are_scoped_to_their_element() {
        let doc = "<a xmlns='urn:d' xmlns:p='urn:1'><p:b xmlns:p='urn:2'><p:c/></p:b><p:d/><e xmlns=''/><f/></a>";
        let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
        let ns = |e: &Element| e.ns.as_deref().map(str::to_string);
        let b = root.elements().next().unwrap();
        assert_eq!((ns(b), ns(b.elements().next().unwrap())), (Some("urn:2".into()), Some("urn:2".into())));
        let rest: Vec<_> = root.elements().skip(1).map(ns).collect();
        assert_eq!(rest, [Some("urn:1".into()), None, Some("urn:d".into())]);
        // The default namespace undeclared, declared again below, and back out: each
        // element in its own scope's; an unprefixed attribute in none, whatever the default.
        let doc = "<a xmlns='urn:d' k='1'><b xmlns=''><c xmlns='urn:e' k='2'><g/></c><h/></b><i/></a>";
        let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
        let b = root.elements().next().unwrap();
        let c = b.elements().next().unwrap();
        let seen = [ns(&root), ns(b), ns(c), ns(c.elements().next().unwrap()), ns(b.elements().nth(1).unwrap())];
        assert_eq!(seen, [Some("urn:d".into()), None, Some("urn:e".into()), Some("urn:e".into()), None]);
        assert_eq!(ns(root.elements().nth(1).unwrap()), Some("urn:d".into()));
        assert_eq!((root.attrs[0].ns.clone(), c.attrs[0].ns.clone()), (None, None));
        for bad in [&b"<a xmlns:='urn:x'/>"[..], b"<a xmlns='urn:d'><:b/></a>"] {
            assert!(parse(bad, &Limits::default()).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(
            parse(b"<a><p:b xmlns:q='urn:q'/></a>", &Limits::default()),
            Err(XmlError::UnboundPrefix { .. })
        ));
    }

    /// A character XML 1.0 does not allow is refused where it stands, written as it is or
    /// by a character reference, in text, an attribute, a comment or a processing
    /// instruction; every other character is read, whatever its UTF-8 lead byte.
    #[test]
    fn characters_xml_does_not_allow_are_refused_where_they_stand() {
        let refused = |doc: &str| match parse(doc.as_bytes(), &Limits::default()) {
            Err(XmlError::Malformed { pos, message }) => (pos.line, pos.column, message),
            other => panic!("{doc:?}: {other:?}"),
        };
        let bel = "U+0007 is not a character XML 1.0 allows".to_string();
        assert_eq!(refused("<a>x\u{7}</a>"), (1, 5, bel.clone()));
        assert_eq!(refused("<a>\n <b c='\u{7}'/></a>"), (2, 8, bel.clone()));
        assert_eq!(refused("<a><!-- \u{7} --></a>"), (1, 9, bel.clone()));
        assert_eq!(refused("<a><?p \u{7}?></a>"), (1, 8, bel.clone()));
        assert_eq!(refused("<a>\u{1b}[31m</a>").2, "U+001B is not a character XML 1.0 allows");
        assert_eq!(refused("<a>&#7;</a>").2, bel);
        // quick-xml refuses a reference to U+0000 itself.
        assert_eq!(refused("<a>&#x0;</a>").2, "invalid character reference: 0x0 character is not permitted in XML");
        assert_eq!(refused("<a b='x&#x1B;'/>").2, "U+001B is not a character XML 1.0 allows");
        assert_eq!(refused("<a>&#xFFFE;</a>").2, "U+FFFE is not a character XML 1.0 allows");
        assert_eq!(refused("<a>\u{FFFF}</a>").2, "U+FFFF is not a character XML 1.0 allows");
        // Past a 64-byte chunk, and in one that begins inside a character.
        let long = format!("<a>{}\u{7}</a>", "中".repeat(30));
        assert_eq!(refused(&long), (1, 34, bel));
        for fine in [
            "<a>\t\r\n&#9;&#10;&#13;</a>",
            "<a b='&#x9;'>\u{FFFD}\u{10000}\u{10FFFF}</a>",
            "<a>ＣＮＡＳ\u{F900}\u{FEFF}\u{FF5E}</a>",
        ] {
            assert!(parse(fine.as_bytes(), &Limits::default()).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn malformed_and_unbound_are_errors() {
        assert!(matches!(parse(b"<a><b></a>", &Limits::default()), Err(XmlError::Malformed { .. })));
        assert!(matches!(parse(b"<q:a/>", &Limits::default()), Err(XmlError::UnboundPrefix { .. })));
        assert!(matches!(parse(b"<a/><b/>", &Limits::default()), Err(XmlError::Malformed { .. })));
        assert!(matches!(parse(b"<a x='1' x='2'/>", &Limits::default()), Err(XmlError::Malformed { .. })));
        assert_eq!(parse(b"  ", &Limits::default()), Err(XmlError::NoRoot));
    }

    /// What quick-xml reads and XML 1.0 does not allow is refused where it stands, as
    /// xmllint refuses it (found by review: a signed certificate with no space between two
    /// attributes verified "valid"): attributes not separated by white space, `]]>` in text,
    /// `<` in an attribute value. What XML allows beside them is read.
    #[test]
    fn what_quick_xml_lets_through_and_xml_does_not_allow_is_refused() {
        for (bad, pos, message) in [
            (&b"<r a=\"1\"b=\"2\"/>"[..], "1:9", "the attribute a=\"1\" is followed by 'b', not by white space"),
            (b"<r a='1'b='2'></r>", "1:9", "the attribute a='1' is followed by 'b', not by white space"),
            (
                b"<r>\n <e x=\"it's\" y = 'say \"hi\"'z=\"\"/></r>",
                "2:28",
                "the attribute y = 'say \"hi\"' is followed by 'z', not by white space",
            ),
            (b"<r a=\"1\"/ >", "1:9", "the attribute a=\"1\" is followed by '/', not by white space"),
            (
                b"<r a=\"1\"\xe4\xb8\xad=\"2\"/>",
                "1:9",
                "the attribute a=\"1\" is followed by '\u{4e2d}', not by white space",
            ),
            (b"<r>]]></r>", "1:4", "']]>' is not allowed in text (XML 1.0 \u{a7}2.4); write ']]&gt;'"),
            (b"<r>x\n ab]]>c</r>", "2:4", "']]>' is not allowed in text (XML 1.0 \u{a7}2.4); write ']]&gt;'"),
            (b"<r><e/>]]]></r>", "1:9", "']]>' is not allowed in text (XML 1.0 \u{a7}2.4); write ']]&gt;'"),
            (b"<r a=\"<\"/>", "1:7", "'<' in the value of attribute 'a' (XML 1.0 [10]); write '&lt;'"),
            (
                b"<r>\n<e c='1' b = 'x<y'/></r>",
                "2:16",
                "'<' in the value of attribute 'b' (XML 1.0 [10]); write '&lt;'",
            ),
            (b"<r a='\"' b=\"'<\"/>", "1:14", "'<' in the value of attribute 'b' (XML 1.0 [10]); write '&lt;'"),
            (b"<a/><![CDATA[ ]]>", "1:5", "a CDATA section or a reference outside the document element"),
            (b"<a/>\n<![CDATA[]]>", "2:1", "a CDATA section or a reference outside the document element"),
            (b"<![CDATA[]]><a/>", "1:1", "a CDATA section or a reference outside the document element"),
            (
                b"<?xml version=\"1.0\"?>\n<![CDATA[]]><a/>",
                "2:1",
                "a CDATA section or a reference outside the document element",
            ),
            (b"<a/>&#32;", "1:5", "a CDATA section or a reference outside the document element"),
            (b"<a/> &#xd;&#xa;", "1:6", "a CDATA section or a reference outside the document element"),
            (b"&#x20;<a/>", "1:1", "a CDATA section or a reference outside the document element"),
            (b"<a/>&amp;", "1:5", "a CDATA section or a reference outside the document element"),
        ] {
            let text = String::from_utf8_lossy(bad);
            match parse(bad, &Limits::default()) {
                Err(XmlError::Malformed { pos: at, message: m }) => {
                    assert_eq!((at.to_string(), m.as_str()), (pos.to_string(), message), "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        for good in [
            &b"<r a=\"1\" b=\"2\"/>"[..],
            b"<r a=\"1\"\n\tb='2' />",
            b"<r a = \"1\"\r\nb = '2'></r>",
            b"<r x=\"it's\" y='say \"hi\"'/>",
            b"<r>]]&gt; ]] > ]]]</r>",
            b"<r>]]<!---->></r>",
            b"<r><![CDATA[x]]]]><![CDATA[>]]></r>",
            b"<r a=\"]]>\" b=\"&lt;\" c='>'/>",
            b"<r><!-- ]]> --><?pi ]]>?></r>",
            b"\n <a>&#32;<![CDATA[ ]]></a>\n\t<!-- c --> <?pi x?>\r\n",
        ] {
            let text = String::from_utf8_lossy(good);
            assert!(parse(good, &Limits::default()).is_ok(), "{text}: {:?}", parse(good, &Limits::default()));
        }
    }
}
