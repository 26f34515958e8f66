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
use crate::model::is_hidden_control;
use crate::xml::{Element, Node};

/// The first hidden character in `text`, if any.
fn hidden(text: &str) -> Option<char> {
    text.chars().find(|&c| is_hidden_control(c))
}

/// Refuses an XML document (from its root) any of whose texts, attribute values, comments or
/// processing instructions holds a hidden character, said at the element that holds it.
pub fn xml_shows_itself(root: &Element) -> Result<(), FormatError> {
    // Depth-first with an explicit stack: the reader bounds depth, but a walk need not
    // recurse at all. Each entry is an element and its path.
    let mut stack = vec![(root, format!("/{}", root.local))];
    while let Some((e, path)) = stack.pop() {
        let refuse =
            |c: char, within: String| FormatError::HiddenText { pos: Some(e.pos), path: within, code: u32::from(c) };
        for a in &e.attrs {
            if let Some(c) = hidden(&a.value).or_else(|| hidden(&a.local)) {
                return Err(refuse(c, format!("{path}/@{}", a.local)));
            }
        }
        for (p, uri) in &e.ns_decls {
            if let Some(c) = hidden(uri).or_else(|| p.as_deref().and_then(hidden)) {
                return Err(refuse(c, format!("{path}/@xmlns")));
            }
        }
        if let Some(c) = hidden(&e.local).or_else(|| e.prefix.as_deref().and_then(hidden)) {
            return Err(refuse(c, path));
        }
        for node in &e.children {
            let found = match node {
                Node::Element(child) => {
                    stack.push((child, format!("{path}/{}", child.local)));
                    None
                }
                Node::Text(t) | Node::Comment(t) => hidden(t),
                Node::ProcessingInstruction(pi) => hidden(&pi.target).or_else(|| hidden(&pi.content)),
            };
            if let Some(c) = found {
                return Err(refuse(c, path.clone()));
            }
        }
    }
    Ok(())
}

/// Refuses a JSON document any of whose strings or member names holds a hidden character,
/// said by its path (`credentialSubject/assessment/0/conformityTopic`).
pub fn json_shows_itself(value: &Json<'_>) -> Result<(), FormatError> {
    let mut stack = vec![(value, String::new())];
    while let Some((v, path)) = stack.pop() {
        let refuse = |c: char, at: String| FormatError::HiddenText { pos: None, path: at, code: u32::from(c) };
        match v {
            Json::String(s) => {
                if let Some(c) = hidden(s) {
                    return Err(refuse(c, path));
                }
            }
            Json::Array(items) => {
                stack.extend(items.iter().enumerate().map(|(i, item)| (item, format!("{path}/{i}"))));
            }
            Json::Object(members) => {
                for (name, member) in members {
                    let at = format!("{path}/{name}");
                    if let Some(c) = hidden(name) {
                        return Err(refuse(c, at));
                    }
                    stack.push((member, at));
                }
            }
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }
    Ok(())
}
