//! How fast the simulator runs, in the setting of Fly.io's Gossip Glomers challenge
//! 3d: 25 nodes, 100 ms latency, 100 broadcasts per second for 20 s, with a naive
//! flooding node (every node forwards every new value to every other node).
//!
//!     cargo run --release -p kit --example sim_bench
//!
//! Prints the protocol's figures (what the challenge judges) and the simulator's
//! own speed: simulated messages per second of wall-clock time.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use kit::{Context, Node, NodeId, Sim, SimConfig};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Msg {
    Broadcast(u64),
    BroadcastOk,
    Gossip(u64),
}

#[derive(Default)]
struct Flood {
    seen: HashSet<u64>,
}

impl Node for Flood {
    type Message = Msg;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        let value = match message {
            Msg::Broadcast(v) => {
                ctx.send(from, Msg::BroadcastOk);
                v
            }
            Msg::Gossip(v) => v,
            Msg::BroadcastOk => return,
        };
        if self.seen.insert(value) {
            ctx.observe(value.to_string());
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, Msg::Gossip(value));
            }
        }
    }
}

fn run(label: &str, config: SimConfig) {
    let mut sim: Sim<Msg, ()> = Sim::new(config);
    let ids: Vec<NodeId> = (0..25).map(|_| sim.add_node(Flood::default())).collect();
    let client = NodeId::client(0);
    let started = Instant::now();
    for v in 0..2000u64 {
        sim.client_send(&client, &ids[v as usize % ids.len()], Msg::Broadcast(v));
        sim.track(v.to_string());
        sim.run_for(Duration::from_millis(10));
    }
    sim.run_for(Duration::from_secs(5));
    let wall = started.elapsed();
    let report = sim.report();
    let events = report.delivered + report.dropped;
    println!("{label}");
    println!("  protocol:  {report}");
    println!(
        "  simulator: {events} messages in {:.0} ms of wall time = {:.2} million messages/s ({:.0} s simulated)",
        wall.as_secs_f64() * 1000.0,
        events as f64 / wall.as_secs_f64() / 1e6,
        sim.now().as_secs_f64()
    );
}

fn main() {
    let base = SimConfig { seed: 1, latency: Duration::from_millis(100), ..SimConfig::default() };
    run("flooding, 25 nodes, 100 ms links, 2000 broadcasts over 20 s", base);
    run("the same with 10 ms jitter and 5% loss", SimConfig { jitter: Duration::from_millis(10), loss: 0.05, ..base });
}
