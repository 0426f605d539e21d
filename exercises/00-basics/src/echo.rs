//! The echo server: the "hello world" of networking.

use std::net::SocketAddr;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::lines::{Line, read_line};

/// Serves forever: every line a client sends comes back to it. Each connection runs in
/// its own task, so a slow client does not hold up the others.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    // TODO (step 1): accept in a loop; one task per connection; write every line back
    todo!()
}

/// Connects to the echo server at `addr`, sends `line` and returns what came back.
pub async fn ask(addr: SocketAddr, line: &str) -> std::io::Result<String> {
    // TODO (step 2): connect, send the line and a newline, read one line back
    todo!()
}
