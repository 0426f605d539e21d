//! A signed gossip message.
//!
//! The signature covers a domain string and every field, in one exact encoding
//! (integers big-endian):
//!
//! ```text
//! "p2p-handbook gossip v1\0" ‖ author (32) ‖ seq (8) ‖ payload length (4) ‖ payload
//! ```
//!
//! The envelope's id, used to recognise it again, is SHA-256 of those bytes followed by
//! the signature.

use identity_solution::{Keypair, PublicKey, Signature};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest payload a node accepts: 1 KiB (a chat line, not a file).
pub const MAX_PAYLOAD: usize = 1024;

const DOMAIN: &[u8] = b"p2p-handbook gossip v1\0";

/// Why a node refused an envelope (or a whole message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reject {
    /// Over a size limit: a payload over [`MAX_PAYLOAD`], or a batch over the node's
    /// limit.
    TooLarge,
    /// The signature does not verify, or the author is not a valid key.
    BadSignature,
    /// Already seen: a duplicate, or a replay.
    Duplicate,
    /// Older than the replay window remembers: refused, since it cannot be told apart
    /// from a replay.
    TooOld,
    /// The neighbour that sent it is over its rate limit.
    RateLimited,
}

/// A message signed by its author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The author's Ed25519 public key.
    pub author: [u8; 32],
    /// The author's counter: 1 for its first message, then 2, 3, …
    pub seq: u64,
    /// The content.
    pub payload: Vec<u8>,
    /// 64 bytes of Ed25519 signature over [`Envelope::signed_bytes`].
    pub signature: Vec<u8>,
}

impl Envelope {
    /// Signs `payload` as message number `seq` of `keypair`'s owner: the author is the
    /// keypair's public key, and the signature covers [`Envelope::signed_bytes`].
    pub fn sign(keypair: &Keypair, seq: u64, payload: &[u8]) -> Envelope {
        let mut envelope =
            Envelope { author: keypair.public().to_bytes(), seq, payload: payload.to_vec(), signature: Vec::new() };
        envelope.signature = keypair.sign(&envelope.signed_bytes()).to_bytes().to_vec();
        envelope
    }

    /// What the signature covers (see the module documentation), byte for byte: the
    /// reference signs and checks the same bytes.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(DOMAIN.len() + 44 + self.payload.len());
        bytes.extend_from_slice(DOMAIN);
        bytes.extend_from_slice(&self.author);
        bytes.extend_from_slice(&self.seq.to_be_bytes());
        bytes.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&self.payload);
        bytes
    }

    /// SHA-256 of the signed bytes and the signature: the envelope's identity.
    pub fn id(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.signed_bytes());
        hasher.update(&self.signature);
        hasher.finalize().into()
    }

    /// Checks the size first (cheap, and it bounds the work that follows), then the
    /// author's key and the signature.
    ///
    /// A payload over [`MAX_PAYLOAD`] is [`Reject::TooLarge`], whatever else is wrong
    /// with it. Everything after that is [`Reject::BadSignature`]: an author that is
    /// not a valid key, a signature that is not 64 bytes, or one that does not verify.
    pub fn verify(&self) -> Result<(), Reject> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(Reject::TooLarge);
        }
        let key = PublicKey::from_bytes(self.author).map_err(|_| Reject::BadSignature)?;
        let signature: [u8; 64] = self.signature.as_slice().try_into().map_err(|_| Reject::BadSignature)?;
        key.verify(&self.signed_bytes(), &Signature::from_bytes(signature)).map_err(|_| Reject::BadSignature)
    }
}
