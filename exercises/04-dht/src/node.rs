//! The DHT node: answers queries, keeps its routing table, and runs lookups for its
//! clients, as a sans-IO [`kit::Node`] that speaks KRPC bytes.
//!
//! The same node runs in the kit's simulator (nodes `n<i>`, addresses from
//! [`addr_of`]) and over a real UDP socket with [`kit::udp`], where every peer is
//! named by its socket address and a [`Msg::Krpc`] is one datagram.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use kit::rand::RngExt;
use kit::udp::{self, Datagram};
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::Id;
use crate::krpc::{Body, Contact, KrpcError, Message, Query, Response, transaction_id};
use crate::lookup::Lookup;
use crate::table::{Insert, K, RoutingTable};

/// How long a query may go unanswered before its node counts as gone.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the token secret changes. A token stays valid for two periods
/// (BEP 5: "tokens up to ten minutes old are accepted").
pub const TOKEN_ROTATION: Duration = Duration::from_secs(5 * 60);
/// How often a node checks its table: it pings the least recently seen contact of
/// every bucket that has not been heard from for this long, and drops it if it
/// does not answer. (BEP 5 calls a node questionable after 15 minutes of silence;
/// the simulation runs the same policy faster.)
pub const MAINTENANCE: Duration = Duration::from_secs(30);
/// How long a node that reached none of its bootstrap nodes waits before it tries
/// them again.
pub const BOOTSTRAP_RETRY: Duration = Duration::from_secs(5);
/// How many peers a node stores per info-hash. Past it, a new peer takes the place of
/// the one announced least recently.
pub const MAX_PEERS_PER_HASH: usize = 100;
/// How many info-hashes a node stores peers for, in all (libtorrent's `dht_max_torrents`
/// has the same default). One token buys announces for as many info-hashes as its
/// holder likes; past this, a new info-hash takes the place of the one with the fewest
/// peers, the least recently announced among those, so a flood of made-up info-hashes
/// with one peer each replaces only its own kind.
pub const MAX_INFO_HASHES: usize = 2_000;
/// How long a stored peer lives without a new announce. BEP 5 sets no figure; clients
/// announce again every 15 to 30 minutes, and 30 minutes is what DHT nodes commonly
/// keep. Expired peers are swept every [`MAINTENANCE`].
pub const PEER_TTL: Duration = Duration::from_secs(30 * 60);
/// How many contacts at one IPv4 address the routing table holds. Node ids are free
/// (BEP 5 checks none), addresses are not: without this, one machine that answers
/// pings under 64 made-up ids owns 64 places in the table and the answers to every
/// `find_node` near them. Loopback addresses are exempt, as BEP 42 exempts local ones:
/// a network of nodes on one machine all share 127.0.0.1.
pub const MAX_IDS_PER_IP: usize = 2;
/// How many nodes that queried us may be waiting at once for the ping that decides
/// whether they enter the table. Each query from a stranger costs at most one ping,
/// and the pings in flight stay this few however many strangers (or made-up ids) ask.
pub const MAX_VERIFYING: usize = 32;

/// What travels: KRPC bytes between nodes (one UDP datagram each over real sockets),
/// and the requests and answers of clients (the checks, the `dht` tool), which stand
/// for the application using the DHT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A bencoded KRPC message.
    Krpc(Vec<u8>),
    /// Client → node: find the k nodes closest to `target`.
    FindClosest { target: Id },
    /// Node → client: the answer, with the lookup's hops and queries.
    Closest { target: Id, nodes: Vec<Id>, rounds: u32, queries: u32 },
    /// Client → node: announce this node as a peer for `info_hash` on `port`.
    Announce { info_hash: Id, port: u16 },
    /// Node → client: done, once every node announced to has answered or timed out;
    /// `stored` nodes accepted the announcement (this node included, if it is among
    /// the k closest and stores it itself).
    Announced { info_hash: Id, stored: usize },
    /// Client → node: find the peers of `info_hash`.
    GetPeers { info_hash: Id },
    /// Node → client: the peers found.
    Peers { info_hash: Id, peers: Vec<SocketAddrV4> },
}

impl Datagram for Msg {
    fn from_datagram(bytes: Vec<u8>) -> Msg {
        Msg::Krpc(bytes)
    }

    /// Only KRPC goes on the wire; the client messages stay inside the process.
    fn into_datagram(self) -> Result<Vec<u8>, Msg> {
        match self {
            Msg::Krpc(bytes) => Ok(bytes),
            other => Err(other),
        }
    }
}

/// What wakes the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The query with this transaction id has had [`QUERY_TIMEOUT`].
    Timeout(Vec<u8>),
    /// Time to change the token secret.
    RotateSecret,
    /// Time to try the bootstrap nodes again.
    Bootstrap,
    /// Time to check the oldest contact of each bucket.
    Maintain,
}

/// The address of `node`. Over real sockets the node id is the address
/// ([`kit::udp::node_id`]); in the simulator node `n<i>` stands for `10.a.b.c:6881`,
/// where `a.b.c` is `i` in base 256. (BEP 5's compact formats are IPv4; an IPv6
/// sender shows as its IPv4-mapped address, or `0.0.0.0`.)
pub fn addr_of(node: &NodeId) -> SocketAddrV4 {
    match udp::socket_addr(node) {
        Some(SocketAddr::V4(addr)) => addr,
        Some(SocketAddr::V6(addr)) => {
            SocketAddrV4::new(addr.ip().to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED), addr.port())
        }
        None => {
            let i: u32 = node.as_str().strip_prefix('n').and_then(|n| n.parse().ok()).unwrap_or(0);
            let [_, a, b, c] = i.to_be_bytes();
            SocketAddrV4::new(Ipv4Addr::new(10, a, b, c), 6881)
        }
    }
}

/// The simulated node listening on `addr`, the inverse of [`addr_of`] in the
/// simulator.
pub fn node_of(addr: &SocketAddrV4) -> NodeId {
    let [_, a, b, c] = addr.ip().octets();
    NodeId::node(u32::from_be_bytes([0, a, b, c]) as usize)
}

/// The node id to send to for the node at `addr`, as seen by the node `me`: over real
/// sockets (where `me` is itself a socket address) the address, in the simulator
/// [`node_of`].
pub fn peer_at(me: &NodeId, addr: &SocketAddrV4) -> NodeId {
    match udp::socket_addr(me) {
        Some(_) => udp::node_id(SocketAddr::V4(*addr)),
        None => node_of(addr),
    }
}

/// Why a query was sent, so the answer (or its absence) goes to the right place.
#[derive(Clone, Debug)]
enum Purpose {
    Bootstrap,
    Lookup(u32),
    /// Pinging the least recently seen contact of a full bucket.
    Evict {
        bucket: usize,
    },
    /// Checking whether an old contact is still there.
    Check,
    /// Pinging a node that queried us: it enters the table only if it answers.
    Verify,
    /// An announce_peer of the announce with this number.
    Announce(u32),
}

#[derive(Clone, Debug)]
struct Pending {
    to: NodeId,
    /// The id we expect to answer, when known (not for bootstrap nodes).
    id: Option<Id>,
    purpose: Purpose,
}

#[derive(Clone, Debug)]
enum Goal {
    Join,
    Refresh,
    FindClosest { client: NodeId },
    Announce { client: NodeId, port: u16 },
    GetPeers { client: NodeId },
}

/// An announce waiting for the answers of the nodes it went to.
#[derive(Clone, Debug)]
struct Announcing {
    client: NodeId,
    info_hash: Id,
    /// announce_peer queries neither answered nor timed out yet.
    waiting: usize,
    /// Nodes that accepted it so far.
    stored: usize,
}

#[derive(Clone, Debug)]
struct Task {
    lookup: Lookup,
    goal: Goal,
    /// Tokens from get_peers answers, for announcing afterwards.
    tokens: HashMap<Id, Vec<u8>>,
    /// Peers found by get_peers.
    values: BTreeSet<SocketAddrV4>,
}

/// The peers announced for one info-hash, and when each last announced.
#[derive(Clone, Debug, Default)]
struct Swarm {
    peers: Vec<SocketAddrV4>,
    announced: Vec<Duration>,
    /// The latest of `announced`.
    last: Duration,
}

/// A DHT node.
#[derive(Debug)]
pub struct DhtNode {
    id: Id,
    bootstrap: Vec<NodeId>,
    table: RoutingTable,
    next_t: u32,
    pending: HashMap<Vec<u8>, Pending>,
    /// The ids of the nodes that queried us and are being pinged ([`MAX_VERIFYING`]).
    verifying: HashSet<Id>,
    tasks: HashMap<u32, Task>,
    next_task: u32,
    /// Announces waiting for their answers, by task number.
    announcing: HashMap<u32, Announcing>,
    /// For each full bucket whose oldest contact is being pinged: that contact and
    /// the newcomer waiting for its place.
    evictions: HashMap<usize, (Contact, Contact)>,
    /// The peers announced for each info-hash ([`MAX_INFO_HASHES`], [`MAX_PEERS_PER_HASH`]).
    peers: HashMap<Id, Swarm>,
    /// Every stored info-hash by (peers, last announce): the first is the one a new
    /// info-hash replaces when the store is full.
    by_size: BTreeSet<(usize, Duration, Id)>,
    /// The time of the message or timer being handled (the context's clock).
    now: Duration,
    /// The current token secret and the one before it.
    secrets: [[u8; 16]; 2],
    /// When each contact was last heard from.
    last_seen: HashMap<Id, Duration>,
}

impl DhtNode {
    /// A node with id `id` that joins through `bootstrap` (none for the first node).
    pub fn new(id: Id, bootstrap: Vec<NodeId>) -> DhtNode {
        DhtNode {
            id,
            bootstrap,
            table: RoutingTable::new(id),
            next_t: 0,
            pending: HashMap::new(),
            verifying: HashSet::new(),
            tasks: HashMap::new(),
            next_task: 0,
            announcing: HashMap::new(),
            evictions: HashMap::new(),
            peers: HashMap::new(),
            by_size: BTreeSet::new(),
            now: Duration::ZERO,
            secrets: [[0; 16]; 2],
            last_seen: HashMap::new(),
        }
    }

    /// This node's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The routing table, for inspection.
    pub fn table(&self) -> &RoutingTable {
        &self.table
    }

    /// The peers stored for `info_hash`.
    pub fn stored_peers(&self, info_hash: &Id) -> &[SocketAddrV4] {
        self.peers.get(info_hash).map(|s| s.peers.as_slice()).unwrap_or(&[])
    }

    /// The token for a querier at `addr`: a hash of the current secret and its IP,
    /// so only the node that asked can use it, and only for a while.
    pub fn token_for(&self, addr: &SocketAddrV4) -> Vec<u8> {
        token(&self.secrets[0], addr)
    }

    fn token_valid(&self, addr: &SocketAddrV4, presented: &[u8]) -> bool {
        self.secrets.iter().any(|secret| token(secret, addr) == presented)
    }

    /// Sends a query to `to` and remembers why. Its transaction id is 4 bytes, as
    /// mainline and libtorrent use (mainline ignores messages with any other length),
    /// and differs from every other query in flight; the answer is matched by it, and
    /// [`QUERY_TIMEOUT`] later a timer says it went unanswered.
    fn query(&mut self, ctx: &mut Context<Msg, Timer>, to: NodeId, id: Option<Id>, query: Query, purpose: Purpose) {
        // TODO (step 7)
        todo!()
    }

    fn reply(&self, ctx: &mut Context<Msg, Timer>, to: NodeId, t: Vec<u8>, body: Body) {
        ctx.send(to, Msg::Krpc(Message { t, body, read_only: false }.encode()));
    }

    /// Answers a query from `from`, which claims the id in the query. The reply
    /// carries the query's transaction id, whatever its length.
    fn handle_query(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, t: Vec<u8>, query: Query) {
        // TODO (step 6)
        todo!()
    }

    /// How many info-hashes, and peers in all, the node stores.
    pub fn stored(&self) -> (usize, usize) {
        (self.peers.len(), self.peers.values().map(|s| s.peers.len()).sum())
    }

    /// Stores `peer` for `info_hash`, or notes that it announced again, within
    /// [`MAX_INFO_HASHES`] and [`MAX_PEERS_PER_HASH`].
    fn store(&mut self, info_hash: Id, peer: SocketAddrV4) {
        let now = self.now;
        if !self.peers.contains_key(&info_hash)
            && self.peers.len() >= MAX_INFO_HASHES
            && let Some((_, _, victim)) = self.by_size.pop_first()
        {
            self.peers.remove(&victim);
        }
        let swarm = self.peers.entry(info_hash).or_default();
        self.by_size.remove(&(swarm.peers.len(), swarm.last, info_hash));
        match swarm.peers.iter().position(|p| *p == peer) {
            Some(at) => swarm.announced[at] = now,
            None => {
                if swarm.peers.len() >= MAX_PEERS_PER_HASH {
                    let oldest = (0..swarm.announced.len()).min_by_key(|&i| swarm.announced[i]).unwrap_or(0);
                    swarm.peers.remove(oldest);
                    swarm.announced.remove(oldest);
                }
                swarm.peers.push(peer);
                swarm.announced.push(now);
            }
        }
        swarm.last = now;
        self.by_size.insert((swarm.peers.len(), now, info_hash));
    }

    /// Forgets every peer that has not announced for [`PEER_TTL`].
    fn expire(&mut self) {
        let now = self.now;
        let by_size = &mut self.by_size;
        self.peers.retain(|info_hash, swarm| {
            let before = swarm.peers.len();
            let mut at = 0;
            swarm.peers.retain(|_| {
                let keep = now.saturating_sub(swarm.announced[at]) < PEER_TTL;
                at += 1;
                keep
            });
            swarm.announced.retain(|t| now.saturating_sub(*t) < PEER_TTL);
            if swarm.peers.len() != before {
                by_size.remove(&(before, swarm.last, *info_hash));
                if !swarm.peers.is_empty() {
                    by_size.insert((swarm.peers.len(), swarm.last, *info_hash));
                }
            }
            !swarm.peers.is_empty()
        });
    }

    /// Whether `contact` may enter the table as far as its address goes: it is there
    /// already, or its address is loopback, or fewer than [`MAX_IDS_PER_IP`] contacts
    /// at its IP are in the table or waiting in `evictions` for a place.
    fn address_has_room(&self, contact: &Contact) -> bool {
        let ip = contact.addr.ip();
        let Some(index) = self.id.bucket_index(&contact.id) else { return true };
        if ip.is_loopback() || self.table.bucket(index).iter().any(|c| c.id == contact.id) {
            return true;
        }
        let in_table =
            (0..crate::id::Id::BITS).flat_map(|i| self.table.bucket(i)).filter(|c| c.addr.ip() == ip).count();
        let waiting = self.evictions.values().filter(|(_, newcomer)| newcomer.addr.ip() == ip).count();
        in_table + waiting < MAX_IDS_PER_IP
    }

    /// `contact` sent us a query. Asking does not make a node good (BEP 5: a good
    /// node has answered one of *our* queries), or anyone could fill our table with
    /// made-up ids. So: a read-only node (BEP 43) is answered and forgotten; a contact
    /// the table already holds at that address is seen again (BEP 5: good nodes stay
    /// good while they keep querying); a stranger whose bucket has room gets one ping,
    /// and enters the table through [`admit`](Self::admit) only if it answers with the
    /// id it claimed. A stranger whose bucket is full is not pinged (BEP 5: a bucket
    /// full of good nodes takes no newcomer). At most [`MAX_VERIFYING`] such pings are
    /// in flight, one per id.
    fn queried(&mut self, ctx: &mut Context<Msg, Timer>, contact: Contact, read_only: bool) {
        // TODO (step 8; read-only nodes: step 9). Until you write it, a node that
        // queries is answered and then forgotten: none enters the table this way.
    }

    /// `contact` answered one of our queries: it is good. If the table holds it now,
    /// note when it was seen (`last_seen`, for maintenance; only table members, so
    /// the map stays as small as the table). Ping before evict: when its bucket is
    /// full, ping the least recently seen contact; the newcomer gets the place only
    /// if that ping goes unanswered.
    fn admit(&mut self, ctx: &mut Context<Msg, Timer>, contact: Contact) {
        // TODO (step 8: insert it; step 10: ping before evict)
        todo!()
    }

    /// The ping of the oldest contact of `bucket` was `answered`, or timed out.
    /// Answered: the old contact keeps its place (the response already made it the
    /// most recently seen) and the newcomer is dropped. Timed out: the old contact
    /// goes, the newcomer takes its place.
    fn evict_ping_done(&mut self, bucket: usize, answered: bool) {
        // TODO (step 10)
        todo!()
    }

    /// Starts a lookup for `target` on behalf of `goal`.
    fn start(&mut self, ctx: &mut Context<Msg, Timer>, target: Id, goal: Goal, extra_seeds: &[Contact]) {
        let mut seeds = self.table.closest(&target, K);
        seeds.extend_from_slice(extra_seeds);
        self.next_task += 1;
        let task = Task {
            lookup: Lookup::new(target, self.id, &seeds),
            goal,
            tokens: HashMap::new(),
            values: BTreeSet::new(),
        };
        self.tasks.insert(self.next_task, task);
        self.advance(ctx, self.next_task);
    }

    /// Sends the lookup's next queries, or finishes it.
    fn advance(&mut self, ctx: &mut Context<Msg, Timer>, task_id: u32) {
        let Some(task) = self.tasks.get_mut(&task_id) else { return };
        if task.lookup.is_done() {
            let task = self.tasks.remove(&task_id).expect("present");
            self.finish(ctx, task_id, task);
            return;
        }
        let target = task.lookup.target();
        let uses_get_peers = matches!(task.goal, Goal::Announce { .. } | Goal::GetPeers { .. });
        for contact in task.lookup.next_queries() {
            let query = if uses_get_peers {
                Query::GetPeers { id: self.id, info_hash: target }
            } else {
                Query::FindNode { id: self.id, target }
            };
            self.query(ctx, peer_at(ctx.me(), &contact.addr), Some(contact.id), query, Purpose::Lookup(task_id));
        }
    }

    fn finish(&mut self, ctx: &mut Context<Msg, Timer>, task_id: u32, task: Task) {
        let target = task.lookup.target();
        let closest = task.lookup.closest();
        match task.goal {
            Goal::Join => {
                // Refresh every bucket farther than the nearest neighbour found, so
                // the table holds contacts across the whole id space (Kademlia §2.3).
                let nearest = closest.first().and_then(|c| self.id.bucket_index(&c.id)).unwrap_or(0);
                for index in nearest + 1..crate::id::Id::BITS {
                    if self.table.bucket(index).len() < K {
                        let target = self.id.random_in_bucket(index, ctx.rng());
                        self.start(ctx, target, Goal::Refresh, &[]);
                    }
                }
            }
            Goal::Refresh => {}
            Goal::FindClosest { client } => {
                let mut nodes: Vec<Id> = closest.iter().map(|c| c.id).collect();
                nodes.push(self.id);
                nodes.sort_by_key(|id| id.distance(&target));
                nodes.truncate(K);
                let (rounds, queries) = (task.lookup.rounds(), task.lookup.queries());
                ctx.send(client, Msg::Closest { target, nodes, rounds, queries });
            }
            Goal::Announce { client, port } => {
                let mut waiting = 0;
                for contact in &closest {
                    if let Some(token) = task.tokens.get(&contact.id) {
                        let query = Query::AnnouncePeer {
                            id: self.id,
                            info_hash: target,
                            port,
                            token: token.clone(),
                            implied_port: false,
                        };
                        self.query(
                            ctx,
                            peer_at(ctx.me(), &contact.addr),
                            Some(contact.id),
                            query,
                            Purpose::Announce(task_id),
                        );
                        waiting += 1;
                    }
                }
                // This node stores too if it is itself among the k closest.
                let mut stored = 0;
                let mine = self.id.distance(&target);
                if closest.len() < K || closest.last().is_some_and(|c| c.id.distance(&target) > mine) {
                    let own = addr_of(ctx.me());
                    self.store(target, SocketAddrV4::new(*own.ip(), port));
                    stored += 1;
                }
                if waiting == 0 {
                    ctx.send(client, Msg::Announced { info_hash: target, stored });
                } else {
                    self.announcing.insert(task_id, Announcing { client, info_hash: target, waiting, stored });
                }
            }
            Goal::GetPeers { client } => {
                let mut peers = task.values;
                peers.extend(self.stored_peers(&target));
                ctx.send(client, Msg::Peers { info_hash: target, peers: peers.into_iter().collect() });
            }
        }
    }

    fn handle_response(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, pending: Pending, response: Response) {
        let contact = Contact { id: response.id, addr: addr_of(&from) };
        if self.address_has_room(&contact) {
            self.admit(ctx, contact);
        }
        match pending.purpose {
            Purpose::Bootstrap => {
                let seeds = response.nodes.unwrap_or_default();
                self.start(ctx, self.id, Goal::Join, &seeds);
            }
            Purpose::Lookup(task_id) => {
                let Some(task) = self.tasks.get_mut(&task_id) else { return };
                if let Some(token) = response.token {
                    task.tokens.insert(response.id, token);
                }
                task.values.extend(response.values.unwrap_or_default());
                task.lookup.on_response(&response.id, response.nodes.as_deref().unwrap_or_default());
                self.advance(ctx, task_id);
            }
            Purpose::Evict { bucket } => self.evict_ping_done(bucket, true),
            Purpose::Verify => {
                self.verifying.remove(&response.id);
            }
            Purpose::Announce(task_id) => self.announce_answered(ctx, task_id, true),
            Purpose::Check => {}
        }
    }

    /// One announce_peer of announce `task_id` was accepted, or failed. The client
    /// hears once the last has.
    fn announce_answered(&mut self, ctx: &mut Context<Msg, Timer>, task_id: u32, accepted: bool) {
        let Some(announce) = self.announcing.get_mut(&task_id) else { return };
        announce.waiting = announce.waiting.saturating_sub(1);
        announce.stored += usize::from(accepted);
        if announce.waiting == 0 {
            let announce = self.announcing.remove(&task_id).expect("present");
            ctx.send(announce.client, Msg::Announced { info_hash: announce.info_hash, stored: announce.stored });
        }
    }

    /// Pings the oldest contact of every bucket not heard from lately.
    fn maintain(&mut self, ctx: &mut Context<Msg, Timer>) {
        let now = ctx.now();
        for index in 0..crate::id::Id::BITS {
            let Some(oldest) = self.table.bucket(index).front().copied() else { continue };
            let seen = self.last_seen.get(&oldest.id).copied().unwrap_or_default();
            if now.saturating_sub(seen) >= MAINTENANCE && !self.evictions.contains_key(&index) {
                self.query(
                    ctx,
                    peer_at(ctx.me(), &oldest.addr),
                    Some(oldest.id),
                    Query::Ping { id: self.id },
                    Purpose::Check,
                );
            }
        }
    }

    /// The query `pending` got no answer (or an error). The node it went to leaves
    /// the table, unless it was an eviction ping (decided by `evict_ping_done`) or a
    /// stranger's verification (the stranger may have claimed the id of a contact
    /// that lives elsewhere).
    fn handle_failure(&mut self, ctx: &mut Context<Msg, Timer>, pending: Pending) {
        if let Some(id) = pending.id
            && !matches!(pending.purpose, Purpose::Evict { .. } | Purpose::Verify)
        {
            self.table.remove(&id);
            self.last_seen.remove(&id);
        }
        match pending.purpose {
            Purpose::Bootstrap => {
                // Try again later, once: when the last bootstrap query has failed and
                // the node still knows nobody (one retry per failure would multiply).
                let waiting = self.pending.values().any(|p| matches!(p.purpose, Purpose::Bootstrap));
                if !waiting && self.table.is_empty() {
                    ctx.set_timer(BOOTSTRAP_RETRY, Timer::Bootstrap);
                }
            }
            Purpose::Lookup(task_id) => {
                if let (Some(task), Some(id)) = (self.tasks.get_mut(&task_id), pending.id) {
                    task.lookup.on_failure(&id);
                    self.advance(ctx, task_id);
                }
            }
            Purpose::Evict { bucket } => self.evict_ping_done(bucket, false),
            Purpose::Check => {
                // A contact is gone: look for others in its range to fill the gap.
                if let Some(index) = pending.id.and_then(|id| self.id.bucket_index(&id)) {
                    let target = self.id.random_in_bucket(index, ctx.rng());
                    self.start(ctx, target, Goal::Refresh, &[]);
                }
            }
            Purpose::Verify => {
                if let Some(id) = pending.id {
                    self.verifying.remove(&id);
                }
            }
            Purpose::Announce(task_id) => self.announce_answered(ctx, task_id, false),
        }
    }

    fn send_bootstrap(&mut self, ctx: &mut Context<Msg, Timer>) {
        for to in self.bootstrap.clone() {
            self.query(ctx, to, None, Query::FindNode { id: self.id, target: self.id }, Purpose::Bootstrap);
        }
    }
}

fn token(secret: &[u8; 16], addr: &SocketAddrV4) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(secret);
    hash.update(addr.ip().octets());
    hash.finalize()[..8].to_vec()
}

impl Node for DhtNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.rng().fill(&mut self.secrets[0]);
        ctx.rng().fill(&mut self.secrets[1]);
        ctx.set_timer(TOKEN_ROTATION, Timer::RotateSecret);
        ctx.set_timer(MAINTENANCE, Timer::Maintain);
        self.send_bootstrap(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        self.now = ctx.now();
        match message {
            Msg::Krpc(bytes) => {
                let message = match Message::decode(&bytes) {
                    Ok(message) => message,
                    Err(error) => {
                        // BEP 5: 204 for a method we do not know, 203 for anything
                        // else malformed, with the transaction id if it can be read.
                        let code = if matches!(error, KrpcError::UnknownMethod(_)) { 204 } else { 203 };
                        let t = transaction_id(&bytes).unwrap_or_default();
                        self.reply(ctx, from, t, Body::Error { code, message: error.to_string() });
                        return;
                    }
                };
                match message.body {
                    Body::Query(query) => {
                        let id = match &query {
                            Query::Ping { id }
                            | Query::FindNode { id, .. }
                            | Query::GetPeers { id, .. }
                            | Query::AnnouncePeer { id, .. } => *id,
                        };
                        self.handle_query(ctx, from.clone(), message.t, query);
                        self.queried(ctx, Contact { id, addr: addr_of(&from) }, message.read_only);
                    }
                    Body::Response(response) => {
                        // Only an answer to a query we sent, from the node we sent it to.
                        let expected = self
                            .pending
                            .get(&message.t)
                            .is_some_and(|p| p.to == from && p.id.is_none_or(|id| id == response.id));
                        if expected {
                            let pending = self.pending.remove(&message.t).expect("checked");
                            self.handle_response(ctx, from, pending, response);
                        }
                    }
                    Body::Error { .. } => {
                        if self.pending.get(&message.t).is_some_and(|p| p.to == from) {
                            let pending = self.pending.remove(&message.t).expect("checked");
                            self.handle_failure(ctx, pending);
                        }
                    }
                }
            }
            Msg::FindClosest { target } => self.start(ctx, target, Goal::FindClosest { client: from }, &[]),
            Msg::Announce { info_hash, port } => self.start(ctx, info_hash, Goal::Announce { client: from, port }, &[]),
            Msg::GetPeers { info_hash } => self.start(ctx, info_hash, Goal::GetPeers { client: from }, &[]),
            Msg::Closest { .. } | Msg::Announced { .. } | Msg::Peers { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        self.now = ctx.now();
        match timer {
            Timer::Timeout(t) => {
                if let Some(pending) = self.pending.remove(&t) {
                    self.handle_failure(ctx, pending);
                }
            }
            Timer::RotateSecret => {
                self.secrets[1] = self.secrets[0];
                ctx.rng().fill(&mut self.secrets[0]);
                ctx.set_timer(TOKEN_ROTATION, Timer::RotateSecret);
            }
            Timer::Bootstrap => self.send_bootstrap(ctx),
            Timer::Maintain => {
                self.expire();
                self.maintain(ctx);
                ctx.set_timer(MAINTENANCE, Timer::Maintain);
            }
        }
    }
}
