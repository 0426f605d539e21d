//! The DHT: the reference (`solutions/04-dht`, on a real UDP socket through
//! `kit::udp`) against mainline 8 (<https://github.com/pubky/mainline>), a production
//! BEP 5 implementation, in private networks on 127.0.0.1. Every mainline node is given
//! its bootstrap list (or none): none ever reaches mainline's public bootstrap hosts.
//!
//! Each direction is its own test, and each fails if the other side refuses: mainline
//! joining through the reference and the reference joining a mainline network (ping and
//! find_node both ways), announce_peer and get_peers both ways, and lookups in a
//! network that mixes the two. A tap on every reference node records what crossed the
//! wire, so the tests assert the messages as well as the outcomes.

#[path = "dht/tap.rs"]
mod tap;

use std::net::SocketAddrV4;
use std::time::Duration;

use dht_solution::{Body, Id, Query};
use futures::StreamExt;
use kit::NodeRng;
use kit::rand::SeedableRng;
use tap::{Reference, closest, mainline, methods, reference, to_mainline, whoami};

/// How long a side may take to do what a test waits for.
const WAIT: Duration = Duration::from_secs(15);

fn random_id(seed: u64) -> Id {
    Id::random(&mut NodeRng::seed_from_u64(seed))
}

/// `n` mainline nodes: the first with no bootstrap, the rest joining through it (and
/// waited for).
async fn mainline_network(n: usize) -> Vec<(mainline::async_dht::AsyncDht, Id, SocketAddrV4)> {
    let first = mainline(&[]);
    let (id, addr) = whoami(&first).await;
    let mut nodes = vec![(first, id, addr)];
    for _ in 1..n {
        let node = mainline(&[addr]);
        let (id, own) = whoami(&node).await;
        nodes.push((node, id, own));
    }
    for (node, ..) in &nodes[1..] {
        assert!(node.bootstrapped().await, "a mainline node joins the mainline network");
    }
    nodes
}

/// mainline joins through the reference: mainline's find_node and ping are answered
/// (and mainline keeps the reference in its table), the reference pings it back
/// (4-byte transaction id), and only once mainline has answered does it enter the
/// reference's table, under its real id, not the throwaway id of its ping
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mainline_joins_through_the_reference() {
    let r = reference(1, &[], &[]).await;
    let m = mainline(&[r.addr]);
    let (m_id, m_addr) = whoami(&m).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let wanted = r.addr.to_string();
    while !m.to_bootstrap().await.contains(&wanted) {
        assert!(tokio::time::Instant::now() < deadline, "mainline must keep the reference in its routing table: the reference answered its queries");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert!(r.until(WAIT, |seen| seen.has(&m_id)).await, "mainline must enter the reference's table once it answers the reference's ping");
    let seen = r.seen.lock().unwrap();
    let asked = seen.queries_from(m_addr);
    let count = methods(&asked);
    assert!(count.get("find_node").copied().unwrap_or(0) >= 1, "mainline sent find_node; got {count:?}");
    assert!(count.get("ping").copied().unwrap_or(0) >= 1, "mainline pings the node it bootstraps from; got {count:?}");
    for query in &asked {
        assert!(seen.replied(m_addr, query), "every query from mainline is answered: {query:?}");
        assert_eq!(query.t.len(), 4, "mainline's transaction ids are 4 bytes");
    }
    let pings: Vec<_> = seen.queries_to(m_addr).into_iter().filter(|q| matches!(q.body, Body::Query(Query::Ping { .. }))).collect();
    assert!(!pings.is_empty(), "the reference pings mainline before admitting it");
    assert!(pings.iter().all(|p| p.t.len() == 4), "the reference's transaction ids are 4 bytes");
    assert!(pings.iter().any(|p| seen.answered(m_addr, p)), "mainline answers the reference's ping");
    let claimed: Vec<Id> = asked
        .iter()
        .filter_map(|q| match &q.body {
            Body::Query(Query::Ping { id } | Query::FindNode { id, .. } | Query::GetPeers { id, .. } | Query::AnnouncePeer { id, .. }) => Some(*id),
            _ => None,
        })
        .collect();
    for id in claimed.iter().filter(|id| **id != m_id) {
        assert!(!seen.has(id), "mainline queried under the throwaway id {id}: it never answers to it, so it stays out");
    }
    assert!(seen.table.iter().all(|c| c.id == m_id && c.addr == m_addr), "the reference's table holds mainline, at its address, and nothing else: {:?}", seen.table);
}

/// The reference joins a network of eight mainline nodes: its find_node queries (4-byte
/// transaction ids) are answered, the mainline nodes enter its table, and its lookups
/// find the true closest nodes
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_joins_a_mainline_network() {
    let ml = mainline_network(8).await;
    let mut r = reference(2, &[ml[0].2], &[]).await;
    let ids: Vec<Id> = ml.iter().map(|(_, id, _)| *id).collect();
    let joined = r.until(WAIT, |seen| ids.iter().filter(|id| seen.has(id)).count() >= 6).await;
    {
        let seen = r.seen.lock().unwrap();
        let known = ids.iter().filter(|id| seen.has(id)).count();
        kit::figure("mainline nodes in the reference's table", format!("{known} of 8"));
        assert!(joined, "the reference must learn the mainline network: {known} of 8 mainline nodes in its table");
        let first = seen.queries_to(ml[0].2);
        assert!(first.iter().any(|q| matches!(q.body, Body::Query(Query::FindNode { .. })) && seen.answered(ml[0].2, q)), "mainline answers the reference's find_node");
        assert!(seen.sent.iter().all(|(_, _, m)| !matches!(m.body, Body::Query(_)) || m.t.len() == 4), "every query of the reference has a 4-byte transaction id");
    }
    let mut all = ids.clone();
    all.push(r.id);
    for seed in 0..5 {
        let target = random_id(100 + seed);
        let found = r.find(target).await;
        assert_eq!(found.nodes, closest(&all, &target, 8), "the reference's lookup of {target} through mainline nodes finds the true 8 closest");
    }
}

/// announce_peer and get_peers from the reference to mainline: the reference announces
/// to mainline nodes with the tokens their get_peers answers gave, and mainline's
/// get_peers then finds the reference's address and port
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_announces_to_mainline() {
    let ml = mainline_network(8).await;
    let info_hash = random_id(200);
    let mut r = reference(3, &[ml[0].2], &[]).await;
    assert!(r.until(WAIT, |seen| seen.table.len() >= 4).await, "the reference joins");
    // The answer comes once every announce_peer has been answered or timed out.
    let stored = r.announce(info_hash, 7000).await;
    let accepted = {
        let seen = r.seen.lock().unwrap();
        seen.sent
            .iter()
            .filter(|(_, _, m)| matches!(m.body, Body::Query(Query::AnnouncePeer { .. })))
            .filter(|(_, to, m)| seen.answered(*to, m))
            .count()
    };
    kit::figure("mainline nodes accepting the reference's announce", accepted);
    assert!(accepted >= 1, "mainline nodes must accept the reference's announce_peer (accepted {accepted}, stored {stored})");
    let want = SocketAddrV4::new(*r.addr.ip(), 7000);
    let mut peers = Vec::new();
    let mut stream = ml[5].0.get_peers(to_mainline(info_hash));
    while let Ok(Some(found)) = tokio::time::timeout(WAIT, stream.next()).await {
        peers.extend(found);
        if peers.contains(&want) {
            break;
        }
    }
    assert!(peers.contains(&want), "mainline's get_peers must find the reference's announce {want}; found {peers:?}");
}

/// announce_peer and get_peers from mainline to the reference: mainline announces to
/// reference nodes, which check its token and store it; the reference's get_peers and
/// mainline's both find it
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mainline_announces_to_the_reference() {
    let info_hash = random_id(300);
    let mut refs: Vec<Reference> = Vec::new();
    refs.push(reference(10, &[], &[info_hash]).await);
    let first = refs[0].addr;
    for i in 1..8 {
        refs.push(reference(10 + i, &[first], &[info_hash]).await);
    }
    for r in &refs {
        assert!(r.until(WAIT, |seen| seen.table.len() >= 3).await, "the reference nodes join each other");
    }
    let m = mainline(&[first]);
    let (_, m_addr) = whoami(&m).await;
    assert!(m.bootstrapped().await, "mainline joins the reference network");
    // mainline announces to the nodes of its last lookup of the info-hash that gave a
    // token; without one it looks up with BEP 44's `get`, which the reference does not
    // speak. So look up first, with BEP 5's get_peers, as a BitTorrent client does.
    let mut stream = m.get_peers(to_mainline(info_hash));
    while let Ok(Some(_)) = tokio::time::timeout(WAIT, stream.next()).await {}
    m.announce_peer(to_mainline(info_hash), Some(7001)).await.expect("mainline's announce_peer must be accepted by reference nodes");
    let want = SocketAddrV4::new(*m_addr.ip(), 7001);
    let storing = refs.iter().filter(|r| r.seen.lock().unwrap().stored.get(&info_hash).is_some_and(|p| p.contains(&want))).count();
    kit::figure("reference nodes storing mainline's announce", storing);
    assert!(storing >= 1, "reference nodes must store mainline's announce_peer");
    let asked = refs.iter().map(|r| r.seen.lock().unwrap().queries_from(m_addr).iter().filter(|q| matches!(q.body, Body::Query(Query::AnnouncePeer { .. }))).count()).sum::<usize>();
    assert!(asked >= storing, "the announces arrived as announce_peer queries");
    let found = refs[7].get_peers(info_hash).await;
    assert!(found.contains(&want), "the reference's get_peers finds mainline's announce {want}; found {found:?}");
    let mut peers = Vec::new();
    let mut stream = m.get_peers(to_mainline(info_hash));
    while let Ok(Some(found)) = tokio::time::timeout(WAIT, stream.next()).await {
        peers.extend(found);
        if peers.contains(&want) {
            break;
        }
    }
    assert!(peers.contains(&want), "mainline's get_peers over reference nodes finds the announce; found {peers:?}");
}

/// Lookups in a network of ten reference and ten mainline nodes that joined in turn:
/// from either kind, lookups of random targets find the true 8 closest of the twenty
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_in_a_mixed_network() {
    let mut refs = vec![reference(40, &[], &[]).await];
    let first = refs[0].addr;
    let mut ml = Vec::new();
    for i in 1..10 {
        let node = mainline(&[first]);
        let (id, addr) = whoami(&node).await;
        ml.push((node, id, addr));
        refs.push(reference(40 + i, &[first], &[]).await);
    }
    let node = mainline(&[first]);
    let (id, addr) = whoami(&node).await;
    ml.push((node, id, addr));
    let mut all: Vec<Id> = ml.iter().map(|(_, id, _)| *id).collect();
    all.extend(refs.iter().map(|r| r.id));
    for r in &refs {
        assert!(r.until(WAIT, |seen| seen.table.len() >= 8).await, "every reference node learns the mixed network");
    }
    // Everyone looks itself up once more, now that all have joined: mainline keeps the
    // nodes that answer its lookups, so it meets the nodes that came after it.
    for (node, id, _) in &ml {
        node.find_node(to_mainline(*id)).await;
    }
    for r in &mut refs {
        let id = r.id;
        r.find(id).await;
    }
    let (mut ours, mut theirs) = (0, 0);
    let lookups = 6;
    for seed in 0..lookups {
        let target = random_id(500 + seed);
        let want = closest(&all, &target, 8);
        let found = refs[seed as usize].find(target).await;
        ours += usize::from(found.nodes == want);
        // mainline returns the closest nodes others named, which may include itself.
        let mut got: Vec<Id> = ml[seed as usize].0.find_node(to_mainline(target)).await.iter().map(|n| Id(*n.id().as_bytes())).collect();
        got.push(ml[seed as usize].1);
        got.sort();
        got.dedup();
        let got = closest(&got, &target, 8);
        theirs += usize::from(got == want);
    }
    kit::figure("reference lookups exact", format!("{ours} of {lookups}"));
    kit::figure("mainline lookups exact", format!("{theirs} of {lookups}"));
    assert_eq!(ours, lookups as usize, "the reference's lookups in the mixed network find the true 8 closest");
    assert_eq!(theirs, lookups as usize, "mainline's lookups in the mixed network find the true 8 closest (reference nodes answer them too)");
}
