//! The rate limit for callers without a client certificate (the public look-up): a token
//! bucket per client, in a table of bounded size.
//!
//! A client is an IPv4 address or an IPv6 /64. A host may use any address of its /64, so a
//! bucket per IPv6 address would give one caller 2^64 of them.
//!
//! The table must never grow without bound nor make a request scan it each time, whatever
//! the callers do:
//! - a bucket idle long enough to have refilled is the same as no bucket, so it is
//!   forgotten, in a sweep made at most once per [`RateLimit::SWEEP_EVERY`] and only when
//!   the table is full;
//! - when it is full of clients still draining their buckets, new clients share one
//!   overflow bucket, so rotating addresses earns no more than one client's rate.
//!
//! The same table, keyed by identity name, gives each authenticated caller (a partner body,
//! an exporter, one customs certificate) its own bucket, apart from the anonymous ones; the
//! caller decides which table to ask.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a bucket is kept for: a client address, or an identity's name.
pub trait Client: std::hash::Hash + Eq + std::fmt::Debug {
    /// The client a request is counted against (an IPv6 address counts as its /64).
    fn client(self) -> Self;
}

impl Client for IpAddr {
    fn client(self) -> Self {
        client(self)
    }
}

impl Client for String {
    fn client(self) -> Self {
        self
    }
}

/// Tokens a second per client, up to a burst.
#[derive(Debug)]
pub struct RateLimit<K: Client = IpAddr> {
    rate: f64,
    burst: f64,
    max_clients: usize,
    table: Mutex<Table<K>>,
}

#[derive(Debug)]
struct Table<K> {
    by_client: HashMap<K, Bucket>,
    /// Shared by the clients that arrive while the table is full.
    overflow: Bucket,
    last_sweep: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Refills for the time since the bucket was last touched, then takes a token;
    /// `Err(seconds)` says when the next one is available.
    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> Result<(), u64> {
        self.tokens = self.refilled(now, rate, burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * rate).min(burst)
    }
}

/// The client a request is counted against: the IPv4 address (also when written as an
/// IPv4-mapped IPv6 address), or the /64 of an IPv6 address.
pub fn client(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

impl<K: Client> RateLimit<K> {
    /// Clients remembered at most (about 8 MB of table).
    pub const MAX_CLIENTS: usize = 100_000;

    /// The shortest time between two sweeps of a full table.
    pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

    /// `rate` must be above 0 and `burst` at least 1 (the configuration checks both).
    pub fn new(rate_per_second: f64, burst: f64) -> Self {
        Self::with_max_clients(rate_per_second, burst, Self::MAX_CLIENTS)
    }

    fn with_max_clients(rate_per_second: f64, burst: f64, max_clients: usize) -> Self {
        let now = Instant::now();
        Self {
            rate: rate_per_second,
            burst,
            max_clients,
            table: Mutex::new(Table {
                by_client: HashMap::new(),
                overflow: Bucket { tokens: burst, at: now },
                last_sweep: None,
            }),
        }
    }

    /// Takes one token for a request from `who`; `Err(seconds)` says when the next one is
    /// available.
    pub fn take(&self, who: K) -> Result<(), u64> {
        self.take_at(who, Instant::now())
    }

    /// [`RateLimit::take`] at a given time (`now` never earlier than a previous call's).
    pub fn take_at(&self, who: K, now: Instant) -> Result<(), u64> {
        let (rate, burst) = (self.rate, self.burst);
        // A poisoned lock means a panic mid-update of a few numbers; refusing every public
        // look-up from then on would be worse than a bucket off by one token.
        let mut table = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let client = who.client();
        if let Some(bucket) = table.by_client.get_mut(&client) {
            return bucket.take(now, rate, burst);
        }
        if table.by_client.len() >= self.max_clients
            && table.last_sweep.is_none_or(|t| now.saturating_duration_since(t) >= Self::SWEEP_EVERY)
        {
            table.last_sweep = Some(now);
            table.by_client.retain(|_, b| b.refilled(now, rate, burst) < burst);
        }
        if table.by_client.len() < self.max_clients {
            let mut bucket = Bucket { tokens: burst, at: now };
            let taken = bucket.take(now, rate, burst);
            table.by_client.insert(client, bucket);
            taken
        } else {
            table.overflow.take(now, rate, burst)
        }
    }

    /// Clients with a bucket of their own.
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner).by_client.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Result<(), u64> = Ok(());

    /// One request from each address in turn, all at `at`; what each was told.
    fn takes(limit: &RateLimit, at: Instant, from: &[&str]) -> Vec<Result<(), u64>> {
        from.iter().map(|a| limit.take_at(a.parse().expect("address"), at)).collect()
    }

    fn after(t: Instant, ms: u64) -> Instant {
        t + Duration::from_millis(ms)
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_for_the_refill() {
        let limit = RateLimit::new(1.0, 3.0);
        let t = Instant::now();
        let one = "192.0.2.1";
        assert_eq!(takes(&limit, t, &[one, one, one, one]), [OK, OK, OK, Err(1)]);
        assert_eq!(takes(&limit, after(t, 500), &[one]), [Err(1)]);
        // Another address is another client.
        assert_eq!(takes(&limit, after(t, 1500), &[one, "192.0.2.2"]), [OK, OK]);
    }

    #[test]
    fn retry_after_counts_the_seconds_until_a_whole_token() {
        let limit = RateLimit::new(0.25, 1.0);
        let t = Instant::now();
        assert_eq!(takes(&limit, t, &["192.0.2.1", "192.0.2.1"]), [OK, Err(4)]);
        assert_eq!(takes(&limit, after(t, 1000), &["192.0.2.1"]), [Err(3)]);
    }

    #[test]
    fn an_ipv6_64_is_one_client_and_a_mapped_ipv4_address_is_the_ipv4_client() {
        let limit = RateLimit::new(1.0, 2.0);
        let from = [
            "2001:db8:1:2::1",
            "2001:db8:1:2:ffff:ffff:ffff:ffff",
            "2001:db8:1:2:abcd::99",
            "2001:db8:1:3::1", // another /64
            "198.51.100.7",
            "::ffff:198.51.100.7",
            "198.51.100.7",
        ];
        assert_eq!(takes(&limit, Instant::now(), &from), [OK, OK, Err(1), OK, OK, OK, Err(1)]);
        assert_eq!(limit.clients(), 3);
    }

    #[test]
    fn when_full_of_draining_clients_new_ones_share_the_overflow_bucket() {
        let limit = RateLimit::with_max_clients(1.0, 2.0, 2);
        let t = Instant::now();
        assert_eq!(takes(&limit, t, &["192.0.2.1", "192.0.2.2"]), [OK, OK]);
        // Rotating addresses: each new one draws from the same overflow bucket.
        let rotating = ["192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"];
        assert_eq!(takes(&limit, t, &rotating), [OK, OK, Err(1), Err(1)]);
        assert_eq!(limit.clients(), 2);
        // The clients in the table keep their own buckets.
        assert_eq!(takes(&limit, t, &["192.0.2.1", "192.0.2.1"]), [OK, Err(1)]);
    }

    #[test]
    fn a_full_table_forgets_clients_whose_buckets_have_refilled() {
        let limit = RateLimit::with_max_clients(1.0, 2.0, 2);
        let t = Instant::now();
        assert_eq!(takes(&limit, t, &["192.0.2.1"]), [OK]);
        assert_eq!(takes(&limit, after(t, 1500), &["192.0.2.2"]), [OK]);
        // At 2 s the first has refilled (1 + 2 × 1/s ≥ 2), the second not (1 + 0.5), so the
        // third gets a bucket of its own: it drains alone, while the overflow stays full.
        let third = "192.0.2.3";
        assert_eq!(takes(&limit, after(t, 2000), &[third, third, third, "192.0.2.4"]), [OK, OK, Err(1), OK]);
        assert_eq!(limit.clients(), 2);
    }

    #[test]
    fn a_full_table_is_swept_at_most_once_a_second() {
        let limit = RateLimit::with_max_clients(10.0, 2.0, 2);
        let t = Instant::now();
        // The third's sweep finds both still draining.
        assert_eq!(takes(&limit, t, &["192.0.2.1", "192.0.2.2", "192.0.2.3"]), [OK, OK, OK]);
        // Both refilled 100 ms later, but the next sweep is not due before 1 s.
        assert_eq!(takes(&limit, after(t, 500), &["192.0.2.4"]), [OK]);
        assert_eq!(limit.clients(), 2);
        assert_eq!(takes(&limit, after(t, 1000), &["192.0.2.5"]), [OK]);
        assert_eq!(limit.clients(), 1);
    }
}
