//! Who is registered under which topic, until when.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::proto::{MAX_LIMIT, MAX_TTL, Registration};

/// The longest topic or peer name, in bytes.
pub const MAX_NAME: usize = 255;
/// The most addresses one registration may carry.
pub const MAX_ADDRS: usize = 16;

/// Why a registration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A TTL of 0 (gone before anyone could see it) or over [`MAX_TTL`].
    #[error("ttl must be between 1 and {MAX_TTL} seconds, not {0}")]
    Ttl(u64),
    /// An empty topic or peer name, or one over [`MAX_NAME`] bytes.
    #[error("topic and peer must be 1 to {MAX_NAME} bytes long")]
    Name,
    /// More than [`MAX_ADDRS`] addresses in one registration.
    #[error("at most {MAX_ADDRS} addresses")]
    TooManyAddrs,
    /// A discover limit of 0 or over [`MAX_LIMIT`].
    #[error("limit must be between 1 and {MAX_LIMIT}, not {0}")]
    Limit(usize),
}

#[derive(Clone, Debug)]
struct Entry {
    peer: String,
    addrs: Vec<String>,
    expires: Duration,
}

/// The registrations, with time passed in explicitly (`now`: time since the server
/// started), so the logic is tested without waiting.
#[derive(Debug, Default)]
pub struct Registry {
    /// Per topic, registrations by sequence number (the order they were made).
    topics: HashMap<String, BTreeMap<u64, Entry>>,
    /// (topic, peer) → its sequence number, to replace a registration.
    index: HashMap<(String, String), u64>,
    /// (expiry, sequence number) → (topic, peer): the next to expire first.
    expiry: BTreeMap<(Duration, u64), (String, String)>,
    last_seq: u64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `peer` under `topic` until `now + ttl` seconds, replacing any earlier
    /// registration of the same peer and topic. Returns the registration as listed.
    pub fn register(
        &mut self,
        topic: &str,
        peer: &str,
        addrs: &[String],
        ttl: u64,
        now: Duration,
    ) -> Result<Registration, RegistryError> {
        // TODO (step 1)
        todo!()
    }

    /// Removes `peer`'s registration under `topic`; whether there was one.
    pub fn unregister(&mut self, topic: &str, peer: &str) -> bool {
        // TODO (step 1)
        todo!()
    }

    /// Up to `limit` live registrations under `topic` made after `cookie` (0 for all),
    /// oldest first, and the cookie for the next call: the last one returned, or
    /// `cookie` itself when there is nothing new.
    pub fn discover(
        &mut self,
        topic: &str,
        cookie: u64,
        limit: usize,
        now: Duration,
    ) -> Result<(Vec<Registration>, u64), RegistryError> {
        // TODO (step 1)
        todo!()
    }

    /// Drops every registration whose time is up at `now`; how many.
    pub fn expire(&mut self, now: Duration) -> usize {
        // TODO (step 1)
        todo!()
    }

    /// How many registrations are held (expired ones included until [`Registry::expire`]).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no registration is held.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}
