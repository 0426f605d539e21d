//! The Maelstrom adapter, fed a recorded session of Maelstrom's broadcast workload.

use std::collections::BTreeSet;

use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Topology { topology: serde_json::Map<String, Value> },
    TopologyOk,
    Broadcast { message: u64 },
    BroadcastOk,
    Read,
    ReadOk { messages: Vec<u64> },
}

#[derive(Default)]
struct Broadcast {
    seen: BTreeSet<u64>,
    started_as: Option<(NodeId, Vec<NodeId>)>,
}

impl Node for Broadcast {
    type Message = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<Msg, ()>) {
        self.started_as = Some((ctx.me().clone(), ctx.peers().to_vec()));
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        match message {
            Msg::Topology { .. } => ctx.send(from, Msg::TopologyOk),
            Msg::Broadcast { message } => {
                if self.seen.insert(message) && !from.is_client() {
                    return;
                }
                for peer in ctx.peers().to_vec() {
                    ctx.send(peer, Msg::Broadcast { message });
                }
                ctx.send(from, Msg::BroadcastOk);
            }
            Msg::Read => {
                let (me, _) = self.started_as.clone().expect("on_start ran");
                assert_eq!(&me, ctx.me());
                ctx.send(from, Msg::ReadOk { messages: self.seen.iter().copied().collect() });
            }
            _ => {}
        }
    }
}

fn session(lines: &[Value]) -> Vec<Value> {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect::<String>() + "not json at all\n";
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut output = Vec::new();
    runtime
        .block_on(kit::maelstrom::run(Broadcast::default(), input.as_bytes(), &mut output, 0))
        .expect("runs to the end of input");
    String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

#[test]
fn a_recorded_broadcast_session() {
    let out = session(&[
        json!({"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n2", "n3"]}}),
        json!({"src": "c1", "dest": "n1", "body": {"type": "topology", "msg_id": 1, "topology": {"n1": ["n2"], "n2": ["n1", "n3"], "n3": ["n2"]}}}),
        json!({"src": "c2", "dest": "n1", "body": {"type": "broadcast", "msg_id": 7, "message": 42}}),
        json!({"src": "n2", "dest": "n1", "body": {"type": "broadcast", "msg_id": 3, "message": 43}}),
        json!({"src": "c2", "dest": "n1", "body": {"type": "read", "msg_id": 8}}),
        json!({"src": "c3", "dest": "n1", "body": {"type": "cas", "msg_id": 2, "from": 1, "to": 2}}),
    ]);
    let bodies: Vec<(&str, &str, &Value)> =
        out.iter().map(|l| (l["src"].as_str().unwrap(), l["dest"].as_str().unwrap(), &l["body"])).collect();

    assert_eq!(
        (bodies[0].1, bodies[0].2["type"].as_str(), bodies[0].2["in_reply_to"].as_u64()),
        ("c0", Some("init_ok"), Some(1))
    );
    assert_eq!(
        (bodies[1].1, bodies[1].2["type"].as_str(), bodies[1].2["in_reply_to"].as_u64()),
        ("c1", Some("topology_ok"), Some(1))
    );
    // The client's broadcast: forwarded to both peers, acknowledged to the client.
    let forwards: Vec<&str> =
        bodies.iter().filter(|b| b.2["type"] == "broadcast" && b.2["message"] == 42).map(|b| b.1).collect();
    assert_eq!(forwards, ["n2", "n3"], "peers come from init's node_ids, without the node itself");
    let ok = bodies.iter().find(|b| b.2["type"] == "broadcast_ok").expect("a broadcast_ok");
    assert_eq!((ok.0, ok.1, ok.2["in_reply_to"].as_u64()), ("n1", "c2", Some(7)));
    let read = bodies.iter().find(|b| b.2["type"] == "read_ok").expect("a read_ok");
    assert_eq!((read.1, &read.2["messages"], read.2["in_reply_to"].as_u64()), ("c2", &json!([42, 43]), Some(8)));
    // An unknown type gets Maelstrom's error 10; the garbage line after it is skipped.
    let error = bodies.last().unwrap();
    assert_eq!(
        (error.1, error.2["type"].as_str(), error.2["code"].as_u64(), error.2["in_reply_to"].as_u64()),
        ("c3", Some("error"), Some(10), Some(2))
    );
    // Every message the node sends has a fresh msg_id.
    let ids: BTreeSet<u64> = bodies.iter().map(|b| b.2["msg_id"].as_u64().expect("msg_id")).collect();
    assert_eq!(ids.len(), bodies.len());
}
