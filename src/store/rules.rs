//! When the store refuses an effect, given what it read inside the effect's transaction:
//! one home for both backends, which only read and write. Each rule answers `Ok` or the
//! conflict ([`StoreError::Conflict`]) that refuses the write.
//!
//! These must never read or write anything themselves: the backend reads under its own
//! transaction, so that what a rule is given is what the write will commit over.

use super::{Effect, PtResultRecord, StoreError};

/// The conflict of an export whose random status-list slot another export took meanwhile
/// ([`super::Effect::HoldStatusSlot`]): never recorded, the export draws again.
pub const SLOT_TAKEN: &str = "status.slot_taken";

/// The conflict of a decision on a certificate that the register changed under, between the
/// decision's read and its commit ([`super::Effect::ExpectCertificate`]), or whose
/// status-list slot an export of the same certificate took first
/// ([`super::Effect::HoldStatusSlot`]).
pub const REGISTER_CONFLICT: &str = "register.conflict";

fn conflict(reason: &'static str, message: String) -> StoreError {
    StoreError::Conflict { reason, message }
}

/// `ExpectCertificate`: the certificate is as the decision read it.
pub fn as_read(
    issuer: &str,
    number: &str,
    held: &Option<super::AsRead>,
    as_read: &Option<super::AsRead>,
) -> Result<(), StoreError> {
    if held != as_read {
        return Err(conflict(
            REGISTER_CONFLICT,
            format!("certificate {issuer}/{number} changed while the decision was made; ask again"),
        ));
    }
    Ok(())
}

/// `NoLookAlike`: no other number of the CB reads as this one. `others` is what
/// [`super::Store::look_alikes`] reads inside the write's transaction.
/// The number found is not said, as the decision's own refusal does not say it.
pub fn no_look_alike(issuer: &str, number: &str, others: &[super::LookAlike]) -> Result<(), StoreError> {
    match others.is_empty() {
        false => Err(conflict(
            REGISTER_CONFLICT,
            format!(
                "a number of {issuer} that reads as {number} was registered while the decision was made; ask again"
            ),
        )),
        true => Ok(()),
    }
}

/// `SuspendLookAlikes`: the certificates to suspend are those the rule gives now, among
/// the look-alikes read inside the write's transaction (`held`).
pub fn look_alikes_as_read(
    issuer: &str,
    number: &str,
    held: &[super::LookAlike],
    as_read: &[String],
) -> Result<(), StoreError> {
    if crate::decisions::register::suspended_among(held) != as_read {
        return Err(conflict(
            REGISTER_CONFLICT,
            format!(
                "the exporter's word on numbers of {issuer} that read as {number} changed while the decision was made; ask again"
            ),
        ));
    }
    Ok(())
}

/// `SweepLookAlikes`: word `issuer`/`number` is one the rule sweeps now
/// ([`crate::decisions::register::swept`]), as read inside the write's transaction (`held`:
/// that word alone, if the register holds it beside look-alikes).
pub fn still_swept(issuer: &str, number: &str, held: &[super::LookAlikeWord]) -> Result<(), StoreError> {
    if crate::decisions::register::swept(held) != [(issuer.to_string(), number.to_string())] {
        return Err(conflict(
            REGISTER_CONFLICT,
            format!(
                "the exporter's word {issuer}/{number} or a number beside it changed while the sweep was decided; ask again"
            ),
        ));
    }
    Ok(())
}

/// `SweepLookAlikes`: its words are in (issuer, number) order, once each, as the rule
/// gives them.
pub fn in_order(words: &[(String, String)]) -> Result<(), StoreError> {
    if words.iter().zip(words.iter().skip(1)).any(|(a, b)| a >= b) {
        return Err(conflict(
            REGISTER_CONFLICT,
            "a sweep's words are not in (issuer, number) order, once each, as the rule gives them".into(),
        ));
    }
    Ok(())
}

/// `PutTrustList`: a sequence names one list (were two kept, which one a past decision
/// used would depend on which the store happened to return). `other` is the digest of a
/// different list already stored under `sequence`, if any.
pub fn one_list_per_sequence(other: Option<String>, sequence: u64) -> Result<(), StoreError> {
    match other {
        Some(other) => Err(conflict(
            "trust.sequence_reused",
            format!("a different trust list (sha256:{other}) is already installed as sequence {sequence}"),
        )),
        None => Ok(()),
    }
}

/// The rule documents a write is held to (its `TrustListInForce` and `TableInForce`). A
/// backend checks holds in its commit loop, reading the newest stored versions once per
/// commit (and again after a write of the commit stored one), rather than as an effect of
/// its own: every verification carries them, and a savepoint and a read per write would
/// hold the commit lock for longer than the rest of the commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holds<'a> {
    pub trust_list: Option<&'a str>,
    pub table: Option<&'a str>,
}

impl Holds<'_> {
    pub fn any(&self) -> bool {
        self.trust_list.is_some() || self.table.is_some()
    }
}

/// The digests of the newest stored trust list and equivalence table, as a commit read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Newest {
    pub trust_list: Option<String>,
    pub table: Option<String>,
}

pub fn held_to(effects: &[Effect]) -> Holds<'_> {
    let mut holds = Holds::default();
    for e in effects {
        match e {
            Effect::TrustListInForce { digest } => holds.trust_list = Some(digest),
            Effect::TableInForce { digest } => holds.table = Some(digest),
            _ => {}
        }
    }
    holds
}

/// Whether none of a write's effects can be refused (holds, checked apart, and documents
/// kept): then it needs no savepoint, and it may be queued to the log's group commit.
pub fn cannot_be_refused(effects: &[Effect]) -> bool {
    effects.iter().all(|e| {
        matches!(
            e,
            Effect::TrustListInForce { .. }
                | Effect::TableInForce { .. }
                | Effect::RegisterAsRead { .. }
                | Effect::KeepDocument { .. }
        )
    })
}

/// What a write's [`Effect::RegisterAsRead`] holds to.
#[derive(Debug, Clone, Copy)]
pub struct AsVerified<'a> {
    pub issuer: &'a str,
    pub number: &'a str,
    pub status: Option<&'a str>,
    /// The SHA-256 (hex) of the registered document, when the decision compared facts.
    pub document: Option<&'a str>,
}

/// The `RegisterAsRead` holds of a write.
pub fn registers_as_read(effects: &[Effect]) -> impl Iterator<Item = AsVerified<'_>> {
    effects.iter().filter_map(|e| match e {
        Effect::RegisterAsRead { issuer, number, status, document } => {
            Some(AsVerified { issuer, number, status: status.as_deref(), document: document.as_deref() })
        }
        _ => None,
    })
}

/// `RegisterAsRead`: the register holds the certificate as the decision read it. `held` is
/// its registered status and the SHA-256 (hex) of its document, `None` when it holds no
/// such certificate; the document is compared only when the decision read it.
pub fn register_as_read(read: AsVerified<'_>, held: Option<(&str, &str)>) -> Result<(), StoreError> {
    let status = held.map(|(status, _)| status);
    let document_differs = match (read.document, held) {
        (Some(read), Some((_, held))) => read != held,
        _ => false,
    };
    if read.status != status || document_differs {
        let (issuer, number) = (read.issuer, read.number);
        return Err(conflict(
            "register.changed",
            format!(
                "certificate {issuer}/{number} changed in the register ({} is registered) while it was verified; ask again",
                status.unwrap_or("nothing")
            ),
        ));
    }
    Ok(())
}

/// Whether a write stores a rule document (after it, a commit reads the newest again).
pub fn stores_rules(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::PutTrustList(_) | Effect::PutEquivalenceTable(_)))
}

/// `TrustListInForce` and `TableInForce`: a decision is logged only while the rule
/// documents it was made with are the newest stored (none stored: nothing to hold).
pub fn rules_in_force(newest: &Newest, holds: Holds<'_>) -> Result<(), StoreError> {
    if let (Some(newest), Some(digest)) = (&newest.trust_list, holds.trust_list)
        && newest != digest
    {
        return Err(conflict(
            "trust.list_changed",
            format!("the trust list changed (sha256:{newest} is in force) while the decision was made; ask again"),
        ));
    }
    if let (Some(newest), Some(digest)) = (&newest.table, holds.table)
        && newest != digest
    {
        return Err(conflict(
            "rules.table_changed",
            format!(
                "the equivalence table changed (sha256:{newest} is in force) while the decision was made; ask again"
            ),
        ));
    }
    Ok(())
}

/// `NoTrustList`: the first list's install stands only while no list is stored (`newest`,
/// the newest stored list's digest).
pub fn no_list_stored(newest: Option<String>) -> Result<(), StoreError> {
    match newest {
        Some(newest) => Err(conflict(
            "trust.list_changed",
            format!("a trust list (sha256:{newest}) is stored already; this install was decided without it"),
        )),
        None => Ok(()),
    }
}

/// `NoEquivalenceTable`: the build's table is installed as the first version only while no
/// table is stored (`newest`, the newest stored table's digest).
pub fn no_table_stored(newest: Option<String>) -> Result<(), StoreError> {
    match newest {
        Some(newest) => Err(conflict(
            "rules.table_changed",
            format!("an equivalence table (sha256:{newest}) is stored already; this install was decided without it"),
        )),
        None => Ok(()),
    }
}

/// `PutEquivalenceTable`: a sequence names one table. `other` is the digest of a different
/// table already stored under `sequence`, if any.
pub fn one_table_per_sequence(other: Option<String>, sequence: u64) -> Result<(), StoreError> {
    match other {
        Some(other) => Err(conflict(
            "rules.sequence_reused",
            format!("a different equivalence table (sha256:{other}) is already installed as sequence {sequence}"),
        )),
        None => Ok(()),
    }
}

/// `PutPtRound`: a round id is defined once (`inserted`: whether the insert took).
pub fn new_round(inserted: bool, id: &str) -> Result<(), StoreError> {
    if inserted { Ok(()) } else { Err(conflict("pt.round_exists", format!("round '{id}' is already defined"))) }
}

/// A round takes submissions and its close only while it is defined and not closed
/// (`closed`: `None` for no such round, else its closing time if any).
pub fn still_open(id: &str, closed: Option<Option<String>>) -> Result<(), StoreError> {
    match closed {
        None => Err(conflict("pt.round_unknown", format!("no round '{id}'"))),
        Some(Some(at)) => Err(conflict("pt.round_closed", format!("round '{id}' closed at {at}"))),
        Some(None) => Ok(()),
    }
}

/// `ClosePtRound`: the round holds exactly the submissions the close names, in order (one
/// committed after the closer read the round would not be named by the close's entry).
pub fn closes_with(id: &str, held: &[String], named: &[String]) -> Result<(), StoreError> {
    if held != named {
        return Err(conflict(
            "pt.results_changed",
            format!("round '{id}' holds {} submissions, the close names {}", held.len(), named.len()),
        ));
    }
    Ok(())
}

/// `PutPtReport`: only a closing round without a report takes one (`updated`: whether the
/// guarded update took).
pub fn report_taken(updated: bool, id: &str) -> Result<(), StoreError> {
    if updated {
        Ok(())
    } else {
        Err(conflict("pt.round_closed", format!("round '{id}' is not closing or already has its report")))
    }
}

/// `PutPtSubmission`: a participant's result is replaced only by the partner that
/// submitted it.
pub fn same_submitter(previous: &PtResultRecord, result: &PtResultRecord) -> Result<(), StoreError> {
    if previous.submitter != result.submitter {
        return Err(conflict(
            "pt.participant_taken",
            // Which partner, the round's results do not say to another partner before it closes.
            format!("participant '{}' was submitted by another partner", previous.participant),
        ));
    }
    Ok(())
}

/// `PutPtSubmission`: the entry logged with a submission says whether it replaced results
/// (`replacing`); another submission committed in between may have made that untrue.
pub fn replacing_as_stated(round: &str, replaced_any: bool, replacing: bool) -> Result<(), StoreError> {
    if replaced_any != replacing {
        return Err(conflict(
            "pt.results_changed",
            format!("the results of round '{round}' changed while this submission was checked"),
        ));
    }
    Ok(())
}

/// `HoldStatusSlot`: whether the slot is to be written (`false`: the certificate holds it
/// already), given the slot the certificate holds (`held`) and whether another certificate
/// holds `slot` (`taken`).
pub fn slot_free(
    issuer: &str,
    number: &str,
    slot: crate::status_list::Slot,
    held: Option<crate::status_list::Slot>,
    taken: bool,
) -> Result<bool, StoreError> {
    if slot.list == 0 || slot.index >= crate::status_list::LENGTH {
        return Err(StoreError::Database(format!("status-list slot {}/{} is out of range", slot.list, slot.index)));
    }
    match held {
        Some(h) if h == slot => Ok(false),
        Some(h) => Err(conflict(
            REGISTER_CONFLICT,
            format!(
                "{issuer}/{number} holds status-list slot {}/{}, not {}/{}; ask again",
                h.list, h.index, slot.list, slot.index
            ),
        )),
        None if taken => Err(conflict(
            SLOT_TAKEN,
            format!(
                "status-list slot {}/{} was given to another certificate meanwhile; ask again",
                slot.list, slot.index
            ),
        )),
        None => Ok(true),
    }
}

/// `StatusListIs`: list `list`'s slots now (`now`) are the ones a version was made of
/// (`read`).
pub fn list_is(list: u32, read: super::ListChanges, now: super::ListChanges) -> Result<(), StoreError> {
    if read != now {
        return Err(conflict(
            "status.list_changed",
            format!("status list {list} changed while it was published; ask again"),
        ));
    }
    Ok(())
}

/// `Publish`: the document is not the one published as `what` already (`latest`).
pub fn newly_published(what: &str, latest: Option<&str>, digest: &str) -> Result<(), StoreError> {
    if latest == Some(digest) {
        return Err(conflict("publication.current", format!("{what} sha256:{digest} is published already")));
    }
    Ok(())
}
