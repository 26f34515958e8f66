//! Exporters: a domestic certificate in, signed international documents out
//! ([`crate::decisions::export`]); and the export by id.

use super::http::{Body, json, problem, recorded_json, refusal};
use super::{App, Req};
use crate::decisions::export::{self, DEFAULT_FORMATS};
use crate::decisions::{Class, Refusal, Role};
use crate::formats::Format;
use hyper::{Response, StatusCode};

/// The formats named by `?formats=a,b` (every international one when absent), each once:
/// an export makes one document of a format.
fn formats(req: &Req) -> Result<Vec<Format>, Refusal> {
    let given = req.query_param("formats").map_err(|m| Refusal::new(Class::Malformed, "http.query", m))?;
    let Some(list) = given else { return Ok(DEFAULT_FORMATS.to_vec()) };
    let mut formats = Vec::new();
    for name in list.split(',') {
        let format = Format::parse_name(name)
            .filter(|f| *f != Format::CnXml)
            .ok_or_else(|| Refusal::new(Class::Malformed, "http.query", format!("unknown format '{name}'")))?;
        if formats.contains(&format) {
            return Err(Refusal::new(Class::Malformed, "http.query", format!("format '{name}' named twice")));
        }
        formats.push(format);
    }
    Ok(formats)
}

/// `POST /v1/exports`.
pub fn export(app: &App, req: &Req) -> Response<Body> {
    if !export::may_export(&req.caller) {
        return refusal(&Refusal::role(&req.caller, "exports need an exporter client certificate or bearer token"));
    }
    let formats = match formats(req) {
        Ok(f) => f,
        Err(r) => return refusal(&r),
    };
    let request = export::Request { document: &req.body, formats: &formats };
    // Exports of one certificate on this node wait for each other (see `OneAtATime`).
    let Ok(_one) = app.exports.hold(&req.body, &app.limits) else {
        let message = format!(
            "{} exports wait for others of the same certificates on this node already; try again shortly",
            OneAtATime::MOST_WAITING
        );
        let mut r = problem(StatusCode::SERVICE_UNAVAILABLE, "export.busy", message);
        r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
        return r;
    };
    // Two exports that drew the same status-list slot at once: the one refused draws again.
    // Two exports of one certificate at once on two nodes: the one the store refuses (the
    // register changed under it) decides again on the register as it is now.
    let again = [crate::decisions::record::SLOT_TAKEN, crate::decisions::record::REGISTER_CONFLICT];
    let recorded = app.recorder.record_retrying(3, &again, || export::export(&app.context(), &req.caller, request));
    // An export may have superseded a slot (it registered other facts): the lists are read
    // again at their next request, after any export, which costs a read of the register.
    if recorded.is_ok() {
        app.status_lists.read_again();
    }
    recorded_json(StatusCode::CREATED, recorded)
}

/// One export of a certificate at a time on this node, held over its decision and commit.
/// Exports of one certificate read its registered facts, and the store refuses a commit
/// when they changed meanwhile; sent at once (CB-signed documents each replacing the last,
/// say), all but one would meet a changed register on every attempt (found by attack: 16
/// at once answered 9 times 409). Exports of one certificate on other nodes still meet the
/// store's check and are decided again. Striped: two certificates may share a lock, which
/// costs only waiting; a map of locks per certificate would grow with every one exported.
///
/// Each export waiting parks a thread of the blocking pool, which every route but the
/// verifications is decided on: at most [`OneAtATime::MOST_WAITING`] wait at once, and an
/// export past them is answered 503 `export.busy` at once (found by attack: about 600
/// exports of one certificate sent at once by one exporter parked the whole pool, and every
/// other route, `/healthz` included, queued behind them).
#[derive(Debug)]
pub struct OneAtATime {
    stripes: Vec<std::sync::Mutex<()>>,
    hasher: std::hash::RandomState,
    /// Exports waiting for their stripe now, and at most how many may.
    waiting: std::sync::atomic::AtomicUsize,
    most_waiting: usize,
}

impl Default for OneAtATime {
    fn default() -> Self {
        Self::new(Self::MOST_WAITING)
    }
}

/// An export turned away: too many wait for their certificates already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl OneAtATime {
    /// Exports that may wait at once: a quarter of tokio's blocking pool (512 threads), so
    /// that the other routes keep the rest whatever exporters send.
    pub const MOST_WAITING: usize = 128;

    /// Stripes for exports of which at most `most_waiting` wait at once.
    pub fn new(most_waiting: usize) -> Self {
        let stripes = (0..64).map(|_| std::sync::Mutex::new(())).collect();
        Self { stripes, hasher: Default::default(), waiting: Default::default(), most_waiting }
    }

    /// Waits for the certificate `document` states (by its issuer and number) and holds
    /// it until the guard is dropped; nothing to hold for a document that is no
    /// certificate (the decision refuses it); [`Busy`] when [`OneAtATime::MOST_WAITING`]
    /// exports wait already.
    pub fn hold(
        &self,
        document: &[u8],
        limits: &crate::xml::Limits,
    ) -> Result<Option<std::sync::MutexGuard<'_, ()>>, Busy> {
        use std::hash::BuildHasher as _;
        use std::sync::atomic::Ordering;
        let Ok(cert) = crate::formats::parse(Format::CnXml, document, limits) else { return Ok(None) };
        let stripe = self.hasher.hash_one((cert.issuer_id(), cert.number.as_str())) as usize % self.stripes.len();
        let Some(lock) = self.stripes.get(stripe) else { return Ok(None) };
        // Free: taken at once, no thread parked. Else counted among those waiting, if room.
        // A handler that panicked while holding one held nothing another export needs.
        match lock.try_lock() {
            Ok(guard) => return Ok(Some(guard)),
            Err(std::sync::TryLockError::Poisoned(e)) => return Ok(Some(e.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.most_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let guard = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        Ok(Some(guard))
    }
}

/// An export by id: for the exporter that made it and for operators. Another exporter is
/// told there is no such export (the holder's facts are not its to read, and an id's
/// existence is not either). Exports recorded before the exporter was kept with them are
/// shown to any exporter, as they were.
pub fn get(app: &App, req: &Req, id: &str) -> Response<Body> {
    let operator = req.caller.role == Role::Operator;
    if !export::may_export(&req.caller) && !operator {
        return refusal(&Refusal::role(&req.caller, "exports are visible to exporters and operators"));
    }
    let not_found = || problem(StatusCode::NOT_FOUND, "store.not_found", format!("no export {id}"));
    match app.decision(id, &["export"]) {
        Ok(Some(body)) => {
            let made_by = body.get("exporter").and_then(|e| e.as_str());
            if !operator && made_by.is_some_and(|e| e != req.caller.actor) {
                return not_found();
            }
            json(StatusCode::OK, &body)
        }
        Ok(None) => not_found(),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exports of one certificate wait for each other, at most so many at once: past them,
    /// one is turned away at once rather than park another thread; a free stripe is taken
    /// without counting as waiting, and a document that is no certificate holds nothing.
    #[test]
    fn at_most_so_many_exports_wait_and_the_next_is_turned_away() {
        let document = include_bytes!("../../tests/data/cn-qms.xml");
        let limits = crate::xml::Limits::default();
        let one = std::sync::Arc::new(OneAtATime::new(1));
        let held = one.hold(document, &limits).expect("free").expect("a certificate");
        let waiter = {
            let one = std::sync::Arc::clone(&one);
            std::thread::spawn(move || one.hold(document, &limits).map(|guard| guard.is_some()))
        };
        // The second waits (counted); a third finds the one place taken.
        for _ in 0..10_000_000 {
            if one.waiting.load(std::sync::atomic::Ordering::Acquire) == 1 {
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(one.waiting.load(std::sync::atomic::Ordering::Acquire), 1, "the second export waits");
        assert_eq!(one.hold(document, &limits).err(), Some(Busy));
        assert_eq!(one.hold(b"<not-a-certificate/>", &limits).map(|g| g.is_some()), Ok(false));
        drop(held);
        assert_eq!(waiter.join().expect("the waiter"), Ok(true));
        assert_eq!(one.waiting.load(std::sync::atomic::Ordering::Acquire), 0);
        assert!(one.hold(document, &limits).expect("free again").is_some());
    }
}
