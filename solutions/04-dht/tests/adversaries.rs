//! What one address can make a node hold: the storage of announces (a global cap on
//! info-hashes, a cap on peers per hash, BEP 5's 30-minute expiry) and the routing
//! table (at most `MAX_IDS_PER_IP` ids per IPv4 address). Run on the sans-IO node, so
//! time is the context's clock, not the wall's.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dht_solution::node::{MAX_IDS_PER_IP, MAX_INFO_HASHES, MAX_PEERS_PER_HASH, PEER_TTL};
use dht_solution::{Body, DhtNode, Id, Message, Msg, Query, Response};
use kit::rand::SeedableRng;
use kit::runtime::Runtime;
use kit::{NodeId, NodeRng};

/// The node, driven by the test through the kit's runtime: messages are handed to it
/// and time passes, its timers firing when due.
type One = Runtime<DhtNode>;

fn node(seed: u64) -> (One, NodeRng) {
    let mut rng = NodeRng::seed_from_u64(seed);
    let mut node = Runtime::new(DhtNode::new(Id::random(&mut rng), Vec::new()), NodeId::node(1), Vec::new(), seed);
    node.start(Duration::ZERO);
    sent(&mut node);
    (node, rng)
}

fn krpc(t: &[u8], body: Body) -> Msg {
    Msg::Krpc(Message { t: t.to_vec(), body, read_only: false }.encode())
}

/// Hands the node `message` from `from`, at the time it has reached.
fn deliver(node: &mut One, from: &NodeId, message: Msg) {
    let now = node.context().now();
    node.handle_message(now, from.clone(), message);
}

/// What the node sent since the last look, decoded.
fn sent(node: &mut One) -> Vec<(NodeId, Message)> {
    std::iter::from_fn(|| node.poll_transmit())
        .filter_map(|(to, m)| match m {
            Msg::Krpc(bytes) => Some((to, Message::decode(&bytes).expect("the node sends valid KRPC"))),
            _ => None,
        })
        .collect()
}

/// A token for `from`, from a get_peers.
fn token(node: &mut One, from: &NodeId, id: Id) -> Vec<u8> {
    deliver(node, from, krpc(b"g", Body::Query(Query::GetPeers { id, info_hash: id })));
    sent(node)
        .into_iter()
        .find_map(|(to, m)| match m.body {
            Body::Response(Response { token: Some(t), .. }) if to == *from => Some(t),
            _ => None,
        })
        .expect("get_peers answers with a token")
}

fn announce(node: &mut One, from: &NodeId, id: Id, info_hash: Id, port: u16, token: &[u8]) {
    let query = Query::AnnouncePeer { id, info_hash, port, token: token.to_vec(), implied_port: false };
    deliver(node, from, krpc(b"a", Body::Query(query)));
    sent(node);
}

/// Lets `after` pass, every timer firing when it is due and nothing answered (pings
/// and token rotations, as for a node left alone).
fn wait(node: &mut One, after: Duration) {
    let end = node.context().now() + after;
    while let Some(due) = node.poll_timeout().filter(|due| *due <= end) {
        node.handle_timeout(due);
        sent(node);
    }
    // The node's clock moves to `end` even when nothing was due.
    node.callback(end, |_, _| ());
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One token buys 200,000 announces for distinct info-hashes: the node keeps at most
/// MAX_INFO_HASHES of them, and a later honest announce is still stored.
#[test]
fn announces_for_200000_hashes_keep_storage_bounded() {
    let (mut node, mut rng) = node(1);
    let attacker = NodeId::node(7);
    let attacker_id = Id::random(&mut rng);
    let t = token(&mut node, &attacker, attacker_id);
    let before = rss_kib();
    let started = std::time::Instant::now();
    let mut hashes = Vec::with_capacity(200_000);
    for i in 0..200_000u32 {
        let info_hash = Id::random(&mut rng);
        hashes.push(info_hash);
        announce(&mut node, &attacker, attacker_id, info_hash, 1 + (i % 60_000) as u16, &t);
    }
    let elapsed = started.elapsed();
    let kept = hashes.iter().filter(|h| !node.node().stored_peers(h).is_empty()).count();
    let (info_hashes, peers) = node.node().stored();
    let after = rss_kib();
    println!(
        "200,000 announces from one token in {elapsed:?}: {kept} of them still stored, {info_hashes} info-hashes \
         and {peers} peers in all (cap {MAX_INFO_HASHES}); RSS {before:?} -> {after:?} KiB, of which the test's \
         own list of 200,000 hashes is about 4 MiB"
    );
    assert!(kept <= MAX_INFO_HASHES, "{kept} info-hashes stored from one token; the cap is {MAX_INFO_HASHES}");
    assert_eq!((info_hashes, peers), (kept, kept), "the node's own count agrees with get_peers");
    // An honest node announces a new hash afterwards: it is stored, not refused.
    let honest = NodeId::node(9);
    let honest_id = Id::random(&mut rng);
    let t = token(&mut node, &honest, honest_id);
    let wanted = Id::random(&mut rng);
    announce(&mut node, &honest, honest_id, wanted, 6881, &t);
    assert_eq!(
        node.node().stored_peers(&wanted),
        &[SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 6881)],
        "a full store replaces an entry for a new announce instead of refusing it"
    );
}

/// Peers per hash stay bounded, and an announce expires after PEER_TTL unless renewed.
#[test]
fn peers_per_hash_are_bounded_and_expire() {
    let (mut node, mut rng) = node(2);
    let info_hash = Id::random(&mut rng);
    let mut renewer = None;
    for i in 0..300 {
        let from = NodeId::node(100 + i);
        let id = Id::random(&mut rng);
        let t = token(&mut node, &from, id);
        announce(&mut node, &from, id, info_hash, 7000, &t);
        renewer = Some((from, id));
    }
    assert_eq!(node.node().stored_peers(&info_hash).len(), MAX_PEERS_PER_HASH, "peers per hash are capped");
    // Half the TTL passes; the last announcer renews, nobody else does.
    wait(&mut node, PEER_TTL / 2);
    let (from, id) = renewer.expect("one announcer");
    let t = token(&mut node, &from, id);
    announce(&mut node, &from, id, info_hash, 7000, &t);
    wait(&mut node, PEER_TTL / 2 + Duration::from_secs(120));
    let left = node.node().stored_peers(&info_hash).to_vec();
    println!("after {PEER_TTL:?} and a bit: {} of {MAX_PEERS_PER_HASH} peers left", left.len());
    let ip = *dht_solution::node::addr_of(&from).ip();
    assert_eq!(
        left,
        vec![SocketAddrV4::new(ip, 7000)],
        "only the peer that announced again within PEER_TTL is still stored"
    );
}

/// 64 node ids from one IP address answer their verification pings: at most
/// MAX_IDS_PER_IP of them enter the routing table, and find_node names no more.
#[test]
fn one_ip_gets_at_most_max_ids_per_ip_into_the_table() {
    let (mut node, mut rng) = node(3);
    let own = node.node().id();
    let sybil = NodeId::node(66);
    let mut ids = Vec::new();
    for i in 0..64 {
        // Spread over 64 buckets, so no bucket fills up and ping-before-evict is no help.
        let id = own.random_in_bucket(159 - i, &mut rng);
        ids.push(id);
        deliver(&mut node, &sybil, krpc(b"p", Body::Query(Query::Ping { id })));
        for (to, m) in sent(&mut node) {
            if to == sybil && matches!(m.body, Body::Query(Query::Ping { .. })) {
                let reply = Message { t: m.t, body: Body::Response(Response::id(id)), read_only: false };
                deliver(&mut node, &sybil, Msg::Krpc(reply.encode()));
            }
        }
        sent(&mut node);
    }
    // An honest node on an address of its own still gets in.
    let honest = NodeId::node(67);
    let honest_id = own.random_in_bucket(150, &mut rng);
    deliver(&mut node, &honest, krpc(b"p", Body::Query(Query::Ping { id: honest_id })));
    for (to, m) in sent(&mut node) {
        if to == honest && matches!(m.body, Body::Query(Query::Ping { .. })) {
            let reply = Message { t: m.t, body: Body::Response(Response::id(honest_id)), read_only: false };
            deliver(&mut node, &honest, Msg::Krpc(reply.encode()));
        }
    }
    let admitted = ids.iter().filter(|id| node.node().table().contains(id)).count();
    println!("64 ids from one IP answered their pings: {admitted} admitted (bound {MAX_IDS_PER_IP})");
    assert!(admitted <= MAX_IDS_PER_IP, "{admitted} ids from one IP in the table; at most {MAX_IDS_PER_IP}");
    assert!(node.node().table().contains(&honest_id), "a node on an address of its own is still admitted");
    // find_node for each Sybil's id names at most the bound of them.
    let asker = NodeId::node(68);
    let (mut named, mut results) = (0, 0);
    for id in &ids {
        deliver(&mut node, &asker, krpc(b"f", Body::Query(Query::FindNode { id: honest_id, target: *id })));
        for (_, m) in sent(&mut node) {
            if let Body::Response(Response { nodes: Some(nodes), .. }) = m.body {
                let sybils = nodes.iter().filter(|c| ids.contains(&c.id)).count();
                assert!(sybils <= MAX_IDS_PER_IP, "one find_node answer names {sybils} of the one IP's ids");
                named += sybils;
                results += nodes.len();
            }
        }
    }
    println!("find_node for each of the 64 ids: {named} of {results} results are the one IP's ids");
}
