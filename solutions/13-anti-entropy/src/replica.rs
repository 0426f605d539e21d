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
        Replica { writer: Writer::new(secret), logs: BTreeMap::new() }
    }

    /// This replica's author key: the public key of its secret.
    pub fn author(&self) -> [u8; 32] {
        self.writer.author()
    }

    /// Appends `payload` to this replica's own log and returns the new entry. The log's
    /// own refusals (a payload over its limit) come back as they are, and store nothing.
    pub fn post(&mut self, payload: &[u8]) -> Result<Entry, LogError> {
        let entry = self.writer.append(payload)?;
        self.logs.entry(entry.author).or_default().push(entry.clone());
        Ok(entry)
    }

    /// The highest sequence number held per author (authors with no entries are
    /// left out).
    pub fn frontier(&self) -> Frontier {
        self.logs.iter().filter_map(|(author, log)| log.last().map(|e| (*author, e.seq))).collect()
    }

    /// What a replica whose frontier is `theirs` lacks: for every author, the entries
    /// after their sequence number, in order, authors in key order, at most `limit`
    /// entries in all (so one answer stays a bounded message).
    ///
    /// An author missing from `theirs` is one they hold nothing of; an author they
    /// know and this replica does not contributes nothing. The order is part of the
    /// contract: step 3 compares yours with the reference's.
    pub fn missing_for(&self, theirs: &Frontier, limit: usize) -> Vec<Entry> {
        let mut missing = Vec::new();
        for (author, log) in &self.logs {
            let have = theirs.get(author).copied().unwrap_or(0) as usize;
            for entry in log.iter().skip(have) {
                if missing.len() == limit {
                    return missing;
                }
                missing.push(entry.clone());
            }
        }
        missing
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
        let mut added = 0;
        for entry in entries {
            let log = self.logs.entry(entry.author).or_default();
            let held = log.len() as u64;
            if entry.seq >= 1 && entry.seq <= held {
                continue;
            }
            let last = log.last().map(|e| (e.seq, e.hash()));
            verify_suffix(&entry.author, last, std::slice::from_ref(entry))?;
            log.push(entry.clone());
            added += 1;
        }
        Ok(added)
    }

    /// Every log, by author.
    pub fn logs(&self) -> &BTreeMap<[u8; 32], Vec<Entry>> {
        &self.logs
    }

    /// A digest of everything held: two replicas with the same digest hold the same
    /// logs. SHA-256 over each author's key and the hash of its last entry, in author
    /// order (the last hash covers the whole chain).
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for (author, log) in &self.logs {
            if let Some(last) = log.last() {
                hasher.update(author);
                hasher.update(last.hash());
            }
        }
        hasher.finalize().into()
    }
}
