//! Refusing replays, in memory that an attacker cannot grow without bound.
//!
//! For each author, the guard keeps a *sliding window*, as IPsec (RFC 4303 §3.4.3)
//! and DTLS do: the highest sequence number seen, and one bit for each of the
//! [`WINDOW`] numbers below it, set when that number was seen. A number above the
//! highest moves the window; one inside it is new exactly when its bit is clear; one
//! below it is too old to judge and is refused. That is 16 bytes per author, whatever
//! the number of messages, and it lets messages arrive out of order (gossip takes many
//! paths) within the window.
//!
//! Each author also has a token bucket: at most [`AUTHOR_BURST`] messages at once and
//! [`AUTHOR_RATE`] per second after that. A valid key can sign as many messages as it
//! likes; this keeps one author from flooding everyone.
//!
//! Authors are unbounded (anyone can make a key), so the guard tracks at most
//! [`MAX_AUTHORS`], forgetting the one heard from least recently. The price: an author
//! forgotten under a flood of new keys can have its old messages replayed once. A
//! node that knows its peers' authors in advance (a chat room's members) can pin them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::envelope::{Envelope, Reject};

/// How many sequence numbers below the highest the guard remembers, per author.
pub const WINDOW: u64 = 64;

/// How many authors the guard remembers at most.
pub const MAX_AUTHORS: usize = 1024;

/// How many messages an author may send at once...
pub const AUTHOR_BURST: f64 = 20.0;
/// ...and per second after that.
pub const AUTHOR_RATE: f64 = 10.0;

#[derive(Clone, Copy, Debug)]
struct Window {
    /// The highest sequence number seen.
    highest: u64,
    /// Bit i: whether `highest - i` was seen.
    seen: u64,
    /// When this author was last heard from (for forgetting the oldest, and for
    /// refilling its bucket).
    last: Duration,
    /// The author's token bucket.
    tokens: f64,
}

/// What a node remembers to recognise envelopes it has already admitted.
#[derive(Default)]
pub struct Guard {
    windows: BTreeMap<[u8; 32], Window>,
    /// (last heard, author), to find the least recently heard author quickly.
    by_age: BTreeSet<(Duration, [u8; 32])>,
}

impl Guard {
    /// A guard that has seen nothing.
    pub fn new() -> Guard {
        Guard::default()
    }

    /// Admits `envelope` if it is valid (size, signature) and not seen before, at time
    /// `now`; otherwise says why not. Nothing is remembered about refused envelopes.
    ///
    /// The checks, in this order (step 4 compares yours with the reference's on random
    /// arrivals, so the order is part of the contract): the envelope's own
    /// ([`Envelope::verify`], its error as it is); for an author the guard knows, its
    /// bucket ([`Reject::RateLimited`] with less than one token, after refilling for
    /// the time since it was last heard from), then its window ([`Reject::TooOld`]
    /// below it, [`Reject::Duplicate`] for a number already seen). An admitted
    /// envelope costs its author one token and makes it the most recently heard. A new
    /// author starts with a full bucket less this one message; when the guard already
    /// remembers [`MAX_AUTHORS`], it forgets the least recently heard one first.
    pub fn admit(&mut self, envelope: &Envelope, now: Duration) -> Result<(), Reject> {
        // TODO (step 3): the window
        // TODO (step 5): the rate, and the bound on authors
        todo!()
    }

    /// Whether the guard remembers `author`.
    pub fn knows(&self, author: &[u8; 32]) -> bool {
        // TODO (step 3)
        todo!()
    }

    /// How many authors the guard remembers (at most [`MAX_AUTHORS`]).
    pub fn tracked_authors(&self) -> usize {
        // TODO (step 5)
        todo!()
    }
}
