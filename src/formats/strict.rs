//! Strict readers shared by the formats: an element-sequence cursor for XML and a
//! field-by-field reader for JSON objects. Both refuse what they do not expect, and say where.

use super::FormatError;
use super::json::Json;
use crate::ids::IdError;
use crate::xml::{Element, Node, Pos};
use std::borrow::Cow;

/// The errors a reader found so far. A value that does not read (a date, a code, a value
/// not in its list) is noted and reading goes on; what the rest of the document cannot be
/// read without (an XML element missing or out of place, a JSON member that is not an
/// object) ends the reading.
#[derive(Default)]
pub struct Found(pub Vec<FormatError>);

impl Found {
    pub fn value<T>(&mut self, read: Result<T, FormatError>) -> Option<T> {
        read.map_err(|e| self.0.push(e)).ok()
    }

    pub fn ending(mut self, e: FormatError) -> Vec<FormatError> {
        self.0.push(e);
        self.0
    }

    /// The first of `errors`, for a reader that stops at one (a reading that fails finds
    /// at least one; an empty list is still a refusal, never a panic).
    pub fn first(mut errors: Vec<FormatError>) -> FormatError {
        if errors.is_empty() {
            FormatError::Invalid { pos: None, path: "/".into(), message: "the document does not read".into() }
        } else {
            errors.swap_remove(0)
        }
    }
}

/// Walks the child elements of one element in order, as a schema's `xs:sequence` would.
pub struct Children<'a> {
    ns: Option<&'static str>,
    path: String,
    parent_pos: Pos,
    items: Vec<&'a Element>,
    next: usize,
    /// Names consumed or tried so far, for "expected …" messages.
    expected: Vec<&'static str>,
}

impl<'a> Children<'a> {
    /// The children of an element that carries no attribute: refuses any attribute on it
    /// and non-whitespace text between its child elements. Every element a format reads as
    /// a container is read through here, so none carries an attribute that is signed and
    /// never read (found by attack: `<certification_site status="withdrawn">` was read as a
    /// certified site, and dropped from every translation without a loss report).
    pub fn new(parent: &'a Element, ns: Option<&'static str>, path: &str) -> Result<Self, FormatError> {
        only_attrs(parent, path, &[])?;
        Self::of_root(parent, ns, path)
    }

    /// The children of a document element, whose own attributes its reader checks.
    pub fn of_root(parent: &'a Element, ns: Option<&'static str>, path: &str) -> Result<Self, FormatError> {
        for node in &parent.children {
            if let Node::Text(t) = node
                && !t.chars().all(crate::xml::is_xml_space)
            {
                return Err(FormatError::UnexpectedText { pos: parent.pos, path: path.to_string() });
            }
        }
        Ok(Self {
            ns,
            path: path.to_string(),
            parent_pos: parent.pos,
            items: parent.elements().collect(),
            next: 0,
            expected: Vec::new(),
        })
    }

    fn matches(&self, e: &Element, name: &str) -> bool {
        e.local == name && e.ns.as_deref() == self.ns
    }

    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() { name.to_string() } else { format!("{}/{name}", self.path) }
    }

    /// The next element if it is `name`.
    pub fn opt(&mut self, name: &'static str) -> Option<&'a Element> {
        self.expected.push(name);
        let e = *self.items.get(self.next)?;
        if self.matches(e, name) {
            self.next += 1;
            self.expected.clear();
            Some(e)
        } else {
            None
        }
    }

    /// The next element, which must be `name`.
    pub fn req(&mut self, name: &'static str) -> Result<&'a Element, FormatError> {
        match self.opt(name) {
            Some(e) => Ok(e),
            None => match self.items.get(self.next) {
                Some(e) => Err(self.unexpected(e)),
                None => {
                    Err(FormatError::Missing { pos: Some(self.parent_pos), path: self.path_of(name), what: "element" })
                }
            },
        }
    }

    /// All consecutive elements named `name`.
    pub fn many(&mut self, name: &'static str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        while let Some(e) = self.opt(name) {
            out.push(e);
        }
        self.expected.push(name);
        out
    }

    /// Peeks at the next element, whatever it is.
    pub fn peek(&self) -> Option<&'a Element> {
        self.items.get(self.next).copied()
    }

    pub fn skip(&mut self) {
        self.next += 1;
    }

    fn unexpected(&self, e: &Element) -> FormatError {
        let mut expected: Vec<&str> = self.expected.clone();
        expected.dedup();
        let expected = if expected.is_empty() {
            "no more elements".to_string()
        } else {
            expected.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" or ")
        };
        let found = match (&e.ns, self.ns) {
            (Some(ns), Some(want)) if ns.as_ref() != want => format!("{{{ns}}}{}", e.local),
            (Some(ns), None) => format!("{{{ns}}}{}", e.local),
            _ => e.local.clone(),
        };
        FormatError::UnexpectedElement { pos: e.pos, path: self.path.clone(), found, expected }
    }

    /// Every child must have been consumed.
    pub fn finish(self) -> Result<(), FormatError> {
        match self.items.get(self.next) {
            Some(e) => Err(self.unexpected(e)),
            None => Ok(()),
        }
    }
}

/// Refuses attributes other than `allowed` (namespace declarations are not attributes).
pub fn only_attrs(e: &Element, path: &str, allowed: &[&str]) -> Result<(), FormatError> {
    for a in &e.attrs {
        if a.ns.is_some() || !allowed.contains(&a.local.as_str()) {
            let name = match &a.prefix {
                Some(p) => format!("{p}:{}", a.local),
                None => a.local.clone(),
            };
            return Err(FormatError::UnexpectedAttribute { pos: e.pos, path: path.to_string(), name });
        }
    }
    Ok(())
}

/// The text of an element that must hold only text: trimmed, non-empty, no attributes.
pub fn leaf(e: &Element, path: &str) -> Result<String, FormatError> {
    only_attrs(e, path, &[])?;
    leaf_with_attrs(e, path)
}

/// Like [`leaf`] but leaves attribute checks to the caller.
pub fn leaf_with_attrs(e: &Element, path: &str) -> Result<String, FormatError> {
    if let Some(child) = e.elements().next() {
        return Err(FormatError::UnexpectedElement {
            pos: child.pos,
            path: path.to_string(),
            found: child.local.clone(),
            expected: "text only".into(),
        });
    }
    let text = e.text();
    // XML's white space only, as its schemas' `\S` reads it: a no-break or ideographic
    // space at either end is a character of the text (found by attack: `str::trim` took
    // them off, and the text changed with no loss reported).
    let text = text.trim_matches(crate::xml::is_xml_space);
    if text.is_empty() {
        return Err(FormatError::Missing { pos: Some(e.pos), path: path.to_string(), what: "text" });
    }
    Ok(text.to_string())
}

/// Wraps an identifier error with where it occurred.
pub fn id_err(pos: Option<Pos>, path: &str) -> impl FnOnce(IdError) -> FormatError + '_ {
    move |source| FormatError::Id { pos, path: path.to_string(), source }
}

/// Reads the fields of one JSON object; any key not read is an error at [`Object::finish`].
pub struct Object<'a> {
    path: String,
    members: &'a [(Cow<'a, str>, Json<'a>)],
    seen: Vec<&'a str>,
}

impl<'a> Object<'a> {
    pub fn new(value: &'a Json<'a>, path: &str) -> Result<Self, FormatError> {
        let members = value.as_object().ok_or_else(|| FormatError::Invalid {
            pos: None,
            path: path.to_string(),
            message: "must be a JSON object".into(),
        })?;
        Ok(Self { path: path.to_string(), members, seen: Vec::new() })
    }

    pub fn path_of(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    pub fn opt_value(&mut self, key: &'a str) -> Option<&'a Json<'a>> {
        self.seen.push(key);
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| !v.is_null())
    }

    pub fn req_value(&mut self, key: &'a str) -> Result<&'a Json<'a>, FormatError> {
        self.opt_value(key).ok_or_else(|| FormatError::Missing { pos: None, path: self.path_of(key), what: "field" })
    }

    pub fn opt_str(&mut self, key: &'a str) -> Result<Option<String>, FormatError> {
        match self.opt_value(key) {
            None => Ok(None),
            Some(Json::String(s)) if !s.trim().is_empty() => Ok(Some(s.to_string())),
            Some(Json::String(_)) => Err(FormatError::Missing { pos: None, path: self.path_of(key), what: "text" }),
            Some(_) => {
                Err(FormatError::Invalid { pos: None, path: self.path_of(key), message: "must be a string".into() })
            }
        }
    }

    pub fn req_str(&mut self, key: &'a str) -> Result<String, FormatError> {
        self.opt_str(key)?.ok_or_else(|| FormatError::Missing { pos: None, path: self.path_of(key), what: "field" })
    }

    /// A text of the certificate (a name, a scope, a standard), read as an XML format reads
    /// its element's text ([`leaf`]): without XML white space at either end. Found by
    /// attack: a JSON name with spaces and a line feed around it was rendered into CN XML its
    /// schema refuses, and read back from it trimmed, changed with no loss reported.
    pub fn opt_text(&mut self, key: &'a str) -> Result<Option<String>, FormatError> {
        Ok(self.opt_str(key)?.map(|s| s.trim_matches(crate::xml::is_xml_space).to_string()))
    }

    /// [`Object::opt_text`], required.
    pub fn req_text(&mut self, key: &'a str) -> Result<String, FormatError> {
        self.opt_text(key)?.ok_or_else(|| FormatError::Missing { pos: None, path: self.path_of(key), what: "field" })
    }

    pub fn opt_array(&mut self, key: &'a str) -> Result<&'a [Json<'a>], FormatError> {
        match self.opt_value(key) {
            None => Ok(&[]),
            Some(Json::Array(a)) => Ok(a),
            Some(_) => {
                Err(FormatError::Invalid { pos: None, path: self.path_of(key), message: "must be an array".into() })
            }
        }
    }

    /// Ends reading an object whose schema leaves it open (`additionalProperties`): members
    /// not read are accepted. A reader that does this must report them lost itself (as
    /// [`super::untp_dcc::read`] does), never drop them silently.
    pub fn finish_open(self) {}

    /// Ends reading an object whose schema defines `defined` beside the members read:
    /// those are accepted unread (and reported lost by the reader); any other member is
    /// refused, as the schema refuses it.
    pub fn finish_defined(mut self, defined: &[&'a str]) -> Result<(), FormatError> {
        self.seen.extend_from_slice(defined);
        self.finish()
    }

    pub fn finish(self) -> Result<(), FormatError> {
        if let Some((key, _)) = self.members.iter().find(|(k, _)| !self.seen.contains(&k.as_ref())) {
            return Err(FormatError::Invalid {
                pos: None,
                path: format!("{}/{key}", self.path),
                message: "unexpected field".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first error stops a reader; none found is still a refusal, never a panic.
    #[test]
    fn the_first_of_the_errors_found() {
        let missing = |path: &str| FormatError::Missing { pos: None, path: path.into(), what: "field" };
        assert_eq!(Found::first(vec![missing("/a"), missing("/b")]), missing("/a"));
        assert_eq!(Found::first(Vec::new()).code(), "format.invalid");
    }
}
