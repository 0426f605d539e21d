//! The DHT (solutions/04-dht): bencode, KRPC, and a node fed KRPC datagrams.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use dht_solution::bencode::{self, Value};
use dht_solution::krpc::transaction_id;
use dht_solution::{Body, Contact, DhtNode, Id, Message, Msg, Query, Response, Timer};
use kit::{Context, Node, NodeId};

use crate::harness::{MAX_ALLOC, Target};

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "bencode",
            about: "dht bencode::decode; a value that decodes re-encodes to the same bytes",
            seeds: bencode_seeds,
            start: || Box::new(|input| bencode_one(input)),
            max_len: 4096,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "krpc",
            about: "dht Message::decode and transaction_id, then the datagram into a DhtNode waiting for answers",
            seeds: krpc_seeds,
            start: || Box::new(|input| krpc_one(input)),
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn bencode_one(input: &[u8]) -> bool {
    let Ok(value) = bencode::decode(input) else {
        return false;
    };
    assert_eq!(
        bencode::encode(&value),
        input,
        "a decoded value must re-encode to its one canonical encoding"
    );
    true
}

fn dict(pairs: &[(&str, Value)]) -> Value {
    Value::Dict(
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn bencode_seeds() -> Vec<Vec<u8>> {
    let values = [
        Value::Int(0),
        Value::Int(-42),
        Value::Int(i64::MAX),
        Value::Bytes(b"spam".to_vec()),
        Value::List(vec![
            Value::Bytes(b"a".to_vec()),
            Value::Int(1),
            Value::List(vec![]),
        ]),
        dict(&[
            ("cow", Value::Bytes(b"moo".to_vec())),
            ("spam", Value::List(vec![Value::Bytes(b"eggs".to_vec())])),
        ]),
        dict(&[("a", dict(&[("b", dict(&[("c", Value::Int(3))]))]))]),
    ];
    let mut seeds: Vec<Vec<u8>> = values.iter().map(bencode::encode).collect();
    seeds.extend(krpc_seeds());
    seeds
}

fn id(byte: u8) -> Id {
    Id([byte; 20])
}

/// The node under test: `n0`, joining through `n1`. It starts by asking `n1` for the
/// nodes near its own id, so it has a query pending when the input arrives.
fn started_node() -> (DhtNode, Context<Msg, Timer>, Vec<Vec<u8>>) {
    let mut node = DhtNode::new(id(0x11), vec![NodeId::node(1)]);
    let mut ctx = Context::new(NodeId::node(0), vec![NodeId::node(1)], 7);
    node.on_start(&mut ctx);
    let queries = ctx
        .take_sent()
        .into_iter()
        .filter_map(|(_, m)| match m {
            Msg::Krpc(bytes) => Some(bytes),
            _ => None,
        })
        .collect();
    (node, ctx, queries)
}

fn krpc_seeds() -> Vec<Vec<u8>> {
    let t = b"aa\x00\x01".to_vec();
    let addr = |i: u8| SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, i), 6881);
    let contacts: Vec<Contact> = (1..=8)
        .map(|i| Contact {
            id: id(i),
            addr: addr(i),
        })
        .collect();
    let mut messages = vec![
        Message {
            t: t.clone(),
            body: Body::Query(Query::Ping { id: id(1) }),
            read_only: false,
        },
        Message {
            t: t.clone(),
            body: Body::Query(Query::FindNode {
                id: id(1),
                target: id(2),
            }),
            read_only: true,
        },
        Message {
            t: t.clone(),
            body: Body::Query(Query::GetPeers {
                id: id(1),
                info_hash: id(3),
            }),
            read_only: false,
        },
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
        Message {
            t: t.clone(),
            body: Body::Response(Response::id(id(4))),
            read_only: false,
        },
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
            body: Body::Error {
                code: 201,
                message: "A Generic Error Ocurred".into(),
            },
            read_only: false,
        },
    ];
    // Answers to the queries the node under test has pending: same transaction id.
    let (_, _, queries) = started_node();
    for query in queries {
        if let Some(t) = transaction_id(&query) {
            messages.push(Message {
                t,
                body: Body::Response(Response {
                    id: id(1),
                    nodes: Some(contacts.clone()),
                    values: None,
                    token: None,
                }),
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
        let again = Message::decode(&message.encode())
            .expect("a decoded message re-encodes to one that decodes");
        assert_eq!(&again, message, "decode(encode(m)) == m");
    }
    let (mut node, mut ctx, _) = started_node();
    node.on_message(&mut ctx, NodeId::node(1), Msg::Krpc(input.to_vec()));
    for (_, reply) in ctx.take_sent() {
        if let Msg::Krpc(bytes) = reply {
            Message::decode(&bytes).expect("every datagram the node sends decodes");
        }
    }
    decoded.is_ok()
}
