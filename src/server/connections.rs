//! Connections: how many one client may hold, and when one that does nothing is closed.
//!
//! A client is an IPv4 address or an IPv6 /64 (as for the rate limit). Each may hold at most
//! `limits.max_connections_per_client` connections, so one address holding its cap cannot
//! lock another out of the global `max_connections`; it takes `max_connections /
//! max_connections_per_client` clients at their cap to fill it (found by attack: eight
//! addresses of bare TCP connections, held for a handshake timeout each, locked every other
//! client out; an IPv6 attacker has as many /64s as it likes, and only a front end or a
//! firewall counting larger prefixes bounds that). A connection over which no byte moved
//! for `limits.idle_timeout_seconds` while no request is being handled is closed: one that
//! never starts a request (an HTTP/2 preface and nothing more, a bare TLS handshake) as much
//! as one idle between requests.
//!
//! This module never reads or writes what flows over a connection; it only notes that
//! something did.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Open connections per client, bounded.
#[derive(Debug)]
pub struct PerClient {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in [`PerClient`], given back when dropped.
#[derive(Debug)]
pub struct Slot {
    owner: Arc<PerClient>,
    client: IpAddr,
}

impl PerClient {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, open: Mutex::new(HashMap::new()) })
    }

    /// A place for a new connection from `peer`, or `None` when its client holds its cap.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        let client = super::rate_limit::client(peer);
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = open.entry(client).or_insert(0);
        if *held >= self.max {
            return None;
        }
        *held += 1;
        Some(Slot { owner: Arc::clone(self), client })
    }

    /// Connections `peer`'s client holds.
    pub fn held(&self, peer: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open.get(&super::rate_limit::client(peer)).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = open.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                // The table holds only clients with a connection open: it cannot grow
                // beyond `max_connections` entries.
                open.remove(&self.client);
            }
        }
    }
}

/// When a connection last moved a byte, and how many of its requests are being handled.
#[derive(Debug)]
pub struct Activity {
    since: Instant,
    /// Milliseconds after `since` of the last byte read or written.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { since: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Whether nothing moved for `idle` and no request is being handled.
    pub fn idle_for(&self, idle: Duration) -> bool {
        let last = self.since + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.in_flight.load(Ordering::Acquire) == 0 && last.elapsed() >= idle
    }

    /// Marks a request as being handled until the returned guard is dropped.
    pub fn handling(self: &Arc<Self>) -> Handling {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Handling(Arc::clone(self))
    }
}

/// A request being handled (see [`Activity::handling`]).
#[derive(Debug)]
pub struct Handling(Arc<Activity>);

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
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

    #[test]
    fn a_client_holds_at_most_its_cap_and_gets_places_back() {
        let open = PerClient::new(2);
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let a = [open.admit(ip("192.0.2.1")), open.admit(ip("192.0.2.1"))];
        assert!(a.iter().all(Option::is_some));
        assert!(open.admit(ip("192.0.2.1")).is_none());
        // Another address, and another /64, are other clients; one /64 is one client.
        assert!(open.admit(ip("192.0.2.2")).is_some());
        let v6 = [open.admit(ip("2001:db8::1")), open.admit(ip("2001:db8::2"))];
        assert!(v6.iter().all(Option::is_some));
        assert!(open.admit(ip("2001:db8::ffff")).is_none());
        assert!(open.admit(ip("2001:db8:0:1::1")).is_some());
        drop(a);
        assert_eq!(open.held(ip("192.0.2.1")), 0);
        assert!(open.admit(ip("192.0.2.1")).is_some());
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
