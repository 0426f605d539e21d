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
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.nonce.to_le_bytes());
        nonce
    }

    /// Encrypts with associated data `ad`; without a key yet, returns the plaintext.
    pub(crate) fn encrypt(&mut self, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let Some(key) = self.key else { return plaintext.to_vec() };
        let cipher = ChaCha20Poly1305::new(&key.into());
        let out = cipher
            .encrypt(&self.nonce_bytes().into(), Payload { msg: plaintext, aad: ad })
            .expect("ChaCha20-Poly1305 encrypts any Noise message");
        self.nonce += 1;
        out
    }

    pub(crate) fn decrypt(&mut self, ad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        let Some(key) = self.key else { return Ok(ciphertext.to_vec()) };
        let cipher = ChaCha20Poly1305::new(&key.into());
        let out = cipher
            .decrypt(&self.nonce_bytes().into(), Payload { msg: ciphertext, aad: ad })
            .map_err(|_| HandshakeError::Decrypt)?;
        self.nonce += 1;
        Ok(out)
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
        if plaintext.len() > 65_535 - 16 {
            return Err(HandshakeError::TooLong);
        }
        Ok(self.send.encrypt(&[], plaintext))
    }

    /// Decrypts the next message from the other side.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        self.receive.decrypt(&[], ciphertext)
    }
}
