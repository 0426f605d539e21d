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
//! side sends an *identity payload*: its Ed25519 public key (32 bytes) and its signature
//! (64 bytes) over `"noise-libp2p-static-key:"` followed by its Noise static public key,
//! as libp2p's Noise handshake does (there, protobuf-encoded). The other side checks the
//! signature against the static key the handshake delivered, and so learns which identity
//! it is talking to.

use hkdf::Hkdf;
use identity_solution::{Keypair, PublicKey, Signature};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey as DhPublic, StaticSecret};

use crate::session::{CipherState, Session};

/// The Noise protocol name, which is hashed into the handshake: exactly 32 bytes.
pub const PROTOCOL_NAME: &str = "Noise_XX_25519_ChaChaPoly_SHA256";
/// What an identity key signs, followed by the Noise static public key.
pub const SIGNATURE_PREFIX: &[u8] = b"noise-libp2p-static-key:";

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
    /// A message was not the expected length.
    #[error("a handshake message of the wrong length")]
    Length,
    /// Decryption failed: tampered, replayed, reordered, or the wrong key.
    #[error("a message failed to decrypt (tampered, replayed, reordered or not for us)")]
    Decrypt,
    /// The identity payload's signature does not bind the identity to the Noise key.
    #[error("the peer's identity signature does not match its Noise key")]
    BadIdentity,
    /// A Diffie–Hellman result was all zeros (a small-order public key).
    #[error("a weak Diffie-Hellman key")]
    WeakKey,
    /// A method called in the wrong state (reading when it is our turn to write, …).
    #[error("handshake step out of order")]
    OutOfOrder,
    /// A transport message over the Noise limit.
    #[error("a message over 65,519 bytes")]
    TooLong,
}

/// The identity payload: the Ed25519 public key, and its signature over the prefix and
/// the Noise static public key.
pub fn identity_payload(identity: &Keypair, static_public: &[u8; 32]) -> Vec<u8> {
    let mut signed = SIGNATURE_PREFIX.to_vec();
    signed.extend_from_slice(static_public);
    let mut payload = identity.public().to_bytes().to_vec();
    payload.extend_from_slice(&identity.sign(&signed).to_bytes());
    payload
}

fn verify_payload(payload: &[u8], static_public: &[u8; 32]) -> Result<PublicKey, HandshakeError> {
    if payload.len() != 96 {
        return Err(HandshakeError::BadIdentity);
    }
    let key = PublicKey::from_bytes(payload[..32].try_into().expect("32")).map_err(|_| HandshakeError::BadIdentity)?;
    let signature = Signature::from_bytes(payload[32..].try_into().expect("64"));
    let mut signed = SIGNATURE_PREFIX.to_vec();
    signed.extend_from_slice(static_public);
    key.verify(&signed, &signature).map_err(|_| HandshakeError::BadIdentity)?;
    Ok(key)
}

/// Noise's SymmetricState: the chaining key, the handshake hash and the current cipher.
struct Symmetric {
    ck: [u8; 32],
    h: [u8; 32],
    cipher: CipherState,
}

impl Symmetric {
    fn new() -> Symmetric {
        // A protocol name of exactly 32 bytes is used as h directly.
        let h: [u8; 32] = PROTOCOL_NAME.as_bytes().try_into().expect("the name is 32 bytes");
        let mut s = Symmetric { ck: h, h, cipher: CipherState::empty() };
        s.mix_hash(&[]); // the (empty) prologue
        s
    }

    fn mix_hash(&mut self, data: &[u8]) {
        self.h = Sha256::new().chain_update(self.h).chain_update(data).finalize().into();
    }

    /// HKDF(ck, ikm) with two outputs: the new ck and a cipher key.
    fn hkdf(&self, ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
        let mut out = [0u8; 64];
        Hkdf::<Sha256>::new(Some(&self.ck), ikm).expand(&[], &mut out).expect("64 bytes is a valid length");
        (out[..32].try_into().expect("32"), out[32..].try_into().expect("32"))
    }

    fn mix_key(&mut self, ikm: &[u8; 32]) -> Result<(), HandshakeError> {
        if ikm == &[0u8; 32] {
            return Err(HandshakeError::WeakKey);
        }
        let (ck, k) = self.hkdf(ikm);
        self.ck = ck;
        self.cipher = CipherState::with_key(k);
        Ok(())
    }

    fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let h = self.h;
        let ciphertext = self.cipher.encrypt(&h, plaintext);
        self.mix_hash(&ciphertext);
        ciphertext
    }

    fn decrypt_and_hash(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        let h = self.h;
        let plaintext = self.cipher.decrypt(&h, ciphertext)?;
        self.mix_hash(ciphertext);
        Ok(plaintext)
    }

    fn split(&self) -> ([u8; 32], [u8; 32]) {
        self.hkdf(&[])
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
    remote: Option<PublicKey>,
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
    /// A handshake with fresh random static and ephemeral keys.
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
            remote: None,
            step: 0,
            lie: false,
        }
    }

    /// Makes this side's identity payload sign a static key other than its own, as a
    /// peer trying to pass off someone else's identity would. For the checks only.
    #[doc(hidden)]
    pub fn sign_other_key_for_tests(&mut self) {
        self.lie = true;
    }

    fn my_payload(&self, s: &[u8; 32]) -> Vec<u8> {
        let signed_key = if self.lie { [0x42; 32] } else { *s };
        identity_payload(&self.identity, &signed_key)
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

    /// Produces this side's next handshake message.
    pub fn write_message(&mut self) -> Result<Vec<u8>, HandshakeError> {
        if self.step >= 3 || !self.my_turn() {
            return Err(HandshakeError::OutOfOrder);
        }
        let mut out = Vec::new();
        match self.step {
            0 => {
                let e = self.ephemeral_public();
                out.extend_from_slice(&e);
                self.symmetric.mix_hash(&e);
                out.extend(self.symmetric.encrypt_and_hash(&[]));
            }
            1 => {
                let re = self.re.ok_or(HandshakeError::OutOfOrder)?;
                let e = self.ephemeral_public();
                out.extend_from_slice(&e);
                self.symmetric.mix_hash(&e);
                self.symmetric.mix_key(&dh(&self.e, &re))?; // ee
                let s = self.static_public();
                out.extend(self.symmetric.encrypt_and_hash(&s));
                self.symmetric.mix_key(&dh(&self.s, &re))?; // es (responder: s with re)
                let payload = self.my_payload(&s);
                out.extend(self.symmetric.encrypt_and_hash(&payload));
            }
            _ => {
                let re = self.re.ok_or(HandshakeError::OutOfOrder)?;
                let s = self.static_public();
                out.extend(self.symmetric.encrypt_and_hash(&s));
                self.symmetric.mix_key(&dh(&self.s, &re))?; // se (initiator: s with re)
                let payload = self.my_payload(&s);
                out.extend(self.symmetric.encrypt_and_hash(&payload));
            }
        }
        self.step += 1;
        Ok(out)
    }

    /// Processes the other side's next handshake message.
    pub fn read_message(&mut self, message: &[u8]) -> Result<(), HandshakeError> {
        if self.step >= 3 || self.my_turn() {
            return Err(HandshakeError::OutOfOrder);
        }
        match self.step {
            0 => {
                if message.len() != 32 {
                    return Err(HandshakeError::Length);
                }
                let re: [u8; 32] = message.try_into().expect("32");
                self.symmetric.mix_hash(&re);
                self.symmetric.decrypt_and_hash(&[])?;
                self.re = Some(re);
            }
            1 => {
                // e (32) ‖ encrypted s (48) ‖ encrypted payload (96 + 16)
                if message.len() != 32 + 48 + 112 {
                    return Err(HandshakeError::Length);
                }
                let re: [u8; 32] = message[..32].try_into().expect("32");
                self.symmetric.mix_hash(&re);
                self.symmetric.mix_key(&dh(&self.e, &re))?; // ee
                let rs: [u8; 32] =
                    self.symmetric.decrypt_and_hash(&message[32..80])?.try_into().map_err(|_| HandshakeError::Length)?;
                self.symmetric.mix_key(&dh(&self.e, &rs))?; // es (initiator: e with rs)
                let payload = self.symmetric.decrypt_and_hash(&message[80..])?;
                self.remote = Some(verify_payload(&payload, &rs)?);
                self.re = Some(re);
                self.rs = Some(rs);
            }
            _ => {
                if message.len() != 48 + 112 {
                    return Err(HandshakeError::Length);
                }
                let rs: [u8; 32] =
                    self.symmetric.decrypt_and_hash(&message[..48])?.try_into().map_err(|_| HandshakeError::Length)?;
                self.symmetric.mix_key(&dh(&self.e, &rs))?; // se (responder: e with rs)
                let payload = self.symmetric.decrypt_and_hash(&message[48..])?;
                self.remote = Some(verify_payload(&payload, &rs)?);
                self.rs = Some(rs);
            }
        }
        self.step += 1;
        Ok(())
    }

    /// The other side's Noise static key, once received.
    pub fn remote_static(&self) -> Option<[u8; 32]> {
        self.rs
    }

    /// Ends the handshake: one key per direction (the initiator sends with the first).
    pub fn finish(self) -> Result<Session, HandshakeError> {
        if !self.is_finished() {
            return Err(HandshakeError::OutOfOrder);
        }
        let (k1, k2) = self.symmetric.split();
        let (send, receive) = match self.role {
            Role::Initiator => (k1, k2),
            Role::Responder => (k2, k1),
        };
        Ok(Session {
            send: CipherState::with_key(send),
            receive: CipherState::with_key(receive),
            remote: self.remote.ok_or(HandshakeError::OutOfOrder)?,
        })
    }
}
