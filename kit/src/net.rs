//! The tokio driver: the same [`Node`] over real TCP sockets.
//!
//! Messages travel as JSON, one per line, in the envelope Jepsen's Maelstrom uses:
//!
//! ```text
//! {"src":"n0","dest":"n1","body":{"type":"gossip","value":7}}
//! ```
//!
//! Readable with `nc`, and language-neutral. Each node listens on one TCP port. It
//! dials each peer the first time it sends to it and keeps that connection; what it
//! receives arrives on the connections others dialled. (One connection per
//! direction keeps the driver simple; the topology chapter shows how real swarms keep
//! a single connection per pair.) Anything that connects and is not a known peer is
//! a client: replies to it go back on its own connection.
//!
//! The driver runs the node's callbacks one at a time on one task, exactly as the
//! simulator does; only the clock and the network are real. The node, its context and
//! its timers live in a [`Runtime`]: the driver sleeps until
//! [`Runtime::poll_timeout`], hands it what arrives, and writes what
//! [`Runtime::poll_transmit`] gives.
//!
//! Nothing a remote end does can make the node hold resources without bound: a
//! malformed line is reported on stderr and skipped; a line over [`MAX_LINE`] closes
//! its connection; at most [`MAX_CONNECTIONS`] accepted connections are open at once
//! and each is closed after [`IDLE_TIMEOUT`] without a complete message (which also
//! ends a slowloris that trickles a line byte by byte); at most [`MAX_QUEUED`] lines
//! wait for any one connection, and more are dropped and counted; and everything a
//! connection holds (its socket, its task, its queue, the client name it answers to)
//! is freed when it closes. A failing `accept` (at the file-descriptor limit, say) is
//! retried with a growing pause and reported once per burst, not once per try.
//!
//! Each accepted connection is bound to the one node id its first message names, and
//! a message whose `src` disagrees is dropped and counted ([`NetStats::spoofed`]): a
//! client cannot speak for a peer after it has spoken as itself. A connection may name
//! a known peer only if it comes from the IP address that peer listens on, so a laptop
//! in the room cannot pass for another. What this cannot stop is a program on the
//! peer's own machine naming it first: proving who is on the other end takes
//! cryptography, the handshake chapter's job, which binds a connection to a key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::node::{Message, Node, NodeId};
use crate::runtime::{Runtime, sleep_until};

/// The longest line (message) accepted: 1 MiB. A longer one closes the connection,
/// so a peer cannot make a node buffer without limit.
pub const MAX_LINE: usize = 1 << 20;

/// How many accepted connections may be open at once: 256. A room of a few dozen
/// laptops needs one per peer and one or two per terminal, far fewer; each costs a file
/// descriptor, a task and its buffers, and the usual soft limit is 1,024 descriptors
/// per process. A connection beyond the cap is closed as soon as it is accepted (and
/// counted in [`NetStats::refused`]), so a flood cannot starve the node of descriptors.
pub const MAX_CONNECTIONS: usize = 256;

/// How long an accepted connection may go without a complete message: 60 s. Long
/// enough for any honest peer or terminal between two messages (the chat's
/// anti-entropy talks every half second), short enough that idle or trickling
/// connections cannot hold the [`MAX_CONNECTIONS`] slots for long. A connection this
/// node dialled is closed by the node itself after half as long without a message to
/// send, and dialled again when there is one, so the other end never times out a
/// connection that is about to carry a message.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many lines may wait to be written to one connection: 1,024. A peer that stops
/// reading (or a network that stalls) must not make this node buffer without limit;
/// beyond this, messages to it are dropped and counted in [`NetStats::dropped`], as a
/// lossy network would. The protocols above retry what matters.
pub const MAX_QUEUED: usize = 1024;

/// How many bytes of lines may wait to be written to one connection: 8 MiB, so that
/// [`MAX_QUEUED`] long lines cannot add up to a gigabyte.
pub const MAX_QUEUED_BYTES: usize = 8 << 20;

/// How many received messages may wait for the node's task: 1,024. When the node falls
/// behind, readers stop reading, and TCP's own flow control slows the senders down.
const INBOX: usize = 1024;

/// The longest pause between two tries of a failing `accept`: 1 s.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// One message on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<M> {
    /// Who sent it.
    pub src: NodeId,
    /// Who it is for.
    pub dest: NodeId,
    /// The message itself.
    pub body: M,
}

/// Who a node is and whom it knows.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// This node's id.
    pub me: NodeId,
    /// The other nodes and where they listen.
    pub peers: Vec<(NodeId, SocketAddr)>,
    /// Seeds the node's [`Context::rng`](crate::Context::rng).
    pub seed: u64,
}

/// What a running node's driver has counted, for tests and tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Accepted connections open now.
    pub connections: usize,
    /// Connections closed at once because [`MAX_CONNECTIONS`] were open.
    pub refused: u64,
    /// Messages dropped because their `src` was not the id their connection is bound to.
    pub spoofed: u64,
    /// Messages dropped because [`MAX_QUEUED`] lines already waited for their connection.
    pub dropped: u64,
    /// `accept` calls that failed (at the descriptor limit, for instance).
    pub accept_errors: u64,
}

/// The counters behind [`NetStats`], shared by the driver and its handle.
#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    refused: AtomicU64,
    spoofed: AtomicU64,
    dropped: AtomicU64,
    accept_errors: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A node running on its own tokio task. Dropping the handle stops it.
pub struct NetHandle {
    addr: SocketAddr,
    counters: Arc<Counters>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl NetHandle {
    /// Where the node listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the driver has counted so far.
    pub fn stats(&self) -> NetStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NetStats {
            connections: get(&self.counters.connections) as usize,
            refused: get(&self.counters.refused),
            spoofed: get(&self.counters.spoofed),
            dropped: get(&self.counters.dropped),
            accept_errors: get(&self.counters.accept_errors),
        }
    }

    /// Stops the node and waits until its connections are closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for NetHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs `node` on `listener` (bind it to `127.0.0.1:0` in tests) until the handle
/// is stopped or dropped. Must be called inside a tokio runtime.
pub fn spawn<N>(node: N, listener: TcpListener, config: NetConfig) -> std::io::Result<NetHandle>
where
    N: Node + Send + 'static,
    N::Timer: Send,
{
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let counters = Arc::new(Counters::default());
    let (inbox, received) = mpsc::channel(INBOX);
    let peer_ids: Vec<NodeId> = config.peers.iter().map(|(id, _)| id.clone()).collect();
    let driver = Driver {
        runtime: Runtime::new(node, config.me.clone(), peer_ids, config.seed),
        me: config.me,
        started: Instant::now(),
        addresses: config.peers.into_iter().collect(),
        dialled: HashMap::new(),
        accepted: HashMap::new(),
        clients: HashMap::new(),
        tasks: JoinSet::new(),
        inbox,
        counters: counters.clone(),
        accept_failures: 0,
        accept_paused_until: None,
    };
    let task = tokio::spawn(driver.run(listener, received, stopped));
    Ok(NetHandle { addr, counters, stop: Some(stop), task })
}

/// A connection, by the id of the task that serves it.
type ConnId = tokio::task::Id;

/// A message that arrived on connection `from`.
struct Received<M> {
    from: ConnId,
    envelope: Envelope<M>,
}

/// A connection someone else dialled.
struct Accepted {
    /// Where it comes from.
    remote: SocketAddr,
    /// The id its first message named; every later message must name the same.
    bound: Option<NodeId>,
    /// Lines to write back on it.
    out: Queue,
}

/// A connection this node dialled to a peer.
struct Dialled {
    conn: ConnId,
    out: Queue,
}

/// The lines waiting for one connection, bounded in count ([`MAX_QUEUED`]) and in
/// bytes ([`MAX_QUEUED_BYTES`]).
#[derive(Clone)]
struct Queue {
    lines: mpsc::Sender<String>,
    /// Bytes queued and not yet written; the connection's task takes off what it writes.
    bytes: Arc<std::sync::atomic::AtomicUsize>,
}

impl Queue {
    fn new() -> (Queue, QueueReader) {
        let (lines, rx) = mpsc::channel(MAX_QUEUED);
        let bytes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        (Queue { lines, bytes: bytes.clone() }, QueueReader { lines: rx, bytes })
    }

    /// Queues `line`, or gives it back if the queue is full.
    fn push(&self, line: String) -> Result<(), String> {
        if self.bytes.load(Ordering::Relaxed).saturating_add(line.len()) > MAX_QUEUED_BYTES {
            return Err(line);
        }
        let len = line.len();
        match self.lines.try_send(line) {
            Ok(()) => {
                self.bytes.fetch_add(len, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(e.into_inner()),
        }
    }
}

/// The connection task's end of a [`Queue`].
struct QueueReader {
    lines: mpsc::Receiver<String>,
    bytes: Arc<std::sync::atomic::AtomicUsize>,
}

impl QueueReader {
    async fn recv(&mut self) -> Option<String> {
        let line = self.lines.recv().await?;
        self.bytes.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }
}

/// The state of one running node: mini-redis's `Listener` and `Handler` in one place,
/// instead of a function of many parameters.
struct Driver<N: Node> {
    /// The node, its context and its timers.
    runtime: Runtime<N>,
    me: NodeId,
    /// When the node started: [`Context::now`](crate::Context::now) is measured from here.
    started: Instant,
    /// Where each peer listens.
    addresses: HashMap<NodeId, SocketAddr>,
    /// The connection to each peer this node has sent to, while it is open.
    dialled: HashMap<NodeId, Dialled>,
    /// Every accepted connection that is open.
    accepted: HashMap<ConnId, Accepted>,
    /// The connection each client spoke on last: its replies go there.
    clients: HashMap<NodeId, ConnId>,
    /// One task per connection. A task that ends is reaped, and what its connection
    /// held is freed with it; dropping the set (when the node stops) ends them all.
    tasks: JoinSet<()>,
    /// Where connection tasks put the messages they read.
    inbox: mpsc::Sender<Received<N::Message>>,
    counters: Arc<Counters>,
    /// `accept` failures in a row, and when to try again.
    accept_failures: u32,
    accept_paused_until: Option<Instant>,
}

impl<N: Node> Driver<N> {
    async fn run(
        mut self,
        listener: TcpListener,
        mut received: mpsc::Receiver<Received<N::Message>>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        self.runtime.start(self.started.elapsed());
        loop {
            self.flush();
            let accepting = self.accept_paused_until.is_none();
            let resume = self.accept_paused_until;
            tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept(), if accepting => match accepted {
                    Ok((stream, remote)) => self.on_accept(stream, remote),
                    Err(e) => self.on_accept_error(e),
                },
                _ = sleep_until_instant(resume), if !accepting => {
                    self.accept_paused_until = None;
                }
                Some(message) = received.recv() => self.on_received(message),
                Some(ended) = self.tasks.join_next_with_id() => {
                    let conn = match ended {
                        Ok((id, ())) => id,
                        Err(e) => e.id(),
                    };
                    self.on_closed(conn);
                }
                _ = sleep_until(self.started, self.runtime.poll_timeout()) => {
                    self.runtime.handle_timeout(self.started.elapsed());
                }
            }
        }
    }

    fn on_accept(&mut self, stream: TcpStream, remote: SocketAddr) {
        if self.accept_failures > 1 {
            eprintln!("{}: accepting again after {} failed accepts", self.me, self.accept_failures);
        }
        self.accept_failures = 0;
        if self.accepted.len() >= MAX_CONNECTIONS {
            Counters::add(&self.counters.refused);
            return; // dropping the stream closes it
        }
        let _ = stream.set_nodelay(true);
        let (out, lines) = Queue::new();
        let inbox = self.inbox.clone();
        let handle = self.tasks.spawn(serve(stream, lines, inbox));
        self.accepted.insert(handle.id(), Accepted { remote, bound: None, out });
        self.counters.connections.store(self.accepted.len() as u64, Ordering::Relaxed);
    }

    /// At the descriptor limit `accept` fails at once, for as long as the limit holds:
    /// retrying at once would spin. Pause, twice as long each time up to
    /// [`MAX_ACCEPT_PAUSE`], and say so once per burst.
    fn on_accept_error(&mut self, e: std::io::Error) {
        Counters::add(&self.counters.accept_errors);
        self.accept_failures = self.accept_failures.saturating_add(1);
        if self.accept_failures == 1 {
            eprintln!(
                "{}: accept failed: {e}; retrying with a growing pause (further failures are counted, not printed)",
                self.me
            );
        }
        let pause = Duration::from_millis(10).saturating_mul(1 << self.accept_failures.min(7)).min(MAX_ACCEPT_PAUSE);
        self.accept_paused_until = Some(Instant::now() + pause);
    }

    fn on_received(&mut self, Received { from, envelope }: Received<N::Message>) {
        let Some(conn) = self.accepted.get_mut(&from) else { return };
        let honest = match (&conn.bound, self.addresses.get(&envelope.src)) {
            (Some(bound), _) => *bound == envelope.src,
            // A peer's connection comes from the machine the peer listens on.
            (None, Some(addr)) => addr.ip().to_canonical() == conn.remote.ip().to_canonical(),
            (None, None) => true,
        };
        if !honest {
            let n = Counters::add(&self.counters.spoofed);
            if n.is_power_of_two() {
                let on = conn.bound.as_ref().map_or_else(|| conn.remote.to_string(), NodeId::to_string);
                eprintln!(
                    "{}: dropped a message claiming to be from {} on a connection of {on} ({n} so far)",
                    self.me, envelope.src
                );
            }
            return;
        }
        conn.bound.get_or_insert_with(|| envelope.src.clone());
        if !self.addresses.contains_key(&envelope.src) {
            self.clients.insert(envelope.src.clone(), from);
        }
        self.runtime.handle_message(self.started.elapsed(), envelope.src, envelope.body);
    }

    /// A connection's task ended: forget it, which drops its queue, and its socket
    /// with the task.
    fn on_closed(&mut self, conn: ConnId) {
        if let Some(accepted) = self.accepted.remove(&conn) {
            if let Some(client) = accepted.bound
                && self.clients.get(&client) == Some(&conn)
            {
                self.clients.remove(&client);
            }
            self.counters.connections.store(self.accepted.len() as u64, Ordering::Relaxed);
        }
        self.dialled.retain(|_, d| d.conn != conn);
    }

    /// Sends what the node asked to send, in order. (Observed keys mean nothing over
    /// sockets.)
    fn flush(&mut self) {
        while self.runtime.poll_observed().is_some() {}
        while let Some((to, body)) = self.runtime.poll_transmit() {
            let line = match serde_json::to_string(&Envelope { src: self.me.clone(), dest: to.clone(), body }) {
                Ok(line) => line + "\n",
                Err(e) => {
                    eprintln!("{}: cannot encode a message to {to}: {e}", self.me);
                    continue;
                }
            };
            let out = if let Some(accepted) = self.clients.get(&to).and_then(|conn| self.accepted.get(conn)) {
                accepted.out.clone()
            } else if let Some(&addr) = self.addresses.get(&to) {
                match self.dialled.get(&to) {
                    Some(dialled) => dialled.out.clone(),
                    None => {
                        let (out, lines) = Queue::new();
                        let handle = self.tasks.spawn(dial(self.me.clone(), to.clone(), addr, lines));
                        self.dialled.insert(to.clone(), Dialled { conn: handle.id(), out: out.clone() });
                        out
                    }
                }
            } else {
                eprintln!("{}: no address for {to}; message dropped", self.me);
                continue;
            };
            if out.push(line).is_err() {
                let n = Counters::add(&self.counters.dropped);
                if n.is_power_of_two() {
                    eprintln!("{}: {MAX_QUEUED} lines already wait for {to}; dropped one ({n} so far)", self.me);
                }
            }
        }
    }
}

async fn sleep_until_instant(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Serves one accepted connection: reads envelopes into the node's inbox and writes
/// the lines queued for it, until either side closes, a line is too long, or
/// [`IDLE_TIMEOUT`] passes without a complete message.
async fn serve<M: Message>(stream: TcpStream, mut lines: QueueReader, inbox: mpsc::Sender<Received<M>>) {
    let me = tokio::task::id();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    let mut deadline = Instant::now() + IDLE_TIMEOUT;
    loop {
        tokio::select! {
            read = read_line(&mut reader, &mut line) => {
                match read {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        eprintln!("closing a connection: {e}");
                        return;
                    }
                }
                match serde_json::from_slice::<Envelope<M>>(&line) {
                    Ok(envelope) => {
                        deadline = Instant::now() + IDLE_TIMEOUT;
                        if inbox.send(Received { from: me, envelope }).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => eprintln!("skipping a malformed message ({e}): {}", String::from_utf8_lossy(&line[..line.len().min(200)])),
                }
                line.clear();
            }
            out = lines.recv() => {
                let Some(out) = out else { return };
                if !write_within(&mut write, &out).await {
                    return;
                }
            }
            _ = tokio::time::sleep_until(deadline) => return,
        }
    }
}

/// Writes `line`, giving up after [`IDLE_TIMEOUT`]: a peer that never reads must not
/// hold the connection (and its task) for ever.
async fn write_within(write: &mut OwnedWriteHalf, line: &str) -> bool {
    matches!(tokio::time::timeout(IDLE_TIMEOUT, write.write_all(line.as_bytes())).await, Ok(Ok(())))
}

/// Dials `addr` and writes every line queued for `to`. It retries the connection for
/// a few seconds (the peer may still be starting); lines queued meanwhile wait. It
/// ends when the connection fails or closes, or after half of [`IDLE_TIMEOUT`] with
/// nothing to send; the driver then forgets it and dials again for the next message.
async fn dial(me: NodeId, to: NodeId, addr: SocketAddr, mut lines: QueueReader) {
    let mut delay = Duration::from_millis(10);
    let stream = loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => break stream,
            Err(e) if delay > Duration::from_secs(2) => {
                eprintln!("{me}: cannot reach {to} at {addr}: {e}; its messages are dropped");
                return;
            }
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut read, mut write) = stream.into_split();
    let mut ignored = [0u8; 512];
    loop {
        tokio::select! {
            line = tokio::time::timeout(IDLE_TIMEOUT / 2, lines.recv()) => match line {
                Ok(Some(line)) => {
                    if !write_within(&mut write, &line).await {
                        eprintln!("{me}: connection to {to} failed");
                        return;
                    }
                }
                Ok(None) | Err(_) => return,
            },
            // Nothing comes back on a dialled connection; reading notices when the
            // other end closes it.
            read = read.read(&mut ignored) => if !matches!(read, Ok(n) if n > 0) {
                return;
            },
        }
    }
}

/// Reads one line (without its newline) of at most [`MAX_LINE`] bytes. `Ok(false)`
/// at the end of the stream.
///
/// Safe to cancel (in a `select!`) and call again with the same `line`: the bytes read
/// so far stay in it, and the limit counts them, so a line read in many pieces is
/// bounded like one read at once.
pub async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let limit = (MAX_LINE + 1).saturating_sub(line.len()) as u64;
    let n = reader.take(limit).read_until(b'\n', line).await?;
    if n == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > MAX_LINE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a line longer than {MAX_LINE} bytes"),
        ));
    }
    Ok(true)
}

/// A client of a node over TCP: sends requests, reads replies. For tests and tools.
pub struct Client {
    id: NodeId,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects to the node at `addr` as client `id` (`c0`, …).
    pub async fn connect(addr: SocketAddr, id: NodeId) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        Ok(Client { id, reader: BufReader::new(read), writer })
    }

    /// Sends `body` to `dest`.
    pub async fn send<M: Serialize>(&mut self, dest: &NodeId, body: &M) -> std::io::Result<()> {
        let envelope = Envelope { src: self.id.clone(), dest: dest.clone(), body };
        let mut line = serde_json::to_vec(&envelope)?;
        line.push(b'\n');
        self.writer.write_all(&line).await
    }

    /// Waits for the next message to this client.
    pub async fn recv<M: Message>(&mut self) -> std::io::Result<Envelope<M>> {
        let mut line = Vec::new();
        if !read_line(&mut self.reader, &mut line).await? {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(serde_json::from_slice(&line)?)
    }
}
