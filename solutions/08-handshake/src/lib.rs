//! An authenticated, encrypted channel between two peers that have never met, and an
//! agreement on what to speak over it.
//!
//! 1. [`noise`]: the Noise XX handshake (X25519, ChaCha20-Poly1305, SHA-256) as a
//!    sans-IO state machine, with each side's Ed25519 identity bound to its Noise key.
//! 2. [`session`]: the encrypted transport that the handshake ends in.
//! 3. [`negotiate`]: multistream-select, libp2p's protocol negotiation.
//! 4. [`secure`]: all of it over any `AsyncRead + AsyncWrite`.
//!
//! The chapter is `book/protocol.md`.

pub mod negotiate;
pub mod noise;
pub mod secure;
pub mod session;

pub use noise::{Handshake, HandshakeError, PROTOCOL_NAME, Role, SIGNATURE_PREFIX, identity_payload};
pub use secure::{SecureError, SecureStream, secure};
pub use session::Session;

/// The identity types (the identity chapter's reference crate).
pub use identity_solution as identity;
