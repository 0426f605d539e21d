//! A relay chat: every line a client sends goes to every *other* client.
//!
//! Each connection waits on two things at once: its own client, and what the other
//! connections have received. A line is relayed only once it is complete, so a client
//! that leaves mid-line, or sends a line that never ends, costs the others nothing. A
//! client that reads too slowly loses the oldest lines rather than making the server
//! buffer for it without limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::lines::{Line, read_line};

/// Serves forever, relaying each complete line to every connected client except its
/// sender. A client that leaves, or sends a line over [`crate::MAX_LINE`], is
/// disconnected and the others carry on. Returns only if accepting fails.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    // TODO (step 3): relay to everyone else, never back to the sender
    // TODO (step 4): a bad client ends only its own connection
    todo!()
}
