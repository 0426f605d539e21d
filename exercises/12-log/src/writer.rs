//! Appending as the author: the only party who can extend the log.

use ed25519_dalek::{Signer, SigningKey};

use crate::entry::{Entry, Hash, LogError, MAX_PAYLOAD};

/// The author's end of a log: it remembers the last sequence number and hash, so
/// each new entry continues the chain.
#[derive(Clone, Debug)]
pub struct Writer {
    key: SigningKey,
    seq: u64,
    last: Hash,
}

impl Writer {
    /// A writer for a new, empty log, signing with the Ed25519 secret key `secret`.
    pub fn new(secret: [u8; 32]) -> Writer {
        // TODO (step 2)
        todo!()
    }

    /// A writer that continues a log whose last entry is `last` (after a restart).
    /// Fails with `WrongAuthor` if `last` was not written with this key.
    pub fn resume(secret: [u8; 32], last: &Entry) -> Result<Writer, LogError> {
        // TODO (step 3)
        todo!()
    }

    /// The author's public key: the log's identity.
    pub fn author(&self) -> [u8; 32] {
        // TODO (step 2)
        todo!()
    }

    /// Signs and returns the next entry: numbered one after the last, linked to its
    /// hash. Entries are deterministic: the same key and payloads always give the same
    /// bytes (Ed25519 signatures are deterministic). A payload over [`MAX_PAYLOAD`] is
    /// [`LogError::PayloadTooLarge`], and a refused append changes nothing (it uses up
    /// no sequence number).
    pub fn append(&mut self, payload: &[u8]) -> Result<Entry, LogError> {
        // TODO (step 2)
        // TODO (step 7)
        todo!()
    }
}
