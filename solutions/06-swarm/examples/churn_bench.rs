//! The swarm under churn, over many seeds, in the kit's simulator.
//!
//!     cargo run --release -p swarm-solution --example churn_bench
//!
//! 50 nodes; for 7 s, every 700 ms two random nodes crash and every other round one
//! comes back; then DEAD_AFTER + 4 s to settle. For each of 20 seeds: whether the overlay ended
//! healthy (symmetric, degrees in 4..=8, connected), the degree range, and the messages
//! spent per node per second.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::rand::{RngExt, SeedableRng};
use kit::{NodeId, NodeRng, Sim, SimConfig};
use swarm_solution::{MAX_DEGREE, MIN_DEGREE, Msg, SwarmNode, Timer};

fn run(seed: u64) -> (bool, usize, usize, f64) {
    let mut sim: Sim<Msg, Timer> = Sim::new(SimConfig {
        seed,
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(5),
        ..SimConfig::default()
    });
    let ids: Vec<NodeId> = (0..50).map(|_| sim.add_node(SwarmNode::new())).collect();
    sim.run_for(Duration::from_secs(3));
    let mut rng = NodeRng::seed_from_u64(seed);
    let mut down = Vec::new();
    for round in 0..10 {
        for _ in 0..2 {
            let live: Vec<NodeId> = ids.iter().filter(|id| sim.is_alive(id)).cloned().collect();
            let victim = live[rng.random_range(0..live.len())].clone();
            sim.crash(&victim);
            down.push(victim);
        }
        if round % 2 == 1 {
            let back = down.remove(0);
            sim.restart(&back, SwarmNode::new());
        }
        sim.run_for(Duration::from_millis(700));
    }
    sim.run_for(swarm_solution::DEAD_AFTER + Duration::from_secs(4));
    let live: Vec<NodeId> = ids.iter().filter(|id| sim.is_alive(id)).cloned().collect();
    for id in &live {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(Duration::from_millis(100));
    let graph: BTreeMap<NodeId, Vec<NodeId>> = sim
        .take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::ReadOk { neighbours, .. } => Some((m.from, neighbours)),
            _ => None,
        })
        .collect();
    let symmetric = graph.iter().all(|(n, ns)| ns.iter().all(|o| graph.get(o).is_some_and(|b| b.contains(n))));
    let degrees: Vec<usize> = graph.values().map(Vec::len).collect();
    let (lo, hi) = (*degrees.iter().min().unwrap(), *degrees.iter().max().unwrap());
    let mut seen = BTreeSet::from([live[0].clone()]);
    let mut stack = vec![live[0].clone()];
    while let Some(n) = stack.pop() {
        for o in &graph[&n] {
            if seen.insert(o.clone()) {
                stack.push(o.clone());
            }
        }
    }
    let healthy = symmetric && lo >= MIN_DEGREE && hi <= MAX_DEGREE && seen.len() == graph.len();
    let per_node_per_sec = sim.report().server_messages as f64 / 50.0 / sim.now().as_secs_f64();
    (healthy, lo, hi, per_node_per_sec)
}

fn main() {
    let mut healthy = 0;
    for seed in 1..=20 {
        let (ok, lo, hi, rate) = run(seed);
        healthy += ok as u32;
        println!(
            "seed {seed:>2}: {} degrees {lo}..{hi}, {rate:.1} messages per node per second",
            if ok { "healthy," } else { "BROKEN, " }
        );
    }
    println!("{healthy} of 20 runs ended healthy");
}
