//! The witness itself: its name and Ed25519 key, the logs it watches, and its state; it
//! answers c2sp.org/tlog-witness `add-checkpoint` requests — a cosignature, or a refusal with
//! the status the spec gives it.
//!
//! The checks, in the spec's order: the request's form (400), the checkpoint's origin (404
//! for a log not watched), a signature by the log's key (403; other keys' lines are passed
//! over), the old size against the checkpoint's (400), then — atomically with the update —
//! the old size against the size last cosigned (409, answering that size), the consistency
//! proof (422), and at an unchanged size the root hash (409). A request from a watched log
//! whose signature verified but that failed the last two checks is kept as evidence: a
//! checkpoint signed at the size last cosigned with another root (409) proves two views of
//! one tree; a proof that fails (422) is only a lead — whoever relays a signed checkpoint
//! chooses the proof sent with it, so a log that proves the two consistent when asked is
//! cleared — and such leads are kept up to [`super::state::MAX_PROOF_LEADS`] per log (found
//! by review: anyone could store a row against an honest log for each checkpoint it
//! published).
//!
//! The witness never cosigns a checkpoint it has not shown to extend the one it cosigned
//! before for that log, never answers before the new record is on disk, and never moves a
//! log's record backwards.

use super::config::{Config, ConfigError};
use super::key::KeyError;
use super::request::{AddCheckpoint, RequestError};
use super::state::{Cosigned, Evidence, State, StateError, Update};
use crate::ledger::checkpoint::{Checkpoint, CheckpointError, parse_verifier_key};
use crate::ledger::cosignature::{Witness, cosign};
use crate::ledger::merkle::{Hash, empty_root, verify_consistency};
use ring::signature::Ed25519KeyPair;
use std::collections::BTreeMap;

/// A log as its witness knows it: the key it signs checkpoints with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedLog {
    pub origin: String,
    /// The name of the log's key (the verifier key's), signature lines of other names are
    /// not its.
    pub key_name: String,
    pub public_key: [u8; 32],
    /// The verifier key it was configured with.
    pub vkey: String,
}

impl WatchedLog {
    /// The log whose checkpoints start with `origin` and are signed under `vkey`.
    pub fn new(origin: &str, vkey: &str) -> Result<Self, CheckpointError> {
        let (key_name, public_key) = parse_verifier_key(vkey)?;
        Ok(Self { origin: origin.into(), key_name, public_key, vkey: vkey.trim().into() })
    }

    /// The checkpoint in `note`, if a signature line of this log's key verifies.
    fn verify(&self, note: &str) -> Result<Checkpoint, Refusal> {
        well_formed(note)?;
        let not_signed = || Refusal::NotSigned { origin: self.origin.clone() };
        match Checkpoint::verify(note, &self.public_key) {
            Ok((checkpoint, name)) if name == self.key_name => Ok(checkpoint),
            // The key signed under another name too (or a line of another name happens to
            // carry its id): only the lines named as the verifier key are this log's.
            Ok(_) => {
                let (body, signatures) = note.split_once("\n\n").ok_or_else(not_signed)?;
                let prefix = format!("\u{2014} {} ", self.key_name);
                let own: String =
                    signatures.lines().filter(|l| l.starts_with(&prefix)).map(|l| format!("{l}\n")).collect();
                Checkpoint::verify(&format!("{body}\n\n{own}"), &self.public_key)
                    .map(|(checkpoint, _)| checkpoint)
                    .map_err(|_| not_signed())
            }
            Err(CheckpointError::NotSigned) => Err(not_signed()),
            Err(e) => Err(Refusal::Checkpoint { why: e.to_string() }),
        }
    }
}

/// Refuses a note with a signature line that is not `— <key name> <base64>` of at least a
/// key id and one byte, wherever it stands: c2sp.org/signed-note makes such a note malformed
/// as a whole ([`Checkpoint::verify`] reads every line too, and refuses a signature
/// shorter than its key id; this says so as the witness's own refusal).
fn well_formed(note: &str) -> Result<(), Refusal> {
    use base64::Engine;
    let malformed = |why: &str| Refusal::Checkpoint { why: why.into() };
    let (_, signatures) = note.split_once("\n\n").ok_or_else(|| malformed("no blank line before the signatures"))?;
    for line in signatures.lines() {
        let (name, signature) = line
            .strip_prefix("\u{2014} ")
            .and_then(|rest| rest.split_once(' '))
            .ok_or_else(|| malformed("a signature line is not '— <key name> <signature>'"))?;
        crate::ledger::checkpoint::check_key_name(name).map_err(|e| malformed(&e.to_string()))?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .map_err(|_| malformed("a signature is not base64"))?;
        if blob.len() < 5 {
            return Err(malformed("a signature is shorter than a key id and a byte"));
        }
    }
    Ok(())
}

/// Why a request was not cosigned. Each has its reason code ([`Refusal::code`]) and the
/// HTTP status c2sp.org/tlog-witness gives it ([`Refusal::status`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("the request: {0}")]
    Request(#[from] RequestError),
    #[error("the checkpoint: {why}")]
    Checkpoint { why: String },
    #[error("this witness does not watch the log {origin:?}")]
    UnknownLog { origin: String },
    #[error("no signature on the checkpoint verifies under the key of {origin}")]
    NotSigned { origin: String },
    #[error("the old size {old} is larger than the checkpoint's size {size}")]
    OldSize { old: u64, size: u64 },
    /// The answer's body is `stored` in decimal and a newline.
    #[error("the old size {old} is not {stored}, the size this witness last cosigned")]
    SizeMismatch { old: u64, stored: u64 },
    #[error("the consistency proof from {old} to {size} does not verify: {why}")]
    Proof { old: u64, size: u64, why: String },
    #[error("the checkpoint has size {size}, the size last cosigned, but another root hash: a split view")]
    Inconsistent { size: u64 },
    #[error(transparent)]
    State(#[from] StateError),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Request(e) => e.code(),
            Refusal::Checkpoint { .. } => "witness.request",
            Refusal::UnknownLog { .. } => "witness.unknown_log",
            Refusal::NotSigned { .. } => "witness.not_signed",
            Refusal::OldSize { .. } => "witness.old_size",
            Refusal::SizeMismatch { .. } => "witness.size_mismatch",
            Refusal::Proof { .. } => "witness.proof",
            Refusal::Inconsistent { .. } => "witness.inconsistent",
            Refusal::State(e) => e.code(),
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Request(_) | Refusal::Checkpoint { .. } | Refusal::OldSize { .. } => 400,
            Refusal::NotSigned { .. } => 403,
            Refusal::UnknownLog { .. } => 404,
            Refusal::SizeMismatch { .. } | Refusal::Inconsistent { .. } => 409,
            Refusal::Proof { .. } => 422,
            Refusal::State(_) => 503,
        }
    }
}

/// Why a witness could not be made from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    State(#[from] StateError),
}

impl OpenError {
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::Config(e) => e.code(),
            OpenError::Key(e) => e.code(),
            OpenError::State(e) => e.code(),
        }
    }
}

/// A witness: who it is, what it watches, what it remembers.
pub struct Cosigner {
    witness: Witness,
    key: Ed25519KeyPair,
    logs: BTreeMap<String, WatchedLog>,
    state: State,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(f, "Cosigner({}, {} logs)", self.witness.name, self.logs.len())
    }
}

impl Cosigner {
    /// The witness `name` with `key`, watching `logs`, remembering in `state`.
    pub fn new(name: &str, key: Ed25519KeyPair, logs: Vec<WatchedLog>, state: State) -> Result<Self, ConfigError> {
        let witness =
            Witness::of(name, &key).map_err(|e| ConfigError::Field { field: "name".into(), why: e.to_string() })?;
        let logs = logs.into_iter().map(|l| (l.origin.clone(), l)).collect();
        Ok(Self { witness, key, logs, state })
    }

    /// The witness a configuration describes: its key read, its state opened (and locked).
    pub fn open(config: &Config) -> Result<Self, OpenError> {
        config.check()?;
        let key = super::key::read(&config.key)?;
        let logs = config
            .logs
            .iter()
            .enumerate()
            .map(|(i, l)| {
                WatchedLog::new(&l.origin, &l.vkey)
                    .map_err(|e| ConfigError::Field { field: format!("logs[{i}].vkey"), why: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let state = State::open(&config.data_dir)?;
        Ok(Self::new(&config.name, key, logs, state)?)
    }

    /// The witness as its clients know it: name and public key.
    pub fn witness(&self) -> &Witness {
        &self.witness
    }

    /// The witness's verifier key (`<name>+<key id>+<base64(0x04 ‖ key)>`): what a client is
    /// configured with to check its cosignatures.
    pub fn verifier_key(&self) -> String {
        self.witness.verifier_key()
    }

    /// The logs it watches, by origin.
    pub fn logs(&self) -> impl Iterator<Item = &WatchedLog> {
        self.logs.values()
    }

    /// The latest checkpoint cosigned for `origin`.
    pub fn latest(&self, origin: &str) -> Result<Option<Cosigned>, StateError> {
        self.state.latest(origin)
    }

    /// Every request kept as evidence of a log's misbehaviour.
    pub fn evidence(&self) -> Result<Vec<Evidence>, StateError> {
        self.state.evidence()
    }

    /// Answers an `add-checkpoint` request body at `now` (POSIX seconds): the cosignature
    /// line(s) to send back, each ending in a newline, once the checkpoint is recorded.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body)?;
        let origin = request.checkpoint.split('\n').next().unwrap_or_default();
        let log = self.logs.get(origin).ok_or_else(|| Refusal::UnknownLog { origin: origin.into() })?;
        let checkpoint = log.verify(&request.checkpoint)?;
        let (old, size) = (request.old, checkpoint.size);
        if old > size {
            return Err(Refusal::OldSize { old, size });
        }
        let proof = &request.proof;
        // The cosigned message covers the note's whole body, extension lines included.
        let note_body = request.checkpoint.split_once("\n\n").map(|(b, _)| format!("{b}\n")).unwrap_or_default();
        self.state.update(origin, now, |stored| {
            // Before anything is cosigned for a log, the witness holds the empty tree.
            let (stored_size, stored_root) = stored.map_or((0, empty_root()), |c| (c.size, c.root));
            if old != stored_size {
                return Update::Keep { answer: Err(Refusal::SizeMismatch { old, stored: stored_size }) };
            }
            match extends(old, &stored_root, &checkpoint.root, size, proof) {
                // The very checkpoint it holds: cosigned again, nothing to write.
                Ok(()) if old == size && stored.is_some() => Update::Keep { answer: Ok(()) },
                Ok(()) => Update::Advance {
                    cosigned: Cosigned { size, root: checkpoint.root, note: request.checkpoint.clone() },
                    answer: Ok(()),
                },
                Err(refusal) => Update::Evidence {
                    time: now,
                    reason: refusal.code(),
                    request: body,
                    checkpoint: &note_body,
                    answer: Err(refusal),
                },
            }
        })??;
        Ok(cosign(&note_body, &self.witness.name, &self.key, now))
    }
}

/// Whether the tree `size`/`root` extends the tree `old`/`old_root` by `proof`.
fn extends(old: u64, old_root: &Hash, root: &Hash, size: u64, proof: &[Hash]) -> Result<(), Refusal> {
    if old == size {
        if root != old_root {
            return Err(Refusal::Inconsistent { size });
        }
        if !proof.is_empty() {
            return Err(Refusal::Proof { old, size, why: "between equal sizes the proof is empty".into() });
        }
        return Ok(());
    }
    if old == 0 {
        // Every tree extends the empty one; there is nothing to prove.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Proof { old, size, why: "the proof must be empty when the old size is 0".into() })
        };
    }
    verify_consistency(old, size, old_root, root, proof).map_err(|e| Refusal::Proof { old, size, why: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::MemoryLog;
    use crate::ledger::entry::{Entry, document_digest};
    use crate::reason::Reason;
    use ring::signature::KeyPair;

    const ORIGIN: &str = "log.example/l1";
    const NOW: u64 = 1_790_000_000;

    fn pkcs8() -> Vec<u8> {
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen").as_ref().to_vec()
    }

    fn log_with(key: &[u8], entries: u64, salt: &str) -> MemoryLog {
        let mut log = MemoryLog::new(ORIGIN, Ed25519KeyPair::from_pkcs8(key).expect("key"));
        grow(&mut log, entries, salt);
        log
    }

    fn grow(log: &mut MemoryLog, entries: u64, salt: &str) {
        for i in 0..entries {
            let entry = Entry {
                kind: "export".into(),
                time: "2026-11-26T00:00:00Z".into(),
                actor: "test".into(),
                inputs: vec![document_digest(format!("{salt}/{}/{i}", log.size()).as_bytes())],
                outputs: vec![],
                rules: Default::default(),
                verdict: "valid".into(),
                reasons: vec![],
            };
            log.append(&entry).expect("append");
        }
    }

    fn witness_of(log_key: &[u8]) -> Cosigner {
        let public = Ed25519KeyPair::from_pkcs8(log_key).expect("key").public_key().as_ref().to_vec();
        let vkey = crate::ledger::checkpoint::verifier_key(ORIGIN, &public).expect("vkey");
        let logs = vec![WatchedLog::new(ORIGIN, &vkey).expect("log")];
        let key = Ed25519KeyPair::from_pkcs8(&pkcs8()).expect("key");
        Cosigner::new("witness.example/w1", key, logs, State::in_memory().expect("state")).expect("witness")
    }

    fn request(old: u64, log: &MemoryLog) -> Vec<u8> {
        let proof = if old == 0 { vec![] } else { log.tree().consistency_proof(old, log.size()).expect("proof") };
        AddCheckpoint { old, proof, checkpoint: log.checkpoint() }.encode()
    }

    #[test]
    fn a_log_that_grows_is_cosigned_at_each_size() {
        let key = pkcs8();
        let witness = witness_of(&key);
        let mut log = log_with(&key, 5, "a");
        let line = witness.add_checkpoint(&request(0, &log), NOW).expect("first");
        assert_eq!(witness.witness().cosigned(&format!("{}{line}", log.checkpoint())), Some(NOW));
        for (old, more) in [(5, 3), (8, 1), (9, 0), (9, 100)] {
            grow(&mut log, more, "a");
            let line = witness.add_checkpoint(&request(old, &log), NOW + old).expect("grows");
            assert_eq!(witness.witness().cosigned(&format!("{}{line}", log.checkpoint())), Some(NOW + old));
        }
        assert_eq!(witness.latest(ORIGIN).expect("latest").map(|c| c.size), Some(109));
        assert!(witness.evidence().expect("evidence").is_empty());
    }

    #[test]
    fn refusals_change_nothing_and_inconsistent_ones_are_kept_as_evidence() {
        let key = pkcs8();
        let witness = witness_of(&key);
        let mut log = log_with(&key, 4, "a");
        witness.add_checkpoint(&request(0, &log), NOW).expect("first");
        let first = log.checkpoint();
        // The same key and origin over other entries: a second view of the log.
        let mut split = log_with(&key, 4, "b");
        let stranger = log_with(&pkcs8(), 4, "a");
        let refused = |body: &[u8]| witness.add_checkpoint(body, NOW).expect_err("refused");
        assert!(matches!(refused(&request(0, &log)), Refusal::SizeMismatch { old: 0, stored: 4 }));
        assert!(matches!(refused(&request(0, &stranger)), Refusal::NotSigned { .. }));
        let unknown =
            String::from_utf8(request(0, &log)).expect("utf8").replace("log.example/l1\n", "log.example/l2\n");
        assert!(matches!(refused(unknown.as_bytes()), Refusal::UnknownLog { .. }));
        let ahead = AddCheckpoint { old: 5, proof: vec![], checkpoint: log.checkpoint() }.encode();
        assert!(matches!(refused(&ahead), Refusal::OldSize { old: 5, size: 4 }));
        let unsigned = format!("{ORIGIN}\n4\nAAAA\n\n\u{2014} {ORIGIN} !!\n");
        let malformed = AddCheckpoint { old: 4, proof: vec![], checkpoint: unsigned }.encode();
        assert!(matches!(refused(&malformed), Refusal::Checkpoint { .. }));
        assert!(witness.evidence().expect("evidence").is_empty(), "none of these is evidence");
        let at_same_size = request(4, &split);
        assert!(matches!(refused(&at_same_size), Refusal::Inconsistent { size: 4 }));
        grow(&mut log, 3, "a");
        grow(&mut split, 3, "b");
        // The other view's proof, with this view's checkpoint.
        let proof = split.tree().consistency_proof(4, 7).expect("proof");
        assert_ne!(proof, log.tree().consistency_proof(4, 7).expect("proof"));
        let wrong_proof = AddCheckpoint { old: 4, proof, checkpoint: log.checkpoint() }.encode();
        assert!(matches!(refused(&wrong_proof), Refusal::Proof { old: 4, size: 7, .. }));
        let evidence = witness.evidence().expect("evidence");
        let kept: Vec<_> =
            evidence.iter().map(|e| (e.reason.as_str(), e.stored_note.as_deref(), e.request.as_slice())).collect();
        assert_eq!(
            kept,
            [
                ("witness.inconsistent", Some(first.as_str()), at_same_size.as_slice()),
                ("witness.proof", Some(first.as_str()), wrong_proof.as_slice()),
            ]
        );
        assert_eq!(witness.latest(ORIGIN).expect("latest").map(|c| c.note), Some(first));
        // The right proof still goes through.
        witness.add_checkpoint(&request(4, &log), NOW).expect("consistent");
    }

    /// Anyone may replay the log's checkpoints with junk proofs: each is refused; the
    /// checkpoint held keeps one lead however often it is replayed, and leads are kept up to
    /// [`MAX_PROOF_LEADS`] per log, the newest, however many checkpoints the log publishes
    /// (found by review: a row per published checkpoint, written to disk). A second signed view at
    /// the size held is still kept past them. The checkpoint it holds, submitted again, is
    /// cosigned again without a write.
    #[test]
    fn junk_proofs_leave_a_bounded_trail() {
        use crate::witness::state::MAX_PROOF_LEADS;
        let key = pkcs8();
        let witness = witness_of(&key);
        let mut log = log_with(&key, 4, "a");
        witness.add_checkpoint(&request(0, &log), NOW).expect("first");
        let held = log.checkpoint();
        let junk = AddCheckpoint { old: 4, proof: vec![[9; 32]], checkpoint: held.clone() }.encode();
        for _ in 0..10 {
            assert!(matches!(witness.add_checkpoint(&junk, NOW), Err(Refusal::Proof { .. })));
        }
        assert_eq!(witness.evidence().expect("evidence").len(), 1);
        for n in 0..MAX_PROOF_LEADS + 5 {
            grow(&mut log, 1, "a");
            let newer = AddCheckpoint { old: 4, proof: vec![[9; 32]; 3], checkpoint: log.checkpoint() }.encode();
            assert!(matches!(witness.add_checkpoint(&newer, NOW), Err(Refusal::Proof { .. })), "{n}");
        }
        // The newest are kept: the last checkpoint's request is among them, the first's not.
        let kept = witness.evidence().expect("evidence");
        assert_eq!(kept.len(), MAX_PROOF_LEADS);
        assert!(kept.iter().all(|e| e.reason == "witness.proof"));
        let last = AddCheckpoint { old: 4, proof: vec![[9; 32]; 3], checkpoint: log.checkpoint() }.encode();
        assert_eq!(kept.last().map(|e| e.request.as_slice()), Some(last.as_slice()));
        assert!(kept.iter().all(|e| e.request != junk));
        let split = log_with(&key, 4, "b");
        assert!(matches!(witness.add_checkpoint(&request(4, &split), NOW), Err(Refusal::Inconsistent { size: 4 })));
        let kept = witness.evidence().expect("evidence");
        assert_eq!(kept.last().map(|e| e.reason.as_str()), Some("witness.inconsistent"));
        assert_eq!(kept.len(), MAX_PROOF_LEADS + 1);
        let again = AddCheckpoint { old: 4, proof: vec![], checkpoint: held }.encode();
        witness.add_checkpoint(&again, NOW + 60).expect("the same checkpoint, cosigned again");
        assert_eq!(witness.latest(ORIGIN).expect("latest").map(|c| c.size), Some(4));
    }

    #[test]
    fn an_empty_tree_has_one_root_and_needs_no_proof() {
        let key = pkcs8();
        let witness = witness_of(&key);
        let empty = log_with(&key, 0, "a");
        let with_proof = AddCheckpoint { old: 0, proof: vec![[1; 32]], checkpoint: empty.checkpoint() }.encode();
        assert!(matches!(witness.add_checkpoint(&with_proof, NOW), Err(Refusal::Proof { old: 0, size: 0, .. })));
        witness.add_checkpoint(&request(0, &empty), NOW).expect("the empty tree");
        let log = log_with(&key, 2, "a");
        let with_proof = AddCheckpoint { old: 0, proof: vec![[1; 32]], checkpoint: log.checkpoint() }.encode();
        assert!(matches!(witness.add_checkpoint(&with_proof, NOW), Err(Refusal::Proof { old: 0, size: 2, .. })));
        witness.add_checkpoint(&request(0, &log), NOW).expect("grown from nothing");
    }

    #[test]
    fn each_refusal_has_the_status_of_its_reason_code() {
        for r in [
            Refusal::Checkpoint { why: String::new() },
            Refusal::UnknownLog { origin: String::new() },
            Refusal::NotSigned { origin: String::new() },
            Refusal::OldSize { old: 2, size: 1 },
            Refusal::SizeMismatch { old: 2, stored: 1 },
            Refusal::Proof { old: 1, size: 2, why: String::new() },
            Refusal::Inconsistent { size: 1 },
            Refusal::State(StateError::Database(String::new())),
            Refusal::Request(AddCheckpoint::parse(b"").expect_err("empty")),
        ] {
            let reason = Reason::from_code(r.code()).unwrap_or_else(|| panic!("{} is not a Reason", r.code()));
            assert_eq!(reason.status(), r.status(), "{}", r.code());
        }
    }
}
