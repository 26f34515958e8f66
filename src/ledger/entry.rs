//! Log entries and their canonical byte encoding.
//!
//! An entry is UTF-8 text, one `key value` pair per line, every line ending in `\n`, keys in
//! this order, repeated keys in the order given (format 2, what the gateway writes):
//!
//! ```text
//! mrgate-log-entry/2
//! kind recognition                      (export | recognition | notice | trust-list |
//!                                        equivalence-table | pt-round | pt-results |
//!                                        pt-close | pt-report)
//! time 2026-11-26T05:00:00Z             (RFC 3339, UTC, seconds)
//! actor partner:dakks                   (role, optionally ':' body)
//! input sha256:<64 hex>                 (zero or more)
//! output sha256:<64 hex>                (zero or more)
//! trust-list <sequence> sha256:<64 hex> | -
//! equivalence-table <sequence> sha256:<64 hex> | -
//! crls sha256:<64 hex>                  (optional: the CRL set decided with)
//! rules <rule-set version of the code> | -
//! verdict valid | invalid | …           (one word)
//! reason <reason code>                  (zero or more)
//! ```
//!
//! Format 1 (`mrgate-log-entry/1`, written before the rules were versioned records) has
//! `trust-list sha256:<64 hex> | -` and `equivalence-table <version label> | -` and no
//! `rules` line; it is still read, so logs begun before stay readable, and never written.
//!
//! The leaf hash covers exactly these bytes, so [`Entry::encode`] and [`Entry::decode`] are
//! inverse and refuse anything else (a value with a line break, an unknown key, a key out of
//! order).
//!
//! The `crls` line names the set of CRLs the decision was made with: the document
//! [`crate::crypto::x509::Crls::set_document`] makes of them (the empty set too), which the
//! gateway keeps. It is optional so that format-2 entries written before it read as they
//! were: an entry without it names no CRLs, and an audit decides it with its own.

use serde::Serialize;

/// The first line of a format-2 entry, the one written.
pub const MAGIC: &str = "mrgate-log-entry/2";
/// The first line of a format-1 entry (read only).
pub const MAGIC_V1: &str = "mrgate-log-entry/1";

/// What kind of decision an entry records.
pub const KINDS: [&str; 12] = [
    "export",
    "recognition",
    "notice",
    "trust-list",
    "equivalence-table",
    "pt-round",
    "pt-results",
    "pt-close",
    "pt-report",
    "status-list",
    "did-document",
    "look-alikes",
];

/// One version of a rule document (a trust list, an equivalence table): its sequence and
/// the SHA-256 of the document as installed, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RuleVersion {
    pub sequence: u64,
    pub digest: String,
}

/// The rules a decision was made with, as its entry names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "format")]
pub enum Rules {
    /// Format 1: the trust list by digest and the equivalence table by its version label,
    /// nothing else (an audit cannot fetch these by version).
    #[serde(rename = "1")]
    V1 { trust_list: Option<String>, equivalence_table: Option<String> },
    /// Format 2: each rule document by sequence and digest, and the rule-set version of the
    /// code that decided (`crate::decisions::RULE_SET`).
    #[serde(rename = "2")]
    V2 {
        trust_list: Option<RuleVersion>,
        equivalence_table: Option<RuleVersion>,
        /// The digest of the CRL set decided with (`None`: not named).
        crls: Option<String>,
        rule_set: Option<String>,
    },
}

impl Default for Rules {
    /// No rules named: an entry that no decision made (tests, tools).
    fn default() -> Self {
        Rules::V2 { trust_list: None, equivalence_table: None, crls: None, rule_set: None }
    }
}

impl Rules {
    /// The trust list's digest, in either format.
    pub fn trust_list_digest(&self) -> Option<&str> {
        match self {
            Rules::V1 { trust_list, .. } => trust_list.as_deref(),
            Rules::V2 { trust_list, .. } => trust_list.as_ref().map(|v| v.digest.as_str()),
        }
    }

    /// The CRL set's digest, when the entry names one (format 2 only).
    pub fn crls_digest(&self) -> Option<&str> {
        match self {
            Rules::V1 { .. } => None,
            Rules::V2 { crls, .. } => crls.as_deref(),
        }
    }

    /// The equivalence table's digest (format 2 only: format 1 names a label).
    pub fn table_digest(&self) -> Option<&str> {
        match self {
            Rules::V1 { .. } => None,
            Rules::V2 { equivalence_table, .. } => equivalence_table.as_ref().map(|v| v.digest.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub kind: String,
    pub time: String,
    pub actor: String,
    /// SHA-256 of every input document, lower-case hex.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// The rule versions the decision was made with.
    pub rules: Rules,
    pub verdict: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("{field}: '{value}' is not allowed")]
    BadValue { field: &'static str, value: String },
}

impl EntryError {
    pub fn code(&self) -> &'static str {
        match self {
            EntryError::Malformed { .. } => "log.entry_malformed",
            EntryError::BadValue { .. } => "log.entry_value",
        }
    }
}

/// SHA-256 of a document, as entries write it.
pub fn document_digest(bytes: &[u8]) -> String {
    crate::crypto::sha256_hex(bytes)
}

fn check_word(field: &'static str, value: &str) -> Result<(), EntryError> {
    let ok = !value.is_empty() && value.chars().all(|c| !c.is_control() && c != ' ');
    if ok { Ok(()) } else { Err(EntryError::BadValue { field, value: value.into() }) }
}

/// Whether `value` is a SHA-256 as entries write it: 64 lower-case hex digits.
pub fn is_digest(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_digest(field: &'static str, value: &str) -> Result<(), EntryError> {
    if is_digest(value) { Ok(()) } else { Err(EntryError::BadValue { field, value: value.into() }) }
}

/// Whether `value` is a time as format 2 writes it: `YYYY-MM-DDTHH:MM:SSZ`, nothing else
/// (no offset, no fraction, no lower case), so that times compare as they read.
fn is_canonical_time(value: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::PrimitiveDateTime::parse(value, &format).ok().and_then(|t| t.format(&format).ok()).as_deref() == Some(value)
}

impl Entry {
    fn validate(&self) -> Result<(), EntryError> {
        if !KINDS.contains(&self.kind.as_str()) {
            return Err(EntryError::BadValue { field: "kind", value: self.kind.clone() });
        }
        if time::OffsetDateTime::parse(&self.time, &time::format_description::well_known::Rfc3339).is_err() {
            return Err(EntryError::BadValue { field: "time", value: self.time.clone() });
        }
        check_word("actor", &self.actor)?;
        for d in &self.inputs {
            check_digest("input", d)?;
        }
        for d in &self.outputs {
            check_digest("output", d)?;
        }
        match &self.rules {
            Rules::V1 { trust_list, equivalence_table } => {
                if let Some(t) = trust_list {
                    check_digest("trust-list", t)?;
                }
                if let Some(v) = equivalence_table {
                    check_word("equivalence-table", v)?;
                }
            }
            Rules::V2 { trust_list, equivalence_table, crls, rule_set } => {
                // One form of a time: UTC to the second, as the gateway writes it.
                if !is_canonical_time(&self.time) {
                    return Err(EntryError::BadValue { field: "time", value: self.time.clone() });
                }
                for v in [trust_list, equivalence_table].into_iter().flatten() {
                    check_digest("rule version", &v.digest)?;
                }
                if let Some(d) = crls {
                    check_digest("crls", d)?;
                }
                if let Some(r) = rule_set {
                    check_word("rules", r)?;
                    if r == "-" {
                        return Err(EntryError::BadValue { field: "rules", value: r.clone() });
                    }
                }
            }
        }
        check_word("verdict", &self.verdict)?;
        for r in &self.reasons {
            check_word("reason", r)?;
        }
        Ok(())
    }

    /// The canonical bytes (the leaf hash covers exactly these).
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        self.validate()?;
        let mut s = String::with_capacity(512);
        s.push_str(match self.rules {
            Rules::V1 { .. } => MAGIC_V1,
            Rules::V2 { .. } => MAGIC,
        });
        s.push('\n');
        let mut line = |k: &str, v: &str| {
            s.push_str(k);
            s.push(' ');
            s.push_str(v);
            s.push('\n');
        };
        line("kind", &self.kind);
        line("time", &self.time);
        line("actor", &self.actor);
        for d in &self.inputs {
            line("input", &format!("sha256:{d}"));
        }
        for d in &self.outputs {
            line("output", &format!("sha256:{d}"));
        }
        match &self.rules {
            Rules::V1 { trust_list, equivalence_table } => {
                line("trust-list", &trust_list.as_ref().map_or("-".to_string(), |t| format!("sha256:{t}")));
                line("equivalence-table", equivalence_table.as_deref().unwrap_or("-"));
            }
            Rules::V2 { trust_list, equivalence_table, crls, rule_set } => {
                let version = |v: &Option<RuleVersion>| {
                    v.as_ref().map_or("-".to_string(), |v| format!("{} sha256:{}", v.sequence, v.digest))
                };
                line("trust-list", &version(trust_list));
                line("equivalence-table", &version(equivalence_table));
                if let Some(d) = crls {
                    line("crls", &format!("sha256:{d}"));
                }
                line("rules", rule_set.as_deref().unwrap_or("-"));
            }
        }
        line("verdict", &self.verdict);
        for r in &self.reasons {
            line("reason", r);
        }
        Ok(s.into_bytes())
    }

    /// Parses canonical bytes; anything not produced by [`Entry::encode`] is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| EntryError::Malformed { line: 1, message: "not UTF-8".into() })?;
        let body = text
            .strip_suffix('\n')
            .ok_or(EntryError::Malformed { line: 1, message: "must end with a newline".into() })?;
        let lines: Vec<&str> = body.split('\n').collect();
        let format = match lines.first() {
            Some(&MAGIC) => 2,
            Some(&MAGIC_V1) => 1,
            _ => return Err(EntryError::Malformed { line: 1, message: format!("must start with {MAGIC}") }),
        };
        let mut cursor = Cursor { lines: &lines, next: 1 };
        let kind = cursor.one("kind")?;
        let time = cursor.one("time")?;
        let actor = cursor.one("actor")?;
        let strip = |v: String| v.strip_prefix("sha256:").map(str::to_string).unwrap_or(v);
        let inputs = cursor.many("input").into_iter().map(strip).collect();
        let outputs = cursor.many("output").into_iter().map(strip).collect();
        let rules = if format == 1 {
            let trust_list = Some(cursor.one("trust-list")?).filter(|v| v != "-").map(strip);
            let equivalence_table = Some(cursor.one("equivalence-table")?).filter(|v| v != "-");
            Rules::V1 { trust_list, equivalence_table }
        } else {
            let trust_list = cursor.version("trust-list")?;
            let equivalence_table = cursor.version("equivalence-table")?;
            let crls = cursor.value("crls").map(|_| cursor.one("crls")).transpose()?.map(strip);
            let rule_set = Some(cursor.one("rules")?).filter(|v| v != "-");
            Rules::V2 { trust_list, equivalence_table, crls, rule_set }
        };
        let verdict = cursor.one("verdict")?;
        let reasons = cursor.many("reason");
        if let Some(l) = lines.get(cursor.next) {
            return Err(EntryError::Malformed { line: cursor.next + 1, message: format!("unexpected line '{l}'") });
        }
        let entry = Entry { kind, time, actor, inputs, outputs, rules, verdict, reasons };
        // Re-encoding must give the same bytes: one canonical form per entry.
        if entry.encode()? != bytes {
            return Err(EntryError::Malformed { line: 0, message: "not in canonical form".into() });
        }
        Ok(entry)
    }
}

/// Reads `key value` lines in order.
struct Cursor<'a> {
    lines: &'a [&'a str],
    next: usize,
}

impl Cursor<'_> {
    fn value(&self, key: &str) -> Option<String> {
        let line = self.lines.get(self.next)?;
        line.strip_prefix(key).and_then(|r| r.strip_prefix(' ')).map(str::to_string)
    }

    fn one(&mut self, key: &str) -> Result<String, EntryError> {
        let v = self
            .value(key)
            .ok_or(EntryError::Malformed { line: self.next + 1, message: format!("expected '{key}'") })?;
        self.next += 1;
        Ok(v)
    }

    /// `<sequence> sha256:<hex>` or `-` (the digest is checked by [`Entry::encode`]).
    fn version(&mut self, key: &str) -> Result<Option<RuleVersion>, EntryError> {
        let line = self.next + 1;
        let value = self.one(key)?;
        if value == "-" {
            return Ok(None);
        }
        let bad =
            || EntryError::Malformed { line, message: format!("'{key}' must be '<sequence> sha256:<hex>' or '-'") };
        let (sequence, digest) = value.split_once(' ').ok_or_else(bad)?;
        let digest = digest.strip_prefix("sha256:").ok_or_else(bad)?;
        // The canonical form of a number: no sign, no leading zero.
        if sequence.is_empty() || (sequence.len() > 1 && sequence.starts_with('0')) {
            return Err(bad());
        }
        let sequence = sequence.parse().map_err(|_| bad())?;
        Ok(Some(RuleVersion { sequence, digest: digest.into() }))
    }

    fn many(&mut self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(v) = self.value(key) {
            out.push(v);
            self.next += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            kind: "recognition".into(),
            time: "2026-11-26T05:00:00Z".into(),
            actor: "partner:dakks".into(),
            inputs: vec![document_digest(b"in")],
            outputs: vec![document_digest(b"out")],
            rules: Rules::V2 {
                trust_list: Some(RuleVersion { sequence: 3, digest: document_digest(b"tl") }),
                equivalence_table: Some(RuleVersion { sequence: 1, digest: document_digest(b"table") }),
                crls: Some(document_digest(b"crls")),
                rule_set: Some("1".into()),
            },
            verdict: "valid".into(),
            reasons: vec!["recognition.ok".into()],
        }
    }

    #[test]
    fn round_trip_and_exact_bytes() {
        let e = sample();
        let bytes = e.encode().expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(text.starts_with(
            "mrgate-log-entry/2\nkind recognition\ntime 2026-11-26T05:00:00Z\nactor partner:dakks\ninput sha256:"
        ));
        assert!(text.contains(&format!("\ntrust-list 3 sha256:{}\n", document_digest(b"tl"))));
        assert!(text.contains(&format!(
            "\nequivalence-table 1 sha256:{}\ncrls sha256:{}\nrules 1\n",
            document_digest(b"table"),
            document_digest(b"crls")
        )));
        assert!(text.ends_with("verdict valid\nreason recognition.ok\n"));
        assert_eq!(Entry::decode(&bytes).expect("decode"), e);
    }

    #[test]
    fn refuses_what_is_not_canonical() {
        let bytes = sample().encode().expect("encode");
        let text = String::from_utf8(bytes).expect("utf8");
        for bad in [
            text.replace("kind recognition", "kind gossip"),
            text.replacen("\n", "\r\n", 1),
            text.replace("actor partner:dakks\n", ""),
            format!("{text}extra line\n"),
            text.trim_end().to_string(),
            text.replace("verdict valid", "verdict very valid"),
            text.replace("trust-list 3 ", "trust-list 03 "),
            text.replace("trust-list 3 ", "trust-list +3 "),
            text.replace("trust-list 3 sha256:", "trust-list 3 sha1:"),
            text.replace("trust-list 3 sha256:", "trust-list sha256:"),
            text.replace("rules 1\n", ""),
            text.replace("rules 1\n", "rules -\nrules 1\n"),
            // The CRL set: once, by a SHA-256, in its place.
            text.replace("\ncrls sha256:", "\ncrls sha1:"),
            text.replace("\ncrls sha256:", "\ncrls "),
            text.replace("\ncrls sha256:", "\ncrls -\ncrls sha256:"),
            text.replace("\ncrls sha256:", "\ncrls sha256:00\ncrls sha256:"),
            text.replace("\ncrls sha256:", "\ncrls  sha256:"),
            text.replace("\ncrls sha256:", "\ncrls sha256:A"),
            text.replace("\ncrls sha256:", "\ncrls -\nxcrls sha256:"),
            {
                let line = format!("crls sha256:{}\n", document_digest(b"crls"));
                text.replace(&line, "").replace("rules 1\n", &format!("rules 1\n{line}"))
            },
            text.replace("mrgate-log-entry/2", "mrgate-log-entry/3"),
            // A format-1 entry has no rules line and names lists by digest alone.
            text.replace("mrgate-log-entry/2", "mrgate-log-entry/1"),
            // Format 2 writes a time one way only.
            text.replace("05:00:00Z", "05:00:00z"),
            text.replace("05:00:00Z", "13:00:00+08:00"),
            text.replace("05:00:00Z", "05:00:00.5Z"),
            text.replace("2026-11-26T", "2026-11-26t"),
        ] {
            assert!(Entry::decode(bad.as_bytes()).is_err(), "{bad}");
        }
        let mut e = sample();
        e.actor = "a\nb".into();
        assert_eq!(e.encode().expect_err("newline").code(), "log.entry_value");
        e.actor = "partner:dakks".into();
        e.rules = Rules::V2 { trust_list: None, equivalence_table: None, crls: None, rule_set: Some("-".into()) };
        assert_eq!(e.encode().expect_err("a dash is no rule set").code(), "log.entry_value");
    }

    #[test]
    fn a_format_2_entry_without_a_crl_set_reads_as_it_was_written() {
        // Entries written before decisions named their CRLs: the same bytes, no CRLs named.
        let mut e = sample();
        if let Rules::V2 { crls, .. } = &mut e.rules {
            *crls = None;
        }
        let bytes = e.encode().expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(!text.contains("crls"), "{text}");
        let read = Entry::decode(&bytes).expect("decode");
        assert_eq!(read, e);
        assert_eq!(read.rules.crls_digest(), None);
        assert_eq!(sample().rules.crls_digest(), Some(document_digest(b"crls").as_str()));
        // The empty set is named like any other: by the empty document's digest.
        let mut empty = sample();
        if let Rules::V2 { crls, .. } = &mut empty.rules {
            *crls = Some(document_digest(b""));
        }
        assert!(
            String::from_utf8(empty.encode().expect("encode"))
                .expect("utf8")
                .contains("\ncrls sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n")
        );
    }

    #[test]
    fn format_1_entries_are_still_read_and_kept_byte_for_byte() {
        let tl = document_digest(b"tl");
        let text = format!(
            "mrgate-log-entry/1\nkind recognition\ntime 2026-11-26T05:00:00Z\nactor partner:dakks\n\
             trust-list sha256:{tl}\nequivalence-table 2026.11.26-1\nverdict valid\n"
        );
        let e = Entry::decode(text.as_bytes()).expect("format 1");
        assert_eq!(e.rules, Rules::V1 { trust_list: Some(tl.clone()), equivalence_table: Some("2026.11.26-1".into()) });
        assert_eq!(e.rules.trust_list_digest(), Some(tl.as_str()));
        assert_eq!(e.rules.table_digest(), None);
        assert_eq!(e.encode().expect("encode"), text.as_bytes());
        // Format 2's lines in a format-1 entry are refused.
        let mixed = text.replace("verdict valid", "rules 1\nverdict valid");
        assert!(Entry::decode(mixed.as_bytes()).is_err());
    }
}
