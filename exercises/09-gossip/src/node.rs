//! The gossip node. Everything here is yours to design: the state, the neighbours
//! each node talks to, when it sends, and what it resends.
//!
//! What the checks expect (read `tests/checks/mod.rs` for the details):
//!
//! - `Topology` → `TopologyOk`, `Broadcast` → `BroadcastOk`, `Read` → `ReadOk` with
//!   every value the node knows, ascending, once each (step 1);
//! - every broadcast value reaches every node (step 2), also when the network was
//!   partitioned while it was broadcast (step 3);
//! - call `ctx.observe(value.to_string())` the first time a node learns a value: the
//!   simulator measures how long each value takes to reach every node from that;
//! - on Gossip Glomers' 3d/3e workload (25 nodes, 100 ms links, 100 operations per
//!   second for 20 s), fewer than 30 messages between nodes per operation with a
//!   median latency under 400 ms and a maximum under 600 ms (step 4), and fewer than 20
//!   messages per operation with a median under 1 s and a maximum under 2 s (step 5).
//!
//! A node never reads a clock or opens a socket: `ctx.now()` is the time, `ctx.send`
//! sends, `ctx.set_timer` asks for `on_timer` later. The same node runs in the
//! simulator for the checks and under Maelstrom through `src/main.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::{Context, Node, NodeId};

use crate::messages::Msg;

/// What a timer brings back to the node. Add variants if you need them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

/// A node of the broadcast system.
pub struct BroadcastNode {
    /// Every value this node knows.
    values: BTreeSet<u64>,
    // TODO (steps 3–5): what else must a node remember? Which neighbours know which
    // values, and what was sent when.
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
}

impl Node for BroadcastNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 3): start a periodic timer, if your design uses one.
        todo!()
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (steps 1–2): answer clients; learn and pass on values from peers.
        todo!()
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (steps 3–5): send (or resend) what each neighbour still lacks.
        todo!()
    }
}
