//! Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, the Ed25519
//! `cosignature/v1` type): what a witness adds to a checkpoint once it has checked that the
//! checkpoint extends every earlier one it saw of that log.
//!
//! A cosignature is a signed-note signature line `— <witness name> base64(key id ‖
//! timestamp ‖ signature)`: the key id is the first four bytes of SHA-256(name ‖ 0x0A ‖
//! 0x04 ‖ public key), the timestamp eight bytes big-endian (POSIX seconds), and the Ed25519
//! signature covers
//!
//! ```text
//! cosignature/v1
//! time <timestamp>
//! <the checkpoint's note body, its three lines>
//! ```
//!
//! A witness is known to a client by its verifier key (`<name>+<key id, 8 hex>+base64(0x04 ‖
//! key)`). This module signs and checks; it never decides which witnesses to trust or how
//! many are enough (the gateway's policy and the client's flags do).

use super::checkpoint::{CheckpointError, check_key_name};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

/// The signed-note signature type of an Ed25519 cosignature.
const COSIGNATURE_V1: u8 = 0x04;

/// A witness as a client knows it: its name and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub name: String,
    pub public_key: [u8; 32],
}

/// The key id of a cosigner's key.
pub fn key_id(name: &str, public_key: &[u8]) -> [u8; 4] {
    let mut c = ring::digest::Context::new(&ring::digest::SHA256);
    c.update(name.as_bytes());
    c.update(b"\n");
    c.update(&[COSIGNATURE_V1]);
    c.update(public_key);
    c.finish().as_ref().first_chunk::<4>().copied().unwrap_or_default()
}

/// The message a `cosignature/v1` signs: the header, the time, the note body.
pub fn message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

impl Witness {
    /// The witness whose key pair is `key`, named `name` (a signed-note key name).
    pub fn of(name: &str, key: &Ed25519KeyPair) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        let public_key = key.public_key().as_ref().try_into().map_err(|_| malformed("an Ed25519 key is 32 bytes"))?;
        Ok(Self { name: name.into(), public_key })
    }

    /// Reads a verifier key `<name>+<key id>+<base64(0x04 ‖ key)>`; refused unless it is an
    /// Ed25519 cosignature key whose id matches its name and key.
    pub fn from_verifier_key(vkey: &str) -> Result<Self, CheckpointError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed("a verifier key is <name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        let key = STANDARD.decode(key).map_err(|_| malformed("the verifier key's key is not base64"))?;
        let Some((&COSIGNATURE_V1, public)) = key.split_first() else {
            return Err(malformed("not a cosignature/v1 (Ed25519, type 0x04) verifier key"));
        };
        let public_key: [u8; 32] = public.try_into().map_err(|_| malformed("an Ed25519 key is 32 bytes"))?;
        let expected = format!("{:08x}", u32::from_be_bytes(key_id(name, &public_key)));
        if id != expected {
            return Err(malformed("the verifier key's id does not match its name and key"));
        }
        Ok(Self { name: name.into(), public_key })
    }

    /// This witness's verifier key, as [`Witness::from_verifier_key`] reads it.
    pub fn verifier_key(&self) -> String {
        let mut key = vec![COSIGNATURE_V1];
        key.extend_from_slice(&self.public_key);
        format!(
            "{}+{:08x}+{}",
            self.name,
            u32::from_be_bytes(key_id(&self.name, &self.public_key)),
            STANDARD.encode(key)
        )
    }

    /// The time (POSIX seconds) of this witness's valid cosignature among `note`'s signature
    /// lines, if there is one. Lines of other keys, and malformed ones, are passed over: a
    /// note is checked for the log's own signature elsewhere.
    pub fn cosigned(&self, note: &str) -> Option<u64> {
        let (body, signatures) = note.split_once("\n\n")?;
        let body = format!("{body}\n");
        let id = key_id(&self.name, &self.public_key);
        signatures.lines().find_map(|line| {
            let (name, sig) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
            let blob = STANDARD.decode(sig).ok().filter(|_| name == self.name)?;
            let (line_id, rest) = blob.split_first_chunk::<4>()?;
            let (time, signature) = rest.split_first_chunk::<8>().filter(|(_, s)| s.len() == 64 && *line_id == id)?;
            let timestamp = u64::from_be_bytes(*time);
            UnparsedPublicKey::new(&ED25519, &self.public_key)
                .verify(message(&body, timestamp).as_bytes(), signature)
                .ok()
                .map(|()| timestamp)
        })
    }
}

fn malformed(why: &str) -> CheckpointError {
    CheckpointError::Malformed(why.into())
}

/// The cosignature line (ending in a newline) of witness `name` with `key` on a checkpoint
/// whose note body is `body`, made at `timestamp`.
pub fn cosign(body: &str, name: &str, key: &Ed25519KeyPair, timestamp: u64) -> String {
    let signature = key.sign(message(body, timestamp).as_bytes());
    let mut blob = key_id(name, key.public_key().as_ref()).to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(signature.as_ref());
    format!("\u{2014} {name} {}\n", STANDARD.encode(blob))
}

/// The witnesses among `trusted` that cosigned `note`, each with its cosignature's time;
/// a key given twice (under one name or two) counts once, so that one witness never passes
/// for two.
pub fn vouching<'a>(note: &str, trusted: &'a [Witness]) -> Vec<(&'a Witness, u64)> {
    let mut keys = std::collections::BTreeSet::new();
    trusted.iter().filter(|w| keys.insert(w.public_key)).filter_map(|w| w.cosigned(note).map(|t| (w, t))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::checkpoint::Checkpoint;

    fn key() -> Ed25519KeyPair {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key")
    }

    #[test]
    fn a_cosignature_verifies_for_its_witness_only_and_over_its_checkpoint_only() {
        let (log, w1, w2) = (key(), key(), key());
        let cp = Checkpoint { origin: "mrgate.example/log".into(), size: 7, root: [7u8; 32] };
        let note = cp.sign("mrgate.example/log", &log);
        let witness = Witness::of("witness.example/w1", &w1).expect("witness");
        let cosigned = format!("{note}{}", cosign(&cp.body(), "witness.example/w1", &w1, 1_700_000_000));
        assert_eq!(witness.cosigned(&cosigned), Some(1_700_000_000));
        // The log's own signature still verifies with the cosignature beside it.
        assert_eq!(Checkpoint::verify(&cosigned, log.public_key().as_ref()).map(|(c, _)| c), Ok(cp.clone()));
        // Another witness's key under the same name, another name, an edited size: nothing.
        let impostor =
            Witness { name: "witness.example/w1".into(), public_key: Witness::of("x", &w2).expect("w").public_key };
        assert_eq!(impostor.cosigned(&cosigned), None);
        let renamed = cosigned.replace("\u{2014} witness.example/w1 ", "\u{2014} witness.example/w9 ");
        assert_eq!(witness.cosigned(&renamed), None);
        assert_eq!(witness.cosigned(&cosigned.replacen("\n7\n", "\n8\n", 1)), None);
        // The timestamp is signed: moving it breaks the signature.
        let line = cosign(&cp.body(), "witness.example/w1", &w1, 1_700_000_000);
        let mut blob = STANDARD.decode(line.trim_end().rsplit_once(' ').expect("sig").1).expect("b64");
        blob[11] ^= 1;
        let moved = format!("{note}\u{2014} witness.example/w1 {}\n", STANDARD.encode(blob));
        assert_eq!(witness.cosigned(&moved), None);
        let trusted = [witness.clone(), Witness::of("witness.example/w2", &w2).expect("w2")];
        assert_eq!(
            vouching(&cosigned, &trusted).iter().map(|(w, _)| w.name.as_str()).collect::<Vec<_>>(),
            ["witness.example/w1"]
        );
        // One key given twice, or under a second name, vouches once (found by review).
        let alias = Witness { name: "witness.example/alias".into(), public_key: witness.public_key };
        let twice = format!("{cosigned}{}", cosign(&cp.body(), "witness.example/alias", &w1, 1_700_000_001));
        assert_eq!(vouching(&twice, &[witness.clone(), witness.clone(), alias]).len(), 1);
    }

    #[test]
    fn verifier_keys_round_trip_and_refuse_what_is_not_a_cosigner_key() {
        let w = Witness::of("witness.example/w1", &key()).expect("witness");
        let vkey = w.verifier_key();
        assert_eq!(Witness::from_verifier_key(&vkey), Ok(w.clone()));
        let (name, rest) = vkey.split_once('+').expect("name");
        let (id, material) = rest.split_once('+').expect("id");
        let mut log_type = STANDARD.decode(material).expect("b64");
        log_type[0] = 0x01;
        for (bad, why) in [
            (format!("{name}+00000000+{material}"), "does not match"),
            (format!("{name}+{id}+{}", STANDARD.encode(&log_type)), "type 0x04"),
            (format!("{name}+{id}"), "<name>+<key id>+<key>"),
            (format!("{name}+{id}+!!"), "not base64"),
            (format!("a b+{id}+{material}"), "space"),
        ] {
            let err = Witness::from_verifier_key(&bad).expect_err(&bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }
}
