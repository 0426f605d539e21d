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
    // TODO (step 1): refuse over MAX_FRAME (writing nothing); then varint(length) and the payload
    todo!()
}

/// Reads one frame of at most `max` bytes. `Ok(None)` when the stream ends cleanly
/// between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, max: usize) -> Result<Option<Vec<u8>>, FrameError> {
    // TODO (step 1): the varint, a byte at a time (a clean end before it: Ok(None)); then the payload
    // TODO (step 2): frames split into any number of pieces
    // TODO (step 3): the limit before anything is set aside; a buffer that grows with the bytes that come; Truncated, BadLength
    todo!()
}
