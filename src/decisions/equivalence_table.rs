//! Installing an equivalence table: by an operator over the API (a version signed by a
//! pinned trust-list signer, see [`crate::trust::equivalence_table`]), or the build's own table
//! the first time a gateway starts on a store that holds none. As a trust list's install
//! is, the install is logged and the version stored in one commit, and a version is
//! installed only over the one it was found newer than: the table in force, on every node,
//! is the newest stored, and the log says when each came into force.

use super::{Caller, Class, Decided, Decision, Refusal, Role};
use crate::ledger::entry::{Entry, RuleVersion, Rules};
use crate::store::{Effect, TableVersion};
use crate::trust::InstallPolicy;
use crate::trust::equivalence_table::{self as signed, Version};
use time::OffsetDateTime;

/// Reads `document` as a table `caller` (an operator) may install at `now`.
pub fn candidate(
    policy: &InstallPolicy,
    caller: &Caller,
    document: &[u8],
    now: OffsetDateTime,
) -> Result<Version, Refusal> {
    if caller.role != Role::Operator {
        return Err(Refusal::role(caller, "installing an equivalence table needs an operator client certificate"));
    }
    if document.is_empty() {
        return Err(Refusal::new(Class::Malformed, "http.empty", "send the signed table as the request body"));
    }
    signed::read_signed(document, policy, now).map_err(|e| {
        let class = if e.code() == "rules.unsigned" { Class::Malformed } else { Class::Invalid };
        Refusal::new(class, e.code(), e.to_string())
    })
}

/// The install of `candidate` over `in_force`: refused unless its sequence is higher; else
/// its log entry and stored version. The answer is the installed version. `crls` is the
/// digest of the CRL set the candidate was checked with (its entry names it).
pub fn install(
    candidate: &Version,
    in_force: &Version,
    trust_list: Option<RuleVersion>,
    crls: &str,
    actor: &str,
    now: OffsetDateTime,
) -> Decided<RuleVersion> {
    let succession = crate::trust::Succession::of(
        (in_force.table.sequence, &in_force.digest),
        (candidate.table.sequence, &candidate.digest),
    );
    if succession != crate::trust::Succession::Newer {
        return Err(Refusal::new(
            Class::Conflict,
            "rules.sequence",
            format!(
                "equivalence table sequence {} is not newer than the installed {}",
                candidate.table.sequence, in_force.table.sequence
            ),
        ));
    }
    Ok(installing(candidate, trust_list, crls, actor, now, Some(&in_force.digest)))
}

/// A table's install as the log records it and the store keeps it, whoever installs it.
/// `succeeds` is the digest of the table it was found newer than: the install is committed
/// only while that table is still the newest stored; with none, only while no table is
/// stored (the build's table, installed once however many nodes start together).
pub fn installing(
    version: &Version,
    trust_list: Option<RuleVersion>,
    crls: &str,
    actor: &str,
    now: OffsetDateTime,
    succeeds: Option<&str>,
) -> Decision<RuleVersion> {
    let installed_at = super::rfc3339(now);
    let named = RuleVersion { sequence: version.table.sequence, digest: version.digest.clone() };
    let entry = Entry {
        kind: "equivalence-table".into(),
        time: installed_at.clone(),
        actor: actor.into(),
        inputs: vec![version.digest.clone()],
        outputs: vec![],
        rules: Rules::V2 {
            trust_list,
            equivalence_table: Some(named.clone()),
            crls: Some(crls.into()),
            rule_set: Some(super::RULE_SET.into()),
        },
        verdict: "installed".into(),
        reasons: vec![],
    };
    let stored = TableVersion {
        sequence: version.table.sequence,
        digest: version.digest.clone(),
        label: version.table.version.clone(),
        installed_at,
        document: version.document.clone(),
    };
    let held = match succeeds {
        Some(digest) => Effect::TableInForce { digest: digest.into() },
        None => Effect::NoEquivalenceTable,
    };
    Decision::new(named, entry, vec![held, Effect::PutEquivalenceTable(stored)])
}
