//! The rules the gateway decides by, as records anyone can look up: the equivalence table in
//! force (kept across reloads, followed from the store on a shared one, as the trust list
//! is), its install by an operator, and the public routes that list every version of both
//! rule documents and serve each one by sequence.
//!
//! What it must never do: put a table in force that is not stored and logged, or serve a
//! version other than the stored bytes whose digest the log names.

use super::http::{Body, bytes, json, problem, recorded_json, refused};
use super::{App, Req};
use crate::decisions::equivalence_table;
use crate::decisions::{RULE_SET, Recorder};
use crate::ledger::entry::RuleVersion;
use crate::store::Store;
use crate::trust::equivalence_table::{self as signed, Origin, Version};
use crate::trust::{InstallPolicy, Succession};
use hyper::{Response, StatusCode};
use serde_json::json;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// The build's own equivalence table.
fn embedded() -> Result<Version, String> {
    Version::embedded().map_err(|e| format!("the embedded equivalence table: [{}] {e}", e.code()))
}

/// What a start does with the equivalence table, given the newest `stored`.
enum Plan {
    /// The stored table stands (verified again), with the start's note.
    Stands(Version, String),
    /// The build's is installed, succeeding the stored one of this digest, if any.
    Install { succeeds: Option<String> },
}

/// The one rule of a start's table ([`TableState::start`], [`TableState::check`]): the stored
/// table stands when the build's is the same or older, or the operator's own under the
/// build's sequence; a build table under a stored sequence is refused; else the build's is
/// installed.
fn plan(
    stored: Option<crate::store::TableVersion>,
    build: &Version,
    policy: &InstallPolicy,
    now: time::OffsetDateTime,
) -> Result<Plan, String> {
    let succession =
        stored.as_ref().map(|v| Succession::of((v.sequence, &v.digest), (build.table.sequence, &build.digest)));
    match (stored, succession) {
        // The stored table stands: the build's is the same, or older.
        (Some(v), Some(Succession::Same | Succession::Older)) => {
            let version = signed::read(&v.document, policy, now).map_err(|e| {
                format!(
                    "equivalence table {} (installed {}) can no longer be used: [{}] {e}; the gateway does \
                     not fall back to an older table",
                    v.sequence,
                    v.installed_at,
                    e.code()
                )
            })?;
            Ok(Plan::Stands(version, format!("equivalence table {}", v.sequence)))
        }
        // The operator's own signed table under the sequence this build's table took
        // (the README once had operators make a sequence 2 of the first build table):
        // the operator's word stands over the build's default, as an older build's
        // table would (found by review: the start was refused, and only the older
        // build could run).
        (Some(v), Some(Succession::Reused))
            if signed::read(&v.document, policy, now).is_ok_and(|t| t.origin != Origin::Build) =>
        {
            let version = signed::read(&v.document, policy, now).map_err(|e| e.to_string())?;
            let note = format!(
                "equivalence table {} (installed by the operator; this build's table {} differs and is not \
                 installed: install a newer one to take its rows)",
                v.sequence, v.sequence
            );
            Ok(Plan::Stands(version, note))
        }
        (Some(v), Some(Succession::Reused)) => Err(format!(
            "this build's equivalence table has sequence {}, but a different table (sha256:{}) is \
             installed under it; a changed table needs a higher sequence",
            v.sequence, v.digest
        )),
        (stored, _) => Ok(Plan::Install { succeeds: stored.map(|v| v.digest) }),
    }
}

/// The equivalence table in force, shared by every `App` a reload makes.
#[derive(Debug)]
pub struct TableState {
    in_force: RwLock<Arc<Version>>,
    /// Held by an install from its sequence check to its swap, and by a follow.
    install: Mutex<()>,
    /// The newest stored table (sequence, digest) when this node's install policy refused
    /// it: not verified again on every request.
    refused: Mutex<Option<(u64, String)>>,
}

impl TableState {
    /// The table in force on a gateway starting on `store`: the newest stored version,
    /// verified again under `policy`; or the build's own table, installed (logged, stored)
    /// when the store holds none or only older ones. Nodes starting together race to
    /// install it: one does, the others find it stored.
    pub fn start(
        store: &dyn Store,
        recorder: &Recorder,
        policy: &InstallPolicy,
        now: time::OffsetDateTime,
        trust_list: Option<RuleVersion>,
    ) -> Result<(Arc<Self>, String), String> {
        let build = embedded()?;
        let mut attempts = 0;
        let (version, note) = loop {
            attempts += 1;
            let stored = store.newest_equivalence_table().map_err(|e| format!("the stored equivalence tables: {e}"))?;
            match plan(stored, &build, policy, now)? {
                Plan::Stands(version, note) => break (version, note),
                // None stored, or the build's is newer: it comes into force through the log.
                Plan::Install { succeeds } => {
                    let crls = policy.crls.set_digest();
                    let installing = equivalence_table::installing(
                        &build,
                        trust_list.clone(),
                        crls,
                        "build",
                        now,
                        succeeds.as_deref(),
                    );
                    match recorder.record(Ok(installing)) {
                        Ok(recorded) => {
                            let note = format!(
                                "equivalence table {} from the build, installed as log entry {}",
                                build.table.sequence, recorded.receipt.index
                            );
                            break (build.clone(), note);
                        }
                        Err(refused) if refused.refusal.reason == "rules.table_changed" && attempts < 3 => continue,
                        Err(refused) => {
                            return Err(format!("installing the build's equivalence table: {}", refused.refusal));
                        }
                    }
                }
            }
        };
        let state =
            Self { in_force: RwLock::new(Arc::new(version)), install: Mutex::new(()), refused: Mutex::new(None) };
        Ok((Arc::new(state), note))
    }

    /// What [`TableState::start`] would refuse on `store`, read without writing anything:
    /// checked before a node claims a shared store ([`crate::store::Store::claim`]), so that a
    /// node the stored table refuses claims nothing.
    pub fn check(store: &dyn Store, policy: &InstallPolicy, now: time::OffsetDateTime) -> Result<(), String> {
        let stored = store.newest_equivalence_table().map_err(|e| format!("the stored equivalence tables: {e}"))?;
        plan(stored, &embedded()?, policy, now).map(drop)
    }

    pub fn in_force(&self) -> Arc<Version> {
        Arc::clone(&self.in_force.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether the newest stored table is one this node's configuration refused
    /// ([`TableState::follow`]): its decisions are refused meanwhile.
    pub fn newest_refused(&self) -> bool {
        self.refused.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    fn set(&self, version: Version) {
        *self.in_force.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(version);
    }

    /// On a store other nodes write to, brings the table in force up to the newest stored
    /// (verified under this node's `policy`; one it refuses is not taken, and this node's
    /// decisions are refused at commit, `rules.table_changed`, until its configuration
    /// allows it). One small read per decision.
    pub fn follow(&self, store: &dyn Store, policy: &InstallPolicy, now: time::OffsetDateTime) {
        if !store.shared() {
            return;
        }
        let newer = |(sequence, digest): (u64, &str)| {
            let in_force = self.in_force();
            Succession::of((in_force.table.sequence, &in_force.digest), (sequence, digest)) == Succession::Newer
        };
        let refused = || self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        match store.newest_equivalence_table_id() {
            Ok(Some(newest)) if newer((newest.0, &newest.1)) && refused().as_ref() != Some(&newest) => {}
            _ => return,
        }
        let _installing = self.install.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = match store.newest_equivalence_table() {
            Ok(Some(v)) if newer((v.sequence, &v.digest)) => v,
            _ => return,
        };
        match signed::read(&stored.document, policy, now) {
            Ok(version) => {
                self.set(version);
                *refused() = None;
            }
            Err(e) => {
                *refused() = Some((stored.sequence, stored.digest.clone()));
                tracing::warn!(
                    sequence = stored.sequence,
                    reason = e.code(),
                    "equivalence table {} installed through another node is refused by this node's configuration: {e}",
                    stored.sequence
                );
            }
        }
    }

    /// Installs `candidate` through `record` under the install lock; it comes into force
    /// only once `record` returned `Ok` (logged and stored).
    pub fn install<T, E>(
        &self,
        candidate: Version,
        record: impl FnOnce(&Version, &Version) -> Result<T, E>,
    ) -> Result<T, E> {
        let _installing = self.install.lock().unwrap_or_else(PoisonError::into_inner);
        let committed = record(&candidate, &self.in_force())?;
        self.set(candidate);
        Ok(committed)
    }
}

/// `PUT /v1/admin/equivalence-table`: an operator installs a signed table.
pub fn put_equivalence_table(app: &App, req: &Req) -> Response<Body> {
    let now = app.now();
    let candidate = match equivalence_table::candidate(&app.install_policy, &req.caller, &req.body, now) {
        Ok(c) => c,
        Err(r) => return refused(&r.into()),
    };
    app.follow_rules();
    let list = app.trust_list();
    let trust_list = Some(RuleVersion { sequence: list.sequence, digest: list.digest.clone() });
    let installed = app.tables.install(candidate, |candidate, in_force| {
        let crls = app.install_policy.crls.set_digest();
        app.recorder.record(equivalence_table::install(candidate, in_force, trust_list, crls, &req.caller.actor, now))
    });
    let answered = installed.map(|r| r.map(|v| json!({"sequence": v.sequence, "digest": v.digest})));
    recorded_json(StatusCode::OK, answered)
}

/// `GET /v1/rules`: the rules in force and every version of each rule document, with where
/// to fetch it. Public: "rules that can be looked up".
pub fn rules(app: &App) -> Response<Body> {
    app.follow_rules();
    let base = app.public_base();
    let (lists, tables) = match (app.store.trust_list_ids(), app.store.equivalence_tables()) {
        (Ok(l), Ok(t)) => (l, t),
        (Err(e), _) | (_, Err(e)) => {
            return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), format!("the stored rule versions: {e}"));
        }
    };
    let list = app.trust_list();
    let table = app.table();
    let signed_by = match &table.origin {
        Origin::Build => json!(null),
        Origin::Signed { signer } => json!(signer),
    };
    let mut lists: Vec<_> = lists.iter().map(|v| (v.sequence, &v.digest, &v.installed_at)).collect();
    lists.sort();
    let body = json!({
        "rule_set": RULE_SET,
        "in_force": {
            "trust_list": {"sequence": list.sequence, "digest": list.digest},
            "equivalence_table": {
                "sequence": table.table.sequence,
                "digest": table.digest,
                "version": table.table.version,
                "signed_by": signed_by,
            },
        },
        "trust_lists": lists.iter().map(|(sequence, digest, installed_at)| json!({
            "sequence": sequence,
            "digest": digest,
            "installed_at": installed_at,
            "url": format!("{base}/v1/rules/trust-list/{sequence}"),
        })).collect::<Vec<_>>(),
        "equivalence_tables": tables.iter().map(|v| json!({
            "sequence": v.sequence,
            "digest": v.digest,
            "version": v.label,
            "installed_at": v.installed_at,
            "url": format!("{base}/v1/rules/equivalence-table/{}", v.sequence),
        })).collect::<Vec<_>>(),
    });
    json(StatusCode::OK, &body)
}

/// `GET /v1/rules/trust-list/{sequence}` and `GET /v1/rules/equivalence-table/{sequence}`:
/// one stored version's document, byte for byte as installed (its SHA-256 is the digest
/// the log names). Immutable: a sequence names one document for ever.
pub fn version(app: &App, kind: &str, sequence: &str) -> Response<Body> {
    let unknown = || problem(StatusCode::NOT_FOUND, "rules.unknown_version", format!("no stored {kind} {sequence}"));
    // A version is named by its sequence in canonical decimal: one name per version.
    let Some(number) = sequence.parse::<u64>().ok().filter(|n| n.to_string() == sequence) else {
        return unknown();
    };
    let sequence = number;
    let found = match kind {
        "trust-list" => app
            .store
            .trust_lists()
            .map(|all| all.into_iter().find(|v| v.sequence == sequence).map(|v| (v.document, "application/xml"))),
        _ => app.store.equivalence_tables().map(|all| {
            all.into_iter().find(|v| v.sequence == sequence).map(|v| {
                // An earlier build's table too is unsigned TOML (found by review: a store
                // upgraded from the sequence-2 build served it as `application/jose`).
                let media =
                    if signed::is_any_build_table(&v.document) { "application/toml" } else { "application/jose" };
                (v.document, media)
            })
        }),
    };
    match found {
        Ok(Some((document, media))) => {
            let mut response = bytes(StatusCode::OK, media, document);
            response.headers_mut().insert(
                hyper::header::CACHE_CONTROL,
                hyper::header::HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            response
        }
        Ok(None) => unknown(),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), format!("the stored rule versions: {e}")),
    }
}
