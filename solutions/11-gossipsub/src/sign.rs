//! StrictSign: every message carries its author, a sequence number and the author's
//! signature, and a message without them is refused (pubsub spec, "Message Signing",
//! <https://github.com/libp2p/specs/blob/master/pubsub/README.md#message-signing>;
//! the policy's name is gossipsub v1.1's, "Signature Policy").
//!
//! The author signs the string `libp2p-pubsub:` followed by the message's protobuf
//! encoding without the `signature` and `key` fields. `from` is the author's peer id;
//! an Ed25519 peer id inlines the public key (identity multihash), so the `key` field
//! is left out, and a verifier takes the key from `from`. When `key` is present it
//! must be that same key. `seqno` is 8 bytes, big-endian.
//!
//! A message's id, by which nodes recognise it again, is the spec's default: `from`
//! followed by `seqno` (<https://github.com/libp2p/specs/blob/master/pubsub/README.md#message-identification>).

use identity_solution::{Keypair, PeerId, Signature};

use crate::proto::Message;

/// What the signature's bytes start with.
pub const SIGNING_PREFIX: &[u8] = b"libp2p-pubsub:";

/// Why a message fails StrictSign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignError {
    /// No `from` field.
    MissingFrom,
    /// A `from` that is not an Ed25519 peer id.
    BadFrom,
    /// No `seqno` field, or one that is not 8 bytes.
    BadSeqno,
    /// No `signature` field, or one that is not 64 bytes.
    MissingSignature,
    /// A `key` field that is not the key `from` inlines.
    BadKey,
    /// The signature does not verify.
    BadSignature,
}

/// The message `keypair`'s owner publishes on `topic`: `from` its peer id, `data`,
/// `seqno` as 8 bytes big-endian, `topic`, the signature over [`signed_bytes`], and
/// no `key` (the peer id inlines it).
pub fn sign(keypair: &Keypair, topic: &str, data: &[u8], seqno: u64) -> Message {
    let mut message = Message {
        from: Some(keypair.peer_id().to_bytes()),
        data: Some(data.to_vec()),
        seqno: Some(seqno.to_be_bytes().to_vec()),
        topic: topic.to_string(),
        signature: None,
        key: None,
    };
    message.signature = Some(keypair.sign(&signed_bytes(&message)).to_bytes().to_vec());
    message
}

/// What the signature covers: [`SIGNING_PREFIX`], then the message encoded without
/// its `signature` and `key` fields.
pub fn signed_bytes(message: &Message) -> Vec<u8> {
    let unsigned = Message { signature: None, key: None, ..message.clone() };
    [SIGNING_PREFIX, &unsigned.encode()].concat()
}

/// Checks StrictSign and returns the author. The checks, in this order (when several
/// fail, the first is the error returned): `from`
/// present ([`SignError::MissingFrom`]) and an Ed25519 peer id ([`SignError::BadFrom`]);
/// `seqno` present and 8 bytes ([`SignError::BadSeqno`]); a 64-byte signature
/// ([`SignError::MissingSignature`]); `key`, if present, the key `from` inlines
/// ([`SignError::BadKey`]); the signature over [`signed_bytes`] by that key
/// ([`SignError::BadSignature`]).
pub fn verify(message: &Message) -> Result<PeerId, SignError> {
    let from = message.from.as_ref().ok_or(SignError::MissingFrom)?;
    let author = PeerId::from_bytes(from).map_err(|_| SignError::BadFrom)?;
    if message.seqno.as_ref().is_none_or(|s| s.len() != 8) {
        return Err(SignError::BadSeqno);
    }
    let signature: [u8; 64] =
        message.signature.as_deref().and_then(|s| s.try_into().ok()).ok_or(SignError::MissingSignature)?;
    let key = author.public_key();
    if let Some(bytes) = &message.key
        && bytes[..] != encode_public_key(&key)[..]
    {
        return Err(SignError::BadKey);
    }
    key.verify(&signed_bytes(message), &Signature::from_bytes(signature)).map_err(|_| SignError::BadSignature)?;
    Ok(author)
}

/// The message's id: `from` followed by `seqno` (absent fields add nothing).
pub fn message_id(message: &Message) -> Vec<u8> {
    [message.from.as_deref().unwrap_or_default(), message.seqno.as_deref().unwrap_or_default()].concat()
}

/// libp2p's `PublicKey` protobuf for an Ed25519 key, as the `key` field carries it:
/// `08 01 12 20` and the 32 key bytes (the peer-ids spec).
pub fn encode_public_key(key: &identity_solution::PublicKey) -> Vec<u8> {
    [&[0x08, 0x01, 0x12, 0x20][..], &key.to_bytes()].concat()
}
