//! Secure gossip (solutions/10-secure-gossip): envelopes as the TCP driver reads them
//! (`kit::net::Envelope` JSON), checked and delivered to a node; then the same message
//! with every envelope of the fuzzer's author re-signed, so that sequence numbers and
//! payloads behind the signature reach the replay guard.

use std::time::Duration;

use kit::net::Envelope as Wire;
use kit::{NodeId, Runtime};
use secure_gossip_solution::identity::Keypair;
use secure_gossip_solution::{Envelope, Msg, SecureNode};

use crate::harness::{MAX_ALLOC, Target};

/// JSON's structure and edge values (see `json_tokens!`).
const JSON: &[&[u8]] = json_tokens![];

pub fn targets() -> Vec<Target> {
    vec![Target {
        name: "envelope",
        about: "secure-gossip: a JSON wire message into Envelope::verify and a SecureNode, as sent and re-signed",
        seeds,
        start: || Box::new(one),
        tokens: JSON,
        max_len: 8192,
        max_alloc: MAX_ALLOC,
    }]
}

fn author() -> Keypair {
    Keypair::from_secret_bytes([7; 32])
}

fn wire(body: Msg) -> Vec<u8> {
    serde_json::to_vec(&Wire { src: NodeId::node(1), dest: NodeId::node(0), body }).expect("a seed serializes")
}

fn seeds() -> Vec<Vec<u8>> {
    let key = author();
    let envelopes: Vec<Envelope> =
        (1..=3).map(|seq| Envelope::sign(&key, seq, format!("line {seq}").as_bytes())).collect();
    vec![
        wire(Msg::Gossip { envelopes: envelopes.clone() }),
        wire(Msg::Gossip { envelopes: vec![envelopes[2].clone(), envelopes[0].clone()] }),
        wire(Msg::Gossip { envelopes: vec![Envelope::sign(&key, u64::MAX - 1, b"late")] }),
        wire(Msg::Publish { text: "hello".into() }),
        wire(Msg::Read),
    ]
}

/// Delivers `body` at `now` and throws away what the node sends.
fn deliver(runtime: &mut Runtime<SecureNode>, now: Duration, from: NodeId, body: Msg) {
    runtime.handle_message(now, from, body);
    while runtime.poll_transmit().is_some() {}
}

fn one(input: &[u8]) -> bool {
    let Ok(message) = serde_json::from_slice::<Wire<Msg>>(input) else {
        return false;
    };
    let key = author();
    let node = SecureNode::new(Keypair::from_secret_bytes([9; 32]));
    let mut runtime = Runtime::new(node, NodeId::node(0), vec![NodeId::node(1), NodeId::node(2)], 3);
    runtime.start(Duration::from_secs(10));
    if let Msg::Gossip { envelopes } = &message.body {
        for e in envelopes {
            let _ = e.verify();
            let _ = e.id();
        }
    }
    let resigned = match &message.body {
        Msg::Gossip { envelopes } => Some(Msg::Gossip {
            envelopes: envelopes
                .iter()
                .map(|e| {
                    if e.author == key.public().to_bytes() {
                        Envelope::sign(&key, e.seq, &e.payload)
                    } else {
                        e.clone()
                    }
                })
                .collect(),
        }),
        _ => None,
    };
    deliver(&mut runtime, Duration::from_secs(10), message.src.clone(), message.body);
    if let Some(body) = resigned {
        deliver(&mut runtime, Duration::from_secs(11), NodeId::node(2), body);
    }
    runtime.handle_message(Duration::from_secs(11), NodeId::client(1), Msg::Read);
    let replies: Vec<_> = std::iter::from_fn(|| runtime.poll_transmit()).collect();
    assert!(matches!(replies.last(), Some((_, Msg::ReadOk { .. }))), "a Read is answered: {replies:?}");
    true
}
