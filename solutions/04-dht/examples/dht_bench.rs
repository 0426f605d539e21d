//! Lookups in simulated DHTs of 1,000 and 10,000 nodes: correctness, hops, queries,
//! and how fast the simulator runs them.
//!
//!     cargo run --release -p dht-solution --example dht_bench [NODES...]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dht_solution::{DhtNode, Id, K, Msg, Timer};
use kit::rand::{RngExt, SeedableRng};
use kit::{NodeId, NodeRng, Sim, SimConfig};

const SEC: Duration = Duration::from_secs(1);

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn lookups(sim: &mut Sim<Msg, Timer>, ids: &[Id], alive: &[bool], rng: &mut NodeRng, count: usize) {
    let live: Vec<usize> = (0..ids.len()).filter(|&i| alive[i]).collect();
    let mut expected = BTreeMap::new();
    for c in 0..count {
        let target = Id::random(rng);
        let from = live[rng.random_range(0..live.len())];
        let mut closest = live.clone();
        closest.sort_by_key(|&i| ids[i].distance(&target));
        expected.insert(target, closest[..K].iter().map(|&i| ids[i]).collect::<Vec<_>>());
        sim.client_send(&NodeId::client(c), &NodeId::node(from), Msg::FindClosest { target });
    }
    sim.run_for(30 * SEC);
    let (mut exact, mut rounds, mut queries) = (0, Vec::new(), Vec::new());
    for m in sim.take_client_messages() {
        if let Msg::Closest { target, nodes, rounds: r, queries: q } = m.message {
            exact += usize::from(expected.get(&target) == Some(&nodes));
            rounds.push(r);
            queries.push(q);
        }
    }
    rounds.sort();
    queries.sort();
    let mean_q = queries.iter().map(|&q| q as f64).sum::<f64>() / queries.len() as f64;
    println!(
        "    {count} lookups: {exact} exact ({:.1}%), hops median {} p99 {}, queries per lookup median {} mean {mean_q:.1} p99 {}",
        100.0 * exact as f64 / count as f64,
        percentile(&rounds, 0.5),
        percentile(&rounds, 0.99),
        percentile(&queries, 0.5),
        percentile(&queries, 0.99),
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000] } else { sizes };
    for n in sizes {
        let started = Instant::now();
        let config = SimConfig {
            seed: 1,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(20),
            ..SimConfig::default()
        };
        let mut sim = Sim::new(config);
        sim.set_peer_lists(false);
        let mut rng = NodeRng::seed_from_u64(1);
        let ids: Vec<Id> = (0..n).map(|_| Id::random(&mut rng)).collect();
        for (i, id) in ids.iter().enumerate() {
            let bootstrap = if i == 0 { vec![] } else { vec![NodeId::node(0)] };
            sim.add_node(DhtNode::new(*id, bootstrap));
            if i % 50 == 49 {
                sim.run_for(SEC);
            }
        }
        sim.run_for(10 * SEC);
        let joined = sim.report().server_messages;
        println!("{n} nodes: joined with {joined} messages ({:.0} per node)", joined as f64 / n as f64);
        let mut alive = vec![true; n];
        lookups(&mut sim, &ids, &alive, &mut rng, 500);
        for (i, alive) in alive.iter_mut().enumerate().skip(1) {
            if rng.random_bool(0.2) {
                sim.crash(&NodeId::node(i));
                *alive = false;
            }
        }
        println!("  after 20% of the nodes left, and 5 minutes:");
        sim.run_for(300 * SEC);
        lookups(&mut sim, &ids, &alive, &mut rng, 500);
        let report = sim.report();
        let wall = started.elapsed().as_secs_f64();
        println!(
            "  simulator: {} messages delivered in {wall:.1} s of wall time ({:.2} M messages/s), {:.0} s simulated",
            report.delivered,
            report.delivered as f64 / wall / 1e6,
            sim.now().as_secs_f64()
        );
    }
}
