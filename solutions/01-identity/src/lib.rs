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

pub mod key_file;
pub mod keys;
pub mod peer_id;
pub mod seal;

pub use key_file::{KeyFileError, load_key, save_key};
pub use keys::{BadSignature, InvalidPublicKey, Keypair, PublicKey, Signature};
pub use peer_id::{PeerId, PeerIdError};
pub use seal::{OpenError, open, seal};
