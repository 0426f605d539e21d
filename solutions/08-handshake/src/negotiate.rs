//! multistream-select: how libp2p peers agree on a protocol
//! ([connections spec](https://github.com/libp2p/specs/blob/master/connections/README.md#protocol-negotiation),
//! [multistream-select](https://github.com/multiformats/multistream-select)).
//!
//! Each message is an unsigned varint length (counting the trailing newline), the UTF-8
//! text, and `\n`. Both sides send the header `/multistream/1.0.0`, the initiator
//! without waiting for anything (a responder may wait for it before sending its own, as
//! rust-libp2p's does). The initiator proposes a protocol id, right behind its header or
//! after reading the responder's (either works); the responder echoes it to accept, or
//! answers `na` (not available), and the initiator may propose the next.
//!
//! A TCP connection runs it twice: in plaintext for the security protocol (`/noise`),
//! then inside the encrypted channel for the multiplexer (`/yamux/1.0.0`); and every
//! substream runs it once more for its application protocol. The functions here work
//! over any byte stream, so the same code serves all three.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::payload::{get_varint, put_varint};

/// The header both sides send first.
pub const MULTISTREAM: &str = "/multistream/1.0.0";
/// The refusal.
pub const NOT_AVAILABLE: &str = "na";
/// libp2p's Noise security protocol.
pub const NOISE: &str = "/noise";
/// The yamux stream multiplexer.
pub const YAMUX: &str = "/yamux/1.0.0";
/// The longest message read, newline included. Protocol ids are short paths (rust-libp2p
/// caps them at 140 bytes); a peer claiming more is refused before anything is buffered.
pub const MAX_MESSAGE: usize = 1024;
/// How many proposals a listener answers before it gives up on a dialer: without a
/// bound, a peer could keep a connection busy proposing forever.
pub const MAX_PROPOSALS: usize = 16;

/// Why a negotiation failed.
#[derive(Debug, thiserror::Error)]
pub enum NegotiationError {
    /// The byte stream failed or ended.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Not a varint length, text and newline, or not UTF-8.
    #[error("a malformed multistream-select message")]
    Malformed,
    /// A message longer than [`MAX_MESSAGE`].
    #[error("a multistream-select message of {0} bytes, over the limit of 1024")]
    TooLong(u64),
    /// The first message was not the `/multistream/1.0.0` header.
    #[error("the peer does not speak multistream-select 1.0.0 (it sent {0:?})")]
    NotMultistream(String),
    /// The listener answered a proposal with something other than it or `na`.
    #[error("proposed {proposed:?}, the peer answered {answer:?}")]
    Unexpected {
        /// What we proposed.
        proposed: String,
        /// What came back.
        answer: String,
    },
    /// No proposal was accepted.
    #[error("the peer supports none of the proposed protocols")]
    NotSupported,
    /// A dialer went past [`MAX_PROPOSALS`] proposals.
    #[error("more than 16 proposals")]
    TooManyProposals,
}

/// One message: varint(length of text + 1) ‖ text ‖ `\n`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 3);
    put_varint(&mut out, text.len() as u64 + 1);
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
    out
}

/// Reads exactly one message. `None` if the bytes are not one well-formed message.
pub fn decode(bytes: &[u8]) -> Option<String> {
    let (len, used) = get_varint(bytes).ok()?;
    let body = &bytes[used..];
    if body.len() as u64 != len || body.last() != Some(&b'\n') {
        return None;
    }
    String::from_utf8(body[..body.len() - 1].to_vec()).ok()
}

/// Writes one message (one write, so that it leaves in one segment).
pub async fn write_message<T: AsyncWrite + Unpin>(io: &mut T, text: &str) -> Result<(), NegotiationError> {
    io.write_all(&encode(text)).await?;
    io.flush().await?;
    Ok(())
}

/// Reads one message from a byte stream, and not one byte more: what follows belongs to
/// the protocol just agreed (the first Noise message may already be on its way).
/// Errors: [`NegotiationError::TooLong`] for a length over [`MAX_MESSAGE`],
/// [`NegotiationError::Malformed`] for a bad varint, a missing newline or bad UTF-8,
/// [`NegotiationError::Io`] if the stream ends.
pub async fn read_message<T: AsyncRead + Unpin>(io: &mut T) -> Result<String, NegotiationError> {
    // The length, one byte at a time: a buffered reader would swallow the bytes after.
    let mut varint = Vec::with_capacity(2);
    loop {
        let byte = io.read_u8().await?;
        varint.push(byte);
        if byte & 0x80 == 0 {
            break;
        }
        if varint.len() == 3 {
            // Three varint bytes already mean 16,384 or more.
            return Err(NegotiationError::TooLong(1 << 14));
        }
    }
    let (len, _) = get_varint(&varint).map_err(|_| NegotiationError::Malformed)?;
    if len as usize > MAX_MESSAGE {
        return Err(NegotiationError::TooLong(len));
    }
    let mut body = vec![0u8; len as usize];
    io.read_exact(&mut body).await?;
    if body.pop() != Some(b'\n') {
        return Err(NegotiationError::Malformed);
    }
    String::from_utf8(body).map_err(|_| NegotiationError::Malformed)
}

/// As the initiator: proposes `protocols` in order and returns the first one the
/// listener accepts. [`NegotiationError::NotSupported`] if it refuses them all.
pub async fn dialer_select<T>(io: &mut T, protocols: &[&str]) -> Result<String, NegotiationError>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let Some((first, _)) = protocols.split_first() else {
        return Err(NegotiationError::NotSupported);
    };
    // The header and the first proposal together, without waiting for the listener's
    // header (the spec allows it): one round trip instead of two.
    let mut hello = encode(MULTISTREAM);
    hello.extend(encode(first));
    io.write_all(&hello).await?;
    io.flush().await?;
    let header = read_message(io).await?;
    if header != MULTISTREAM {
        return Err(NegotiationError::NotMultistream(header));
    }
    for (i, protocol) in protocols.iter().enumerate() {
        if i > 0 {
            write_message(io, protocol).await?;
        }
        let answer = read_message(io).await?;
        if answer == *protocol {
            return Ok(answer);
        }
        if answer != NOT_AVAILABLE {
            return Err(NegotiationError::Unexpected { proposed: protocol.to_string(), answer });
        }
    }
    Err(NegotiationError::NotSupported)
}

/// As the responder: answers the header, then echoes the first proposal that is in
/// `supported` and returns it, answering `na` to the others. Errors:
/// [`NegotiationError::NotMultistream`] if the first message is not the header,
/// [`NegotiationError::TooManyProposals`] after [`MAX_PROPOSALS`] refusals.
pub async fn listener_select<T>(io: &mut T, supported: &[&str]) -> Result<String, NegotiationError>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let header = read_message(io).await?;
    if header != MULTISTREAM {
        return Err(NegotiationError::NotMultistream(header));
    }
    write_message(io, MULTISTREAM).await?;
    for _ in 0..MAX_PROPOSALS {
        let proposal = read_message(io).await?;
        if supported.contains(&proposal.as_str()) {
            write_message(io, &proposal).await?;
            return Ok(proposal);
        }
        write_message(io, NOT_AVAILABLE).await?;
    }
    Err(NegotiationError::TooManyProposals)
}
