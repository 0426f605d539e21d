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
    let len = u16::try_from(bytes.len()).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "over 65,535 bytes"))?;
    // One write for length and bytes: two small writes can meet Nagle's algorithm and
    // a delayed ACK, and wait 40 ms for nothing.
    let mut frame = Vec::with_capacity(2 + bytes.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(bytes);
    io.write_all(&frame).await?;
    io.flush().await
}

async fn recv_frame<T: AsyncRead + Unpin>(io: &mut T) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match io.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut bytes = vec![0u8; u16::from_be_bytes(len) as usize];
    io.read_exact(&mut bytes).await?;
    Ok(Some(bytes))
}

/// Runs the Noise XX handshake over `io` as `role`, proving `identity`.
pub async fn secure<T: AsyncRead + AsyncWrite + Unpin>(mut io: T, role: Role, identity: Keypair) -> Result<SecureStream<T>, SecureError> {
    let mut handshake = Handshake::new(role, identity);
    let closed = || SecureError::Io(std::io::ErrorKind::UnexpectedEof.into());
    for step in 0..3 {
        let mine = (step % 2 == 0) == (role == Role::Initiator);
        if mine {
            send_frame(&mut io, &handshake.write_message()?).await?;
        } else {
            let message = recv_frame(&mut io).await?.ok_or_else(closed)?;
            handshake.read_message(&message)?;
        }
    }
    Ok(SecureStream { io, session: handshake.finish()? })
}

impl<T: AsyncRead + AsyncWrite + Unpin> SecureStream<T> {
    /// The other side's identity, proven by the handshake.
    pub fn remote_identity(&self) -> PublicKey {
        self.session.remote_identity()
    }

    /// Sends one message, encrypted.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), SecureError> {
        let ciphertext = self.session.encrypt(message)?;
        Ok(send_frame(&mut self.io, &ciphertext).await?)
    }

    /// Receives the next message; `None` when the stream ends.
    pub async fn recv(&mut self) -> Result<Option<Vec<u8>>, SecureError> {
        match recv_frame(&mut self.io).await? {
            Some(ciphertext) => Ok(Some(self.session.decrypt(&ciphertext)?)),
            None => Ok(None),
        }
    }

    async fn recv_text(&mut self) -> Result<String, SecureError> {
        let message = self.recv().await?.ok_or(SecureError::NotSupported)?;
        decode(&message).ok_or_else(|| SecureError::Negotiation("a malformed multistream message".into()))
    }

    /// As the initiator: proposes `protocols` in order; returns the first one accepted.
    pub async fn select(&mut self, protocols: &[&str]) -> Result<String, SecureError> {
        self.send(&encode(MULTISTREAM)).await?;
        if self.recv_text().await? != MULTISTREAM {
            return Err(SecureError::Negotiation("the peer does not speak multistream-select 1.0.0".into()));
        }
        for protocol in protocols {
            self.send(&encode(protocol)).await?;
            let answer = self.recv_text().await?;
            if answer == *protocol {
                return Ok(answer);
            }
            if answer != NOT_AVAILABLE {
                return Err(SecureError::Negotiation(format!("expected {protocol:?} or \"na\", got {answer:?}")));
            }
        }
        Err(SecureError::NotSupported)
    }

    /// As the responder: accepts the first proposal in `supported`, refusing others.
    pub async fn listen(&mut self, supported: &[&str]) -> Result<String, SecureError> {
        if self.recv_text().await? != MULTISTREAM {
            return Err(SecureError::Negotiation("the peer does not speak multistream-select 1.0.0".into()));
        }
        self.send(&encode(MULTISTREAM)).await?;
        loop {
            let proposal = self.recv_text().await?;
            if supported.contains(&proposal.as_str()) {
                self.send(&encode(&proposal)).await?;
                return Ok(proposal);
            }
            self.send(&encode(NOT_AVAILABLE)).await?;
        }
    }
}
