//! The handshake, the encrypted transport and the negotiation over any byte stream.
//!
//! Every message, handshake or transport, travels with a 2-byte big-endian length in
//! front, as in libp2p's Noise transport: a Noise message is at most 65,535 bytes.

use identity_solution::{Keypair, PublicKey};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::negotiate::{MULTISTREAM, NOT_AVAILABLE, decode, encode};
use crate::noise::{Handshake, HandshakeError, Role};
use crate::session::Session;

/// Why a secure stream failed.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// The byte stream failed or ended.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The handshake or a transport message was refused.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A negotiation message was not well formed, or not the expected one.
    #[error("protocol negotiation failed: {0}")]
    Negotiation(String),
    /// The other side supports none of the protocols proposed.
    #[error("the peer supports none of the proposed protocols")]
    NotSupported,
}

/// An encrypted, authenticated stream of messages.
pub struct SecureStream<T> {
    io: T,
    session: Session,
}

async fn send_frame<T: AsyncWrite + Unpin>(io: &mut T, bytes: &[u8]) -> std::io::Result<()> {

    // TODO (step 7): a 2-byte big-endian length, then the bytes

    todo!()

}

async fn recv_frame<T: AsyncRead + Unpin>(io: &mut T) -> std::io::Result<Option<Vec<u8>>> {

    // TODO (step 7): None on a clean end before the length

    todo!()

}

/// Runs the Noise XX handshake over `io` as `role`, proving `identity`.
pub async fn secure<T: AsyncRead + AsyncWrite + Unpin>(mut io: T, role: Role, identity: Keypair) -> Result<SecureStream<T>, SecureError> {
    // TODO (step 7): the three handshake messages in turn, each as one frame, then finish()
    todo!()
}

impl<T: AsyncRead + AsyncWrite + Unpin> SecureStream<T> {
    /// The other side's identity, proven by the handshake.
    pub fn remote_identity(&self) -> PublicKey {
        self.session.remote_identity()
    }

    /// Sends one message, encrypted.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), SecureError> {
        // TODO (step 7)
        todo!()
    }

    /// Receives the next message; `None` when the stream ends.
    pub async fn recv(&mut self) -> Result<Option<Vec<u8>>, SecureError> {
        // TODO (step 7)
        todo!()
    }

    async fn recv_text(&mut self) -> Result<String, SecureError> {

        // TODO (step 7)

        todo!()

    }

    /// As the initiator: proposes `protocols` in order; returns the first one accepted.
    pub async fn select(&mut self, protocols: &[&str]) -> Result<String, SecureError> {
        // TODO (step 7): the header; then each proposal until one is echoed back ("na": the next)
        todo!()
    }

    /// As the responder: accepts the first proposal in `supported`, refusing others.
    pub async fn listen(&mut self, supported: &[&str]) -> Result<String, SecureError> {
        // TODO (step 7): answer the header; echo the first supported proposal, "na" to the others
        todo!()
    }
}
