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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
/// invalid line with an [`ErrorReply`] to its sender.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    // TODO (step 5): like chat::serve, but parse each line as a ChatMessage: relay it re-serialised, or answer an ErrorReply to the sender (step 6)
    todo!()
}

/// A chat client: sends messages under one nickname, receives everyone else's.
pub struct ChatClient {
    nick: String,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl ChatClient {
    /// Connects to the chat server at `addr` as `nick`.
    pub async fn connect(addr: SocketAddr, nick: &str) -> std::io::Result<ChatClient> {
        // TODO (step 7)
        todo!()
    }

    /// Sends `text` as a message from this client's nickname.
    pub async fn send(&mut self, text: &str) -> std::io::Result<()> {
        // TODO (step 7): one JSON line
        todo!()
    }

    /// Waits for the next message from someone else. An error reply from the server, or
    /// a line that is not a message, is an `InvalidData` error.
    pub async fn recv(&mut self) -> std::io::Result<ChatMessage> {
        // TODO (step 7): read a line, parse it as a ChatMessage
        todo!()
    }
}
