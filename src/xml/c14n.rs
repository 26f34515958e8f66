//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, with and without comments,
//! over a whole document or one element's subtree, optionally leaving out one element (the
//! enveloped-signature transform).
//!
//! Works on the bounded tree the `xml` module reads; never re-parses, never expands anything.
//! Output is the exact octet stream the W3C recommendations define, so that digests computed
//! here match any conforming implementation (checked against the W3C merlin vectors and
//! against xmlsec1 on real signed documents).

use super::{Document, Element, Node, XML_NS, escape_attr, escape_text};
use std::collections::BTreeMap;

pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const C14N_WITH_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// Which canonicalization, as named by an XML-DSig `Algorithm` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    pub exclusive: bool,
    pub with_comments: bool,
    /// Exclusive only: the InclusiveNamespaces PrefixList (`#default` for the default namespace).
    pub inclusive_prefixes: Vec<String>,
}

impl Method {
    /// The method an algorithm URI names, or `None` for anything else (C14N 1.1 included).
    pub fn from_uri(uri: &str) -> Option<Self> {
        let (exclusive, with_comments) = match uri {
            C14N => (false, false),
            C14N_WITH_COMMENTS => (false, true),
            EXC_C14N => (true, false),
            EXC_C14N_WITH_COMMENTS => (true, true),
            _ => return None,
        };
        Some(Self { exclusive, with_comments, inclusive_prefixes: Vec::new() })
    }

    pub fn uri(&self) -> &'static str {
        match (self.exclusive, self.with_comments) {
            (false, false) => C14N,
            (false, true) => C14N_WITH_COMMENTS,
            (true, false) => EXC_C14N,
            (true, true) => EXC_C14N_WITH_COMMENTS,
        }
    }
}

/// Prefix → namespace URI; the default namespace has the empty prefix.
type NsMap = BTreeMap<String, String>;

struct Writer<'a> {
    method: &'a Method,
    /// The element left out (enveloped signature), compared by address.
    exclude: Option<*const Element>,
    out: Vec<u8>,
}

/// Canonicalizes a whole document.
pub fn document(doc: &Document, method: &Method, exclude: Option<&Element>) -> Vec<u8> {
    let mut w = Writer { method, exclude: exclude.map(|e| e as *const _), out: Vec::with_capacity(4096) };
    for node in &doc.prolog {
        if w.misc(node) {
            w.out.push(b'\n');
        }
    }
    w.element(&doc.root, &NsMap::new(), &NsMap::new(), &[]);
    for node in &doc.epilog {
        let mark = w.out.len();
        w.out.push(b'\n');
        if !w.misc(node) {
            w.out.truncate(mark);
        }
    }
    w.out
}

/// Canonicalizes the subtree of the element at `path` (indices among element children,
/// starting below the document element; an empty path is the document element itself).
pub fn subtree(doc: &Document, path: &[usize], method: &Method, exclude: Option<&Element>) -> Option<Vec<u8>> {
    let mut ancestors: Vec<&Element> = Vec::new();
    let mut current = &doc.root;
    for &i in path {
        ancestors.push(current);
        current = current.elements().nth(i)?;
    }
    // The namespaces in scope at the apex's parent, and (inclusive only) the xml:* attributes
    // the apex inherits from its ancestors.
    let mut in_scope = NsMap::new();
    let mut inherited: BTreeMap<String, (String, String)> = BTreeMap::new();
    for a in &ancestors {
        apply_decls(&mut in_scope, a);
        for attr in &a.attrs {
            if attr.ns.as_deref() == Some(XML_NS) {
                inherited.insert(attr.local.clone(), (format!("xml:{}", attr.local), attr.value.clone()));
            }
        }
    }
    let inherited: Vec<(String, String)> = if method.exclusive {
        Vec::new()
    } else {
        inherited
            .into_iter()
            .filter(|(local, _)| !current.attrs.iter().any(|a| a.ns.as_deref() == Some(XML_NS) && &a.local == local))
            .map(|(_, v)| v)
            .collect()
    };
    let mut w = Writer { method, exclude: exclude.map(|e| e as *const _), out: Vec::with_capacity(4096) };
    w.element(current, &in_scope, &NsMap::new(), &inherited);
    Some(w.out)
}

fn apply_decls(map: &mut NsMap, e: &Element) {
    for (prefix, uri) in &e.ns_decls {
        map.insert(prefix.clone().unwrap_or_default(), uri.clone());
    }
}

fn qname(prefix: &Option<String>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_string(),
    }
}

impl Writer<'_> {
    /// Writes a comment or PI outside or inside elements; returns whether anything was written.
    fn misc(&mut self, node: &Node) -> bool {
        match node {
            Node::Comment(c) if self.method.with_comments => {
                self.out.extend_from_slice(b"<!--");
                self.out.extend_from_slice(c.as_bytes());
                self.out.extend_from_slice(b"-->");
                true
            }
            Node::ProcessingInstruction { target, content } => {
                self.out.extend_from_slice(b"<?");
                self.out.extend_from_slice(target.as_bytes());
                if !content.is_empty() {
                    self.out.push(b' ');
                    self.out.extend_from_slice(content.as_bytes());
                }
                self.out.extend_from_slice(b"?>");
                true
            }
            _ => false,
        }
    }

    /// `parent_scope`: namespaces in scope at the parent. `rendered`: namespaces as the
    /// nearest output ancestor rendered them.
    fn element(&mut self, e: &Element, parent_scope: &NsMap, rendered: &NsMap, inherited_xml: &[(String, String)]) {
        let mut scope = parent_scope.clone();
        apply_decls(&mut scope, e);

        // Which namespace declarations this element carries in the output.
        let mut decls: Vec<(String, String)> = Vec::new();
        let differs = |prefix: &str, uri: &str| -> bool {
            let before = rendered.get(prefix).map(String::as_str).unwrap_or("");
            before != uri
        };
        if self.method.exclusive {
            let mut utilized: Vec<String> = vec![e.prefix.clone().unwrap_or_default()];
            for a in &e.attrs {
                if let Some(p) = &a.prefix
                    && p != "xml"
                {
                    utilized.push(p.clone());
                }
            }
            for p in &self.method.inclusive_prefixes {
                let p = if p == "#default" { String::new() } else { p.clone() };
                // Inclusive prefixes are rendered as canonical XML would: only when declared.
                if scope.contains_key(&p) {
                    utilized.push(p);
                }
            }
            utilized.sort();
            utilized.dedup();
            for p in utilized {
                let uri = scope.get(&p).cloned().unwrap_or_default();
                if differs(&p, &uri) {
                    decls.push((p, uri));
                }
            }
        } else {
            for (p, uri) in &scope {
                if p == "xml" {
                    continue;
                }
                if differs(p, uri) {
                    decls.push((p.clone(), uri.clone()));
                }
            }
            // A default namespace undeclared here but rendered above must be reset.
            if !scope.contains_key("") && differs("", "") {
                decls.push((String::new(), String::new()));
            }
        }
        decls.sort();
        let mut now_rendered = rendered.clone();
        for (p, u) in &decls {
            now_rendered.insert(p.clone(), u.clone());
        }

        let name = qname(&e.prefix, &e.local);
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        let mut text = String::new();
        for (p, uri) in &decls {
            text.clear();
            if p.is_empty() {
                text.push_str(" xmlns=\"");
            } else {
                text.push_str(" xmlns:");
                text.push_str(p);
                text.push_str("=\"");
            }
            escape_attr(uri, &mut text);
            text.push('"');
            self.out.extend_from_slice(text.as_bytes());
        }
        // Attributes sorted by namespace URI (none first), then local name.
        let mut attrs: Vec<(&str, &str, String, &str)> = e
            .attrs
            .iter()
            .map(|a| (a.ns.as_deref().unwrap_or(""), a.local.as_str(), qname(&a.prefix, &a.local), a.value.as_str()))
            .collect();
        for (name, value) in inherited_xml {
            attrs.push((XML_NS, name.strip_prefix("xml:").unwrap_or(name), name.clone(), value.as_str()));
        }
        attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, qn, value) in attrs {
            text.clear();
            text.push(' ');
            text.push_str(&qn);
            text.push_str("=\"");
            escape_attr(value, &mut text);
            text.push('"');
            self.out.extend_from_slice(text.as_bytes());
        }
        self.out.push(b'>');
        for child in &e.children {
            match child {
                Node::Element(c) => {
                    if self.exclude.is_some_and(|x| std::ptr::eq(x, c)) {
                        continue;
                    }
                    self.element(c, &scope, &now_rendered, &[]);
                }
                Node::Text(t) => {
                    text.clear();
                    escape_text(t, &mut text);
                    self.out.extend_from_slice(text.as_bytes());
                }
                other => {
                    self.misc(other);
                }
            }
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, parse_document};

    fn doc(s: &str) -> Document {
        parse_document(s.as_bytes(), &Limits::default()).expect("parse")
    }

    fn c14n(s: &str, exclusive: bool, comments: bool) -> String {
        let m = Method { exclusive, with_comments: comments, inclusive_prefixes: vec![] };
        String::from_utf8(document(&doc(s), &m, None)).expect("utf8")
    }

    #[test]
    fn w3c_c14n_spec_example_3_2_start_and_end_tags() {
        // From the Canonical XML 1.0 recommendation, section 3.3 (without the DTD part).
        let input = "<doc>\n   <e1   />\n   <e2   ></e2>\n   <e3   name = \"elem3\"   id=\"elem3\"   />\n   <e5 a:attr=\"out\" b:attr=\"sorted\" attr2=\"all\" attr=\"I'm\"\n      xmlns:b=\"http://www.ietf.org\"\n      xmlns:a=\"http://www.w3.org\"\n      xmlns=\"http://example.org\"/>\n   <e6 xmlns=\"\" xmlns:a=\"http://www.w3.org\">\n      <e7 xmlns=\"http://www.ietf.org\">\n         <e8 xmlns=\"\" xmlns:a=\"http://www.w3.org\">\n            <e9 xmlns=\"\" xmlns:a=\"http://www.ietf.org\"/>\n         </e8>\n      </e7>\n   </e6>\n</doc>";
        let expected = "<doc>\n   <e1></e1>\n   <e2></e2>\n   <e3 id=\"elem3\" name=\"elem3\"></e3>\n   <e5 xmlns=\"http://example.org\" xmlns:a=\"http://www.w3.org\" xmlns:b=\"http://www.ietf.org\" attr=\"I'm\" attr2=\"all\" b:attr=\"sorted\" a:attr=\"out\"></e5>\n   <e6 xmlns:a=\"http://www.w3.org\">\n      <e7 xmlns=\"http://www.ietf.org\">\n         <e8 xmlns=\"\">\n            <e9 xmlns:a=\"http://www.ietf.org\"></e9>\n         </e8>\n      </e7>\n   </e6>\n</doc>";
        assert_eq!(c14n(input, false, false), expected);
    }

    #[test]
    fn comments_and_pis_outside_the_root() {
        let input = "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 2 -->\n\n<!-- Comment 3 -->";
        let without = "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>";
        let with = "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->";
        assert_eq!(c14n(input, false, false), without);
        assert_eq!(c14n(input, false, true), with);
    }

    #[test]
    fn character_modifications() {
        let input = "<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>\"0\" && value<\"10\" ?\"valid\":\"error\"]]></compute>\n   <compute expr='value>\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n</doc>";
        let expected = "<doc>\n   <text>First line&#xD;\nSecond line</text>\n   <value>2</value>\n   <compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute>\n   <compute expr=\"value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;\">valid</compute>\n   <norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm>\n</doc>";
        assert_eq!(c14n(input, false, false), expected);
    }

    #[test]
    fn exclusive_renders_only_visibly_used_namespaces() {
        let input = "<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\"><n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"/></n1:elem2></n0:local>";
        let d = doc(input);
        let m = Method { exclusive: true, with_comments: false, inclusive_prefixes: vec![] };
        let out = String::from_utf8(subtree(&d, &[0], &m, None).expect("subtree")).expect("utf8");
        assert_eq!(
            out,
            "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff></n1:elem2>"
        );
        let inc = Method { exclusive: false, with_comments: false, inclusive_prefixes: vec![] };
        let out = String::from_utf8(subtree(&d, &[0], &inc, None).expect("subtree")).expect("utf8");
        assert_eq!(
            out,
            "<n1:elem2 xmlns:n0=\"foo:bar\" xmlns:n1=\"http://example.net\" xmlns:n3=\"ftp://example.org\" xml:lang=\"en\"><n3:stuff></n3:stuff></n1:elem2>"
        );
    }

    #[test]
    fn excluded_element_is_left_out() {
        let d = doc("<a><b/><sig><x/></sig><c/></a>");
        let sig = d.root.elements().nth(1).expect("sig");
        let m = Method::from_uri(EXC_C14N).expect("method");
        assert_eq!(String::from_utf8(document(&d, &m, Some(sig))).expect("utf8"), "<a><b></b><c></c></a>");
    }
}
