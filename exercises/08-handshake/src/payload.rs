//! libp2p's handshake payload, the protobuf `NoiseHandshakePayload`, read and written by
//! hand ([noise spec](https://github.com/libp2p/specs/blob/master/noise/README.md#the-libp2p-handshake-payload)).
//!
//! ```text
//! message NoiseExtensions {
//!     repeated bytes  webtransport_certhashes = 1;
//!     repeated string stream_muxers = 2;
//! }
//! message NoiseHandshakePayload {
//!     optional bytes identity_key = 1;        // a PublicKey message (below)
//!     optional bytes identity_sig = 2;
//!     optional NoiseExtensions extensions = 4;
//! }
//! message PublicKey {                         // peer-ids spec
//!     required KeyType Type = 1;              // Ed25519 = 1
//!     required bytes Data = 2;
//! }
//! ```
//!
//! A protobuf message is a sequence of fields, each a *key* and a value. The key is a
//! varint: the field number shifted left by three, or'ed with the *wire type* (0 a
//! varint, 1 eight bytes, 2 a varint length and that many bytes, 5 four bytes). Every
//! field here is either a varint or length-delimited, and a nested message is just
//! length-delimited bytes that are themselves a message. A reader skips the fields it
//! does not know, which is what lets a message grow new fields without breaking old
//! readers: libp2p added `extensions` as field 4 years after the first peers shipped.
//!
//! Everything here comes from a peer that has not yet proven anything, so every varint,
//! length and wire type is checked, and a bad one is a [`PayloadError`], never a panic.
//! Nothing is allocated beyond the message itself, which the Noise framing caps at
//! 65,535 bytes.

use identity_solution::PublicKey;

/// The `KeyType` of an Ed25519 key in libp2p's `PublicKey` message.
pub const KEY_TYPE_ED25519: u64 = 1;

/// Why a payload, or the public key inside it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// A varint, a length or a fixed-size value runs past the end of the bytes.
    #[error("the payload ends in the middle of a field")]
    Truncated,
    /// A varint of more than ten bytes, or one that does not fit 64 bits.
    #[error("a varint longer than 64 bits")]
    Varint,
    /// Wire types 3 and 4 (groups, long deprecated) and 6 and 7 (undefined).
    #[error("wire type {0} is not one a libp2p message uses")]
    WireType(u8),
    /// A known field arrived with another wire type than its schema's.
    #[error("field {0} has the wrong wire type")]
    FieldType(u64),
    /// A stream multiplexer name that is not UTF-8.
    #[error("a stream multiplexer name is not UTF-8")]
    Utf8,
    /// The public key message has no type or no key bytes.
    #[error("the public key has no type or no data")]
    MissingKey,
    /// The key is not an Ed25519 key (RSA is 0, secp256k1 2, ECDSA 3).
    #[error("key type {0} is not Ed25519 (1), the only type this peer accepts")]
    KeyType(u64),
    /// An Ed25519 key that is not 32 bytes.
    #[error("an Ed25519 key has 32 bytes, this one {0}")]
    KeyLength(usize),
    /// 32 bytes that are not a usable Ed25519 public key.
    #[error("the bytes are not a valid Ed25519 public key")]
    InvalidKey,
    /// An Ed25519 signature that is not 64 bytes.
    #[error("an Ed25519 signature has 64 bytes, this one {0}")]
    SignatureLength(usize),
}

/// The fields of a `NoiseHandshakePayload` this peer reads and writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// Field 1: the sender's identity, a serialized `PublicKey` message.
    pub identity_key: Vec<u8>,
    /// Field 2: the identity key's signature over `"noise-libp2p-static-key:"` and the
    /// sender's Noise static public key.
    pub identity_sig: Vec<u8>,
    /// Field 4, `NoiseExtensions`, its field 2: the stream multiplexers the sender
    /// supports, most preferred first. Empty means no extension was sent.
    pub stream_muxers: Vec<String>,
}

/// Appends `n` as a varint: seven bits per byte, least significant group first, the
/// top bit set on every byte but the last.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    // TODO (step 1): seven bits at a time, low bits first
    todo!()
}

/// Reads one varint from the front of `bytes`: its value and how many bytes it took.
/// [`PayloadError::Truncated`] if the bytes end first, [`PayloadError::Varint`] if it
/// does not fit 64 bits.
pub fn get_varint(bytes: &[u8]) -> Result<(u64, usize), PayloadError> {
    // TODO (step 1): the value and its length; Truncated or Varint when it is neither
    todo!()
}

/// One field as read off the wire.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// Fixed 32- or 64-bit values: no field here has one, so they are only skipped.
    Fixed,
}

/// Reads the fields of one message in order, calling `each(field number, value)`.
fn for_each_field<'a>(
    mut bytes: &'a [u8],
    mut each: impl FnMut(u64, Value<'a>) -> Result<(), PayloadError>,
) -> Result<(), PayloadError> {
    // TODO (step 1): key, wire type, value, for every field; every length checked
    todo!()
}

/// Appends a length-delimited field: its key (wire type 2), the length, the bytes.
fn put_bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    // TODO (step 1): key (wire type 2), length, bytes
    todo!()
}

impl Payload {
    /// The protobuf bytes: fields 1 and 2, then field 4 only if there are stream
    /// multiplexers to offer (a peer that offers none sends no extensions at all).
    pub fn encode(&self) -> Vec<u8> {
        // TODO (step 3): fields 1, 2, and 4 when there are muxers
        todo!()
    }

    /// Reads a payload, skipping fields it does not know. A field sent twice keeps
    /// its last value, and repeated muxers accumulate, as protobuf's rules say.
    pub fn decode(bytes: &[u8]) -> Result<Payload, PayloadError> {
        // TODO (step 3): the known fields, unknown ones skipped, each error typed
        todo!()
    }
}

/// libp2p's `PublicKey` message for an Ed25519 key: `08 01 12 20` and the 32 key bytes
/// (type 1, then 32 bytes of data). The peer id hashes exactly these bytes.
pub fn encode_public_key(key: &PublicKey) -> Vec<u8> {
    // TODO (step 1): type Ed25519, then the 32 key bytes
    todo!()
}

/// Reads a `PublicKey` message, accepting only a valid Ed25519 key.
pub fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, PayloadError> {
    // TODO (step 1): both fields present, Ed25519, 32 bytes, a valid key
    todo!()
}
