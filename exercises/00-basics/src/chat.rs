//! A relay chat: every line a client sends goes to every *other* client.
//!
//! All connections share one `tokio::sync::broadcast` channel. Each connection's task
//! reads lines from its client and publishes them, tagged with the connection's number,
//! and forwards what others published, skipping its own. A client that reads too slowly
//! falls behind the channel's buffer and loses the oldest lines rather than making the
//! server buffer without limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::lines::{Line, read_line};

/// Serves forever, relaying lines between all connected clients.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    // TODO (step 3): one broadcast channel; per connection, select! between reading (publish) and receiving (write, unless it is your own)
    todo!()
}
