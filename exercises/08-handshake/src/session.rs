//! The encrypted transport after the handshake.
//!
//! Each direction has its own key and a counter used as the nonce (Noise's CipherState):
//! messages must be decrypted in the order they were encrypted, exactly once. A replayed,
//! reordered, dropped or altered message fails to decrypt, and the session refuses it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;

use crate::noise::HandshakeError;

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
        // TODO (step 2): 4 zero bytes, then the counter in little-endian
        todo!()
    }

    /// Encrypts with associated data `ad`; without a key yet, returns the plaintext.
    pub(crate) fn encrypt(&mut self, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        // TODO (step 2): without a key, the plaintext; else ChaCha20-Poly1305 with `ad`, then the counter + 1
        todo!()
    }

    pub(crate) fn decrypt(&mut self, ad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {

        // TODO (step 2): the mirror; a failed tag is HandshakeError::Decrypt

        todo!()

    }
}

/// An established session: encrypt what you send, decrypt what you receive.
pub struct Session {
    pub(crate) send: CipherState,
    pub(crate) receive: CipherState,
    pub(crate) remote: identity_solution::PublicKey,
}

impl Session {
    /// The other side's identity, proven during the handshake.
    pub fn remote_identity(&self) -> identity_solution::PublicKey {
        self.remote
    }

    /// Encrypts one message (at most 65,519 bytes, so that it fits a Noise message).
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 2): refuse over 65,535 − 16 bytes (TooLong)
        todo!()
    }

    /// Decrypts the next message from the other side.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        // TODO (step 2)
        todo!()
    }
}
