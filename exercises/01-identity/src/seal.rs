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

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
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
/// read it. Every call uses a fresh ephemeral key, so sealing the same message
/// twice gives two unrelated outputs.
pub fn seal(recipient: &PublicKey, plaintext: &[u8]) -> Vec<u8> {
    // TODO (step 10):
    // 1. 32 random bytes → `x25519_dalek::StaticSecret::from`, and its public key
    //    (`x25519_dalek::PublicKey::from(&secret)`);
    // 2. `diffie_hellman` with `recipient.x25519_public()`;
    // 3. `cipher(…)` below gives the AEAD; `encrypt(&Default::default(), plaintext)`
    //    (the nonce is 12 zero bytes);
    // 4. return the ephemeral public key followed by the ciphertext (which ends with
    //    the 16-byte tag).
    todo!()
}

/// Decrypts a message [`seal`]ed to `keypair`'s public key.
pub fn open(keypair: &Keypair, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    // TODO (steps 10 and 11):
    // 1. shorter than OVERHEAD (48 bytes) is `TooShort`;
    // 2. split off the ephemeral public key, `diffie_hellman` with
    //    `keypair.x25519_secret()`;
    // 3. if the shared secret is not `was_contributory()`, the ephemeral key was a
    //    small-order point and anyone could have made this message: `Rejected`;
    // 4. `cipher(…).decrypt(…)`; a failed tag check is `Rejected`.
    todo!()
}

/// The AEAD keyed for one message: HKDF-SHA256 over the shared secret, bound to both
/// public keys so a sealed message cannot be replayed under another key pair.
fn cipher(shared: &[u8; 32], ephemeral_public: &[u8; 32], recipient: &PublicKey) -> ChaCha20Poly1305 {
    let hkdf = Hkdf::<Sha256>::new(None, shared);
    let mut key = [0u8; 32];
    hkdf.expand_multi_info(&[INFO, ephemeral_public, &recipient.to_bytes()], &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    ChaCha20Poly1305::new(&key.into())
}
