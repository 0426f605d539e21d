//! The chat node: eager push for speed, anti-entropy for completeness.

use std::collections::BTreeSet;
use std::time::Duration;

use anti_entropy_solution::{Frontier, Replica};
use append_log_solution::{Entry, LogError};
use kit::rand::RngExt;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

use crate::line::{Line, Shown, history};

/// The longest line, in bytes of text.
pub const MAX_TEXT: usize = 1000;

/// How far ahead of this node's clock (the highest clock it has accepted or written) a
/// received line's clock may be. An honest author's clock is one more than the highest
/// it had seen when it wrote, so honest clocks grow by one per line: a line can be
/// ahead of ours only by the lines we have not seen yet, and in a room that is far less
/// than a thousand. A larger lead is inflation: a line signed with clock `u64::MAX`
/// would sort after every line for ever and make the next `clock + 1` overflow. Such a
/// line is refused *for now* (not stored, the sender not blamed, since an honest peer
/// may only be passing it on); anti-entropy offers it again, and it is taken once our
/// clock has come within reach, which honest histories always allow, because their
/// clocks have no gaps larger than one.
pub const MAX_CLOCK_LEAD: u64 = 1_000;

/// What nodes and clients (the terminal, the checks) send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: say `text` in the room.
    Say { text: String },
    /// The line is in the node's log as number `seq`.
    SayOk { seq: u64 },
    /// The line was refused (too long).
    SayError { reason: String },
    /// Client: what does the room look like from here?
    History,
    /// Every line, in order, and a digest of the logs held (equal digests, equal logs).
    HistoryOk { lines: Vec<Shown>, digest: [u8; 32] },
    /// Anti-entropy: for each author, the highest sequence number held.
    Have { frontier: Vec<([u8; 32], u64)> },
    /// Entries, each as its bytes: pushed when written, or sent to fill a gap.
    Entries { entries: Vec<Vec<u8>> },
}

/// Time for a round of anti-entropy with a random peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Run a round of anti-entropy.
    Sync,
}

/// A participant in the room. (`Clone` and `Debug` let the checks search every
/// interleaving of a small room: keep your fields to types that have both.)
#[derive(Clone, Debug)]
pub struct ChatNode {
    replica: Replica,
    nick: String,
    /// The Lamport clock: the largest clock seen or written.
    clock: u64,
    interval: Duration,
    batch: usize,
    bad_peers: BTreeSet<NodeId>,
}

impl ChatNode {
    /// A node for `nick`, writing with the Ed25519 secret key `secret`, running
    /// anti-entropy every `interval`.
    pub fn new(secret: [u8; 32], nick: &str, interval: Duration) -> ChatNode {
        ChatNode {
            replica: Replica::new(secret),
            nick: nick.to_string(),
            clock: 0,
            interval,
            batch: 64,
            bad_peers: BTreeSet::new(),
        }
    }

    /// This node's author key.
    pub fn author(&self) -> [u8; 32] {
        self.replica.author()
    }

    /// Writes `text` as the next line: its clock is one more than any seen (saturating,
    /// so no clock can overflow). A text over [`MAX_TEXT`] bytes gets `SayError` and
    /// changes nothing. Otherwise the line goes into this node's own log, is pushed at
    /// once to every peer not marked bad (the push is what makes a line fast; anti-entropy
    /// only repairs), is observed under its [`key`], and the client gets `SayOk` with the
    /// entry's sequence number.
    fn say(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, text: String) {
        // TODO (step 2)
        // TODO (step 8)
        todo!()
    }

    /// Tells `to` what this node holds: its frontier, the highest sequence number of
    /// each author's log.
    fn send_have(&self, ctx: &mut Context<Msg, Timer>, to: NodeId) {
        // TODO (step 3)
        todo!()
    }

    /// A peer's frontier: send what it lacks; if it has what we lack, say so.
    fn on_have(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, theirs: Frontier) {
        // TODO (step 3)
        todo!()
    }

    /// Entries from a peer: verify and store them, move the clock forward. A gap (a
    /// push that overtook an earlier line, or a line missed in a partition) asks the
    /// sender for the rest; anything invalid marks the sender as bad. A line whose clock
    /// is more than [`MAX_CLOCK_LEAD`] ahead of ours is not stored yet, and neither is
    /// anything after it in its author's log; nothing it carries can crash the node.
    fn on_entries(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, raw: Vec<Vec<u8>>) {
        // TODO (step 3)
        // TODO (step 6)
        // TODO (step 8)
        todo!()
    }
}

/// The name under which the simulator tracks a line's spread.
pub fn key(entry: &Entry) -> String {
    let author: String = entry.author[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{author}:{}", entry.seq)
}

impl Node for ChatNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.set_timer(self.interval, Timer::Sync);
    }

    /// Nothing from a peer marked bad is read. `Say` and `History` come from clients
    /// (the terminal) and are answered to them; `Have` and `Entries` from peers.
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (step 2)
        todo!()
    }

    /// A round of anti-entropy: `Have` to one peer chosen at random among those not
    /// marked bad, then the next round in `interval`.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, Timer::Sync: Timer) {
        // TODO (step 3)
        todo!()
    }
}
