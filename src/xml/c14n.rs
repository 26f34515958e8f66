//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, with and without comments,
//! over a whole document or one element's subtree, optionally leaving out one element (the
//! enveloped-signature transform).
//!
//! Works on the bounded tree the `xml` module reads; never re-parses, never expands anything.
//! Output is the exact octet stream the W3C recommendations define, so that digests computed
//! here match any conforming implementation (checked against the W3C merlin vectors and
//! against xmlsec1 on real signed documents).

use super::{Document, Element, Node, XML_NS, escape_attr_with, escape_text_with};
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

    /// The inclusive prefixes, the default namespace's (`#default`) as the empty prefix.
    fn inclusive(&self) -> impl Iterator<Item = &str> {
        self.inclusive_prefixes.iter().map(|p| if p == "#default" { "" } else { p.as_str() })
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

/// Prefix → namespace URI; the default namespace has the empty prefix. Borrowed from the
/// document (and the method's prefix list): walking a tree copies no names.
type NsMap<'d> = BTreeMap<&'d str, &'d str>;

/// Where canonical octets go: a buffer ([`Vec<u8>`]), or anything that consumes them as they
/// are written (a digest, so that a large document is never held twice).
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

struct Writer<'d, 's, S: Sink> {
    method: &'d Method,
    /// The element left out (enveloped signature), compared by address.
    exclude: Option<*const Element>,
    out: &'s mut S,
    /// Namespaces in scope at the element being written, changed on the way into an
    /// element and restored on the way out: one map for the whole walk, never a copy per
    /// element (a copy of a large scope per element would be quadratic).
    scope: NsMap<'d>,
    /// Namespaces as the nearest written ancestor rendered them, kept the same way.
    rendered: NsMap<'d>,
}

/// What entering an element changed in a map: each key and the value it had before.
type Undo<'d> = Vec<(&'d str, Option<&'d str>)>;

/// Sets `changes` in `map`, returning how to restore it.
fn set<'d>(map: &mut NsMap<'d>, changes: impl Iterator<Item = (&'d str, &'d str)>) -> Undo<'d> {
    changes.map(|(k, v)| (k, map.insert(k, v))).collect()
}

/// Restores what [`set`] changed, latest first.
fn restore<'d>(map: &mut NsMap<'d>, undo: Undo<'d>) {
    for (k, before) in undo.into_iter().rev() {
        match before {
            Some(v) => map.insert(k, v),
            None => map.remove(k),
        };
    }
}

/// Canonicalizes a whole document.
pub fn document(doc: &Document, method: &Method, exclude: Option<&Element>) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    document_into(doc, method, exclude, &mut out);
    out
}

/// Canonicalizes a whole document into `out`.
pub fn document_into(doc: &Document, method: &Method, exclude: Option<&Element>, out: &mut impl Sink) {
    let mut w =
        Writer { method, exclude: exclude.map(|e| e as *const _), out, scope: NsMap::new(), rendered: NsMap::new() };
    for node in &doc.prolog {
        // Each node before the document element is followed by a line feed.
        if w.misc(node) {
            w.out.put(b"\n");
        }
    }
    w.element(&doc.root, &[], None);
    for node in &doc.epilog {
        // And each after it preceded by one: known only once the node is written.
        if w.writes(node) {
            w.out.put(b"\n");
            w.misc(node);
        }
    }
}

/// Canonicalizes the subtree of the element at `path` (indices among element children,
/// starting below the document element; an empty path is the document element itself).
pub fn subtree(doc: &Document, path: &[usize], method: &Method, exclude: Option<&Element>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    subtree_into(doc, path, method, exclude, &mut out)?;
    Some(out)
}

/// Canonicalizes the subtree of the element at `path` into `out`; `None` (nothing written)
/// when there is no element there.
pub fn subtree_into(
    doc: &Document,
    path: &[usize],
    method: &Method,
    exclude: Option<&Element>,
    out: &mut impl Sink,
) -> Option<()> {
    let mut ancestors: Vec<&Element> = Vec::new();
    let mut current = &doc.root;
    for &i in path {
        ancestors.push(current);
        current = current.elements().nth(i)?;
    }
    // The namespaces in scope at the apex's parent, and (inclusive only) the xml:* attributes
    // the apex inherits from its ancestors.
    let mut in_scope = NsMap::new();
    let mut inherited: BTreeMap<&str, &str> = BTreeMap::new();
    for a in &ancestors {
        apply_decls(&mut in_scope, a);
        for attr in &a.attrs {
            if attr.ns.as_deref() == Some(XML_NS) {
                inherited.insert(&attr.local, &attr.value);
            }
        }
    }
    let inherited: Vec<(&str, &str)> = if method.exclusive {
        Vec::new()
    } else {
        inherited
            .into_iter()
            .filter(|(local, _)| !current.attrs.iter().any(|a| a.ns.as_deref() == Some(XML_NS) && &a.local == local))
            .collect()
    };
    let mut w =
        Writer { method, exclude: exclude.map(|e| e as *const _), out, scope: in_scope, rendered: NsMap::new() };
    w.element(current, &inherited, None);
    Some(())
}

/// String equality, first by address: a URI in scope and the one rendered for it are most
/// often the same declaration's, and comparing long namespace URIs byte by byte for every
/// element was a tenth of canonicalizing a large trusted list.
fn same(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

fn apply_decls<'d>(map: &mut NsMap<'d>, e: &'d Element) {
    for (prefix, uri) in &e.ns_decls {
        map.insert(prefix.as_deref().unwrap_or_default(), uri);
    }
}

impl<'d, S: Sink> Writer<'d, '_, S> {
    /// Whether [`Writer::misc`] writes `node` at all.
    fn writes(&self, node: &Node) -> bool {
        match node {
            Node::Comment(_) => self.method.with_comments,
            Node::ProcessingInstruction(_) => true,
            _ => false,
        }
    }

    /// Writes a comment or PI outside or inside elements; returns whether anything was written.
    fn misc(&mut self, node: &Node) -> bool {
        match node {
            Node::Comment(c) if self.method.with_comments => {
                self.out.put(b"<!--");
                self.out.put(c.as_bytes());
                self.out.put(b"-->");
                true
            }
            Node::ProcessingInstruction(pi) => {
                let super::Pi { target, content } = &**pi;
                self.out.put(b"<?");
                self.out.put(target.as_bytes());
                if !content.is_empty() {
                    self.out.put(b" ");
                    self.out.put(content.as_bytes());
                }
                self.out.put(b"?>");
                true
            }
            _ => false,
        }
    }

    fn name(&mut self, prefix: Option<&str>, local: &str) {
        if let Some(p) = prefix {
            self.out.put(p.as_bytes());
            self.out.put(b":");
        }
        self.out.put(local.as_bytes());
    }

    fn attribute(&mut self, prefix: Option<&str>, local: &str, value: &str) {
        self.out.put(b" ");
        self.name(prefix, local);
        self.out.put(b"=\"");
        escape_attr_with(value, |run| self.out.put(run.as_bytes()));
        self.out.put(b"\"");
    }

    /// `inherited_xml`: the apex's inherited `xml:*` attributes. `parent`: the parent, when
    /// it was written too (`None` at the apex, whose rendered namespaces are none while its
    /// scope may hold many).
    fn element(&mut self, e: &'d Element, inherited_xml: &[(&str, &str)], parent: Option<&'d Element>) {
        let own = e.ns_decls.iter().map(|(p, u)| (p.as_deref().unwrap_or_default(), u.as_str()));
        let scope_undo = set(&mut self.scope, own.clone());

        // Which namespace declarations this element carries in the output.
        let mut decls: Vec<(&'d str, &'d str)> = Vec::new();
        let rendered = &self.rendered;
        let differs = |prefix: &str, uri: &str| !same(rendered.get(prefix).copied().unwrap_or(""), uri);
        if self.method.exclusive {
            // Below the apex, an element declaring nothing, with its parent's prefix and no
            // other, needs nothing its parent did not render (its own prefix and the
            // inclusive prefixes, against the same scope). Looking them up for every
            // element of a large list was a seventh of canonicalizing it.
            let renders_nothing = parent.is_some_and(|parent| {
                e.ns_decls.is_empty()
                    && parent.prefix == e.prefix
                    && e.attrs.iter().all(|a| a.prefix.as_deref().is_none_or(|p| p == "xml"))
            });
            if !renders_nothing {
                let mut utilized: Vec<&'d str> = vec![e.prefix.as_deref().unwrap_or_default()];
                for a in &e.attrs {
                    if let Some(p) = a.prefix.as_deref()
                        && p != "xml"
                    {
                        utilized.push(p);
                    }
                }
                if parent.is_some() {
                    // Below a written parent, which rendered each inclusive prefix in its
                    // scope, only one this element declares can be rendered differently: the
                    // others are not looked at (found by review: 64 inclusive prefixes looked
                    // up and sorted at each of 99,000 elements cost seconds a reference).
                    for (p, _) in &e.ns_decls {
                        let p = p.as_deref().unwrap_or_default();
                        if self.method.inclusive().any(|q| q == p) {
                            utilized.push(p);
                        }
                    }
                } else {
                    for p in self.method.inclusive() {
                        // Inclusive prefixes are rendered as canonical XML would: only when declared.
                        if self.scope.contains_key(p) {
                            utilized.push(p);
                        }
                    }
                }
                utilized.sort_unstable();
                utilized.dedup();
                for p in utilized {
                    let uri = self.scope.get(p).copied().unwrap_or_default();
                    if differs(p, uri) {
                        decls.push((p, uri));
                    }
                }
            }
        } else if parent.is_some() {
            // Below a written parent, which rendered its whole scope, only what this element
            // declares can differ from what is rendered (and a default namespace can be
            // missing here only if it was at the parent, which rendered that too).
            for (p, uri) in own {
                if p != "xml" && differs(p, uri) {
                    decls.push((p, uri));
                }
            }
        } else {
            for (&p, &uri) in &self.scope {
                if p != "xml" && differs(p, uri) {
                    decls.push((p, uri));
                }
            }
            // A default namespace undeclared here but rendered above must be reset.
            if !self.scope.contains_key("") && differs("", "") {
                decls.push(("", ""));
            }
        }
        decls.sort_unstable();
        let rendered_undo = set(&mut self.rendered, decls.iter().copied());

        self.out.put(b"<");
        self.name(e.prefix.as_deref(), &e.local);
        for &(p, uri) in &decls {
            if p.is_empty() {
                self.attribute(None, "xmlns", uri);
            } else {
                self.attribute(Some("xmlns"), p, uri);
            }
        }
        // Attributes sorted by namespace URI (none first), then local name.
        if !e.attrs.is_empty() || !inherited_xml.is_empty() {
            let mut attrs: Vec<(&str, &str, Option<&str>, &str)> = e
                .attrs
                .iter()
                .map(|a| (a.ns.as_deref().unwrap_or(""), a.local.as_str(), a.prefix.as_deref(), a.value.as_str()))
                .collect();
            attrs.extend(inherited_xml.iter().map(|&(local, value)| (XML_NS, local, Some("xml"), value)));
            attrs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            for (_, local, prefix, value) in attrs {
                self.attribute(prefix, local, value);
            }
        }
        self.out.put(b">");
        for child in &e.children {
            match child {
                Node::Element(c) => {
                    if self.exclude.is_some_and(|x| std::ptr::eq(x, &**c)) {
                        continue;
                    }
                    self.element(c, &[], Some(e));
                }
                Node::Text(t) => escape_text_with(t, |run| self.out.put(run.as_bytes())),
                other => {
                    self.misc(other);
                }
            }
        }
        self.out.put(b"</");
        self.name(e.prefix.as_deref(), &e.local);
        self.out.put(b">");
        restore(&mut self.rendered, rendered_undo);
        restore(&mut self.scope, scope_undo);
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

    /// Elements declaring nothing: exclusive canonicalization still declares a prefix an
    /// element uses that its parent did not (an attribute's, the default namespace), and
    /// only that; inclusive declares everything once, at the top.
    #[test]
    fn elements_declaring_nothing_render_only_what_they_newly_use() {
        let input =
            "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" xmlns=\"urn:d\"><a:x><a:y b:at=\"1\"/><c/><a:z/></a:x></a:r>";
        assert_eq!(
            c14n(input, true, false),
            "<a:r xmlns:a=\"urn:a\"><a:x><a:y xmlns:b=\"urn:b\" b:at=\"1\"></a:y><c xmlns=\"urn:d\"></c><a:z></a:z></a:x></a:r>"
        );
        assert_eq!(
            c14n(input, false, false),
            "<a:r xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><a:x><a:y b:at=\"1\"></a:y><c></c><a:z></a:z></a:x></a:r>"
        );
    }

    /// What an element declares is undone on the way out: a later sibling sees its parent's
    /// scope and what its parent rendered, not the previous sibling's.
    #[test]
    fn declarations_end_with_their_element() {
        let redeclared = "<a:r xmlns:a=\"u1\"><a:x xmlns:a=\"u2\"><a:y/></a:x><a:z/></a:r>";
        let out = "<a:r xmlns:a=\"u1\"><a:x xmlns:a=\"u2\"><a:y></a:y></a:x><a:z></a:z></a:r>";
        assert_eq!(c14n(redeclared, true, false), out);
        assert_eq!(c14n(redeclared, false, false), out);
        let introduced = "<r><x xmlns:b=\"ub\"><b:y/></x><b:w xmlns:b=\"ub\"/><v/></r>";
        assert_eq!(
            c14n(introduced, true, false),
            "<r><x><b:y xmlns:b=\"ub\"></b:y></x><b:w xmlns:b=\"ub\"></b:w><v></v></r>"
        );
        assert_eq!(
            c14n(introduced, false, false),
            "<r><x xmlns:b=\"ub\"><b:y></b:y></x><b:w xmlns:b=\"ub\"></b:w><v></v></r>"
        );
        let reset = "<r xmlns=\"ud\"><x xmlns=\"\"><y/></x><z/></r>";
        assert_eq!(c14n(reset, false, false), "<r xmlns=\"ud\"><x xmlns=\"\"><y></y></x><z></z></r>");
        assert_eq!(c14n(reset, true, false), "<r xmlns=\"ud\"><x xmlns=\"\"><y></y></x><z></z></r>");
    }

    #[test]
    fn excluded_element_is_left_out() {
        let d = doc("<a><b/><sig><x/></sig><c/></a>");
        let sig = d.root.elements().nth(1).expect("sig");
        let m = Method::from_uri(EXC_C14N).expect("method");
        assert_eq!(String::from_utf8(document(&d, &m, Some(sig))).expect("utf8"), "<a><b></b><c></c></a>");
    }
}
