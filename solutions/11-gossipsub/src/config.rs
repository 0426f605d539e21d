//! The router's parameters, with the spec's defaults, and the application's verdict
//! on a message.
//!
//! Gossipsub v1.0's parameters ("Parameters",
//! <https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#parameters>)
//! and v1.1's additions ("Peer Scoring", "Flood Publishing", "Prune Backoff and Peer
//! Exchange", <https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md>).
//! The score here is a small one of the spec's shape (see [`Config`]'s score fields);
//! the thresholds keep the spec's meanings.

use std::time::Duration;

use identity_solution::Keypair;

/// What the application says of a message that passed the signature check (v1.1,
/// "Extended Validators").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// Deliver it and forward it.
    Accept,
    /// Neither deliver nor forward it, and blame no one (a message the application
    /// does not want now).
    Ignore,
    /// Neither deliver nor forward it, and count it against the peer that sent it
    /// (the score's invalid-message counter).
    Reject,
}

/// The validator every message passes: accepts everything.
pub fn accept_all(_topic: &str, _data: &[u8]) -> Validation {
    Validation::Accept
}

/// The router's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// D: the mesh degree a node aims for.
    pub d: usize,
    /// D_lo: fewer mesh peers than this, and the heartbeat grafts up to D.
    pub d_lo: usize,
    /// D_hi: more than this, and the heartbeat prunes down to D.
    pub d_hi: usize,
    /// D_lazy: how many peers outside the mesh get IHAVE gossip per topic.
    pub d_lazy: usize,
    /// D_score: when pruning down to D, how many of the best-scoring peers are kept
    /// before the rest are picked at random.
    pub d_score: usize,
    /// How often the heartbeat runs.
    pub heartbeat: Duration,
    /// How long a fanout set is kept after the node last published to its topic.
    pub fanout_ttl: Duration,
    /// How many heartbeats of messages the message cache keeps (for IWANT).
    pub mcache_len: usize,
    /// How many of the most recent heartbeats' messages IHAVE advertises.
    pub mcache_gossip: usize,
    /// How long a message id stays in the seen cache.
    pub seen_ttl: Duration,
    /// How long a pruned peer must wait before it may GRAFT again (sent in PRUNE).
    pub prune_backoff: Duration,
    /// v1.1: the node sends its own messages to every topic peer whose score is at
    /// least `publish_threshold`, not only to its mesh.
    pub flood_publish: bool,
    /// How many times a node sends one message to one peer in answer to IWANT.
    pub gossip_retransmission: u32,
    /// How many IHAVE messages a node reads from one peer per heartbeat.
    pub max_ihave_messages: usize,
    /// How many message ids a node asks one peer for per heartbeat.
    pub max_ihave_length: usize,
    /// The score's weight of the invalid-message counter (P4), squared: negative.
    pub invalid_message_weight: f64,
    /// The score's weight of the behaviour penalty (P7), squared: negative.
    pub behaviour_penalty_weight: f64,
    /// The score's weight of a mesh peer's delivery deficit (P3), squared: negative, or
    /// 0 to leave P3 out (the default, as in rust-libp2p until an application sets
    /// topic parameters).
    pub mesh_delivery_weight: f64,
    /// How many first deliveries (decayed) a mesh peer owes; below it, the deficit.
    pub mesh_delivery_threshold: f64,
    /// How long a peer must have been in a mesh, as seen at the heartbeat, before its
    /// deficit counts.
    pub mesh_delivery_activation: Duration,
    /// What every score counter is multiplied by at each heartbeat (0 to 1); a counter
    /// below 0.01 becomes 0.
    pub score_decay: f64,
    /// Below this score a peer gets no gossip and its IHAVE and IWANT are ignored.
    pub gossip_threshold: f64,
    /// Below this score a peer gets none of the node's own messages by flood publish.
    pub publish_threshold: f64,
    /// Below this score everything a peer sends is ignored.
    pub graylist_threshold: f64,
    /// How many topics one peer may be subscribed to as this node tracks it. A frame
    /// whose subscriptions would take a peer past it has its subscriptions ignored, all
    /// of them, and counts as one invalid message of that peer (the count is rust-libp2p's
    /// `MaxCountSubscriptionFilter`'s; the penalty is ours).
    pub max_topics_per_peer: usize,
    /// How long the score counters of a peer that left (`Msg::PeerDown`) are kept when
    /// its score is negative, so that it cannot clear a bad score by reconnecting (v1.1,
    /// "The RetainScore parameter").
    pub retain_score: Duration,
    /// How many departed peers' negative scores are kept at most; past it, the one that
    /// would be forgotten soonest goes first.
    pub max_retained_scores: usize,
    /// How many delivered messages wait for the application (`Msg::Take`) at most;
    /// past it, the oldest is dropped and counted (`Status::dropped`).
    pub max_delivered: usize,
    /// The application's verdict on a message.
    pub validator: fn(&str, &[u8]) -> Validation,
}

impl Default for Config {
    /// The spec's defaults: D = 6, D_lo = 4, D_hi = 12, D_lazy = 6, D_score = 4, a
    /// heartbeat every second, fanout TTL 60 s, mcache 5 heartbeats of which 3 are
    /// gossiped, seen cache 2 minutes, prune backoff 1 minute, flood publishing on; IWANT
    /// answered 3 times per message and peer, 10 IHAVE messages and 5,000 ids per peer
    /// and heartbeat (rust-libp2p's limits); weights −10 and −10, P3 off (weight 0,
    /// threshold 1, activation 5 s), decay 0.9, thresholds −10, −50, −80; 64 topics per
    /// peer; negative scores of departed peers kept an hour (rust-libp2p's
    /// `retain_score`), for 1,024 peers at most; 4,096 deliveries waiting at most; every
    /// message accepted.
    fn default() -> Config {
        Config {
            d: 6,
            d_lo: 4,
            d_hi: 12,
            d_lazy: 6,
            d_score: 4,
            heartbeat: Duration::from_secs(1),
            fanout_ttl: Duration::from_secs(60),
            mcache_len: 5,
            mcache_gossip: 3,
            seen_ttl: Duration::from_secs(120),
            prune_backoff: Duration::from_secs(60),
            flood_publish: true,
            gossip_retransmission: 3,
            max_ihave_messages: 10,
            max_ihave_length: 5000,
            invalid_message_weight: -10.0,
            behaviour_penalty_weight: -10.0,
            mesh_delivery_weight: 0.0,
            mesh_delivery_threshold: 1.0,
            mesh_delivery_activation: Duration::from_secs(5),
            score_decay: 0.9,
            gossip_threshold: -10.0,
            publish_threshold: -50.0,
            graylist_threshold: -80.0,
            max_topics_per_peer: 64,
            retain_score: Duration::from_secs(3600),
            max_retained_scores: 1024,
            max_delivered: 4096,
            validator: accept_all,
        }
    }
}

/// A keypair the node signs with, printed as its peer id (so a node can derive
/// `Debug`, which the exhaustive search needs, without printing its secret).
#[derive(Clone)]
pub struct Key(pub Keypair);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.0.peer_id())
    }
}
