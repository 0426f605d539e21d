//! The dht exercise's checks, in the order to make them pass: ids, bencode, KRPC
//! (BEP 5's own examples, byte for byte), the routing table, the lookup, one node's
//! answers, its transaction ids, good nodes only, read-only nodes (BEP 43),
//! ping-before-evict, then networks of 1,000 nodes in the kit's simulator, half of
//! them running the reference solution.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use kit::rand::{RngExt, SeedableRng};
use kit::runtime::Runtime;
use kit::{Adapter, Either, NodeId, NodeRng, Sim, SimConfig};

use crate::reference;
use crate::subject;

const SEC: Duration = Duration::from_secs(1);
const K: usize = 8;

/// Whether an error is the one expected.
type Verdict<E> = fn(&E) -> bool;

fn rng(seed: u64) -> NodeRng {
    NodeRng::seed_from_u64(seed)
}

fn rid(rng: &mut NodeRng) -> reference::Id {
    reference::Id::random(rng)
}

fn sid(id: reference::Id) -> subject::Id {
    subject::Id(id.0)
}

fn addr(i: u8) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, i), 6881)
}

// ---------------------------------------------------------------------------------
// Step 1

/// XOR distance and bucket index, on fixed examples and 1,000 random pairs
#[test]
fn step_1_xor_distance() {
    let zero = subject::Id([0; 20]);
    let mut top = [0; 20];
    top[0] = 0x80;
    let mut last = [0; 20];
    last[19] = 1;
    assert_eq!(zero.distance(&zero), zero, "the distance from an id to itself is 0");
    assert_eq!(zero.distance(&subject::Id(top)), subject::Id(top));
    assert_eq!(zero.bucket_index(&zero), None, "a node is in none of its own buckets");
    assert_eq!(zero.bucket_index(&subject::Id(top)), Some(159), "the first bit differs: bucket 159, the far half");
    assert_eq!(zero.bucket_index(&subject::Id(last)), Some(0), "only the last bit differs: bucket 0");
    let mut r = rng(1);
    for _ in 0..1000 {
        let (a, b) = (rid(&mut r), rid(&mut r));
        let (sa, sb) = (sid(a), sid(b));
        assert_eq!(sa.distance(&sb).0, a.distance(&b).0, "distance({a}, {b}) is a XOR b, byte by byte");
        assert_eq!(sa.distance(&sb), sb.distance(&sa), "distance is symmetric");
        assert_eq!(sa.bucket_index(&sb), a.bucket_index(&b), "bucket_index({a}, {b})");
        let c = rid(&mut r);
        // The triangle inequality holds for XOR with ^ as the "sum": d(a,c) = d(a,b) ^ d(b,c).
        let via = sa.distance(&sb).distance(&sb.distance(&sid(c)));
        assert_eq!(via, sa.distance(&sid(c)), "d(a,b) xor d(b,c) = d(a,c)");
    }
}

// ---------------------------------------------------------------------------------
// Step 2

fn to_subject(value: &reference::Value) -> subject::Value {
    match value {
        reference::Value::Int(n) => subject::Value::Int(*n),
        reference::Value::Bytes(b) => subject::Value::Bytes(b.clone()),
        reference::Value::List(items) => subject::Value::List(items.iter().map(to_subject).collect()),
        reference::Value::Dict(d) => subject::Value::Dict(d.iter().map(|(k, v)| (k.clone(), to_subject(v))).collect()),
    }
}

fn random_value(r: &mut NodeRng, depth: usize) -> reference::Value {
    let len = r.random_range(0..6usize);
    match r.random_range(0..if depth > 3 { 2 } else { 4 }) {
        0 => reference::Value::Int(match r.random_range(0..3) {
            0 => r.random_range(-10..10),
            1 => r.random(),
            _ => i64::MIN,
        }),
        1 => reference::Value::Bytes((0..r.random_range(0..30)).map(|_| r.random()).collect()),
        2 => reference::Value::List((0..len).map(|_| random_value(r, depth + 1)).collect()),
        _ => reference::Value::Dict(
            (0..len)
                .map(|_| {
                    (
                        (0..r.random_range(0..5)).map(|_| r.random_range(b'a'..b'f')).collect(),
                        random_value(r, depth + 1),
                    )
                })
                .collect(),
        ),
    }
}

/// Bencode: examples, 500 random values, malformed input rejected with its error
///
/// Bencode (BEP 3): fixed examples, 500 random values against the reference, and
/// every kind of malformed input rejected with its own error, never a panic
#[test]
fn step_2_bencode() {
    use subject::Value::*;
    let dict = |pairs: &[(&str, subject::Value)]| {
        Dict(pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.clone())).collect::<BTreeMap<_, _>>())
    };
    let bytes = |s: &str| Bytes(s.as_bytes().to_vec());
    let examples: Vec<(subject::Value, &str)> = vec![
        (Int(42), "i42e"),
        (Int(0), "i0e"),
        (Int(-3), "i-3e"),
        (bytes("spam"), "4:spam"),
        (bytes(""), "0:"),
        (List(vec![bytes("spam"), bytes("eggs")]), "l4:spam4:eggse"),
        (dict(&[("cow", bytes("moo")), ("spam", bytes("eggs"))]), "d3:cow3:moo4:spam4:eggse"),
        (dict(&[("spam", List(vec![bytes("a"), bytes("b")]))]), "d4:spaml1:a1:bee"),
        (List(vec![]), "le"),
        (dict(&[]), "de"),
    ];
    for (value, text) in &examples {
        assert_eq!(String::from_utf8_lossy(&subject::bencode::encode(value)), *text, "encode({value:?})");
        assert_eq!(subject::bencode::decode(text.as_bytes()).as_ref(), Ok(value), "decode({text:?})");
    }
    let mut r = rng(2);
    for _ in 0..500 {
        let value = random_value(&mut r, 0);
        let encoded = reference::bencode::encode(&value);
        assert_eq!(subject::bencode::encode(&to_subject(&value)), encoded, "encode({value:?})");
        assert_eq!(
            subject::bencode::decode(&encoded),
            Ok(to_subject(&value)),
            "decode({:?})",
            String::from_utf8_lossy(&encoded)
        );
    }
    use subject::BencodeError as E;
    let deep = format!("{}{}", "l".repeat(40), "e".repeat(40));
    // A dictionary's values are one level deeper too: d1:a d1:a … i0e e e.
    let deep_dicts = format!("{}i0e{}", "d1:a".repeat(40), "e".repeat(40));
    let bad: Vec<(&[u8], Verdict<E>, &str)> = vec![
        (b"", |e| matches!(e, E::UnexpectedEnd), "empty input"),
        (b"i42", |e| matches!(e, E::UnexpectedEnd), "an integer with no end"),
        (b"5:abc", |e| matches!(e, E::UnexpectedEnd), "a string longer than the input"),
        (b"l4:spam", |e| matches!(e, E::UnexpectedEnd), "a list with no end"),
        (b"i-0e", |e| matches!(e, E::InvalidInteger { at: 1 }), "-0"),
        (b"i03e", |e| matches!(e, E::InvalidInteger { at: 1 }), "a leading zero"),
        (b"ie", |e| matches!(e, E::InvalidInteger { at: 1 }), "an empty integer"),
        (b"i1x2e", |e| matches!(e, E::InvalidInteger { at: 1 }), "a letter in an integer"),
        (b"i9223372036854775808e", |e| matches!(e, E::InvalidInteger { at: 1 }), "an integer beyond i64"),
        (b"03:abc", |e| matches!(e, E::InvalidInteger { at: 0 }), "a string length with a leading zero"),
        (b"x", |e| matches!(e, E::UnexpectedByte { at: 0, byte: b'x' }), "an unknown type byte"),
        (
            b"di1ei2ee",
            |e| matches!(e, E::UnexpectedByte { at: 1, byte: b'i' }),
            "a dictionary key that is not a string",
        ),
        (b"d4:spam1:a3:cow1:be", |e| matches!(e, E::UnsortedKeys { at: 10 }), "keys out of order"),
        (b"d3:cow1:a3:cow1:be", |e| matches!(e, E::UnsortedKeys { at: 9 }), "a repeated key"),
        (
            b"i1ei2e",
            |e| matches!(e, E::TrailingBytes { at: 3, extra: 3 }),
            "two values back to back (decode takes exactly one value, nothing after it)",
        ),
        (deep.as_bytes(), |e| matches!(e, E::TooDeep { .. }), "lists nested 40 deep"),
        (
            deep_dicts.as_bytes(),
            |e| matches!(e, E::TooDeep { .. }),
            "dictionaries nested 40 deep (a value inside a dictionary is one level deeper, as an item inside a \
             list is: count the depth for both, or a hostile d1:ad1:a… exhausts the stack)",
        ),
    ];
    for (input, ok, what) in bad {
        match subject::bencode::decode(input) {
            Err(e) if ok(&e) => {}
            other => panic!(
                "{what} ({:?}) must be rejected with the right error, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }
    // Random bytes: never a panic, and the same verdict as the reference.
    for _ in 0..3000 {
        let input: Vec<u8> =
            (0..r.random_range(0..12)).map(|_| *b"ild0123:e-x".get(r.random_range(0..11)).unwrap()).collect();
        let (s, e) = (subject::bencode::decode(&input), reference::bencode::decode(&input));
        assert_eq!(
            s.is_ok(),
            e.is_ok(),
            "decode({:?}): {s:?}, the reference says {e:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

// ---------------------------------------------------------------------------------
// Step 3

/// The example messages of BEP 5, byte for byte, as the BEP prints them
/// (https://www.bittorrent.org/beps/bep_0005.html, "KRPC Protocol": ping, find_node,
/// get_peers, announce_peer and the error example).
const BEP5: [&str; 7] = [
    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
    "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
    "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
    "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
    "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
];

fn text_id(s: &str) -> subject::Id {
    subject::Id(s.as_bytes().try_into().unwrap())
}

/// KRPC: BEP 5's seven example messages, byte for byte, both ways
///
/// KRPC: BEP 5's seven example messages decode and re-encode byte for byte, built
/// messages encode to them, compact node info round-trips, bad messages are refused
#[test]
fn step_3_krpc() {
    use subject::{Body, Message, Query, Response};
    let a = text_id("abcdefghij0123456789");
    let m = text_id("mnopqrstuvwxyz123456");
    let t = b"aa".to_vec();
    let values = vec![
        SocketAddrV4::new(Ipv4Addr::from(*b"axje"), u16::from_be_bytes(*b".u")),
        SocketAddrV4::new(Ipv4Addr::from(*b"idht"), u16::from_be_bytes(*b"nm")),
    ];
    let built = [
        Body::Query(Query::Ping { id: a }),
        Body::Response(Response { id: m, nodes: None, values: None, token: None }),
        Body::Query(Query::FindNode { id: a, target: m }),
        Body::Query(Query::GetPeers { id: a, info_hash: m }),
        Body::Response(Response { id: a, nodes: None, values: Some(values), token: Some(b"aoeusnth".to_vec()) }),
        Body::Query(Query::AnnouncePeer {
            id: a,
            info_hash: m,
            port: 6881,
            token: b"aoeusnth".to_vec(),
            implied_port: true,
        }),
        Body::Error { code: 201, message: "A Generic Error Ocurred".into() },
    ];
    assert_eq!(
        subject::krpc::encode_addr(&SocketAddrV4::new(Ipv4Addr::new(1, 2, 3, 4), 6881)),
        [0x01, 0x02, 0x03, 0x04, 0x1a, 0xe1],
        "compact peer info for 1.2.3.4:6881 is 01 02 03 04 1a e1: the IPv4 address, then the port in network \
         byte order (big-endian)"
    );
    for (vector, body) in BEP5.iter().zip(built) {
        let message = Message { t: t.clone(), body, read_only: false };
        assert_eq!(String::from_utf8_lossy(&message.encode()), *vector, "encoding {message:?}");
        let decoded = Message::decode(vector.as_bytes()).unwrap_or_else(|e| panic!("decode {vector}: {e}"));
        assert_eq!(decoded, message, "decoding {vector}");
    }
    // A response with real compact node info, against the reference.
    let mut r = rng(3);
    let nodes: Vec<subject::Contact> =
        (0..K as u8).map(|i| subject::Contact { id: sid(rid(&mut r)), addr: addr(i) }).collect();
    let response = Message {
        t: vec![0, 7],
        body: Body::Response(Response { id: a, nodes: Some(nodes.clone()), values: None, token: Some(b"tk".to_vec()) }),
        read_only: false,
    };
    let bytes = response.encode();
    let theirs = reference::Message::decode(&bytes).expect("the reference reads your find_node response");
    let reference::Body::Response(theirs) = theirs.body else { panic!("the reference reads a response") };
    assert_eq!(
        theirs.nodes.unwrap().iter().map(|c| (c.id.0, c.addr)).collect::<Vec<_>>(),
        nodes.iter().map(|c| (c.id.0, c.addr)).collect::<Vec<_>>()
    );
    assert_eq!(Message::decode(&bytes).unwrap(), response);
    assert_eq!(subject::krpc::encode_nodes(&nodes).len(), 26 * K, "compact node info is 26 bytes a node");
    // Refusals.
    use subject::KrpcError as E;
    let cases: Vec<(&str, Verdict<E>)> = vec![
        ("i42e", |e| matches!(e, E::NotADictionary)),
        ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping", |e| matches!(e, E::Bencode(_))),
        ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe", |e| matches!(e, E::Missing("t"))),
        ("d1:ade1:q4:ping1:t2:aa1:y1:qe", |e| matches!(e, E::Missing("id"))),
        ("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe", |e| matches!(e, E::Invalid("id"))),
        (
            "d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:y1:qe",
            |e| matches!(e, E::UnknownMethod(m) if m == "vote"),
        ),
        ("d1:t2:aa1:y1:ze", |e| matches!(e, E::UnknownType(_))),
        // BEP 5's own find_node response example has a placeholder for nodes.
        ("d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re", |e| matches!(e, E::Invalid("nodes"))),
        (
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token2:tke1:q13:announce_peer1:t2:aa1:y1:qe",
            |e| matches!(e, E::Invalid("port")),
        ),
    ];
    for (input, ok) in cases {
        match Message::decode(input.as_bytes()) {
            Err(e) if ok(&e) => {}
            other => panic!("decode({input:?}) must fail with the right error, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------
// Step 4

/// An id at distance with highest bit `bucket` from `own`, and `low` in its last byte.
fn in_bucket(own: subject::Id, bucket: usize, low: u8) -> subject::Id {
    let mut d = [0u8; 20];
    d[19 - bucket / 8] |= 1 << (bucket % 8);
    d[19] |= low;
    own.distance(&subject::Id(d))
}

/// Routing table: k-buckets of 8, least recently seen first, closest() exact
///
/// Routing table: k-buckets of 8, least recently seen first; a full bucket changes
/// nothing and names the contact to ping; closest() against brute force
#[test]
fn step_4_routing_table() {
    use subject::{Contact, Insert, RoutingTable};
    let own = sid(rid(&mut rng(4)));
    let mut table = RoutingTable::new(own);
    assert_eq!(table.insert(Contact { id: own, addr: addr(0) }), Insert::Own, "the table never holds its own node");
    let contacts: Vec<Contact> =
        (0..9u8).map(|i| Contact { id: in_bucket(own, 100, i + 1), addr: addr(i + 1) }).collect();
    for c in &contacts[..8] {
        assert_eq!(table.insert(*c), Insert::Added);
    }
    assert_eq!(table.len(), 8);
    assert_eq!(
        table.insert(contacts[8]),
        Insert::Full { least_recently_seen: contacts[0] },
        "a bucket holds at most K = 8 contacts: the ninth finds it full, unchanged, and it names its least \
         recently seen contact"
    );
    assert!(!table.contains(&contacts[8].id), "a full bucket does not take the newcomer");
    assert_eq!(table.insert(contacts[0]), Insert::Updated, "seeing a known contact again");
    assert_eq!(table.bucket(100).back(), Some(&contacts[0]), "…makes it the most recently seen");
    assert_eq!(
        table.insert(contacts[8]),
        Insert::Full { least_recently_seen: contacts[1] },
        "now contacts[1] is the oldest"
    );
    assert_eq!(table.remove(&contacts[1].id), Some(contacts[1]));
    assert_eq!(table.remove(&contacts[1].id), None);
    assert_eq!(table.insert(contacts[8]), Insert::Added, "after the eviction there is room");
    // Another bucket is independent.
    assert_eq!(table.insert(Contact { id: in_bucket(own, 3, 0), addr: addr(50) }), Insert::Added);
    assert_eq!(table.bucket(3).len(), 1);
    // closest() against brute force, and against the reference table fed the same.
    let mut r = rng(5);
    let mut table = RoutingTable::new(own);
    let mut theirs = reference::RoutingTable::new(reference::Id(own.0));
    for i in 0..2000u32 {
        let id = rid(&mut r);
        let a = SocketAddrV4::new(Ipv4Addr::from(i), 1);
        table.insert(Contact { id: sid(id), addr: a });
        theirs.insert(reference::Contact { id, addr: a });
    }
    assert_eq!(table.len(), theirs.len(), "the same contacts kept");
    for _ in 0..100 {
        let target = rid(&mut r);
        let mine: Vec<_> = table.closest(&sid(target), K).iter().map(|c| c.id.0).collect();
        let want: Vec<_> = theirs.closest(&target, K).iter().map(|c| c.id.0).collect();
        assert_eq!(
            mine, want,
            "closest({target}, 8): the 8 contacts with the smallest XOR distance to the target, closest first"
        );
    }
}

// ---------------------------------------------------------------------------------
// Step 5

/// Iterative lookup over 2,000 ids: at most α in flight, the true 8 closest
///
/// Iterative lookup in a network of 2,000 ids (10% of them dead) where queries are
/// answered in random order: never more than α in flight, and the answer is the true
/// 8 closest live nodes
#[test]
fn step_5_lookup() {
    let mut r = rng(6);
    let n = 2000;
    let ids: Vec<reference::Id> = (0..n).map(|_| rid(&mut r)).collect();
    let dead: BTreeSet<usize> = (0..n).filter(|_| r.random_bool(0.1)).collect();
    let index: BTreeMap<[u8; 20], usize> = ids.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
    let contact = |i: usize| subject::Contact { id: sid(ids[i]), addr: SocketAddrV4::new(Ipv4Addr::from(i as u32), 1) };
    // Every node has seen every other, in its own random order: its buckets hold the
    // first 8 it saw in each range, so it knows its neighbourhood completely and the
    // rest of the id space sparsely, as a settled Kademlia node does.
    let tables: Vec<reference::RoutingTable> = (0..n)
        .map(|i| {
            let mut t = reference::RoutingTable::new(ids[i]);
            let mut order: Vec<usize> = (0..n).collect();
            for k in (1..n).rev() {
                order.swap(k, r.random_range(0..=k));
            }
            // Nodes drop contacts that stop answering: only the querier's own table
            // (the seeds) still holds dead nodes, and answers name one now and then.
            for j in order.into_iter().filter(|j| !dead.contains(j)) {
                t.insert(reference::Contact { id: ids[j], addr: SocketAddrV4::new(Ipv4Addr::from(j as u32), 1) });
            }
            t
        })
        .collect();
    let mut exact = 0;
    for round in 0..40 {
        let me = loop {
            let i = r.random_range(0..n);
            if !dead.contains(&i) {
                break i;
            }
        };
        let target = rid(&mut r);
        let mut seed_table = reference::RoutingTable::new(ids[me]);
        for (j, id) in ids.iter().enumerate() {
            seed_table.insert(reference::Contact { id: *id, addr: SocketAddrV4::new(Ipv4Addr::from(j as u32), 1) });
        }
        let seeds: Vec<subject::Contact> =
            seed_table.closest(&target, K).iter().map(|c| contact(index[&c.id.0])).collect();
        let mut lookup = subject::Lookup::new(sid(target), sid(ids[me]), &seeds);
        let mut in_flight: Vec<usize> = Vec::new();
        let mut steps = 0;
        // Hops from the seeds, as the harness sees them: each node's depth when first
        // heard of, and the fewest hops by which it was heard of.
        let mut first_depth: BTreeMap<usize, u32> = seeds.iter().map(|c| (index[&c.id.0], 1)).collect();
        let mut min_depth = first_depth.clone();
        let mut asked = 0;
        loop {
            for c in lookup.next_queries() {
                let i = index[&c.id.0];
                assert!(i != me, "a lookup never queries its own node");
                assert!(!in_flight.contains(&i), "{i} queried twice");
                in_flight.push(i);
                asked += 1;
            }
            assert!(in_flight.len() <= subject::ALPHA, "at most α = 3 queries in flight, found {}", in_flight.len());
            if in_flight.is_empty() {
                break;
            }
            let i = in_flight.swap_remove(r.random_range(0..in_flight.len()));
            if dead.contains(&i) {
                lookup.on_failure(&sid(ids[i]));
            } else {
                let mut nodes: Vec<subject::Contact> =
                    tables[i].closest(&target, K).iter().map(|c| contact(index[&c.id.0])).collect();
                if r.random_bool(0.3) {
                    let ghost = *dead.iter().nth(r.random_range(0..dead.len())).unwrap();
                    nodes.push(contact(ghost));
                }
                lookup.on_response(&sid(ids[i]), &nodes);
                let (first, fewest) = (first_depth[&i] + 1, min_depth[&i] + 1);
                for c in nodes.iter().map(|c| index[&c.id.0]).filter(|&j| j != me) {
                    first_depth.entry(c).or_insert(first);
                    let d = min_depth.entry(c).or_insert(fewest);
                    *d = (*d).min(fewest);
                }
            }
            steps += 1;
            assert!(steps < 500, "the lookup does not end");
            if lookup.is_done() {
                break;
            }
        }
        assert!(
            lookup.is_done(),
            "lookup {round}: nothing is in flight and next_queries() asks nobody more, yet is_done() is false: a \
             query that failed or was answered frees its place among the α in flight, and a failed node is \
             skipped, not counted among the k closest"
        );
        let mut live: Vec<usize> = (0..n).filter(|i| !dead.contains(i) && *i != me).collect();
        live.sort_by_key(|&i| ids[i].distance(&target));
        let want: Vec<[u8; 20]> = live[..K].iter().map(|&i| ids[i].0).collect();
        let got: Vec<[u8; 20]> = lookup.closest().iter().map(|c| c.id.0).collect();
        assert_eq!(
            got.len(),
            K,
            "lookup {round} of {target}: 8 nodes that answered (is_done() holds only once the k closest live \
             candidates have all answered)"
        );
        assert!(
            got.windows(2)
                .all(|w| sid(reference::Id(w[0])).distance(&sid(target))
                    < sid(reference::Id(w[1])).distance(&sid(target))),
            "closest first, no repeats"
        );
        assert!(got.iter().all(|id| !dead.contains(&index[id])), "lookup {round}: only nodes that answered");
        assert_eq!(
            lookup.queries(),
            asked,
            "lookup {round}: queries() says {} but next_queries() handed out {asked} nodes to ask: every node it \
             returns is one query sent, so count each",
            lookup.queries()
        );
        let hops = |depth: &BTreeMap<usize, u32>| got.iter().map(|id| depth[&index[id]]).max().unwrap_or(0);
        let (fewest, first) = (hops(&min_depth), hops(&first_depth));
        assert!(
            (fewest..=first).contains(&lookup.rounds()),
            "lookup {round}: rounds() is {} but the 8 closest were reached in {fewest} to {first} hops: a seed is \
             depth 1, and a node first named in the answer of a node at depth d is depth d + 1 (on_response passes \
             the responder's depth + 1 to add)",
            lookup.rounds()
        );
        exact += usize::from(got == want);
    }
    // A lookup can miss a node that no queried node happens to know; in a settled
    // network that is rare.
    assert!(exact >= 38, "only {exact} of 40 lookups found the true 8 closest live nodes");
    // The three closest seeds are dead: their failures must make room for the next three.
    let target = rid(&mut r);
    let seeds: Vec<subject::Contact> = (0..K).map(contact).collect();
    let mut lookup = subject::Lookup::new(sid(target), sid(ids[K]), &seeds);
    let first = lookup.next_queries();
    assert_eq!(first.len(), subject::ALPHA, "a lookup with 8 seeds starts with α = 3 queries");
    for c in &first {
        lookup.on_failure(&c.id);
    }
    assert_eq!(
        lookup.next_queries().len(),
        subject::ALPHA,
        "after its first 3 queries failed, next_queries() asks 3 more: a query that failed frees its place \
         among the α in flight"
    );
}

// ---------------------------------------------------------------------------------
// Steps 6 to 10: one node, driven by hand.

/// One of your nodes, driven by the test through the kit's runtime: the test hands it
/// messages and lets time pass, and its timers fire when they are due.
type One = Runtime<subject::DhtNode>;

fn krpc(body: reference::Body, t: &[u8]) -> subject::Msg {
    subject::Msg::Krpc(reference::Message { t: t.to_vec(), body, read_only: false }.encode())
}

/// A query from a read-only node (BEP 43).
fn krpc_ro(body: reference::Body, t: &[u8]) -> subject::Msg {
    subject::Msg::Krpc(reference::Message { t: t.to_vec(), body, read_only: true }.encode())
}

/// What the node sent since the last look, decoded by the reference.
fn sent(node: &mut One) -> Vec<(NodeId, reference::Message)> {
    std::iter::from_fn(|| node.poll_transmit())
        .filter_map(|(to, m)| match m {
            subject::Msg::Krpc(bytes) => Some((
                to,
                reference::Message::decode(&bytes)
                    .unwrap_or_else(|e| panic!("the node sent a message the reference cannot read: {e}")),
            )),
            _ => None,
        })
        .collect()
}

/// The one reply (a response or an error, not a query of its own) to `to` with `t`.
fn reply_in(messages: &[(NodeId, reference::Message)], to: &NodeId, t: &[u8]) -> reference::Body {
    let replies: Vec<_> = messages
        .iter()
        .filter(|(dest, m)| dest == to && m.t == t && !matches!(m.body, reference::Body::Query(_)))
        .collect();
    assert_eq!(replies.len(), 1, "exactly one reply to {to} with t = {t:?}, got {replies:?}");
    replies[0].1.body.clone()
}

fn the_reply(node: &mut One, to: &NodeId, t: &[u8]) -> reference::Body {
    reply_in(&sent(node), to, t)
}

/// The queries among `messages`.
fn queries_in(messages: &[(NodeId, reference::Message)]) -> Vec<(NodeId, reference::Message)> {
    messages.iter().filter(|(_, m)| matches!(m.body, reference::Body::Query(_))).cloned().collect()
}

/// The pings among `messages`, to `to`.
fn pings_to(messages: &[(NodeId, reference::Message)], to: &NodeId) -> Vec<reference::Message> {
    messages
        .iter()
        .filter(|(dest, m)| dest == to && matches!(m.body, reference::Body::Query(reference::Query::Ping { .. })))
        .map(|(_, m)| m.clone())
        .collect()
}

/// Hands the node `message` from `from`, at the time it has reached.
fn deliver(node: &mut One, from: NodeId, message: subject::Msg) {
    let now = node.context().now();
    node.handle_message(now, from, message);
}

/// `from` answers the query `query` (which it received) as the node with `id`.
fn answer(node: &mut One, from: &NodeId, query: &reference::Message, id: reference::Id) {
    let reply = reference::Message {
        t: query.t.clone(),
        body: reference::Body::Response(reference::Response::id(id)),
        read_only: false,
    };
    deliver(node, from.clone(), subject::Msg::Krpc(reply.encode()));
}

/// Lets `after` pass as a real driver would: every timer due by then fires at its
/// time, earliest first (one set by another fires too if it comes due in time), and
/// the node's clock then shows the end. Returns how many fired.
fn fire_timers(node: &mut One, after: Duration) -> usize {
    let end = node.context().now() + after;
    let mut fired = 0;
    while let Some(due) = node.poll_timeout().filter(|due| *due <= end) {
        fired += node.handle_timeout(due);
        assert!(
            fired < 100_000,
            "100,000 of your node's timers fired within {after:?}: a timer that sets itself again with no delay \
             never lets time pass"
        );
    }
    // The node's clock moves to `end` even when nothing was due.
    node.callback(end, |_, _| ());
    fired
}

fn ping(id: reference::Id) -> reference::Body {
    reference::Body::Query(reference::Query::Ping { id })
}

/// Your node `n1` with no bootstrap nodes, started at time 0, and its id.
fn one_node(seed: u64) -> (One, reference::Id) {
    let own = rid(&mut rng(seed));
    let mut node = started(subject::DhtNode::new(sid(own), Vec::new()), seed);
    sent(&mut node);
    (node, own)
}

/// `node` as `n1` in a runtime seeded `seed`, started at time 0.
fn started(node: subject::DhtNode, seed: u64) -> One {
    let mut node = Runtime::new(node, NodeId::node(1), Vec::new(), seed);
    node.start(Duration::ZERO);
    node
}

/// One node answers ping, find_node, get_peers and announce_peer, with tokens
///
/// One node answers ping, find_node, get_peers (with a token) and announce_peer (only
/// with a valid token from the same address), and answers garbage with an error
#[test]
fn step_6_answers_queries() {
    use reference::{Body, Query};
    let (mut node, own) = one_node(7);
    let mut r = rng(8);
    let others: Vec<reference::Id> = (0..30).map(|_| rid(&mut r)).collect();
    for (i, id) in others.iter().enumerate() {
        let from = NodeId::node(10 + i);
        deliver(&mut node, from.clone(), krpc(ping(*id), b"p"));
        match the_reply(&mut node, &from, b"p") {
            Body::Response(resp) => assert_eq!(resp.id, own, "a ping is answered with the node's own id"),
            other => panic!("a ping must get a response, got {other:?}"),
        }
    }
    let asker = NodeId::node(10);
    let target = rid(&mut r);
    deliver(&mut node, asker.clone(), krpc(Body::Query(Query::FindNode { id: others[0], target }), b"f"));
    match the_reply(&mut node, &asker, b"f") {
        Body::Response(resp) => {
            let got: Vec<_> =
                resp.nodes.expect("find_node answers with nodes").iter().map(|c| (c.id.0, c.addr)).collect();
            let want: Vec<_> = node.node().table().closest(&sid(target), K).iter().map(|c| (c.id.0, c.addr)).collect();
            assert_eq!(got, want, "find_node returns the 8 closest contacts its table holds, with their addresses");
        }
        other => panic!("find_node must get a response, got {other:?}"),
    }
    // get_peers gives a token; announce_peer with it stores the peer.
    let info_hash = rid(&mut r);
    let get_peers = |id| Body::Query(Query::GetPeers { id, info_hash });
    deliver(&mut node, asker.clone(), krpc(get_peers(others[0]), b"g1"));
    let token = match the_reply(&mut node, &asker, b"g1") {
        Body::Response(resp) => {
            assert!(resp.values.is_none(), "no peers stored yet, so no values");
            assert!(resp.nodes.is_some(), "get_peers answers with nodes");
            resp.token.expect("get_peers answers with a token")
        }
        other => panic!("get_peers must get a response, got {other:?}"),
    };
    let announce = |id, token: &[u8]| {
        Body::Query(Query::AnnouncePeer { id, info_hash, port: 7000, token: token.to_vec(), implied_port: false })
    };
    deliver(&mut node, asker.clone(), krpc(announce(others[0], b"forged"), b"a0"));
    match the_reply(&mut node, &asker, b"a0") {
        Body::Error { code: 203, .. } => {}
        other => panic!("announce_peer with a made-up token must get error 203, got {other:?}"),
    }
    let thief = NodeId::node(11);
    deliver(&mut node, thief.clone(), krpc(announce(others[1], &token), b"a1"));
    match the_reply(&mut node, &thief, b"a1") {
        Body::Error { code: 203, .. } => {}
        other => panic!("a token given to one address must not work from another (error 203), got {other:?}"),
    }
    deliver(&mut node, asker.clone(), krpc(announce(others[0], &token), b"a2"));
    match the_reply(&mut node, &asker, b"a2") {
        Body::Response(resp) => assert_eq!(resp.id, own),
        other => panic!("announce_peer with a valid token must succeed, got {other:?}"),
    }
    let other = NodeId::node(12);
    deliver(&mut node, other.clone(), krpc(get_peers(others[2]), b"g2"));
    match the_reply(&mut node, &other, b"g2") {
        Body::Response(resp) => {
            let peer = SocketAddrV4::new(*reference::node::addr_of(&asker).ip(), 7000);
            assert_eq!(
                resp.values,
                Some(vec![peer]),
                "get_peers returns the announced peer: the announcer's IP and the port it gave"
            );
        }
        other => panic!("get_peers must get a response, got {other:?}"),
    }
    // implied_port = 1 (BEP 5): the peer's port is the one the query came from, not `port`.
    let implied_hash = rid(&mut rng(9));
    let implied = Body::Query(Query::AnnouncePeer {
        id: others[0],
        info_hash: implied_hash,
        port: 7000,
        token: token.clone(),
        implied_port: true,
    });
    deliver(&mut node, asker.clone(), krpc(implied, b"a3"));
    match the_reply(&mut node, &asker, b"a3") {
        Body::Response(_) => {}
        other => panic!("announce_peer with implied_port = 1 and a valid token must succeed, got {other:?}"),
    }
    let from = reference::node::addr_of(&asker);
    assert_eq!(
        node.node().stored_peers(&sid(implied_hash)),
        [from],
        "announce_peer with implied_port = 1 stores the port the query came from ({}), not the port it names (7000)",
        from.port()
    );
    // Garbage and unknown methods get errors, not a panic.
    let stranger = NodeId::node(99);
    for (bytes, code) in [
        (b"not bencode at all".to_vec(), 203),
        (b"d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:zz1:y1:qe".to_vec(), 204),
        (b"d1:ade1:q4:ping1:t2:zz1:y1:qe".to_vec(), 203),
    ] {
        deliver(&mut node, stranger.clone(), subject::Msg::Krpc(bytes.clone()));
        let replies = sent(&mut node);
        match replies.as_slice() {
            [(to, reference::Message { body: Body::Error { code: c, .. }, .. })] if *to == stranger && *c == code => {}
            other => panic!("{:?} must get one error {code} reply, got {other:?}", String::from_utf8_lossy(&bytes)),
        }
    }
    assert!(
        !node.node().table().contains(&subject::Id(*b"abcdefghij0123456789")),
        "a malformed query does not add its sender"
    );
}

/// Transaction ids: 4 bytes on each query the node sends; replies echo the querier's
///
/// Transaction ids: every query the node sends carries a 4-byte `t` (BEP 5 leaves the
/// length to the querier; mainline answers nothing else), distinct among the queries
/// in flight; a reply echoes whatever `t` the querier chose, of any length
#[test]
fn step_7_transaction_ids() {
    use reference::Body;
    let own = rid(&mut rng(30));
    let bootstrap: Vec<NodeId> = (2..6).map(NodeId::node).collect();
    let mut node = started(subject::DhtNode::new(sid(own), bootstrap.clone()), 30);
    // The bootstrap queries, then (unanswered, once their timeouts fire) the retries.
    let mut rounds = Vec::new();
    for _ in 0..4 {
        let queries = queries_in(&sent(&mut node));
        if !queries.is_empty() {
            rounds.push(queries);
        }
        if rounds.len() == 2 {
            break;
        }
        fire_timers(&mut node, 10 * SEC);
    }
    assert_eq!(rounds.len(), 2, "the node queries its bootstrap nodes on start, and again after they did not answer");
    for (round, queries) in rounds.iter().enumerate() {
        let to: BTreeSet<&NodeId> = queries.iter().map(|(to, _)| to).collect();
        assert_eq!(to, bootstrap.iter().collect(), "round {round}: one query to each bootstrap node");
        let mut ids = BTreeSet::new();
        for (to, query) in queries {
            kit::figure("transaction id length (bytes)", query.t.len());
            assert_eq!(
                query.t.len(),
                4,
                "the query to {to} has t = {:?}: mainline answers only 4-byte transaction ids",
                query.t
            );
            assert!(ids.insert(query.t.clone()), "round {round}: two queries in flight share t = {:?}", query.t);
        }
    }
    // Replies echo the querier's t, whatever its length.
    let asker = NodeId::node(20);
    let id = rid(&mut rng(31));
    for t in [&b""[..], b"x", b"aa", &[0, 0, 0, 1], b"an eleven b", &[0xff; 20]] {
        deliver(&mut node, asker.clone(), krpc(ping(id), t));
        match the_reply(&mut node, &asker, t) {
            Body::Response(resp) => assert_eq!(resp.id, own),
            other => panic!("a ping with t = {t:?} must get a response with the same t, got {other:?}"),
        }
    }
    // A response whose t the node never sent is no answer to anything.
    let stray_id = rid(&mut rng(32));
    let stray = reference::Message {
        t: b"zzzz".to_vec(),
        body: Body::Response(reference::Response::id(stray_id)),
        read_only: false,
    };
    deliver(&mut node, NodeId::node(21), subject::Msg::Krpc(stray.encode()));
    assert!(sent(&mut node).is_empty(), "a response nobody asked for is ignored: nothing is sent back");
    assert!(!node.node().table().contains(&sid(stray_id)), "a response nobody asked for does not add its sender");
}

/// Only nodes that answered enter the table: a querier is pinged first
///
/// Good nodes only (BEP 5: a good node has answered one of our queries): a stranger's
/// query gets one ping back, and the stranger enters the table only if it answers under
/// the id it claimed; at most MAX_VERIFYING such pings are in flight
#[test]
fn step_8_good_nodes_only() {
    use reference::{Body, Query};
    let (mut node, own) = one_node(40);
    let own_s = sid(own);
    // 24 strangers, two per bucket from 159 down, so no bucket fills up.
    let strangers: Vec<(NodeId, reference::Id)> =
        (0..24).map(|i| (NodeId::node(100 + i), ref_id(in_bucket(own_s, 159 - i / 2, 1 + (i % 2) as u8)))).collect();
    let mut verifications = Vec::new();
    for (from, id) in &strangers {
        deliver(&mut node, from.clone(), krpc(ping(*id), b"p"));
        let messages = sent(&mut node);
        assert!(matches!(reply_in(&messages, from, b"p"), Body::Response(_)), "a stranger's ping is answered");
        let pings = pings_to(&messages, from);
        assert_eq!(
            pings.len(),
            1,
            "a stranger that queried gets one ping back, to see whether it answers; sent {messages:?}"
        );
        assert!(
            !node.node().table().contains(&sid(*id)),
            "a querier is not good just for asking: it enters the table only once it has answered"
        );
        verifications.push(pings[0].clone());
    }
    // Asking again while the ping is out: no second ping.
    let (first, first_id) = &strangers[0];
    deliver(&mut node, first.clone(), krpc(Body::Query(Query::FindNode { id: *first_id, target: own }), b"f"));
    let messages = sent(&mut node);
    reply_in(&messages, first, b"f");
    assert!(pings_to(&messages, first).is_empty(), "one ping per stranger: it is still out");
    // 16 answer under the id they claimed, 4 under another id, 4 not at all.
    let mut r = rng(41);
    let mut good = reference::RoutingTable::new(own);
    for (i, ((from, id), ping)) in strangers.iter().zip(&verifications).enumerate() {
        if i < 16 {
            answer(&mut node, from, ping, *id);
            good.insert(reference::Contact { id: *id, addr: reference::node::addr_of(from) });
        } else if i < 20 {
            answer(&mut node, from, ping, rid(&mut r));
        }
    }
    fire_timers(&mut node, 5 * SEC);
    sent(&mut node);
    for (i, (from, id)) in strangers.iter().enumerate() {
        let admitted = node.node().table().contains(&sid(*id));
        match i {
            0..16 => {
                assert!(admitted, "{from} answered the ping under the id it claimed: it is good and enters the table")
            }
            16..20 => assert!(!admitted, "{from} answered under another id than the one it queried with: it stays out"),
            _ => assert!(!admitted, "{from} never answered the ping: it stays out"),
        }
    }
    assert_eq!(node.node().table().len(), 16, "the table holds exactly the nodes that answered");
    // A good node that queries again is not pinged, and find_node now names good nodes.
    let (known, known_id) = &strangers[3];
    let target = rid(&mut r);
    deliver(&mut node, known.clone(), krpc(Body::Query(Query::FindNode { id: *known_id, target }), b"k"));
    let messages = sent(&mut node);
    assert!(pings_to(&messages, known).is_empty(), "a node in the table that queries again is not pinged");
    match reply_in(&messages, known, b"k") {
        Body::Response(resp) => {
            let got: Vec<_> = resp.nodes.unwrap_or_default().iter().map(|c| (c.id, c.addr)).collect();
            let want: Vec<_> = good.closest(&target, K).iter().map(|c| (c.id, c.addr)).collect();
            assert_eq!(got, want, "find_node answers with the 8 closest of the nodes that answered");
        }
        other => panic!("find_node must get a response, got {other:?}"),
    }
    // A crowd of strangers: the pings in flight stay bounded, and free up when answered or timed out.
    let crowd: Vec<(NodeId, reference::Id)> = (0..100).map(|i| (NodeId::node(200 + i), rid(&mut r))).collect();
    let mut out = 0;
    for (from, id) in &crowd {
        deliver(&mut node, from.clone(), krpc(ping(*id), b"c"));
        out += pings_to(&sent(&mut node), from).len();
    }
    kit::figure("verification pings for 100 strangers at once", out);
    assert!(out >= 1, "strangers are pinged");
    assert!(
        out <= reference::node::MAX_VERIFYING,
        "{out} pings in flight to strangers; at most MAX_VERIFYING = {}",
        reference::node::MAX_VERIFYING
    );
    fire_timers(&mut node, 5 * SEC);
    sent(&mut node);
    let (late, late_id) = (NodeId::node(400), rid(&mut r));
    deliver(&mut node, late.clone(), krpc(ping(late_id), b"l"));
    assert_eq!(
        pings_to(&sent(&mut node), &late).len(),
        1,
        "once the earlier pings timed out, a new stranger is pinged again"
    );
}

/// Read-only nodes (BEP 43, `ro=1`) are answered but never pinged or added
///
/// Read-only nodes (BEP 43): `ro=1` in a query's top-level dictionary, encoded and
/// decoded; such a node is answered, but never pinged and never added to the table
#[test]
fn step_9_read_only_nodes() {
    use reference::{Body, Query};
    // On the wire (bittorrent.org/beps/bep_0043.html): BEP 5's ping with ro = 1.
    let ro_ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe";
    let message = subject::Message {
        t: b"aa".to_vec(),
        body: subject::Body::Query(subject::Query::Ping { id: text_id("abcdefghij0123456789") }),
        read_only: true,
    };
    assert_eq!(
        String::from_utf8_lossy(&message.encode()),
        ro_ping,
        "a read-only query carries ro = 1 at the top level"
    );
    assert_eq!(
        subject::Message::decode(ro_ping.as_bytes()),
        Ok(message.clone()),
        "decoding {ro_ping}: ro = 1 at the top level means the sender is read-only"
    );
    let plain = subject::Message::decode(BEP5[0].as_bytes()).expect("BEP 5's ping");
    assert!(!plain.read_only, "no ro key: not read-only");
    let zero = subject::Message::decode(b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi0e1:t2:aa1:y1:qe")
        .expect("a ping with ro = 0");
    assert!(!zero.read_only, "ro = 0 (mainline sends it on every message): not read-only");

    let (mut node, own) = one_node(50);
    let own_s = sid(own);
    let target = rid(&mut rng(51));
    let readers: Vec<(NodeId, reference::Id)> =
        (0..8).map(|i| (NodeId::node(300 + i), ref_id(in_bucket(own_s, 150 - i, 1)))).collect();
    let (control, control_id) = (NodeId::node(310), ref_id(in_bucket(own_s, 150, 2)));
    for (from, id) in &readers {
        for (t, body) in [
            (&b"p"[..], ping(*id)),
            (b"f", Body::Query(Query::FindNode { id: *id, target })),
            (b"g", Body::Query(Query::GetPeers { id: *id, info_hash: target })),
        ] {
            deliver(&mut node, from.clone(), krpc_ro(body, t));
            let messages = sent(&mut node);
            assert!(
                matches!(reply_in(&messages, from, t), Body::Response(_)),
                "a read-only node's queries are answered like any other"
            );
            assert!(
                queries_in(&messages).is_empty(),
                "a read-only node answers no queries, so none is sent to it; sent {messages:?}"
            );
        }
    }
    // A node that is not read-only, asking the same, is pinged: ro is what differs.
    deliver(&mut node, control.clone(), krpc(ping(control_id), b"p"));
    let messages = sent(&mut node);
    let pings = pings_to(&messages, &control);
    assert_eq!(pings.len(), 1, "a stranger without ro = 1 is pinged");
    assert!(!pings[0].read_only, "the node is not read-only itself: its queries carry no ro = 1");
    answer(&mut node, &control, &pings[0], control_id);
    fire_timers(&mut node, 5 * SEC);
    for (from, id) in &readers {
        assert!(!node.node().table().contains(&sid(*id)), "{from} is read-only (ro = 1): it never enters the table");
    }
    assert!(node.node().table().contains(&sid(control_id)), "the node that answered its ping is in the table");
}

/// Ping before evict: a full bucket keeps a live old contact, replaces a dead one
///
/// Ping before evict: when a node that answered finds its bucket full, the least
/// recently seen contact is pinged; if that answers, it stays and the newcomer is
/// dropped; if the ping times out, the newcomer takes its place
#[test]
fn step_10_ping_before_evict() {
    use reference::{Body, Query};
    for old_answers in [true, false] {
        let own = sid(rid(&mut rng(9)));
        let ids: Vec<subject::Id> = (0..9u8).map(|i| in_bucket(own, 120, i + 1)).collect();
        // The ninth is the node's bootstrap node: it answers only once the bucket is full.
        let late = NodeId::node(28);
        let mut node = started(subject::DhtNode::new(own, vec![late.clone()]), 9);
        let started = queries_in(&sent(&mut node));
        assert_eq!(started.len(), 1, "the node queries its one bootstrap node on start; sent {started:?}");
        let (_, bootstrap_query) = started[0].clone();
        // Eight strangers ping it, answer its ping back, and fill bucket 120.
        for (i, id) in ids[..8].iter().enumerate() {
            let from = NodeId::node(20 + i);
            deliver(&mut node, from.clone(), krpc(ping(ref_id(*id)), b"p"));
            let got = sent(&mut node);
            reply_in(&got, &from, b"p");
            let verify = pings_to(&got, &from);
            assert_eq!(verify.len(), 1, "a stranger whose bucket has room is pinged before it may enter the table");
            answer(&mut node, &from, &verify[0], ref_id(*id));
            sent(&mut node);
            assert!(node.node().table().contains(id), "contact {i} answered and its bucket has room: it is in");
        }
        // A ninth stranger asks: its bucket is full of good nodes, so it is not even pinged.
        let asker = NodeId::node(40);
        deliver(&mut node, asker.clone(), krpc(ping(ref_id(in_bucket(own, 120, 100))), b"p"));
        assert!(
            pings_to(&sent(&mut node), &asker).is_empty(),
            "a full bucket takes no stranger: no ping to one that only asked"
        );
        // The bootstrap node answers: a good node for the full bucket. The oldest is pinged.
        answer(&mut node, &late, &bootstrap_query, ref_id(ids[8]));
        let messages = sent(&mut node);
        let pings: Vec<_> =
            messages.iter().filter(|(_, m)| matches!(m.body, Body::Query(Query::Ping { .. }))).collect();
        assert_eq!(
            pings.len(),
            1,
            "a full bucket sends one ping, to its least recently seen contact; sent {messages:?}"
        );
        let (to, ping) = pings[0];
        assert_eq!(*to, NodeId::node(20), "the least recently seen contact is the first one");
        assert!(!node.node().table().contains(&ids[8]), "the newcomer waits for the ping's outcome");
        if old_answers {
            answer(&mut node, to, ping, ref_id(ids[0]));
            assert!(node.node().table().contains(&ids[0]), "the old contact answered: it stays");
            assert!(!node.node().table().contains(&ids[8]), "the old contact answered: the newcomer is dropped");
            assert_eq!(
                node.node().table().bucket(120).back().map(|c| c.id),
                Some(ids[0]),
                "and the old contact is now the most recently seen"
            );
        } else {
            // The old contact stays silent; every other query the node has out (its
            // bootstrap lookup asks the contacts too) is answered, until none is left.
            // Then QUERY_TIMEOUT passes: of the queries out, only the ping times out.
            let contacts: Vec<NodeId> = (20..29).map(NodeId::node).collect();
            let mut out = queries_in(&messages);
            while !out.is_empty() {
                for (from, query) in out.iter().filter(|(from, _)| from != to) {
                    let i = contacts
                        .iter()
                        .position(|c| c == from)
                        .unwrap_or_else(|| panic!("the node queried {from}, which is none of its contacts: {query:?}"));
                    answer(&mut node, from, query, ref_id(ids[i]));
                }
                out = queries_in(&sent(&mut node));
            }
            fire_timers(&mut node, subject::node::QUERY_TIMEOUT);
            assert!(
                !node.node().table().contains(&ids[0]),
                "the old contact did not answer its ping within QUERY_TIMEOUT: it is evicted (the ping's \
                 Timer::Timeout, set when it was sent, says so)"
            );
            assert!(
                node.node().table().contains(&ids[8]),
                "the old contact did not answer: the newcomer takes its place"
            );
        }
        assert_eq!(node.node().table().bucket(120).len(), 8);
    }
}

// ---------------------------------------------------------------------------------
// Steps 11 to 13: networks in the simulator, half your nodes and half the reference's.

/// The simulator's timers: yours (first) or the reference's (second).
type Mixed = Either<subject::Timer, reference::Timer>;

fn ref_id(id: subject::Id) -> reference::Id {
    reference::Id(id.0)
}

fn msg_to_ref(m: subject::Msg) -> reference::Msg {
    use subject::Msg as S;
    match m {
        S::Krpc(b) => reference::Msg::Krpc(b),
        S::FindClosest { target } => reference::Msg::FindClosest { target: ref_id(target) },
        S::Closest { target, nodes, rounds, queries } => reference::Msg::Closest {
            target: ref_id(target),
            nodes: nodes.into_iter().map(ref_id).collect(),
            rounds,
            queries,
        },
        S::Announce { info_hash, port } => reference::Msg::Announce { info_hash: ref_id(info_hash), port },
        S::Announced { info_hash, stored } => reference::Msg::Announced { info_hash: ref_id(info_hash), stored },
        S::GetPeers { info_hash } => reference::Msg::GetPeers { info_hash: ref_id(info_hash) },
        S::Peers { info_hash, peers } => reference::Msg::Peers { info_hash: ref_id(info_hash), peers },
    }
}

fn msg_from_ref(m: reference::Msg) -> subject::Msg {
    use reference::Msg as R;
    match m {
        R::Krpc(b) => subject::Msg::Krpc(b),
        R::FindClosest { target } => subject::Msg::FindClosest { target: sid(target) },
        R::Closest { target, nodes, rounds, queries } => {
            subject::Msg::Closest { target: sid(target), nodes: nodes.into_iter().map(sid).collect(), rounds, queries }
        }
        R::Announce { info_hash, port } => subject::Msg::Announce { info_hash: sid(info_hash), port },
        R::Announced { info_hash, stored } => subject::Msg::Announced { info_hash: sid(info_hash), stored },
        R::GetPeers { info_hash } => subject::Msg::GetPeers { info_hash: sid(info_hash) },
        R::Peers { info_hash, peers } => subject::Msg::Peers { info_hash: sid(info_hash), peers },
    }
}

fn yours(id: reference::Id, bootstrap: Vec<NodeId>) -> Adapter<subject::DhtNode, reference::Msg, Mixed> {
    Adapter::new(subject::DhtNode::new(sid(id), bootstrap), msg_from_ref, msg_to_ref, Mixed::first, Mixed::First)
}

fn theirs(id: reference::Id, bootstrap: Vec<NodeId>) -> Adapter<reference::DhtNode, reference::Msg, Mixed> {
    Adapter::new(reference::DhtNode::new(id, bootstrap), |m| m, |m| m, Mixed::second, Mixed::Second)
}

struct Network {
    sim: Sim<reference::Msg, Mixed>,
    ids: Vec<reference::Id>,
    alive: Vec<bool>,
    rng: NodeRng,
}

/// `n` nodes joining in waves of 50 through `n0`; even nodes are yours, odd ones the
/// reference's. Links: 20 ms ± 20 ms.
fn network(n: usize, seed: u64) -> Network {
    let config = SimConfig {
        seed,
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(20),
        ..SimConfig::default()
    };
    let mut sim = Sim::new(config);
    sim.set_peer_lists(false);
    let mut r = rng(seed);
    let ids: Vec<reference::Id> = (0..n).map(|_| rid(&mut r)).collect();
    for (i, id) in ids.iter().enumerate() {
        let bootstrap = if i == 0 { vec![] } else { vec![NodeId::node(0)] };
        if i % 2 == 0 {
            sim.add_node(yours(*id, bootstrap));
        } else {
            sim.add_node(theirs(*id, bootstrap));
        }
        if i % 50 == 49 {
            sim.run_for(SEC);
        }
    }
    sim.run_for(10 * SEC);
    Network { sim, ids, alive: vec![true; n], rng: r }
}

struct LookupStats {
    exact: usize,
    total: usize,
    rounds: Vec<u32>,
    queries: Vec<u32>,
}

impl LookupStats {
    /// Prints the figures of these lookups (`what` names the network).
    fn figures(&self, what: &str) {
        let median = |values: &[u32]| {
            let mut sorted = values.to_vec();
            sorted.sort();
            sorted.get(sorted.len() / 2).copied().unwrap_or(0)
        };
        kit::figure(&format!("{what}: lookups exact"), format!("{} of {}", self.exact, self.total));
        kit::figure(&format!("{what}: hops per lookup (median)"), median(&self.rounds));
        kit::figure(&format!("{what}: queries per lookup (median)"), median(&self.queries));
    }
}

/// `count` lookups of random keys, each from a random live node, checked against the
/// true 8 closest live nodes.
fn lookups(net: &mut Network, count: usize) -> LookupStats {
    let live: Vec<usize> = (0..net.ids.len()).filter(|&i| net.alive[i]).collect();
    let mut expected = BTreeMap::new();
    for c in 0..count {
        let target = rid(&mut net.rng);
        let from = live[net.rng.random_range(0..live.len())];
        let mut closest = live.clone();
        closest.sort_by_key(|&i| net.ids[i].distance(&target));
        expected.insert(target, closest[..K].iter().map(|&i| net.ids[i]).collect::<Vec<_>>());
        net.sim.client_send(&NodeId::client(c), &NodeId::node(from), reference::Msg::FindClosest { target });
    }
    net.sim.run_for(30 * SEC);
    let mut stats = LookupStats { exact: 0, total: count, rounds: Vec::new(), queries: Vec::new() };
    for m in net.sim.take_client_messages() {
        if let reference::Msg::Closest { target, nodes, rounds, queries } = m.message {
            if expected.remove(&target).is_some_and(|want| want == nodes) {
                stats.exact += 1;
            }
            stats.rounds.push(rounds);
            stats.queries.push(queries);
        }
    }
    stats
}

/// 1,000 nodes, half yours: 99% of lookups find the true 8 closest
///
/// 1,000 nodes (half yours, half the reference's) join through one bootstrap node;
/// 200 lookups of random keys find the true 8 closest nodes for at least 99% of them
#[test]
fn step_11_network_of_1000() {
    let mut net = network(1000, 10);
    kit::figure("1,000 nodes: messages to join", net.sim.report().server_messages);
    let stats = lookups(&mut net, 200);
    stats.figures("1,000 nodes");
    assert_eq!(stats.rounds.len(), stats.total, "every lookup must be answered (Msg::Closest to the client)");
    assert!(
        stats.exact * 100 >= stats.total * 99,
        "only {} of {} lookups found the true 8 closest nodes (99% needed)",
        stats.exact,
        stats.total
    );
}

/// After 20% of the nodes leave: 95% of lookups still find the true 8 closest
///
/// The same network five minutes after 20% of the nodes leave at once: lookups still
/// find the true 8 closest live nodes for at least 95% of keys
#[test]
fn step_12_churn() {
    let mut net = network(1000, 11);
    let n = net.ids.len();
    for i in 1..n {
        if net.rng.random_bool(0.2) {
            net.sim.crash(&NodeId::node(i));
            net.alive[i] = false;
        }
    }
    // Five minutes for the nodes to notice: each checks its oldest contacts now and then.
    net.sim.run_for(300 * SEC);
    let stats = lookups(&mut net, 200);
    stats.figures("after 20% left");
    assert_eq!(stats.rounds.len(), stats.total, "every lookup must be answered, even when contacts are dead");
    assert!(
        stats.exact * 100 >= stats.total * 95,
        "only {} of {} lookups found the true 8 closest live nodes after 20% left (95% needed)",
        stats.exact,
        stats.total
    );
}

/// Announce and get_peers across a network of 300 nodes
///
/// Announce and get_peers: 20 nodes announce 20 info-hashes; other nodes, yours and
/// the reference's, find each announcer's address and port
#[test]
fn step_13_announce_and_get_peers() {
    let mut net = network(300, 12);
    let n = net.ids.len();
    let mut announced = Vec::new();
    for c in 0..20 {
        let info_hash = rid(&mut net.rng);
        let from = net.rng.random_range(0..n);
        let port = 7000 + c as u16;
        net.sim.client_send(&NodeId::client(c), &NodeId::node(from), reference::Msg::Announce { info_hash, port });
        announced.push((info_hash, SocketAddrV4::new(*reference::node::addr_of(&NodeId::node(from)).ip(), port)));
    }
    net.sim.run_for(20 * SEC);
    let acks = net.sim.take_client_messages();
    let stored: Vec<Option<usize>> = announced
        .iter()
        .map(|(info_hash, _)| {
            acks.iter().find_map(|m| match &m.message {
                reference::Msg::Announced { info_hash: h, stored } if h == info_hash => Some(*stored),
                _ => None,
            })
        })
        .collect();
    let mut found = Vec::new();
    for (c, (info_hash, _)) in announced.iter().enumerate() {
        let from = net.rng.random_range(0..n);
        net.sim.client_send(
            &NodeId::client(100 + c),
            &NodeId::node(from),
            reference::Msg::GetPeers { info_hash: *info_hash },
        );
        net.sim.run_for(20 * SEC);
        let peers = net.sim.take_client_messages().into_iter().find_map(|m| match m.message {
            reference::Msg::Peers { info_hash: h, peers } if h == *info_hash => Some(peers),
            _ => None,
        });
        found.push((from, peers));
    }
    let acknowledged: Vec<usize> = stored.iter().flatten().copied().collect();
    kit::figure("announces acknowledged", format!("{} of {}", acknowledged.len(), announced.len()));
    kit::figure(
        "nodes storing each announce (mean)",
        format!("{:.1}", acknowledged.iter().sum::<usize>() as f64 / acknowledged.len().max(1) as f64),
    );
    let hits = announced
        .iter()
        .zip(&found)
        .filter(|((_, peer), (_, peers))| peers.as_ref().is_some_and(|p| p.contains(peer)))
        .count();
    kit::figure("get_peers finding the announcer", format!("{hits} of {}", announced.len()));
    for ((info_hash, _), stored) in announced.iter().zip(&stored) {
        match stored {
            Some(s) if *s >= 1 => {}
            other => panic!(
                "the announce of {info_hash} must be acknowledged (Msg::Announced) with stored ≥ 1, got {other:?}"
            ),
        }
    }
    for ((info_hash, peer), (from, peers)) in announced.iter().zip(&found) {
        match peers {
            Some(peers) if peers.contains(peer) => {}
            other => panic!("get_peers of {info_hash} from n{from} must find {peer}, got {other:?}"),
        }
    }
}
