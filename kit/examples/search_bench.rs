//! How the exhaustive search scales: states, transitions and states per second for
//! two and three flooding nodes with acknowledgements and one retry timer each,
//! two values, one loss allowed.
//!
//! `cargo run --release -p kit --example search_bench`

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::search::{Search, SearchConfig, View};
use kit::{Context, Node, NodeId};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Msg {
    Broadcast(u64),
    BroadcastOk,
    Gossip(u64),
    GossipOk(u64),
}

#[derive(Clone, Debug, Default)]
struct Retry {
    values: BTreeSet<u64>,
    unacked: BTreeMap<NodeId, BTreeSet<u64>>,
}

impl Node for Retry {
    type Message = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<Msg, ()>) {
        ctx.set_timer(Duration::from_millis(100), ());
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        let learn = |node: &mut Retry, ctx: &mut Context<Msg, ()>, v: u64| {
            if node.values.insert(v) {
                for peer in ctx.peers().to_vec() {
                    node.unacked.entry(peer.clone()).or_default().insert(v);
                    ctx.send(peer, Msg::Gossip(v));
                }
            }
        };
        match message {
            Msg::Broadcast(v) => {
                learn(self, ctx, v);
                ctx.send(from, Msg::BroadcastOk);
            }
            Msg::Gossip(v) => {
                learn(self, ctx, v);
                ctx.send(from, Msg::GossipOk(v));
            }
            Msg::GossipOk(v) => {
                self.unacked.entry(from).or_default().remove(&v);
            }
            Msg::BroadcastOk => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, ()>, _: ()) {
        for (peer, values) in &self.unacked {
            for &v in values {
                ctx.send(peer.clone(), Msg::Gossip(v));
            }
        }
        ctx.set_timer(Duration::from_millis(100), ());
    }
}

fn converged(view: &View<'_, Retry, Msg>) -> Result<(), String> {
    let known: BTreeSet<u64> = view.nodes.iter().flat_map(|n| n.values.iter().copied()).collect();
    match view.nodes.iter().position(|n| n.values != known) {
        Some(i) => Err(format!("n{i} lacks a value")),
        None => Ok(()),
    }
}

fn main() {
    println!(
        "{:>5} {:>10} {:>12} {:>6} {:>10} {:>12}",
        "nodes", "states", "transitions", "depth", "seconds", "states/s"
    );
    for n in [2, 3] {
        let config = SearchConfig {
            max_drops: 1,
            max_timer_fires: 2,
            max_depth: 24,
            max_states: 300_000,
            ..SearchConfig::default()
        };
        let mut search = Search::new(vec![Retry::default(); n], config);
        search.client_send(&NodeId::client(0), &NodeId::node(0), Msg::Broadcast(1));
        search.client_send(&NodeId::client(0), &NodeId::node(n - 1), Msg::Broadcast(2));
        let found = search.run(|_| Ok(()), converged);
        let secs = found.elapsed.as_secs_f64();
        println!(
            "{n:>5} {:>10} {:>12} {:>6} {secs:>10.2} {:>12.0}{}{}",
            found.states,
            found.transitions,
            found.depth,
            found.states as f64 / secs.max(1e-9),
            if found.truncated { "  (stopped at the state bound)" } else { "" },
            if found.counterexample.is_some() { "  (found a counterexample!)" } else { "" },
        );
    }
}
