//! The sans-IO node: protocol logic with no sockets and no clock.
//!
//! A node is a state machine. A driver (the [simulator](crate::sim) or the [tokio
//! driver](crate::net)) calls it when something happens — it started, a message
//! arrived, a timer fired — and passes a [`Context`] through which the node reads the
//! time and its peers and asks for messages to be sent and timers to be set. The
//! driver carries out those requests after the callback returns.
//!
//! Because a node never touches a socket or reads the clock itself, the same code
//! runs in a deterministic simulation of thousands of messages per millisecond and
//! over real TCP connections. This is the shape of quinn-proto and str0m, and of the
//! node libraries of Jepsen's Maelstrom, reduced to three callbacks.

use std::fmt;
use std::time::Duration;

use rand::SeedableRng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The random number generator a node gets: fast, and seeded by the driver so a
/// simulation replays exactly.
pub type NodeRng = rand::rngs::Xoshiro256PlusPlus;

/// The name of a node (`n0`, `n1`, …) or of a client (`c0`, …), as in Maelstrom.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(String);

impl NodeId {
    /// A node id from any name. Drivers use `n<i>` for nodes and `c<i>` for clients.
    pub fn new(name: impl Into<String>) -> NodeId {
        NodeId(name.into())
    }

    /// The `i`-th server node, `n<i>`.
    pub fn node(i: usize) -> NodeId {
        NodeId(format!("n{i}"))
    }

    /// The `i`-th client, `c<i>`.
    pub fn client(i: usize) -> NodeId {
        NodeId(format!("c{i}"))
    }

    /// Whether this names a client (starts with `c`): messages to clients are replies,
    /// not traffic between servers, and are not counted as such.
    pub fn is_client(&self) -> bool {
        self.0.starts_with('c')
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for NodeId {
    fn from(name: &str) -> NodeId {
        NodeId::new(name)
    }
}

/// A message type the drivers can carry: cloneable, printable for traces, and serde
/// for the wire (JSON).
pub trait Message: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + 'static {}
impl<T: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + 'static> Message for T {}

/// A protocol participant. Implement the callbacks; the driver calls them one at a
/// time (never concurrently), so a node needs no locks.
///
/// `Message` is what travels between nodes; `Timer` is what the node asks to be
/// woken up with (often an enum: `Tick`, `Retry(id)`).
pub trait Node {
    /// What nodes send each other (and clients send nodes).
    type Message: Message;
    /// What a timer carries back to the node when it fires.
    type Timer: fmt::Debug + Send + 'static;

    /// Called once, before any message, when the node starts (or restarts after a
    /// crash). Set the first timers here.
    fn on_start(&mut self, ctx: &mut Context<Self::Message, Self::Timer>) {
        let _ = ctx;
    }

    /// Called for every message that arrives, from a node or a client.
    fn on_message(&mut self, ctx: &mut Context<Self::Message, Self::Timer>, from: NodeId, message: Self::Message);

    /// Called when a timer set with [`Context::set_timer`] fires.
    fn on_timer(&mut self, ctx: &mut Context<Self::Message, Self::Timer>, timer: Self::Timer) {
        let _ = (ctx, timer);
    }
}

/// The handle of a timer, returned by [`Context::set_timer`]: pass it to
/// [`Context::cancel_timer`] to call the timer off. Handles are numbered by the
/// context, so a node never gets the same handle twice: a driver keeps one context for
/// the node's life, and the simulator's fresh context for a restarted node goes on
/// numbering where the last one stopped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(u64);

impl TimerId {
    /// The handle of the `k`-th timer after this one (drivers number a [`Requests`]'
    /// timers with it).
    pub fn nth(self, k: usize) -> TimerId {
        TimerId(self.0 + k as u64)
    }
}

impl fmt::Debug for TimerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timer#{}", self.0)
    }
}

/// What a node can see and do during a callback. Requests are buffered here and
/// carried out by the driver when the callback returns.
pub struct Context<M, T> {
    now: Duration,
    me: NodeId,
    peers: Vec<NodeId>,
    rng: NodeRng,
    outbox: Vec<(NodeId, M)>,
    timers: Vec<(Duration, T)>,
    /// The handle of the first timer in `timers` (the others follow in order).
    first_timer: u64,
    cancelled: Vec<TimerId>,
    observed: Vec<String>,
}

/// Everything one or more callbacks asked of the driver, taken out of the
/// [`Context`] in one go by [`Context::drain`]. Every driver (the simulator, TCP, UDP,
/// Maelstrom) carries it out its own way; none reads the context's buffers directly.
#[derive(Debug)]
pub struct Requests<M, T> {
    /// Messages to send, in the order the node sent them.
    pub messages: Vec<(NodeId, M)>,
    /// Timers to set, each with its deadline: the [`Context::now`] at which it is due
    /// (the time of the callback plus the delay asked for, saturating, so that a delay
    /// of `Duration::MAX` means "never" instead of an overflow). The `k`-th has the
    /// handle `first_timer.nth(k)`; [`Requests::numbered_timers`] pairs them up.
    pub timers: Vec<(Duration, T)>,
    /// The handle [`Context::set_timer`] returned for the first of `timers`.
    pub first_timer: TimerId,
    /// Timers to call off, in the order asked. Carry them out after adding `timers`:
    /// a node may cancel a timer it set in the same callback. A handle of a timer that
    /// already fired (or was cancelled) is ignored.
    pub cancelled: Vec<TimerId>,
    /// Keys the node [observed](Context::observe), in order.
    pub observed: Vec<String>,
}

impl<M, T> Requests<M, T> {
    /// Takes out the timers to set, each with its handle and deadline.
    pub fn numbered_timers(&mut self) -> impl Iterator<Item = (TimerId, Duration, T)> + use<M, T> {
        let first = self.first_timer;
        std::mem::take(&mut self.timers).into_iter().enumerate().map(move |(k, (at, timer))| (first.nth(k), at, timer))
    }
}

impl<M, T> Context<M, T> {
    /// A context for node `me` among `peers`, its random numbers seeded by `seed`.
    /// Drivers make one per node; tests of a single node can make one directly.
    pub fn new(me: NodeId, peers: Vec<NodeId>, seed: u64) -> Context<M, T> {
        Context {
            now: Duration::ZERO,
            me,
            peers,
            rng: NodeRng::seed_from_u64(seed),
            outbox: Vec::new(),
            timers: Vec::new(),
            first_timer: 0,
            cancelled: Vec::new(),
            observed: Vec::new(),
        }
    }

    /// The time since the network started. In the simulator this is simulated
    /// time; over sockets it is measured from the driver's start.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// This node's id.
    pub fn me(&self) -> &NodeId {
        &self.me
    }

    /// Every other server node in the network (not clients, not this node).
    pub fn peers(&self) -> &[NodeId] {
        &self.peers
    }

    /// Sends `message` to `to`. It leaves after the callback returns; it may be
    /// delayed, lost or cut off by a partition, as the network decides.
    pub fn send(&mut self, to: NodeId, message: M) {
        self.outbox.push((to, message));
    }

    /// Asks for `on_timer(timer)` to be called `after` from now, once. The handle it
    /// returns calls the timer off with [`Context::cancel_timer`]; a node that never
    /// cancels can ignore it.
    pub fn set_timer(&mut self, after: Duration, timer: T) -> TimerId {
        let id = TimerId(self.first_timer + self.timers.len() as u64);
        self.timers.push((after, timer));
        id
    }

    /// Calls off the timer `id` (from [`Context::set_timer`]): its `on_timer` will not
    /// be called, even if it is due at this very moment. Cancelling a timer that
    /// already fired, or was cancelled, does nothing.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.cancelled.push(id);
    }

    /// This node's random numbers: seeded by the driver, so simulations replay.
    /// Use them with `kit::rand::RngExt` (`random_range`, `random_bool`, …).
    pub fn rng(&mut self) -> &mut NodeRng {
        &mut self.rng
    }

    /// Tells the driver that this node now has `key` (a value, an update, a log
    /// entry): the simulator measures how long `key` takes to reach every node. Does
    /// nothing over real sockets.
    pub fn observe(&mut self, key: impl Into<String>) {
        self.observed.push(key.into());
    }

    /// Takes out everything the last callbacks asked for: the one way a driver reads a
    /// context (the shape of str0m's `poll_output`, drained after every input). Timers
    /// come with their deadlines, measured from the time set by [`Context::set_now`],
    /// and their handles.
    pub fn drain(&mut self) -> Requests<M, T> {
        let now = self.now;
        let first_timer = TimerId(self.first_timer);
        self.first_timer += self.timers.len() as u64;
        Requests {
            messages: std::mem::take(&mut self.outbox),
            timers: std::mem::take(&mut self.timers)
                .into_iter()
                .map(|(after, timer)| (now.saturating_add(after), timer))
                .collect(),
            first_timer,
            cancelled: std::mem::take(&mut self.cancelled),
            observed: std::mem::take(&mut self.observed),
        }
    }

    /// Replaces the node's [`Context::peers`]: for a driver whose network changes
    /// (peers met, connections lost) while the node runs.
    pub fn set_peers(&mut self, peers: Vec<NodeId>) {
        self.peers = peers;
    }

    /// Where this context's timer handles go on: for a driver that makes a fresh
    /// context per callback (the exhaustive search) and must not hand out a handle
    /// twice.
    pub(crate) fn next_timer_id(&self) -> u64 {
        self.first_timer + self.timers.len() as u64
    }

    /// Continues numbering timer handles at `next` ([`Context::next_timer_id`]).
    pub(crate) fn resume_timer_ids(&mut self, next: u64) {
        debug_assert!(self.timers.is_empty());
        self.first_timer = next;
    }

    /// Sets the time the node sees. For drivers, and for tests of a single node.
    pub fn set_now(&mut self, now: Duration) {
        self.now = now;
    }
}
