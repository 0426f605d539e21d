//! Length-prefixed frames.
//!
//! ```text
//! frame = varint(length) ‖ length bytes
//! ```
//!
//! The length is an unsigned varint, as in multiformats and libp2p's multistream-select:
//! one byte for frames under 128 bytes. A reader refuses a length over its limit as soon
//! as it has read the length, before it allocates anything, so a peer announcing a 4 GiB
//! frame costs nothing; and under the limit, its buffer grows with the bytes that
//! arrive, so announcing 1 MiB and sending 3 bytes costs little more than 3 bytes.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The default largest frame: 1 MiB.
pub const MAX_FRAME: usize = 1 << 20;

/// What a reader sets aside for a frame before its bytes arrive: 64 KiB. A peer can
/// announce a frame of `max` bytes and then send nothing; the memory it costs must not
/// be what it announced.
const INITIAL_RESERVE: usize = 64 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer announced a frame over the limit.
    #[error("a frame of {len} bytes is over the limit of {max}")]
    TooLarge {
        /// The announced length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The stream ended inside a frame (its length or its bytes).
    #[error("the stream ended in the middle of a frame")]
    Truncated,
    /// The length is not a valid varint (over 9 bytes).
    #[error("the frame length is not a valid varint")]
    BadLength,
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes `payload` as one frame. Fails (writing nothing) if it is over [`MAX_FRAME`].
pub async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, payload: &[u8]) -> std::io::Result<()> {
    if payload.len() > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("a frame of {} bytes is over {MAX_FRAME}", payload.len()),
        ));
    }
    let mut head = [0u8; 10];
    let mut n = payload.len() as u64;
    let mut used = 0;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        head[used] = if n == 0 { byte } else { byte | 0x80 };
        used += 1;
        if n == 0 {
            break;
        }
    }
    writer.write_all(&head[..used]).await?;
    writer.write_all(payload).await
}

/// Reads one frame of at most `max` bytes. `Ok(None)` when the stream ends cleanly
/// between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, max: usize) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = 0u64;
    for i in 0..10 {
        let mut byte = [0u8; 1];
        if reader.read(&mut byte).await? == 0 {
            return if i == 0 { Ok(None) } else { Err(FrameError::Truncated) };
        }
        if i == 9 {
            return Err(FrameError::BadLength);
        }
        len |= u64::from(byte[0] & 0x7f) << (7 * i);
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    if len > max as u64 {
        return Err(FrameError::TooLarge { len, max });
    }
    // The buffer grows with the bytes that actually arrive: a header alone, however
    // large the length it announces, costs at most INITIAL_RESERVE.
    let mut payload = Vec::with_capacity((len as usize).min(INITIAL_RESERVE));
    reader.take(len).read_to_end(&mut payload).await?;
    if payload.len() as u64 != len {
        return Err(FrameError::Truncated);
    }
    Ok(Some(payload))
}
