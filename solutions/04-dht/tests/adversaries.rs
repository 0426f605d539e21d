//! What one address can make a node hold: the storage of announces (a global cap on
//! info-hashes, a cap on peers per hash, BEP 5's 30-minute expiry) and the routing
//! table (at most `MAX_IDS_PER_IP` ids per IPv4 address). Run on the sans-IO node, so
//! time is the context's clock, not the wall's.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dht_solution::node::{MAX_IDS_PER_IP, MAX_INFO_HASHES, MAX_PEERS_PER_HASH, PEER_TTL};
use dht_solution::{Body, DhtNode, Id, Message, Msg, Query, Response, Timer};
use kit::rand::SeedableRng;
use kit::{Context, Node, NodeId, NodeRng};

type Ctx = Context<Msg, Timer>;

fn node(seed: u64) -> (DhtNode, Ctx, NodeRng) {
    let mut rng = NodeRng::seed_from_u64(seed);
    let mut node = DhtNode::new(Id::random(&mut rng), Vec::new());
    let mut ctx = Ctx::new(NodeId::node(1), Vec::new(), seed);
    node.on_start(&mut ctx);
    ctx.take_sent();
    (node, ctx, rng)
}

fn krpc(t: &[u8], body: Body) -> Msg {
    Msg::Krpc(Message { t: t.to_vec(), body, read_only: false }.encode())
}

/// What the node sent, decoded.
fn sent(ctx: &mut Ctx) -> Vec<(NodeId, Message)> {
    ctx.take_sent()
        .into_iter()
        .filter_map(|(to, m)| match m {
            Msg::Krpc(bytes) => Some((to, Message::decode(&bytes).expect("the node sends valid KRPC"))),
            _ => None,
        })
        .collect()
}

/// A token for `from`, from a get_peers.
fn token(node: &mut DhtNode, ctx: &mut Ctx, from: &NodeId, id: Id) -> Vec<u8> {
    node.on_message(ctx, from.clone(), krpc(b"g", Body::Query(Query::GetPeers { id, info_hash: id })));
    sent(ctx)
        .into_iter()
        .find_map(|(to, m)| match m.body {
            Body::Response(Response { token: Some(t), .. }) if to == *from => Some(t),
            _ => None,
        })
        .expect("get_peers answers with a token")
}

fn announce(node: &mut DhtNode, ctx: &mut Ctx, from: &NodeId, id: Id, info_hash: Id, port: u16, token: &[u8]) {
    let query = Query::AnnouncePeer { id, info_hash, port, token: token.to_vec(), implied_port: false };
    node.on_message(ctx, from.clone(), krpc(b"a", Body::Query(query)));
    ctx.take_sent();
}

/// Lets `after` pass in steps of at most a minute, firing the node's timers on time
/// and answering nothing (pings and token rotations, as for a node left alone).
fn wait(node: &mut DhtNode, ctx: &mut Ctx, after: Duration) {
    let end = ctx.now() + after;
    while ctx.now() < end {
        let step = (end - ctx.now()).min(Duration::from_secs(60));
        ctx.set_now(ctx.now() + step);
        for (_, timer) in ctx.take_timers() {
            node.on_timer(ctx, timer);
        }
        ctx.take_sent();
    }
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
    let (mut node, mut ctx, mut rng) = node(1);
    let attacker = NodeId::node(7);
    let attacker_id = Id::random(&mut rng);
    let t = token(&mut node, &mut ctx, &attacker, attacker_id);
    let before = rss_kib();
    let started = std::time::Instant::now();
    let mut hashes = Vec::with_capacity(200_000);
    for i in 0..200_000u32 {
        let info_hash = Id::random(&mut rng);
        hashes.push(info_hash);
        announce(&mut node, &mut ctx, &attacker, attacker_id, info_hash, 1 + (i % 60_000) as u16, &t);
    }
    let elapsed = started.elapsed();
    let kept = hashes.iter().filter(|h| !node.stored_peers(h).is_empty()).count();
    let (info_hashes, peers) = node.stored();
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
    let t = token(&mut node, &mut ctx, &honest, honest_id);
    let wanted = Id::random(&mut rng);
    announce(&mut node, &mut ctx, &honest, honest_id, wanted, 6881, &t);
    assert_eq!(
        node.stored_peers(&wanted),
        &[SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 6881)],
        "a full store replaces an entry for a new announce instead of refusing it"
    );
}

/// Peers per hash stay bounded, and an announce expires after PEER_TTL unless renewed.
#[test]
fn peers_per_hash_are_bounded_and_expire() {
    let (mut node, mut ctx, mut rng) = node(2);
    let info_hash = Id::random(&mut rng);
    let mut renewer = None;
    for i in 0..300 {
        let from = NodeId::node(100 + i);
        let id = Id::random(&mut rng);
        let t = token(&mut node, &mut ctx, &from, id);
        announce(&mut node, &mut ctx, &from, id, info_hash, 7000, &t);
        renewer = Some((from, id));
    }
    assert_eq!(node.stored_peers(&info_hash).len(), MAX_PEERS_PER_HASH, "peers per hash are capped");
    // Half the TTL passes; the last announcer renews, nobody else does.
    wait(&mut node, &mut ctx, PEER_TTL / 2);
    let (from, id) = renewer.expect("one announcer");
    let t = token(&mut node, &mut ctx, &from, id);
    announce(&mut node, &mut ctx, &from, id, info_hash, 7000, &t);
    wait(&mut node, &mut ctx, PEER_TTL / 2 + Duration::from_secs(120));
    let left = node.stored_peers(&info_hash).to_vec();
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
    let (mut node, mut ctx, mut rng) = node(3);
    let own = node.id();
    let sybil = NodeId::node(66);
    let mut ids = Vec::new();
    for i in 0..64 {
        // Spread over 64 buckets, so no bucket fills up and ping-before-evict is no help.
        let id = own.random_in_bucket(159 - i, &mut rng);
        ids.push(id);
        node.on_message(&mut ctx, sybil.clone(), krpc(b"p", Body::Query(Query::Ping { id })));
        for (to, m) in sent(&mut ctx) {
            if to == sybil && matches!(m.body, Body::Query(Query::Ping { .. })) {
                let reply = Message { t: m.t, body: Body::Response(Response::id(id)), read_only: false };
                node.on_message(&mut ctx, sybil.clone(), Msg::Krpc(reply.encode()));
            }
        }
        ctx.take_sent();
    }
    // An honest node on an address of its own still gets in.
    let honest = NodeId::node(67);
    let honest_id = own.random_in_bucket(150, &mut rng);
    node.on_message(&mut ctx, honest.clone(), krpc(b"p", Body::Query(Query::Ping { id: honest_id })));
    for (to, m) in sent(&mut ctx) {
        if to == honest && matches!(m.body, Body::Query(Query::Ping { .. })) {
            let reply = Message { t: m.t, body: Body::Response(Response::id(honest_id)), read_only: false };
            node.on_message(&mut ctx, honest.clone(), Msg::Krpc(reply.encode()));
        }
    }
    let admitted = ids.iter().filter(|id| node.table().contains(id)).count();
    println!("64 ids from one IP answered their pings: {admitted} admitted (bound {MAX_IDS_PER_IP})");
    assert!(admitted <= MAX_IDS_PER_IP, "{admitted} ids from one IP in the table; at most {MAX_IDS_PER_IP}");
    assert!(node.table().contains(&honest_id), "a node on an address of its own is still admitted");
    // find_node for each Sybil's id names at most the bound of them.
    let asker = NodeId::node(68);
    let (mut named, mut results) = (0, 0);
    for id in &ids {
        node.on_message(
            &mut ctx,
            asker.clone(),
            krpc(b"f", Body::Query(Query::FindNode { id: honest_id, target: *id })),
        );
        for (_, m) in sent(&mut ctx) {
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
