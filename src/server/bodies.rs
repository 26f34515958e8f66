//! Request bodies held in memory: bounded for each client and for all clients together.
//!
//! A body is read whole before it is decided (a batch's, a line at a time), and one HTTP/2
//! connection may send a hundred and more at once: without a bound in all, a client could
//! make the gateway hold gigabytes of bodies it never finishes (found by attack: 100 streams
//! on one anonymous connection, each sending 4 MiB less a byte and never ending, took the
//! gateway from 164 MB to 519 MB in 1.5 s; one customs identity over three connections, to
//! 1.7 GB). Each body holds its bytes here as they arrive and gives them back when its request
//! is answered; one of 64 KiB or more, when the work on it has ended, whether or not its
//! caller is still waiting for the answer (a stream reset does not end the work). A client
//! is an IPv4 address or an IPv6 /64, as for the rate limit: one client at its bound leaves the others theirs (`limits.max_body_bytes_held_per_client`),
//! and all of them together are bounded too (`limits.max_body_bytes_held`). What is counted
//! is the bytes received; the buffers holding them grow by doubling, so the memory they take
//! is at most about twice that (measured by review: four clients each at a 64 MiB bound took
//! about 94 MB each).
//!
//! This module never reads a body; it only counts what the readers hold.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The bytes of request bodies held, per client and in all.
#[derive(Debug)]
pub struct Budget {
    per_client: usize,
    all: usize,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    all: usize,
    /// Only clients holding a byte have an entry: the table is no larger than the bodies
    /// being read.
    by_client: HashMap<IpAddr, usize>,
}

/// What one body holds of a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Hold {
    budget: Arc<Budget>,
    client: IpAddr,
    bytes: usize,
}

/// Why a body could not hold more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its client holds its bound.
    Client,
    /// All clients together hold the gateway's.
    All,
}

impl Refused {
    /// Whose bodies are at their bound, as an answer says it.
    pub fn whose(self) -> &'static str {
        match self {
            Refused::Client => "this client's",
            Refused::All => "all clients'",
        }
    }
}

impl Budget {
    pub fn new(per_client: usize, all: usize) -> Arc<Self> {
        Arc::new(Self { per_client, all, held: Mutex::new(Held::default()) })
    }

    /// An empty hold for a body from `peer`.
    pub fn hold(self: &Arc<Self>, peer: IpAddr) -> Hold {
        Hold { budget: Arc::clone(self), client: super::rate_limit::client(peer), bytes: 0 }
    }

    /// Bytes held in all.
    pub fn held(&self) -> usize {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).all
    }

    /// Moves the hold of `client` from `from` bytes to `to`; refused, and nothing moved, when
    /// growing past a bound.
    fn change(&self, client: IpAddr, from: usize, to: usize) -> Result<(), Refused> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = held.by_client.get(&client).copied().unwrap_or(0);
        let (mine_after, all_after) = (mine - from.min(mine) + to, held.all - from.min(held.all) + to);
        if to > from {
            if mine_after > self.per_client {
                return Err(Refused::Client);
            }
            if all_after > self.all {
                return Err(Refused::All);
            }
        }
        held.all = all_after;
        if mine_after == 0 {
            held.by_client.remove(&client);
        } else {
            held.by_client.insert(client, mine_after);
        }
        Ok(())
    }
}

impl Hold {
    /// The bytes it holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds `bytes` more; refused, and nothing more held, past the client's bound or all's.
    pub fn grow(&mut self, bytes: usize) -> Result<(), Refused> {
        self.set(self.bytes.saturating_add(bytes))
    }

    /// Holds exactly `bytes` (a batch's partial line, as it grows and is cut off).
    pub fn set(&mut self, bytes: usize) -> Result<(), Refused> {
        self.budget.change(self.client, self.bytes, bytes)?;
        self.bytes = bytes;
        Ok(())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let _ = self.budget.change(self.client, self.bytes, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn a_client_holds_up_to_its_bound_and_all_up_to_theirs() {
        let budget = Budget::new(10, 25);
        let mut a = budget.hold(ip("192.0.2.1"));
        let mut a2 = budget.hold(ip("192.0.2.1"));
        assert_eq!(a.grow(6), Ok(()));
        assert_eq!(a2.grow(4), Ok(()));
        // The client's eleventh byte, on either of its bodies, is refused, and nothing moves.
        assert_eq!(a2.grow(1), Err(Refused::Client));
        assert_eq!((a.bytes, a2.bytes, budget.held()), (6, 4, 10));
        // Another client holds its own, up to all's bound.
        let mut b = budget.hold(ip("192.0.2.2"));
        let mut c = budget.hold(ip("198.51.100.7"));
        assert_eq!(b.grow(10), Ok(()));
        assert_eq!(c.grow(6), Err(Refused::All));
        assert_eq!(c.grow(5), Ok(()));
        assert_eq!(budget.held(), 25);
        // A body answered gives its bytes back; one cut shorter holds less.
        drop(a);
        assert_eq!(budget.held(), 19);
        assert_eq!(a2.grow(6), Ok(()));
        assert_eq!(b.set(3), Ok(()));
        // a2 10, b 3, c 5.
        assert_eq!(budget.held(), 18);
        drop((a2, b, c));
        assert_eq!(budget.held(), 0);
        assert!(budget.held.lock().expect("lock").by_client.is_empty());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let budget = Budget::new(10, 100);
        let mut one = budget.hold(ip("2001:db8::1"));
        let mut same = budget.hold(ip("2001:db8::ffff:2"));
        let mut other = budget.hold(ip("2001:db8:0:1::1"));
        assert_eq!(one.grow(10), Ok(()));
        assert_eq!(same.grow(1), Err(Refused::Client));
        assert_eq!(other.grow(10), Ok(()));
    }
}
