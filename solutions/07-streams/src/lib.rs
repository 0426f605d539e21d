//! Streams: whole messages over a byte stream, and many conversations over one
//! connection, with a bound on what a fast sender can make a slow reader buffer.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check streams` passes; the steps are the checks'.
//!
//! 1. [`frame`]: length-prefixed frames (an unsigned varint length, then the bytes) over
//!    any `AsyncRead`/`AsyncWrite`, with a maximum size (steps 1–3).
//! 2. [`header`]: the 12-byte header of every yamux frame (step 4).
//! 3. [`mux`]: yamux itself, as HashiCorp's specification has it and libp2p speaks it:
//!    streams opened with SYN and ACK (step 5), flow-controlled by windows (step 6),
//!    half-closed with FIN and reset with RST (step 7); Ping and GoAway for the session
//!    (step 8); and a peer that breaks the rules held to them (step 9).
//!
//! Nothing here knows about TCP: the same code runs over a socket, an encrypted channel
//! or `tokio::io::duplex` in tests. The chapter is `book/streams.md`.
//!
//! ```no_run
//! use streams_solution::Session;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # async fn demo(tcp: tokio::net::TcpStream) -> std::io::Result<()> {
//! let session = Session::client(tcp);
//! let mut stream = session.open_stream().await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // FIN: no more from this side
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?; // until the peer's FIN
//! # Ok(())
//! # }
//! ```

pub mod frame;
pub mod header;
pub mod mux;

pub use frame::{FrameError, MAX_FRAME, read_frame, write_frame};
pub use header::{
    Flags, FrameType, GO_AWAY_INTERNAL_ERROR, GO_AWAY_NORMAL, GO_AWAY_PROTOCOL_ERROR, HEADER_LEN, Header, HeaderError,
    VERSION,
};
pub use mux::{INITIAL_WINDOW, MAX_PENDING_ACCEPTS, MAX_STREAM_WINDOW, Mode, MuxError, Session, Stream};
