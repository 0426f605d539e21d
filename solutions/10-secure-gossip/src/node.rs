//! Flooding gossip that forwards only what it has checked.
//!
//! A node publishes its clients' lines as envelopes signed with its own key. Every
//! envelope that arrives goes through, in order: the batch size; for an author the node
//! does not know yet, the neighbour's budget for new authors (fresh keys cost an
//! attacker nothing, so they must cost the victim little); then the guard: payload
//! size, signature, the author's rate, replays. Only an envelope that
//! passes all of them is delivered (to the node's history) and forwarded to the other
//! peers, so a forgery or a replay dies at the first honest node it reaches. Refusals
//! are counted by reason, so an operator can see an attack.

use std::collections::BTreeMap;
use std::time::Duration;

use identity_solution::Keypair;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Reject};
use crate::guard::Guard;

/// The most envelopes one `Gossip` message may carry.
pub const MAX_BATCH: usize = 64;

/// A neighbour may introduce this many new authors in a burst...
const BUCKET: f64 = 50.0;
/// ...and this many per second after that. Envelopes of authors the node already
/// knows do not count: they are limited per author, by the guard.
const REFILL_PER_SEC: f64 = 20.0;

/// What clients and nodes send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: publish `text`, signed by this node.
    Publish { text: String },
    /// The envelope is signed and on its way; it has sequence number `seq`.
    PublishOk { seq: u64 },
    /// Client: what have you delivered?
    Read,
    /// The answer to `Read`.
    ReadOk {
        /// Every delivered envelope as (author, seq, payload), in delivery order.
        delivered: Vec<([u8; 32], u64, Vec<u8>)>,
        /// Refused envelopes (or batches), by reason.
        rejected: BTreeMap<Reject, u64>,
        /// How many authors the replay guard remembers.
        tracked_authors: usize,
    },
    /// Node to node: envelopes to check, deliver and pass on.
    Gossip { envelopes: Vec<Envelope> },
}

/// The node's timer type. It sets no timers; `()` lets it share a simulation with
/// nodes that do.
pub type Timer = ();

/// A token bucket: `tokens` refill at `REFILL_PER_SEC` up to `BUCKET`.
#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Duration,
}

/// A gossip node that trusts no one.
pub struct SecureNode {
    keypair: Keypair,
    seq: u64,
    guard: Guard,
    delivered: Vec<([u8; 32], u64, Vec<u8>)>,
    rejected: BTreeMap<Reject, u64>,
    buckets: BTreeMap<NodeId, Bucket>,
}

impl SecureNode {
    /// A node that signs with `keypair`.
    pub fn new(keypair: Keypair) -> SecureNode {
        SecureNode {
            keypair,
            seq: 0,
            guard: Guard::new(),
            delivered: Vec::new(),
            rejected: BTreeMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// Takes one token from `peer`'s bucket, if it has one. A neighbour's bucket starts
    /// full ([`BUCKET`]) and refills at [`REFILL_PER_SEC`], never above full.
    fn allow(&mut self, peer: &NodeId, now: Duration) -> bool {
        let bucket = self.buckets.entry(peer.clone()).or_insert(Bucket { tokens: BUCKET, at: now });
        let elapsed = now.saturating_sub(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * REFILL_PER_SEC).min(BUCKET);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Counts one refusal, by reason.
    fn refuse(&mut self, reason: Reject) {
        *self.rejected.entry(reason).or_default() += 1;
    }

    /// Delivers `envelope` and passes it on to every peer but `from`. Delivering is
    /// recording it in the node's history and telling the simulator, under
    /// [`hex_id`], that this node has it.
    fn deliver(&mut self, ctx: &mut Context<Msg, Timer>, envelope: Envelope, from: Option<&NodeId>) {
        ctx.observe(hex_id(&envelope));
        self.delivered.push((envelope.author, envelope.seq, envelope.payload.clone()));
        for peer in ctx.peers().to_vec() {
            if Some(&peer) != from {
                ctx.send(peer, Msg::Gossip { envelopes: vec![envelope.clone()] });
            }
        }
    }
}

/// The key under which the simulator tracks an envelope's spread.
pub fn hex_id(envelope: &Envelope) -> String {
    envelope.id()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl Node for SecureNode {
    type Message = Msg;
    type Timer = Timer;

    /// `Publish`: sign the line as this node's next message (1, 2, 3, …), pass it
    /// through the node's own guard like any other (its rate applies to it too),
    /// answer `PublishOk` with its number and deliver it; a line the guard refuses is
    /// counted and not published. `Read`: answer `ReadOk`. `Gossip`: check each
    /// envelope in the order of the module documentation, count one refusal per
    /// envelope refused, and deliver the rest; a batch over [`MAX_BATCH`] is refused
    /// whole, as one [`Reject::TooLarge`], before any of it is looked at.
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        let now = ctx.now();
        match message {
            Msg::Publish { text } => {
                let envelope = Envelope::sign(&self.keypair, self.seq + 1, text.as_bytes());
                match self.guard.admit(&envelope, now) {
                    Ok(()) => {
                        self.seq += 1;
                        ctx.send(from, Msg::PublishOk { seq: self.seq });
                        self.deliver(ctx, envelope, None);
                    }
                    Err(reason) => self.refuse(reason),
                }
            }
            Msg::Read => {
                let reply = Msg::ReadOk {
                    delivered: self.delivered.clone(),
                    rejected: self.rejected.clone(),
                    tracked_authors: self.guard.tracked_authors(),
                };
                ctx.send(from, reply);
            }
            Msg::Gossip { envelopes } => {
                if envelopes.len() > MAX_BATCH {
                    return self.refuse(Reject::TooLarge);
                }
                for envelope in envelopes {
                    if !self.guard.knows(&envelope.author) && !self.allow(&from, now) {
                        self.refuse(Reject::RateLimited);
                        continue;
                    }
                    match self.guard.admit(&envelope, now) {
                        Ok(()) => self.deliver(ctx, envelope, Some(&from)),
                        Err(reason) => self.refuse(reason),
                    }
                }
            }
            Msg::PublishOk { .. } | Msg::ReadOk { .. } => {}
        }
    }
}
