//! Chat with structure: each line is a JSON object with a nickname and a text.
//!
//! ```text
//! {"nick":"alice","text":"hello, room"}
//! ```
//!
//! The server parses every line before relaying it. A line that is not a valid message
//! gets an error back, to its sender only, as a line of its own
//! (`{"error":"…"}`), and the connection stays open: one client's bad input must not
//! cost the others anything. What is relayed is the message re-serialised, not the
//! client's raw bytes, so every client receives the same, well-formed form.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

use crate::lines::{Line, read_line};

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    /// Who wrote it.
    pub nick: String,
    /// What they wrote.
    pub text: String,
}

/// The server's answer to a line it could not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What was wrong.
    pub error: String,
}

/// Serves forever: relays every valid message to every other client, answers every
/// invalid line (not JSON, a field missing or of the wrong type, a field unknown) with
/// one [`ErrorReply`] line to its sender, and keeps that connection open. Returns only if
/// accepting fails.
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
                let outgoing = tokio::select! {
                    line = read_line(&mut reader, &mut buf) => match line {
                        Ok(Line::Text(text)) => match serde_json::from_str::<ChatMessage>(&text) {
                            Ok(message) => {
                                let json = serde_json::to_string(&message).expect("a ChatMessage serialises");
                                let _ = hub.send((me, json));
                                None
                            }
                            Err(e) => Some(serde_json::to_string(&ErrorReply { error: format!("not a chat message: {e}") }).expect("serialises")),
                        },
                        _ => return,
                    },
                    relayed = inbox.recv() => match relayed {
                        Ok((from, json)) if from != me => Some(json),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => None,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                };
                if let Some(line) = outgoing
                    && write.write_all(format!("{line}\n").as_bytes()).await.is_err()
                {
                    return;
                }
            }
        });
    }
}

/// A chat client: sends messages under one nickname, receives everyone else's.
pub struct ChatClient {
    nick: String,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl ChatClient {
    /// Connects to the chat server at `addr` as `nick`. Nothing is sent yet: the
    /// nickname goes with every message.
    pub async fn connect(addr: SocketAddr, nick: &str) -> std::io::Result<ChatClient> {
        let (read, writer) = TcpStream::connect(addr).await?.into_split();
        Ok(ChatClient { nick: nick.to_string(), reader: BufReader::new(read), writer, buf: Vec::new() })
    }

    /// Sends `text` as a message from this client's nickname: one JSON line.
    pub async fn send(&mut self, text: &str) -> std::io::Result<()> {
        let message = ChatMessage { nick: self.nick.clone(), text: text.to_string() };
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        self.writer.write_all(&line).await
    }

    /// Waits for the next message from someone else. An error reply from the server, or
    /// a line that is not a message, is an `InvalidData` error; the server closing the
    /// connection is `UnexpectedEof`. Cancel-safe, like [`read_line`]: a timeout around
    /// it loses no half-read message.
    pub async fn recv(&mut self) -> std::io::Result<ChatMessage> {
        match read_line(&mut self.reader, &mut self.buf).await? {
            Line::Text(text) => {
                serde_json::from_str(&text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            }
            Line::Closed => Err(std::io::ErrorKind::UnexpectedEof.into()),
            Line::Invalid(why) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why)),
        }
    }
}
