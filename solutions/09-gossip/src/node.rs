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

// The design of this reference, one of many that pass:
//
// - Shape. The node with the smallest id is the hub; every other node talks only
//   to the hub. A value crosses at most two links: origin → hub → everyone. This
//   ignores the topology Maelstrom suggests (a grid, whose diameter of eight hops
//   would cost 800 ms at 100 ms a hop).
// - Batching. Values are not sent when they arrive but on the next tick (every
//   `interval`), all together: one message per neighbour per tick carries every value
//   that neighbour lacks. Fewer, larger messages.
// - Acknowledgements. A neighbour confirms the values it got (`GossipOk`); values
//   not confirmed within `retry` are sent again. That is what carries values across a
//   partition once it heals, and what lets a node stop sending what a neighbour has.

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
    interval: Duration,
    retry: Duration,
    /// Every value this node knows.
    values: BTreeSet<u64>,
    // For each neighbour, the values it is known to have.
    known: BTreeMap<NodeId, BTreeSet<u64>>,
    // For each neighbour, values sent and not yet confirmed, with when they were sent.
    in_flight: BTreeMap<NodeId, BTreeMap<u64, Duration>>,
}

impl Default for BroadcastNode {
    fn default() -> Self {
        BroadcastNode::new()
    }
}

impl BroadcastNode {
    /// A fresh node, knowing no values.
    pub fn new() -> BroadcastNode {
        // Gossip every 100 ms; resend what is unconfirmed after 1 s.
        BroadcastNode {
            interval: Duration::from_millis(100),
            retry: Duration::from_secs(1),
            values: BTreeSet::new(),
            known: BTreeMap::new(),
            in_flight: BTreeMap::new(),
        }
    }

    // The neighbours on the two-level tree: everyone for the hub, the hub for others.
    fn neighbours(ctx: &Context<Msg, Timer>) -> Vec<NodeId> {
        let hub = ctx.peers().iter().chain([ctx.me()]).min().cloned();
        match hub {
            Some(hub) if &hub == ctx.me() => ctx.peers().to_vec(),
            Some(hub) => vec![hub],
            None => Vec::new(),
        }
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
        for peer in Self::neighbours(ctx) {
            self.known.insert(peer.clone(), BTreeSet::new());
            self.in_flight.insert(peer, BTreeMap::new());
        }
        ctx.set_timer(self.interval, Timer::Tick);
    }

    /// A message from a client (`Topology`, `Broadcast`, `Read`: answer it with
    /// `ctx.send(from, …)`) or from another node (whatever your design sends).
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        match message {
            Msg::Topology { .. } => ctx.send(from, Msg::TopologyOk),
            Msg::Broadcast { message } => {
                self.learn(ctx, message);
                ctx.send(from, Msg::BroadcastOk);
            }
            Msg::Read => ctx.send(from, Msg::ReadOk { messages: self.values.iter().copied().collect() }),
            Msg::Gossip { messages } => {
                for &value in &messages {
                    self.learn(ctx, value);
                }
                // The sender has these: never send them back to it.
                if let Some(known) = self.known.get_mut(&from) {
                    known.extend(messages.iter().copied());
                }
                ctx.send(from, Msg::GossipOk { messages });
            }
            Msg::GossipOk { messages } => {
                if let Some(known) = self.known.get_mut(&from) {
                    known.extend(messages.iter().copied());
                }
                if let Some(flight) = self.in_flight.get_mut(&from) {
                    for value in &messages {
                        flight.remove(value);
                    }
                }
            }
            Msg::TopologyOk | Msg::BroadcastOk | Msg::ReadOk { .. } => {}
        }
    }

    /// A timer this node set has fired.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, Timer::Tick: Timer) {
        let now = ctx.now();
        for (peer, known) in &self.known {
            let flight = self.in_flight.entry(peer.clone()).or_default();
            let due: Vec<u64> = self
                .values
                .difference(known)
                .filter(|v| flight.get(v).is_none_or(|sent| now.saturating_sub(*sent) >= self.retry))
                .copied()
                .collect();
            if !due.is_empty() {
                for &value in &due {
                    flight.insert(value, now);
                }
                ctx.send(peer.clone(), Msg::Gossip { messages: due });
            }
        }
        ctx.set_timer(self.interval, Timer::Tick);
    }
}
