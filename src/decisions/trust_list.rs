//! Installing a trust list: by an operator over the API, or from the configuration file
//! the first time that list comes into force. The list must pass the install policy
//! (pinned signer with the tslSigning EKU, dates, see [`crate::trust::InstallPolicy`]) and
//! succeed the list in force ([`crate::trust::Succession`]); its install is logged and the
//! version stored in one commit, since the newest stored list is the one in force after a
//! restart and none may be stored unlogged.

use super::{Caller, Class, Decided, Decision, Refusal, Role};
use crate::ledger::entry::{Entry, RuleVersion, Rules};
use crate::store::{Effect, TrustListVersion};
use crate::trust::{InstallPolicy, Succession, TrustList};
use crate::xml::Limits;
use time::OffsetDateTime;

/// A list read and checked for install, not yet in force.
#[derive(Debug)]
pub struct Candidate {
    pub list: TrustList,
    pub document: Vec<u8>,
}

/// Reads `document` as a list `caller` (an operator) may install at `now`.
pub fn candidate(
    policy: &InstallPolicy,
    caller: &Caller,
    document: &[u8],
    now: OffsetDateTime,
    limits: &Limits,
) -> Result<Candidate, Refusal> {
    if caller.role != Role::Operator {
        return Err(Refusal::role(caller, "installing a trust list needs an operator client certificate"));
    }
    let list = policy.load(document, now, limits).map_err(|e| {
        let class = if e.is_syntax() { Class::Malformed } else { Class::Invalid };
        Refusal::new(class, e.code(), e.to_string())
    })?;
    Ok(Candidate { list, document: document.to_vec() })
}

/// The install of `candidate` over `in_force`: refused unless it is newer; else its log
/// entry and stored version. The answer is the installed list's sequence and digest.
/// `crls` is the digest of the CRL set the candidate was checked with (its entry names it).
pub fn install(
    candidate: &Candidate,
    in_force: &TrustList,
    actor: &str,
    table: Option<RuleVersion>,
    crls: &str,
    now: OffsetDateTime,
) -> Decided<(u64, String)> {
    let list = &candidate.list;
    if Succession::of((in_force.sequence, &in_force.digest), (list.sequence, &list.digest)) != Succession::Newer {
        return Err(Refusal::new(
            Class::Conflict,
            "trust.sequence",
            format!("sequence {} is not newer than the installed {}", list.sequence, in_force.sequence),
        ));
    }
    Ok(installing(list, &candidate.document, actor, table, crls, now, Some(&in_force.digest)))
}

/// A list's install as the log records it and the store keeps it, whatever installs it;
/// its entry names the list it installs, the equivalence table in force (`table`) and the
/// CRL set the list was checked with (`crls`, its digest).
/// `succeeds` is the digest of the list it was found newer than, if any: the install is
/// committed only while that list is still the newest stored (two installs decided against
/// one list, through two nodes say, cannot both land); with none, only while no list is
/// stored (the first list, installed once however many nodes start together).
pub fn installing(
    list: &TrustList,
    document: &[u8],
    actor: &str,
    table: Option<RuleVersion>,
    crls: &str,
    now: OffsetDateTime,
    succeeds: Option<&str>,
) -> Decision<(u64, String)> {
    let installed_at = super::rfc3339(now);
    let entry = Entry {
        kind: "trust-list".into(),
        time: installed_at.clone(),
        actor: actor.into(),
        inputs: vec![super::digest(document)],
        outputs: vec![],
        rules: Rules::V2 {
            trust_list: Some(RuleVersion { sequence: list.sequence, digest: list.digest.clone() }),
            equivalence_table: table,
            crls: Some(crls.into()),
            rule_set: Some(super::RULE_SET.into()),
        },
        verdict: "installed".into(),
        reasons: vec![format!("trust.sequence.{}", list.sequence)],
    };
    let version = TrustListVersion {
        sequence: list.sequence,
        digest: list.digest.clone(),
        installed_at,
        document: document.to_vec(),
    };
    let held = match succeeds {
        Some(digest) => Effect::TrustListInForce { digest: digest.into() },
        None => Effect::NoTrustList,
    };
    let effects = vec![held, Effect::PutTrustList(version)];
    Decision::new((list.sequence, list.digest.clone()), entry, effects)
}
