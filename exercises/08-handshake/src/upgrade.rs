//! The libp2p connection upgrade: from a raw byte stream (a TCP connection) to an
//! encrypted, authenticated one with an agreed multiplexer
//! ([connections spec](https://github.com/libp2p/specs/blob/master/connections/README.md#upgrading-connections)).
//!
//! ```text
//! plaintext   multistream-select: /multistream/1.0.0, /noise      (round 1: security)
//! plaintext   Noise XX, three messages, payloads offering muxers
//! encrypted   multistream-select: /multistream/1.0.0, /yamux/1.0.0 (round 2: multiplexer)
//!             ... unless both payloads offered muxers: then round 2 is skipped
//! ```
//!
//! The second round costs a round trip. The
//! [inlined negotiation](https://github.com/libp2p/specs/blob/master/connections/inlined-muxer-negotiation.md)
//! saves it: each side lists its multiplexers in the handshake payload's extension, and
//! the first of the initiator's list that the responder also lists is the one. It only
//! works if both sides take part: a peer that sent no list (rust-libp2p sends none)
//! expects round 2, so this code offers its list and runs round 2 unless the peer
//! offered one too.

use identity_solution::{Keypair, PeerId};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::negotiate::{NOISE, YAMUX, dialer_select, listener_select};
use crate::noise::{Handshake, Role};
use crate::secure::{SecureError, SecureStream, secure};

/// A connection after the upgrade.
pub struct Upgraded<T> {
    /// The encrypted stream, on which the multiplexer now runs.
    pub stream: SecureStream<T>,
    /// The other side's peer id, proven in the handshake.
    pub peer: PeerId,
    /// The multiplexer agreed, such as `/yamux/1.0.0`.
    pub muxer: String,
    /// Whether it was agreed inside the handshake (true) or in a multistream-select
    /// round over the encrypted stream after it (false).
    pub inlined: bool,
}

/// The inlined choice: `None` if either side offered no multiplexers (so a round must
/// follow), otherwise the first of the initiator's that the responder also offered.
/// [`SecureError::NoCommonMuxer`] if both offered and they share none.
pub fn inlined_muxer(initiator: &[String], responder: &[String]) -> Result<Option<String>, SecureError> {
    // TODO (step 12): None unless both offered; the initiator's first the responder shares; NoCommonMuxer
    todo!()
}

/// The whole upgrade with libp2p's defaults: `/noise`, the XX handshake offering
/// `/yamux/1.0.0` in the payload, then `/yamux/1.0.0` in a round after it unless the
/// peer agreed inside the handshake.
pub async fn upgrade<T>(io: T, role: Role, identity: Keypair) -> Result<Upgraded<T>, SecureError>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    // TODO (step 12): libp2p's defaults: offer and accept /yamux/1.0.0
    todo!()
}

/// The upgrade with a prepared `handshake` (its role, keys, and the multiplexers its
/// payload offers, perhaps none) and the multiplexers `muxers` to propose or accept in
/// the round after it, most preferred first. Errors: [`SecureError::Negotiation`] if
/// the peer does not speak `/noise` or none of `muxers`, [`SecureError::Handshake`]
/// if the handshake fails, [`SecureError::NoCommonMuxer`] if both offered disjoint
/// multiplexers in it.
pub async fn upgrade_with<T>(mut io: T, handshake: Handshake, muxers: &[&str]) -> Result<Upgraded<T>, SecureError>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    // TODO (step 12): /noise, the handshake, then the muxer: inlined, or a round over the encrypted stream
    todo!()
}
