//! Log entries and their canonical byte encoding (version 1).
//!
//! An entry is UTF-8 text, one `key value` pair per line, every line ending in `\n`, keys in
//! this order, repeated keys in the order given:
//!
//! ```text
//! mrgate-log-entry/1
//! kind recognition                      (export | recognition | notice | trust-list |
//!                                        pt-round | pt-results | pt-close |
//!                                        pt-report)
//! time 2026-11-26T05:00:00Z             (RFC 3339, UTC, seconds)
//! actor partner:dakks                   (role, optionally ':' body)
//! input sha256:<64 hex>                 (zero or more)
//! output sha256:<64 hex>                (zero or more)
//! trust-list sha256:<64 hex> | -
//! equivalence-table <version> | -
//! verdict valid | invalid | …           (one word)
//! reason <reason code>                  (zero or more)
//! ```
//!
//! The leaf hash covers exactly these bytes, so [`Entry::encode`] and [`Entry::decode`] are
//! inverse and refuse anything else (a value with a line break, an unknown key, a key out of
//! order).

use serde::Serialize;

pub const MAGIC: &str = "mrgate-log-entry/1";

/// What kind of decision an entry records.
pub const KINDS: [&str; 8] =
    ["export", "recognition", "notice", "trust-list", "pt-round", "pt-results", "pt-close", "pt-report"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub kind: String,
    pub time: String,
    pub actor: String,
    /// SHA-256 of every input document, lower-case hex.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub trust_list: Option<String>,
    pub equivalence_table: Option<String>,
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

fn check_digest(field: &'static str, value: &str) -> Result<(), EntryError> {
    let ok = value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok { Ok(()) } else { Err(EntryError::BadValue { field, value: value.into() }) }
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
        if let Some(t) = &self.trust_list {
            check_digest("trust-list", t)?;
        }
        if let Some(v) = &self.equivalence_table {
            check_word("equivalence-table", v)?;
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
        s.push_str(MAGIC);
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
        line("trust-list", &self.trust_list.as_ref().map_or("-".to_string(), |t| format!("sha256:{t}")));
        line("equivalence-table", self.equivalence_table.as_deref().unwrap_or("-"));
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
        if lines.first() != Some(&MAGIC) {
            return Err(EntryError::Malformed { line: 1, message: format!("must start with {MAGIC}") });
        }
        let mut cursor = Cursor { lines: &lines, next: 1 };
        let kind = cursor.one("kind")?;
        let time = cursor.one("time")?;
        let actor = cursor.one("actor")?;
        let strip = |v: String| v.strip_prefix("sha256:").map(str::to_string).unwrap_or(v);
        let inputs = cursor.many("input").into_iter().map(strip).collect();
        let outputs = cursor.many("output").into_iter().map(strip).collect();
        let trust_list = Some(cursor.one("trust-list")?).filter(|v| v != "-").map(strip);
        let equivalence_table = Some(cursor.one("equivalence-table")?).filter(|v| v != "-");
        let verdict = cursor.one("verdict")?;
        let reasons = cursor.many("reason");
        if let Some(l) = lines.get(cursor.next) {
            return Err(EntryError::Malformed { line: cursor.next + 1, message: format!("unexpected line '{l}'") });
        }
        let entry = Entry { kind, time, actor, inputs, outputs, trust_list, equivalence_table, verdict, reasons };
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
            trust_list: Some(document_digest(b"tl")),
            equivalence_table: Some("2026.11.26-1".into()),
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
            "mrgate-log-entry/1\nkind recognition\ntime 2026-11-26T05:00:00Z\nactor partner:dakks\ninput sha256:"
        ));
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
        ] {
            assert!(Entry::decode(bad.as_bytes()).is_err(), "{bad}");
        }
        let mut e = sample();
        e.actor = "a\nb".into();
        assert_eq!(e.encode().expect_err("newline").code(), "log.entry_value");
    }
}
