//! Operators: install a new signed trust list (verified, then swapped atomically; every
//! version is kept in the store and logged).

use super::auth::Role;
use super::http::{Body, commit_problem, json, problem};
use super::{App, Req, now_rfc3339};
use crate::ledger::entry::{Entry, document_digest};
use crate::store::{Effect, TrustListVersion};
use crate::trust::TrustList;
use hyper::{Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

pub fn put_trust_list(app: &App, req: &Req) -> Response<Body> {
    if req.role != Role::Operator {
        return problem(
            StatusCode::UNAUTHORIZED,
            "auth.role",
            "installing a trust list needs an operator client certificate",
        );
    }
    let now = time::OffsetDateTime::now_utc();
    let list = match app.install_policy.load(&req.body, now, &super::trust_list_limits(&app.limits)) {
        Ok(l) => l,
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()),
    };
    let Ok(_installing) = app.trust_list_install.lock() else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "http.internal", "the trust-list install lock is poisoned");
    };
    let current = app.trust_list();
    if list.sequence <= current.sequence {
        return problem(
            StatusCode::CONFLICT,
            "trust.sequence",
            format!("sequence {} is not newer than the installed {}", list.sequence, current.sequence),
        );
    }
    let (entry, effect) = installing(&list, &req.body, req.actor.clone(), &app.table.version);
    // Stored with its entry, in one commit: the newest stored list is the one in force after
    // a restart, so none may be stored unlogged.
    let receipt = match app.commit(&entry, vec![effect]) {
        Ok((receipt, _)) => receipt,
        Err(e) => return commit_problem(&e),
    };
    let (sequence, digest) = (list.sequence, list.digest.clone());
    // Both halves swap under their locks; readers see the old or the new list, never a mix
    // within one call to App::trust_list.
    if let (Ok(mut l), Ok(mut b)) = (app.trust_list.write(), app.trust_list_bytes.write()) {
        *l = Arc::new(list);
        *b = Arc::new(req.body.to_vec());
    }
    json(StatusCode::OK, &json!({"sequence": sequence, "digest": digest, "receipt": receipt}))
}

/// A trust list's install as the log records it and the store keeps it, to be committed
/// together: by an operator over the API, or from the configuration file (actor
/// `configuration`) the first time that list comes into force.
pub(super) fn installing(list: &TrustList, document: &[u8], actor: String, equivalence_table: &str) -> (Entry, Effect) {
    let installed_at = now_rfc3339();
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
