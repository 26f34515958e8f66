//! `POST /v1/verify/batch`: NDJSON in, NDJSON out, streamed both ways. Each line is
//! `{"issuer", "number"}` (a look-up) or `{"document": "<JWS or XML>"}` (a verification);
//! each answer line carries the input's line number. At most 10,000 lines; neither the
//! request nor the response is held in memory whole.
//!
//! A verification line is a decision like `POST /v1/verify`'s: it is logged, and its answer
//! carries its receipt. Entries are queued to the log as lines are decided and answered in
//! order once committed ([`WINDOW`] at a time in flight), so a batch's entries share the
//! log's group commits instead of waiting for one each; an answer is never sent before its
//! entry is durable.
//!
//! A line is decided by the same decision as `POST /v1/verify`, always on the blocking pool
//! (a single verification may be decided on the connection's thread; see [`decide`] for
//! why a batch's lines are not).

use super::App;
use super::http::Body;
use crate::decisions::record::Queued;
use crate::decisions::verify::{self, Audience};
use crate::decisions::{Caller, Decision};
use crate::ledger::receipt::Receipt;
use crate::recognition::Verdict;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::{Frame, Incoming};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

pub const MAX_LINES: usize = 10_000;

/// Verification lines whose entries may wait for their commit at once.
const WINDOW: usize = 256;

/// The most answer bytes joined into one frame of the response.
const FRAME: usize = 8 * 1024;

/// One input line's answer: ready, or a verdict whose entry must be recorded first.
enum Answer {
    Ready(Value),
    Decided { line: usize, decision: Box<Decision<Verdict>> },
}

/// An answer on its way out, in input order.
enum Pending {
    Ready(Value),
    /// With its input line's text when it is decided again should the register change
    /// before the entry's commit ([`verify::REGISTER_CHANGED`]); see [`RETRY_MAX`].
    Recorded {
        line: usize,
        verdict: Box<Verdict>,
        queued: Queued,
        text: Option<Bytes>,
    },
}

/// A verification's answer line: the verdict as `POST /v1/verify` has it, the input's
/// line number and the entry's receipt, written without an intermediate tree.
#[derive(serde::Serialize)]
struct Recorded<'a> {
    #[serde(flatten)]
    verdict: &'a Verdict,
    line: usize,
    receipt: &'a Receipt,
}

/// The longest line kept to be decided again: a line is kept (copied, so that it does not
/// hold its whole chunk) only while its entry is on its way to the log, and the window
/// holds up to [`WINDOW`] of them; a longer one whose register changed is answered
/// `register.changed` (ask again), as a single verification is after three tries.
const RETRY_MAX: usize = 64 * 1024;

fn error_line(line: usize, reason: &str, message: String) -> Value {
    json!({"line": line, "error": {"reason": reason, "message": message}})
}

impl Pending {
    /// Queues a decided line's entry to the log (or answers it now when that fails).
    fn queue(app: &App, answer: Answer, text: &Bytes) -> Self {
        let (line, decision) = match answer {
            Answer::Ready(v) => return Pending::Ready(v),
            Answer::Decided { line, decision } => (line, *decision),
        };
        let holds = decision.effects.iter().any(|e| matches!(e, crate::store::Effect::RegisterAsRead { .. }));
        let text = (holds && text.len() <= RETRY_MAX).then(|| Bytes::copy_from_slice(text));
        let mut verdict = Box::new(decision.answer);
        // Not part of the answer line; up to WINDOW verdicts wait here.
        verdict.certificate = None;
        verdict.register_read = None;
        match app.recorder.queue(decision.entry, decision.effects) {
            Ok(queued) => Pending::Recorded { line, verdict, queued, text },
            Err(e) => Pending::Ready(error_line(line, e.code(), e.to_string())),
        }
    }

    /// The answer line, once its entry (if any) is committed: with its receipt, or an error
    /// line when the log did not take it (no verdict goes out unlogged).
    async fn resolve(self, app: &Arc<App>, caller: &Caller) -> Bytes {
        let mut pending = self;
        let mut attempt = 1;
        loop {
            let (line, verdict, queued, text) = match pending {
                Pending::Ready(v) => return ndjson(&v),
                Pending::Recorded { line, verdict, queued, text } => (line, verdict, queued, text),
            };
            match queued.receipt().await {
                Ok(receipt) => return ndjson(&Recorded { verdict: &verdict, line, receipt: &receipt }),
                // Nothing was logged: the line is decided again with the register as it is
                // now, as a single verification is.
                // Not decided again under a configuration a reload replaced since (found by
                // review: a line retried after a reload that revoked its signer was decided
                // under the old one): answered as a line whose register kept changing is.
                Err(e) if e.code() == verify::REGISTER_CHANGED && app.superseded() => {
                    return ndjson(&error_line(line, e.code(), e.to_string()));
                }
                Err(e) if e.code() == verify::REGISTER_CHANGED && attempt < verify::ATTEMPTS && text.is_some() => {
                    attempt += 1;
                    let text = text.unwrap_or_default();
                    let again = decide(app, caller, vec![(line, text.clone())]).await.into_iter().next();
                    pending = match again {
                        Some(answer) => Pending::queue(app, answer, &text),
                        None => Pending::Ready(error_line(line, e.code(), e.to_string())),
                    };
                }
                Err(e) => return ndjson(&error_line(line, e.code(), e.to_string())),
            }
        }
    }
}

/// One input line's answer. A line is read by the strict JSON reader, as a credential is:
/// a member given twice is refused, and a line is a document or a look-up, never both
/// (found by attack: of two `document` members the last was verified, and a line with both
/// was taken as a verification).
fn answer(app: &App, line: usize, text: &[u8], caller: &Caller) -> Answer {
    let value = match crate::formats::json::parse(text, &app.limits) {
        Ok(v) => v,
        Err(e) => return Answer::Ready(error_line(line, e.code(), e.to_string())),
    };
    let member = |name: &str| value.as_object()?.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    match (member("document"), member("issuer"), member("number")) {
        (Some(doc), None, None) => {
            let Some(doc) = doc.as_str().filter(|d| !d.is_empty()) else {
                return Answer::Ready(error_line(line, "batch.line", "the line's document is empty".into()));
            };
            match verify::verify(&app.context(), caller, Audience::Api, doc.as_bytes()) {
                Ok(decision) => Answer::Decided { line, decision: Box::new(decision) },
                Err(refusal) => Answer::Ready(error_line(line, &refusal.reason, refusal.detail)),
            }
        }
        (None, Some(issuer), Some(number)) => match (issuer.as_str(), number.as_str()) {
            (Some(issuer), Some(number)) => Answer::Ready(lookup(app, line, issuer, number)),
            _ => Answer::Ready(not_a_line(line)),
        },
        _ => Answer::Ready(not_a_line(line)),
    }
}

fn not_a_line(line: usize) -> Value {
    json!({"line": line, "error": {"reason": "batch.line", "message": "a line is {\"issuer\", \"number\"} or {\"document\"}"}})
}

/// A line whose decision failed (panicked), answered alone.
fn failed(line: usize) -> Answer {
    Answer::Ready(json!({"line": line, "error": {"reason": "http.internal", "message": "the line's decision failed"}}))
}

/// The answers to `lines`, decided in order on one blocking thread: a thread hand-off per
/// line cost more than a verification's signature check. Not on the connection's thread,
/// where a single verification is decided: a batch decides for seconds, and there it took
/// the cores from every other request (measured beside batches of 10,000 lines running one
/// after another: look-ups' p99 at 2,000 a second was 4.3–5.6 ms, against 2.9–3.6 ms with
/// the batch on the pool, for 7 % less CPU per line). A line whose decision panics is
/// answered as failed, alone: the others of its chunk are decided still.
async fn decide(app: &Arc<App>, caller: &Caller, lines: Vec<(usize, Bytes)>) -> Vec<Answer> {
    let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
    let (decider, caller) = (Arc::clone(app), caller.clone());
    let decided = tokio::task::spawn_blocking(move || {
        lines
            .iter()
            .map(|(n, line)| {
                // Nothing a decision holds is left half-changed by a panic: it records
                // nothing itself (its entry is queued by the caller, after it returns).
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(&decider, *n, line, &caller)))
                    .unwrap_or_else(|_| failed(*n))
            })
            .collect::<Vec<_>>()
    })
    .await;
    decided.unwrap_or_else(|_| numbers.into_iter().map(failed).collect())
}

/// A `{"issuer", "number"}` line: the register's status, and the headline to read as the
/// single look-up has it ([`verify::headline_now`]: a certificate past its expiry date is
/// `expired`, whatever the register's status says), and where its facts come from, as the
/// look-up's `origin` (`notice`: its status alone, no facts; found by attack, a status alone
/// restored read as a found "valid" certificate).
fn lookup(app: &App, line: usize, issuer: &str, number: &str) -> Value {
    // The certificate's version as the single look-up reads it, its facts read once per
    // version (found by attack: each line copied and parsed the registered document again,
    // up to the body limit for a line of thirty bytes).
    match verify::certificate_view(&app.context(), issuer, number) {
        Ok(Some(view)) => {
            let r = &view.record;
            let headline = super::public::headline_of(app, &view);
            json!({"line": line, "issuer": issuer, "number": number, "found": true, "status": r.status,
                   "headline": headline, "origin": r.origin})
        }
        Ok(None) => json!({"line": line, "issuer": issuer, "number": number, "found": false, "status": "unknown",
                           "headline": "unknown"}),
        Err(e) => json!({"line": line, "issuer": issuer, "number": number, "status": "unknown",
                         "headline": "unknown", "error": {"reason": e.reason, "message": e.detail}}),
    }
}

/// Starts streaming answers while the request is still being read.
pub fn stream(app: Arc<App>, caller: Caller, body: Incoming, hold: super::bodies::Hold) -> Response<Body> {
    // The caller may verify: `answer` refused any other before the body was read.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
    let max_line = app.config.limits.max_body_bytes;
    let max_batch = app.config.limits.max_batch_bytes;
    let drain_limit = super::http::Drain {
        bytes: 16 * app.config.limits.max_body_bytes,
        time: std::time::Duration::from_secs(app.config.limits.request_timeout_seconds),
    };
    tokio::spawn(async move {
        let mut answers: VecDeque<Pending> = VecDeque::new();
        let mut hold = hold;
        let rest = read_lines(&app, body, &caller, &tx, &mut answers, (max_line, max_batch), &mut hold).await;
        drop(hold);
        // Every answer decided goes out, in order, whatever ended the reading.
        while let Some(p) = answers.pop_front() {
            if tx.send(Ok(Frame::data(p.resolve(&app, &caller).await))).await.is_err() {
                return;
            }
        }
        if let Some((last, body)) = rest {
            let _ = tx.send(Ok(Frame::data(ndjson(&last)))).await;
            super::http::drain(body, drain_limit).await;
        }
    });
    let mut r = Response::new(StreamBody::new(Frames(rx, None)).boxed());
    if let Ok(v) = hyper::header::HeaderValue::from_str("application/x-ndjson") {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// An answer as one NDJSON line.
fn ndjson(v: &impl serde::Serialize) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// Reads and answers lines until the request ends; answers wait in `answers`, at most
/// [`WINDOW`] of them, for their entries' commits. Returns the closing error line and the
/// unread rest of the request when it stopped early (too many lines, a line too long, more
/// than `max_batch` bytes in all: each line decided is logged with its document kept, so a
/// request's lines are bounded together as well as one by one — found by review: 10,000 lines
/// of 4 MiB each were all decided and kept).
async fn read_lines(
    app: &Arc<App>,
    body: Incoming,
    caller: &Caller,
    tx: &tokio::sync::mpsc::Sender<Result<Frame<Bytes>, Infallible>>,
    answers: &mut VecDeque<Pending>,
    (max_line, max_batch): (usize, usize),
    hold: &mut super::bodies::Hold,
) -> Option<(Value, Incoming)> {
    {
        let mut body = body;
        let mut pending = Lines::new(max_batch);
        // Lines are numbered as the request has them (an editor's line numbers), blank ones
        // counted though not answered: a client numbering its own lines pairs each answer
        // with its line. At most MAX_LINES are answered.
        let mut line_no = 0usize;
        let mut answered = 0usize;
        let (mut finished, mut over) = (false, false);
        // A line arrives whole within a request timeout of its first byte, as a body does: one
        // trickled a byte at a time held its bytes against the bodies' budget for the
        // connection's lifetime (found by review: eight clients' unfinished lines held every
        // other client's bodies out for minutes).
        let timeout = std::time::Duration::from_secs(app.config.limits.request_timeout_seconds);
        let mut line_began: Option<tokio::time::Instant> = None;
        while !finished && !over {
            let frame = match line_began {
                Some(began) => match tokio::time::timeout_at(began + timeout, body.frame()).await {
                    Ok(frame) => frame,
                    Err(_) => {
                        let message = format!("line {} did not arrive within {} s", line_no + 1, timeout.as_secs());
                        let last = json!({"line": line_no + 1, "error": {"reason": "http.request_timeout", "message": message}});
                        return Some((last, body));
                    }
                },
                None => body.frame().await,
            };
            let chunk = match frame {
                Some(Ok(f)) => f.into_data().unwrap_or_default(),
                Some(Err(_)) => break,
                None => {
                    finished = true;
                    Bytes::new()
                }
            };
            let lines_before = line_no;
            over = !pending.push(&chunk);
            // The chunk's complete lines, decided together ([`decide`]).
            let mut lines = Vec::new();
            let mut too_many = None;
            while let Some(line) = pending.next_line(finished) {
                line_no += 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                answered += 1;
                if answered > MAX_LINES {
                    too_many = Some(
                        json!({"line": line_no, "error": {"reason": "batch.too_many_lines", "message": format!("at most {MAX_LINES} lines")}}),
                    );
                    break;
                }
                lines.push((line_no, line));
            }
            // A reload since the stream began: what it took away (a role, a grant, a CRL's
            // revocation) must not go on answering for the rest (found by review: a customs
            // certificate whose CA a reload removed kept a stream's lines decided and logged).
            if let Some((first, _)) = lines.first().filter(|_| app.superseded()) {
                let message = format!(
                    "the gateway's configuration changed while the batch was read: lines from {first} on were not \
                     decided; send them again"
                );
                return Some((json!({"line": first, "error": {"reason": "batch.reloaded", "message": message}}), body));
            }
            let texts = lines.clone();
            let decided = if lines.is_empty() { Vec::new() } else { decide(app, caller, lines).await };
            for (decided, line) in decided.into_iter().zip(&texts) {
                answers.push_back(Pending::queue(app, decided, &line.1));
                while answers.len() > WINDOW {
                    let Some(oldest) = answers.pop_front() else { break };
                    if tx.send(Ok(Frame::data(oldest.resolve(app, caller).await))).await.is_err() {
                        return None;
                    }
                }
            }
            if let Some(last) = too_many {
                return Some((last, body));
            }
            if pending.partial() > max_line {
                let last = json!({"line": line_no + 1, "error": {"reason": "http.too_large", "message": "a line is too long"}});
                return Some((last, body));
            }
            // A line begun in this chunk (after one that ended in it, or none) starts its time.
            line_began = match (pending.partial(), line_began) {
                (0, _) => None,
                (_, Some(began)) if line_no == lines_before => Some(began),
                _ => Some(tokio::time::Instant::now()),
            };
            // The line being read is held in memory until its end arrives: one that never
            // does is held against its client's bound and all's, as a body is.
            if let Err(whose) = hold.set(pending.partial()) {
                let message = format!(
                    "{} request bodies held in memory are at their bound: lines from {} on were not decided; \
                     send them again shortly",
                    whose.whose(),
                    line_no + 1
                );
                return Some((
                    json!({"line": line_no + 1, "error": {"reason": "http.busy", "message": message}}),
                    body,
                ));
            }
            if over {
                let message = format!(
                    "the batch is over max_batch_bytes ({max_batch} bytes) in all: lines from {} on were not decided; \
                     send them in another batch",
                    line_no + 1
                );
                return Some((
                    json!({"line": line_no + 1, "error": {"reason": "http.too_large", "message": message}}),
                    body,
                ));
            }
        }
        None
    }
}

/// A batch request's bytes cut into lines as they arrive, at most `max` bytes of them in all.
/// Each byte is searched for a line feed once: a line's start is never searched again as
/// more of it arrives (found by review: one long line sent a byte at a time was searched
/// from its start at each byte, quadratic in its length — a second of CPU for a 512 KiB line).
struct Lines {
    pending: BytesMut,
    /// How far `pending` is known to hold no line feed.
    scanned: usize,
    /// Bytes taken in all, and the most there may be.
    taken: usize,
    max: usize,
    /// Bytes searched for a line feed in all: at most `taken`.
    searched: usize,
}

impl Lines {
    fn new(max: usize) -> Self {
        Self { pending: BytesMut::new(), scanned: 0, taken: 0, max, searched: 0 }
    }

    /// Takes the next chunk of the request; `false` when that makes it over `max` in all,
    /// and only the part within it was taken.
    fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.max - self.taken;
        let within = chunk.get(..room).unwrap_or(chunk);
        self.taken += within.len();
        self.pending.extend_from_slice(within);
        within.len() == chunk.len()
    }

    /// The next whole line, its line feed taken off; when the request is `finished`, the
    /// last one, with none.
    fn next_line(&mut self, finished: bool) -> Option<Bytes> {
        let unsearched = self.pending.get(self.scanned..).unwrap_or_default();
        let found = memchr::memchr(b'\n', unsearched);
        // Up to the line feed: what follows it is searched for the next line.
        self.searched += found.map_or(unsearched.len(), |i| i + 1);
        let cut = match found {
            Some(i) => self.scanned + i,
            None if finished && !self.pending.is_empty() => self.pending.len(),
            None => {
                self.scanned = self.pending.len();
                return None;
            }
        };
        self.scanned = 0;
        let line = self.pending.split_to(cut).freeze();
        if !self.pending.is_empty() {
            let _ = self.pending.split_to(1);
        }
        Some(line)
    }

    /// The bytes of a line begun and not yet ended.
    fn partial(&self) -> usize {
        self.pending.len()
    }
}

/// The answer lines waiting to be sent, as the stream a streamed body reads; a frame that
/// is not data, met while joining, is held for the next poll.
struct Frames(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, Infallible>>, Option<Frame<Bytes>>);

impl futures_core::Stream for Frames {
    type Item = Result<Frame<Bytes>, Infallible>;

    /// One answer line, or several when more are ready: sent as one frame (one TLS record
    /// and one write, not one per line), up to [`FRAME`] bytes.
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(held) = self.1.take() {
            return std::task::Poll::Ready(Some(Ok(held)));
        }
        let first = match self.0.poll_recv(cx) {
            std::task::Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        let first = match first.into_data() {
            Ok(data) => data,
            Err(other) => return std::task::Poll::Ready(Some(Ok(other))),
        };
        let mut joined: Option<BytesMut> = None;
        while joined.as_ref().map_or(first.len(), BytesMut::len) < FRAME {
            let Ok(Ok(next)) = self.0.try_recv() else { break };
            match next.into_data() {
                Ok(next) => joined.get_or_insert_with(|| BytesMut::from(&first[..])).extend_from_slice(&next),
                Err(other) => {
                    self.1 = Some(other);
                    break;
                }
            }
        }
        std::task::Poll::Ready(Some(Ok(Frame::data(joined.map_or(first, BytesMut::freeze)))))
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    /// Every line of `chunks` taken in turn, the last at the end of the request; and the
    /// bytes searched.
    fn lines_of<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<Vec<u8>>, usize) {
        let mut lines = Lines::new(usize::MAX);
        let mut out = Vec::new();
        for chunk in chunks {
            assert!(lines.push(chunk));
            while let Some(line) = lines.next_line(false) {
                out.push(line.to_vec());
            }
        }
        while let Some(line) = lines.next_line(true) {
            out.push(line.to_vec());
        }
        (out, lines.searched)
    }

    #[test]
    fn lines_are_the_same_however_the_request_is_cut_and_each_byte_is_searched_once() {
        let body: &[u8] = b"{\"document\":\"a\"}\n\n  \n\xe4\xb8\xad\n\n{\"issuer\":\"x\"}\nlast, with no line feed";
        let expected: Vec<Vec<u8>> = vec![
            b"{\"document\":\"a\"}".to_vec(),
            b"".to_vec(),
            b"  ".to_vec(),
            b"\xe4\xb8\xad".to_vec(),
            b"".to_vec(),
            b"{\"issuer\":\"x\"}".to_vec(),
            b"last, with no line feed".to_vec(),
        ];
        for size in 1..=body.len() {
            let (lines, searched) = lines_of(body.chunks(size));
            assert_eq!(lines, expected, "chunks of {size}");
            assert!(searched <= body.len(), "chunks of {size}: {searched} bytes searched of {}", body.len());
        }
        // Ending with a line feed, the request has no last line of nothing.
        assert_eq!(lines_of([&b"a\nb\n"[..]]).0, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(lines_of([&b""[..]]).0, Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_long_line_sent_a_byte_at_a_time_is_searched_once() {
        let mut body = vec![b'a'; 1 << 20];
        body.push(b'\n');
        let (lines, searched) = lines_of(body.chunks(1));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 1 << 20);
        // Searched from its start at each byte, as before, it was about 2^39 bytes.
        assert_eq!(searched, body.len());
    }

    #[test]
    fn past_its_bound_a_request_is_taken_only_within_it() {
        let mut lines = Lines::new(10);
        assert!(lines.push(b"abcd\nef"));
        assert!(!lines.push(b"gh\nijk"), "over 10 bytes in all");
        assert_eq!(lines.next_line(false).as_deref(), Some(&b"abcd"[..]));
        assert_eq!(lines.next_line(false).as_deref(), Some(&b"efgh"[..]));
        assert_eq!((lines.next_line(false), lines.partial()), (None, 0), "nothing past the bound was taken");
        assert!(!lines.push(b"x"));
        assert_eq!(lines.partial(), 0);
        // Exactly at the bound is within it.
        let mut lines = Lines::new(5);
        assert!(lines.push(b"abcd\n"));
        assert!(lines.push(b""));
        assert!(!lines.push(b"e"));
        assert_eq!(lines.next_line(true).as_deref(), Some(&b"abcd"[..]));
        assert_eq!(lines.next_line(true), None);
    }
}
