//! Identity for a peer with no central authority: a keypair it makes itself, a
//! printable peer id derived from the public key, signatures that prove who wrote a
//! message, a key file that keeps the identity across restarts, and sealed messages
//! that only one peer can open.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check identity` passes; the steps are the checks'.
//! The modules follow the chapter (`book/identity.md`) in order:
//!
//! - [`keys`]: an Ed25519 keypair from secret bytes and from the OS, sign, verify
//!   strictly, read public keys carefully (steps 1–5).
//! - [`peer_id`]: the libp2p-compatible peer id, `12D3KooW…`, printed and parsed
//!   (steps 6–7).
//! - [`key_file`]: save the secret key with owner-only permissions, load it back
//!   (steps 8–9).
//! - [`mod@seal`]: encrypt a message to a peer's public key (X25519 + HKDF-SHA256 +
//!   ChaCha20-Poly1305), and refuse anything changed (steps 10–11).
//!
//! # Steps
//!
//! `cargo verify check identity` runs these eleven steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. A keypair from a secret key gives the public key of RFC 8032's test vectors —
//!    `src/keys.rs`
//! 2. Generated keypairs are fresh and random each time — `src/keys.rs`
//! 3. Signatures match RFC 8032's test vectors byte for byte — `src/keys.rs`
//! 4. Verify accepts real signatures and rejects changed messages, signatures and keys
//!    — `src/keys.rs`
//! 5. Public keys read from bytes are checked: not on the curve, or weak, is an error —
//!    `src/keys.rs`
//! 6. Peer ids are libp2p's: base58btc of 00 24 08 01 12 20 and the key —
//!    `src/peer_id.rs`
//! 7. Peer ids parse back, and malformed ones give the matching error —
//!    `src/peer_id.rs`
//! 8. A key file saves and loads an identity, owner-only, and is never overwritten —
//!    `src/key_file.rs`
//! 9. Missing, exposed or corrupt key files give clear errors — `src/key_file.rs`
//! 10. Sealed messages open with the right key, in both directions across
//!     implementations — `src/keys.rs`, `src/seal.rs`
//! 11. Opening refuses the wrong key, any changed byte, and truncated input —
//!     `src/seal.rs`

pub mod key_file;
pub mod keys;
pub mod peer_id;
pub mod seal;

pub use key_file::{KeyFileError, load_key, save_key};
pub use keys::{BadSignature, InvalidPublicKey, Keypair, PublicKey, Signature};
pub use peer_id::{PeerId, PeerIdError};
pub use seal::{OpenError, open, seal};
