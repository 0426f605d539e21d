//! The handshake and the encrypted transport over any byte stream.
//!
//! Every Noise message, handshake or transport, travels with a 2-byte big-endian length
//! in front ([noise spec, wire format](https://github.com/libp2p/specs/blob/master/noise/README.md#wire-format)),
//! so a Noise message is at most 65,535 bytes. After the handshake, [`SecureStream`] is
//! itself a byte stream (`AsyncRead + AsyncWrite`): what is written is cut into
//! messages of at most 65,519 bytes of plaintext, each encrypted and framed, and what
//! is read is the decrypted bytes, in order. Whatever runs on top (yamux, or
//! multistream-select for choosing it) sees bytes, not messages.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use identity_solution::{PeerId, PublicKey};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::negotiate::NegotiationError;
use crate::noise::{Handshake, HandshakeError, Role};
use crate::session::{MAX_PLAINTEXT, Session};

/// Why a secure stream, or the upgrade to one, failed.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// The byte stream failed or ended.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The handshake or a transport message was refused.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// Negotiating the security protocol or the multiplexer failed.
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    /// Both sides offered multiplexers in the handshake, and none in common: the
    /// inlined-negotiation spec says the handshake must then fail.
    #[error("both peers offered stream multiplexers in the handshake, none in common")]
    NoCommonMuxer,
}

/// An encrypted, authenticated byte stream over `T`, the end of a handshake.
pub struct SecureStream<T> {
    io: T,
    session: Session,
    /// The frame being read: its 2-byte length, then its body.
    read_len: [u8; 2],
    read_len_filled: usize,
    read_body: Vec<u8>,
    read_body_filled: usize,
    /// Decrypted bytes not yet handed to the reader.
    plaintext: Vec<u8>,
    plaintext_read: usize,
    /// Bytes written but not yet encrypted: sealed into one message when
    /// [`MAX_PLAINTEXT`] have gathered or on flush, so that many small writes (a
    /// multiplexer's 12-byte headers) do not each cost a message and a tag.
    pending: Vec<u8>,
    /// Framed ciphertext not yet written to `io`.
    outgoing: Vec<u8>,
    outgoing_written: usize,
}

/// Writes one Noise message as a frame: its 2-byte big-endian length and the bytes, in
/// one write. [`io::ErrorKind::InvalidInput`] over 65,535 bytes.
pub async fn write_frame<T: AsyncWrite + Unpin>(io: &mut T, message: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(2 + message.len());
    put_frame(&mut frame, message)?;
    // One write for length and bytes: two small writes can meet Nagle's algorithm and
    // a delayed ACK, and wait 40 ms for nothing.
    io.write_all(&frame).await?;
    io.flush().await
}

/// Reads one frame's message. `None` if the stream ends cleanly before a frame starts;
/// [`io::ErrorKind::UnexpectedEof`] if it ends inside one.
pub async fn read_frame<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<Option<Vec<u8>>> {
    // The first byte alone: an end before it is a clean end, an end after it is not.
    let mut len = [0u8; 2];
    if io.read(&mut len[..1]).await? == 0 {
        return Ok(None);
    }
    io.read_exact(&mut len[1..]).await?;
    // Two bytes cannot say more than 65,535: the length needs no other check.
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
    io.read_exact(&mut message).await?;
    Ok(Some(message))
}

fn put_frame(out: &mut Vec<u8>, message: &[u8]) -> io::Result<()> {
    let len = u16::try_from(message.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a Noise message over 65,535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Ok(())
}

/// A refused transport message, as the I/O error an `AsyncRead` must return. The
/// [`SecureError`] inside can be recovered with `io::Error::get_ref` and `downcast_ref`.
fn refused(error: HandshakeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, SecureError::Handshake(error))
}

/// Runs the Noise XX handshake over `io` (no negotiation before it: see
/// [`crate::upgrade`] for that), each message as one frame, and returns the encrypted
/// stream. Errors: [`SecureError::Handshake`] when the peer's message is refused,
/// [`SecureError::Io`] when the stream fails or ends mid-handshake.
pub async fn secure<T: AsyncRead + AsyncWrite + Unpin>(
    mut io: T,
    mut handshake: Handshake,
) -> Result<SecureStream<T>, SecureError> {
    let initiator = handshake.role() == Role::Initiator;
    for step in 0..3 {
        let mine = (step % 2 == 0) == initiator;
        if mine {
            write_frame(&mut io, &handshake.write_message()?).await?;
        } else {
            let message = read_frame(&mut io).await?.ok_or(io::Error::from(io::ErrorKind::UnexpectedEof))?;
            handshake.read_message(&message)?;
        }
    }
    Ok(SecureStream::new(io, handshake.finish()?))
}

impl<T> SecureStream<T> {
    fn new(io: T, session: Session) -> SecureStream<T> {
        SecureStream {
            io,
            session,
            read_len: [0; 2],
            read_len_filled: 0,
            read_body: Vec::new(),
            read_body_filled: 0,
            plaintext: Vec::new(),
            plaintext_read: 0,
            pending: Vec::new(),
            outgoing: Vec::new(),
            outgoing_written: 0,
        }
    }

    /// The other side's identity, proven by the handshake.
    pub fn remote_identity(&self) -> PublicKey {
        self.session.remote_identity()
    }

    /// The other side's peer id, proven by the handshake.
    pub fn remote_peer_id(&self) -> PeerId {
        self.session.remote_peer_id()
    }

    /// The session: what each side offered in the handshake, and the keys.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl<T: AsyncRead + Unpin> SecureStream<T> {
    /// Reads until one whole frame is in; `None` at a clean end of the stream.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Vec<u8>>>> {
        while self.read_len_filled < 2 {
            let mut buf = ReadBuf::new(&mut self.read_len[self.read_len_filled..]);
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(if self.read_len_filled == 0 {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                });
            }
            self.read_len_filled += n;
            if self.read_len_filled == 2 {
                self.read_body = vec![0; usize::from(u16::from_be_bytes(self.read_len))];
                self.read_body_filled = 0;
            }
        }
        while self.read_body_filled < self.read_body.len() {
            let mut buf = ReadBuf::new(&mut self.read_body[self.read_body_filled..]);
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            self.read_body_filled += n;
        }
        self.read_len_filled = 0;
        Poll::Ready(Ok(Some(std::mem::take(&mut self.read_body))))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SecureStream<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.plaintext_read < this.plaintext.len() {
                let n = buf.remaining().min(this.plaintext.len() - this.plaintext_read);
                buf.put_slice(&this.plaintext[this.plaintext_read..this.plaintext_read + n]);
                this.plaintext_read += n;
                return Poll::Ready(Ok(()));
            }
            let Some(message) = ready!(this.poll_frame(cx))? else {
                return Poll::Ready(Ok(())); // the end of the stream
            };
            this.plaintext = this.session.decrypt(&message).map_err(refused)?;
            this.plaintext_read = 0;
        }
    }
}

impl<T: AsyncWrite + Unpin> SecureStream<T> {
    /// Encrypts what is pending into one framed message behind what is outgoing.
    fn seal_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let ciphertext = self.session.encrypt(&self.pending).map_err(refused)?;
        self.pending.clear();
        put_frame(&mut self.outgoing, &ciphertext)
    }

    /// Writes out everything outgoing.
    fn poll_outgoing(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.outgoing_written < self.outgoing.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.outgoing[self.outgoing_written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.outgoing_written += n;
        }
        self.outgoing.clear();
        self.outgoing_written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SecureStream<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // The last sealed message must leave before more is taken: that is the
        // backpressure, and it keeps at most one message in memory.
        ready!(this.poll_outgoing(cx))?;
        let n = buf.len().min(MAX_PLAINTEXT - this.pending.len());
        this.pending.extend_from_slice(&buf[..n]);
        if this.pending.len() == MAX_PLAINTEXT {
            this.seal_pending()?;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_outgoing(cx))?;
        this.seal_pending()?;
        ready!(this.poll_outgoing(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
