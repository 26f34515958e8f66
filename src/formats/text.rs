//! What no text of a certificate document holds, wherever in the document it stands: a
//! character that acts on a page or a terminal rather than showing itself
//! ([`crate::model::is_hidden_control`]). The model holds the texts it carries to the same
//! rule field by field; this holds every other text a signed document carries and a
//! verification passes over — an IAF record's identity number, a credential's id, an
//! assessment's topic, a comment (found by attack: tag characters and bidirectional
//! controls in such fields verified "valid" and were kept in the log).
//!
//! Readers call it on the whole document before reading any field; it never reads a field.

use super::FormatError;
use super::json::Json;
use crate::model::first_hidden as hidden;
use crate::xml::{Element, Node};

/// The way down to one node of a walk, kept as breadcrumbs (each step and the index of
/// its parent's) and spelled out as a path only for a node found holding a hidden
/// character: building every node's path as the walk went was a string per node, for the
/// one path in a refusal.
struct Crumbs<'v> {
    steps: Vec<(Option<usize>, Step<'v>)>,
}

/// One step down: to an element or a member by its name, or to an array's item.
#[derive(Clone, Copy)]
enum Step<'v> {
    Name(&'v str),
    Index(usize),
}

impl<'v> Crumbs<'v> {
    fn new() -> Self {
        Self { steps: Vec::new() }
    }

    /// A step below `parent` (`None` at the top); its index, for the steps below it.
    fn push(&mut self, parent: Option<usize>, step: Step<'v>) -> usize {
        self.steps.push((parent, step));
        self.steps.len() - 1
    }

    /// The path to step `at`: `/name/0/name`.
    fn path(&self, at: usize) -> String {
        let mut down = Vec::new();
        let mut at = Some(at);
        while let Some(&(parent, step)) = at.and_then(|i| self.steps.get(i)) {
            down.push(match step {
                Step::Name(name) => name.to_string(),
                Step::Index(i) => i.to_string(),
            });
            at = parent;
        }
        down.iter().rev().fold(String::new(), |path, step| path + "/" + step)
    }
}

/// Refuses an XML document (from its root) any of whose texts, attribute values, comments or
/// processing instructions holds a hidden character, said at the element that holds it.
pub fn xml_shows_itself(root: &Element) -> Result<(), FormatError> {
    // Depth-first with an explicit stack: the reader bounds depth, but a walk need not
    // recurse at all. Each entry is an element and its step in the crumbs.
    let mut crumbs = Crumbs::new();
    let mut stack = vec![(root, crumbs.push(None, Step::Name(&root.local)))];
    while let Some((e, at)) = stack.pop() {
        let refuse = |c: char, path: String| FormatError::HiddenText { pos: Some(e.pos), path, code: u32::from(c) };
        for a in &e.attrs {
            if let Some(c) = hidden(&a.value).or_else(|| hidden(&a.local)) {
                return Err(refuse(c, format!("{}/@{}", crumbs.path(at), a.local)));
            }
        }
        for (p, uri) in &e.ns_decls {
            if let Some(c) = hidden(uri).or_else(|| p.as_deref().and_then(hidden)) {
                return Err(refuse(c, format!("{}/@xmlns", crumbs.path(at))));
            }
        }
        if let Some(c) = hidden(&e.local).or_else(|| e.prefix.as_deref().and_then(hidden)) {
            return Err(refuse(c, crumbs.path(at)));
        }
        for node in &e.children {
            let found = match node {
                Node::Element(child) => {
                    stack.push((child, crumbs.push(Some(at), Step::Name(&child.local))));
                    None
                }
                Node::Text(t) | Node::Comment(t) => hidden(t),
                Node::ProcessingInstruction(pi) => hidden(&pi.target).or_else(|| hidden(&pi.content)),
            };
            if let Some(c) = found {
                return Err(refuse(c, crumbs.path(at)));
            }
        }
    }
    Ok(())
}

/// Refuses a JSON document any of whose strings or member names holds a hidden character,
/// said by its path (`credentialSubject/assessment/0/conformityTopic`).
pub fn json_shows_itself(value: &Json<'_>) -> Result<(), FormatError> {
    let mut crumbs = Crumbs::new();
    // The top value has no step of its own: its members' parent is `None`.
    let mut stack = vec![(value, None)];
    let refuse = |c: char, path: String| FormatError::HiddenText { pos: None, path, code: u32::from(c) };
    while let Some((v, at)) = stack.pop() {
        match v {
            Json::String(s) => {
                if let Some(c) = hidden(s) {
                    return Err(refuse(c, at.map(|at| crumbs.path(at)).unwrap_or_default()));
                }
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    stack.push((item, Some(crumbs.push(at, Step::Index(i)))));
                }
            }
            Json::Object(members) => {
                for (name, member) in members {
                    let step = crumbs.push(at, Step::Name(name));
                    if let Some(c) = hidden(name) {
                        return Err(refuse(c, crumbs.path(step)));
                    }
                    stack.push((member, Some(step)));
                }
            }
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Limits;

    fn path_of(result: Result<(), FormatError>) -> (String, u32) {
        match result {
            Err(FormatError::HiddenText { path, code, .. }) => (path, code),
            other => panic!("{other:?}"),
        }
    }

    /// The path of a refusal names the node that holds the character, wherever the walk
    /// found it: an attribute, a namespace declaration, a text deep down, an element beside
    /// others already walked; and nothing is refused where nothing is hidden.
    #[test]
    fn xml_refusals_name_the_node_that_holds_the_character() {
        let xml = |doc: &str| xml_shows_itself(&crate::xml::parse(doc.as_bytes(), &Limits::default()).expect(doc));
        assert_eq!(path_of(xml("<a><b><c x='1' y='z\u{202E}'/></b><d/></a>")), ("/a/b/c/@y".into(), 0x202E));
        assert_eq!(path_of(xml("<a><b/><d xmlns:p='urn:\u{200B}'/></a>")), ("/a/d/@xmlns".into(), 0x200B));
        assert_eq!(path_of(xml("<a><b><c>x</c></b><b><c>y\u{85}</c></b></a>")), ("/a/b/c".into(), 0x85));
        assert_eq!(path_of(xml("<a>\u{7F}<b/></a>")), ("/a".into(), 0x7F));
        assert_eq!(xml("<a><b c='中文'>ＣＮＡＳ é</b><!-- ok --></a>"), Ok(()));
    }

    #[test]
    fn json_refusals_name_the_value_that_holds_the_character() {
        let json = |doc: &str| super::super::json::parse(doc.as_bytes(), &Limits::default()).map(|_| ());
        assert_eq!(path_of(json("\"\u{202E}\"")), (String::new(), 0x202E));
        assert_eq!(path_of(json("[[\"ok\", \"\u{85}\"]]")), ("/0/1".into(), 0x85));
        assert_eq!(path_of(json("{\"a\": [{\"b\": 1}, {\"c\": {\"d\": \"\u{E000}\"}}]}")), ("/a/1/c/d".into(), 0xE000));
        assert_eq!(path_of(json("{\"a\": {\"x\u{2065}\": 1}}")), ("/a/x\u{2065}".into(), 0x2065));
        assert_eq!(json("{\"a\": [\"中文\", {\"b\": \"é\"}], \"c\": null}"), Ok(()));
    }
}
