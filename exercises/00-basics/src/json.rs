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
    // TODO (step 5): relay what parses as a ChatMessage, re-serialised
    // TODO (step 6): answer anything else with an ErrorReply, to its sender only
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
    /// Connects to the chat server at `addr` as `nick`. Nothing is sent yet: the
    /// nickname goes with every message.
    pub async fn connect(addr: SocketAddr, nick: &str) -> std::io::Result<ChatClient> {
        // TODO (step 7)
        todo!()
    }

    /// Sends `text` as a message from this client's nickname: one JSON line.
    pub async fn send(&mut self, text: &str) -> std::io::Result<()> {
        // TODO (step 7)
        todo!()
    }

    /// Waits for the next message from someone else. An error reply from the server, or
    /// a line that is not a message, is an `InvalidData` error; the server closing the
    /// connection is `UnexpectedEof`. Cancel-safe, like [`read_line`]: a timeout around
    /// it loses no half-read message.
    pub async fn recv(&mut self) -> std::io::Result<ChatMessage> {
        // TODO (step 7)
        todo!()
    }
}
