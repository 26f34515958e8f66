//! The gateway's sweep of exporter's words beside look-alike numbers (rule set 28).
//!
//! Rule sets 26 and 27 act when a number is registered: its first registration suspends
//! the exporter's word on a number of the same CB that reads as it. A pair registered
//! before those rules was left as it stood (a migration writes nothing the log does not
//! say), so the exporter's word stayed valid, or restorable by a restoration its body
//! signed before. A node sweeps at start: every exporter's word beside a number the rules
//! did not meet ([`super::register::swept`]) is suspended by the gateway's own status event
//! ([`super::register::SWEPT`]), under one logged decision that an audit decides again from
//! the register the log made. Under rule set 28 the rules meet every number as it is
//! registered, so after the first sweep there is nothing more to sweep, and a node logs
//! nothing when there is nothing.
//!
//! It must never name the words or their numbers in its entry: the log is public, and a
//! suspended word's look-up must not list its CB's numbers to an exporter that planted
//! look-alikes.

use super::Decision;
use crate::ledger::entry::{Entry, RuleVersion, Rules};
use crate::model::Status;
use crate::store::{Effect, LookAlikeWord, StatusEvent};
use time::OffsetDateTime;

/// The kind of a sweep's log entry.
pub const KIND: &str = "look-alikes";

/// Its verdict: the words it names nowhere are suspended.
pub const VERDICT: &str = "suspended";

/// The reason it gives: the rule it applies.
pub const REASON: &str = "register.look_alike";

/// What a sweep decides.
#[derive(Debug)]
pub struct Grounds<'a> {
    /// The trust list in force (its entry names it, as every decision's does).
    pub trust_list: RuleVersion,
    /// The equivalence table in force.
    pub table: Option<RuleVersion>,
    /// The digest of the CRL set in force.
    pub crls: &'a str,
    /// The time of the decision, to the second.
    pub now: OffsetDateTime,
}

/// The sweep of `words` (as [`crate::store::Store::look_alike_words`] read them): `None`
/// when the rules met every one of them. Its answer is the words it suspends, (issuer,
/// number) in order; its write holds each to the rule again at commit
/// ([`Effect::SweepLookAlikes`]), so that a register changed meanwhile is read again.
pub fn sweep(words: &[LookAlikeWord], grounds: Grounds<'_>) -> Option<Decision<Vec<(String, String)>>> {
    let suspended = super::register::swept(words);
    if suspended.is_empty() {
        return None;
    }
    let time = super::rfc3339(grounds.now);
    let holds = [
        Some(Effect::TrustListInForce { digest: grounds.trust_list.digest.clone() }),
        grounds.table.as_ref().map(|t| Effect::TableInForce { digest: t.digest.clone() }),
    ];
    let entry = Entry {
        kind: KIND.into(),
        time: time.clone(),
        actor: super::status_list::ACTOR.into(),
        inputs: vec![],
        outputs: vec![],
        rules: Rules::V2 {
            trust_list: Some(grounds.trust_list),
            equivalence_table: grounds.table,
            crls: Some(grounds.crls.into()),
            rule_set: Some(super::RULE_SET.into()),
        },
        verdict: VERDICT.into(),
        reasons: vec![REASON.into()],
    };
    let event = StatusEvent {
        status: Status::Suspended.as_str().into(),
        since: time,
        actor: super::status_list::ACTOR.into(),
        reference: super::register::SWEPT.into(),
    };
    let mut effects: Vec<Effect> = holds.into_iter().flatten().collect();
    effects.push(Effect::SweepLookAlikes { suspended: suspended.clone(), event });
    Some(Decision::new(suspended, entry, effects))
}
