//! Ed25519 keys and signatures: the identity itself.
//!
//! A peer's identity is a keypair it generates on its own, with no authority to ask.
//! The secret half never leaves the peer; the public half is the identity others
//! know it by. Ed25519 (RFC 8032) is the common choice in peer-to-peer systems
//! (libp2p, Secure Scuttlebutt, Hypercore, iroh): keys are 32 bytes, signatures 64,
//! and signing is deterministic, so the same key and message always give the same
//! signature — which is what lets the checks compare yours with the RFC's vectors.
//!
//! The types wrap the `ed25519-dalek` crate's (its documentation is on docs.rs), so
//! the rest of the handbook does not depend on one library's API.

use std::fmt;

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::peer_id::PeerId;

/// A peer's keypair: the secret it signs with and the public key it is known by.
///
/// `Debug` prints only the public half, so a keypair that ends up in a log or a
/// panic message does not leak the secret.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl Keypair {
    /// A fresh keypair from the operating system's random number generator.
    ///
    /// 32 random bytes are the whole secret: Ed25519 derives everything else from
    /// them. Reading them from the OS, not from a seeded generator, is what makes
    /// the identity unguessable.
    pub fn generate() -> Keypair {
        // TODO (step 2)
        todo!()
    }

    /// The keypair whose secret key is `secret` (RFC 8032 calls it the private key).
    /// Used to load a saved identity and to test against published vectors.
    pub fn from_secret_bytes(secret: [u8; 32]) -> Keypair {
        // TODO (step 1)
        todo!()
    }

    /// The 32 secret bytes, for saving to a key file. Handle with care.
    pub fn secret_bytes(&self) -> [u8; 32] {
        // TODO (step 1)
        todo!()
    }

    /// The public half: what other peers know this peer by.
    pub fn public(&self) -> PublicKey {
        // TODO (step 1)
        todo!()
    }

    /// Signs `message`. Anyone holding [`Keypair::public`] can check that this
    /// keypair, and only this keypair, produced the signature for these exact bytes.
    /// Deterministic (RFC 8032 §5.1.6): the same key and message give the same 64 bytes.
    pub fn sign(&self, message: &[u8]) -> Signature {
        // TODO (step 3)
        todo!()
    }

    /// The printable id of this peer, derived from its public key.
    pub fn peer_id(&self) -> PeerId {
        self.public().peer_id()
    }

    /// The X25519 secret for the same key (used by [`crate::seal`]).
    ///
    /// Ed25519 does not sign with the 32 secret bytes themselves but with a scalar
    /// derived from them (the first half of their SHA-512, "clamped"). That scalar is
    /// also a valid X25519 secret, and it is the one whose public point is
    /// [`PublicKey::x25519_public`]: the secret bytes as they are would not be.
    pub(crate) fn x25519_secret(&self) -> x25519_dalek::StaticSecret {
        // TODO (step 10)
        todo!()
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair").field("public", &self.public()).finish_non_exhaustive()
    }
}

/// A peer's public key: 32 bytes, the compressed form of a point on Edwards25519.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey {
    verifying: VerifyingKey,
}

/// 32 bytes that are not a usable Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable Ed25519 public key: {reason}")]
pub struct InvalidPublicKey {
    /// Why: not a point on the curve, or a weak (small-order) point.
    pub reason: &'static str,
}

/// A signature that does not match the message and the public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not match this message and public key")]
pub struct BadSignature;

impl PublicKey {
    /// Reads a public key received from someone else, so it is checked: the bytes
    /// must decode to a curve point, and not to one of the eight weak points of
    /// small order (a key anyone could "sign" for, and that would make a sealed
    /// message's shared secret predictable). Either failure is an
    /// [`InvalidPublicKey`] whose reason says which.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<PublicKey, InvalidPublicKey> {
        // TODO (step 4): step 4 reads a valid key with it
        // TODO (step 5): and refuses the two kinds of invalid ones
        todo!()
    }

    /// The 32 bytes of the key, as sent on the wire and embedded in the peer id.
    pub fn to_bytes(&self) -> [u8; 32] {
        // TODO (step 1)
        todo!()
    }

    /// Checks that `signature` was made by this key's secret over exactly `message`.
    ///
    /// Uses the strict rules (no malleable signatures, no weak keys), so a
    /// signature has exactly one valid encoding: a peer cannot re-encode someone
    /// else's message into a "different" valid one to slip past duplicate checks.
    /// Any mismatch, whatever its cause, is the one [`BadSignature`]: a verifier that
    /// says *why* a forgery failed only helps the forger.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), BadSignature> {
        // TODO (step 4)
        todo!()
    }

    /// The printable id of the peer that holds this key.
    pub fn peer_id(&self) -> PeerId {
        PeerId::from_public_key(*self)
    }

    /// The same point on the Montgomery curve, as an X25519 public key (used by
    /// [`crate::seal`]). Edwards25519 and Curve25519 are the same group, so this
    /// is a change of coordinates, not a new key.
    pub(crate) fn x25519_public(&self) -> x25519_dalek::PublicKey {
        // TODO (step 10)
        todo!()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_bytes()))
    }
}

/// An Ed25519 signature: 64 bytes (the point R, then the scalar S).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

impl Signature {
    /// A signature received as bytes. Any 64 bytes are accepted here; whether
    /// they are a valid signature is for [`PublicKey::verify`] to say.
    pub fn from_bytes(bytes: [u8; 64]) -> Signature {
        Signature(bytes)
    }

    /// The 64 bytes, to send along with the message.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}
