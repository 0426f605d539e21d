//! Running a node under Jepsen's Maelstrom.
//!
//! [Maelstrom](https://github.com/jepsen-io/maelstrom) runs each node as a process
//! and talks to it with one JSON message per line on stdin and stdout
//! ([protocol](https://github.com/jepsen-io/maelstrom/blob/main/doc/protocol.md)). Its
//! workloads, such as the `broadcast` workload of Fly.io's Gossip Glomers, then check
//! correctness and measure messages per operation and latency on a simulated network.
//!
//! This adapter lets the same sans-IO [`Node`] run there: it answers Maelstrom's
//! `init` itself (that is where a node learns its id and its peers), then calls
//! `on_start`, and from then on turns each line into an `on_message`. Maelstrom's
//! bookkeeping fields stay out of the node's messages: the adapter numbers outgoing
//! messages (`msg_id`) and marks a reply to a client with the `msg_id` of that
//! client's request (`in_reply_to`); Maelstrom's clients have one request in flight at
//! a time, so the last request is the one being answered. A message type the node does
//! not know gets Maelstrom's error 10 ("not supported"); a line that is not JSON is
//! reported on stderr and skipped.
//!
//! A binary that runs a node under Maelstrom is three lines:
//!
//! ```no_run
//! # struct MyNode;
//! # impl kit::Node for MyNode { type Message = String; type Timer = ();
//! #   fn on_message(&mut self, _: &mut kit::Context<String, ()>, _: kit::NodeId, _: String) {} }
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let stdin = tokio::io::BufReader::new(tokio::io::stdin());
//!     kit::maelstrom::run(MyNode, stdin, tokio::io::stdout(), 0).await
//! }
//! ```
//! and then, with Maelstrom installed:
//! `maelstrom test -w broadcast --bin target/release/my-node --node-count 25 --time-limit 20 --rate 100 --latency 100`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt};

use crate::net::read_line;
use crate::node::{Node, NodeId};
use crate::runtime::{Runtime, sleep_until};

/// Runs `node` on Maelstrom's protocol until `input` ends. `seed` seeds the node's
/// [`Context::rng`](crate::Context::rng).
pub async fn run<N, R, W>(node: N, mut input: R, mut output: W, seed: u64) -> std::io::Result<()>
where
    N: Node,
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let started = tokio::time::Instant::now();
    // The node waits here for `init`, which names it; then it runs on a runtime (its
    // context and its timers: one sleep until the earliest, not a task each).
    let mut waiting = Some(node);
    let mut runtime: Option<Runtime<N>> = None;
    let mut next_id = 0u64;
    // The msg_id of the last request from each client, for `in_reply_to`.
    let mut requests: HashMap<NodeId, u64> = HashMap::new();
    // Not cleared when a timer interrupts a read: reading resumes where it stopped,
    // so a line is never lost half-read.
    let mut line = Vec::new();
    loop {
        tokio::select! {
            read = read_line(&mut input, &mut line) => {
                if !read? {
                    output.flush().await?;
                    return Ok(());
                }
                let parsed = serde_json::from_slice::<Value>(&line);
                line.clear();
                let Ok(envelope) = parsed else {
                    eprintln!("skipping a line that is not JSON");
                    continue;
                };
                let src = NodeId::new(envelope["src"].as_str().unwrap_or_default());
                let me = NodeId::new(envelope["dest"].as_str().unwrap_or_default());
                let body = envelope["body"].clone();
                let msg_id = body["msg_id"].as_u64();
                if body["type"] == "init" {
                    let peers = body["node_ids"]
                        .as_array()
                        .map(|ids| ids.iter().filter_map(Value::as_str).filter(|id| *id != me.as_str()).map(NodeId::new).collect())
                        .unwrap_or_default();
                    let me = NodeId::new(body["node_id"].as_str().unwrap_or(me.as_str()));
                    next_id += 1;
                    write(&mut output, &me, &src, json!({"type": "init_ok", "msg_id": next_id, "in_reply_to": msg_id})).await?;
                    match waiting.take() {
                        Some(node) => {
                            let mut fresh = Runtime::new(node, me, peers, seed);
                            fresh.start(started.elapsed());
                            runtime = Some(fresh);
                        }
                        None => eprintln!("skipping a second init"),
                    }
                } else if let Some(runtime) = runtime.as_mut() {
                    if let (Some(id), true) = (msg_id, src.is_client()) {
                        requests.insert(src.clone(), id);
                    }
                    match serde_json::from_value::<N::Message>(body.clone()) {
                        Ok(message) => runtime.handle_message(started.elapsed(), src, message),
                        Err(e) => {
                            next_id += 1;
                            let error = json!({"type": "error", "code": 10, "text": format!("not supported: {e}"), "msg_id": next_id, "in_reply_to": msg_id});
                            write(&mut output, runtime.me(), &src, error).await?;
                        }
                    }
                } else {
                    eprintln!("skipping a message that came before init: {body}");
                    continue;
                }
            }
            _ = sleep_until(started, runtime.as_ref().and_then(Runtime::poll_timeout)) => {
                if let Some(runtime) = runtime.as_mut() {
                    runtime.handle_timeout(started.elapsed());
                }
            }
        }
        let Some(runtime) = runtime.as_mut() else { continue };
        while runtime.poll_observed().is_some() {}
        while let Some((to, message)) = runtime.poll_transmit() {
            let mut body = match serde_json::to_value(&message) {
                Ok(Value::Object(body)) => body,
                Ok(other) => Map::from_iter([("value".to_string(), other)]),
                Err(e) => {
                    eprintln!("cannot encode a message to {to}: {e}");
                    continue;
                }
            };
            next_id += 1;
            body.insert("msg_id".into(), next_id.into());
            if let Some(id) = requests.remove(&to) {
                body.insert("in_reply_to".into(), id.into());
            }
            write(&mut output, runtime.me(), &to, Value::Object(body)).await?;
        }
        output.flush().await?;
    }
}

async fn write<W: AsyncWrite + Unpin>(output: &mut W, src: &NodeId, dest: &NodeId, body: Value) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(&json!({"src": src, "dest": dest, "body": body}))?;
    line.push(b'\n');
    output.write_all(&line).await
}
