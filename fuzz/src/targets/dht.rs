//! The DHT (solutions/04-dht): bencode, KRPC, and a node fed KRPC datagrams.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use dht_solution::bencode::{self, Value};
use dht_solution::krpc::transaction_id;
use std::time::Duration;

use dht_solution::node::{MAX_IDS_PER_IP, MAX_INFO_HASHES, MAX_PEERS_PER_HASH, addr_of};
use dht_solution::{Body, Contact, DhtNode, Id, K, Message, Msg, Query, Response};
use kit::{NodeId, Runtime};

use crate::harness::{MAX_ALLOC, Target};

/// Bencode's type bytes, and KRPC's keys and values as bencoded strings.
const BENCODE: &[&[u8]] = &[
    b"i",
    b"e",
    b"l",
    b"d",
    b":",
    b"-",
    b"0",
    b"1:t",
    b"1:y",
    b"1:q",
    b"1:r",
    b"1:e",
    b"1:a",
    b"2:id",
    b"6:target",
    b"9:info_hash",
    b"5:nodes",
    b"6:values",
    b"5:token",
    b"4:port",
    b"12:implied_port",
    b"2:ro",
    b"4:ping",
    b"9:find_node",
    b"9:get_peers",
    b"13:announce_peer",
];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "bencode",
            about: "dht bencode::decode; a value that decodes re-encodes to the same bytes",
            seeds: bencode_seeds,
            start: || Box::new(bencode_one),
            tokens: BENCODE,
            max_len: 4096,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "krpc",
            about: "dht Message::decode and transaction_id, then the datagram into a DhtNode waiting for answers",
            seeds: krpc_seeds,
            start: || Box::new(krpc_one),
            tokens: BENCODE,
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "dht-node",
            about: "dht DhtNode fed a sequence of datagrams from up to 16 peers, its timers fired as time passes",
            seeds: node_seeds,
            start: || Box::new(node_one),
            tokens: BENCODE,
            max_len: 8192,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn bencode_one(input: &[u8]) -> bool {
    let Ok(value) = bencode::decode(input) else {
        return false;
    };
    assert_eq!(bencode::encode(&value), input, "a decoded value must re-encode to its one canonical encoding");
    true
}

fn dict(pairs: &[(&str, Value)]) -> Value {
    Value::Dict(pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.clone())).collect::<BTreeMap<_, _>>())
}

fn bencode_seeds() -> Vec<Vec<u8>> {
    let values = [
        Value::Int(0),
        Value::Int(-42),
        Value::Int(i64::MAX),
        Value::Bytes(b"spam".to_vec()),
        Value::List(vec![Value::Bytes(b"a".to_vec()), Value::Int(1), Value::List(vec![])]),
        dict(&[("cow", Value::Bytes(b"moo".to_vec())), ("spam", Value::List(vec![Value::Bytes(b"eggs".to_vec())]))]),
        dict(&[("a", dict(&[("b", dict(&[("c", Value::Int(3))]))]))]),
    ];
    let mut seeds: Vec<Vec<u8>> = values.iter().map(bencode::encode).collect();
    seeds.extend(krpc_seeds());
    seeds
}

fn id(byte: u8) -> Id {
    Id([byte; 20])
}

/// The node under test: `n0`, joining through `n1`, on a [`Runtime`] whose clock the
/// fuzzer moves. It starts by asking `n1` for the nodes near its own id, so it has a
/// query pending when the input arrives.
fn started_node() -> (Runtime<DhtNode>, Vec<Vec<u8>>) {
    let node = DhtNode::new(id(0x11), vec![NodeId::node(1)]);
    let mut runtime = Runtime::new(node, NodeId::node(0), vec![NodeId::node(1)], 7);
    runtime.start(Duration::ZERO);
    let queries = sent(&mut runtime);
    (runtime, queries)
}

/// The datagrams the node sent since the last look, each checked to decode.
fn sent(runtime: &mut Runtime<DhtNode>) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| runtime.poll_transmit())
        .filter_map(|(_, m)| match m {
            Msg::Krpc(bytes) => Some(bytes),
            _ => None,
        })
        .inspect(|bytes| {
            Message::decode(bytes).expect("every datagram the node sends decodes");
        })
        .collect()
}

fn krpc_seeds() -> Vec<Vec<u8>> {
    let t = b"aa\x00\x01".to_vec();
    let addr = |i: u8| SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, i), 6881);
    let contacts: Vec<Contact> = (1..=8).map(|i| Contact { id: id(i), addr: addr(i) }).collect();
    let mut messages = vec![
        Message { t: t.clone(), body: Body::Query(Query::Ping { id: id(1) }), read_only: false },
        Message { t: t.clone(), body: Body::Query(Query::FindNode { id: id(1), target: id(2) }), read_only: true },
        Message { t: t.clone(), body: Body::Query(Query::GetPeers { id: id(1), info_hash: id(3) }), read_only: false },
        Message {
            t: t.clone(),
            body: Body::Query(Query::AnnouncePeer {
                id: id(1),
                info_hash: id(3),
                port: 6881,
                token: b"tok".to_vec(),
                implied_port: true,
            }),
            read_only: false,
        },
        Message { t: t.clone(), body: Body::Response(Response::id(id(4))), read_only: false },
        Message {
            t: t.clone(),
            body: Body::Response(Response {
                id: id(4),
                nodes: Some(contacts.clone()),
                values: Some(vec![addr(9), addr(10)]),
                token: Some(b"token".to_vec()),
            }),
            read_only: false,
        },
        Message {
            t: t.clone(),
            body: Body::Error { code: 201, message: "A Generic Error Ocurred".into() },
            read_only: false,
        },
    ];
    // Answers to the queries the node under test has pending: same transaction id.
    let (_, queries) = started_node();
    for query in queries {
        if let Some(t) = transaction_id(&query) {
            messages.push(Message {
                t,
                body: Body::Response(Response { id: id(1), nodes: Some(contacts.clone()), values: None, token: None }),
                read_only: false,
            });
        }
    }
    messages.iter().map(Message::encode).collect()
}

fn krpc_one(input: &[u8]) -> bool {
    let _ = transaction_id(input);
    let decoded = Message::decode(input);
    if let Ok(message) = &decoded {
        let again = Message::decode(&message.encode()).expect("a decoded message re-encodes to one that decodes");
        assert_eq!(&again, message, "decode(encode(m)) == m");
    }
    let (mut runtime, _) = started_node();
    runtime.handle_message(Duration::ZERO, NodeId::node(1), Msg::Krpc(input.to_vec()));
    sent(&mut runtime);
    decoded.is_ok()
}

/// One datagram of a `dht-node` input: `[sender][length: u16 BE][bytes]`. The sender
/// byte names peer `n1` to `n16`; the length makes the input a sequence that mutations
/// can cut, repeat and splice.
fn datagrams(input: &[u8]) -> Vec<(NodeId, &[u8])> {
    let mut out = Vec::new();
    let mut rest = input;
    while let [from, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        out.push((NodeId::node(usize::from(*from % 16) + 1), &tail[..len]));
        rest = &tail[len..];
    }
    out
}

fn frame(from: usize, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![(from - 1) as u8];
    out.extend((bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

/// Moves the node's clock on by `by`, firing each timer that falls due at its
/// deadline, as a real-time driver that wakes on time does ([`Runtime::poll_timeout`],
/// then [`Runtime::handle_timeout`]; at most about 256 timers, so that a timer that
/// sets itself again at once cannot loop for ever), and checks that everything the
/// node sends decodes.
fn advance(runtime: &mut Runtime<DhtNode>, now: &mut Duration, by: Duration) {
    let until = *now + by;
    let mut fired = 0;
    while fired < 256 {
        match runtime.poll_timeout() {
            Some(due) if due <= until => fired += runtime.handle_timeout(due),
            _ => break,
        }
        sent(runtime);
    }
    *now = until;
}

fn node_one(input: &[u8]) -> bool {
    let (mut runtime, _) = started_node();
    let mut now = Duration::ZERO;
    let mut decoded = 0;
    for (from, bytes) in datagrams(input) {
        decoded += usize::from(Message::decode(bytes).is_ok());
        runtime.handle_message(now, from, Msg::Krpc(bytes.to_vec()));
        sent(&mut runtime);
        advance(&mut runtime, &mut now, Duration::from_millis(100));
    }
    // Long enough for every query to time out and the maintenance to run.
    for _ in 0..3 {
        advance(&mut runtime, &mut now, Duration::from_secs(60));
    }
    let node = runtime.node();
    assert!(node.table().len() <= 160 * K, "a routing table holds at most K contacts per bucket");
    // Sixteen senders, one address each: none holds more than its share of the table.
    let mut per_ip: BTreeMap<Ipv4Addr, usize> = BTreeMap::new();
    for contact in node.table().closest(&id(0), usize::MAX) {
        *per_ip.entry(*contact.addr.ip()).or_default() += 1;
    }
    if let Some((ip, n)) = per_ip.iter().max_by_key(|(_, n)| **n) {
        assert!(*n <= MAX_IDS_PER_IP, "{n} contacts at {ip} in the table");
    }
    let (info_hashes, peers) = node.stored();
    assert!(info_hashes <= MAX_INFO_HASHES, "{info_hashes} info-hashes stored");
    assert!(peers <= info_hashes * MAX_PEERS_PER_HASH, "{peers} peers stored");
    decoded > 0
}

/// Sequences a peer might send: the bootstrap node's answer and the answers of the
/// nodes it names, then queries from strangers, each from the sender the node expects.
fn node_seeds() -> Vec<Vec<u8>> {
    let (mut runtime, queries) = started_node();
    let contacts: Vec<Contact> =
        (2..=9).map(|i| Contact { id: id(i as u8 * 3), addr: addr_of(&NodeId::node(i)) }).collect();
    let answer = |t: Vec<u8>, by: u8, nodes: &[Contact]| {
        Message {
            t,
            body: Body::Response(Response { id: id(by), nodes: Some(nodes.to_vec()), values: None, token: None }),
            read_only: false,
        }
        .encode()
    };
    let mut answers = Vec::new();
    for q in &queries {
        if let Some(t) = transaction_id(q) {
            let bytes = answer(t, 1, &contacts);
            runtime.handle_message(Duration::ZERO, NodeId::node(1), Msg::Krpc(bytes.clone()));
            answers.push(frame(1, &bytes));
        }
    }
    // The node now asks (or pings) the contacts it learnt: answer each from its address.
    while let Some((to, sent)) = runtime.poll_transmit() {
        let Msg::Krpc(q) = sent else { continue };
        let Some(t) = transaction_id(&q) else { continue };
        let index: usize = to.as_str().strip_prefix('n').and_then(|n| n.parse().ok()).unwrap_or(1);
        if (1..=16).contains(&index) {
            answers.push(frame(index, &answer(t, index as u8 * 3, &contacts[..3])));
        }
    }
    let token = runtime.node().token_for(&addr_of(&NodeId::node(10)));
    let t = b"zz\x00\x01".to_vec();
    let q = |body: Query| Message { t: t.clone(), body: Body::Query(body), read_only: false }.encode();
    let strangers = [
        frame(10, &q(Query::Ping { id: id(0x40) })),
        frame(10, &q(Query::FindNode { id: id(0x40), target: id(0x12) })),
        frame(10, &q(Query::GetPeers { id: id(0x40), info_hash: id(0x77) })),
        frame(
            10,
            &q(Query::AnnouncePeer { id: id(0x40), info_hash: id(0x77), port: 6881, token, implied_port: false }),
        ),
    ];
    let mut seeds = vec![answers.concat(), strangers.concat(), [answers.concat(), strangers.concat()].concat()];
    seeds.extend(strangers);
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds are what the node expects: its bootstrap answer fills its table.
    #[test]
    fn the_seed_answers_reach_the_routing_table() {
        let seeds = node_seeds();
        let (mut runtime, _) = started_node();
        for (from, bytes) in datagrams(&seeds[0]) {
            runtime.handle_message(Duration::ZERO, from, Msg::Krpc(bytes.to_vec()));
        }
        assert!(
            !runtime.node().table().is_empty(),
            "no contact admitted from {} datagrams",
            datagrams(&seeds[0]).len()
        );
        assert!(node_one(&seeds[2]));
    }
}
