//! Operators: install a new signed trust list (verified, then swapped atomically; every
//! version is kept in the store and logged).

use super::auth::Role;
use super::http::{Body, commit_problem, json, problem};
use super::{App, Req};
use crate::ledger::entry::{Entry, document_digest};
use crate::store::{Effect, TrustListVersion};
use crate::trust::{Succession, TrustList};
use hyper::{Response, StatusCode};
use serde_json::json;

pub fn put_trust_list(app: &App, req: &Req) -> Response<Body> {
    if req.role != Role::Operator {
        return req.wrong_role("installing a trust list needs an operator client certificate");
    }
    let now = app.now();
    let list = match app.install_policy.load(&req.body, now, &super::trust_list_limits(&app.limits)) {
        Ok(l) => l,
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()),
    };
    let (sequence, digest) = (list.sequence, list.digest.clone());
    let (entry, effect) = installing(&list, &req.body, req.actor.clone(), &app.table.version, app.now_rfc3339());
    // Stored with its entry, in one commit: the newest stored list is the one in force after
    // a restart, so none may be stored unlogged.
    let installed = app.install_trust_list(list, req.body.to_vec(), |current| {
        if Succession::of((current.sequence, &current.digest), (sequence, &digest)) != Succession::Newer {
            return Err(super::http::refuse(
                StatusCode::CONFLICT,
                "trust.sequence",
                format!("sequence {sequence} is not newer than the installed {}", current.sequence),
            ));
        }
        app.commit(&entry, vec![effect]).map(|(receipt, _)| receipt).map_err(|e| Box::new(commit_problem(&e)))
    });
    let receipt = match installed {
        Ok(r) => r,
        Err(response) => return *response,
    };
    json(StatusCode::OK, &json!({"sequence": sequence, "digest": digest, "receipt": receipt}))
}

/// A trust list's install as the log records it and the store keeps it, to be committed
/// together: by an operator over the API, or from the configuration file (actor
/// `configuration`) the first time that list comes into force.
pub(super) fn installing(
    list: &TrustList,
    document: &[u8],
    actor: String,
    equivalence_table: &str,
    installed_at: String,
) -> (Entry, Effect) {
    let entry = Entry {
        kind: "trust-list".into(),
        time: installed_at.clone(),
        actor,
        inputs: vec![document_digest(document)],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(equivalence_table.into()),
        verdict: "installed".into(),
        reasons: vec![format!("trust.sequence.{}", list.sequence)],
    };
    let version = TrustListVersion {
        sequence: list.sequence,
        digest: list.digest.clone(),
        installed_at,
        document: document.to_vec(),
    };
    (entry, Effect::PutTrustList(version))
}
