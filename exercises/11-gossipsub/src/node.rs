//! The gossipsub router as a sans-IO node (gossipsub v1.0, "Router State" and
//! "Control Messages", hardened as v1.1 says).
//!
//! Peers talk in RPC frames ([`Msg::Rpc`], the protobuf of [`crate::proto`]); clients
//! subscribe, publish and read. A node keeps, per topic it subscribes to, a *mesh* of
//! about D peers: a message it accepts goes to its mesh (full messages, fast), and at
//! each heartbeat it tells D_lazy other peers which message ids it has seen lately
//! (IHAVE), so a peer the mesh missed asks for them (IWANT). For a topic it publishes to
//! without subscribing it keeps a *fanout* set instead. The mesh is kept between D_lo
//! and D_hi with GRAFT and PRUNE at each heartbeat; a pruned peer must wait out the
//! backoff before it GRAFTs again.
//!
//! A message is delivered once: its id (`from` ‖ `seqno`) goes into the seen cache,
//! but only after its signature verified, so that a forgery cannot take a real message's
//! place. Peers that send invalid messages, or GRAFT during their backoff, lose score,
//! and the score decides who stays in the mesh, who gets gossip and whom the node listens
//! to at all.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use identity_solution::Keypair;
use kit::rand::RngExt;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Key, Validation};
use crate::proto::{Graft, IHave, IWant, Message, Prune, Rpc, SubOpts};
use crate::sign::{message_id, sign, verify};

/// What clients and nodes send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: join `topic`.
    Subscribe {
        /// The topic.
        topic: String,
    },
    /// The answer to `Subscribe`.
    SubscribeOk,
    /// Client: publish `data` on `topic`, signed by this node.
    Publish {
        /// The topic.
        topic: String,
        /// The content.
        data: Vec<u8>,
    },
    /// The answer to `Publish`: the new message's id.
    PublishOk {
        /// `from` ‖ `seqno`.
        id: Vec<u8>,
    },
    /// Client: what is your state?
    Read,
    /// The answer to `Read`.
    ReadOk {
        /// The node's state as the checks see it.
        status: Status,
    },
    /// Node to node: one RPC frame, the protobuf bytes of a [`Rpc`].
    Rpc {
        /// The encoded frame.
        frame: Vec<u8>,
    },
    /// Client (the host, as libp2p's "connection established"): a connection to `peer`
    /// is up. The node sends it its subscriptions at once and counts it among its peers.
    /// Not answered.
    PeerUp {
        /// The peer now connected.
        peer: NodeId,
    },
    /// Client (the host, as libp2p's "connection closed"): `peer` is gone. The node
    /// drops it from every mesh and fanout set and frees what it kept for it; a
    /// negative score alone is kept, for `Config::retain_score`. Not answered.
    PeerDown {
        /// The peer gone.
        peer: NodeId,
    },
    /// Client: the messages delivered since the last `Take`, handed over and forgotten.
    Take,
    /// The answer to `Take`.
    TakeOk {
        /// The messages delivered and not yet taken, in order.
        delivered: Vec<Delivered>,
    },
}

/// A message a node delivered to its application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// Its topic.
    pub topic: String,
    /// Its id.
    pub id: Vec<u8>,
    /// Its content.
    pub data: Vec<u8>,
}

/// What a node tells a client that asks (`Read`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The messages delivered and not yet taken (`Take`), in order, at most
    /// `Config::max_delivered` (a node's own messages are not delivered back to it).
    pub delivered: Vec<Delivered>,
    /// How many delivered messages were dropped untaken because `Config::max_delivered`
    /// were already waiting.
    pub dropped: u64,
    /// Every peer the node keeps anything for: connected (`PeerUp`), subscribed,
    /// in a mesh or fanout set, scored, counted, in backoff. A departed peer whose
    /// negative score is retained is in `scores` only.
    pub peers: BTreeSet<NodeId>,
    /// The mesh of each subscribed topic.
    pub mesh: BTreeMap<String, BTreeSet<NodeId>>,
    /// The fanout set of each topic published to without subscribing.
    pub fanout: BTreeMap<String, BTreeSet<NodeId>>,
    /// Every peer whose score is not zero, with its score.
    pub scores: BTreeMap<NodeId, f64>,
}

/// The node's timer: one kind, the heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Mesh maintenance, fanout, gossip, cache shifting: every `Config::heartbeat`.
    Heartbeat,
}

/// A gossipsub router.
#[derive(Clone, Debug)]
pub struct GossipsubNode {
    key: Key,
    config: Config,
    // TODO (step 3): the rest of the router's state is yours to design: what it
    // subscribes to, who subscribes to what, the meshes, fanout, backoffs, the message
    // cache, the seen cache, what it delivered, the peers' score counters.
}

/// A message id as hex: the key under which the simulator tracks its spread. Call
/// `ctx.observe(hex(&id))` once per message on each node: when you publish it, and when
/// you deliver one that arrived (not for copies seen before). The simulator times a line
/// from the first observation to the last (step 8's latency figures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` of `candidates` at random (all of them if there are fewer).
fn pick(rng: &mut kit::NodeRng, mut candidates: Vec<NodeId>, n: usize) -> Vec<NodeId> {
    let mut out = Vec::new();
    while out.len() < n && !candidates.is_empty() {
        let i = rng.random_range(0..candidates.len());
        out.push(candidates.swap_remove(i));
    }
    out
}

impl GossipsubNode {
    /// A node that signs with `keypair` and routes by `config`, subscribed to nothing.
    pub fn new(keypair: Keypair, config: Config) -> GossipsubNode {
        // TODO (step 3)
        todo!()
    }

    /// The node's state as [`Msg::ReadOk`] reports it.
    pub fn status(&self) -> Status {
        // TODO (step 3)
        todo!()
    }

    /// `peer`'s score: `invalid_message_weight` × (invalid messages)² +
    /// `behaviour_penalty_weight` × (penalties)², and, for a peer that has been in a mesh
    /// for `mesh_delivery_activation` (as of the last heartbeat) and has delivered fewer
    /// than `mesh_delivery_threshold` messages first, `mesh_delivery_weight` × (the
    /// deficit)²; every counter as decayed so far.
    pub fn score(&self, peer: &NodeId) -> f64 {
        // TODO (step 7)
        todo!()
    }
}

impl Node for GossipsubNode {
    type Message = Msg;
    type Timer = Timer;

    /// Sets the first heartbeat, `Config::heartbeat` from now.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 3)
        todo!()
    }

    /// `Subscribe`: join the topic (announce it to every peer, take the fanout set
    /// or D topic peers as the mesh, GRAFT them), answer `SubscribeOk`. `Publish`:
    /// sign the next seqno (1, 2, 3, …), send it (flood publish: every topic peer at
    /// or above `publish_threshold`; else the mesh, or the fanout set), answer
    /// `PublishOk`. `Read`: answer `ReadOk`. `Take`: answer `TakeOk` with the messages
    /// delivered since the last `Take`, and forget them. `Rpc`: everything a peer sends:
    /// ignored whole from a graylisted peer; an undecodable frame counts as one invalid
    /// message; then subscriptions (all of them ignored, and one invalid message, if
    /// they would take the peer past `max_topics_per_peer` topics), messages, GRAFT,
    /// PRUNE, IHAVE, IWANT. `PeerUp`: send the peer the node's subscriptions; it is
    /// one of the peers a later `Subscribe` announces to (with `ctx.peers()`).
    /// `PeerDown`: drop the peer from every mesh and fanout set and free all its state;
    /// keep its score counters only if its score is negative, for `retain_score` (at
    /// most `max_retained_scores` such peers), so that reconnecting does not clear it.
    /// What the node sends in answer to one input goes out as at most one frame per
    /// peer. A message published, or delivered for the first time, is observed:
    /// `ctx.observe(hex(&id))` (see [`hex`]).
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (steps 3–7)
        // TODO (step 11): PeerUp, PeerDown, Take, and the bound on a peer's topics
        todo!()
    }

    /// The heartbeat: decay scores, note which mesh peers have been in a mesh for
    /// `mesh_delivery_activation`; per subscribed topic, drop peers with a negative
    /// score or gone from the topic, GRAFT up to D below D_lo, PRUNE down to D above
    /// D_hi (the D_score best kept; this score only penalises, so every peer left by
    /// then scores 0 and the D kept are, in effect, drawn at random); expire and top up fanout; IHAVE the last
    /// `mcache_gossip` windows' ids to D_lazy topic peers outside the mesh or fanout;
    /// shift the message cache; expire the seen cache. Then the next heartbeat.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (steps 4–6)
        todo!()
    }
}
