//! Operational events: one structured `tracing` event per request (request id, route,
//! caller, decision and reason code, status, latency, the log index it was recorded at),
//! as text or JSON lines on stderr, filtered by `MRGATE_LOG` (`tracing-subscriber`'s
//! `EnvFilter` syntax; `info` when unset). The request id goes back to the caller in the
//! `x-request-id` header and in every problem body, so a support call can find the event.
//!
//! An event must never carry a document's contents, a token, a key or a certificate: only
//! names, codes, numbers and the caller's logged identity.
//!
//! A request never writes its event itself: it appends the line to a buffer, and one thread
//! of its own ([`Sink`]) writes what has gathered every 20 ms, or at once past 64 KB — one
//! system call for many lines, where each request made one before. A stderr that stalls (a
//! pipe its reader empties late, a file on a disk in writeback) then stalls no answer until
//! 4 MB wait; past that a request waits for room, so no event is dropped while stderr takes
//! them (one that fails, closed, loses the lines it fails on, counted in
//! `mrgate_events_lost_total`; the next starts a line of its own). `mrgate serve` writes what waits before it exits ([`flush`], for up to 5 s if
//! stderr does not take it); what a crash leaves (at most the last 20 ms of events) is
//! lost — the transparency log, not the events, holds the decisions. Lines written to stderr directly (`mrgate: reloaded …`) may come before
//! events of requests answered just before them.

use super::http::Body;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// How events are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// The environment variable holding the level filter.
pub const FILTER_VARIABLE: &str = "MRGATE_LOG";

/// Installs the process's event subscriber (once; later calls change nothing). Returns
/// an error for a filter in `MRGATE_LOG` that does not parse.
pub fn install(format: Format) -> Result<(), String> {
    let filter = match std::env::var(FILTER_VARIABLE) {
        Ok(f) => tracing_subscriber::EnvFilter::try_new(&f).map_err(|e| format!("{FILTER_VARIABLE}={f:?}: {e}"))?,
        Err(_) => tracing_subscriber::EnvFilter::new("info"),
    };
    // Already installed (a second gateway in one process, a test): keep the first.
    if SINK.get().is_some() {
        return Ok(());
    }
    let sink = Sink::new(std::io::stderr()).map_err(|e| format!("the events' writer thread: {e}"))?;
    let sink: &'static Sink = SINK.get_or_init(|| sink);
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(move || sink.line());
    let _ = match format {
        Format::Text => builder.try_init(),
        Format::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}

/// The sink [`install`] made, for [`flush`].
static SINK: std::sync::OnceLock<Sink> = std::sync::OnceLock::new();

/// How many events the installed sink lost to a failed write (0 when [`install`] was not
/// called): `mrgate_events_lost_total`.
pub fn lost() -> u64 {
    SINK.get().map_or(0, Sink::lost)
}

/// Waits until every event sent so far is written (the process is about to exit). Nothing
/// to do when [`install`] was not called.
pub fn flush() {
    if let Some(sink) = SINK.get() {
        sink.flush();
    }
}

/// How many bytes of event lines wait for the writer before a request waits for room: a
/// few hundred milliseconds of peak traffic.
const QUEUE_BYTES: usize = 4 << 20;

/// Past this many bytes waiting, the writer is woken at once; below it, it writes on its
/// tick. Lines gathered are written with one system call, not one each.
const BATCH_BYTES: usize = 64 * 1024;

/// How long a line waits at most when traffic is light.
const TICK: std::time::Duration = std::time::Duration::from_millis(20);

/// Where events go: lines gathered in one buffer and the thread that writes them to one
/// output in order. A request appends its line (no system call, no thread woken but when a
/// batch is full) and waits only when the buffer is full (never a dropped line).
#[derive(Debug, Clone)]
pub struct Sink {
    shared: std::sync::Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: std::sync::Mutex<Pending>,
    /// Wakes the writer: a batch is full, or a flush waits.
    work: std::sync::Condvar,
    /// Wakes senders waiting for room and flushes waiting for the writer.
    written: std::sync::Condvar,
    capacity: usize,
    /// How long a flush waits for an output that does not take its lines.
    flush_wait: std::time::Duration,
    /// Lines lost to failed writes (each whole or torn line counts one).
    lost: AtomicU64,
}

#[derive(Debug, Default)]
struct Pending {
    lines: Vec<u8>,
    /// Bytes ever queued, and bytes the writer is done with (written, or lost to a failed
    /// write): a flush waits for the second to reach what the first was when it began.
    queued: u64,
    done: u64,
}

/// How long [`Sink::flush`] waits for a stderr that does not take its lines.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Sink {
    /// A sink whose thread writes to `out`.
    pub fn new(out: impl std::io::Write + Send + 'static) -> std::io::Result<Sink> {
        Self::with_limits(out, QUEUE_BYTES, FLUSH_WAIT)
    }

    fn with_limits(
        out: impl std::io::Write + Send + 'static,
        capacity: usize,
        flush_wait: std::time::Duration,
    ) -> std::io::Result<Sink> {
        let shared = std::sync::Arc::new(Shared { capacity, flush_wait, ..Shared::default() });
        let writer = std::sync::Arc::clone(&shared);
        std::thread::Builder::new().name("mrgate-events".into()).spawn(move || write_lines(&writer, out))?;
        Ok(Sink { shared })
    }

    /// How many lines failed writes lost.
    pub fn lost(&self) -> u64 {
        self.shared.lost.load(Ordering::Relaxed)
    }

    /// A writer for one event: what is written to it is queued as one line when it drops
    /// (the formatter writes an event whole, then drops its writer).
    pub fn line(&self) -> Line {
        Line { sink: self.clone(), bytes: Vec::new() }
    }

    fn send(&self, line: &[u8]) {
        let shared = &*self.shared;
        let mut pending = shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A line longer than the whole buffer still goes, alone.
        while !pending.lines.is_empty() && pending.lines.len() + line.len() > shared.capacity {
            shared.work.notify_one();
            pending = shared.written.wait(pending).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let before = pending.lines.len();
        pending.lines.extend_from_slice(line);
        pending.queued += line.len() as u64;
        if before < BATCH_BYTES && pending.lines.len() >= BATCH_BYTES {
            shared.work.notify_one();
        }
    }

    /// Waits until every line sent before is written (lines sent meanwhile are not waited
    /// for), or for `FLUSH_WAIT` (5 s) when the output does not take them: a process about to
    /// exit is not held by a stalled stderr, and loses what it could not write.
    pub fn flush(&self) {
        let shared = &*self.shared;
        let deadline = std::time::Instant::now() + shared.flush_wait;
        let mut pending = shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let target = pending.queued;
        while pending.done < target {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else { return };
            shared.work.notify_one();
            pending = shared.written.wait_timeout(pending, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }
}

/// The writer's loop: on its tick, or when woken, it takes every line waiting (which makes
/// room for senders at once) and writes them with one call.
fn write_lines(shared: &Shared, mut out: impl std::io::Write) {
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    let mut torn = false;
    let mut pending = shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        if pending.lines.is_empty() {
            pending = shared.work.wait_timeout(pending, TICK).unwrap_or_else(std::sync::PoisonError::into_inner).0;
            continue;
        }
        std::mem::swap(&mut batch, &mut pending.lines);
        shared.written.notify_all();
        drop(pending);
        let lost;
        (torn, lost) = write_batch(&mut out, &batch, torn);
        if lost > 0 {
            shared.lost.fetch_add(lost, Ordering::Relaxed);
        }
        let taken = batch.len() as u64;
        batch.clear();
        pending = shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.done += taken;
        shared.written.notify_all();
    }
}

/// Writes one batch of whole lines; returns whether it stopped inside a line, and how many
/// lines it lost. An output that would block (a non-blocking stderr shared with a parent)
/// is waited for; one that fails otherwise (closed) loses the rest of the batch (a line cut
/// short counts as lost), and the next batch starts on a line of its own (`torn`: the last
/// one stopped inside a line), so no two events are glued into one unreadable line.
fn write_batch(out: &mut impl std::io::Write, batch: &[u8], torn: bool) -> (bool, u64) {
    let lines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    if torn && !batch.is_empty() && !write_all_waiting(out, b"\n").is_ok_and(|n| n == 1) {
        return (true, lines(batch));
    }
    let written = write_all_waiting(out, batch).unwrap_or_else(|n| n);
    let _ = out.flush();
    let torn = 0 < written && written < batch.len() && batch.get(..written).is_some_and(|w| !w.ends_with(b"\n"));
    (torn, lines(batch.get(written..).unwrap_or_default()))
}

/// `write_all`, waiting out `WouldBlock` and `Interrupted`: the bytes written, as `Err` when
/// the output failed before the end.
fn write_all_waiting(out: &mut impl std::io::Write, mut bytes: &[u8]) -> Result<usize, usize> {
    let total = bytes.len();
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => return Err(total - bytes.len()),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
            Err(_) => return Err(total - bytes.len()),
        }
    }
    Ok(total)
}

/// One event's writer ([`Sink::line`]).
#[derive(Debug)]
pub struct Line {
    sink: Sink,
    bytes: Vec<u8>,
}

impl std::io::Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.bytes.is_empty() {
            self.sink.send(&self.bytes);
        }
    }
}

/// A request id: unique within this process's life and, by its random prefix, across the
/// gateway's nodes and restarts. Cheap: no system call per request.
pub fn request_id() -> String {
    static PREFIX: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let id = crate::crypto::random_id();
        id.get(..8).unwrap_or("00000000").to_string()
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{:x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What a handler tells the request's event about its answer, as a response extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The decision, as `<kind>.<verdict>` (`export.exported`, `recognition.invalid`).
    pub decision: Option<String>,
    /// The reason code: a refusal's, or a verdict's first unmet reason.
    pub reason: Option<String>,
    /// The log index the decision (or refusal) was recorded at.
    pub log_index: Option<u64>,
}

/// A problem body on its way out, kept as a value until the request id is added to it.
#[derive(Debug, Clone)]
pub struct ProblemBody(pub serde_json::Value);

/// The caller as the request's event names it.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Marks `response` with the request id (header, and member `request_id` of a problem
/// body) and emits the request's event.
pub fn finish(
    response: &mut Response<Body>,
    id: &str,
    method: &hyper::Method,
    route: &str,
    actor: &str,
    latency: std::time::Duration,
) {
    if let Ok(v) = hyper::header::HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", v);
    }
    if let Some(ProblemBody(mut body)) = response.extensions_mut().remove::<ProblemBody>() {
        crate::formats::set_member(&mut body, "request_id", serde_json::json!(id));
        *response.body_mut() = Full::new(bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default())).boxed();
        let reason = body.get("reason").and_then(|r| r.as_str()).map(str::to_string);
        let outcome = response.extensions_mut().get_or_insert_default::<Outcome>();
        if outcome.reason.is_none() {
            outcome.reason = reason;
        }
    }
    let outcome = response.extensions().get::<Outcome>().cloned().unwrap_or_default();
    tracing::info!(
        target: "mrgate::request",
        request_id = id,
        method = method.as_str(),
        route,
        caller = actor,
        status = response.status().as_u16(),
        latency_us = latency.as_micros() as u64,
        decision = outcome.decision.as_deref(),
        reason = outcome.reason.as_deref(),
        log_index = outcome.log_index,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Condvar, Mutex};

    /// An output that keeps what is written and counts its writes; when gated, each write
    /// waits until the gate is open.
    #[derive(Clone, Default)]
    struct Kept {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
        gate: Option<Arc<(Mutex<bool>, Condvar)>>,
    }

    impl Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Some(gate) = &self.gate {
                let mut open = gate.0.lock().expect("gate");
                while !*open {
                    open = gate.1.wait(open).expect("gate");
                }
            }
            *self.writes.lock().expect("writes") += 1;
            self.bytes.lock().expect("bytes").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn send(sink: &Sink, text: &str) {
        let mut line = sink.line();
        line.write_all(text.as_bytes()).expect("write");
    }

    fn open(gate: &(Mutex<bool>, Condvar)) {
        *gate.0.lock().expect("gate") = true;
        gate.1.notify_all();
    }

    /// Four senders through a buffer of 64 bytes (a few lines): every line arrives once,
    /// each sender's in its order, and `flush` returns only when all are written.
    #[test]
    fn every_line_is_written_in_order_however_small_the_buffer() {
        let out = Kept::default();
        let sink = Sink::with_limits(out.clone(), 64, FLUSH_WAIT).expect("sink");
        let senders: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || (0..2000).for_each(|i| send(&sink, &format!("{t} {i}\n"))))
            })
            .collect();
        senders.into_iter().for_each(|s| s.join().expect("sender"));
        sink.flush();
        let text = String::from_utf8(out.bytes.lock().expect("bytes").clone()).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8000);
        for t in 0..4 {
            let own: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with(&format!("{t} "))).collect();
            assert_eq!(own, (0..2000).map(|i| format!("{t} {i}")).collect::<Vec<_>>());
        }
        // A line longer than the buffer goes whole; an empty writer sends nothing.
        let long = format!("{}\n", "x".repeat(200));
        send(&sink, &long);
        drop(sink.line());
        sink.flush();
        let all = out.bytes.lock().expect("bytes").clone();
        assert_eq!(all.len(), text.len() + long.len());
        assert!(all.ends_with(long.as_bytes()));
    }

    /// An output that takes `budget` bytes, then fails once (a closed pipe), then takes
    /// everything; or (`would_block`) refuses that many calls first, as a non-blocking
    /// stderr does when full.
    #[derive(Clone, Default)]
    struct Failing {
        bytes: Arc<Mutex<Vec<u8>>>,
        budget: Arc<Mutex<Option<usize>>>,
        would_block: Arc<Mutex<usize>>,
    }

    impl Write for Failing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let mut would_block = self.would_block.lock().expect("would block");
            if *would_block > 0 {
                *would_block -= 1;
                return Err(std::io::ErrorKind::WouldBlock.into());
            }
            let mut budget = self.budget.lock().expect("budget");
            let n = match *budget {
                Some(0) => {
                    *budget = None;
                    return Err(std::io::ErrorKind::BrokenPipe.into());
                }
                Some(left) => {
                    let n = left.min(bytes.len());
                    *budget = Some(left - n);
                    n
                }
                None => bytes.len(),
            };
            self.bytes.lock().expect("bytes").extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A write that fails inside a line loses the rest of its batch, and the next batch
    /// starts a line of its own: the torn event is not glued to the next one.
    #[test]
    fn a_failed_write_tears_no_two_events_together() {
        let out = Failing { budget: Arc::new(Mutex::new(Some(5))), ..Failing::default() };
        let sink = Sink::with_limits(out.clone(), 1024, FLUSH_WAIT).expect("sink");
        send(&sink, "one\n");
        send(&sink, "two\n");
        sink.flush();
        send(&sink, "three\n");
        sink.flush();
        assert_eq!(String::from_utf8(out.bytes.lock().expect("bytes").clone()).expect("utf8"), "one\nt\nthree\n");
        // "two" was cut short: one line lost, counted.
        assert_eq!(sink.lost(), 1);
    }

    /// A write that fails at once loses every line of its batch, each counted once (here
    /// three lines sent together, one batch); the output taking lines again, none is lost.
    #[test]
    fn every_line_a_failed_write_loses_is_counted() {
        let out = Failing { budget: Arc::new(Mutex::new(Some(0))), ..Failing::default() };
        let sink = Sink::with_limits(out.clone(), 1024, FLUSH_WAIT).expect("sink");
        send(&sink, "one\ntwo\nthree\n");
        sink.flush();
        send(&sink, "four\n");
        sink.flush();
        assert_eq!(out.bytes.lock().expect("bytes").as_slice(), b"four\n");
        assert_eq!(sink.lost(), 3);
        let out = Failing::default();
        let sink = Sink::with_limits(out.clone(), 1024, FLUSH_WAIT).expect("sink");
        send(&sink, "one\n");
        sink.flush();
        assert_eq!((out.bytes.lock().expect("bytes").as_slice(), sink.lost()), (&b"one\n"[..], 0));
    }

    /// An output that would block is waited for, not given up on.
    #[test]
    fn an_output_that_would_block_is_waited_for() {
        let out = Failing { would_block: Arc::new(Mutex::new(3)), ..Failing::default() };
        let sink = Sink::with_limits(out.clone(), 1024, FLUSH_WAIT).expect("sink");
        send(&sink, "one\n");
        send(&sink, "two\n");
        sink.flush();
        assert_eq!(String::from_utf8(out.bytes.lock().expect("bytes").clone()).expect("utf8"), "one\ntwo\n");
    }

    /// A flush does not wait for ever on an output that takes nothing: a process about to
    /// exit is not held by a stalled stderr.
    #[test]
    fn a_flush_gives_up_on_a_stalled_output() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let out = Kept { gate: Some(Arc::clone(&gate)), ..Kept::default() };
        let sink = Sink::with_limits(out.clone(), 1024, std::time::Duration::from_millis(50)).expect("sink");
        send(&sink, "one\n");
        sink.flush();
        assert_eq!(*out.writes.lock().expect("writes"), 0);
        // Opened, it writes what waited.
        open(&gate);
        for _ in 0..1000 {
            if !out.bytes.lock().expect("bytes").is_empty() {
                break;
            }
            sink.flush();
        }
        assert_eq!(String::from_utf8(out.bytes.lock().expect("bytes").clone()).expect("utf8"), "one\n");
    }

    /// While the output is stalled, senders go on until the buffer is full: a request does
    /// not wait for stderr. (A writer on the sender's thread would hold it at its first
    /// line; the watchdog then opens the gate, and the test fails instead of hanging.)
    #[test]
    fn a_stalled_output_does_not_hold_the_sender_while_the_buffer_has_room() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let out = Kept { gate: Some(Arc::clone(&gate)), ..Kept::default() };
        let sink = Sink::with_limits(out.clone(), 1024, FLUSH_WAIT).expect("sink");
        let opened_by_watchdog = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let (flag, gate) = (Arc::clone(&opened_by_watchdog), Arc::clone(&gate));
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(60));
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                open(&gate);
            });
        }
        for i in 0..100 {
            send(&sink, &format!("{i}\n"));
        }
        assert!(!opened_by_watchdog.load(std::sync::atomic::Ordering::SeqCst), "a sender waited for the output");
        assert_eq!(*out.writes.lock().expect("writes"), 0, "the output is stalled");
        open(&gate);
        sink.flush();
        let text = String::from_utf8(out.bytes.lock().expect("bytes").clone()).expect("utf8");
        assert_eq!(text, (0..100).map(|i| format!("{i}\n")).collect::<String>());
    }
}
