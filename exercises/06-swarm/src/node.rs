//! The swarm node.

use std::collections::{BTreeMap, BTreeSet};
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
/// A neighbour not heard from for this long is dropped, and a dial not answered for
/// this long is given up.
pub const DEAD_AFTER: Duration = Duration::from_secs(1);

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
pub struct SwarmNode {
    // TODO (step 1): your state. You will need at least the neighbours (and when each
    // was last heard from), the dials in flight (and when they were sent), and a count of
    // the Accepts sent (for ReadOk).
}

impl Default for SwarmNode {
    fn default() -> Self {
        SwarmNode::new()
    }
}

impl SwarmNode {
    /// A node with no connections.
    pub fn new() -> SwarmNode {
        // TODO (step 1)
        todo!()
    }
}

impl Node for SwarmNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 1): dial some peers; start the Tick timer.
        todo!()
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (steps 1–3): answer Read; Connect (tie-break on simultaneous dials, step 2;
        // refuse beyond the maximum degree); Accept, Refuse, Close; Ping and Pong.
        todo!()
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (steps 4–5): drop silent neighbours and stale dials, ping the rest, and
        // dial random known peers until you reach the target degree.
        todo!()
    }
}
