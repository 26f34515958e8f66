//! The body of a c2sp.org/tlog-witness `add-checkpoint` request:
//!
//! ```text
//! old <size the witness last cosigned>
//! <consistency proof hash, base64>          (zero to 63 lines)
//!
//! <the checkpoint: a signed note>
//! ```
//!
//! Read from untrusted bytes (a witness serves anyone who can reach it), so reading is
//! strict and bounded: one spelling per size, at most [`MAX_PROOF_LINES`] hashes, a note of
//! at most [`MAX_NOTE_BYTES`]. This module reads and writes the form; it checks no signature
//! and no proof (the witness does).

use crate::ledger::merkle::Hash;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The most consistency-proof lines a request may carry (the spec's bound: a proof in a
/// tree of up to 2^63 entries).
pub const MAX_PROOF_LINES: usize = 63;

/// The longest checkpoint note read: a checkpoint is three short lines and a few signature
/// lines.
pub const MAX_NOTE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the submitter believes the witness last cosigned.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint, as a signed note (with the log's signature, maybe others).
    pub checkpoint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error("line {line}: {why}")]
    Malformed { line: usize, why: String },
}

impl RequestError {
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Malformed { .. } => "witness.request",
        }
    }
}

fn malformed(line: usize, why: impl Into<String>) -> RequestError {
    RequestError::Malformed { line, why: why.into() }
}

impl AddCheckpoint {
    /// The request body.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&STANDARD.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body.into_bytes()
    }

    /// Reads a request body; refuses anything but the one spelling the spec allows.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let text = std::str::from_utf8(body).map_err(|e| malformed(1, format!("not UTF-8: {e}")))?;
        let (head, checkpoint) =
            text.split_once("\n\n").ok_or_else(|| malformed(1, "no empty line before the checkpoint"))?;
        if checkpoint.len() > MAX_NOTE_BYTES {
            return Err(malformed(1, format!("the checkpoint is longer than {MAX_NOTE_BYTES} bytes")));
        }
        if checkpoint.is_empty() || !checkpoint.ends_with('\n') {
            return Err(malformed(1, "the checkpoint must end in a newline"));
        }
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .ok_or_else(|| malformed(1, "the first line must be 'old <size>'"))?;
        let canonical = old.bytes().all(|b| b.is_ascii_digit()) && !(old.len() > 1 && old.starts_with('0'));
        let old: u64 = old
            .parse()
            .ok()
            .filter(|_| canonical)
            .ok_or_else(|| malformed(1, format!("'{old}' is not a size (a decimal with no leading zero)")))?;
        let mut proof = Vec::new();
        for (i, line) in lines.enumerate() {
            if proof.len() == MAX_PROOF_LINES {
                return Err(malformed(i + 2, format!("more than {MAX_PROOF_LINES} consistency proof lines")));
            }
            let hash = STANDARD
                .decode(line)
                .ok()
                .and_then(|h| <Hash>::try_from(h).ok())
                .filter(|h| STANDARD.encode(h) == line)
                .ok_or_else(|| malformed(i + 2, "a proof line must be one 32-byte hash in base64"))?;
            proof.push(hash);
        }
        Ok(Self { old, proof, checkpoint: checkpoint.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str =
        "example.com/log\n20\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/log Az3g\n";

    #[test]
    fn a_request_reads_back_as_written() {
        let request = AddCheckpoint { old: 5, proof: vec![[1u8; 32], [2u8; 32]], checkpoint: NOTE.into() };
        let body = request.encode();
        assert!(body.starts_with(b"old 5\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"));
        assert_eq!(AddCheckpoint::parse(&body), Ok(request));
        let first = AddCheckpoint { old: 0, proof: vec![], checkpoint: NOTE.into() };
        assert_eq!(first.encode(), format!("old 0\n\n{NOTE}").into_bytes());
        assert_eq!(AddCheckpoint::parse(&first.encode()), Ok(first));
    }

    #[test]
    fn anything_else_is_refused_with_its_line() {
        let hash = STANDARD.encode([1u8; 32]);
        let many = vec![hash.as_str(); 64].join("\n");
        for (body, line, why) in [
            ("old 5\n".to_string(), 1, "no empty line"),
            // Without its empty line, the checkpoint's first lines are read as the proof.
            (format!("old 5\n{NOTE}"), 2, "32-byte hash"),
            ("old 5\n\n".to_string(), 1, "end in a newline"),
            (format!("old 05\n\n{NOTE}"), 1, "no leading zero"),
            (format!("old -1\n\n{NOTE}"), 1, "not a size"),
            (format!("old 18446744073709551616\n\n{NOTE}"), 1, "not a size"),
            (format!("new 5\n\n{NOTE}"), 1, "'old <size>'"),
            (format!("old 5\n{hash}x\n\n{NOTE}"), 2, "32-byte hash"),
            (format!("old 5\n{}\n\n{NOTE}", STANDARD.encode([1u8; 31])), 2, "32-byte hash"),
            (format!("old 5\n {hash}\n\n{NOTE}"), 2, "32-byte hash"),
            (format!("old 5\n{many}\n\n{NOTE}"), 65, "more than 63"),
            (format!("old 5\n\n{}", "x".repeat(MAX_NOTE_BYTES + 1)), 1, "longer than"),
        ] {
            let err = AddCheckpoint::parse(body.as_bytes()).expect_err(why);
            let RequestError::Malformed { line: at, .. } = &err;
            assert!(*at == line && err.to_string().contains(why), "{body:?}: {err}");
            assert_eq!(err.code(), "witness.request");
        }
        assert!(AddCheckpoint::parse(b"old 5\n\n\xff\n").is_err());
    }
}
