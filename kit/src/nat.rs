//! A packet-level internet with NATs, for hole punching and relays.
//!
//! The [simulator](crate::sim) names nodes and delivers messages between them; a NAT
//! is about addresses, so this module has its own small world: [`Host`]s send UDP-like
//! datagrams (bytes) to socket addresses, and hosts behind a NAT ([`NatId`]) reach the
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
//! datagram to that address ([`Internet::with_nodes`], [`Internet::add_public_node`],
//! [`Internet::add_node_behind`]). So a node checked here also runs over a real UDP
//! socket with [`crate::udp::spawn`], unchanged. Each node has one [`Context`] for its
//! life, and its timers wait in the kit's one timer table, ordered with the datagrams.
//! [`Host`] is the older, address-typed shape of the same callbacks (bytes and
//! [`SocketAddrV4`]s, `u64` timer tags); an `Internet::new` hosts `Host`s, each run as a
//! `Node` of [`Packet`]s.
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
//! use kit::nat::{Host, HostContext, Internet, NatKind};
//!
//! /// Answers every datagram with "pong", to whoever it seems to come from.
//! struct Echo;
//! impl Host for Echo {
//!     fn on_packet(&mut self, ctx: &mut HostContext, from: SocketAddrV4, _: &[u8]) {
//!         ctx.send(from, b"pong".to_vec());
//!     }
//! }
//!
//! /// Sends one "ping" when it starts and remembers who answered.
//! struct Pinger { to: SocketAddrV4, answered_by: Option<SocketAddrV4> }
//! impl Host for Pinger {
//!     fn on_start(&mut self, ctx: &mut HostContext) {
//!         ctx.send(self.to, b"ping".to_vec());
//!     }
//!     fn on_packet(&mut self, _: &mut HostContext, from: SocketAddrV4, _: &[u8]) {
//!         self.answered_by = Some(from);
//!     }
//! }
//!
//! let server: SocketAddrV4 = "203.0.113.1:3478".parse().unwrap();
//! let mut net = Internet::new(1, Duration::from_millis(20));
//! net.add_public(server, Echo);
//! let nat = net.add_nat(Ipv4Addr::new(198, 51, 100, 7), NatKind::PortRestricted);
//! let pinger = net.add_behind(nat, "198.18.1.2:5000".parse().unwrap(), Pinger { to: server, answered_by: None });
//! net.run_for(Duration::from_secs(1));
//! assert_eq!(net.host::<Pinger>(pinger).unwrap().answered_by, Some(server));
//! ```

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use rand::{RngExt, SeedableRng};

use std::fmt::Debug;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::deadlines::Deadlines;
use crate::node::{Context, Message, Node, NodeId, NodeRng, TimerId};
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

/// A participant: a peer, a server, a relay. Like [`crate::Node`], it is called when
/// something happens and asks its [`HostContext`] to send datagrams and set timers.
pub trait Host: Any {
    /// Called once when the simulation starts (or when the host is added later).
    fn on_start(&mut self, ctx: &mut HostContext) {
        let _ = ctx;
    }

    /// A datagram arrived. `from` is where it seems to come from: after NAT, the
    /// sender's public address and port, not its private one.
    fn on_packet(&mut self, ctx: &mut HostContext, from: SocketAddrV4, payload: &[u8]);

    /// A timer set with [`HostContext::set_timer`] fired, with the tag it was set with.
    fn on_timer(&mut self, ctx: &mut HostContext, tag: u64) {
        let _ = (ctx, tag);
    }
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

/// What a host can see and do during a callback: a view of its node's one
/// [`Context`] in addresses and bytes.
pub struct HostContext {
    local: SocketAddrV4,
    ctx: Context<Packet, u64>,
}

impl HostContext {
    /// A context for a host at `local`. Only the [`Internet`] makes them: it lends
    /// each callback a view of the node's one context, and reads that context with
    /// [`Context::drain`] as every driver does.
    fn new(local: SocketAddrV4, seed: u64) -> HostContext {
        HostContext { local, ctx: Context::new(node_id(SocketAddr::V4(local)), Vec::new(), seed) }
    }

    /// The simulated time.
    pub fn now(&self) -> Duration {
        self.ctx.now()
    }

    /// This host's own address: private, if it is behind a NAT.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    /// Sends `payload` to `to`. It may be translated, filtered or lost on the way.
    pub fn send(&mut self, to: SocketAddrV4, payload: Vec<u8>) {
        self.ctx.send(node_id(SocketAddr::V4(to)), Packet(payload));
    }

    /// Asks for `on_timer(tag)` after `after`.
    pub fn set_timer(&mut self, after: Duration, tag: u64) {
        self.ctx.set_timer(after, tag);
    }

    /// Random numbers, seeded by the simulation.
    pub fn rng(&mut self) -> &mut NodeRng {
        self.ctx.rng()
    }
}

/// The IPv4 socket address a node id names, if it names one.
fn v4(id: &NodeId) -> Option<SocketAddrV4> {
    match socket_addr(id)? {
        SocketAddr::V4(addr) => Some(addr),
        SocketAddr::V6(_) => None,
    }
}

/// A [`Host`] run as a [`Node`] of [`Packet`]s: each callback lends the node's context
/// to the host's [`HostContext`] view and takes it back.
struct HostNode<H> {
    host: H,
    view: HostContext,
}

impl<H: Host> HostNode<H> {
    fn call(&mut self, ctx: &mut Context<Packet, u64>, f: impl FnOnce(&mut H, &mut HostContext)) {
        std::mem::swap(ctx, &mut self.view.ctx);
        f(&mut self.host, &mut self.view);
        std::mem::swap(ctx, &mut self.view.ctx);
    }
}

impl<H: Host> Node for HostNode<H> {
    type Message = Packet;
    type Timer = u64;

    fn on_start(&mut self, ctx: &mut Context<Packet, u64>) {
        self.call(ctx, |h, c| h.on_start(c));
    }

    fn on_message(&mut self, ctx: &mut Context<Packet, u64>, from: NodeId, Packet(payload): Packet) {
        let Some(from) = v4(&from) else { return };
        self.call(ctx, |h, c| h.on_packet(c, from, &payload));
    }

    fn on_timer(&mut self, ctx: &mut Context<Packet, u64>, tag: u64) {
        self.call(ctx, |h, c| h.on_timer(c, tag));
    }
}

/// A hosted node, and what it is for a downcast ([`Internet::node`], [`Internet::host`]).
trait AnyNode<M, T>: Node<Message = M, Timer = T> {
    fn as_any(&self) -> &dyn Any;
}

impl<N: Node + Any> AnyNode<N::Message, N::Timer> for N {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Which host, in the order added.
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

struct Slot<M, T> {
    node: Box<dyn AnyNode<M, T>>,
    local: SocketAddrV4,
    nat: Option<usize>,
    /// The node's one context, made when it starts.
    ctx: Option<Context<M, T>>,
}

/// A datagram on its way. (Timers wait in a [`Deadlines`] table, ordered with the
/// datagrams by one counter, as in the simulator.)
struct Event {
    from: SocketAddrV4,
    to: SocketAddrV4,
    payload: Vec<u8>,
}

/// The internet: public hosts, NATs and the hosts behind them. Its nodes' messages
/// are `M` and their timers `T`: [`Packet`]s and `u64` tags for [`Host`]s.
pub struct Internet<M = Packet, T = u64> {
    now: Duration,
    latency: Duration,
    loss: f64,
    rng: NodeRng,
    seed: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<Scheduled<Event>>>,
    /// Every node's pending timers, under (node, handle).
    timers: Deadlines<(usize, TimerId), T>,
    hosts: Vec<Slot<M, T>>,
    public: HashMap<SocketAddrV4, usize>,
    nats: Vec<Nat>,
    nat_by_ip: HashMap<Ipv4Addr, usize>,
    /// (NAT, inside address) → host.
    inside: HashMap<(usize, SocketAddrV4), usize>,
    counters: Counters,
}

impl Internet {
    /// An empty internet of [`Host`]s whose every hop (host to NAT to host) takes
    /// `latency`.
    pub fn new(seed: u64, latency: Duration) -> Internet {
        Internet::with_nodes(seed, latency)
    }

    /// Adds a host with a public address.
    pub fn add_public(&mut self, addr: SocketAddrV4, host: impl Host) -> HostId {
        let view = HostContext::new(addr, 0);
        self.add_public_node(addr, HostNode { host, view })
    }

    /// Adds a host at private address `local` behind `nat`.
    pub fn add_behind(&mut self, nat: NatId, local: SocketAddrV4, host: impl Host) -> HostId {
        let view = HostContext::new(local, 0);
        self.add_node_behind(nat, local, HostNode { host, view })
    }

    /// The host `id`, if it is of type `H`.
    pub fn host<H: Host>(&self, id: HostId) -> Option<&H> {
        self.node::<HostNode<H>>(id).map(|n| &n.host)
    }
}

impl<M: Message + Datagram, T: Debug + Send + 'static> Internet<M, T> {
    /// An empty internet of [`Node`]s whose every hop (host to NAT to host) takes
    /// `latency`.
    pub fn with_nodes(seed: u64, latency: Duration) -> Internet<M, T> {
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
    pub fn add_public_node(&mut self, addr: SocketAddrV4, node: impl Node<Message = M, Timer = T> + Any) -> HostId {
        let id = self.push(Box::new(node), addr, None);
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
    pub fn add_node_behind(
        &mut self,
        nat: NatId,
        local: SocketAddrV4,
        node: impl Node<Message = M, Timer = T> + Any,
    ) -> HostId {
        let id = self.push(Box::new(node), local, Some(nat.0));
        self.inside.insert((nat.0, local), id);
        HostId(id)
    }

    fn push(&mut self, node: Box<dyn AnyNode<M, T>>, local: SocketAddrV4, nat: Option<usize>) -> usize {
        self.hosts.push(Slot { node, local, nat, ctx: None });
        self.hosts.len() - 1
    }

    /// The node `id`, if it is of type `N`.
    pub fn node<N: Any>(&self, id: HostId) -> Option<&N> {
        self.hosts[id.0].node.as_any().downcast_ref::<N>()
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
                let Some((_, (host, _), timer)) = self.timers.pop() else { break };
                self.callback(host, |n, ctx| n.on_timer(ctx, timer));
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
            if self.hosts[i].ctx.is_none() {
                let seed = self.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let me = node_id(SocketAddr::V4(self.hosts[i].local));
                self.hosts[i].ctx = Some(Context::new(me, Vec::new(), seed));
                self.callback(i, |n, ctx| n.on_start(ctx));
            }
        }
    }

    fn schedule(&mut self, at: Duration, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq: self.seq, event }));
    }

    /// Runs one callback of node `i`, then carries out what it asked
    /// ([`Context::drain`]): timers, cancels, then datagrams.
    fn callback(&mut self, i: usize, f: impl FnOnce(&mut dyn AnyNode<M, T>, &mut Context<M, T>)) {
        let now = self.now;
        let slot = &mut self.hosts[i];
        let ctx = slot.ctx.as_mut().expect("started");
        ctx.set_now(now);
        f(slot.node.as_mut(), ctx);
        let mut asked = ctx.drain();
        let (local, nat) = (slot.local, slot.nat);
        for (handle, at, timer) in asked.numbered_timers() {
            self.seq += 1;
            self.timers.insert_ordered(at, self.seq, (i, handle), timer);
        }
        for handle in asked.cancelled {
            self.timers.cancel(&(i, handle));
        }
        for (to, message) in asked.messages {
            self.counters.sent += 1;
            // Only a datagram to an IPv4 socket address can leave; anything else is lost.
            let (Some(to), Ok(payload)) = (v4(&to), message.into_datagram()) else {
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
            self.counters.delivered += 1;
            let from = node_id(SocketAddr::V4(from));
            self.callback(i, |n, ctx| n.on_message(ctx, from, M::from_datagram(payload)));
            return;
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
            Some(&i) => {
                self.counters.delivered += 1;
                let from = node_id(SocketAddr::V4(from));
                self.callback(i, |n, ctx| n.on_message(ctx, from, M::from_datagram(payload)));
            }
            None => self.counters.lost += 1,
        }
    }
}
