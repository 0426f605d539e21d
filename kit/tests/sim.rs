//! The simulator's promises: determinism, latency, loss, partitions, crashes, timers,
//! and the figures it reports.

use std::collections::BTreeSet;
use std::time::Duration;

use kit::{Context, Link, Node, NodeId, Sim, SimConfig};
use serde::{Deserialize, Serialize};

const MS: Duration = Duration::from_millis(1);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Msg {
    Broadcast(u64),
    Gossip(u64),
    BroadcastOk,
    Read,
    ReadOk(Vec<u64>),
    Ping(u32),
    Pong(u32),
}

/// Floods every new value to every peer: the simplest broadcast.
#[derive(Default)]
struct Flood {
    seen: BTreeSet<u64>,
}

impl Flood {
    fn learn(&mut self, ctx: &mut Context<Msg, ()>, value: u64) {
        if self.seen.insert(value) {
            ctx.observe(value.to_string());
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, Msg::Gossip(value));
            }
        }
    }
}

impl Node for Flood {
    type Message = Msg;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        match message {
            Msg::Broadcast(v) => {
                self.learn(ctx, v);
                ctx.send(from, Msg::BroadcastOk);
            }
            Msg::Gossip(v) => self.learn(ctx, v),
            Msg::Read => ctx.send(from, Msg::ReadOk(self.seen.iter().copied().collect())),
            Msg::Ping(n) => ctx.send(from, Msg::Pong(n)),
            _ => {}
        }
    }
}

fn flood_network(config: SimConfig, n: usize) -> (Sim<Msg, ()>, Vec<NodeId>) {
    let mut sim = Sim::new(config);
    let ids = (0..n).map(|_| sim.add_node(Flood::default())).collect();
    (sim, ids)
}

fn client() -> NodeId {
    NodeId::client(0)
}

/// What each node answers to a read, after the network settles.
fn reads(sim: &mut Sim<Msg, ()>, ids: &[NodeId]) -> Vec<Vec<u64>> {
    sim.take_client_messages();
    for id in ids {
        sim.client_send(&client(), id, Msg::Read);
    }
    sim.run_for(Duration::from_secs(1));
    let mut answers: Vec<(NodeId, Vec<u64>)> = sim
        .take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::ReadOk(values) => Some((m.from, values)),
            _ => None,
        })
        .collect();
    answers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(answers.len(), ids.len(), "every node answers a read");
    answers.into_iter().map(|(_, v)| v).collect()
}

fn lossy_run(seed: u64) -> Vec<String> {
    let config = SimConfig { seed, latency: 20 * MS, jitter: 15 * MS, loss: 0.2, trace: true };
    let (mut sim, ids) = flood_network(config, 6);
    for v in 0..10 {
        sim.client_send(&client(), &ids[v as usize % ids.len()], Msg::Broadcast(v));
        sim.run_for(7 * MS);
    }
    sim.run_for(Duration::from_secs(1));
    sim.trace().to_vec()
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = lossy_run(42);
    assert!(a.len() > 100, "the run did something: {} events", a.len());
    assert!(a.iter().any(|l| l.contains("dropped (loss)")), "20% loss dropped something");
    assert_eq!(a, lossy_run(42), "same seed, same trace");
    assert_ne!(a, lossy_run(43), "another seed, another trace");
}

#[test]
fn latency_and_jitter_are_respected() {
    let config = SimConfig { latency: 50 * MS, ..SimConfig::default() };
    let (mut sim, ids) = flood_network(config, 2);
    sim.client_send(&client(), &ids[0], Msg::Ping(1));
    sim.run_for(Duration::from_secs(1));
    let replies = sim.take_client_messages();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].at, 100 * MS, "a round trip of two 50 ms hops");

    let config = SimConfig { latency: 50 * MS, jitter: 20 * MS, seed: 7, ..SimConfig::default() };
    let (mut sim, ids) = flood_network(config, 2);
    let mut arrivals = Vec::new();
    for n in 0..500 {
        let sent = sim.now();
        sim.client_send(&client(), &ids[1], Msg::Ping(n));
        sim.run_for(Duration::from_secs(1));
        arrivals.extend(sim.take_client_messages().into_iter().map(|m| m.at - sent));
    }
    assert_eq!(arrivals.len(), 500);
    let (min, max) = (arrivals.iter().min().unwrap(), arrivals.iter().max().unwrap());
    assert!(*min >= 100 * MS && *max <= 140 * MS, "round trips within 2 × (50 + 0..20) ms: {min:?}..{max:?}");
    assert!(*max - *min > 20 * MS, "jitter spreads the delays: {min:?}..{max:?}");

    // A link set apart from the default.
    let (mut sim, ids) = flood_network(SimConfig::default(), 3);
    sim.set_link(&ids[0], &ids[2], Link { latency: 300 * MS, jitter: Duration::ZERO, loss: 0.0 });
    sim.client_send(&client(), &ids[0], Msg::Broadcast(1));
    sim.track("1");
    sim.run_for(Duration::from_secs(1));
    let mut seen = sim.observers("1");
    seen.sort();
    assert_eq!(
        seen,
        vec![(ids[0].clone(), 10 * MS), (ids[1].clone(), 20 * MS), (ids[2].clone(), 30 * MS)],
        "n2 hears it through n1 (10 + 10 + 10 ms) before the slow direct link (10 + 300 ms)"
    );
}

#[test]
fn loss_drops_the_configured_fraction() {
    let config = SimConfig { loss: 0.3, seed: 11, ..SimConfig::default() };
    let (mut sim, ids) = flood_network(config, 2);
    for n in 0..10_000 {
        sim.client_send(&client(), &ids[0], Msg::Ping(n));
    }
    sim.run_for(Duration::from_secs(1));
    let replies = sim.take_client_messages().len() as f64;
    // Each round trip survives two independent 30% coin flips: 0.7² = 49%.
    let survived = replies / 10_000.0;
    assert!((survived - 0.49).abs() < 0.02, "{survived:.3} of round trips survived, expected about 0.49");
    let report = sim.report();
    // Every round trip that did not come back lost exactly one message: the ping,
    // or the pong.
    assert_eq!(report.dropped, 10_000 - replies as u64, "every message is either delivered or counted as dropped");
}

#[test]
fn partitions_drop_traffic_both_ways_until_healed() {
    let (mut sim, ids) = flood_network(SimConfig::default(), 4);
    let (left, right) = (&ids[..2], &ids[2..]);
    sim.partition(&[left, right]);
    sim.client_send(&client(), &ids[0], Msg::Broadcast(1));
    sim.client_send(&client(), &ids[3], Msg::Broadcast(2));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(
        reads(&mut sim, &ids),
        vec![vec![1], vec![1], vec![2], vec![2]],
        "nothing crosses the partition, either way"
    );

    sim.heal();
    sim.client_send(&client(), &ids[1], Msg::Broadcast(3));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(
        reads(&mut sim, &ids),
        vec![vec![1, 3], vec![1, 3], vec![2, 3], vec![2, 3]],
        "after healing, new values reach everyone (old ones stay lost: flooding never retries)"
    );

    // A message already in flight when the partition starts is lost too.
    let config = SimConfig { latency: 100 * MS, ..SimConfig::default() };
    let (mut sim, ids) = flood_network(config, 2);
    sim.client_send(&client(), &ids[0], Msg::Broadcast(9));
    sim.run_for(150 * MS); // n0 has it and sent it to n1; it arrives at 200 ms
    sim.partition(&[&ids[..1]]);
    sim.run_for(100 * MS);
    sim.heal();
    assert_eq!(reads(&mut sim, &ids), vec![vec![9], vec![]], "the gossip in flight was cut off");
}

/// Sets a timer every 100 ms and reports each tick to a client.
struct Ticker;

impl Node for Ticker {
    type Message = Msg;
    type Timer = u32;

    fn on_start(&mut self, ctx: &mut Context<Msg, u32>) {
        ctx.set_timer(100 * MS, 1);
    }

    fn on_message(&mut self, _: &mut Context<Msg, u32>, _: NodeId, _: Msg) {}

    fn on_timer(&mut self, ctx: &mut Context<Msg, u32>, tick: u32) {
        ctx.send(NodeId::client(0), Msg::Pong(tick));
        ctx.set_timer(100 * MS, tick + 1);
    }
}

#[test]
fn timers_fire_on_time_and_crashes_lose_them() {
    let config = SimConfig { latency: Duration::ZERO, ..SimConfig::default() };
    let mut sim: Sim<Msg, u32> = Sim::new(config);
    let n0 = sim.add_node(Ticker);
    sim.run_for(350 * MS);
    let ticks: Vec<Duration> = sim.take_client_messages().iter().map(|m| m.at).collect();
    assert_eq!(ticks, vec![100 * MS, 200 * MS, 300 * MS]);
    assert!(!sim.run_until_idle(Duration::from_secs(1)), "a periodic timer never lets the network go idle");

    sim.crash(&n0);
    sim.take_client_messages();
    sim.client_send(&client(), &n0, Msg::Ping(1));
    assert!(sim.run_until_idle(Duration::from_secs(10)), "a crashed node's timers are gone");
    assert!(sim.take_client_messages().is_empty(), "a crashed node neither ticks nor answers");
    assert!(!sim.is_alive(&n0));

    let restarted_at = sim.now();
    sim.restart(&n0, Ticker);
    sim.run_for(150 * MS);
    let ticks: Vec<(Duration, Msg)> = sim.take_client_messages().into_iter().map(|m| (m.at, m.message)).collect();
    assert_eq!(
        ticks,
        vec![(restarted_at + 100 * MS, Msg::Pong(1))],
        "on_start runs again after a restart, with fresh state"
    );
}

#[test]
fn the_report_counts_messages_per_operation_and_spread_latency() {
    // Flooding on 5 nodes: each value crosses every directed link once, 5 × 4 = 20
    // messages per broadcast; with 100 ms links it reaches the first node after
    // 100 ms and every other node 100 ms later.
    let config = SimConfig { latency: 100 * MS, ..SimConfig::default() };
    let (mut sim, ids) = flood_network(config, 5);
    for v in 0..10 {
        sim.client_send(&client(), &ids[v as usize % 5], Msg::Broadcast(v));
        sim.track(v.to_string());
        sim.run_for(50 * MS);
    }
    sim.run_for(Duration::from_secs(1));
    let report = sim.report();
    assert_eq!(report.client_ops, 10);
    assert_eq!(report.server_messages, 200);
    assert_eq!(report.messages_per_op(), 20.0);
    assert_eq!((report.latency.count, report.latency.median, report.latency.max), (10, 200 * MS, 200 * MS));
    assert_eq!(report.incomplete, 0);
    let text = report.to_string();
    assert!(text.contains("20.0 per op") && text.contains("median 200 ms"), "{text}");

    // A key no node observed is reported as incomplete, not as a latency.
    sim.track("never");
    assert_eq!(sim.report().incomplete, 1);
}
