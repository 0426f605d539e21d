//! The `yamux` crate (<https://github.com/libp2p/rust-yamux>, the implementation inside
//! rust-libp2p's `libp2p-yamux`) on a tokio TCP stream.
//!
//! Its `Connection` does nothing unless polled: every frame in or out moves only while
//! someone calls `poll_next_inbound` (or `poll_new_outbound`, `poll_close`). So one task
//! owns it and polls it in a loop, taking requests to open streams and to close from a
//! channel, and handing inbound streams out through another.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::Poll;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::TokioAsyncReadCompatExt;

pub use yamux::{Mode, Stream};

/// Requests for the driving task.
enum Request {
    Open(oneshot::Sender<Result<Stream, yamux::ConnectionError>>),
    Close(oneshot::Sender<()>),
}

/// A handle on a `yamux::Connection` driven by its own task.
pub struct CrateSession {
    requests: mpsc::UnboundedSender<Request>,
    inbound: mpsc::UnboundedReceiver<Stream>,
    /// How the connection ended: `Ok` for a clean end (the peer's GoAway, or our close).
    pub ended: tokio::task::JoinHandle<Result<(), yamux::ConnectionError>>,
}

impl CrateSession {
    /// Starts the crate's connection on `io`, as `mode` (`Client` for the dialer).
    pub fn new(io: TcpStream, mode: Mode) -> CrateSession {
        let mut connection = yamux::Connection::new(io.compat(), yamux::Config::default(), mode);
        let (requests, mut requests_rx) = mpsc::unbounded_channel::<Request>();
        let (inbound_tx, inbound) = mpsc::unbounded_channel();
        let ended = tokio::spawn(async move {
            let mut opens: VecDeque<oneshot::Sender<_>> = VecDeque::new();
            let mut closing: Option<oneshot::Sender<_>> = None;
            poll_fn(|cx| {
                loop {
                    while let Poll::Ready(Some(request)) = requests_rx.poll_recv(cx) {
                        match request {
                            Request::Open(reply) => opens.push_back(reply),
                            Request::Close(reply) => closing = Some(reply),
                        }
                    }
                    if closing.is_some() {
                        let result = std::task::ready!(connection.poll_close(cx));
                        let _ = closing.take().expect("closing").send(());
                        return Poll::Ready(result);
                    }
                    if !opens.is_empty()
                        && let Poll::Ready(result) = connection.poll_new_outbound(cx)
                    {
                        let _ = opens.pop_front().expect("an open request").send(result);
                        continue;
                    }
                    match connection.poll_next_inbound(cx) {
                        Poll::Ready(Some(Ok(stream))) => {
                            let _ = inbound_tx.send(stream);
                        }
                        Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                        Poll::Ready(None) => return Poll::Ready(Ok(())),
                        Poll::Pending => return Poll::Pending,
                    }
                }
            })
            .await
        });
        CrateSession { requests, inbound, ended }
    }

    /// Opens a stream (the crate sends its SYN with the first write or window update).
    pub async fn open(&self) -> Result<Stream, yamux::ConnectionError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Open(reply)).map_err(|_| yamux::ConnectionError::Closed)?;
        answer.await.map_err(|_| yamux::ConnectionError::Closed)?
    }

    /// The next stream the peer opened, or `None` once the connection has ended.
    pub async fn accept(&mut self) -> Option<Stream> {
        self.inbound.recv().await
    }

    /// Closes the connection the crate's way: GoAway, then the socket. How that went
    /// is the result of [`CrateSession::ended`]; this fails only if the connection had
    /// already ended.
    pub async fn close(&self) -> Result<(), yamux::ConnectionError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Close(reply)).map_err(|_| yamux::ConnectionError::Closed)?;
        answer.await.map_err(|_| yamux::ConnectionError::Closed)
    }
}
