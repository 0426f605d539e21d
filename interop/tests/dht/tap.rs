//! The reference DHT node (solutions/04-dht) on a real UDP socket, with a tap: every
//! KRPC message it receives and sends is decoded and logged with the time, and its
//! routing table and stored peers are copied out after every callback, so a test can
//! say what crossed the wire and what the node made of it. Shared by tests/dht.rs and
//! examples/dht_compare.rs.
//!
//! Mainline nodes are built here too, always with an explicit bootstrap list on
//! 127.0.0.1 (or none): mainline's default bootstrap nodes are public hosts, and a test
//! must never reach them.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dht_solution::{Body, Contact, DhtNode, Id, Message, Msg, Query, Timer};
use kit::rand::SeedableRng;
use kit::udp::{self, UdpConfig, UdpHandle};
use kit::{Context, Node, NodeId, NodeRng};
use mainline::async_dht::AsyncDht;

/// What went through one reference node.
#[derive(Default)]
pub struct Seen {
    /// Every KRPC message received, with its sender and when.
    pub received: Vec<(Instant, SocketAddrV4, Message)>,
    /// Every KRPC message sent, with its destination and when.
    pub sent: Vec<(Instant, SocketAddrV4, Message)>,
    /// The routing table after the last callback.
    pub table: Vec<Contact>,
    /// The peers stored for each watched info-hash after the last callback.
    pub stored: BTreeMap<Id, Vec<SocketAddrV4>>,
}

impl Seen {
    /// Whether the table holds `id`.
    pub fn has(&self, id: &Id) -> bool {
        self.table.iter().any(|c| c.id == *id)
    }

    /// The queries received from `from`.
    pub fn queries_from(&self, from: SocketAddrV4) -> Vec<&Message> {
        self.received
            .iter()
            .filter(|(_, a, m)| *a == from && matches!(m.body, Body::Query(_)))
            .map(|(_, _, m)| m)
            .collect()
    }

    /// The queries sent to `to`.
    pub fn queries_to(&self, to: SocketAddrV4) -> Vec<&Message> {
        self.sent.iter().filter(|(_, a, m)| *a == to && matches!(m.body, Body::Query(_))).map(|(_, _, m)| m).collect()
    }

    /// Whether a response to `query` came back from `from`.
    pub fn answered(&self, from: SocketAddrV4, query: &Message) -> bool {
        self.received.iter().any(|(_, a, m)| *a == from && m.t == query.t && matches!(m.body, Body::Response(_)))
    }

    /// Whether this node replied (response or error) to `query` from `to`.
    pub fn replied(&self, to: SocketAddrV4, query: &Message) -> bool {
        self.sent.iter().any(|(_, a, m)| *a == to && m.t == query.t && !matches!(m.body, Body::Query(_)))
    }
}

/// A reference node whose every callback is recorded in a shared [`Seen`].
pub struct Tapped {
    inner: DhtNode,
    seen: Arc<Mutex<Seen>>,
    watch: Vec<Id>,
}

fn v4(id: &NodeId) -> Option<SocketAddrV4> {
    match udp::socket_addr(id)? {
        SocketAddr::V4(a) => Some(a),
        SocketAddr::V6(_) => None,
    }
}

impl Tapped {
    /// After a callback: log what the node sends, copy its table. What the node asked
    /// is taken out of the context with `drain` (the one way to read one) and asked
    /// again, in the same order, for the driver. Timers set again get new handles, so
    /// the node must not cancel a timer by the handle it was given (the reference DHT
    /// node never cancels).
    fn record(&mut self, ctx: &mut Context<Msg, Timer>) {
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("tap lock");
        let asked = ctx.drain();
        for (to, message) in asked.messages {
            if let (Msg::Krpc(bytes), Some(addr)) = (&message, v4(&to))
                && let Ok(decoded) = Message::decode(bytes)
            {
                seen.sent.push((now, addr, decoded));
            }
            ctx.send(to, message);
        }
        for (at, timer) in asked.timers {
            ctx.set_timer(at.saturating_sub(ctx.now()), timer);
        }
        for id in asked.cancelled {
            ctx.cancel_timer(id);
        }
        for key in asked.observed {
            ctx.observe(key);
        }
        seen.table = (0..Id::BITS).flat_map(|i| self.inner.table().bucket(i).iter().copied()).collect();
        for hash in &self.watch {
            seen.stored.insert(*hash, self.inner.stored_peers(hash).to_vec());
        }
    }
}

impl Node for Tapped {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        self.inner.on_start(ctx);
        self.record(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        if let (Msg::Krpc(bytes), Some(addr)) = (&message, v4(&from))
            && let Ok(decoded) = Message::decode(bytes)
        {
            self.seen.lock().expect("tap lock").received.push((Instant::now(), addr, decoded));
        }
        self.inner.on_message(ctx, from, message);
        self.record(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        self.inner.on_timer(ctx, timer);
        self.record(ctx);
    }
}

/// A running reference node: its handle (for lookups), its id and address, its tap.
pub struct Reference {
    pub handle: UdpHandle<Msg>,
    pub id: Id,
    pub addr: SocketAddrV4,
    pub seen: Arc<Mutex<Seen>>,
    next_client: usize,
}

/// Starts a reference node on 127.0.0.1 that joins through `bootstrap`, watching the
/// stored peers of `watch`.
pub async fn reference(seed: u64, bootstrap: &[SocketAddrV4], watch: &[Id]) -> Reference {
    let id = Id::random(&mut NodeRng::seed_from_u64(seed));
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind a UDP socket on loopback");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let bootstrap = bootstrap.iter().map(|a| udp::node_id(SocketAddr::V4(*a))).collect();
    let node = Tapped { inner: DhtNode::new(id, bootstrap), seen: seen.clone(), watch: watch.to_vec() };
    let handle =
        udp::spawn(node, socket, UdpConfig { seed, ..UdpConfig::default() }).expect("spawn the reference node");
    let SocketAddr::V4(addr) = handle.addr() else { unreachable!("bound to 127.0.0.1") };
    Reference { handle, id, addr, seen, next_client: 0 }
}

/// What a reference lookup returned.
#[derive(Debug)]
pub struct Found {
    pub nodes: Vec<Id>,
    pub rounds: u32,
    pub queries: u32,
    pub elapsed: Duration,
}

impl Reference {
    fn client(&mut self) -> NodeId {
        self.next_client += 1;
        NodeId::client(self.next_client)
    }

    /// Sends `request` and waits (at most 30 s) for the answer `pick` accepts.
    pub async fn ask<T>(&mut self, request: Msg, pick: impl Fn(Msg) -> Option<T>) -> T {
        let client = self.client();
        assert!(self.handle.send(client.clone(), request), "the reference node stopped");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.handle.recv()).await {
                Ok(Some((to, message))) if to == client => {
                    if let Some(answer) = pick(message) {
                        return answer;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("the reference node stopped"),
                Err(_) => panic!("the reference node did not answer within 30 s"),
            }
        }
    }

    /// An iterative lookup of `target` from this node.
    pub async fn find(&mut self, target: Id) -> Found {
        let started = Instant::now();
        self.ask(Msg::FindClosest { target }, |m| match m {
            Msg::Closest { nodes, rounds, queries, .. } => {
                Some(Found { nodes, rounds, queries, elapsed: started.elapsed() })
            }
            _ => None,
        })
        .await
    }

    /// Announces this node as a peer of `info_hash` on `port`: how many nodes stored it.
    pub async fn announce(&mut self, info_hash: Id, port: u16) -> usize {
        self.ask(Msg::Announce { info_hash, port }, |m| match m {
            Msg::Announced { stored, .. } => Some(stored),
            _ => None,
        })
        .await
    }

    /// The peers of `info_hash`.
    pub async fn get_peers(&mut self, info_hash: Id) -> Vec<SocketAddrV4> {
        self.ask(Msg::GetPeers { info_hash }, |m| match m {
            Msg::Peers { peers, .. } => Some(peers),
            _ => None,
        })
        .await
    }

    /// Waits (at most `limit`) until `ready` holds for what the tap saw.
    pub async fn until(&self, limit: Duration, ready: impl Fn(&Seen) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if ready(&self.seen.lock().expect("tap lock")) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A mainline node in server mode on 127.0.0.1 (an ephemeral port) that joins through
/// `bootstrap` only; with none, it starts a network of its own.
pub fn mainline(bootstrap: &[SocketAddrV4]) -> AsyncDht {
    let mut builder = mainline::Dht::builder();
    builder.bind_address(Ipv4Addr::LOCALHOST).port(0).server_mode();
    if bootstrap.is_empty() {
        builder.no_bootstrap();
    } else {
        builder.bootstrap(bootstrap);
    }
    builder.build().expect("start a mainline node on loopback").as_async()
}

/// A mainline node's id and address.
pub async fn whoami(node: &AsyncDht) -> (Id, SocketAddrV4) {
    let info = node.info().await;
    (Id(*info.id().as_bytes()), info.local_addr())
}

/// Our id as mainline's.
pub fn to_mainline(id: Id) -> mainline::Id {
    mainline::Id::from_bytes(id.0).expect("20 bytes")
}

/// The ids of `all`, closest to `target` first, the first `n`.
pub fn closest(all: &[Id], target: &Id, n: usize) -> Vec<Id> {
    let mut sorted = all.to_vec();
    sorted.sort_by_key(|id| id.distance(target));
    sorted.truncate(n);
    sorted
}

/// How many queries of each method a list of messages holds.
pub fn methods(messages: &[&Message]) -> HashMap<&'static str, usize> {
    let mut count = HashMap::new();
    for m in messages {
        let name = match &m.body {
            Body::Query(Query::Ping { .. }) => "ping",
            Body::Query(Query::FindNode { .. }) => "find_node",
            Body::Query(Query::GetPeers { .. }) => "get_peers",
            Body::Query(Query::AnnouncePeer { .. }) => "announce_peer",
            _ => continue,
        };
        *count.entry(name).or_default() += 1;
    }
    count
}
