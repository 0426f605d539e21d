//! Streams: whole messages over a byte stream, and many conversations over one
//! connection, with a bound on what a fast sender can make a slow reader buffer.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!()` to
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
//!
//! # Steps
//!
//! `cargo verify check streams` runs these nine steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. Frames round-trip and carry an unsigned varint length, to the reference and back
//!    — `src/frame.rs`
//! 2. Frames arrive whole however the bytes are split, over duplex and over TCP —
//!    `src/frame.rs`
//! 3. Oversized, truncated and malformed frames are clear errors, never a panic or a
//!    buffer sized by the header alone — `src/frame.rs`
//! 4. The 12-byte yamux header: encoded and decoded as spec.md lays it out, checked
//!    against hand-computed bytes — `src/header.rs`
//! 5. Opening and accepting: SYN and ACK, odd ids for the client and even for the
//!    server, with the reference both ways — `src/mux.rs`
//! 6. Data and windows: a megabyte through each side, a writer that waits for its
//!    reader, a window that grows when the reader keeps up, and data beyond the window
//!    refused — `src/mux.rs`
//! 7. Half-close (FIN) and reset (RST) both ways, and a lost connection is an error on
//!    every stream, never a clean end — `src/mux.rs`
//! 8. Ping (SYN answered by ACK with the same value) and GoAway (normal: no new
//!    streams; an error code: the session ends) — `src/mux.rs`
//! 9. A hostile peer: window overflow, stream ids of the wrong parity or in use, a
//!    flood of SYNs, bad headers: GoAway or RST, bounded memory, never a panic —
//!    `src/mux.rs`

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod frame;
pub mod header;
pub mod mux;

pub use frame::{FrameError, MAX_FRAME, read_frame, write_frame};
pub use header::{
    Flags, FrameType, GO_AWAY_INTERNAL_ERROR, GO_AWAY_NORMAL, GO_AWAY_PROTOCOL_ERROR, HEADER_LEN, Header, HeaderError,
    VERSION,
};
pub use mux::{INITIAL_WINDOW, MAX_PENDING_ACCEPTS, MAX_STREAM_WINDOW, Mode, MuxError, Session, Stream};
