//! The swarm node.

use std::collections::BTreeMap;
use std::time::Duration;

use kit::rand::RngExt;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

/// Dial until a node has this many neighbours.
pub const MIN_DEGREE: usize = 4;
/// Accept connections up to this many neighbours, and refuse beyond.
pub const MAX_DEGREE: usize = 8;
/// Swarms of at most this many nodes are fully connected.
pub const FULL_MESH_UP_TO: usize = 8;
/// How often a node pings its neighbours and tops up its connections.
pub const TICK: Duration = Duration::from_millis(200);
/// A neighbour not heard from for this long is dropped: fifteen pings in a row missed,
/// not one. On wifi a lost segment and its lost retransmission, or a laptop busy
/// compiling, silence a live peer for a second or more; dropping it then closes the
/// connection and repairs for nothing. A peer that really died is still noticed within
/// this time (and at once when its connection ends, which is how most deaths show).
pub const DEAD_AFTER: Duration = Duration::from_secs(4);
/// A neighbour heard from within this long is not pinged: anything it sends shows it
/// alive. An idle pair then exchanges a ping and a pong about once a second instead of
/// four messages every [`TICK`], and a pair that is talking exchanges none; a neighbour
/// quiet for longer is pinged every tick until it answers, so a lost ping is retried
/// within a tick and [`DEAD_AFTER`] still means many pings missed, not one.
pub const PING_AFTER: Duration = Duration::from_secs(1);
/// A dial not answered for this long is given up.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(1);
/// About how often a node dials one of the neighbours it dropped for silence, whatever
/// its degree, until it is a neighbour again (or [`FORGET_LOST`] has passed). A node at
/// its target degree never tops up, so without this a swarm cut in two by the network
/// would stay two swarms for ever after the cut ends: each half repairs within itself,
/// and nothing dials across. With it, the first dial across the old cut joins them. A
/// rejoin accepted when the node is full replaces a random neighbour.
pub const REJOIN: Duration = Duration::from_secs(2);
/// How long a neighbour dropped for silence is dialled again now and then.
pub const FORGET_LOST: Duration = Duration::from_secs(300);

/// What nodes and clients send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: who are your neighbours?
    Read,
    /// Your neighbours (sorted), and how many `Accept`s you have sent so far.
    ReadOk { neighbours: Vec<NodeId>, accepts_sent: u64 },
    /// Node: I would like a connection with you.
    Connect,
    /// Node: connected (the answer to `Connect`).
    Accept,
    /// Node: no (full).
    Refuse,
    /// Node: this connection is over (or: I do not know you).
    Close,
    /// Node: are you there?
    Ping,
    /// Node: yes.
    Pong,
}

/// The node's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Ping, drop the dead, top up.
    Tick,
}

/// A node that manages its connections.
#[derive(Default)]
pub struct SwarmNode {
    /// Neighbours, with when each was last heard from.
    neighbours: BTreeMap<NodeId, Duration>,
    /// Dials sent and not answered yet, with when.
    dialing: BTreeMap<NodeId, Duration>,
    accepts_sent: u64,
    /// Neighbours dropped for silence, with when: dialled again now and then.
    lost: BTreeMap<NodeId, Duration>,
    /// The rejoin dial in flight, if any, with when (apart from `dialing`, which top-up
    /// counts: a lost peer that stays unreachable must not keep the node below target).
    rejoining: Option<(NodeId, Duration)>,
    /// When the next rejoin dial is due.
    next_rejoin: Duration,
}

impl SwarmNode {
    /// A node with no connections.
    pub fn new() -> SwarmNode {
        SwarmNode::default()
    }

    /// How many neighbours to dial for, and how many to accept at most.
    ///
    /// Depends on the size of the swarm the node knows of ([`Context::peers`]): a
    /// small swarm is a full mesh, a large one keeps between [`MIN_DEGREE`] and
    /// [`MAX_DEGREE`], so that no node's work grows with the size of the swarm.
    fn bounds(ctx: &Context<Msg, Timer>) -> (usize, usize) {
        // TODO (step 1): two nodes are each other's only neighbour
        // TODO (step 3): the full mesh
        // TODO (step 4): the bounds of a large swarm
        todo!()
    }

    /// `peer` is a neighbour from now on (and no longer a dial in flight).
    fn connect(&mut self, ctx: &mut Context<Msg, Timer>, peer: NodeId) {
        self.dialing.remove(&peer);
        self.lost.remove(&peer);
        self.neighbours.insert(peer, ctx.now());
    }

    /// Closes the connection to a random neighbour other than `keep`, to make room.
    fn evict(&mut self, ctx: &mut Context<Msg, Timer>, keep: &NodeId) {
        let others: Vec<NodeId> = self.neighbours.keys().filter(|p| *p != keep).cloned().collect();
        if others.is_empty() {
            return;
        }
        let victim = others[ctx.rng().random_range(0..others.len())].clone();
        self.neighbours.remove(&victim);
        ctx.send(victim, Msg::Close);
    }

    /// Every [`REJOIN`] or so (at random, so that the nodes do not all dial at once):
    /// dial one random neighbour lost to silence that is still known, not a neighbour and
    /// not being dialled.
    fn rejoin(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 6): one random lost neighbour, about every REJOIN
        todo!()
    }

    /// Dials random known peers until neighbours and pending dials reach the target.
    ///
    /// Never dials a neighbour or a peer already being dialled. Random, so that the
    /// overlay is an unstructured random graph: connected with high probability, and
    /// with no node everyone depends on.
    fn top_up(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 1)
        // TODO (step 4): random choices
        todo!()
    }
}

impl Node for SwarmNode {
    type Message = Msg;
    type Timer = Timer;

    /// Dials, and starts the [`Timer::Tick`] that keeps everything going.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 1)
        // TODO (step 6): when the first rejoin dial is due
        todo!()
    }

    /// One message from a client (`Read`) or a node. Anything a node sends counts as
    /// hearing from it. Every message may be lost, repeated or late, so each answer
    /// must leave both ends agreeing: neither side may count a connection the other
    /// does not have.
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (step 1): answer Read; Connect, Accept, Refuse, Close
        // TODO (step 2): both dialled at once: one connection, one Accept in all
        // TODO (step 4): refuse beyond the maximum degree
        // TODO (step 5): pings, and what a ping means from a node that is not a neighbour
        // TODO (step 6): a rejoin's Accept when full replaces an old link; a Close tops up at once
        todo!()
    }

    /// Every [`TICK`]: neighbours silent for [`DEAD_AFTER`] are dropped (and remembered
    /// as lost), dials unanswered for [`DIAL_TIMEOUT`] are given up, the rest that have
    /// been quiet for [`PING_AFTER`] are pinged, the node tops up its connections, and
    /// dials a lost one again when it is time.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (step 1): keep the tick going, and top up
        // TODO (step 5): drop the silent, ping the quiet
        // TODO (step 6): remember the silent as lost, and rejoin
        todo!()
    }
}
