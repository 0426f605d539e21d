//! Identity for a peer with no central authority: a keypair it makes itself, a
//! printable peer id derived from the public key, signatures that prove who wrote a
//! message, a key file that keeps the identity across restarts, and sealed messages
//! that only one peer can open.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check identity` passes.
//!
//! The modules follow the chapter (`book/identity.md`) in order:
//!
//! 1. [`keys`]: generate an Ed25519 keypair, sign and verify.
//! 2. [`peer_id`]: the libp2p-compatible peer id, `12D3KooW…`.
//! 3. [`key_file`]: save the secret key with owner-only permissions, load it back.
//! 4. [`seal`]: encrypt a message to a peer's public key (X25519 + ChaCha20-Poly1305).

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod key_file;
pub mod keys;
pub mod peer_id;
pub mod seal;

pub use key_file::{KeyFileError, load_key, save_key};
pub use keys::{BadSignature, InvalidPublicKey, Keypair, PublicKey, Signature};
pub use peer_id::{PeerId, PeerIdError};
pub use seal::{OpenError, open, seal};
