//! The anti-entropy protocol as a sans-IO node.
//!
//! Every `interval`, a node sends its frontier to one random peer ("here is what I
//! have"). A node that receives a frontier answers with the entries the sender lacks
//! (at most `batch` at a time), and, if the sender is ahead somewhere, with its own
//! frontier so that the sender answers in turn. Receiving is verifying: an entry that
//! does not continue its author's log exactly is never stored, and a peer that sends
//! one is no longer listened to. Nothing needs to be acknowledged or retried: a lost
//! message is repaired by the next round.

use std::collections::BTreeSet;
use std::time::Duration;

use append_log_solution::{Entry, LogError};
use kit::rand::RngExt;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

use crate::replica::{Frontier, Replica};

/// What nodes and clients send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: append `text` to the node's own log.
    Post { text: String },
    /// The entry is stored: it has sequence number `seq` in the node's log.
    PostOk { seq: u64 },
    /// Client: what do you hold?
    Read,
    /// The answer to `Read`.
    ReadOk {
        /// [`Replica::digest`]: equal digests mean equal logs.
        digest: [u8; 32],
        /// How many entries, over all logs.
        entries: u64,
        /// Peers caught sending invalid entries.
        bad_peers: Vec<NodeId>,
        /// How many entries this node has sent to peers so far.
        entries_sent: u64,
    },
    /// A frontier: for each author, the highest sequence number held.
    Have { frontier: Vec<([u8; 32], u64)> },
    /// Entries, each as its bytes (`Entry::to_bytes`).
    Entries { entries: Vec<Vec<u8>> },
}

/// The node's only timer: time to sync with a random peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Sync,
}

/// A replica on the network. (`Clone` and `Debug` let the checks search every
/// interleaving of a small network: keep your fields to types that have both.)
#[derive(Clone, Debug)]
pub struct ReplicaNode {
    replica: Replica,
    interval: Duration,
    batch: usize,
    bad_peers: BTreeSet<NodeId>,
    entries_sent: u64,
}

impl ReplicaNode {
    /// A node writing its own log with `secret`, syncing every `interval`, sending at
    /// most `batch` entries per message.
    pub fn new(secret: [u8; 32], interval: Duration, batch: usize) -> ReplicaNode {
        ReplicaNode { replica: Replica::new(secret), interval, batch, bad_peers: BTreeSet::new(), entries_sent: 0 }
    }

    fn send_frontier(&self, ctx: &mut Context<Msg, Timer>, to: NodeId) {
        ctx.send(to, Msg::Have { frontier: self.replica.frontier().into_iter().collect() });
    }

    /// `from` says what it has: answer as the module documentation says. Every entry
    /// sent counts in `entries_sent`; nothing at all is sent back when the two are
    /// even.
    fn on_have(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, theirs: Frontier) {
        let missing = self.replica.missing_for(&theirs, self.batch);
        if !missing.is_empty() {
            self.entries_sent += missing.len() as u64;
            ctx.send(from.clone(), Msg::Entries { entries: missing.iter().map(Entry::to_bytes).collect() });
        }
        let mine = self.replica.frontier();
        if theirs.iter().any(|(author, seq)| mine.get(author).copied().unwrap_or(0) < *seq) {
            self.send_frontier(ctx, from);
        }
    }

    /// Entries from `from`, as bytes off the wire. Each entry new to this replica is
    /// reported to the simulator ([`Context::observe`] under [`key`]) once it is stored.
    ///
    /// A peer that sends bytes that are not an entry, or an entry its author did not
    /// write, is lying: it becomes a bad peer, never listened to or synced with again.
    /// A gap is not a lie (a lost or reordered message looks like one), and the next
    /// round repairs it. A full batch means more may be waiting: ask again at once
    /// rather than a round later.
    fn on_entries(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, raw: Vec<Vec<u8>>) {
        let full_batch = raw.len() >= self.batch;
        let mut entries = Vec::with_capacity(raw.len());
        for bytes in &raw {
            match Entry::from_bytes(bytes) {
                Ok(entry) => entries.push(entry),
                Err(_) => {
                    self.bad_peers.insert(from);
                    return;
                }
            }
        }
        let before = self.replica.frontier();
        let result = self.replica.receive(&entries);
        for entry in &entries {
            if before.get(&entry.author).copied().unwrap_or(0) < entry.seq
                && self.replica.frontier().get(&entry.author).copied().unwrap_or(0) >= entry.seq
            {
                ctx.observe(key(entry));
            }
        }
        match result {
            // More may be waiting: ask again at once rather than at the next round.
            Ok(_) if full_batch => self.send_frontier(ctx, from),
            Ok(_) => {}
            // A gap is what a lost or reordered message looks like: not the peer's fault.
            Err(LogError::Gap { .. }) => {}
            Err(_) => {
                self.bad_peers.insert(from);
            }
        }
    }
}

/// The name under which the simulator tracks an entry's spread.
pub fn key(entry: &Entry) -> String {
    format!("{}:{}", hex_prefix(&entry.author), entry.seq)
}

fn hex_prefix(author: &[u8; 32]) -> String {
    author[..4].iter().map(|b| format!("{b:02x}")).collect()
}

impl Node for ReplicaNode {
    type Message = Msg;
    type Timer = Timer;

    /// Starts the rounds: the first [`Timer::Sync`] after `interval`.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.set_timer(self.interval, Timer::Sync);
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        if self.bad_peers.contains(&from) {
            return;
        }
        match message {
            Msg::Post { text } => {
                // Over the payload limit: no acknowledgement, so the client knows.
                if let Ok(entry) = self.replica.post(text.as_bytes()) {
                    ctx.observe(key(&entry));
                    ctx.send(from, Msg::PostOk { seq: entry.seq });
                }
            }
            Msg::Read => {
                let reply = Msg::ReadOk {
                    digest: self.replica.digest(),
                    entries: self.replica.logs().values().map(|l| l.len() as u64).sum(),
                    bad_peers: self.bad_peers.iter().cloned().collect(),
                    entries_sent: self.entries_sent,
                };
                ctx.send(from, reply);
            }
            Msg::Have { frontier } => self.on_have(ctx, from, frontier.into_iter().collect()),
            Msg::Entries { entries } => self.on_entries(ctx, from, entries),
            Msg::PostOk { .. } | Msg::ReadOk { .. } => {}
        }
    }

    /// A round: this node's frontier to one peer chosen at random among those not known
    /// to lie (so that, round after round, everyone meets everyone), and the next round
    /// set.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, Timer::Sync: Timer) {
        let peers: Vec<NodeId> = ctx.peers().iter().filter(|p| !self.bad_peers.contains(*p)).cloned().collect();
        if !peers.is_empty() {
            let peer = peers[ctx.rng().random_range(0..peers.len())].clone();
            self.send_frontier(ctx, peer);
        }
        ctx.set_timer(self.interval, Timer::Sync);
    }
}
