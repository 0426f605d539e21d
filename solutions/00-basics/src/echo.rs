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
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let mut buf = Vec::new();
            while let Ok(Line::Text(line)) = read_line(&mut reader, &mut buf).await {
                if write.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Connects to the echo server at `addr`, sends `line` and returns what came back
/// (without its newline). The server closing before answering is an `UnexpectedEof`
/// error; an answer [`crate::lines::read_line`] refuses is `InvalidData`.
pub async fn ask(addr: SocketAddr, line: &str) -> std::io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{line}\n").as_bytes()).await?;
    match read_line(&mut BufReader::new(read), &mut Vec::new()).await? {
        Line::Text(reply) => Ok(reply),
        Line::Closed => Err(std::io::ErrorKind::UnexpectedEof.into()),
        Line::Invalid(why) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why)),
    }
}
