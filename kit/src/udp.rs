//! The UDP driver: the same [`Node`] over one real UDP socket, for protocols whose
//! messages are datagrams (BEP 5's KRPC, STUN, QUIC).
//!
//! Where the [TCP driver](crate::net) names peers in advance and wraps messages in a
//! JSON envelope, a datagram protocol speaks to whoever sent it a packet, and its
//! bytes are the protocol's own. So here a peer *is* its socket address: a datagram
//! from `127.0.0.1:6881` reaches the node as a message from the [`NodeId`]
//! `"127.0.0.1:6881"` ([`node_id`]), and a message the node sends to such an id leaves
//! as one datagram to that address ([`socket_addr`]). The node's own id is the
//! address its socket is bound to.
//!
//! The application using the node (a command-line tool, a test) talks to it through
//! the [`UdpHandle`] as a *local client*: [`UdpHandle::send`] delivers a message from a
//! client id such as `c0`, and whatever the node sends to an id that is not a socket
//! address comes back out of [`UdpHandle::recv`]. Only messages that are datagrams
//! ([`Datagram`]) ever touch the socket.
//!
//! Like the other drivers, it runs the node's callbacks one at a time on one task, on
//! a [`Runtime`]: one sleep until [`Runtime::poll_timeout`], not one task per timer. A datagram longer than
//! [`MAX_DATAGRAM`] is dropped unread, a failed send is reported on stderr and
//! dropped, and the node itself decides what to do with bytes it cannot parse: a
//! stranger's garbage cannot crash the driver.

use std::net::SocketAddr;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::node::{Node, NodeId};
use crate::runtime::{Runtime, sleep_until};

/// The longest datagram sent or received: 2,048 bytes. Datagram protocols keep their
/// packets under a path's MTU (1,472 bytes of UDP payload on Ethernet; BEP 5's
/// largest answer, eight nodes plus a token and a list of peers, is a few hundred), so
/// anything longer is not a message worth reading. It bounds the receive buffer, and
/// a datagram longer than this is dropped rather than silently cut short.
pub const MAX_DATAGRAM: usize = 2048;

/// How many messages for the application may wait unread in a [`UdpHandle`]. Beyond
/// this the node's answers to its local client are dropped (with a note on stderr),
/// so an application that stops reading cannot make the driver buffer without limit.
pub const CLIENT_QUEUE: usize = 1024;

/// A node message that can travel as a UDP datagram. Messages for the local client
/// (requests from the application and the answers to them) need not be datagrams.
pub trait Datagram: Sized {
    /// The message a received datagram becomes.
    fn from_datagram(bytes: Vec<u8>) -> Self;
    /// The bytes to put on the wire, or the message back if it is not a datagram
    /// (the driver then reports it on stderr and drops it).
    fn into_datagram(self) -> Result<Vec<u8>, Self>;
}

/// The node id under which the UDP driver presents a peer at `addr`: its address as
/// text (`127.0.0.1:6881`, `[::1]:6881`).
pub fn node_id(addr: SocketAddr) -> NodeId {
    NodeId::new(addr.to_string())
}

/// The socket address a node id stands for, if it is one ([`node_id`]'s inverse).
/// `None` for the simulator's `n<i>` and for local clients such as `c0`.
pub fn socket_addr(id: &NodeId) -> Option<SocketAddr> {
    id.as_str().parse().ok()
}

/// How the node starts.
#[derive(Clone, Debug, Default)]
pub struct UdpConfig {
    /// The peers the node knows from the start ([`Context::peers`](crate::Context::peers)), if any; most
    /// datagram nodes learn theirs from the packets they receive.
    pub peers: Vec<SocketAddr>,
    /// Seeds the node's [`Context::rng`](crate::Context::rng).
    pub seed: u64,
}

/// A node running on its own tokio task over one UDP socket. Dropping the handle
/// stops it.
pub struct UdpHandle<M> {
    addr: SocketAddr,
    requests: mpsc::UnboundedSender<(NodeId, M)>,
    answers: mpsc::Receiver<(NodeId, M)>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl<M> UdpHandle<M> {
    /// The address the node's socket is bound to, which is also its [`NodeId`].
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Delivers `message` to the node as if from the local client `from` (such as
    /// `c0`). `from` must not be a socket address: answers to it come out of
    /// [`recv`](Self::recv), not the socket. Returns `false` if the node has stopped.
    pub fn send(&self, from: NodeId, message: M) -> bool {
        socket_addr(&from).is_none() && self.requests.send((from, message)).is_ok()
    }

    /// The next message the node sent to a local client, with that client's id.
    /// `None` once the node has stopped.
    pub async fn recv(&mut self) -> Option<(NodeId, M)> {
        self.answers.recv().await
    }

    /// Stops the node and waits until its task has ended (the socket is closed).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl<M> Drop for UdpHandle<M> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs `node` on `socket` (bind it to `127.0.0.1:0` in tests) until the handle is
/// stopped or dropped. Must be called inside a tokio runtime.
pub fn spawn<N>(node: N, socket: UdpSocket, config: UdpConfig) -> std::io::Result<UdpHandle<N::Message>>
where
    N: Node + Send + 'static,
    N::Message: Datagram,
{
    let addr = socket.local_addr()?;
    let (requests, requests_rx) = mpsc::unbounded_channel();
    let (answers_tx, answers) = mpsc::channel(CLIENT_QUEUE);
    let (stop, stopped) = oneshot::channel();
    let driver = Driver {
        runtime: Runtime::new(node, node_id(addr), config.peers.into_iter().map(node_id).collect(), config.seed),
        socket,
        started: Instant::now(),
        answers: answers_tx,
    };
    let task = tokio::spawn(driver.run(requests_rx, stopped));
    Ok(UdpHandle { addr, requests, answers, stop: Some(stop), task })
}

/// The state of one running node: its runtime (the node, its context and its timers)
/// and its socket.
struct Driver<N: Node> {
    runtime: Runtime<N>,
    socket: UdpSocket,
    /// When the node started: [`Context::now`](crate::Context::now) is measured from here.
    started: Instant,
    /// Messages for the local client.
    answers: mpsc::Sender<(NodeId, N::Message)>,
}

impl<N> Driver<N>
where
    N: Node,
    N::Message: Datagram,
{
    async fn run(
        mut self,
        mut requests: mpsc::UnboundedReceiver<(NodeId, N::Message)>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        // One byte more than the limit, so that a datagram that is too long shows as
        // one that filled the buffer rather than passing as one cut short.
        let mut buf = vec![0; MAX_DATAGRAM + 1];
        self.runtime.start(self.started.elapsed());
        self.flush().await;
        loop {
            let next_timer = self.runtime.poll_timeout();
            tokio::select! {
                _ = &mut stopped => return,
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, _)) if n > MAX_DATAGRAM => {
                        eprintln!("{}: dropping a datagram longer than {MAX_DATAGRAM} bytes", self.runtime.me());
                    }
                    Ok((n, from)) => {
                        let message = N::Message::from_datagram(buf[..n].to_vec());
                        self.runtime.handle_message(self.started.elapsed(), node_id(from), message);
                    }
                    // An ICMP error for an earlier send can surface here on some
                    // systems; it concerns that peer only, so the node carries on.
                    Err(e) => eprintln!("{}: receive failed: {e}", self.runtime.me()),
                },
                Some((from, message)) = requests.recv() => {
                    self.runtime.handle_message(self.started.elapsed(), from, message);
                }
                _ = sleep_until(self.started, next_timer) => {
                    self.runtime.handle_timeout(self.started.elapsed());
                }
            }
            self.flush().await;
        }
    }

    /// Sends what the node asked to send, in order. (Observed keys mean nothing over
    /// sockets.)
    async fn flush(&mut self) {
        while self.runtime.poll_observed().is_some() {}
        while let Some((to, message)) = self.runtime.poll_transmit() {
            match socket_addr(&to) {
                Some(addr) => match message.into_datagram() {
                    Ok(bytes) if bytes.len() > MAX_DATAGRAM => {
                        eprintln!(
                            "{}: not sending {} bytes to {to}: longer than {MAX_DATAGRAM}",
                            self.runtime.me(),
                            bytes.len()
                        );
                    }
                    Ok(bytes) => {
                        if let Err(e) = self.socket.send_to(&bytes, addr).await {
                            eprintln!("{}: sending to {to} failed: {e}", self.runtime.me());
                        }
                    }
                    Err(message) => eprintln!("{}: {message:?} is not a datagram; not sent to {to}", self.runtime.me()),
                },
                None => {
                    // A closed channel is a handle dropped: nobody to tell.
                    if let Err(mpsc::error::TrySendError::Full(_)) = self.answers.try_send((to.clone(), message)) {
                        eprintln!("{}: {CLIENT_QUEUE} unread messages for {to}; dropping one", self.runtime.me());
                    }
                }
            }
        }
    }
}
