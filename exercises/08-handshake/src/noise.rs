//! The Noise XX handshake, as the Noise Protocol Framework specifies it
//! (<http://www.noiseprotocol.org/noise.html>, revision 34), with libp2p's identity
//! binding.
//!
//! ```text
//! XX:
//!   -> e
//!   <- e, ee, s, es     + the responder's identity payload
//!   -> s, se            + the initiator's identity payload
//! ```
//!
//! Both sides keep a running hash `h` of everything sent and a chaining key `ck`; every
//! Diffie–Hellman result is mixed into `ck` (HKDF-SHA256), which yields the key that
//! encrypts what follows. Static keys travel encrypted, so an eavesdropper learns neither
//! identity. At the end, `ck` is split into one key per direction.
//!
//! The Noise static key is a fresh X25519 key, not the peer's identity. To bind them, each
//! side sends an *identity payload* inside its encrypted handshake message, libp2p's
//! protobuf `NoiseHandshakePayload` ([`crate::payload`]): its Ed25519 public key and its
//! signature over `"noise-libp2p-static-key:"` followed by its Noise static public key,
//! and the stream multiplexers it offers. The other side checks the signature against
//! the static key the handshake delivered, and so learns which identity it is talking
//! to ([libp2p noise spec](https://github.com/libp2p/specs/blob/master/noise/README.md)).

use hkdf::Hkdf;
use identity_solution::{Keypair, PublicKey, Signature};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey as DhPublic, StaticSecret};

use crate::payload::{Payload, PayloadError, decode_public_key, encode_public_key};
use crate::session::{CipherState, Session};

/// The Noise protocol name, which is hashed into the handshake: exactly 32 bytes.
pub const PROTOCOL_NAME: &str = "Noise_XX_25519_ChaChaPoly_SHA256";
/// What an identity key signs, followed by the Noise static public key.
pub const SIGNATURE_PREFIX: &[u8] = b"noise-libp2p-static-key:";
/// The largest Noise message, handshake or transport: its length travels in 2 bytes.
pub const MAX_MESSAGE: usize = 65_535;
/// The AEAD tag that every encrypted part of a message carries.
pub const TAG: usize = 16;

/// Which side of the handshake this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends the first message.
    Initiator,
    /// Answers it.
    Responder,
}

/// Why a handshake or a session refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// A message shorter than its pattern needs (or, for message 1, longer: libp2p
    /// sends it with an empty payload).
    #[error("a handshake message of the wrong length")]
    Length,
    /// Decryption failed: tampered, replayed, reordered, or the wrong key.
    #[error("a message failed to decrypt (tampered, replayed, reordered or not for us)")]
    Decrypt,
    /// The identity payload is not a well-formed `NoiseHandshakePayload` with an
    /// Ed25519 key and a 64-byte signature.
    #[error("the peer's handshake payload: {0}")]
    Payload(#[from] PayloadError),
    /// The identity payload's signature does not bind the identity to the Noise key.
    #[error("the peer's identity signature does not match its Noise key")]
    BadIdentity,
    /// A Diffie–Hellman result was all zeros (a small-order public key).
    #[error("a weak Diffie-Hellman key")]
    WeakKey,
    /// A method called in the wrong state (reading when it is our turn to write, …).
    #[error("handshake step out of order")]
    OutOfOrder,
    /// A key has encrypted or decrypted 2^64 − 1 messages, all its nonces: the session
    /// must end rather than reuse one.
    #[error("the session's nonces are used up")]
    Exhausted,
    /// A message over the Noise limit: a handshake or transport message over 65,535
    /// bytes, or a plaintext over 65,519 (the limit less the tag).
    #[error("a message over the Noise limit of 65,535 bytes")]
    TooLong,
}

/// This side's `NoiseHandshakePayload`, encoded: its identity key as a libp2p
/// `PublicKey`, that key's signature over [`SIGNATURE_PREFIX`] followed by
/// `static_public`, and `stream_muxers` as the extension (none: no extension).
pub fn identity_payload(identity: &Keypair, static_public: &[u8; 32], stream_muxers: &[&str]) -> Vec<u8> {
    // TODO (step 3): sign the prefix and the static key; encode the payload
    todo!()
}

/// What a verified payload told us about the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPayload {
    /// The peer's identity, proven to own the Noise static key.
    pub identity: PublicKey,
    /// The stream multiplexers it offered in the extension, most preferred first
    /// (empty if it sent none).
    pub stream_muxers: Vec<String>,
}

/// Reads a peer's payload and checks that its identity key signed `static_public`,
/// the Noise static key the same handshake message delivered. A payload that does not
/// decode, or whose key is not Ed25519, or whose signature is not 64 bytes, is
/// [`HandshakeError::Payload`]; a signature that does not verify is
/// [`HandshakeError::BadIdentity`].
pub fn verify_payload(payload: &[u8], static_public: &[u8; 32]) -> Result<VerifiedPayload, HandshakeError> {
    // TODO (step 4): decode, check the key and the signature
    // TODO (step 8): every error case, each with its own error
    todo!()
}

/// Noise's SymmetricState: the chaining key, the handshake hash and the current cipher.
struct Symmetric {
    ck: [u8; 32],
    h: [u8; 32],
    cipher: CipherState,
}

impl Symmetric {
    fn new() -> Symmetric {
        // TODO (step 4): h = the 32-byte protocol name, ck = h, then the empty prologue
        todo!()
    }

    fn mix_hash(&mut self, data: &[u8]) {
        // TODO (step 4): h = SHA-256(h || data)
        todo!()
    }

    /// HKDF(ck, ikm) with two outputs: the new ck and a cipher key.
    fn hkdf(&self, ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
        // TODO (step 4): HKDF-SHA256 with salt ck: two 32-byte outputs
        todo!()
    }

    fn mix_key(&mut self, ikm: &[u8; 32]) -> Result<(), HandshakeError> {
        // TODO (step 4): refuse an all-zero DH result; a new ck and a fresh cipher key
        todo!()
    }

    fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): encrypt with h as associated data, then hash the ciphertext
        todo!()
    }

    fn decrypt_and_hash(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): the mirror
        todo!()
    }

    fn split(&self) -> ([u8; 32], [u8; 32]) {
        // TODO (step 4): two keys from the final chaining key
        todo!()
    }
}

/// One side of a Noise XX handshake. Call `write_message` and `read_message` in turn
/// (the initiator writes first), three messages in all, then [`Handshake::finish`].
pub struct Handshake {
    role: Role,
    identity: Keypair,
    symmetric: Symmetric,
    s: StaticSecret,
    e: StaticSecret,
    re: Option<[u8; 32]>,
    rs: Option<[u8; 32]>,
    /// The stream multiplexers this side offers in its payload's extension.
    stream_muxers: Vec<String>,
    remote: Option<VerifiedPayload>,
    step: usize,
    /// Test hook: sign a different static key than the one sent (a lying peer).
    lie: bool,
}

fn random_secret() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

fn dh(secret: &StaticSecret, public: &[u8; 32]) -> [u8; 32] {
    secret.diffie_hellman(&DhPublic::from(*public)).to_bytes()
}

impl Handshake {
    /// A handshake with fresh random static and ephemeral keys, offering no stream
    /// multiplexers (as rust-libp2p does: its payload carries no extensions).
    pub fn new(role: Role, identity: Keypair) -> Handshake {
        Handshake::with_keys(role, identity, random_secret(), random_secret())
    }

    /// A handshake with the given X25519 static and ephemeral secrets (for tests that
    /// need both sides to be reproducible).
    pub fn with_keys(role: Role, identity: Keypair, static_secret: [u8; 32], ephemeral_secret: [u8; 32]) -> Handshake {
        Handshake {
            role,
            identity,
            symmetric: Symmetric::new(),
            s: StaticSecret::from(static_secret),
            e: StaticSecret::from(ephemeral_secret),
            re: None,
            rs: None,
            stream_muxers: Vec::new(),
            remote: None,
            step: 0,
            lie: false,
        }
    }

    /// Offers `muxers` (most preferred first) in this side's payload, for the
    /// multiplexer to be agreed inside the handshake instead of in a round after it.
    pub fn with_stream_muxers(mut self, muxers: &[&str]) -> Handshake {
        self.stream_muxers = muxers.iter().map(|m| m.to_string()).collect();
        self
    }

    /// Which side this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Makes this side's identity payload sign a static key other than its own, as a
    /// peer trying to pass off someone else's identity would. For the checks only.
    #[doc(hidden)]
    pub fn sign_other_key_for_tests(&mut self) {
        self.lie = true;
    }

    fn my_payload(&self, s: &[u8; 32]) -> Vec<u8> {
        let signed_key = if self.lie { [0x42; 32] } else { *s };
        let muxers: Vec<&str> = self.stream_muxers.iter().map(String::as_str).collect();
        identity_payload(&self.identity, &signed_key, &muxers)
    }

    /// This side's Noise static public key.
    pub fn static_public(&self) -> [u8; 32] {
        DhPublic::from(&self.s).to_bytes()
    }

    fn ephemeral_public(&self) -> [u8; 32] {
        DhPublic::from(&self.e).to_bytes()
    }

    fn my_turn(&self) -> bool {
        self.step.is_multiple_of(2) == (self.role == Role::Initiator)
    }

    /// Whether all three messages have been exchanged.
    pub fn is_finished(&self) -> bool {
        self.step == 3
    }

    /// Produces this side's next handshake message: message 1 is the ephemeral key
    /// and an empty payload, messages 2 and 3 carry the encrypted static key and the
    /// encrypted identity payload. [`HandshakeError::OutOfOrder`] when it is the other
    /// side's turn or the handshake is over; [`HandshakeError::TooLong`] if the message
    /// would not fit 65,535 bytes.
    pub fn write_message(&mut self) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): messages 1 (e), 2 (e, ee, s, es, payload) and 3 (s, se, payload); refuse out of turn and oversized
        todo!()
    }

    /// Processes the other side's next handshake message, and in messages 2 and 3
    /// verifies its identity payload against the static key the message delivered.
    /// Errors: [`HandshakeError::OutOfOrder`] when it is our turn,
    /// [`HandshakeError::TooLong`] over 65,535 bytes, [`HandshakeError::Length`] when
    /// too short for its pattern (or message 1 not exactly 32 bytes),
    /// [`HandshakeError::Decrypt`] when tampered with, and the errors of
    /// [`verify_payload`].
    pub fn read_message(&mut self, message: &[u8]) -> Result<(), HandshakeError> {
        // TODO (step 4): the mirror, checking each length and the payload
        // TODO (step 8): every refusal with its own error, before the state changes
        todo!()
    }

    /// The other side's Noise static key, once received.
    pub fn remote_static(&self) -> Option<[u8; 32]> {
        self.rs
    }

    /// The handshake hash `h` so far: the protocol name, the prologue and every key and
    /// ciphertext of the handshake, hashed in order (Noise §5.2). After each message both
    /// sides hold the same value; the checks compare yours with the reference's, message
    /// by message. Public, not secret: libp2p could bind it into a signature.
    pub fn handshake_hash(&self) -> [u8; 32] {
        self.symmetric.h
    }

    /// The chaining key `ck` so far: every Diffie–Hellman result mixed in (Noise §5.2).
    /// For the checks and for debugging only: it is secret, never send or log it.
    pub fn chaining_key(&self) -> [u8; 32] {
        self.symmetric.ck
    }

    /// Ends the handshake: one key per direction (the initiator sends with the first
    /// key of the split, the responder with the second), and what the peer proved.
    /// [`HandshakeError::OutOfOrder`] before all three messages.
    pub fn finish(self) -> Result<Session, HandshakeError> {
        // TODO (step 4): only after three messages; one key per direction, and what the peer proved
        todo!()
    }
}
