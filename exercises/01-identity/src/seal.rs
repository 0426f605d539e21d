//! Sealing a message so that only one peer can read it.
//!
//! The sender knows only the recipient's public key (its peer id carries it). It
//! makes a fresh, single-use X25519 keypair, agrees a shared secret with the
//! recipient's key (Diffie–Hellman), turns that secret into an encryption key with
//! HKDF-SHA256, and encrypts with ChaCha20-Poly1305, an AEAD: decryption fails
//! loudly if a single bit was changed. The single-use public key travels in front
//! of the ciphertext so that the recipient can compute the same secret:
//!
//! ```text
//! sealed = ephemeral X25519 public key (32) ‖ ciphertext (len of message) ‖ tag (16)
//! key    = HKDF-SHA256(salt: none, secret: X25519(ephemeral, recipient),
//!                      info: "p2p-handbook seal v1" ‖ ephemeral public ‖ recipient Ed25519 public)
//! nonce  = 12 zero bytes (safe: every key is used for exactly one message)
//! ```
//!
//! The recipient's Ed25519 key doubles as an X25519 key: both curves are the same
//! group in different coordinates (RFC 7748 §4.1), so the Edwards point converts to a
//! Montgomery point and the signing scalar works for Diffie–Hellman. libsodium's
//! `crypto_sign_ed25519_pk_to_curve25519` does the same. A sealed message is
//! anonymous: nothing in it says who sent it. Sign the plaintext as well if the
//! recipient must know the author.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::keys::{Keypair, PublicKey};

/// The label that ties derived keys to this one use (domain separation).
const INFO: &[u8] = b"p2p-handbook seal v1";
/// Ephemeral public key in front, Poly1305 tag at the end.
const OVERHEAD: usize = 32 + 16;

/// Why a sealed message could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Too short to hold the ephemeral key and the tag (48 bytes at least).
    #[error("a sealed message has at least 48 bytes, this has {len}")]
    TooShort {
        /// How many bytes there were.
        len: usize,
    },
    /// Not sealed to this key, or changed on the way: the tag did not verify.
    #[error("the message was not sealed to this key, or was changed on the way")]
    Rejected,
}

/// Encrypts `plaintext` so that only the holder of `recipient`'s secret key can
/// read it: the layout and the key derivation are the module documentation's, byte
/// for byte, so that the reference can open it, and the output is 48 bytes longer
/// than the plaintext (the ephemeral key and the tag). Every call uses a fresh ephemeral key, so sealing the
/// same message twice gives two unrelated outputs.
pub fn seal(recipient: &PublicKey, plaintext: &[u8]) -> Vec<u8> {
    // TODO (step 10)
    todo!()
}

/// Decrypts a message [`seal`]ed to `keypair`'s public key, by this crate or by the
/// reference, and returns the plaintext.
///
/// Fewer than 48 bytes is [`OpenError::TooShort`]. Everything else that
/// fails is [`OpenError::Rejected`], without saying more: sealed to another key, any
/// byte changed, or an ephemeral key of small order, whose "shared" secret is the
/// same for every recipient, so anyone could have made the message.
pub fn open(keypair: &Keypair, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    // TODO (step 10): open what seal made
    // TODO (step 11): and refuse the rest
    todo!()
}

/// The AEAD keyed for one message: HKDF-SHA256 over the shared secret, bound to both
/// public keys (the `key` line of the module documentation) so a sealed message cannot
/// be replayed under another key pair. [`seal`] and [`open`] both need it, and must
/// derive the same key.
fn cipher(shared: &[u8; 32], ephemeral_public: &[u8; 32], recipient: &PublicKey) -> ChaCha20Poly1305 {
    // TODO (step 10)
    todo!()
}
