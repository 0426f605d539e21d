//! Reading lines with a length limit.
//!
//! TCP delivers a byte stream, not messages: one `write` may arrive in pieces, or merged
//! with the next. A newline after each message frames it. `read_line` alone would
//! buffer a line of any length, so a peer could exhaust memory by never sending a
//! newline; this reads at most [`crate::MAX_LINE`] bytes before giving up.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use crate::MAX_LINE;

/// What reading one line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its `\n` (and without a `\r` before it).
    Text(String),
    /// The connection closed. A last line without a newline is dropped: the peer left
    /// in the middle of it.
    Closed,
    /// A line over the limit, or not UTF-8.
    Invalid(&'static str),
}

/// Reads the next line from `reader`, collecting it in `buf`.
///
/// Never holds more than [`crate::MAX_LINE`] bytes of one line (plus its newline): a
/// line that would need more is [`Line::Invalid`], and so is one that is not UTF-8. The
/// stream ending, with or without half a line read, is [`Line::Closed`]. An I/O error
/// from the socket is returned as it is.
///
/// Cancel-safe: the bytes of a line are kept in `buf` until the line is complete, so
/// a `tokio::select!` that drops this future halfway loses nothing; call it again with
/// the same `buf`. `buf` is empty again after each line returned.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    // TODO (step 1): every server reads with this; see `Line` for what each outcome returns
    todo!()
}
