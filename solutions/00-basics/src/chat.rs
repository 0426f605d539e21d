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
    let (hub, _) = broadcast::channel::<(u64, String)>(1024);
    let next_id = Arc::new(AtomicU64::new(0));
    loop {
        let (stream, _) = listener.accept().await?;
        let me = next_id.fetch_add(1, Ordering::Relaxed);
        let hub = hub.clone();
        let mut inbox = hub.subscribe();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let mut buf = Vec::new();
            loop {
                tokio::select! {
                    line = read_line(&mut reader, &mut buf) => match line {
                        Ok(Line::Text(text)) => {
                            let _ = hub.send((me, text));
                        }
                        // Closed, over the limit, or broken: this client is done.
                        _ => return,
                    },
                    relayed = inbox.recv() => match relayed {
                        Ok((from, text)) if from != me => {
                            if write.write_all(format!("{text}\n").as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
    }
}
