//! One log entry and its exact bytes.
//!
//! A signature covers bytes, not meaning, so the log fixes one encoding that every
//! implementation reproduces byte for byte. All integers are big-endian:
//!
//! ```text
//! offset  size  field
//!      0    32  author     the Ed25519 public key of the log's author
//!     32     8  seq        1 for the first entry, then 2, 3, …
//!     40    32  previous   SHA-256 of the previous entry's bytes (zeros for seq 1)
//!     72     4  len        payload length, at most MAX_PAYLOAD
//!     76   len  payload    the content
//! 76+len    64  signature  Ed25519 over DOMAIN ‖ bytes 0 .. 76+len
//! ```
//!
//! The hash of an entry is SHA-256 of all of it, signature included. The signature
//! covers a domain string first, so that it can never be mistaken for a signature
//! made for another purpose with the same key.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The largest payload an entry may carry: 64 KiB. Bounded so that a reader can
/// refuse an absurd length before allocating for it.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Prefixed to the bytes an author signs (domain separation).
pub const DOMAIN: &[u8] = b"p2p-handbook log entry v1\0";

const HEADER: usize = 32 + 8 + 32 + 4;

/// One entry of an author's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The author's Ed25519 public key.
    pub author: [u8; 32],
    /// The position in the log, from 1.
    pub seq: u64,
    /// The hash of the entry before (all zeros for the first).
    pub previous: Hash,
    /// The content.
    pub payload: Vec<u8>,
    /// The author's signature over [`Entry::signed_bytes`].
    pub signature: [u8; 64],
}

/// Why an entry or a log is not valid. Each variant names the entry (by `seq`) or
/// the problem precisely, so a peer can say what it rejected and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The bytes are not an entry.
    #[error("malformed entry: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// A payload over [`MAX_PAYLOAD`].
    #[error("a payload of {len} bytes is over the limit of {MAX_PAYLOAD}")]
    PayloadTooLarge {
        /// Its length.
        len: usize,
    },
    /// An entry by someone other than the log's author.
    #[error("entry {seq} is by another author")]
    WrongAuthor {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The signature does not verify: the entry was changed or forged.
    #[error("entry {seq} has an invalid signature")]
    BadSignature {
        /// The entry's sequence number.
        seq: u64,
    },
    /// Not the next sequence number: an entry is missing or out of order.
    #[error("expected entry {expected}, found entry {found}")]
    Gap {
        /// The sequence number that should come next.
        expected: u64,
        /// The one that came.
        found: u64,
    },
    /// `previous` is not the hash of the entry before.
    #[error("entry {seq} does not link to the entry before it")]
    BrokenChain {
        /// The entry's sequence number.
        seq: u64,
    },
}

impl Entry {
    /// What the author signs: [`DOMAIN`] followed by every field but the signature, in
    /// the layout above.
    pub fn signed_bytes(&self) -> Vec<u8> {
        // TODO (step 1)
        todo!()
    }

    /// The entry's bytes, as stored and sent (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        // TODO (step 1)
        todo!()
    }

    /// Appends every field but the signature, in the layout above: the part that
    /// [`Entry::to_bytes`] and [`Entry::signed_bytes`] share.
    fn write_fields(&self, bytes: &mut Vec<u8>) {
        // TODO (step 1)
        todo!()
    }

    /// Reads an entry from exactly its bytes: no byte missing, none left over, and a
    /// payload length of at most [`MAX_PAYLOAD`] (checked before anything is copied,
    /// so a lying length costs nothing). Each way the bytes can be wrong is
    /// [`LogError::Malformed`], with the reason. Checks the layout only;
    /// [`Entry::verify_signature`] checks the signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, LogError> {
        // TODO (step 1)
        // TODO (step 7)
        todo!()
    }

    /// SHA-256 of the entry's bytes: what the next entry's `previous` must be.
    pub fn hash(&self) -> Hash {
        // TODO (step 3)
        todo!()
    }

    /// Checks the signature against the entry's own `author` key (strictly, so a
    /// signature has exactly one valid form).
    pub fn verify_signature(&self) -> Result<(), LogError> {
        // TODO (step 2)
        todo!()
    }
}
