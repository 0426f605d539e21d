//! The encrypted transport after the handshake.
//!
//! Each direction has its own key and a counter used as the nonce (Noise's CipherState):
//! messages must be decrypted in the order they were encrypted, exactly once. A replayed,
//! reordered, dropped or altered message fails to decrypt, and the session refuses it.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};

use identity_solution::{PeerId, PublicKey};

use crate::noise::{HandshakeError, MAX_MESSAGE, Role, TAG};

/// The most plaintext one transport message carries: the Noise limit less the tag.
pub const MAX_PLAINTEXT: usize = MAX_MESSAGE - TAG;

/// One direction's key and nonce counter.
#[derive(Clone)]
pub(crate) struct CipherState {
    pub(crate) key: Option<[u8; 32]>,
    pub(crate) nonce: u64,
}

impl CipherState {
    pub(crate) fn empty() -> CipherState {
        CipherState { key: None, nonce: 0 }
    }

    pub(crate) fn with_key(key: [u8; 32]) -> CipherState {
        CipherState { key: Some(key), nonce: 0 }
    }

    /// Noise's nonce for ChaChaPoly: 4 zero bytes, then the counter, little-endian.
    fn nonce_bytes(&self) -> [u8; 12] {
        // TODO (step 4): 4 zero bytes, then the counter in little-endian
        todo!()
    }

    /// Encrypts with associated data `ad`; without a key yet, returns the plaintext.
    /// [`HandshakeError::Exhausted`] once the key's nonces are used up.
    pub(crate) fn encrypt(&mut self, ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): without a key, the plaintext; else ChaCha20-Poly1305 with ad, then the next nonce
        todo!()
    }

    /// The mirror of [`CipherState::encrypt`]: [`HandshakeError::Decrypt`] when the
    /// tag does not verify.
    pub(crate) fn decrypt(&mut self, ad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): the mirror; a failed tag is HandshakeError::Decrypt
        // TODO (step 9): a refused message leaves the counter where it was
        todo!()
    }
}

/// An established session: encrypt what you send, decrypt what you receive.
pub struct Session {
    pub(crate) send: CipherState,
    pub(crate) receive: CipherState,
    pub(crate) remote: PublicKey,
    pub(crate) remote_stream_muxers: Vec<String>,
    pub(crate) local_stream_muxers: Vec<String>,
    pub(crate) role: Role,
}

impl Session {
    /// The other side's identity, proven during the handshake.
    pub fn remote_identity(&self) -> PublicKey {
        self.remote
    }

    /// The other side's peer id (derived from its identity key).
    pub fn remote_peer_id(&self) -> PeerId {
        self.remote.peer_id()
    }

    /// The stream multiplexers the other side offered in its payload (empty: none).
    pub fn remote_stream_muxers(&self) -> &[String] {
        &self.remote_stream_muxers
    }

    /// The stream multiplexers this side offered in its payload (empty: none).
    pub fn local_stream_muxers(&self) -> &[String] {
        &self.local_stream_muxers
    }

    /// Which side of the handshake this was.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Encrypts one message: at most [`MAX_PLAINTEXT`] bytes, so that with its tag it
    /// fits one Noise message; more is [`HandshakeError::TooLong`].
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): encrypt with the sending key
        // TODO (step 9): refuse over MAX_PLAINTEXT with TooLong
        todo!()
    }

    /// Decrypts the next message from the other side: [`HandshakeError::TooLong`]
    /// over 65,535 bytes, [`HandshakeError::Decrypt`] if it was altered, replayed,
    /// reordered or follows a dropped one.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 4): decrypt with the receiving key
        // TODO (step 9): refuse over MAX_MESSAGE with TooLong
        todo!()
    }
}
