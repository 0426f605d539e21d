//! A deterministic network simulator for sans-IO [`Node`]s.
//!
//! Time is simulated: the simulator keeps a queue of future events (a message
//! arriving, a timer firing) and jumps from one to the next, so a minute of network
//! time with 25 nodes takes milliseconds. Every random choice (jitter, loss, each
//! node's [`Context::rng`]) comes from one seed, and ties are broken by the order
//! events were scheduled, so the same seed replays the same run exactly: a failing
//! test is a reproducible bug, not a flaky one.
//!
//! The network model is the one distributed-systems courses use (Jepsen's
//! Maelstrom): each link has a latency, a uniform jitter and a loss probability;
//! partitions cut groups of nodes apart until healed (in both directions, including
//! messages already in flight); a node can crash (losing its state and its pending
//! timers) and restart. Clients sit outside the servers, are never partitioned, and
//! their messages count as operations.
//!
//! ```
//! use std::time::Duration;
//! use kit::{Context, Node, NodeId, Sim, SimConfig};
//!
//! /// Replies "pong" to every "ping".
//! struct Echo;
//! impl Node for Echo {
//!     type Message = String;
//!     type Timer = ();
//!     fn on_message(&mut self, ctx: &mut Context<String, ()>, from: NodeId, message: String) {
//!         if message == "ping" {
//!             ctx.send(from, "pong".to_string());
//!         }
//!     }
//! }
//!
//! let mut sim = Sim::new(SimConfig { latency: Duration::from_millis(50), ..SimConfig::default() });
//! let n0 = sim.add_node(Echo);
//! sim.client_send(&NodeId::client(0), &n0, "ping".to_string());
//! sim.run_for(Duration::from_secs(1));
//! let replies = sim.take_client_messages();
//! assert_eq!(replies[0].message, "pong");
//! assert_eq!(replies[0].at, Duration::from_millis(100)); // there and back
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fmt::Debug;
use std::time::Duration;

use rand::{RngExt, SeedableRng};

/// Records a trace line, formatting it only when tracing is on.
macro_rules! trace {
    ($sim:ident, $($arg:tt)*) => {
        if $sim.config.trace {
            let line = format!($($arg)*);
            $sim.push_trace(line);
        }
    };
}

use crate::deadlines::Deadlines;
use crate::node::{Context, Message, Node, NodeId, NodeRng, TimerId};
use crate::stats::{Report, Summary};
use crate::trace::{self, Kind, Recorder};

/// The network's behaviour, and the seed everything random derives from.
#[derive(Clone, Copy, Debug)]
pub struct SimConfig {
    /// Seeds the network's and every node's randomness.
    pub seed: u64,
    /// How long a message takes on every link, unless [`Sim::set_link`] says otherwise.
    pub latency: Duration,
    /// Up to this much extra delay, uniformly at random, per message.
    pub jitter: Duration,
    /// The probability that a message is lost (0.0 to 1.0).
    pub loss: f64,
    /// Whether to record a line per event in [`Sim::trace`] (slower; for debugging
    /// and for determinism tests).
    pub trace: bool,
}

impl Default for SimConfig {
    /// Seed 0, 10 ms latency, no jitter, no loss, no trace.
    fn default() -> SimConfig {
        SimConfig { seed: 0, latency: Duration::from_millis(10), jitter: Duration::ZERO, loss: 0.0, trace: false }
    }
}

/// The behaviour of one link (one direction between two nodes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Base delay.
    pub latency: Duration,
    /// Up to this much extra delay, uniformly at random.
    pub jitter: Duration,
    /// Probability of loss.
    pub loss: f64,
}

/// A message a server sent to a client, as the client received it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientMessage<M> {
    /// When it arrived.
    pub at: Duration,
    /// The server that sent it.
    pub from: NodeId,
    /// The client it was for.
    pub to: NodeId,
    /// The message.
    pub message: M,
}

/// Where a scheduled message goes.
enum Dest {
    Node(usize),
    Client(NodeId),
}

/// A message on its way. (Timers wait in a [`Deadlines`] of their own, ordered with
/// the messages by one counter.)
struct Event<M> {
    from: NodeId,
    to: Dest,
    message: M,
    sent: Duration,
}

/// An event and when it happens. Ordered by time, then by scheduling order, so
/// simultaneous events always run in the same order. Shared with [`crate::nat`].
pub(crate) struct Scheduled<E> {
    pub(crate) at: Duration,
    pub(crate) seq: u64,
    pub(crate) event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct Slot<M, T> {
    id: NodeId,
    node: Box<dyn Node<Message = M, Timer = T>>,
    ctx: Context<M, T>,
    alive: bool,
    incarnation: u32,
    started: bool,
}

/// A simulated network of nodes. See the [module documentation](self).
pub struct Sim<M, T> {
    config: SimConfig,
    now: Duration,
    rng: NodeRng,
    seq: u64,
    /// Messages in flight.
    queue: BinaryHeap<Reverse<Scheduled<Event<M>>>>,
    /// Every node's pending timers, under (node, handle).
    timers: Deadlines<(usize, TimerId), T>,
    nodes: Vec<Slot<M, T>>,
    index: HashMap<NodeId, usize>,
    links: HashMap<(usize, usize), Link>,
    /// The partition group of each node, while partitioned.
    groups: Option<Vec<usize>>,
    client_inbox: Vec<ClientMessage<M>>,
    client_ops: u64,
    server_messages: u64,
    delivered: u64,
    dropped: u64,
    /// Tracked keys, in the order tracking started: (key, start time).
    tracked: Vec<(String, Duration)>,
    /// For each observed key, when each node first observed it.
    observed: HashMap<String, BTreeMap<usize, Duration>>,
    trace: Vec<String>,
    /// The structured record of the run, for the space-time diagram (off unless
    /// asked for: by [`Sim::record`], a test's [`trace::set_sink`] or the runner's
    /// `VERIFY_TRACE`, see [`trace::asked`]). Handed over when the simulation ends.
    recorder: Option<Recorder>,
    /// Whether each node's [`Context::peers`] lists every other node.
    peer_lists: bool,
    /// Whether some node waits for its `on_start` (saves a scan per event).
    unstarted: bool,
}

impl<M: Message, T: Debug + Send + 'static> Sim<M, T> {
    /// An empty network.
    pub fn new(config: SimConfig) -> Sim<M, T> {
        Sim {
            config,
            now: Duration::ZERO,
            rng: NodeRng::seed_from_u64(config.seed),
            seq: 0,
            queue: BinaryHeap::new(),
            timers: Deadlines::new(),
            nodes: Vec::new(),
            index: HashMap::new(),
            links: HashMap::new(),
            groups: None,
            client_inbox: Vec::new(),
            client_ops: 0,
            server_messages: 0,
            delivered: 0,
            dropped: 0,
            tracked: Vec::new(),
            observed: HashMap::new(),
            trace: Vec::new(),
            recorder: trace::asked().then(Recorder::new),
            peer_lists: true,
            unstarted: false,
        }
    }

    /// Whether nodes started from now on see every other node in
    /// [`Context::peers`] (the default), or nothing: a DHT node knows only the
    /// bootstrap addresses it was given and learns the rest from the network, and
    /// with 10,000 nodes the lists alone would take 10^8 names.
    pub fn set_peer_lists(&mut self, on: bool) {
        self.peer_lists = on;
    }

    /// Adds a node, named `n0`, `n1`, … in the order added, and returns its id. It
    /// starts (`on_start`) when the simulation next runs. Every node's peers are all
    /// the other nodes, including ones added later.
    pub fn add_node(&mut self, node: impl Node<Message = M, Timer = T> + 'static) -> NodeId {
        let i = self.nodes.len();
        let id = NodeId::node(i);
        let seed = self.node_seed(i, 0);
        self.nodes.push(Slot {
            id: id.clone(),
            node: Box::new(node),
            ctx: Context::new(id.clone(), Vec::new(), seed),
            alive: true,
            incarnation: 0,
            started: false,
        });
        self.unstarted = true;
        self.index.insert(id.clone(), i);
        id
    }

    /// The ids of every node, in the order added.
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|s| s.id.clone()).collect()
    }

    /// The simulated time now.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Sets the behaviour of the links between `a` and `b`, both directions.
    pub fn set_link(&mut self, a: &NodeId, b: &NodeId, link: Link) {
        let (a, b) = (self.idx(a), self.idx(b));
        self.links.insert((a, b), link);
        self.links.insert((b, a), link);
    }

    /// Cuts the network into `groups`: a message between nodes of different groups
    /// is dropped, whether it is sent during the partition or was in flight when it
    /// began. Nodes named in no group form one more group together. Replaces any
    /// earlier partition.
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        let mut of = vec![groups.len(); self.nodes.len()];
        for (g, members) in groups.iter().enumerate() {
            for id in *members {
                of[self.idx(id)] = g;
            }
        }
        trace!(self, "partition {groups:?}");
        self.note(format!("partition {groups:?}"));
        self.groups = Some(of);
    }

    /// Ends the partition. Messages dropped meanwhile stay lost.
    pub fn heal(&mut self) {
        trace!(self, "heal");
        self.note("heal".into());
        self.groups = None;
    }

    /// Crashes `id`: it loses every message in flight to it and every pending timer,
    /// and receives nothing until [`Sim::restart`].
    pub fn crash(&mut self, id: &NodeId) {
        let i = self.idx(id);
        trace!(self, "crash {id}");
        self.note(format!("crash {id}"));
        self.nodes[i].alive = false;
        self.nodes[i].incarnation += 1;
        self.timers.retain(|&(node, _), _| node != i);
    }

    /// Restarts a crashed node with `node` as its new state (what it kept on disk,
    /// or nothing), and calls its `on_start`.
    pub fn restart(&mut self, id: &NodeId, node: impl Node<Message = M, Timer = T> + 'static) {
        let i = self.idx(id);
        trace!(self, "restart {id}");
        self.note(format!("restart {id}"));
        // A fresh context (and random stream) is made when it starts, below.
        let slot = &mut self.nodes[i];
        slot.node = Box::new(node);
        slot.alive = true;
        slot.started = false;
        self.unstarted = true;
        self.start_pending();
    }

    /// Whether `id` is running (not crashed).
    pub fn is_alive(&self, id: &NodeId) -> bool {
        self.nodes[self.idx(id)].alive
    }

    /// A client operation: `client` sends `message` to server `to`. It counts as one
    /// operation in the [`Report`] and crosses the network like any message.
    pub fn client_send(&mut self, client: &NodeId, to: &NodeId, message: M) {
        self.start_pending();
        self.client_ops += 1;
        let to_i = self.idx(to);
        let link = self.default_link();
        self.transmit(client.clone(), Dest::Node(to_i), message, link);
    }

    /// Starts the latency clock for `key`: the [`Report`] measures how long until
    /// every live node has [observed](Context::observe) it.
    pub fn track(&mut self, key: impl Into<String>) {
        self.tracked.push((key.into(), self.now));
    }

    /// Like [`Sim::track`], with the clock started at `start` instead of now: for
    /// measuring from a moment already past, such as when a client's operation was
    /// acknowledged (Maelstrom measures broadcast latency from there).
    pub fn track_from(&mut self, key: impl Into<String>, start: Duration) {
        self.tracked.push((key.into(), start));
    }

    /// Which nodes have observed `key`, and when each first did.
    pub fn observers(&self, key: &str) -> Vec<(NodeId, Duration)> {
        self.observed
            .get(key)
            .map(|seen| seen.iter().map(|(&i, &at)| (self.nodes[i].id.clone(), at)).collect())
            .unwrap_or_default()
    }

    /// The messages servers have sent to clients since the last call.
    pub fn take_client_messages(&mut self) -> Vec<ClientMessage<M>> {
        std::mem::take(&mut self.client_inbox)
    }

    /// Runs every event due within `duration` from now, then sets the clock to the
    /// end of that window.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        self.start_pending();
        while self.next_event().is_some_and(|(at, _)| at <= end) {
            self.step();
        }
        self.now = end;
    }

    /// Runs until no event is left (true), or until `limit` of simulated time has
    /// passed (false; a node with a periodic timer is never idle).
    pub fn run_until_idle(&mut self, limit: Duration) -> bool {
        let end = self.now + limit;
        self.start_pending();
        while let Some((at, _)) = self.next_event() {
            if at > end {
                self.now = end;
                return false;
            }
            self.step();
        }
        true
    }

    /// Runs the next event, if any. Returns whether there was one.
    pub fn step(&mut self) -> bool {
        self.start_pending();
        let Some((_, timer_first)) = self.next_event() else {
            return false;
        };
        if timer_first {
            let Some((at, (node, _), timer)) = self.timers.pop() else { return false };
            self.now = at;
            trace!(self, "{} timer {timer:?}", self.nodes[node].id);
            if let Some(recorder) = self.recorder.as_mut() {
                let body = format!("{timer:?}");
                recorder.push(Kind::Timer, self.now, self.now, self.nodes[node].id.as_str(), "", body);
            }
            self.callback(node, |n, ctx| n.on_timer(ctx, timer));
            return true;
        }
        let Some(Reverse(Scheduled { at, event, .. })) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        match event {
            Event { from, to: Dest::Client(client), message, sent } => {
                self.delivered += 1;
                trace!(self, "{from} -> {client} {message:?}");
                self.record_message(Kind::Delivered, &from, client.as_str(), sent, &message);
                self.client_inbox.push(ClientMessage { at, from, to: client, message });
            }
            Event { from, to: Dest::Node(i), message, sent } => {
                let to = self.nodes[i].id.clone();
                if !self.nodes[i].alive {
                    self.dropped += 1;
                    trace!(self, "{from} -> {} dropped (crashed) {message:?}", self.nodes[i].id);
                    self.record_message(Kind::Dropped { why: "crashed".into() }, &from, to.as_str(), sent, &message);
                } else if self.cut(&from, i) {
                    self.dropped += 1;
                    trace!(self, "{from} -> {} dropped (partition) {message:?}", self.nodes[i].id);
                    self.record_message(Kind::Dropped { why: "partition".into() }, &from, to.as_str(), sent, &message);
                } else {
                    self.delivered += 1;
                    trace!(self, "{from} -> {} {message:?}", self.nodes[i].id);
                    self.record_message(Kind::Delivered, &from, to.as_str(), sent, &message);
                    self.callback(i, |node, ctx| node.on_message(ctx, from, message));
                }
            }
        }
        true
    }

    /// When the next event happens, and whether it is a timer (rather than a message):
    /// of a message and a timer due at once, the one scheduled first.
    fn next_event(&self) -> Option<(Duration, bool)> {
        let message = self.queue.peek().map(|Reverse(s)| (s.at, s.seq));
        match (message, self.timers.next_place()) {
            (Some(m), Some(t)) if t < m => Some((t.0, true)),
            (Some(m), _) => Some((m.0, false)),
            (None, Some(t)) => Some((t.0, true)),
            (None, None) => None,
        }
    }

    /// The costs so far, and the spread latency of every tracked key.
    pub fn report(&self) -> Report {
        let live: Vec<usize> = (0..self.nodes.len()).filter(|&i| self.nodes[i].alive).collect();
        let mut latencies = Vec::new();
        let mut incomplete = 0;
        for (key, start) in &self.tracked {
            let seen = self.observed.get(key);
            let last = live.iter().map(|i| seen.and_then(|s| s.get(i)).copied()).collect::<Option<Vec<_>>>();
            match last.and_then(|times| times.into_iter().max()) {
                Some(at) => latencies.push(at.saturating_sub(*start)),
                None => incomplete += 1,
            }
        }
        Report {
            client_ops: self.client_ops,
            server_messages: self.server_messages,
            delivered: self.delivered,
            dropped: self.dropped,
            incomplete,
            latency: Summary::of(&latencies),
        }
    }

    /// One line per event, when [`SimConfig::trace`] is on.
    pub fn trace(&self) -> &[String] {
        &self.trace
    }

    /// Starts (or stops) recording the run for a space-time diagram
    /// ([`Sim::recorded`]). The runner turns it on by itself for `cargo verify trace`
    /// and for a failing step, through `VERIFY_TRACE`; the simulation then hands its
    /// trace over when it ends ([`trace::hand_over`]), and the runner draws it.
    pub fn record(&mut self, on: bool) {
        match (on, self.recorder.is_some()) {
            (true, false) => self.recorder = Some(Recorder::new()),
            (false, true) => self.recorder = None,
            _ => {}
        }
    }

    /// The run recorded so far, as a [`trace::Trace`] titled `title` (empty if
    /// recording is off). Its columns are the nodes in the order added, then the
    /// clients in one column.
    pub fn recorded(&self, title: &str) -> trace::Trace {
        let nodes: Vec<String> = self.nodes.iter().map(|s| s.id.to_string()).collect();
        match &self.recorder {
            Some(recorder) => recorder.trace(title, Some(self.config.seed), nodes),
            None => {
                trace::Trace { title: title.into(), seed: Some(self.config.seed), nodes, ..trace::Trace::default() }
            }
        }
    }

    fn idx(&self, id: &NodeId) -> usize {
        *self.index.get(id).unwrap_or_else(|| panic!("no node {id} in this simulation"))
    }

    /// Each node's randomness is its own stream, derived from the seed, its index
    /// and its incarnation, so adding a node does not change the others' choices.
    fn node_seed(&self, i: usize, incarnation: u32) -> u64 {
        let mut x = self.config.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((incarnation as u64) << 48);
        // splitmix64 finaliser: spreads nearby inputs over the whole range.
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    fn peers_of(&self, i: usize) -> Vec<NodeId> {
        self.nodes.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, s)| s.id.clone()).collect()
    }

    fn default_link(&self) -> Link {
        Link { latency: self.config.latency, jitter: self.config.jitter, loss: self.config.loss }
    }

    /// Calls `on_start` on every node added or restarted since the last run.
    fn start_pending(&mut self) {
        if !std::mem::take(&mut self.unstarted) {
            return;
        }
        for i in 0..self.nodes.len() {
            if !self.nodes[i].started && self.nodes[i].alive {
                let peers = if self.peer_lists { self.peers_of(i) } else { Vec::new() };
                let seed = self.node_seed(i, self.nodes[i].incarnation);
                let slot = &mut self.nodes[i];
                slot.started = true;
                // Timer handles go on from the last context's: a node restarted without
                // a crash keeps its pending timers, and no two may share a handle.
                let next_timer = slot.ctx.next_timer_id();
                slot.ctx = Context::new(slot.id.clone(), peers, seed);
                slot.ctx.resume_timer_ids(next_timer);
                trace!(self, "{} start", self.nodes[i].id);
                self.callback(i, |node, ctx| node.on_start(ctx));
            }
        }
    }

    /// Runs one callback of node `i`, then carries out what it asked for.
    fn callback(&mut self, i: usize, f: impl FnOnce(&mut dyn Node<Message = M, Timer = T>, &mut Context<M, T>)) {
        let now = self.now;
        let slot = &mut self.nodes[i];
        slot.ctx.set_now(now);
        f(slot.node.as_mut(), &mut slot.ctx);
        let mut requests = slot.ctx.drain();
        let id = slot.id.clone();
        for key in std::mem::take(&mut requests.observed) {
            self.observed.entry(key).or_default().entry(i).or_insert(now);
        }
        for (handle, at, timer) in requests.numbered_timers() {
            self.seq += 1;
            self.timers.insert_ordered(at, self.seq, (i, handle), timer);
        }
        for handle in requests.cancelled {
            self.timers.cancel(&(i, handle));
        }
        for (to, message) in requests.messages {
            if let Some(&j) = self.index.get(&to) {
                self.server_messages += 1;
                let link = self.links.get(&(i, j)).copied().unwrap_or_else(|| self.default_link());
                self.transmit(id.clone(), Dest::Node(j), message, link);
            } else if to.is_client() {
                let link = self.default_link();
                self.transmit(id.clone(), Dest::Client(to), message, link);
            } else {
                self.dropped += 1;
                trace!(self, "{id} -> {to} dropped (no such node) {message:?}");
                self.record_message(Kind::Dropped { why: "no such node".into() }, &id, to.as_str(), now, &message);
            }
        }
    }

    /// Puts a message on the wire: decides loss and delay now, partitions at both
    /// ends of the trip.
    fn transmit(&mut self, from: NodeId, to: Dest, message: M, link: Link) {
        let cut_now = matches!(to, Dest::Node(j) if self.cut(&from, j));
        let lost = link.loss > 0.0 && self.rng.random_bool(link.loss.min(1.0));
        if cut_now || lost {
            self.dropped += 1;
            let why = if cut_now { "partition" } else { "loss" };
            trace!(self, "{from} -> {} dropped ({why}) {message:?}", self.dest_name(&to));
            let dest = self.dest_name(&to);
            self.record_message(Kind::Dropped { why: why.into() }, &from, dest.as_str(), self.now, &message);
            return;
        }
        let jitter = if link.jitter.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_nanos(self.rng.random_range(0..=link.jitter.as_nanos() as u64))
        };
        self.schedule(self.now + link.latency + jitter, Event { from, to, message, sent: self.now });
    }

    /// Whether a partition separates `from` and node `to` (clients are never cut off).
    fn cut(&self, from: &NodeId, to: usize) -> bool {
        match (&self.groups, self.index.get(from)) {
            (Some(groups), Some(&i)) => groups[i] != groups[to],
            _ => false,
        }
    }

    fn dest_name(&self, to: &Dest) -> NodeId {
        match to {
            Dest::Node(j) => self.nodes[*j].id.clone(),
            Dest::Client(c) => c.clone(),
        }
    }

    fn schedule(&mut self, at: Duration, event: Event<M>) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq: self.seq, event }));
    }

    /// Records one message for the diagram, if recording.
    fn record_message(&mut self, kind: Kind, from: &NodeId, to: &str, sent: Duration, message: &M) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.push(kind, sent, self.now, from.as_str(), to, format!("{message:?}"));
        }
    }

    /// Records a note across the diagram (a partition, a crash), if recording.
    fn note(&mut self, text: String) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.push(Kind::Note, self.now, self.now, "", "", text);
        }
    }

    fn push_trace(&mut self, line: String) {
        let line = format!("{:>9.3} ms  {line}", self.now.as_secs_f64() * 1000.0);
        self.trace.push(line);
    }
}

impl<M, T> Drop for Sim<M, T> {
    /// A recording simulation hands its trace to whoever asked for it when it ends
    /// ([`trace::hand_over`]), also when its step fails: the panic unwinds through
    /// here, and the trace marks the moment.
    fn drop(&mut self) {
        if let Some(recorder) = self.recorder.take() {
            let nodes = self.nodes.iter().map(|s| s.id.to_string()).collect();
            let failed_at = std::thread::panicking().then_some(self.now);
            trace::hand_over(recorder.trace("", Some(self.config.seed), nodes), failed_at);
        }
    }
}
