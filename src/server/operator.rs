//! Operators: install a new signed trust list ([`crate::decisions::trust_list`]): checked,
//! recorded, then swapped in atomically.

use super::http::{Body, recorded_json, refused};
use super::{App, Req};
use crate::decisions::trust_list;
use hyper::{Response, StatusCode};
use serde_json::json;

/// `PUT /v1/admin/trust-list`.
pub fn put_trust_list(app: &App, req: &Req) -> Response<Body> {
    let now = app.now();
    let limits = super::trust_list_limits(&app.limits);
    let candidate = match trust_list::candidate(&app.install_policy, &req.caller, &req.body, now, &limits) {
        Ok(c) => c,
        Err(r) => return refused(&r.into()),
    };
    // Under the install lock, from the sequence check to the swap: no two installs can
    // leave the older list in force.
    // The table the install's entry names is the newest stored (another node may have
    // installed one).
    app.follow_rules();
    let installed = app.install_trust_list(candidate, |candidate, in_force| {
        let table = app.table();
        let named = crate::ledger::entry::RuleVersion { sequence: table.table.sequence, digest: table.digest.clone() };
        let crls = app.install_policy.crls.set_digest();
        let decided = trust_list::install(candidate, in_force, &req.caller.actor, Some(named), crls, now);
        app.recorder.record(decided)
    });
    let answered = installed.map(|r| r.map(|(sequence, digest)| json!({"sequence": sequence, "digest": digest})));
    recorded_json(StatusCode::OK, answered)
}
