//! The echo server: the "hello world" of networking.

use std::net::SocketAddr;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::lines::{Line, read_line};

/// Serves forever: every line a client sends comes back to it, with a newline, however
/// the bytes were split into writes. Each connection runs on its own, so a slow client
/// does not hold up the others. A connection ends when its client leaves or sends a
/// line [`crate::lines::read_line`] refuses; the server keeps accepting. Returns only if
/// accepting fails.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    // TODO (step 1)
    todo!()
}

/// Connects to the echo server at `addr`, sends `line` and returns what came back
/// (without its newline). The server closing before answering is an `UnexpectedEof`
/// error; an answer [`crate::lines::read_line`] refuses is `InvalidData`.
pub async fn ask(addr: SocketAddr, line: &str) -> std::io::Result<String> {
    // TODO (step 2): the reference server must understand what you send
    todo!()
}
