//! The chat (solutions/16-chat): wire messages as the TCP driver reads them, into a
//! chat node; and chat lines that are properly signed entries of a stranger's log, so
//! that what the line says (its clock, its text) is what gets fuzzed.

use std::time::Duration;

use append_log_solution::{Entry, Writer};
use chat_solution::{ChatNode, Line, Msg};
use identity_solution::Keypair;
use kit::net::Envelope as Wire;
use kit::{NodeId, Runtime};

use crate::harness::{MAX_ALLOC, Target};

/// JSON's structure and edge values (see `json_tokens!`).
const JSON: &[&[u8]] = json_tokens![];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "chat",
            about: "chat: a JSON wire message into a ChatNode (entries re-signed too), then Say, History and a sync round",
            seeds: wire_seeds,
            start: || Box::new(wire_one),
            tokens: JSON,
            max_len: 16384,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "chat-line",
            about: "chat: the input as the payload of a signed entry pushed to a ChatNode, then Say and History",
            seeds: line_seeds,
            start: || Box::new(line_one),
            tokens: JSON,
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
    ]
}

/// The stranger whose entries the inputs carry.
const STRANGER: [u8; 32] = [0x3c; 32];

fn line(text: &str, clock: u64) -> Vec<u8> {
    Line { nick: "mallory".into(), text: text.into(), clock }.to_payload()
}

fn wire(body: Msg) -> Vec<u8> {
    serde_json::to_vec(&Wire { src: NodeId::node(1), dest: NodeId::node(0), body }).expect("a seed serializes")
}

fn wire_seeds() -> Vec<Vec<u8>> {
    let mut writer = Writer::new(STRANGER);
    let entries: Vec<Vec<u8>> = [line("hi", 1), line("there", 2), line("late", 1000)]
        .iter()
        .map(|p| writer.append(p).expect("an entry").to_bytes())
        .collect();
    let author = Keypair::from_secret_bytes(STRANGER).public().to_bytes();
    vec![
        wire(Msg::Entries { entries: entries.clone() }),
        wire(Msg::Entries { entries: vec![entries[1].clone()] }),
        wire(Msg::Have { frontier: vec![(author, 3), ([0; 32], u64::MAX)] }),
        wire(Msg::Say { text: "hello".into() }),
        wire(Msg::History),
    ]
}

/// A fresh node, started, among two peers, on a runtime (what it sends on starting is
/// thrown away).
fn victim() -> Runtime<ChatNode> {
    let node = ChatNode::new([0x11; 32], "victim", Duration::from_millis(500));
    let mut runtime = Runtime::new(node, NodeId::node(0), vec![NodeId::node(1), NodeId::node(2)], 5);
    runtime.start(Duration::ZERO);
    while runtime.poll_transmit().is_some() {}
    runtime
}

/// After the input: the node still writes, answers and syncs (a sync round a second
/// later, when its own sync timer, every 500 ms, has come).
fn afterwards(runtime: &mut Runtime<ChatNode>) {
    let later = runtime.context().now() + Duration::from_secs(1);
    runtime.handle_message(later, NodeId::client(1), Msg::Say { text: "still here".into() });
    runtime.handle_message(later, NodeId::client(1), Msg::History);
    runtime.handle_timeout(later);
    let sent: Vec<_> = std::iter::from_fn(|| runtime.poll_transmit()).collect();
    assert!(
        sent.iter().any(|(_, m)| matches!(m, Msg::HistoryOk { .. })),
        "History is answered after any input: {sent:?}"
    );
}

/// The entries of `message` by the stranger, signed again with its key: a mutated
/// sequence number or payload then passes the signature check.
fn resign(message: &Msg) -> Option<Msg> {
    let Msg::Entries { entries } = message else {
        return None;
    };
    let key = Keypair::from_secret_bytes(STRANGER);
    let entries = entries
        .iter()
        .map(|bytes| match Entry::from_bytes(bytes) {
            Ok(mut e) if e.author == key.public().to_bytes() => {
                e.signature = key.sign(&e.signed_bytes()).to_bytes();
                e.to_bytes()
            }
            _ => bytes.clone(),
        })
        .collect();
    Some(Msg::Entries { entries })
}

fn wire_one(input: &[u8]) -> bool {
    let Ok(message) = serde_json::from_slice::<Wire<Msg>>(input) else {
        return false;
    };
    let mut runtime = victim();
    let resigned = resign(&message.body);
    runtime.handle_message(Duration::ZERO, message.src.clone(), message.body);
    if let Some(body) = resigned {
        runtime.handle_message(Duration::ZERO, NodeId::node(2), body);
    }
    afterwards(&mut runtime);
    true
}

fn line_seeds() -> Vec<Vec<u8>> {
    vec![line("hi", 1), line("a clock far ahead", u64::MAX), line("", 0), b"not a line".to_vec()]
}

fn line_one(input: &[u8]) -> bool {
    let Ok(entry) = Writer::new(STRANGER).append(input) else {
        return false;
    };
    let mut runtime = victim();
    runtime.handle_message(Duration::ZERO, NodeId::node(1), Msg::Entries { entries: vec![entry.to_bytes()] });
    afterwards(&mut runtime);
    Line::from_payload(input).is_some()
}
