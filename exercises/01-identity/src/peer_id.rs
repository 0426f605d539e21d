//! Peer ids: a printable name derived from the public key, the libp2p way.
//!
//! A libp2p peer id is a [multihash] of the public key in libp2p's protobuf
//! encoding ([peer id spec]). For an Ed25519 key the encoded key is 36 bytes, short
//! enough (≤ 42) that the "identity" multihash is used: the key is embedded as is,
//! not hashed. So the id *is* the public key, and anyone holding the id can verify
//! the peer's signatures without asking for its key first. The 38 bytes are:
//!
//! ```text
//! 00        multihash code: identity (no hashing)
//! 24        multihash length: 36 bytes follow
//! 08 01     protobuf field 1 (Type), varint 1 = Ed25519
//! 12 20     protobuf field 2 (Data), 32 bytes follow
//! <32 bytes of the Ed25519 public key>
//! ```
//!
//! The text form is base58btc (Bitcoin's alphabet) of those bytes. The constant
//! prefix is why every Ed25519 peer id starts with `12D3KooW`.
//!
//! [multihash]: https://github.com/multiformats/multihash
//! [peer id spec]: https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md

use std::fmt;
use std::str::FromStr;

use crate::keys::PublicKey;

/// The six bytes in front of the key: identity multihash of a protobuf Ed25519 key.
const PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// The id of a peer: its Ed25519 public key in libp2p's peer id encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerId {
    key: PublicKey,
}

/// Why a string or byte string is not an Ed25519 peer id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerIdError {
    /// A character outside the base58btc alphabet (which has no `0`, `O`, `I`, `l`).
    #[error("not base58btc text")]
    NotBase58,
    /// The bytes are not the 38 an Ed25519 peer id has.
    #[error("an Ed25519 peer id has 38 bytes, this has {len}")]
    WrongLength {
        /// How many bytes there were.
        len: usize,
    },
    /// The bytes do not start with the identity-multihash Ed25519 prefix: maybe a
    /// peer id of another key type (RSA ids start with `Qm`), or not a peer id.
    #[error("not an Ed25519 peer id (the first six bytes are not 00 24 08 01 12 20)")]
    NotEd25519,
    /// The embedded key is not a usable public key.
    #[error("the embedded key is invalid: {0}")]
    InvalidKey(#[from] crate::keys::InvalidPublicKey),
}

impl PeerId {
    /// The id of the peer holding `key`.
    pub fn from_public_key(key: PublicKey) -> PeerId {
        PeerId { key }
    }

    /// The public key inside the id: enough to verify this peer's signatures.
    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// The 38 bytes of the id (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        // TODO (step 6)
        todo!()
    }

    /// Reads the 38 bytes of an id, checking each layer from the outside in and
    /// reporting the first that is wrong: not 38 bytes is [`PeerIdError::WrongLength`],
    /// another prefix is [`PeerIdError::NotEd25519`], a key that
    /// [`PublicKey::from_bytes`] refuses is [`PeerIdError::InvalidKey`]. That order
    /// tells a user who pasted half an id, or an RSA id, what they actually have.
    pub fn from_bytes(bytes: &[u8]) -> Result<PeerId, PeerIdError> {
        // TODO (step 7)
        todo!()
    }
}

/// The text form: base58btc of the 38 bytes, e.g. `12D3KooWD3eck…`.
impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // TODO (step 6)
        todo!()
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({self})")
    }
}

/// Parses the text form, so `"12D3KooW…".parse::<PeerId>()` works. Text that is
/// not base58btc is [`PeerIdError::NotBase58`]; the bytes it decodes to are then
/// checked as [`PeerId::from_bytes`] checks them.
impl FromStr for PeerId {
    type Err = PeerIdError;

    fn from_str(text: &str) -> Result<PeerId, PeerIdError> {
        // TODO (step 7)
        todo!()
    }
}
