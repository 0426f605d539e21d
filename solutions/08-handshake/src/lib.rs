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
//! The chapter is `book/protocol.md`.
//!
//! # Steps
//!
//! `cargo verify check handshake` runs these twelve steps, in this order; each names
//! the files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. Protobuf varints, and libp2p's PublicKey message for an Ed25519 key (the peer-ids
//!    spec's vector) — `src/payload.rs`
//! 2. multistream-select messages: varint length, text, newline (the spec's `na` = 03
//!    6e 61 0a) — `src/negotiate.rs`
//! 3. The NoiseHandshakePayload protobuf: a fixed vector both ways, unknown fields
//!    skipped, malformed input refused — `src/payload.rs`, `src/noise.rs`
//! 4. Noise XX from fixed keys, message by message: your h and ck after each message,
//!    each message's bytes, and the keys of Split equal the known answers —
//!    `src/session.rs`, `src/noise.rs`
//! 5. Two of your handshakes complete, agree on keys, and learn each other's identity
//!    and muxers — `src/noise.rs`, `src/session.rs`
//! 6. Your handshake and the reference's complete in both roles — `src/noise.rs`,
//!    `src/session.rs`
//! 7. Your handshake interoperates with `snow`, an independent Noise implementation,
//!    both ways — `src/noise.rs`, `src/session.rs`
//! 8. A lying or broken peer is refused with a typed error: bad signature, wrong key
//!    type, malformed payload, tampering — `src/noise.rs`
//! 9. Transport: a replayed, reordered or altered message is refused; over 65,519 bytes
//!    is TooLong — `src/session.rs`
//! 10. multistream-select over loopback TCP with the reference, both ways: the bytes,
//!     `na` and fallback, refusals — `src/negotiate.rs`
//! 11. The handshake over TCP gives an encrypted AsyncRead + AsyncWrite stream, with
//!     the reference both ways — `src/secure.rs`
//! 12. The whole upgrade over TCP, both ways: /noise, the handshake, and /yamux/1.0.0
//!     inlined or in a round after — `src/upgrade.rs`

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
