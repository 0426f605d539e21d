//! A replica of many authors' logs, and the three operations anti-entropy needs.

use std::collections::BTreeMap;

use append_log_solution::{Entry, LogError, Writer, verify_suffix};
use sha2::{Digest, Sha256};

/// For each author, the highest sequence number held: everything a peer needs to
/// know to work out what this replica lacks. A few bytes per author, however long
/// the logs are.
pub type Frontier = BTreeMap<[u8; 32], u64>;

/// The logs one peer holds: its own, which it writes, and everyone else's, which it
/// only ever receives and verifies.
#[derive(Clone, Debug)]
pub struct Replica {
    writer: Writer,
    logs: BTreeMap<[u8; 32], Vec<Entry>>,
}

impl Replica {
    /// A replica whose own log is written with the Ed25519 secret key `secret`, holding
    /// no entries yet.
    pub fn new(secret: [u8; 32]) -> Replica {
        // TODO (step 1)
        todo!()
    }

    /// This replica's author key: the public key of its secret.
    pub fn author(&self) -> [u8; 32] {
        // TODO (step 1)
        todo!()
    }

    /// Appends `payload` to this replica's own log and returns the new entry. The log's
    /// own refusals (a payload over its limit) come back as they are, and store nothing.
    pub fn post(&mut self, payload: &[u8]) -> Result<Entry, LogError> {
        // TODO (step 1)
        todo!()
    }

    /// The highest sequence number held per author (authors with no entries are
    /// left out).
    pub fn frontier(&self) -> Frontier {
        // TODO (step 1)
        todo!()
    }

    /// What a replica whose frontier is `theirs` lacks: for every author, the entries
    /// after their sequence number, in order, authors in key order, at most `limit`
    /// entries in all (so one answer stays a bounded message).
    ///
    /// An author missing from `theirs` is one they hold nothing of; an author they
    /// know and this replica does not contributes nothing. The order is part of the
    /// contract: step 3 compares yours with the reference's.
    pub fn missing_for(&self, theirs: &Frontier, limit: usize) -> Vec<Entry> {
        // TODO (step 2)
        todo!()
    }

    /// Stores entries received from a peer, after verifying them. Entries already
    /// held are skipped (receiving twice is harmless); every new entry must continue
    /// its author's log exactly. Stops at the first entry that does not, keeping the
    /// valid ones before it, and returns its error; otherwise returns how many entries
    /// were new.
    ///
    /// The error is the log's own: [`LogError::Gap`] for an entry that does not follow
    /// the last one held (a log is received from its start, in order), a bad signature
    /// or a broken hash chain for one that is not what its author wrote.
    pub fn receive(&mut self, entries: &[Entry]) -> Result<usize, LogError> {
        // TODO (step 1): store what arrives (steps 1–3 receive only valid logs)
        // TODO (step 4): skip what is held, verify the rest before storing it
        todo!()
    }

    /// Every log, by author.
    pub fn logs(&self) -> &BTreeMap<[u8; 32], Vec<Entry>> {
        // TODO (step 1)
        todo!()
    }

    /// A digest of everything held: two replicas with the same digest hold the same
    /// logs. SHA-256 over each author's key and the hash of its last entry, in author
    /// order (the last hash covers the whole chain).
    pub fn digest(&self) -> [u8; 32] {
        // TODO (step 3)
        todo!()
    }
}
