//! W3C Bitstring Status List v1.0: how an exported credential's status is published so
//! that any VC verifier can read it without our API.
//!
//! A certificate exported as a credential holds one *slot* — a list number and an index in
//! it — for as long as the register holds the facts its credentials state; they carry two
//! `BitstringStatusListEntry`s at that slot, one in the `revocation` list and one in the
//! `suspension` list. A bit is set when the register's status says so ([`Purpose::is_set`]),
//! and a valid certificate's suspension bit while the rules in force withhold it
//! ([`Held::sets`]: the look-up would not call it valid), so that `/v1/verify`, the look-up,
//! the page and the lists tell the same status. When the register comes to hold other facts of the
//! certificate (its CB's later version, or its signed document over an exporter's word),
//! the credentials exported before state facts no longer held: `/v1/verify` refuses them
//! (`register.superseded`), and their slot is *superseded* — its revocation bit set for
//! good ([`SUPERSEDED`]) — while the certificate's next export draws a slot of its own
//! (found by attack: the lists kept vouching for a superseded credential, which any W3C
//! verifier then took as in force). A slot is never given again. An index is drawn at random among a list's free ones ([`Slot::random`]), so it
//! reveals nothing about issue order; a list is filled to half its length before the next
//! one is opened, so a free index is found in a few draws.
//!
//! A published list *version* is the set of indexes set in it ([`Version`]): its document
//! is kept and logged (entry kind `status-list`), and the list credential served is made
//! of it ([`Version::credential`]), its bitstring GZIP-compressed and base64url-encoded
//! as the specification asks.
//!
//! What it must never do: decide a status (the register and the look-up's rule do), or read
//! a list credential without a bound on what it decompresses to ([`decode`]).

use crate::model::Status;
use serde_json::{Value, json};
use std::io::{Read, Write};

/// The bits in each list: the specification's minimum (16 KB), which hides any one
/// certificate among 131,072 ("herd privacy").
pub const LENGTH: u32 = 131_072;

/// How many slots a list is given before the next list is opened: half its length, so a
/// random draw finds a free index in two tries on average.
pub const FILL: u32 = LENGTH / 2;

/// The id of a credential's entry at `index` of the list whose credential is at `list` (its
/// URL): what the gateway writes, and all a credential of its profile may state.
pub fn entry_id(list: &str, index: impl std::fmt::Display) -> String {
    format!("{list}#{index}")
}

/// The path under the public URL where list `n`'s credential for `purpose` is served.
pub fn path(list: u32, purpose: Purpose) -> String {
    format!("/v1/status-lists/{list}/{}", purpose.as_str())
}

/// What a list's bit stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Set for a certificate withdrawn or cancelled: for good.
    Revocation,
    /// Set for a certificate suspended: cleared when it is restored.
    Suspension,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Purpose::Revocation, Purpose::Suspension];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Revocation => "revocation",
            Purpose::Suspension => "suspension",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether a certificate the register holds as `status` has its bit set in this list.
    /// The one rule from register status to bits.
    pub fn is_set(self, status: Status) -> bool {
        match self {
            Purpose::Revocation => matches!(status, Status::Withdrawn | Status::Cancelled),
            Purpose::Suspension => status == Status::Suspended,
        }
    }
}

/// What a store answers, in place of a stored status, for a superseded slot (one whose
/// credentials state facts the register no longer holds of their certificate): revoked,
/// never suspended ([`Version::of`]). Not a register status, so never a certificate's.
pub const SUPERSEDED: &str = "superseded";

/// A slot whose certificate's stored status is not a register status: the list cannot be
/// told, so it is not published (a verifier reading it would take the certificate as in
/// force). Only reachable by writing the store behind the gateway's back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status list {list}, index {index}: the stored status '{status}' is not a status")]
pub struct UnreadStatus {
    pub list: u32,
    pub index: u32,
    pub status: String,
}

/// A slot as a list's version is made of it: its index, what the store holds for it (its
/// certificate's register status, or [`SUPERSEDED`]), and whether the rules in force
/// *withhold* its certificate — one the register holds valid that the look-up does not
/// call valid under the trust list and equivalence table in force
/// ([`crate::decisions::status_list::withheld`]).
/// Borrowed from where the slot is kept: a list is made of tens of thousands of them every
/// second it is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held<'s> {
    pub index: u32,
    pub stored: &'s str,
    pub withheld: bool,
}

impl<'s> Held<'s> {
    /// A slot whose certificate the rules do not withhold (or a superseded one).
    pub fn stored(index: u32, stored: &'s str) -> Held<'s> {
        Held { index, stored, withheld: false }
    }

    /// Whether this slot's bit is set in `purpose`'s list, its certificate's status being
    /// `status`: as [`Purpose::is_set`] says, and in the suspension list also while the rules
    /// in force withhold a valid certificate (rule set 25; found by review: the lists kept
    /// vouching for a certificate whose CB left the trust list, whose accreditor's
    /// membership was withdrawn, whose signer's key was withdrawn or whose standard's
    /// transition ended, all of which `/v1/verify` and the look-up refused). A suspension,
    /// not a revocation: the rules may take it back (a list installed again, a membership
    /// restored), and a revocation is for good.
    pub fn sets(&self, purpose: Purpose, status: Status) -> bool {
        purpose.is_set(status) || (purpose == Purpose::Suspension && status == Status::Valid && self.withheld)
    }

    /// Whether this slot's bit is set in `purpose`'s list of `list`, whatever it holds: a
    /// superseded slot in the revocation list only, a status as [`Held::sets`] says; refused
    /// when what it holds is neither (whatever the purpose: the stored value could have
    /// meant either). The one rule [`Version::of`] and an audit's lists are made by.
    pub fn set_in(&self, list: u32, purpose: Purpose) -> Result<bool, UnreadStatus> {
        match self.stored {
            SUPERSEDED => Ok(purpose == Purpose::Revocation),
            stored => Status::parse(stored).map(|status| self.sets(purpose, status)).ok_or_else(|| UnreadStatus {
                list,
                index: self.index,
                status: stored.to_string(),
            }),
        }
    }
}

/// A certificate's place in the status lists: list `list` (from 1), index `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub list: u32,
    pub index: u32,
}

impl Slot {
    /// A random slot in the list that takes new slots when `assigned` slots are held.
    pub fn random(assigned: u64) -> Option<Slot> {
        let list = u32::try_from(assigned / u64::from(FILL)).ok()?.checked_add(1)?;
        let mut b = [0u8; 4];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).ok()?;
        // LENGTH is a power of two: the mask keeps the draw uniform.
        Some(Slot { list, index: u32::from_be_bytes(b) & (LENGTH - 1) })
    }

    /// The two `credentialStatus` entries of a credential at this slot, under the
    /// gateway's public URL `base`.
    pub fn entries(self, base: &str) -> Value {
        Value::Array(
            Purpose::ALL
                .iter()
                .map(|p| {
                    let list = format!("{base}{}", path(self.list, *p));
                    json!({
                        "id": entry_id(&list, self.index),
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": p.as_str(),
                        "statusListIndex": self.index.to_string(),
                        "statusListCredential": list,
                    })
                })
                .collect(),
        )
    }

    /// The slot a credential's `credentialStatus` names, when it is exactly the two entries
    /// [`Slot::entries`] writes under `base`; `None` for anything else.
    pub fn of_entries(status: &Value, base: &str) -> Option<Slot> {
        let first = status.as_array()?.first()?;
        let index: u32 = first.get("statusListIndex")?.as_str()?.parse().ok()?;
        let url = first.get("statusListCredential")?.as_str()?;
        let list: u32 = url.strip_prefix(base)?.strip_prefix("/v1/status-lists/")?.split('/').next()?.parse().ok()?;
        let slot = Slot { list, index };
        (index < LENGTH && list >= 1 && slot.entries(base) == *status).then_some(slot)
    }
}

/// Why an encoded list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    #[error("the encoded list is not multibase base64url ('u' then base64url without padding)")]
    Encoding,
    #[error("the encoded list is not GZIP")]
    Gzip,
    #[error("the list holds {bits} bits; a list holds at least {LENGTH} and at most {max}", max = LENGTH * 8)]
    Length { bits: u64 },
}

/// A list's bits as the specification encodes them: bit `i` is the `i`-th from the left
/// (byte `i / 8`, most significant bit first), GZIP-compressed, then base64url without
/// padding behind the multibase prefix `u`.
pub fn encode(set: &[u32], length: u32) -> String {
    let mut bits = vec![0u8; (length / 8) as usize];
    for &i in set {
        if let Some(byte) = bits.get_mut((i / 8) as usize) {
            *byte |= 0x80 >> (i % 8);
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let compressed = gz.write_all(&bits).and_then(|()| gz.finish()).unwrap_or_default();
    format!("u{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, compressed))
}

/// The indexes set in an encoded list, and its length in bits. Never decompresses more
/// than eight minimum lengths (a GZIP bomb is refused, not inflated).
pub fn decode(encoded: &str) -> Result<(Vec<u32>, u32), StatusListError> {
    let b64 = encoded.strip_prefix('u').ok_or(StatusListError::Encoding)?;
    let compressed = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b64)
        .map_err(|_| StatusListError::Encoding)?;
    let cap = u64::from(LENGTH); // bytes: eight minimum lengths of bits
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(cap + 1)
        .read_to_end(&mut bits)
        .map_err(|_| StatusListError::Gzip)?;
    let n = bits.len() as u64 * 8;
    if n < u64::from(LENGTH) || n > cap * 8 {
        return Err(StatusListError::Length { bits: n });
    }
    let set = bits
        .iter()
        .enumerate()
        .flat_map(|(byte, b)| (0..8u32).filter(move |k| b & (0x80 >> k) != 0).map(move |k| byte as u32 * 8 + k))
        .collect();
    Ok((set, n as u32))
}

/// One version of a list: the indexes set in it. Its [`Version::document`] is what the log
/// names and keeps; its credential is made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub list: u32,
    pub purpose: Purpose,
    /// Ascending, each below [`LENGTH`].
    pub set: Vec<u32>,
}

impl Version {
    /// The version of list `list` for `purpose` over the slots held in it ([`Held`]), each
    /// with its certificate's stored register status, or [`SUPERSEDED`]; refused when any of
    /// those is neither (whatever its purpose: the stored value could have meant either).
    pub fn of(list: u32, purpose: Purpose, held: &[Held<'_>]) -> Result<Version, UnreadStatus> {
        let mut set = Vec::new();
        for slot in held {
            if slot.index < LENGTH && slot.set_in(list, purpose)? {
                set.push(slot.index);
            }
        }
        set.sort_unstable();
        set.dedup();
        Ok(Version { list, purpose, set })
    }

    /// The version as the log keeps it (canonical: members in this order, indexes
    /// ascending): what a published list credential's bits can be held to.
    pub fn document(&self) -> Vec<u8> {
        let v = json!({
            "statusList": self.list,
            "statusPurpose": self.purpose.as_str(),
            "length": LENGTH,
            "set": self.set,
        });
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// A kept version document read back; `None` when it is not exactly as
    /// [`Version::document`] writes one.
    pub fn read(document: &[u8]) -> Option<Version> {
        let v: Value = serde_json::from_slice(document).ok()?;
        let list = u32::try_from(v.get("statusList")?.as_u64()?).ok()?;
        let purpose = Purpose::parse(v.get("statusPurpose")?.as_str()?)?;
        let set = v
            .get("set")?
            .as_array()?
            .iter()
            .map(|i| i.as_u64().and_then(|i| u32::try_from(i).ok()))
            .collect::<Option<Vec<u32>>>()?;
        let version = Version { list, purpose, set };
        (version.document() == document).then_some(version)
    }

    /// The unsigned status list credential of this version, issued by `issuer` (the
    /// gateway's DID), served at `base` + [`path`], valid from `now` for `ttl` seconds
    /// (after which a verifier fetches it again). Its `relatedResource` names the version
    /// document the log keeps (by the digest its `status-list` entry names, with the
    /// document's place under `/v1/log/documents/`), so a served list is tied to its entry.
    pub fn credential(&self, base: &str, issuer: &str, now: time::OffsetDateTime, ttl: i64) -> Value {
        let url = format!("{base}{}", path(self.list, self.purpose));
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.document());
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        let sri = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest.as_ref());
        let at = |t: time::OffsetDateTime| {
            t.replace_nanosecond(0)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default()
        };
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": at(now),
            "validUntil": at(now + time::Duration::seconds(ttl)),
            "relatedResource": [{"id": format!("{base}/v1/log/documents/{hex}"), "digestSRI": format!("sha256-{sri}")}],
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": self.purpose.as_str(),
                "encodedList": encode(&self.set, LENGTH),
                "ttl": ttl * 1000,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_counted_from_the_left_and_round_trip() {
        let encoded = encode(&[0, 9, LENGTH - 1], LENGTH);
        assert!(encoded.starts_with('u'));
        assert_eq!(decode(&encoded), Ok((vec![0, 9, LENGTH - 1], LENGTH)));
        // Bit 0 is the most significant bit of byte 0; bit 9 is 0x40 of byte 1.
        let b64 = encoded.strip_prefix('u').unwrap();
        let gz = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b64).unwrap();
        let mut bits = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut bits).unwrap();
        assert_eq!((bits[0], bits[1], bits[2], bits[16383]), (0x80, 0x40, 0, 0x01));
        assert_eq!(bits.len(), 16384);
    }

    #[test]
    fn what_is_not_a_list_is_refused() {
        assert_eq!(decode("H4sI"), Err(StatusListError::Encoding));
        assert_eq!(decode("uH4sI"), Err(StatusListError::Gzip));
        assert_eq!(decode("u!!"), Err(StatusListError::Encoding));
        assert_eq!(decode(&encode(&[], 8 * 100)), Err(StatusListError::Length { bits: 800 }));
        // A bomb: zeros that inflate past the cap are refused without inflating them all.
        assert_eq!(decode(&encode(&[], LENGTH * 16)), Err(StatusListError::Length { bits: u64::from(LENGTH) * 8 + 8 }));
    }

    #[test]
    fn the_register_status_sets_the_bits() {
        let held = [
            Held::stored(5, "suspended"),
            Held::stored(3, "withdrawn"),
            Held::stored(7, "cancelled"),
            Held::stored(1, "valid"),
        ];
        assert_eq!(Version::of(1, Purpose::Suspension, &held).map(|v| v.set), Ok(vec![5]));
        assert_eq!(Version::of(1, Purpose::Revocation, &held).map(|v| v.set), Ok(vec![3, 7]));
        assert!(!Purpose::Suspension.is_set(Status::Expired) && !Purpose::Revocation.is_set(Status::Expired));
        let setting: Vec<Status> =
            Status::ALL.into_iter().filter(|s| Purpose::ALL.iter().any(|p| p.is_set(*s))).collect();
        assert_eq!(setting, [Status::Suspended, Status::Withdrawn, Status::Cancelled]);
    }

    /// The rules withhold a valid certificate only: its suspension bit, never its
    /// revocation bit (they may take it back), and nothing for a status that sets its own
    /// bits or none, nor for a superseded slot.
    #[test]
    fn a_withheld_valid_certificate_is_suspended_and_nothing_else_changes() {
        let withheld = |index: u32, stored: &'static str| Held { index, stored, withheld: true };
        let held = [
            withheld(1, "valid"),
            withheld(2, "suspended"),
            withheld(3, "withdrawn"),
            withheld(4, "cancelled"),
            withheld(5, "expired"),
            withheld(6, SUPERSEDED),
            Held::stored(7, "valid"),
        ];
        assert_eq!(Version::of(1, Purpose::Suspension, &held).map(|v| v.set), Ok(vec![1, 2]));
        assert_eq!(Version::of(1, Purpose::Revocation, &held).map(|v| v.set), Ok(vec![3, 4, 6]));
        for status in Status::ALL {
            for purpose in Purpose::ALL {
                let (with, without) = (withheld(0, status.as_str()), Held::stored(0, status.as_str()));
                let differs = with.sets(purpose, status) != without.sets(purpose, status);
                assert_eq!(
                    differs,
                    status == Status::Valid && purpose == Purpose::Suspension,
                    "{status:?} {purpose:?}"
                );
            }
        }
    }

    /// A stored status that is not a status refuses the list, in either purpose, wherever
    /// it stands among the slots: no list is published as if the certificate were in force.
    #[test]
    fn a_stored_status_that_is_not_a_status_refuses_the_list() {
        for bad in ["", "Valid", "valid ", "revoked", "suspended\0", "有效"] {
            for at in 0..3 {
                let mut held = vec![Held::stored(5, "suspended"), Held::stored(3, "withdrawn")];
                held.insert(at, Held { index: 9, stored: bad, withheld: at == 1 });
                for purpose in Purpose::ALL {
                    assert_eq!(
                        Version::of(2, purpose, &held),
                        Err(UnreadStatus { list: 2, index: 9, status: bad.into() }),
                        "{bad:?} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_version_document_reads_back_only_as_written() {
        let v = Version { list: 2, purpose: Purpose::Revocation, set: vec![1, 40] };
        assert_eq!(Version::read(&v.document()), Some(v.clone()));
        let spaced = String::from_utf8(v.document()).unwrap().replace(':', ": ");
        assert_eq!(Version::read(spaced.as_bytes()), None);
        assert_eq!(Version::read(br#"{"statusList":2,"statusPurpose":"other","length":131072,"set":[]}"#), None);
    }

    #[test]
    fn entries_name_one_slot_in_both_lists_and_read_back() {
        let base = "https://gw.example";
        let slot = Slot { list: 1, index: 4242 };
        let entries = slot.entries(base);
        assert_eq!(entries[0]["statusListCredential"], "https://gw.example/v1/status-lists/1/revocation");
        assert_eq!(entries[1]["id"], "https://gw.example/v1/status-lists/1/suspension#4242");
        assert_eq!(entries[1]["statusListIndex"], "4242");
        assert_eq!(Slot::of_entries(&entries, base), Some(slot));
        assert_eq!(Slot::of_entries(&entries, "https://other.example"), None);
        let mut changed = entries.clone();
        changed[1]["statusListIndex"] = json!("4243");
        assert_eq!(Slot::of_entries(&changed, base), None);
        assert_eq!(Slot::of_entries(&json!([]), base), None);
    }

    #[test]
    fn random_slots_fill_a_list_to_half_then_open_the_next() {
        assert_eq!(Slot::random(0).unwrap().list, 1);
        assert_eq!(Slot::random(u64::from(FILL) - 1).unwrap().list, 1);
        assert_eq!(Slot::random(u64::from(FILL)).unwrap().list, 2);
        assert!((0..64).map(|_| Slot::random(0).unwrap().index).all(|i| i < LENGTH));
        assert!((0..64).map(|_| Slot::random(0).unwrap().index).collect::<std::collections::HashSet<_>>().len() > 1);
    }
}
