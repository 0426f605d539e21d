//! The client: one request, one reply, over one connection.

use std::net::SocketAddr;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::proto::{ErrorCode, Frame, MAX_FRAME, Registration, Reply, Request, read_frame, to_line};

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered with an error reply: the request was wrong, not the
    /// connection, which stays usable.
    #[error("the server refused the request ({code:?}): {message}")]
    Server { code: ErrorCode, message: String },
    /// The server answered something that is not the reply this request expects (or
    /// not a reply at all): it speaks another protocol, or a broken one.
    #[error("the server sent something unexpected: {0}")]
    Protocol(String),
    /// The server closed the connection before replying.
    #[error("the server closed the connection")]
    Closed,
}

/// A connection to a rendezvous server.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects to the server at `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        Ok(Client { reader: BufReader::new(read), writer })
    }

    /// The next line from the server, as a [`Reply`]: an error reply is
    /// [`ClientError::Server`], a line that is not a reply (or too long to be one)
    /// [`ClientError::Protocol`], and the end of the connection [`ClientError::Closed`].
    async fn next_reply(&mut self) -> Result<Reply, ClientError> {
        // TODO (step 7)
        todo!()
    }

    /// Sends `request` as one line and waits for its reply: one request in flight at a
    /// time, so the next reply is this one's.
    async fn request(&mut self, request: &Request) -> Result<Reply, ClientError> {
        // TODO (step 7)
        todo!()
    }

    /// Registers `peer` under `topic` with its `addrs` for `ttl` seconds; returns the
    /// TTL the server granted.
    pub async fn register(&mut self, topic: &str, peer: &str, addrs: &[String], ttl: u64) -> Result<u64, ClientError> {
        // TODO (step 7)
        todo!()
    }

    /// Removes `peer`'s registration under `topic`.
    pub async fn unregister(&mut self, topic: &str, peer: &str) -> Result<(), ClientError> {
        // TODO (step 7)
        todo!()
    }

    /// Up to `limit` registrations under `topic` newer than `cookie`, and the cookie
    /// for the next call.
    pub async fn discover(
        &mut self,
        topic: &str,
        cookie: u64,
        limit: usize,
    ) -> Result<(Vec<Registration>, u64), ClientError> {
        // TODO (step 7)
        todo!()
    }

    /// Every registration under `topic`, following the cookie page by page.
    pub async fn discover_all(&mut self, topic: &str) -> Result<Vec<Registration>, ClientError> {
        let (mut all, mut cookie) = (Vec::new(), 0);
        loop {
            let (page, next) = self.discover(topic, cookie, 100).await?;
            if page.is_empty() {
                return Ok(all);
            }
            all.extend(page);
            cookie = next;
        }
    }

    /// Turns this connection into a subscription to the arrivals under `topic`.
    pub async fn subscribe(mut self, topic: &str) -> Result<Subscription, ClientError> {
        // TODO (step 7)
        todo!()
    }
}

/// Arrivals under a topic, as the server pushes them.
pub struct Subscription {
    client: Client,
}

impl Subscription {
    /// The next registration under the topic.
    pub async fn next(&mut self) -> Result<Registration, ClientError> {
        // TODO (step 7)
        todo!()
    }
}
