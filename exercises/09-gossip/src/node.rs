//! The gossip node. Everything here is yours to design: the state, the neighbours
//! each node talks to, when it sends, and what it resends.
//!
//! What the checks expect (read `tests/checks/mod.rs` for the details):
//!
//! - `Topology` → `TopologyOk`, `Broadcast` → `BroadcastOk`, `Read` → `ReadOk` with
//!   every value the node knows, ascending, once each (step 1);
//! - every broadcast value reaches every node (step 2), also when the network was
//!   partitioned while it was broadcast (step 3);
//! - a node tells the simulator the first time it learns a value (`learn` does): the
//!   simulator measures how long each value takes to reach every node from that;
//! - on Gossip Glomers' 3d/3e workload (25 nodes, 100 ms links, 100 operations per
//!   second for 20 s), fewer than 30 messages between nodes per operation with a
//!   median latency under 400 ms and a maximum under 600 ms (step 4), and fewer than 20
//!   messages per operation with a median under 1 s and a maximum under 2 s (step 5).
//!   Latency runs from the client's `BroadcastOk` until the last node has the value.
//!
//! A node never reads a clock or opens a socket: `ctx.now()` is the time, `ctx.send`
//! sends, `ctx.set_timer` asks for `on_timer` later (the book's kit chapter,
//! `book/kit.md`, shows the whole `Context`). The same node runs in the simulator for
//! the checks and under Maelstrom through `src/main.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::{Context, Node, NodeId};

use crate::messages::Msg;

/// What a timer brings back to the node. Add variants if you need them: the checks
/// only hand timers back to the node that set them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

/// A node of the broadcast system. (`Clone` and `Debug` let the checks search every
/// interleaving of a small network: keep your fields to types that have both.)
#[derive(Clone, Debug)]
pub struct BroadcastNode {
    /// Every value this node knows.
    values: BTreeSet<u64>,
    // TODO (step 3): what else must a node remember to carry values across a
    // partition? Which neighbours are known to have which values, perhaps.
    // TODO (step 5): and what was sent when, to resend no sooner than needed.
}

impl Default for BroadcastNode {
    fn default() -> Self {
        BroadcastNode::new()
    }
}

impl BroadcastNode {
    /// A fresh node, knowing no values.
    pub fn new() -> BroadcastNode {
        // TODO (step 1)
        todo!()
    }

    /// Adds `value` to what this node knows, and the first time, tells the simulator
    /// ([`Context::observe`]), which measures from it when the value reached each node.
    fn learn(&mut self, ctx: &mut Context<Msg, Timer>, value: u64) {
        if self.values.insert(value) {
            ctx.observe(value.to_string());
        }
    }
}

impl Node for BroadcastNode {
    type Message = Msg;
    type Timer = Timer;

    /// The node starts, before any message. [`Context::peers`] already lists every
    /// other node of the network (never clients, never itself).
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 1): nothing to do yet, perhaps
        // TODO (step 3): start a periodic timer, if your design uses one
        todo!()
    }

    /// A message from a client (`Topology`, `Broadcast`, `Read`: answer it with
    /// `ctx.send(from, …)`) or from another node (whatever your design sends).
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (step 1): answer clients
        // TODO (step 2): learn values from peers, and pass on what is new
        // TODO (step 3): acknowledge what you got, and note what peers confirm
        todo!()
    }

    /// A timer this node set has fired.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (step 3): send again what a neighbour still lacks
        // TODO (step 4): one message per neighbour, along fewer links
        // TODO (step 5): no more resends than the budget allows
        todo!()
    }
}
