//! Connections: how many one client may hold, which one gives way when all are taken, and
//! when one that does nothing is closed.
//!
//! A client is an IPv4 address or an IPv6 /64 (as for the rate limit). Each may hold at most
//! `limits.max_connections_per_client` connections. When all `max_connections` are taken, a
//! newcomer is not simply turned away: the client holding the most connections, if it holds
//! more than the newcomer's client would with the newcomer, gives up the one of its
//! connections not handling a request that moved a byte least recently (found by attack:
//! eight addresses of bare TCP connections, each at its cap, locked every other client out
//! for as long as they kept reconnecting). So the places are shared out fairly among the
//! clients that want them; a client keeps what it holds only while no client holding fewer
//! wants in, or while each of its connections is deciding a request or sending its answer —
//! until its answer's body has gone out, a streamed batch's included (a connection is
//! bounded by ten request timeouts). An answer whose body has not moved on (its next part
//! taken to be sent) for a request timeout keeps its connection's place no longer, a batch
//! streaming its lines as they are decided keeping it throughout: a client that opens
//! HTTP/2 streams and never lets their answers through (a zero flow-control window) held
//! every place for a connection's whole lifetime (found by attack: eight addresses locked
//! every other client out, and renewed it by reconnecting). A request still receiving its
//! body has nothing decided, and its connection may give way (found by attack: bodies trickled a
//! byte a second made every connection "handling", and two addresses locked every other
//! client out). An IPv6 attacker has as many /64s as it likes and can still take
//! a place per /64; only a front end or a firewall counting larger prefixes bounds that.
//!
//! A connection told to give way is closed at once (it handles no request), and its place
//! counts until it is gone: at most [`MAX_LEAVING`] are on their way out at a time, so the
//! sockets open stay within `max_connections` and that (found by review: evicted connections
//! were let finish gracefully and no longer counted, and 200 evictions left 208 sockets open
//! where 8 were allowed).
//!
//! A connection over which no byte moved for `limits.idle_timeout_seconds` while no request
//! is being handled is closed: one that never starts a request (an HTTP/2 preface and nothing
//! more, a bare TLS handshake) as much as one idle between requests.
//!
//! This module never reads or writes what flows over a connection; it only notes that
//! something did, and tells a connection to close.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The open connections, per client, within `max_connections` in all and
/// `max_connections_per_client` each.
#[derive(Debug)]
pub struct Open {
    max: usize,
    max_per_client: usize,
    /// How long an answer may take to go out before its connection may give way anyway.
    stalled_after: Duration,
    table: Mutex<Table>,
}

/// Connections told to give way and not yet gone, at most: past it, a newcomer finding every
/// place taken is refused until they are.
pub const MAX_LEAVING: usize = 64;

#[derive(Debug, Default)]
struct Table {
    /// Only clients with a connection open: at most `max + MAX_LEAVING` entries.
    clients: HashMap<IpAddr, Vec<Held>>,
    /// Connections open, those leaving included.
    open: usize,
    /// Connections told to give way, still open.
    leaving: usize,
    next: u64,
}

#[derive(Debug)]
struct Held {
    id: u64,
    activity: Arc<Activity>,
}

/// Why a connection was closed on arrival: the limit, as the metrics label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its client holds `max_connections_per_client` already.
    PerClient,
    /// All `max_connections` are taken, and no client holding more can give one up.
    Full,
}

impl Refused {
    pub fn limit(self) -> &'static str {
        match self {
            Refused::PerClient => "per_client",
            Refused::Full => "max_connections",
        }
    }
}

/// A connection admitted: its place, and whether another client's connection was told to
/// close to make room for it.
#[derive(Debug)]
pub struct Admitted {
    pub slot: Slot,
    pub evicted: bool,
}

/// One connection's place in [`Open`], given back when dropped.
#[derive(Debug)]
pub struct Slot {
    owner: Arc<Open>,
    client: IpAddr,
    id: u64,
    activity: Arc<Activity>,
}

impl Slot {
    /// What the connection does, and whether it was told to close.
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Open {
    /// Places for `max` connections, `max_per_client` of one client; an answer whose body has
    /// not moved on for `stalled_after` (the request timeout) no longer keeps its
    /// connection's.
    pub fn new(max: usize, max_per_client: usize, stalled_after: Duration) -> Arc<Self> {
        let max_per_client = max_per_client.min(max);
        Arc::new(Self { max, max_per_client, stalled_after, table: Mutex::new(Table::default()) })
    }

    /// A place for a new connection from `peer`, made if need be by telling another client's
    /// connection to close (see the module's documentation).
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Admitted, Refused> {
        let client = super::rate_limit::client(peer);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let holds = table.clients.get(&client).map_or(0, Vec::len);
        if holds >= self.max_per_client {
            return Err(Refused::PerClient);
        }
        let evicted = table.open.saturating_sub(table.leaving) >= self.max;
        if evicted {
            if table.leaving >= MAX_LEAVING {
                return Err(Refused::Full);
            }
            let victim = table.victim(holds + 1, self.stalled_after).ok_or(Refused::Full)?;
            victim.evict();
            table.leaving += 1;
        }
        table.next += 1;
        let (id, activity) = (table.next, Activity::new());
        table.clients.entry(client).or_default().push(Held { id, activity: Arc::clone(&activity) });
        table.open += 1;
        Ok(Admitted { slot: Slot { owner: Arc::clone(self), client, id, activity }, evicted })
    }

    /// Connections open now, those leaving included.
    pub fn count(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).open
    }

    /// Connections `peer`'s client holds.
    pub fn held(&self, peer: IpAddr) -> usize {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.clients.get(&super::rate_limit::client(peer)).map_or(0, Vec::len)
    }
}

impl Table {
    /// The connection to close for a client that would hold `would_hold` with its newcomer:
    /// of the clients holding more than that (not counting those leaving), the one holding
    /// most; of its connections deciding no request, or with an answer stalled for
    /// `stalled_after` ([`Activity::may_give_way`]), and not leaving, the one that moved a
    /// byte least recently.
    fn victim(&self, would_hold: usize, stalled_after: Duration) -> Option<&Arc<Activity>> {
        let mut best: Option<(usize, Duration, &Arc<Activity>)> = None;
        for held in self.clients.values() {
            let staying = held.iter().filter(|h| !h.activity.was_evicted());
            let holds = staying.clone().count();
            if holds <= would_hold {
                continue;
            }
            for one in staying.filter(|h| h.activity.may_give_way(stalled_after)) {
                let key = (holds, one.activity.quiet());
                if best.as_ref().is_none_or(|b| key > (b.0, b.1)) {
                    best = Some((key.0, key.1, &one.activity));
                }
            }
        }
        best.map(|(_, _, activity)| activity)
    }

    /// Takes connection `id` of `client` out of the table, once its connection is gone.
    fn remove(&mut self, client: IpAddr, id: u64) {
        let Some(held) = self.clients.get_mut(&client) else { return };
        let Some(at) = held.iter().position(|h| h.id == id) else { return };
        let gone = held.swap_remove(at);
        if held.is_empty() {
            self.clients.remove(&client);
        }
        self.open = self.open.saturating_sub(1);
        if gone.activity.was_evicted() {
            self.leaving = self.leaving.saturating_sub(1);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut table = self.owner.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.remove(self.client, self.id);
    }
}

/// When a connection last moved a byte, and how many of its requests are being handled.
#[derive(Debug)]
pub struct Activity {
    since: Instant,
    /// Milliseconds after `since` of the last byte read or written.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Of those, requests still receiving their body: nothing of them is decided yet.
    receiving: AtomicUsize,
    /// Set once the connection is told to close, to make room for another client's.
    evicted: AtomicBool,
    told: tokio::sync::Notify,
    /// The answers ready and not yet gone out, each with when its body last moved on (when it
    /// was ready, or its last part was taken to be sent), by number.
    sending: Mutex<HashMap<u64, Instant>>,
    answers: AtomicU64,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            receiving: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            told: tokio::sync::Notify::new(),
            sending: Mutex::new(HashMap::new()),
            answers: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long since a byte last moved.
    fn quiet(&self) -> Duration {
        (self.since + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))).elapsed()
    }

    fn handling_any(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// Whether closing the connection would cut no request decided or being decided: each it
    /// handles is still receiving its body, or has an answer whose body has not moved on for
    /// `stalled_after`, which its client is not taking.
    fn may_give_way(&self, stalled_after: Duration) -> bool {
        let (in_flight, receiving) = (self.in_flight.load(Ordering::Acquire), self.receiving.load(Ordering::Acquire));
        if in_flight <= receiving {
            return true;
        }
        // Every other request's answer stalled: none is being decided, nor taken.
        let sending = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
        in_flight <= receiving + sending.values().filter(|moved| moved.elapsed() >= stalled_after).count()
    }

    /// Whether nothing moved for `idle` and no request is being handled.
    pub fn idle_for(&self, idle: Duration) -> bool {
        !self.handling_any() && self.quiet() >= idle
    }

    /// Whether the connection was told to close.
    fn was_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// Tells the connection to close at once, to make room for another client's.
    fn evict(&self) {
        self.evicted.store(true, Ordering::Release);
        // A permit is kept if the connection is not waiting right now.
        self.told.notify_one();
    }

    /// Completes once the connection is told to close.
    pub async fn evicted(&self) {
        if !self.evicted.load(Ordering::Acquire) {
            self.told.notified().await;
        }
    }

    /// Marks a request as being handled until the returned guard is dropped.
    pub fn handling(self: &Arc<Self>) -> Handling {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Handling(Arc::clone(self), None)
    }
}

/// A request being handled (see [`Activity::handling`]), and the number of its answer once
/// that is ready and going out.
#[derive(Debug)]
pub struct Handling(Arc<Activity>, Option<u64>);

impl Handling {
    /// Notes that the request's answer is ready and going out, from now until the guard is
    /// dropped (see [`Activity::may_give_way`]).
    fn answer_ready(&mut self) {
        if self.1.is_none() {
            let number = self.0.answers.fetch_add(1, Ordering::Relaxed);
            self.0.sending.lock().unwrap_or_else(PoisonError::into_inner).insert(number, Instant::now());
            self.1 = Some(number);
        }
    }

    /// Notes that the answer's body moved on: its next part was taken to be sent.
    fn moved_on(&self) {
        if let Some(number) = self.1
            && let Some(at) = self.0.sending.lock().unwrap_or_else(PoisonError::into_inner).get_mut(&number)
        {
            *at = Instant::now();
        }
    }

    /// Marks the request as still receiving its body until the returned guard is dropped.
    pub fn receiving(&self) -> Receiving {
        self.0.receiving.fetch_add(1, Ordering::AcqRel);
        Receiving(Arc::clone(&self.0))
    }
}

/// A request still receiving its body (see [`Handling::receiving`]).
#[derive(Debug)]
pub struct Receiving(Arc<Activity>);

impl Drop for Receiving {
    fn drop(&mut self) {
        self.0.receiving.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        if let Some(number) = self.1 {
            self.0.sending.lock().unwrap_or_else(PoisonError::into_inner).remove(&number);
        }
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

/// An answer's body, holding its request's [`Handling`] until the body ends or is dropped.
#[derive(Debug)]
pub struct Handled<B> {
    body: B,
    handling: Option<Handling>,
}

impl<B> Handled<B> {
    /// The answer's `body`, ready now.
    pub fn new(body: B, mut handling: Handling) -> Self {
        handling.answer_ready();
        Self { body, handling: Some(handling) }
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Handled<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.handling = None,
            Poll::Ready(Some(_)) => {
                if let Some(handling) = &self.handling {
                    handling.moved_on();
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A stream that notes in [`Activity`] every read or write that moved bytes.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        activity.touch();
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn admit(open: &Arc<Open>, peer: &str) -> Result<Slot, Refused> {
        open.admit(ip(peer)).map(|a| a.slot)
    }

    #[test]
    fn a_client_holds_at_most_its_cap_and_gets_places_back() {
        let open = Open::new(16, 2, Duration::MAX);
        let a = [admit(&open, "192.0.2.1"), admit(&open, "192.0.2.1")];
        assert!(a.iter().all(Result::is_ok));
        assert_eq!(admit(&open, "192.0.2.1").err(), Some(Refused::PerClient));
        // Another address, and another /64, are other clients; one /64 is one client.
        assert!(admit(&open, "192.0.2.2").is_ok());
        let v6 = [admit(&open, "2001:db8::1"), admit(&open, "2001:db8::2")];
        assert!(v6.iter().all(Result::is_ok));
        assert_eq!(admit(&open, "2001:db8::ffff").err(), Some(Refused::PerClient));
        assert!(admit(&open, "2001:db8:0:1::1").is_ok());
        assert_eq!(open.count(), 4, "the refused ones hold nothing, the dropped ones nothing");
        drop(a);
        assert_eq!((open.held(ip("192.0.2.1")), open.count()), (0, 2));
        assert!(admit(&open, "192.0.2.1").is_ok());
    }

    /// Found by attack: a few addresses at their cap held every place. Now each newcomer takes
    /// the quietest idle place of the client holding most, until every client holds the same.
    #[test]
    fn when_every_place_is_taken_the_client_holding_most_gives_one_up() {
        let open = Open::new(4, 3, Duration::MAX);
        let first = admit(&open, "192.0.2.1").expect("a place");
        std::thread::sleep(Duration::from_millis(5));
        let second = admit(&open, "192.0.2.1").expect("a place");
        std::thread::sleep(Duration::from_millis(5));
        let third = admit(&open, "192.0.2.1").expect("a place");
        let other = admit(&open, "198.51.100.7").expect("a place");
        // The oldest of the three moved a byte since: the second is now the quietest.
        std::thread::sleep(Duration::from_millis(5));
        first.activity().touch();
        let newcomer = open.admit(ip("203.0.113.9")).expect("room is made");
        assert!(newcomer.evicted);
        let told = |s: &Slot| s.activity().evicted.load(Ordering::Acquire);
        assert_eq!([told(&first), told(&second), told(&third), told(&other)], [false, true, false, false]);
        // The one told to go counts until it is gone (found by review: evicted connections
        // lingered uncounted), and its place is given back once.
        assert_eq!((open.count(), open.held(ip("192.0.2.1"))), (5, 3));
        drop(second);
        assert_eq!((open.count(), open.held(ip("192.0.2.1"))), (4, 2));
        // Next, 192.0.2.1 still holds most (2 against the newcomer's 1).
        let another = admit(&open, "2001:db8::1").expect("room is made");
        assert!(told(&third), "the quieter of the two left");
        assert!(!told(&first));
        // Every client now holds one: a fifth client is refused, and nobody is told to go.
        assert_eq!(admit(&open, "2001:db8:0:1::1").err(), Some(Refused::Full));
        assert!(![&first, &other, &newcomer.slot, &another].iter().any(|s| told(s)));
        // Nor may a client take a place from one holding as many as it would.
        assert_eq!(admit(&open, "192.0.2.1").err(), Some(Refused::Full));
    }

    /// At most [`MAX_LEAVING`] connections are on their way out: past it a newcomer waits
    /// for them to be gone, so the sockets open stay bounded however fast newcomers come.
    #[test]
    fn only_so_many_connections_are_leaving_at_once() {
        let open = Open::new(100, 100, Duration::MAX);
        let held: Vec<Slot> = (0..100).map(|_| admit(&open, "192.0.2.1").expect("a place")).collect();
        let newcomers: Vec<Slot> =
            (0..MAX_LEAVING).map(|i| admit(&open, &format!("198.51.100.{}", i + 1)).expect("room is made")).collect();
        assert_eq!(open.count(), 100 + MAX_LEAVING);
        assert_eq!(admit(&open, "203.0.113.1").err(), Some(Refused::Full), "too many leaving");
        let gone = held.iter().position(|s| s.activity().was_evicted()).expect("one was told");
        let mut held = held;
        drop(held.swap_remove(gone));
        assert!(admit(&open, "203.0.113.1").is_ok(), "one gone, one more may come");
        drop(newcomers);
    }

    #[test]
    fn a_connection_handling_a_request_does_not_give_up_its_place() {
        let open = Open::new(3, 3, Duration::MAX);
        let held: Vec<Slot> = (0..3).map(|_| admit(&open, "192.0.2.1").expect("a place")).collect();
        let handling: Vec<Handling> = held.iter().map(|s| s.activity().handling()).collect();
        assert_eq!(admit(&open, "198.51.100.7").err(), Some(Refused::Full));
        drop(handling.into_iter().next());
        assert!(admit(&open, "198.51.100.7").is_ok(), "the connection no longer handling a request gives way");
        assert_eq!(held.iter().filter(|s| s.activity().evicted.load(Ordering::Acquire)).count(), 1);
    }

    /// An answer its client does not take (an HTTP/2 stream whose window it never opens)
    /// keeps its connection's place for a request timeout after it is ready, no longer: by
    /// a zero timeout, at once; by one that has not passed, not at all. One that went out
    /// keeps nothing.
    #[test]
    fn an_answer_not_taken_keeps_its_place_no_longer_than_a_request_timeout() {
        let body = || http_body_util::Full::new(bytes::Bytes::from_static(b"{}"));
        for (stalled_after, gives_way) in [(Duration::ZERO, true), (Duration::MAX, false)] {
            let open = Open::new(2, 2, stalled_after);
            let held: Vec<Slot> = (0..2).map(|_| admit(&open, "192.0.2.1").expect("a place")).collect();
            // Each decided, its answer ready and not taken.
            let answers: Vec<_> = held.iter().map(|s| Handled::new(body(), s.activity().handling())).collect();
            assert_eq!(admit(&open, "198.51.100.7").is_ok(), gives_way, "{stalled_after:?}");
            assert_eq!(held.iter().filter(|s| s.activity().was_evicted()).count(), usize::from(gives_way));
            // Its answers gone out: nothing is left waiting to be taken.
            drop(answers);
            assert!(held.iter().all(|s| s.activity().sending.lock().expect("lock").is_empty()));
        }
        // Still being decided, no answer ready: its place is kept, whatever the timeout; and
        // so it is while another of its requests is being decided beside an answer stalled.
        let open = Open::new(2, 2, Duration::ZERO);
        let held: Vec<Slot> = (0..2).map(|_| admit(&open, "192.0.2.1").expect("a place")).collect();
        let handling: Vec<Handling> = held.iter().map(|s| s.activity().handling()).collect();
        assert_eq!(admit(&open, "198.51.100.7").err(), Some(Refused::Full));
        let stalled = Handled::new(body(), held[0].activity().handling());
        assert_eq!(admit(&open, "198.51.100.7").err(), Some(Refused::Full));
        let mut handling = handling.into_iter();
        drop(handling.next());
        assert!(admit(&open, "198.51.100.7").is_ok(), "its only request left is an answer not taken");
        assert!(held[0].activity().was_evicted() && !held[1].activity().was_evicted());
        drop((stalled, handling));
    }

    /// A request still receiving its body has nothing decided: its connection gives way as
    /// an idle one does, and no longer once its body is in.
    #[test]
    fn a_request_still_receiving_its_body_does_not_keep_its_place() {
        let open = Open::new(2, 2, Duration::MAX);
        let held: Vec<Slot> = (0..2).map(|_| admit(&open, "192.0.2.1").expect("a place")).collect();
        let handling: Vec<Handling> = held.iter().map(|s| s.activity().handling()).collect();
        let receiving: Vec<Receiving> = handling.iter().map(Handling::receiving).collect();
        let newcomer = admit(&open, "198.51.100.7").expect("one receiving its body gives way");
        assert_eq!(held.iter().filter(|s| s.activity().was_evicted()).count(), 1);
        drop((newcomer, receiving));
        // Bodies in, being decided: they keep their places.
        let another = Open::new(2, 2, Duration::MAX);
        let deciding: Vec<Slot> = (0..2).map(|_| admit(&another, "192.0.2.1").expect("a place")).collect();
        let handling: Vec<Handling> = deciding.iter().map(|s| s.activity().handling()).collect();
        drop(handling.iter().map(Handling::receiving).collect::<Vec<_>>());
        assert_eq!(admit(&another, "198.51.100.7").err(), Some(Refused::Full));
        drop((handling, held));
    }

    #[test]
    fn a_connection_told_to_close_hears_it_whenever_it_listens() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let open = Open::new(1, 1, Duration::MAX);
        let before = admit(&open, "192.0.2.1").expect("a place");
        let listening = admit(&open, "192.0.2.1");
        assert_eq!(listening.err(), Some(Refused::PerClient));
        // Told before it listens: it hears it when it does.
        assert_eq!(admit(&open, "198.51.100.7").err(), Some(Refused::Full), "one each: no room is made");
        before.activity().evict();
        let heard =
            runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), before.activity().evicted()).await });
        assert!(heard.is_ok());
        // Told while it listens.
        let later = Activity::new();
        let told = Arc::clone(&later);
        let heard = runtime.block_on(async move {
            let listening = tokio::spawn(async move { later.evicted().await });
            tokio::task::yield_now().await;
            told.evict();
            tokio::time::timeout(Duration::from_secs(5), listening).await
        });
        assert!(matches!(heard, Ok(Ok(()))));
    }

    #[test]
    fn a_connection_handling_a_request_is_not_idle() {
        let activity = Activity::new();
        activity.touch();
        assert!(!activity.idle_for(Duration::from_secs(60)));
        assert!(activity.idle_for(Duration::ZERO));
        let handling = activity.handling();
        assert!(!activity.idle_for(Duration::ZERO));
        drop(handling);
        assert!(activity.idle_for(Duration::ZERO));
    }
}
