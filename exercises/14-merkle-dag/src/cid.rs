//! Content identifiers (CIDs), version 1, as IPFS writes them
//! ([spec](https://github.com/multiformats/cid)).
//!
//! A CID says what the data is and what it hashes to, each part self-describing:
//!
//! ```text
//! binary: varint(1) ‖ varint(codec) ‖ varint(0x12) ‖ varint(32) ‖ 32-byte SHA-256 digest
//!         version     raw = 0x55,     multihash:     digest
//!                     dag-cbor = 0x71 sha2-256       length
//! text:   "b" ‖ base32(binary)        ("b" is the multibase prefix of base32)
//! ```
//!
//! So the CID of the raw bytes `foo` is `bafkrei…`: `b` for base32, then the encoding of
//! `01 55 12 20`, which every raw SHA-256 CIDv1 shares.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::{base32, varint};

/// The multicodec of raw bytes (a leaf: a chunk of a file).
pub const RAW: u64 = 0x55;
/// The multicodec of DAG-CBOR (an interior node with links).
pub const DAG_CBOR: u64 = 0x71;
/// The multihash code of SHA-256.
pub const SHA2_256: u64 = 0x12;

/// A CIDv1 with a SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cid {
    codec: u64,
    digest: [u8; 32],
}

/// Why bytes or text are not a CID this crate understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    /// The text does not start with `b` (base32); other multibases are not supported.
    #[error("unsupported multibase prefix {0:?} (only 'b', base32, is supported)")]
    Multibase(char),
    /// The text after the prefix is not lower-case base32.
    #[error("not base32")]
    Base32,
    /// A varint is malformed or cut short.
    #[error("malformed varint")]
    Varint,
    /// Not CIDv1.
    #[error("unsupported CID version {0}")]
    Version(u64),
    /// A codec other than raw or dag-cbor.
    #[error("unsupported codec 0x{0:x}")]
    Codec(u64),
    /// A hash other than SHA-256, or a digest that is not 32 bytes.
    #[error("unsupported multihash 0x{code:x} with a {len}-byte digest")]
    Hash {
        /// The multihash code.
        code: u64,
        /// The digest length it announced.
        len: u64,
    },
    /// Bytes missing or left over after the digest.
    #[error("a CID of the wrong length")]
    Length,
}

impl Cid {
    /// The CID of `data` encoded with `codec`: SHA-256 of the bytes.
    pub fn of(codec: u64, data: &[u8]) -> Cid {
        // TODO (step 3)
        todo!()
    }

    /// The codec: [`RAW`] or [`DAG_CBOR`].
    pub fn codec(&self) -> u64 {
        // TODO (step 3)
        todo!()
    }

    /// The SHA-256 digest.
    pub fn digest(&self) -> [u8; 32] {
        // TODO (step 3)
        todo!()
    }

    /// Whether `data` is the content this CID names.
    pub fn matches(&self, data: &[u8]) -> bool {
        // TODO (step 3)
        todo!()
    }

    /// The binary form (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        // TODO (step 3)
        todo!()
    }

    /// Reads the binary form, exactly: nothing may be left over. The fields are checked
    /// in order, and the first that is wrong gives the error: a varint that does not
    /// read ([`CidError::Varint`]), a version other than 1, a codec other than raw or
    /// dag-cbor, a hash other than a 32-byte SHA-256, then a digest cut short or
    /// followed by more bytes ([`CidError::Length`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Cid, CidError> {
        // TODO (step 4)
        todo!()
    }
}

/// The text form: `b` (base32's multibase prefix) and the binary form in base32.
impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // TODO (step 3)
        todo!()
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // TODO (step 3)
        todo!()
    }
}

/// Parses the text form: a prefix other than `b` is [`CidError::Multibase`], text that
/// is not base32 [`CidError::Base32`], then as [`Cid::from_bytes`].
impl FromStr for Cid {
    type Err = CidError;

    fn from_str(text: &str) -> Result<Cid, CidError> {
        // TODO (step 4)
        todo!()
    }
}
