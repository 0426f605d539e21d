//! A packet-level internet with NATs, for hole punching and relays.
//!
//! The [simulator](crate::sim) names nodes and delivers messages between them; a NAT
//! is about addresses, so this module has its own small world: nodes send UDP-like
//! datagrams (bytes) to socket addresses, and nodes behind a NAT ([`NatId`]) reach the
//! internet only through it. Each NAT behaves as one of the four classic types, which
//! RFC 4787 describes as a *mapping* behaviour (does the NAT reuse one public port
//! for every destination?) and a *filtering* behaviour (whose packets may come in
//! through that port?):
//!
//! | [`NatKind`] | mapping | filtering |
//! |---|---|---|
//! | `FullCone` | endpoint-independent | endpoint-independent: anyone |
//! | `AddressRestricted` | endpoint-independent | from an IP address the host has sent to |
//! | `PortRestricted` | endpoint-independent | from an IP address and port the host has sent to |
//! | `Symmetric` | a new public port per destination | from that destination only |
//!
//! Symmetric NATs pick their ports at random, so a peer cannot predict the port it
//! will be seen from. Mappings do not expire (real ones do after tens of seconds to
//! minutes of silence; keepalives are a separate concern).
//!
//! The internet hosts ordinary [`Node`]s whose messages are
//! [datagrams](crate::udp::Datagram), named as [`kit::udp`](crate::udp) names them: a
//! node's [`NodeId`] is its socket address as text, a message from `198.51.100.7:40001`
//! comes from the id `"198.51.100.7:40001"`, and a message to such an id leaves as one
//! datagram to that address ([`Internet::add_public_node`], [`Internet::add_node_behind`]).
//! So a node checked here also runs over a real UDP socket with [`crate::udp::spawn`],
//! unchanged. What travels between nodes is bytes, as on a real network, so nodes of
//! different types (each with its own message and timer types) share one internet.
//! Each node has one [`Context`] for its life, and its timers wait in one timer table,
//! ordered with the datagrams.
//!
//! Time is simulated and every random choice comes from the seed, as in the simulator.
//! No packet touches a real network. An inside host's address is only a label. A home
//! network would number its hosts from RFC 1918's private ranges (RFC 6598's
//! 100.64.0.0/10 belongs to the ISP's side of a home router, not inside it), but the
//! handbook's code names no address a real network uses: inside hosts take RFC 2544's
//! benchmarking range 198.18.0.0/15, the one its network-namespace tests use, and
//! public hosts the documentation ranges of RFC 5737.
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddrV4};
//! use std::time::Duration;
//! use kit::nat::{Internet, NatKind, Packet};
//! use kit::{Context, Node, NodeId};
//!
//! /// Answers every datagram with "pong", to whoever it seems to come from.
//! struct Echo;
//! impl Node for Echo {
//!     type Message = Packet;
//!     type Timer = ();
//!     fn on_message(&mut self, ctx: &mut Context<Packet, ()>, from: NodeId, _: Packet) {
//!         ctx.send(from, Packet(b"pong".to_vec()));
//!     }
//! }
//!
//! /// Sends one "ping" when it starts and remembers who answered.
//! struct Pinger { to: NodeId, answered_by: Option<NodeId> }
//! impl Node for Pinger {
//!     type Message = Packet;
//!     type Timer = ();
//!     fn on_start(&mut self, ctx: &mut Context<Packet, ()>) {
//!         ctx.send(self.to.clone(), Packet(b"ping".to_vec()));
//!     }
//!     fn on_message(&mut self, _: &mut Context<Packet, ()>, from: NodeId, _: Packet) {
//!         self.answered_by = Some(from);
//!     }
//! }
//!
//! let server: SocketAddrV4 = "203.0.113.1:3478".parse().unwrap();
//! let mut net = Internet::new(1, Duration::from_millis(20));
//! net.add_public_node(server, Echo);
//! let nat = net.add_nat(Ipv4Addr::new(198, 51, 100, 7), NatKind::PortRestricted);
//! let to = kit::udp::node_id(server.into());
//! let pinger = net.add_node_behind(nat, "198.18.1.2:5000".parse().unwrap(), Pinger { to: to.clone(), answered_by: None });
//! net.run_for(Duration::from_secs(1));
//! assert_eq!(net.node::<Pinger>(pinger).unwrap().answered_by, Some(to));
//! ```

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::deadlines::Deadlines;
use crate::node::{Context, Node, NodeId, NodeRng, TimerId};
use crate::sim::Scheduled;
use crate::udp::{Datagram, node_id, socket_addr};

/// The four classic NAT types. See the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NatKind {
    FullCone,
    AddressRestricted,
    PortRestricted,
    Symmetric,
}

impl NatKind {
    /// Every kind, from the most to the least permissive.
    pub const ALL: [NatKind; 4] =
        [NatKind::FullCone, NatKind::AddressRestricted, NatKind::PortRestricted, NatKind::Symmetric];
}

/// A datagram as a message: the bytes, for nodes that read and write their own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet(pub Vec<u8>);

impl Datagram for Packet {
    fn from_datagram(bytes: Vec<u8>) -> Packet {
        Packet(bytes)
    }

    fn into_datagram(self) -> Result<Vec<u8>, Packet> {
        Ok(self.0)
    }
}

/// The IPv4 socket address a node id names, if it names one.
fn v4(id: &NodeId) -> Option<SocketAddrV4> {
    match socket_addr(id)? {
        SocketAddr::V4(addr) => Some(addr),
        SocketAddr::V6(_) => None,
    }
}

/// What one callback of a hosted node asked for, in the internet's terms: timers by
/// handle and deadline, and datagrams (`None` for a message that is not one).
#[derive(Default)]
struct Asked {
    timers: Vec<(TimerId, Duration)>,
    cancelled: Vec<TimerId>,
    datagrams: Vec<(NodeId, Option<Vec<u8>>)>,
}

/// A node as the internet hosts it: bytes in, bytes out. Its message and timer types
/// stay inside, so nodes of different types share one internet.
trait Hosted {
    fn start(&mut self, now: Duration, me: NodeId, seed: u64) -> Asked;
    fn message(&mut self, now: Duration, from: NodeId, bytes: Vec<u8>) -> Asked;
    /// The timer `handle` is due: fire it, unless it was cancelled.
    fn timer(&mut self, now: Duration, handle: TimerId) -> Asked;
    /// The node, for a downcast ([`Internet::node`]).
    fn node(&self) -> &dyn Any;
}

/// A node, its one context (made when it starts), and its pending timers by handle.
struct Hosting<N: Node> {
    node: N,
    ctx: Option<Context<N::Message, N::Timer>>,
    timers: HashMap<TimerId, N::Timer>,
}

impl<N: Node> Hosting<N>
where
    N::Message: Datagram,
{
    /// Runs one callback, then reads the context with [`Context::drain`] as every
    /// driver does.
    fn call(&mut self, now: Duration, f: impl FnOnce(&mut N, &mut Context<N::Message, N::Timer>)) -> Asked {
        let ctx = self.ctx.as_mut().expect("started");
        ctx.set_now(now);
        f(&mut self.node, ctx);
        let mut requests = ctx.drain();
        let mut asked = Asked::default();
        for (handle, at, timer) in requests.numbered_timers() {
            self.timers.insert(handle, timer);
            asked.timers.push((handle, at));
        }
        for handle in requests.cancelled {
            self.timers.remove(&handle);
            asked.cancelled.push(handle);
        }
        asked.datagrams = requests.messages.into_iter().map(|(to, m)| (to, m.into_datagram().ok())).collect();
        asked
    }
}

impl<N: Node + Any> Hosted for Hosting<N>
where
    N::Message: Datagram,
{
    fn start(&mut self, now: Duration, me: NodeId, seed: u64) -> Asked {
        self.ctx = Some(Context::new(me, Vec::new(), seed));
        self.call(now, |n, ctx| n.on_start(ctx))
    }

    fn message(&mut self, now: Duration, from: NodeId, bytes: Vec<u8>) -> Asked {
        let message = N::Message::from_datagram(bytes);
        self.call(now, |n, ctx| n.on_message(ctx, from, message))
    }

    fn timer(&mut self, now: Duration, handle: TimerId) -> Asked {
        match self.timers.remove(&handle) {
            Some(timer) => self.call(now, |n, ctx| n.on_timer(ctx, timer)),
            None => Asked::default(),
        }
    }

    fn node(&self) -> &dyn Any {
        &self.node
    }
}

/// Which node, in the order added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostId(usize);

/// Which NAT, in the order added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NatId(usize);

/// One NAT device: a public IP address and its translation state.
#[derive(Debug)]
struct Nat {
    ip: Ipv4Addr,
    kind: NatKind,
    /// (inside address, destination for symmetric NATs) → public port.
    mappings: HashMap<(SocketAddrV4, Option<SocketAddrV4>), u16>,
    /// Public port → (inside address, the only destination allowed back for symmetric NATs).
    ports: HashMap<u16, (SocketAddrV4, Option<SocketAddrV4>)>,
    /// For each (public port, remote IP) the inside host has sent to, the remote
    /// ports: the address-restricted filter asks for the key, the port-restricted
    /// one for a port under it.
    sent_to: HashMap<(u16, Ipv4Addr), HashSet<u16>>,
    next_port: u16,
}

/// Counts of what happened to datagrams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub sent: u64,
    pub delivered: u64,
    /// Dropped by a NAT's filter (or for an unmapped port).
    pub filtered: u64,
    /// Lost on the wire, or sent to an address where nothing listens.
    pub lost: u64,
}

struct Slot {
    node: Box<dyn Hosted>,
    local: SocketAddrV4,
    nat: Option<usize>,
    started: bool,
}

/// A datagram on its way. (Timers wait in a [`Deadlines`] table, ordered with the
/// datagrams by one counter, as in the simulator.)
struct Event {
    from: SocketAddrV4,
    to: SocketAddrV4,
    payload: Vec<u8>,
}

/// The internet: public nodes, NATs and the nodes behind them.
pub struct Internet {
    now: Duration,
    latency: Duration,
    loss: f64,
    rng: NodeRng,
    seed: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<Scheduled<Event>>>,
    /// Every node's pending timers, under (node, handle); the timers themselves wait
    /// in their node's [`Hosting`].
    timers: Deadlines<(usize, TimerId), ()>,
    hosts: Vec<Slot>,
    public: HashMap<SocketAddrV4, usize>,
    nats: Vec<Nat>,
    nat_by_ip: HashMap<Ipv4Addr, usize>,
    /// (NAT, inside address) → node.
    inside: HashMap<(usize, SocketAddrV4), usize>,
    counters: Counters,
}

impl Internet {
    /// An empty internet whose every hop (node to NAT to node) takes `latency`.
    pub fn new(seed: u64, latency: Duration) -> Internet {
        Internet {
            now: Duration::ZERO,
            latency,
            loss: 0.0,
            rng: NodeRng::seed_from_u64(seed),
            seed,
            seq: 0,
            queue: BinaryHeap::new(),
            timers: Deadlines::new(),
            hosts: Vec::new(),
            public: HashMap::new(),
            nats: Vec::new(),
            nat_by_ip: HashMap::new(),
            inside: HashMap::new(),
            counters: Counters::default(),
        }
    }

    /// Loses each datagram with probability `loss`.
    pub fn set_loss(&mut self, loss: f64) {
        self.loss = loss;
    }

    /// Adds a node with a public address, which is also its [`NodeId`].
    pub fn add_public_node<N>(&mut self, addr: SocketAddrV4, node: N) -> HostId
    where
        N: Node + Any,
        N::Message: Datagram,
    {
        let id = self.push(node, addr, None);
        self.public.insert(addr, id);
        HostId(id)
    }

    /// Adds a NAT with public IP `ip`.
    pub fn add_nat(&mut self, ip: Ipv4Addr, kind: NatKind) -> NatId {
        self.nats.push(Nat {
            ip,
            kind,
            mappings: HashMap::new(),
            ports: HashMap::new(),
            sent_to: HashMap::new(),
            next_port: 40_000,
        });
        self.nat_by_ip.insert(ip, self.nats.len() - 1);
        NatId(self.nats.len() - 1)
    }

    /// Adds a node at private address `local` behind `nat`; `local` is its
    /// [`NodeId`], and others see it at the address its NAT maps it to.
    pub fn add_node_behind<N>(&mut self, nat: NatId, local: SocketAddrV4, node: N) -> HostId
    where
        N: Node + Any,
        N::Message: Datagram,
    {
        let id = self.push(node, local, Some(nat.0));
        self.inside.insert((nat.0, local), id);
        HostId(id)
    }

    fn push<N>(&mut self, node: N, local: SocketAddrV4, nat: Option<usize>) -> usize
    where
        N: Node + Any,
        N::Message: Datagram,
    {
        let node = Box::new(Hosting { node, ctx: None, timers: HashMap::new() });
        self.hosts.push(Slot { node, local, nat, started: false });
        self.hosts.len() - 1
    }

    /// The node `id`, if it is of type `N`.
    pub fn node<N: Any>(&self, id: HostId) -> Option<&N> {
        self.hosts[id.0].node.node().downcast_ref::<N>()
    }

    /// The simulated time.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// What happened to datagrams so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Runs everything due within `duration`.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        self.start_pending();
        loop {
            // The earlier of the next datagram and the next timer; of two due at once,
            // the one scheduled first.
            let datagram = self.queue.peek().map(|Reverse(next)| (next.at, next.seq));
            let (at, timer_first) = match (datagram, self.timers.next_place()) {
                (Some(d), Some(t)) => (d.0.min(t.0), t < d),
                (None, Some(t)) => (t.0, true),
                (Some(d), None) => (d.0, false),
                (None, None) => break,
            };
            if at > end {
                break;
            }
            self.now = at;
            if timer_first {
                let Some((_, (host, handle), ())) = self.timers.pop() else { break };
                let now = self.now;
                let asked = self.hosts[host].node.timer(now, handle);
                self.carry_out(host, asked);
            } else {
                let Some(Reverse(Scheduled { event, .. })) = self.queue.pop() else { break };
                self.arrive(event.from, event.to, event.payload);
            }
            self.start_pending();
        }
        self.now = end;
    }

    fn start_pending(&mut self) {
        for i in 0..self.hosts.len() {
            if !self.hosts[i].started {
                self.hosts[i].started = true;
                let seed = self.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let me = node_id(SocketAddr::V4(self.hosts[i].local));
                let asked = self.hosts[i].node.start(self.now, me, seed);
                self.carry_out(i, asked);
            }
        }
    }

    fn schedule(&mut self, at: Duration, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq: self.seq, event }));
    }

    /// Carries out what one callback of node `i` asked: timers, cancels, then
    /// datagrams.
    fn carry_out(&mut self, i: usize, asked: Asked) {
        let now = self.now;
        let (local, nat) = (self.hosts[i].local, self.hosts[i].nat);
        for (handle, at) in asked.timers {
            self.seq += 1;
            self.timers.insert_ordered(at, self.seq, (i, handle), ());
        }
        for handle in asked.cancelled {
            self.timers.cancel(&(i, handle));
        }
        for (to, payload) in asked.datagrams {
            self.counters.sent += 1;
            // Only a datagram to an IPv4 socket address can leave; anything else is lost.
            let (Some(to), Some(payload)) = (v4(&to), payload) else {
                self.counters.lost += 1;
                continue;
            };
            let from = match nat {
                Some(n) => self.translate_out(n, local, to),
                None => local,
            };
            if self.loss > 0.0 && self.rng.random_bool(self.loss.min(1.0)) {
                self.counters.lost += 1;
                continue;
            }
            self.schedule(now + self.latency, Event { from, to, payload });
        }
    }

    /// Delivers `payload` from `from` to node `i`.
    fn deliver(&mut self, i: usize, from: SocketAddrV4, payload: Vec<u8>) {
        self.counters.delivered += 1;
        let now = self.now;
        let asked = self.hosts[i].node.message(now, node_id(SocketAddr::V4(from)), payload);
        self.carry_out(i, asked);
    }

    /// The public address a datagram from `local` to `to` leaves `nat` with.
    fn translate_out(&mut self, n: usize, local: SocketAddrV4, to: SocketAddrV4) -> SocketAddrV4 {
        let nat = &mut self.nats[n];
        let key = (local, (nat.kind == NatKind::Symmetric).then_some(to));
        let port = match nat.mappings.get(&key) {
            Some(&port) => port,
            None => {
                let port = if nat.kind == NatKind::Symmetric {
                    // Random ports: a symmetric NAT's next port cannot be guessed.
                    loop {
                        let port = self.rng.random_range(1024..=u16::MAX);
                        if !nat.ports.contains_key(&port) {
                            break port;
                        }
                    }
                } else {
                    nat.next_port += 1;
                    nat.next_port
                };
                nat.mappings.insert(key, port);
                nat.ports.insert(port, key);
                port
            }
        };
        nat.sent_to.entry((port, *to.ip())).or_default().insert(to.port());
        SocketAddrV4::new(nat.ip, port)
    }

    fn arrive(&mut self, from: SocketAddrV4, to: SocketAddrV4, payload: Vec<u8>) {
        if let Some(&i) = self.public.get(&to) {
            return self.deliver(i, from, payload);
        }
        let Some(&n) = self.nat_by_ip.get(to.ip()) else {
            self.counters.lost += 1;
            return;
        };
        let nat = &self.nats[n];
        let Some(&(inside, only_from)) = nat.ports.get(&to.port()) else {
            self.counters.filtered += 1;
            return;
        };
        let allowed = match nat.kind {
            NatKind::FullCone => true,
            NatKind::AddressRestricted => nat.sent_to.contains_key(&(to.port(), *from.ip())),
            NatKind::PortRestricted => {
                nat.sent_to.get(&(to.port(), *from.ip())).is_some_and(|ports| ports.contains(&from.port()))
            }
            NatKind::Symmetric => only_from == Some(from),
        };
        if !allowed {
            self.counters.filtered += 1;
            return;
        }
        match self.inside.get(&(n, inside)) {
            Some(&i) => self.deliver(i, from, payload),
            None => self.counters.lost += 1,
        }
    }
}
