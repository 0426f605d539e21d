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
//! simulator does; only the clock and the network are real. A malformed or
//! oversized line is reported on stderr and skipped: a bad peer cannot crash a node.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::node::{Context, Message, Node, NodeId};

/// The longest line (message) accepted: 1 MiB. A longer one closes the connection,
/// so a peer cannot make a node buffer without limit.
pub const MAX_LINE: usize = 1 << 20;

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
    /// Seeds the node's [`Context::rng`].
    pub seed: u64,
}

/// A node running on its own tokio task. Dropping the handle stops it.
pub struct NetHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl NetHandle {
    /// Where the node listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
    let task = tokio::spawn(drive(node, listener, config, stopped));
    Ok(NetHandle { addr, stop: Some(stop), task })
}

/// What the node's task waits for.
enum Input<M, T> {
    /// A message arrived; `reply` writes back on the connection it came from.
    Message(Envelope<M>, mpsc::UnboundedSender<String>),
    Timer(T),
}

async fn drive<N: Node>(mut node: N, listener: TcpListener, config: NetConfig, mut stopped: oneshot::Receiver<()>) {
    let started = Instant::now();
    let peer_ids: Vec<NodeId> = config.peers.iter().map(|(id, _)| id.clone()).collect();
    let mut ctx: Context<N::Message, N::Timer> = Context::new(config.me.clone(), peer_ids, config.seed);
    let (input_tx, mut input) = mpsc::unbounded_channel::<Input<N::Message, N::Timer>>();
    // Every task this node starts; dropping the set (when the node stops) ends them.
    let mut tasks = JoinSet::new();
    let mut dialled: HashMap<NodeId, mpsc::UnboundedSender<String>> = HashMap::new();
    let mut clients: HashMap<NodeId, mpsc::UnboundedSender<String>> = HashMap::new();
    let addresses: HashMap<NodeId, SocketAddr> = config.peers.into_iter().collect();

    ctx.set_now(started.elapsed());
    node.on_start(&mut ctx);
    loop {
        flush(&mut ctx, &config.me, &addresses, &mut dialled, &clients, &input_tx, &mut tasks);
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let (read, write) = stream.into_split();
                    let reply = writer(&mut tasks, write);
                    tasks.spawn(read_lines(read, input_tx.clone(), reply));
                }
                Err(e) => eprintln!("{}: accept failed: {e}", config.me),
            },
            Some(event) = input.recv() => {
                ctx.set_now(started.elapsed());
                match event {
                    Input::Message(envelope, reply) => {
                        if !addresses.contains_key(&envelope.src) {
                            clients.insert(envelope.src.clone(), reply);
                        }
                        node.on_message(&mut ctx, envelope.src, envelope.body);
                    }
                    Input::Timer(timer) => node.on_timer(&mut ctx, timer),
                }
            }
        }
    }
}

/// Carries out what the last callback asked for: messages and timers.
fn flush<M: Message, T: Send + 'static>(
    ctx: &mut Context<M, T>,
    me: &NodeId,
    addresses: &HashMap<NodeId, SocketAddr>,
    dialled: &mut HashMap<NodeId, mpsc::UnboundedSender<String>>,
    clients: &HashMap<NodeId, mpsc::UnboundedSender<String>>,
    input: &mpsc::UnboundedSender<Input<M, T>>,
    tasks: &mut JoinSet<()>,
) {
    ctx.observed.clear();
    for (after, timer) in ctx.take_timers() {
        let input = input.clone();
        tasks.spawn(async move {
            tokio::time::sleep(after).await;
            let _ = input.send(Input::Timer(timer));
        });
    }
    for (to, body) in ctx.take_sent() {
        let line = match serde_json::to_string(&Envelope { src: me.clone(), dest: to.clone(), body }) {
            Ok(line) => line + "\n",
            Err(e) => {
                eprintln!("{me}: cannot encode a message to {to}: {e}");
                continue;
            }
        };
        let channel = if let Some(client) = clients.get(&to) {
            Some(client.clone())
        } else if let Some(&addr) = addresses.get(&to) {
            Some(dialled.entry(to.clone()).or_insert_with(|| dial(tasks, me.clone(), to.clone(), addr)).clone())
        } else {
            eprintln!("{me}: no address for {to}; message dropped");
            None
        };
        if let Some(channel) = channel {
            let _ = channel.send(line);
        }
    }
}

/// A task that dials `addr` and writes every line sent to the returned channel.
/// It retries the connection for a few seconds (the peer may still be starting);
/// lines sent meanwhile wait in the channel.
fn dial(tasks: &mut JoinSet<()>, me: NodeId, to: NodeId, addr: SocketAddr) -> mpsc::UnboundedSender<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tasks.spawn(async move {
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
        let mut stream = stream;
        while let Some(line) = rx.recv().await {
            if let Err(e) = stream.write_all(line.as_bytes()).await {
                eprintln!("{me}: connection to {to} failed: {e}");
                return;
            }
        }
    });
    tx
}

/// A task writing lines to one accepted connection (replies to a client).
fn writer(tasks: &mut JoinSet<()>, mut write: OwnedWriteHalf) -> mpsc::UnboundedSender<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tasks.spawn(async move {
        while let Some(line) = rx.recv().await {
            if write.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    tx
}

/// Reads envelopes from one connection until it closes.
async fn read_lines<M: Message, T: Send + 'static>(
    read: OwnedReadHalf,
    input: mpsc::UnboundedSender<Input<M, T>>,
    reply: mpsc::UnboundedSender<String>,
) {
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line(&mut reader, &mut line).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                eprintln!("closing a connection: {e}");
                return;
            }
        }
        match serde_json::from_slice::<Envelope<M>>(&line) {
            Ok(envelope) => {
                if input.send(Input::Message(envelope, reply.clone())).is_err() {
                    return;
                }
            }
            Err(e) => eprintln!("skipping a malformed message ({e}): {}", String::from_utf8_lossy(&line[..line.len().min(200)])),
        }
    }
}

/// Reads one line (without its newline) of at most [`MAX_LINE`] bytes. `Ok(false)`
/// at the end of the stream.
pub async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R, line: &mut Vec<u8>) -> std::io::Result<bool> {
    let n = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', line).await?;
    if n == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > MAX_LINE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a line longer than {MAX_LINE} bytes")));
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
