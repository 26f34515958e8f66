//! Checkpoints in the C2SP signed-note format (c2sp.org/signed-note, c2sp.org/tlog-checkpoint):
//!
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//!
//! — <key name> <base64(key id ‖ Ed25519 signature)>
//! ```
//!
//! The key id is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key); the
//! signature covers the note text (the three lines, each ending in a newline).

use super::merkle::Hash;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    #[serde(serialize_with = "as_base64")]
    pub root: Hash,
}

fn as_base64<S: serde::Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&STANDARD.encode(h))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("checkpoint: {0}")]
    Malformed(String),
    #[error("no signature line by this log key verifies")]
    NotSigned,
}

impl CheckpointError {
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointError::Malformed(_) => "log.checkpoint_malformed",
            CheckpointError::NotSigned => "log.checkpoint_signature",
        }
    }
}

/// Refuses what c2sp.org/signed-note does not allow as a key name (and a checkpoint's origin,
/// which names its log's key here): an empty name, a Unicode space, a '+'. A space would make
/// the signature line ambiguous, and other implementations refuse such a note outright.
pub fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.chars().any(char::is_whitespace) {
        "it contains a space"
    } else if name.contains('+') {
        "it contains '+'"
    } else {
        return Ok(());
    };
    Err(CheckpointError::Malformed(format!("the key name '{name}' is not allowed in a signed note: {why}")))
}

/// The signed-note verifier key (`<name>+<key id, 8 hex digits>+<base64(0x01 ‖ key)>`) of
/// an Ed25519 log key: what signed-note tools (Go's `sumdb/note`, among others) are given to
/// check this log's checkpoints.
pub fn verifier_key(name: &str, public_key: &[u8]) -> Result<String, CheckpointError> {
    check_key_name(name)?;
    let mut key = vec![0x01];
    key.extend_from_slice(public_key);
    Ok(format!("{name}+{:08x}+{}", u32::from_be_bytes(key_id(name, public_key)), STANDARD.encode(key)))
}

/// Reads a log's verifier key (as [`verifier_key`] writes it): its name and Ed25519 public
/// key; refused unless it is an Ed25519 (type 0x01) key whose id matches its name and key.
pub fn parse_verifier_key(vkey: &str) -> Result<(String, [u8; 32]), CheckpointError> {
    let bad = |why: &str| CheckpointError::Malformed(format!("verifier key: {why}"));
    let mut parts = vkey.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("it is <name>+<key id>+<key>"));
    };
    check_key_name(name)?;
    let key = STANDARD.decode(key).map_err(|_| bad("the key is not base64"))?;
    let Some((0x01, public)) = key.split_first() else {
        return Err(bad("not an Ed25519 (type 0x01) log key"));
    };
    let public: [u8; 32] = public.try_into().map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
    if verifier_key(name, &public)? != vkey.trim() || id.len() != 8 {
        return Err(bad("its id does not match its name and key"));
    }
    Ok((name.to_string(), public))
}

/// The signed-note key id of an Ed25519 key.
pub fn key_id(name: &str, public_key: &[u8]) -> [u8; 4] {
    let mut c = ring::digest::Context::new(&ring::digest::SHA256);
    c.update(name.as_bytes());
    c.update(b"\n");
    c.update(&[0x01]);
    c.update(public_key);
    // A SHA-256 digest always has its first four bytes.
    c.finish().as_ref().first_chunk::<4>().copied().unwrap_or_default()
}

impl Checkpoint {
    /// The note body that is signed.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// Signs the checkpoint as key `name`, which [`check_key_name`] allows (the gateway's
    /// configuration is refused otherwise).
    pub fn sign(&self, name: &str, key: &Ed25519KeyPair) -> String {
        use ring::signature::KeyPair;
        let body = self.body();
        let sig = key.sign(body.as_bytes());
        let mut blob = key_id(name, key.public_key().as_ref()).to_vec();
        blob.extend_from_slice(sig.as_ref());
        format!("{body}\n\u{2014} {name} {}\n", STANDARD.encode(blob))
    }

    /// Parses a signed note and checks that a signature line by `public_key` verifies.
    /// Returns the checkpoint and the key name that signed it.
    ///
    /// Every signature line is read before any is verified (a note with a malformed line
    /// after a good signature is malformed, as c2sp.org/signed-note says), at most
    /// [`MAX_SIGNATURES`] of them, and only the first line with this key's id is verified:
    /// one Ed25519 check per note, however many lines a caller sends (a witness answers
    /// anyone), and a note whose line for this key does not verify is refused, as Go's
    /// `note.Open` refuses it.
    pub fn verify(note: &str, public_key: &[u8]) -> Result<(Self, String), CheckpointError> {
        let bad = |m: &str| CheckpointError::Malformed(m.into());
        // c2sp.org/signed-note: a note ends in a newline; Go's `note.Open` refuses one that
        // does not (found by attack: a receipt's checkpoint without it verified).
        if !note.ends_with('\n') {
            return Err(bad("the note must end in a newline"));
        }
        // Nor holds a control character but its line feeds, as Go's `note.Open` refuses one
        // (found by attack: signature lines ending in CR LF, and a key name holding U+0001,
        // verified here and were cosigned by the witness).
        if let Some((at, c)) = note.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
            return Err(bad(&format!("a control character (U+{:04X}) at byte {at}", u32::from(c))));
        }
        let (body, signatures) = note.split_once("\n\n").ok_or_else(|| bad("no blank line before the signatures"))?;
        let body = format!("{body}\n");
        let mut lines = body.lines();
        let origin = lines.next().filter(|l| !l.is_empty()).ok_or_else(|| bad("no origin line"))?.to_string();
        let size = lines.next().and_then(decimal).ok_or_else(|| bad("the size line is not a decimal number"))?;
        let root_bytes =
            lines.next().and_then(|l| STANDARD.decode(l).ok()).ok_or_else(|| bad("the root line is not base64"))?;
        let root: [u8; 32] = root_bytes.try_into().map_err(|_| bad("the root hash is not 32 bytes"))?;
        let checkpoint = Checkpoint { origin, size, root };
        let mut ours = None;
        for (n, line) in signatures.lines().enumerate() {
            if n >= MAX_SIGNATURES {
                return Err(bad("more than 100 signature lines"));
            }
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(bad("a signature line must start with '— '"));
            };
            // A name has no spaces, so the first one ends it; a line that is not a name and
            // a base64 signature makes the whole note malformed, as c2sp.org/signed-note says.
            let (name, sig) = rest.split_once(' ').ok_or_else(|| bad("a signature line has no signature"))?;
            check_key_name(name)?;
            let blob = STANDARD.decode(sig).map_err(|_| bad("a signature is not base64"))?;
            if blob.len() < 5 {
                return Err(bad("a signature is shorter than a key id and a byte"));
            }
            // The first line of this key's name and id is the one checked, whatever its
            // length, as Go's `note.Open` checks it (found by review: one 63 or 65 bytes long
            // was passed over for a good line after it, where Go refuses the note).
            if ours.is_none()
                && let Some((id, signature)) = blob.split_first_chunk::<4>()
                && *id == key_id(name, public_key)
            {
                ours = Some((name, signature.to_vec()));
            }
        }
        let (name, signature) = ours.ok_or(CheckpointError::NotSigned)?;
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(body.as_bytes(), &signature)
            .map_err(|_| CheckpointError::NotSigned)?;
        Ok((checkpoint, name.to_string()))
    }
}

/// Why a checkpoint verified under `key_name` is not one of log `origin`'s: its origin, or
/// the name its key signed under, is another (the gateway names its key by its origin, and
/// one key may sign more than one log: its torture log, say). `None` when it is `origin`'s.
/// Every reader that is told which log it reads holds checkpoints to this.
pub fn another_log(origin: &str, checkpoint: &Checkpoint, key_name: &str) -> Option<String> {
    (checkpoint.origin != origin || key_name != origin)
        .then(|| format!("the checkpoint is of log '{}', signed as '{key_name}', not of '{origin}'", checkpoint.origin))
}

/// Most signature lines read in one note (Go's `note.Open` reads as many).
pub const MAX_SIGNATURES: usize = 100;

/// A tree size as a checkpoint writes it: ASCII decimal digits, no sign, no leading zero.
fn decimal(line: &str) -> Option<u64> {
    let canonical =
        !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) && (line == "0" || !line.starts_with('0'));
    canonical.then(|| line.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn key_names_follow_signed_note() {
        for good in ["demo.mrgate.example/log", "sum.golang.org", "a", "日志"] {
            assert_eq!(check_key_name(good), Ok(()), "{good}");
        }
        for bad in ["", "mrgate demo log", "tab\there", "nbsp\u{a0}x", "ideographic\u{3000}x", "a+b", " "] {
            assert_eq!(check_key_name(bad).expect_err(bad).code(), "log.checkpoint_malformed", "{bad:?}");
        }
    }

    #[test]
    fn a_signature_line_is_a_name_and_a_signature() {
        let rng = ring::rand::SystemRandom::new();
        let key = Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key");
        let public = key.public_key().as_ref().to_vec();
        let cp = Checkpoint { origin: "mrgate.example/log".into(), size: 7, root: [7u8; 32] };
        let note = cp.sign("mrgate.example/log", &key);
        // A name with spaces, as this gateway signed before it checked names: malformed.
        let spaced = cp.sign("mrgate demo log", &key);
        let err = Checkpoint::verify(&spaced, &public).expect_err("spaced name");
        // The name ends at its first space, so the rest is not a signature.
        assert_eq!((err.code(), err.to_string().contains("not base64")), ("log.checkpoint_malformed", true));
        let (body, line) = note.split_once("\n\n").expect("signature");
        let sig = line.trim_end().rsplit_once(' ').expect("sig").1;
        for (bad, why) in [
            (format!("{body}\n\n\u{2014} mrgate.example/log\n"), "has no signature"),
            (format!("{body}\n\n\u{2014} mrgate.example/log not-base64!\n"), "not base64"),
            (format!("{body}\n\n\u{2014} a+b {sig}\n"), "contains '+'"),
        ] {
            let err = Checkpoint::verify(&bad, &public).expect_err(why);
            assert!(err.code() == "log.checkpoint_malformed" && err.to_string().contains(why), "{bad}: {err}");
        }
        // Another log's well-formed signature line beside this one's is passed over.
        let other = format!("{note}\u{2014} other.example/log {sig}\n");
        assert_eq!(Checkpoint::verify(&other, &public).map(|(c, _)| c), Ok(cp.clone()));
        // As Go's `note.Open` reads a note (found by attack, each verified here): no carriage
        // return, no other control character, in a signature line or a key name, and no
        // signature line of a key id alone, or of a key id and nothing but a byte too few.
        let four = STANDARD.encode([1u8, 2, 3, 4]);
        for (bad, why) in [
            (note.replace('\n', "\r\n"), "control character (U+000D)"),
            (format!("{note}\u{2014} other\u{1}.example/log {sig}\n"), "control character (U+0001)"),
            (format!("{note}\u{2014} other.example/log {sig}\r\n"), "control character (U+000D)"),
            (note.replacen("\n7\n", "\n7\t\n", 1), "control character (U+0009)"),
            (format!("{note}\u{2014} other.example/log {four}\n"), "shorter than a key id and a byte"),
        ] {
            let err = Checkpoint::verify(&bad, &public).expect_err(why);
            assert!(err.code() == "log.checkpoint_malformed" && err.to_string().contains(why), "{bad:?}: {err}");
        }
        let five = STANDARD.encode([1u8, 2, 3, 4, 5]);
        assert_eq!(
            Checkpoint::verify(&format!("{note}\u{2014} other.example/log {five}\n"), &public).map(|(c, _)| c),
            Ok(cp)
        );
    }

    /// A note is read whole before its signature is checked, and checked once: junk after a
    /// good signature, a size not written in decimal, more than 100 lines are malformed; a
    /// first line with this key's id that does not verify refuses the note, whatever
    /// follows (so a caller cannot buy one Ed25519 check per line it sends).
    #[test]
    fn a_note_is_read_whole_and_its_signature_checked_once() {
        let rng = ring::rand::SystemRandom::new();
        let key = Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key");
        let public = key.public_key().as_ref().to_vec();
        let cp = Checkpoint { origin: "mrgate.example/log".into(), size: 7, root: [7u8; 32] };
        let note = cp.sign("mrgate.example/log", &key);
        let malformed = |n: &str| Checkpoint::verify(n, &public).map_err(|e| e.code());
        assert_eq!(malformed(&format!("{note}this is not a signature line\n")), Err("log.checkpoint_malformed"));
        assert_eq!(malformed(&format!("{note}\n\u{1}garbage\n")), Err("log.checkpoint_malformed"));
        // Without its final newline (found by attack: a receipt's checkpoint verified so).
        assert_eq!(
            malformed(note.strip_suffix('\n').expect("a note ends in a newline")),
            Err("log.checkpoint_malformed")
        );
        for size in ["+7", "07", " 7", "7 ", "", "-7", "0x7"] {
            let edited = note.replacen("\n7\n", &format!("\n{size}\n"), 1);
            assert_eq!(malformed(&edited), Err("log.checkpoint_malformed"), "size {size:?}");
        }
        let zero = Checkpoint { size: 0, ..cp.clone() };
        assert_eq!(Checkpoint::verify(&zero.sign("mrgate.example/log", &key), &public).map(|(c, _)| c), Ok(zero));
        // Lines with this key's id and another key's signature before the good one.
        let (body, good) = note.split_once("\n\n").expect("signature");
        let forger =
            Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("k");
        let mut blob = key_id("mrgate.example/log", &public).to_vec();
        blob.extend_from_slice(forger.sign(format!("{body}\n").as_bytes()).as_ref());
        let forged = format!("\u{2014} mrgate.example/log {}\n", STANDARD.encode(&blob));
        assert_eq!(malformed(&format!("{body}\n\n{forged}{good}")), Err("log.checkpoint_signature"));
        assert_eq!(Checkpoint::verify(&format!("{body}\n\n{good}{forged}"), &public).map(|(c, _)| c), Ok(cp.clone()));
        // Nor does a first line of this key's id one byte too long or too short let a good
        // line after it decide (found by review: Go refuses both notes).
        for length in [blob.len() - 1, blob.len() + 1] {
            let mut odd = blob.clone();
            odd.resize(length, 7);
            let line = format!("\u{2014} mrgate.example/log {}\n", STANDARD.encode(&odd));
            assert_eq!(malformed(&format!("{body}\n\n{line}{good}")), Err("log.checkpoint_signature"), "{length}");
        }
        let many = |n: usize| format!("{body}\n\n{}{good}", forged.repeat(n));
        assert_eq!(malformed(&many(99)), Err("log.checkpoint_signature"));
        assert_eq!(malformed(&many(100)), Err("log.checkpoint_malformed"));
    }

    #[test]
    fn a_log_verifier_key_reads_back() {
        let rng = ring::rand::SystemRandom::new();
        let key = Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key");
        let public: [u8; 32] = key.public_key().as_ref().try_into().expect("32");
        let vkey = verifier_key("mrgate.example/log", &public).expect("vkey");
        assert_eq!(parse_verifier_key(&vkey), Ok(("mrgate.example/log".to_string(), public)));
        let wrong_id = vkey.replacen('+', "+0", 1);
        for bad in
            [vkey.replace("mrgate.example/log", "other.example/log"), wrong_id, "a+b".into(), "x+00000000+AQ==".into()]
        {
            assert_eq!(parse_verifier_key(&bad).map_err(|e| e.code()), Err("log.checkpoint_malformed"), "{bad}");
        }
    }

    #[test]
    fn sign_and_verify_and_refuse_edits() {
        let rng = ring::rand::SystemRandom::new();
        let key = Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key");
        let cp = Checkpoint { origin: "mrgate.example/log".into(), size: 7, root: [7u8; 32] };
        let note = cp.sign("mrgate.example/log", &key);
        assert!(note.starts_with(
            "mrgate.example/log\n7\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} mrgate.example/log "
        ));
        let (parsed, name) = Checkpoint::verify(&note, key.public_key().as_ref()).expect("verify");
        assert_eq!((parsed, name.as_str()), (cp, "mrgate.example/log"));
        assert_eq!(
            Checkpoint::verify(&note.replacen("\n7\n", "\n8\n", 1), key.public_key().as_ref())
                .expect_err("edit")
                .code(),
            "log.checkpoint_signature"
        );
        let other =
            Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key");
        assert!(Checkpoint::verify(&note, other.public_key().as_ref()).is_err());
        assert_eq!(
            Checkpoint::verify("garbage", key.public_key().as_ref()).expect_err("bad").code(),
            "log.checkpoint_malformed"
        );
    }
}
