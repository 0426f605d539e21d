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

/// What a node can see and do during a callback. Requests are buffered here and
/// carried out by the driver when the callback returns.
pub struct Context<M, T> {
    now: Duration,
    me: NodeId,
    peers: Vec<NodeId>,
    rng: NodeRng,
    outbox: Vec<(NodeId, M)>,
    timers: Vec<(Duration, T)>,
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
    /// of `Duration::MAX` means "never" instead of an overflow).
    pub timers: Vec<(Duration, T)>,
    /// Keys the node [observed](Context::observe), in order.
    pub observed: Vec<String>,
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

    /// Asks for `on_timer(timer)` to be called `after` from now. There is no cancel:
    /// a node that changes its mind ignores the timer when it fires (keep a
    /// generation number in the timer if needed).
    pub fn set_timer(&mut self, after: Duration, timer: T) {
        self.timers.push((after, timer));
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
    /// come with their deadlines, measured from the time set by [`Context::set_now`].
    pub fn drain(&mut self) -> Requests<M, T> {
        let now = self.now;
        Requests {
            messages: std::mem::take(&mut self.outbox),
            timers: std::mem::take(&mut self.timers)
                .into_iter()
                .map(|(after, timer)| (now.saturating_add(after), timer))
                .collect(),
            observed: std::mem::take(&mut self.observed),
        }
    }

    /// The messages sent during the last callbacks, taken out of the context. For
    /// tests of a single node without a driver.
    pub fn take_sent(&mut self) -> Vec<(NodeId, M)> {
        std::mem::take(&mut self.outbox)
    }

    /// The keys observed during the last callbacks, taken out of the context. For
    /// adapters that run a node inside another node's callbacks.
    pub fn take_observed(&mut self) -> Vec<String> {
        std::mem::take(&mut self.observed)
    }

    /// The timers set during the last callbacks, taken out of the context.
    pub fn take_timers(&mut self) -> Vec<(Duration, T)> {
        std::mem::take(&mut self.timers)
    }

    /// Sets the time the node sees. For drivers, and for tests of a single node.
    pub fn set_now(&mut self, now: Duration) {
        self.now = now;
    }
}
