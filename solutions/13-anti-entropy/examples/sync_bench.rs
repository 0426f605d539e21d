//! How anti-entropy behaves at workshop scale, in the kit's simulator.
//!
//!     cargo run --release -p anti-entropy-solution --example sync_bench
//!
//! 25 peers, each posting 20 entries, sync every 200 ms with one random peer, over
//! 50 ms links, without loss and with 20% loss. Prints how long until every peer has
//! every entry (median, p99, max over entries), and the entries sent compared with
//! the minimum (each entry delivered once to each of the 24 other peers).

use std::time::{Duration, Instant};

use anti_entropy_solution::{Msg, ReplicaNode, Timer};
use kit::{NodeId, Sim, SimConfig};

fn run(label: &str, loss: f64) {
    let config = SimConfig {
        seed: 3,
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        loss,
        trace: false,
    };
    let mut sim: Sim<Msg, Timer> = Sim::new(config);
    let n = 25u8;
    let ids: Vec<NodeId> =
        (0..n).map(|i| sim.add_node(ReplicaNode::new([i + 1; 32], Duration::from_millis(200), 64))).collect();
    let client = NodeId::client(0);
    let started = Instant::now();
    for round in 0..20 {
        for id in &ids {
            sim.client_send(&client, id, Msg::Post { text: format!("{id} #{round}") });
        }
        sim.run_for(Duration::from_millis(100));
    }
    // Track every written entry: "node:seq" keys as the node observes them.
    sim.run_for(Duration::from_secs(30));
    let wall = started.elapsed();
    let mut keys = Vec::new();
    // Latency: for every entry, from its first observation (the post) to the last.
    let mut spreads = Vec::new();
    let mut complete = 0;
    for i in 0..n {
        let author = append_log_solution::Writer::new([i + 1; 32]).author();
        for seq in 1..=20u64 {
            let key = format!("{}:{seq}", author[..4].iter().map(|b| format!("{b:02x}")).collect::<String>());
            let seen = sim.observers(&key);
            if seen.is_empty() {
                continue; // the Post itself was lost: the entry was never written
            }
            keys.push(key);
            if seen.len() == n as usize {
                complete += 1;
                let first = seen.iter().map(|(_, t)| *t).min().unwrap();
                let last = seen.iter().map(|(_, t)| *t).max().unwrap();
                spreads.push(last - first);
            }
        }
    }
    let summary = kit::Summary::of(&spreads);
    let mut sent = 0u64;
    sim.take_client_messages();
    let mut answered = std::collections::BTreeSet::new();
    // Reads cross the lossy network too: ask again until every peer has answered.
    while answered.len() < ids.len() {
        for id in ids.iter().filter(|id| !answered.contains(*id)) {
            sim.client_send(&client, id, Msg::Read);
        }
        sim.run_for(Duration::from_secs(1));
        for m in sim.take_client_messages() {
            if let Msg::ReadOk { entries_sent, .. } = m.message
                && answered.insert(m.from)
            {
                sent += entries_sent;
            }
        }
    }
    let answered = answered.len();
    let minimum = (keys.len() as u64) * (n as u64 - 1);
    let report = sim.report();
    println!("{label}");
    println!("  {complete} of {} entries reached all {n} peers; spread {summary}", keys.len());
    println!(
        "  entries sent {sent} (from {answered} peers that answered), minimum {minimum}: {:.2}x; {} messages in all",
        sent as f64 / minimum as f64,
        report.server_messages
    );
    println!("  simulated 32 s in {:.0} ms", wall.as_secs_f64() * 1000.0);
}

fn main() {
    run("25 peers, 500 entries, 50 ms links, no loss", 0.0);
    run("the same with 20% loss", 0.2);
}
