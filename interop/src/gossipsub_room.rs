//! Gossipsub rooms on 127.0.0.1: the handbook's reference router beside rust-libp2p's,
//! in one process, wired the same way, with every link counted.
//!
//! A room is N peers on one topic. The links are a seeded random graph: each peer dials
//! k others ([`links`]). Every link runs through a counting relay ([`count_link`]), so
//! the bytes of all links (TCP payload, which is Noise ciphertext) can be summed. A peer
//! is one of two kinds:
//!
//! - [`Kind::Libp2p`]: rust-libp2p's `gossipsub::Behaviour` on a swarm of its own (TCP,
//!   Noise, yamux), StrictSign, configured by [`libp2p_config`];
//! - [`Kind::Reference`]: the gossipsub exercise's reference router
//!   (`gossipsub_solution::GossipsubNode`, a sans-IO `kit::Node`) in a `kit::Runtime`,
//!   over the handbook's own connections ([`ReferenceNode`]: TCP, multistream, Noise,
//!   yamux) and `/meshsub/1.1.0` streams ([`MeshsubPeer`]). The driver tells the node of
//!   each connection (`Msg::PeerUp`), hands it each frame a peer sends as `Msg::Rpc` from
//!   that peer, writes each `Msg::Rpc` the node sends to that peer's stream, takes what
//!   it delivered (`Msg::Take`), and fires the heartbeat when it is due.
//!
//! After the meshes have formed, the room is left idle for a window, then `lines` lines
//! are published from seeded random peers during a window of the same length. Per line:
//! the latency to each receiver, the bytes on all links (publishing window minus idle
//! window, over the lines), and whether every peer got it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gossipsub_solution::{Config as RefConfig, GossipsubNode as RefNode, Msg as RefMsg};
use kit::NodeId;
use kit::runtime::Runtime;
use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, identity, noise, tcp, yamux};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::meshsub::{MESHSUB, MeshsubPeer};
use crate::reference_node::ReferenceNode;

/// The room's topic.
pub const TOPIC: &str = "handbook-room";

/// The parameters both routers are given: D, D_lo, D_hi, D_lazy and the heartbeat.
pub const D: usize = 6;
pub const D_LO: usize = 5;
pub const D_HI: usize = 12;
pub const D_LAZY: usize = 6;
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// Which router a peer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Libp2p,
    Reference,
}

/// Which routers a room is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Every peer rust-libp2p.
    AllLibp2p,
    /// Every peer the handbook's reference.
    AllReference,
    /// Even-numbered peers rust-libp2p, odd-numbered the reference.
    Mixed,
}

impl Mix {
    pub fn kind_of(self, peer: usize) -> Kind {
        match self {
            Mix::AllLibp2p => Kind::Libp2p,
            Mix::AllReference => Kind::Reference,
            Mix::Mixed if peer.is_multiple_of(2) => Kind::Libp2p,
            Mix::Mixed => Kind::Reference,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mix::AllLibp2p => "rust-libp2p",
            Mix::AllReference => "reference",
            Mix::Mixed => "mixed",
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub mix: Mix,
    /// Peers in the room.
    pub n: usize,
    /// How many others each peer dials.
    pub k: usize,
    /// Lines published.
    pub lines: usize,
    /// Seeds the graph, the keys and who publishes each line.
    pub seed: u64,
    /// Time between two lines.
    pub interval: Duration,
    /// How long the meshes are given to form before anything is measured.
    pub warm_up: Duration,
    /// The idle window and the publishing window (each this long).
    pub window: Duration,
    /// How long to wait after the publishing window for lines still missing.
    pub grace: Duration,
}

/// What a room measured.
#[derive(Clone, Debug)]
pub struct Report {
    pub links: usize,
    /// Mesh sizes of the peers, after the warm-up.
    pub mesh: Vec<usize>,
    /// One latency per (line, receiver) delivered, publish to delivery.
    pub latencies: Vec<Duration>,
    /// Deliveries expected: lines × (n − 1).
    pub expected: usize,
    /// (line, receiver) pairs never delivered.
    pub missing: Vec<(usize, usize)>,
    /// Bytes on all links, both ways, in the idle and the publishing window.
    pub idle_bytes: u64,
    pub busy_bytes: u64,
    /// RPC frames the reference peers sent (rust-libp2p's are inside Noise, unseen), in
    /// the idle and the publishing window.
    pub idle_frames: u64,
    pub busy_frames: u64,
}

impl Report {
    /// The `q`-quantile of the latencies (nearest rank), in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        let mut l = self.latencies.clone();
        l.sort();
        if l.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * l.len() as f64).ceil() as usize).clamp(1, l.len());
        l[rank - 1].as_secs_f64() * 1000.0
    }

    /// Bytes on all links per line: the publishing window minus the idle one.
    pub fn bytes_per_line(&self, lines: usize) -> f64 {
        (self.busy_bytes as f64 - self.idle_bytes as f64) / lines as f64
    }

    /// RPC frames the reference peers sent per line: the publishing window minus the
    /// idle one.
    pub fn reference_frames_per_line(&self, lines: usize) -> f64 {
        (self.busy_frames as f64 - self.idle_frames as f64) / lines as f64
    }

    pub fn mesh_mean(&self) -> f64 {
        self.mesh.iter().sum::<usize>() as f64 / self.mesh.len().max(1) as f64
    }
}

/// The links of a room of `n` peers: each peer dials `k` others at random (seeded), never
/// one it is already linked with either way. Returned as (dialer, listener).
pub fn links(n: usize, k: usize, seed: u64) -> Vec<(usize, usize)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6c69_6e6b);
    let mut linked: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut out = Vec::new();
    for a in 0..n {
        let mut free: Vec<usize> = (0..n).filter(|&b| b != a && !linked.contains(&(a.min(b), a.max(b)))).collect();
        for _ in 0..k {
            if free.is_empty() {
                break;
            }
            let b = free.swap_remove(rng.random_range(0..free.len()));
            linked.insert((a.min(b), a.max(b)));
            out.push((a, b));
        }
    }
    out
}

/// Whether the links join all `n` peers.
pub fn connected(n: usize, links: &[(usize, usize)]) -> bool {
    let mut reached = vec![false; n];
    let mut todo = vec![0];
    reached[0] = true;
    while let Some(a) = todo.pop() {
        for &(x, y) in links {
            for (p, q) in [(x, y), (y, x)] {
                if p == a && !reached[q] {
                    reached[q] = true;
                    todo.push(q);
                }
            }
        }
    }
    reached.iter().all(|&r| r)
}

/// rust-libp2p's gossipsub configuration in the room: StrictSign, the handbook's
/// parameters, the first heartbeat after one interval as the reference's, and the
/// reference's message id (`from` ‖ `seqno`, the bytes) instead of rust-libp2p's
/// default (base58 author ‖ decimal seqno, as text), so that IHAVE and IWANT name a
/// message the same way on both sides of a mixed room.
pub fn libp2p_config() -> anyhow::Result<gossipsub::Config> {
    gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .mesh_n(D)
        .mesh_n_low(D_LO)
        .mesh_n_high(D_HI)
        .gossip_lazy(D_LAZY)
        .heartbeat_interval(HEARTBEAT)
        .heartbeat_initial_delay(HEARTBEAT)
        .message_id_fn(|m: &gossipsub::Message| {
            let from = m.source.map(|p| p.to_bytes()).unwrap_or_default();
            let seqno = m.sequence_number.map(|s| s.to_be_bytes().to_vec()).unwrap_or_default();
            MessageId::new(&[from, seqno].concat())
        })
        .build()
        .map_err(|e| anyhow::anyhow!("rust-libp2p's gossipsub config: {e}"))
}

/// The reference's configuration in the room: its defaults with D_lo = 5, as
/// rust-libp2p's.
pub fn reference_config() -> RefConfig {
    RefConfig { d: D, d_lo: D_LO, d_hi: D_HI, d_lazy: D_LAZY, heartbeat: HEARTBEAT, ..RefConfig::default() }
}

/// Bytes counted on all links: [0] dialer to listener, [1] back.
#[derive(Default)]
pub struct Bytes(pub [AtomicU64; 2]);

impl Bytes {
    pub fn total(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed) + self.0[1].load(Ordering::Relaxed)
    }
}

/// A relay on an ephemeral port of 127.0.0.1 for one link: it accepts one connection,
/// dials `target`, copies bytes both ways and adds them to `bytes`. Returns its address.
pub async fn count_link(target: SocketAddr, bytes: Arc<Bytes>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let Ok((dialer, _)) = listener.accept().await else { return };
        let Ok(listening) = TcpStream::connect(target).await else { return };
        let _ = dialer.set_nodelay(true);
        let _ = listening.set_nodelay(true);
        let (dr, dw) = dialer.into_split();
        let (lr, lw) = listening.into_split();
        let a = tokio::spawn(copy_counting(dr, lw, bytes.clone(), 0));
        let b = tokio::spawn(copy_counting(lr, dw, bytes, 1));
        let _ = tokio::join!(a, b);
    });
    Ok(addr)
}

async fn copy_counting(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    bytes: Arc<Bytes>,
    way: usize,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        bytes.0[way].fetch_add(n as u64, Ordering::Relaxed);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// A delivery: which peer, the line's bytes, when.
type Delivery = (usize, Vec<u8>, Instant);

enum Cmd {
    Dial(SocketAddr),
    Publish(Vec<u8>),
    Mesh(oneshot::Sender<usize>),
}

/// A running peer of either kind.
pub struct Peer {
    pub kind: Kind,
    pub port: u16,
    cmds: mpsc::UnboundedSender<Cmd>,
}

impl Peer {
    fn dial(&self, addr: SocketAddr) {
        let _ = self.cmds.send(Cmd::Dial(addr));
    }

    fn publish(&self, data: Vec<u8>) {
        let _ = self.cmds.send(Cmd::Publish(data));
    }

    async fn mesh(&self) -> usize {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmds.send(Cmd::Mesh(tx));
        rx.await.unwrap_or(0)
    }
}

/// Starts a rust-libp2p peer subscribed to [`TOPIC`], reporting deliveries as `index`.
async fn start_libp2p(index: usize, secret: [u8; 32], sink: mpsc::UnboundedSender<Delivery>) -> anyhow::Result<Peer> {
    let keypair = identity::Keypair::ed25519_from_bytes(secret)?;
    let config = libp2p_config()?;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)?
        .with_behaviour(|key| -> Result<gossipsub::Behaviour, Box<dyn std::error::Error + Send + Sync>> {
            Ok(gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), config)?)
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        .build();
    let topic = IdentTopic::new(TOPIC);
    swarm.behaviour_mut().subscribe(&topic)?;
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
    let port = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await
            && let Some(port) = address.iter().find_map(|p| match p {
                libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
                _ => None,
            })
        {
            break port;
        }
    };
    let (cmds, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => return,
                    Some(Cmd::Dial(addr)) => {
                        let addr: Multiaddr = format!("/ip4/{}/tcp/{}", addr.ip(), addr.port()).parse().expect("a TCP multiaddr");
                        let _ = swarm.dial(addr);
                    }
                    Some(Cmd::Publish(data)) => {
                        if let Err(e) = swarm.behaviour_mut().publish(topic.clone(), data) {
                            eprintln!("peer {index} (rust-libp2p) could not publish: {e}");
                        }
                    }
                    Some(Cmd::Mesh(reply)) => {
                        let _ = reply.send(swarm.behaviour().mesh_peers(&topic.hash()).count());
                    }
                },
                event = swarm.select_next_some() => {
                    if let SwarmEvent::Behaviour(gossipsub::Event::Message { message, .. }) = event {
                        let _ = sink.send((index, message.data, Instant::now()));
                    }
                }
            }
        }
    });
    Ok(Peer { kind: Kind::Libp2p, port, cmds })
}

/// What a reference peer's driver hears from its connections.
enum Heard {
    Connected(Box<ReferenceNode>),
    Frame(NodeId, Vec<u8>),
}

/// Starts a reference peer subscribed to [`TOPIC`]: the router in a `kit::Runtime`,
/// driven by one task.
async fn start_reference(
    index: usize,
    secret: [u8; 32],
    seed: u64,
    sink: mpsc::UnboundedSender<Delivery>,
    frames: Arc<AtomicU64>,
) -> anyhow::Result<Peer> {
    let keypair = identity_solution::Keypair::from_secret_bytes(secret);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let me = NodeId::new(keypair.peer_id().to_string());
    let (heard_tx, mut heard) = mpsc::unbounded_channel::<Heard>();

    // Every connection another peer opens, upgraded, to the driver.
    let (accept_key, accept_tx) = (keypair.clone(), heard_tx.clone());
    tokio::spawn(async move {
        loop {
            match ReferenceNode::accept_serving(&listener, accept_key.clone(), &[MESHSUB]).await {
                Ok(node) => {
                    if accept_tx.send(Heard::Connected(Box::new(node))).is_err() {
                        return;
                    }
                }
                Err(e) => eprintln!("peer {index} (reference) could not accept a connection: {e:#}"),
            }
        }
    });

    let (cmds, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut runtime = Runtime::new(RefNode::new(keypair.clone(), reference_config()), me, Vec::new(), seed);
        runtime.start(Duration::ZERO);
        runtime.handle_message(Duration::ZERO, NodeId::client(0), RefMsg::Subscribe { topic: TOPIC.into() });
        let mut writers: BTreeMap<NodeId, mpsc::UnboundedSender<Vec<u8>>> = BTreeMap::new();
        loop {
            // What the node asked to send, to each peer's stream; what it delivered
            // (its answer to `Take`), out.
            while let Some((to, msg)) = runtime.poll_transmit() {
                match msg {
                    RefMsg::Rpc { frame } => {
                        if let Some(w) = writers.get(&to) {
                            frames.fetch_add(1, Ordering::Relaxed);
                            let _ = w.send(frame);
                        }
                    }
                    RefMsg::TakeOk { delivered } => {
                        let at = Instant::now();
                        for d in delivered {
                            let _ = sink.send((index, d.data, at));
                        }
                    }
                    _ => {}
                }
            }

            let due = runtime.poll_timeout().map(|d| start + d);
            tokio::select! {
                cmd = rx.recv() => {
                    let now = start.elapsed();
                    match cmd {
                        None => return,
                        Some(Cmd::Dial(addr)) => {
                            let (key, tx) = (keypair.clone(), heard_tx.clone());
                            tokio::spawn(async move {
                                match ReferenceNode::dial_serving(addr, key, &[MESHSUB]).await {
                                    Ok(node) => {
                                        let _ = tx.send(Heard::Connected(Box::new(node)));
                                    }
                                    Err(e) => eprintln!("peer {index} (reference) could not dial {addr}: {e:#}"),
                                }
                            });
                        }
                        Some(Cmd::Publish(data)) => {
                            runtime.handle_message(now, NodeId::client(0), RefMsg::Publish { topic: TOPIC.into(), data });
                        }
                        Some(Cmd::Mesh(reply)) => {
                            let _ = reply.send(runtime.node().status().mesh.get(TOPIC).map_or(0, |m| m.len()));
                        }
                    }
                }
                Some(h) = heard.recv() => match h {
                    Heard::Connected(node) => {
                        let peer = NodeId::new(node.remote.to_string());
                        let Ok(meshsub) = MeshsubPeer::start(*node).map(Arc::new) else { continue };
                        let (w_tx, mut w_rx) = mpsc::unbounded_channel::<Vec<u8>>();
                        let writer = meshsub.clone();
                        tokio::spawn(async move {
                            while let Some(body) = w_rx.recv().await {
                                if writer.send_encoded(&body).await.is_err() {
                                    return;
                                }
                            }
                        });
                        let (reader, tx, from) = (meshsub, heard_tx.clone(), peer.clone());
                        tokio::spawn(async move {
                            while let Ok(body) = reader.wait_for(Duration::from_secs(3600), |f| Some(f.bytes[f.prefix..].to_vec())).await {
                                if tx.send(Heard::Frame(from.clone(), body)).is_err() {
                                    return;
                                }
                            }
                        });
                        // The host tells the node of the connection (libp2p's
                        // "connection established"); the node sends the peer its
                        // subscriptions.
                        writers.insert(peer.clone(), w_tx);
                        runtime.handle_message(start.elapsed(), NodeId::client(0), RefMsg::PeerUp { peer });
                    }
                    Heard::Frame(from, frame) => {
                        let now = start.elapsed();
                        runtime.handle_message(now, from, RefMsg::Rpc { frame });
                        runtime.handle_message(now, NodeId::client(0), RefMsg::Take);
                    }
                },
                () = async { match due { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => {
                    runtime.handle_timeout(start.elapsed());
                }
            }
        }
    });
    Ok(Peer { kind: Kind::Reference, port, cmds })
}

/// The text of line `i`, published by `peer`: short, as a chat line.
pub fn line_text(i: usize, peer: usize) -> Vec<u8> {
    format!("line {i:03} from peer {peer:02}: hello, room").into_bytes()
}

/// Runs one room as `plan` says and measures it. Every task it starts runs on the
/// current tokio runtime and lives until that runtime ends: run each room on a runtime
/// of its own.
pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let edges = links(plan.n, plan.k, plan.seed);
    anyhow::ensure!(
        connected(plan.n, &edges),
        "seed {}: the random links do not join all {} peers; pick another seed",
        plan.seed,
        plan.n
    );
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let (sink, mut deliveries) = mpsc::unbounded_channel::<Delivery>();
    let frames = Arc::new(AtomicU64::new(0));
    let mut peers = Vec::with_capacity(plan.n);
    for i in 0..plan.n {
        let secret: [u8; 32] = rng.random();
        let peer = match plan.mix.kind_of(i) {
            Kind::Libp2p => start_libp2p(i, secret, sink.clone()).await?,
            Kind::Reference => start_reference(i, secret, plan.seed ^ i as u64, sink.clone(), frames.clone()).await?,
        };
        peers.push(peer);
    }
    let bytes = Arc::new(Bytes::default());
    for &(a, b) in &edges {
        let relay = count_link(SocketAddr::from(([127, 0, 0, 1], peers[b].port)), bytes.clone()).await?;
        peers[a].dial(relay);
    }

    tokio::time::sleep(plan.warm_up).await;
    let mut mesh = Vec::with_capacity(plan.n);
    for p in &peers {
        mesh.push(p.mesh().await);
    }
    // Anything delivered so far is not a line.
    while deliveries.try_recv().is_ok() {}

    let idle_start = (bytes.total(), frames.load(Ordering::Relaxed));
    tokio::time::sleep(plan.window).await;
    let busy_start = (bytes.total(), frames.load(Ordering::Relaxed));
    let window_end = tokio::time::Instant::now() + plan.window;
    let mut sent: Vec<(usize, Instant)> = Vec::with_capacity(plan.lines);
    let mut by_text: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for i in 0..plan.lines {
        let from = rng.random_range(0..plan.n);
        let text = line_text(i, from);
        by_text.insert(text.clone(), i);
        sent.push((from, Instant::now()));
        peers[from].publish(text);
        tokio::time::sleep(plan.interval).await;
    }
    tokio::time::sleep_until(window_end).await;
    let busy_end = (bytes.total(), frames.load(Ordering::Relaxed));

    let expected = plan.lines * (plan.n - 1);
    let mut got: BTreeMap<(usize, usize), Instant> = BTreeMap::new();
    let give_up = tokio::time::Instant::now() + plan.grace;
    loop {
        while let Ok((peer, data, at)) = deliveries.try_recv() {
            if let Some(&line) = by_text.get(&data) {
                got.entry((line, peer)).or_insert(at);
            }
        }
        if got.len() >= expected || tokio::time::Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut latencies = Vec::with_capacity(got.len());
    let mut missing = Vec::new();
    for (line, &(from, at)) in sent.iter().enumerate() {
        for peer in (0..plan.n).filter(|&p| p != from) {
            match got.get(&(line, peer)) {
                Some(&when) => latencies.push(when.saturating_duration_since(at)),
                None => missing.push((line, peer)),
            }
        }
    }
    Ok(Report {
        links: edges.len(),
        mesh,
        latencies,
        expected,
        missing,
        idle_bytes: busy_start.0 - idle_start.0,
        busy_bytes: busy_end.0 - busy_start.0,
        idle_frames: busy_start.1 - idle_start.1,
        busy_frames: busy_end.1 - busy_start.1,
    })
}

/// Says which lines did not reach which peers, and of what kind each peer was.
pub fn describe_missing(plan: &Plan, report: &Report) -> String {
    let shown: Vec<String> = report
        .missing
        .iter()
        .take(20)
        .map(|&(line, peer)| format!("line {line} never reached peer {peer} ({})", plan.mix.kind_of(peer)))
        .collect();
    format!(
        "{} of {} deliveries missing in the {} room of {} (seed {}): {}",
        report.missing.len(),
        report.expected,
        plan.mix.name(),
        plan.n,
        plan.seed,
        shown.join("; ")
    )
}

/// Checks the meshes formed: every peer has at least one mesh peer.
pub fn check_meshes(plan: &Plan, report: &Report) -> anyhow::Result<()> {
    let empty: Vec<usize> = (0..plan.n).filter(|&i| report.mesh[i] == 0).collect();
    anyhow::ensure!(
        empty.is_empty(),
        "after {:?} peers {empty:?} of the {} room (seed {}) have no mesh peer: the routers did not graft",
        plan.warm_up,
        plan.mix.name(),
        plan.seed
    );
    Ok(())
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Libp2p => "rust-libp2p",
            Kind::Reference => "reference",
        })
    }
}
