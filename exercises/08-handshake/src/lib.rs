//! An authenticated, encrypted channel between two peers that have never met, and an
//! agreement on what to speak over it, byte for byte as libp2p does it over TCP.
//!
//! 1. [`negotiate`]: multistream-select, libp2p's protocol negotiation.
//! 2. [`payload`]: the handshake payload, libp2p's `NoiseHandshakePayload` protobuf,
//!    read and written by hand.
//! 3. [`noise`]: the Noise XX handshake (X25519, ChaCha20-Poly1305, SHA-256) as a
//!    sans-IO state machine, with each side's Ed25519 identity bound to its Noise key.
//! 4. [`session`]: the encrypted transport that the handshake ends in.
//! 5. [`secure`]: the handshake and the transport over any `AsyncRead + AsyncWrite`,
//!    ending in a stream that is itself `AsyncRead + AsyncWrite`.
//! 6. [`upgrade`]: the whole upgrade of a TCP connection: `/noise`, the handshake, and
//!    the multiplexer (`/yamux/1.0.0`), inside the handshake or in a round after it.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check handshake` passes.
//!
//! The chapter is `book/protocol.md`.

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod negotiate;
pub mod noise;
pub mod payload;
pub mod secure;
pub mod session;
pub mod upgrade;

pub use negotiate::NegotiationError;
pub use noise::{
    Handshake, HandshakeError, PROTOCOL_NAME, Role, SIGNATURE_PREFIX, VerifiedPayload, identity_payload, verify_payload,
};
pub use payload::{Payload, PayloadError};
pub use secure::{SecureError, SecureStream, secure};
pub use session::Session;
pub use upgrade::{Upgraded, upgrade, upgrade_with};

/// The identity types (the identity chapter's reference crate).
pub use identity_solution as identity;
