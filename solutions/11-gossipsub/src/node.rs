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

/// A peer's score counters.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    invalid: f64,
    behaviour: f64,
}

/// A gossipsub router.
#[derive(Clone, Debug)]
pub struct GossipsubNode {
    key: Key,
    config: Config,
    seqno: u64,
    topics: BTreeSet<String>,
    peer_topics: BTreeMap<NodeId, BTreeSet<String>>,
    mesh: BTreeMap<String, BTreeSet<NodeId>>,
    fanout: BTreeMap<String, BTreeSet<NodeId>>,
    fanout_last: BTreeMap<String, Duration>,
    backoff: BTreeMap<(NodeId, String), Duration>,
    /// Message ids per heartbeat, newest first.
    windows: VecDeque<Vec<Vec<u8>>>,
    cache: BTreeMap<Vec<u8>, Message>,
    seen: BTreeMap<Vec<u8>, Duration>,
    delivered: VecDeque<Delivered>,
    counters: BTreeMap<NodeId, Counters>,
    /// First deliveries per peer (decayed), for P3.
    deliveries: BTreeMap<NodeId, f64>,
    /// Since when each peer has been in some mesh (as seen at heartbeats).
    mesh_since: BTreeMap<NodeId, Duration>,
    /// Mesh peers in a mesh for `mesh_delivery_activation` at the last heartbeat.
    active: BTreeSet<NodeId>,
    served: BTreeMap<(NodeId, Vec<u8>), u32>,
    ihaves: BTreeMap<NodeId, usize>,
    asked: BTreeMap<NodeId, usize>,
    outbox: BTreeMap<NodeId, Rpc>,
    /// Peers the host said are connected (`PeerUp`, until `PeerDown`).
    connected: BTreeSet<NodeId>,
    /// Departed peers whose negative score is kept, with until when.
    retained: BTreeMap<NodeId, Duration>,
    dropped: u64,
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
        GossipsubNode {
            key: Key(keypair),
            config,
            seqno: 0,
            topics: BTreeSet::new(),
            peer_topics: BTreeMap::new(),
            mesh: BTreeMap::new(),
            fanout: BTreeMap::new(),
            fanout_last: BTreeMap::new(),
            backoff: BTreeMap::new(),
            windows: VecDeque::from([Vec::new()]),
            cache: BTreeMap::new(),
            seen: BTreeMap::new(),
            delivered: VecDeque::new(),
            counters: BTreeMap::new(),
            deliveries: BTreeMap::new(),
            mesh_since: BTreeMap::new(),
            active: BTreeSet::new(),
            served: BTreeMap::new(),
            ihaves: BTreeMap::new(),
            asked: BTreeMap::new(),
            outbox: BTreeMap::new(),
            connected: BTreeSet::new(),
            retained: BTreeMap::new(),
            dropped: 0,
        }
    }

    /// The node's state as [`Msg::ReadOk`] reports it.
    pub fn status(&self) -> Status {
        let mut peers: BTreeSet<NodeId> = self.connected.clone();
        peers.extend(self.peer_topics.keys().cloned());
        peers.extend(self.mesh.values().chain(self.fanout.values()).flatten().cloned());
        peers.extend(self.counters.keys().filter(|p| !self.retained.contains_key(*p)).cloned());
        peers.extend(self.deliveries.keys().cloned());
        peers.extend(self.mesh_since.keys().cloned());
        peers.extend(self.active.iter().cloned());
        peers.extend(self.served.keys().map(|(p, _)| p.clone()));
        peers.extend(self.ihaves.keys().chain(self.asked.keys()).chain(self.outbox.keys()).cloned());
        peers.extend(self.backoff.keys().map(|(p, _)| p.clone()));
        Status {
            delivered: self.delivered.iter().cloned().collect(),
            dropped: self.dropped,
            peers,
            mesh: self.mesh.clone(),
            fanout: self.fanout.clone(),
            scores: self
                .counters
                .keys()
                .chain(self.active.iter())
                .map(|peer| (peer.clone(), self.score(peer)))
                .filter(|(_, score)| *score != 0.0)
                .collect(),
        }
    }

    /// `peer`'s score: `invalid_message_weight` × (invalid messages)² +
    /// `behaviour_penalty_weight` × (penalties)², and, for a peer that has been in a mesh
    /// for `mesh_delivery_activation` (as of the last heartbeat) and has delivered fewer
    /// than `mesh_delivery_threshold` messages first, `mesh_delivery_weight` × (the
    /// deficit)²; every counter as decayed so far.
    pub fn score(&self, peer: &NodeId) -> f64 {
        let c = self.counters.get(peer).copied().unwrap_or_default();
        let deficit = if self.active.contains(peer) {
            let delivered = self.deliveries.get(peer).copied().unwrap_or(0.0);
            (self.config.mesh_delivery_threshold - delivered).max(0.0)
        } else {
            0.0
        };
        self.config.invalid_message_weight * c.invalid * c.invalid
            + self.config.behaviour_penalty_weight * c.behaviour * c.behaviour
            + self.config.mesh_delivery_weight * deficit * deficit
    }

    fn rpc(&mut self, peer: &NodeId) -> &mut Rpc {
        self.outbox.entry(peer.clone()).or_default()
    }

    fn flush(&mut self, ctx: &mut Context<Msg, Timer>) {
        for (peer, rpc) in std::mem::take(&mut self.outbox) {
            ctx.send(peer, Msg::Rpc { frame: rpc.encode() });
        }
    }

    fn topic_peers(&self, topic: &str) -> Vec<NodeId> {
        self.peer_topics.iter().filter(|(_, t)| t.contains(topic)).map(|(p, _)| p.clone()).collect()
    }

    fn in_backoff(&self, peer: &NodeId, topic: &str, now: Duration) -> bool {
        self.backoff.get(&(peer.clone(), topic.to_string())).is_some_and(|until| *until > now)
    }

    fn prune(&mut self, peer: &NodeId, topic: &str, now: Duration) {
        let backoff = self.config.prune_backoff;
        self.backoff.insert((peer.clone(), topic.to_string()), now + backoff);
        self.rpc(peer).control.prune.push(Prune { topic: topic.to_string(), backoff: Some(backoff.as_secs()) });
    }

    fn join(&mut self, ctx: &mut Context<Msg, Timer>, topic: String) {
        if !self.topics.insert(topic.clone()) {
            return;
        }
        let peers: BTreeSet<NodeId> = ctx.peers().iter().chain(self.connected.iter()).cloned().collect();
        for peer in peers {
            self.rpc(&peer).subscriptions.push(SubOpts { subscribe: true, topic: topic.clone() });
        }
        let now = ctx.now();
        let mut mesh: BTreeSet<NodeId> = self.fanout.remove(&topic).unwrap_or_default();
        self.fanout_last.remove(&topic);
        mesh.retain(|p| self.score(p) >= 0.0 && !self.in_backoff(p, &topic, now));
        let candidates: Vec<NodeId> = self
            .topic_peers(&topic)
            .into_iter()
            .filter(|p| !mesh.contains(p) && self.score(p) >= 0.0 && !self.in_backoff(p, &topic, now))
            .collect();
        let want = self.config.d.saturating_sub(mesh.len());
        mesh.extend(pick(ctx.rng(), candidates, want));
        for peer in &mesh {
            self.rpc(peer).control.graft.push(Graft { topic: topic.clone() });
        }
        self.mesh.insert(topic, mesh);
    }

    fn publish(&mut self, ctx: &mut Context<Msg, Timer>, topic: String, data: Vec<u8>) -> Vec<u8> {
        self.seqno += 1;
        let message = sign(&self.key.0, &topic, &data, self.seqno);
        let id = message_id(&message);
        let now = ctx.now();
        self.seen.insert(id.clone(), now);
        self.remember(&id, &message);
        ctx.observe(hex(&id));
        if !self.topics.contains(&topic) {
            self.fanout_last.insert(topic.clone(), now);
            if !self.fanout.contains_key(&topic) {
                let candidates: Vec<NodeId> = self
                    .topic_peers(&topic)
                    .into_iter()
                    .filter(|p| self.score(p) >= self.config.publish_threshold)
                    .collect();
                let chosen = pick(ctx.rng(), candidates, self.config.d);
                self.fanout.insert(topic.clone(), chosen.into_iter().collect());
            }
        }
        let to: Vec<NodeId> = if self.config.flood_publish {
            self.topic_peers(&topic).into_iter().filter(|p| self.score(p) >= self.config.publish_threshold).collect()
        } else if let Some(mesh) = self.mesh.get(&topic) {
            mesh.iter().cloned().collect()
        } else {
            self.fanout.get(&topic).map(|f| f.iter().cloned().collect()).unwrap_or_default()
        };
        for peer in to {
            self.rpc(&peer).publish.push(message.clone());
        }
        id
    }

    fn remember(&mut self, id: &[u8], message: &Message) {
        self.windows.front_mut().expect("one window at least").push(id.to_vec());
        self.cache.insert(id.to_vec(), message.clone());
    }

    fn penalise_invalid(&mut self, peer: &NodeId) {
        self.counters.entry(peer.clone()).or_default().invalid += 1.0;
    }

    fn receive(&mut self, ctx: &mut Context<Msg, Timer>, from: &NodeId, message: Message) {
        if !self.topics.contains(&message.topic) {
            return;
        }
        let id = message_id(&message);
        if self.seen.contains_key(&id) {
            return;
        }
        if verify(&message).is_err() {
            return self.penalise_invalid(from);
        }
        self.seen.insert(id.clone(), ctx.now());
        let data = message.data.clone().unwrap_or_default();
        match (self.config.validator)(&message.topic, &data) {
            Validation::Accept => {}
            Validation::Ignore => return,
            Validation::Reject => return self.penalise_invalid(from),
        }
        ctx.observe(hex(&id));
        *self.deliveries.entry(from.clone()).or_default() += 1.0;
        self.delivered.push_back(Delivered { topic: message.topic.clone(), id: id.clone(), data });
        if self.delivered.len() > self.config.max_delivered {
            self.delivered.pop_front();
            self.dropped += 1;
        }
        self.remember(&id, &message);
        let mesh: Vec<NodeId> = self.mesh.get(&message.topic).into_iter().flatten().cloned().collect();
        for peer in mesh.into_iter().filter(|p| p != from) {
            self.rpc(&peer).publish.push(message.clone());
        }
    }

    fn on_rpc(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, frame: Vec<u8>) {
        if self.score(&from) < self.config.graylist_threshold {
            return;
        }
        let Ok(rpc) = Rpc::decode(&frame) else {
            return self.penalise_invalid(&from);
        };
        let now = ctx.now();
        let mut after = self.peer_topics.get(&from).cloned().unwrap_or_default();
        for sub in &rpc.subscriptions {
            if sub.subscribe {
                after.insert(sub.topic.clone());
            } else {
                after.remove(&sub.topic);
            }
        }
        let subscriptions = if after.len() > self.config.max_topics_per_peer {
            self.penalise_invalid(&from);
            Vec::new()
        } else {
            rpc.subscriptions
        };
        for sub in subscriptions {
            let topics = self.peer_topics.entry(from.clone()).or_default();
            if sub.subscribe {
                topics.insert(sub.topic);
            } else {
                topics.remove(&sub.topic);
                if let Some(mesh) = self.mesh.get_mut(&sub.topic) {
                    mesh.remove(&from);
                }
                if let Some(fanout) = self.fanout.get_mut(&sub.topic) {
                    fanout.remove(&from);
                }
            }
        }
        for message in rpc.publish {
            self.receive(ctx, &from, message);
        }
        let control = rpc.control;
        for graft in control.graft {
            let topic = graft.topic;
            if !self.topics.contains(&topic) {
                self.prune(&from, &topic, now);
            } else if self.in_backoff(&from, &topic, now) {
                self.counters.entry(from.clone()).or_default().behaviour += 1.0;
                self.prune(&from, &topic, now);
            } else if self.score(&from) < 0.0 {
                self.prune(&from, &topic, now);
            } else {
                self.mesh.entry(topic).or_default().insert(from.clone());
            }
        }
        for prune in control.prune {
            if let Some(mesh) = self.mesh.get_mut(&prune.topic) {
                mesh.remove(&from);
            }
            let backoff = prune.backoff.map_or(self.config.prune_backoff, Duration::from_secs);
            self.backoff.insert((from.clone(), prune.topic), now + backoff);
        }
        let gossip_ok = self.score(&from) >= self.config.gossip_threshold;
        for ihave in control.ihave {
            let count = self.ihaves.entry(from.clone()).or_default();
            *count += 1;
            if !gossip_ok || *count > self.config.max_ihave_messages || !self.topics.contains(&ihave.topic) {
                continue;
            }
            let asked = self.asked.get(&from).copied().unwrap_or(0);
            let room = self.config.max_ihave_length.saturating_sub(asked);
            let want: Vec<Vec<u8>> =
                ihave.ids.into_iter().filter(|id| !self.seen.contains_key(id)).take(room).collect();
            if !want.is_empty() {
                *self.asked.entry(from.clone()).or_default() += want.len();
                self.rpc(&from).control.iwant.push(IWant { ids: want });
            }
        }
        for iwant in control.iwant {
            if !gossip_ok {
                continue;
            }
            for id in iwant.ids {
                let Some(message) = self.cache.get(&id).cloned() else { continue };
                let served = self.served.entry((from.clone(), id)).or_default();
                if *served >= self.config.gossip_retransmission {
                    continue;
                }
                *served += 1;
                self.rpc(&from).publish.push(message);
            }
        }
    }

    fn peer_up(&mut self, peer: NodeId) {
        self.retained.remove(&peer);
        self.connected.insert(peer.clone());
        let subscriptions: Vec<SubOpts> =
            self.topics.iter().map(|topic| SubOpts { subscribe: true, topic: topic.clone() }).collect();
        self.rpc(&peer).subscriptions.extend(subscriptions);
    }

    fn peer_down(&mut self, now: Duration, peer: &NodeId) {
        if self.score(peer) < 0.0 {
            self.retained.insert(peer.clone(), now + self.config.retain_score);
            while self.retained.len() > self.config.max_retained_scores {
                let soonest = self.retained.iter().min_by_key(|(_, until)| **until).map(|(p, _)| p.clone());
                let Some(soonest) = soonest else { break };
                self.retained.remove(&soonest);
                self.counters.remove(&soonest);
            }
        } else {
            self.counters.remove(peer);
        }
        self.connected.remove(peer);
        self.peer_topics.remove(peer);
        for members in self.mesh.values_mut().chain(self.fanout.values_mut()) {
            members.remove(peer);
        }
        self.deliveries.remove(peer);
        self.mesh_since.remove(peer);
        self.active.remove(peer);
        self.served.retain(|(p, _), _| p != peer);
        self.ihaves.remove(peer);
        self.asked.remove(peer);
        self.outbox.remove(peer);
        self.backoff.retain(|(p, _), _| p != peer);
    }

    fn heartbeat(&mut self, ctx: &mut Context<Msg, Timer>) {
        let now = ctx.now();
        let config = self.config;
        for c in self.counters.values_mut() {
            c.invalid *= config.score_decay;
            c.behaviour *= config.score_decay;
            if c.invalid < 0.01 {
                c.invalid = 0.0;
            }
            if c.behaviour < 0.01 {
                c.behaviour = 0.0;
            }
        }
        self.counters.retain(|_, c| c.invalid > 0.0 || c.behaviour > 0.0);
        let expired: Vec<NodeId> =
            self.retained.iter().filter(|(_, until)| **until <= now).map(|(p, _)| p.clone()).collect();
        for peer in expired {
            self.retained.remove(&peer);
            self.counters.remove(&peer);
        }
        let counters = &self.counters;
        self.retained.retain(|peer, _| counters.contains_key(peer));
        for d in self.deliveries.values_mut() {
            *d *= config.score_decay;
        }
        self.deliveries.retain(|_, d| *d >= 0.01);
        let meshed: BTreeSet<NodeId> = self.mesh.values().flatten().cloned().collect();
        self.mesh_since.retain(|peer, _| meshed.contains(peer));
        for peer in &meshed {
            self.mesh_since.entry(peer.clone()).or_insert(now);
        }
        self.active = self
            .mesh_since
            .iter()
            .filter(|(_, since)| now.saturating_sub(**since) >= config.mesh_delivery_activation)
            .map(|(peer, _)| peer.clone())
            .collect();
        self.ihaves.clear();
        self.asked.clear();
        self.backoff.retain(|_, until| *until > now);

        // The mesh of every subscribed topic.
        for topic in self.topics.clone() {
            let mut mesh = self.mesh.remove(&topic).unwrap_or_default();
            for peer in mesh.clone() {
                let subscribed = self.peer_topics.get(&peer).is_some_and(|t| t.contains(&topic));
                if self.score(&peer) < 0.0 || !subscribed {
                    mesh.remove(&peer);
                    if subscribed {
                        self.prune(&peer, &topic, now);
                    }
                }
            }
            if mesh.len() < config.d_lo {
                let candidates: Vec<NodeId> = self
                    .topic_peers(&topic)
                    .into_iter()
                    .filter(|p| !mesh.contains(p) && self.score(p) >= 0.0 && !self.in_backoff(p, &topic, now))
                    .collect();
                for peer in pick(ctx.rng(), candidates, config.d - mesh.len()) {
                    self.rpc(&peer).control.graft.push(Graft { topic: topic.clone() });
                    mesh.insert(peer);
                }
            }
            if mesh.len() > config.d_hi {
                let mut ranked = pick(ctx.rng(), mesh.iter().cloned().collect(), mesh.len());
                ranked.sort_by(|a, b| self.score(b).total_cmp(&self.score(a)));
                let rest = ranked.split_off(config.d_score.min(config.d));
                let mut keep = ranked;
                keep.extend(pick(ctx.rng(), rest, config.d - keep.len()));
                for peer in mesh.clone() {
                    if !keep.contains(&peer) {
                        mesh.remove(&peer);
                        self.prune(&peer, &topic, now);
                    }
                }
            }
            self.mesh.insert(topic, mesh);
        }

        // Fanout: forget topics not published to lately, top up the rest.
        let expired: Vec<String> =
            self.fanout_last.iter().filter(|(_, at)| **at + config.fanout_ttl < now).map(|(t, _)| t.clone()).collect();
        for topic in expired {
            self.fanout.remove(&topic);
            self.fanout_last.remove(&topic);
        }
        for topic in self.fanout.keys().cloned().collect::<Vec<_>>() {
            let mut set = self.fanout.remove(&topic).unwrap_or_default();
            set.retain(|p| {
                self.peer_topics.get(p).is_some_and(|t| t.contains(&topic)) && self.score(p) >= config.publish_threshold
            });
            if set.len() < config.d {
                let candidates: Vec<NodeId> = self
                    .topic_peers(&topic)
                    .into_iter()
                    .filter(|p| !set.contains(p) && self.score(p) >= config.publish_threshold)
                    .collect();
                set.extend(pick(ctx.rng(), candidates, config.d - set.len()));
            }
            self.fanout.insert(topic, set);
        }

        // Gossip: IHAVE the recent windows' ids to D_lazy peers outside the mesh.
        let recent: Vec<Vec<u8>> = self.windows.iter().take(config.mcache_gossip).flatten().cloned().collect();
        let groups: Vec<(String, BTreeSet<NodeId>)> = self
            .mesh
            .iter()
            .chain(self.fanout.iter())
            .map(|(topic, members)| (topic.clone(), members.clone()))
            .collect();
        for (topic, members) in groups {
            let ids: Vec<Vec<u8>> =
                recent.iter().filter(|id| self.cache.get(*id).is_some_and(|m| m.topic == topic)).cloned().collect();
            if ids.is_empty() {
                continue;
            }
            let candidates: Vec<NodeId> = self
                .topic_peers(&topic)
                .into_iter()
                .filter(|p| !members.contains(p) && self.score(p) >= config.gossip_threshold)
                .collect();
            for peer in pick(ctx.rng(), candidates, config.d_lazy) {
                self.rpc(&peer).control.ihave.push(IHave { topic: topic.clone(), ids: ids.clone() });
            }
        }

        // Shift the message cache; forget what falls out of it.
        self.windows.push_front(Vec::new());
        while self.windows.len() > config.mcache_len {
            for id in self.windows.pop_back().unwrap_or_default() {
                self.cache.remove(&id);
                self.served.retain(|(_, served), _| *served != id);
            }
        }
        self.seen.retain(|_, at| *at + config.seen_ttl > now);
        self.flush(ctx);
        ctx.set_timer(config.heartbeat, Timer::Heartbeat);
    }
}

impl Node for GossipsubNode {
    type Message = Msg;
    type Timer = Timer;

    /// Sets the first heartbeat, `Config::heartbeat` from now.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.set_timer(self.config.heartbeat, Timer::Heartbeat);
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
        match message {
            Msg::Subscribe { topic } => {
                self.join(ctx, topic);
                ctx.send(from, Msg::SubscribeOk);
            }
            Msg::Publish { topic, data } => {
                let id = self.publish(ctx, topic, data);
                ctx.send(from, Msg::PublishOk { id });
            }
            Msg::Read => ctx.send(from, Msg::ReadOk { status: self.status() }),
            Msg::Rpc { frame } => self.on_rpc(ctx, from, frame),
            Msg::PeerUp { peer } => self.peer_up(peer),
            Msg::PeerDown { peer } => self.peer_down(ctx.now(), &peer),
            Msg::Take => ctx.send(from, Msg::TakeOk { delivered: self.delivered.drain(..).collect() }),
            Msg::SubscribeOk | Msg::PublishOk { .. } | Msg::ReadOk { .. } | Msg::TakeOk { .. } => {}
        }
        self.flush(ctx);
    }

    /// The heartbeat: decay scores, note which mesh peers have been in a mesh for
    /// `mesh_delivery_activation`; per subscribed topic, drop peers with a negative
    /// score or gone from the topic, GRAFT up to D below D_lo, PRUNE down to D above
    /// D_hi (the D_score best kept; this score only penalises, so every peer left by
    /// then scores 0 and the D kept are, in effect, drawn at random); expire and top up fanout; IHAVE the last
    /// `mcache_gossip` windows' ids to D_lazy topic peers outside the mesh or fanout;
    /// shift the message cache; expire the seen cache. Then the next heartbeat.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Heartbeat => self.heartbeat(ctx),
        }
    }
}
