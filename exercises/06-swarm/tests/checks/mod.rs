//! The swarm exercise's checks: two nodes, a simultaneous dial, a small full mesh, then
//! 50 nodes with churn in the kit's simulator.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::rand::{RngExt, SeedableRng};
use kit::{NodeId, NodeRng, Sim, SimConfig};

use crate::subject::{DEAD_AFTER, MAX_DEGREE, MIN_DEGREE, Msg, SwarmNode, Timer};

type Net = Sim<Msg, Timer>;

/// Why a large swarm's degrees are bounded, for the failure messages.
const DEGREES: &str = "dial until MIN_DEGREE neighbours, accept up to MAX_DEGREE and Refuse beyond (an Accept that \
                       arrives when full is undone with Close)";

fn network(n: usize, seed: u64) -> (Net, Vec<NodeId>) {
    let mut sim = Sim::new(SimConfig {
        seed: kit::seed(seed),
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(5),
        ..SimConfig::default()
    });
    let ids = (0..n).map(|_| sim.add_node(SwarmNode::new())).collect();
    (sim, ids)
}

/// Each live node's neighbours and the Accepts it has sent.
fn read(sim: &mut Net, ids: &[NodeId]) -> BTreeMap<NodeId, (Vec<NodeId>, u64)> {
    sim.take_client_messages();
    let live: Vec<NodeId> = ids.iter().filter(|id| sim.is_alive(id)).cloned().collect();
    for id in &live {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(Duration::from_millis(100));
    sim.take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::ReadOk { neighbours, accepts_sent } => Some((m.from, (neighbours, accepts_sent))),
            _ => None,
        })
        .collect()
}

/// Checks the overlay: symmetric, no duplicates, no dead or unknown neighbours, degrees
/// within bounds, and connected.
/// `bounds` says in the learner's words why the degrees must be within `min..=max`.
fn assert_healthy(graph: &BTreeMap<NodeId, (Vec<NodeId>, u64)>, min: usize, max: usize, bounds: &str) {
    for (node, (neighbours, _)) in graph {
        let set: BTreeSet<&NodeId> = neighbours.iter().collect();
        assert_eq!(set.len(), neighbours.len(), "{node} lists a neighbour twice: {neighbours:?}");
        assert!(!set.contains(node), "{node} lists itself");
        for other in neighbours {
            let back = graph.get(other).unwrap_or_else(|| {
                panic!(
                    "{node} lists {other}, which is down or unknown: a neighbour silent for DEAD_AFTER is dropped, \
                     and a stranger's ping is answered with Close"
                )
            });
            assert!(
                back.0.contains(node),
                "{node} lists {other} but {other} does not list {node}: one connection per pair, known to both ends"
            );
        }
        assert!(
            (min..=max).contains(&neighbours.len()),
            "{node} has {} neighbours, outside {min}..={max}: {bounds}",
            neighbours.len()
        );
    }
    // Connected: everyone is reachable from the first node.
    let start = graph.keys().next().expect("a node").clone();
    let mut seen = BTreeSet::from([start.clone()]);
    let mut stack = vec![start];
    while let Some(node) = stack.pop() {
        for next in &graph[&node].0 {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    assert_eq!(
        seen.len(),
        graph.len(),
        "the overlay is split: only {} of {} nodes are reachable",
        seen.len(),
        graph.len()
    );
}

/// Two nodes become each other's only neighbour
#[test]
fn step_1_two_nodes() {
    let (mut sim, ids) = network(2, 1);
    sim.run_for(Duration::from_secs(1));
    let graph = read(&mut sim, &ids);
    let rule = "a Connect answered by an Accept makes the two nodes each other's neighbour, on both sides (and \
                when both dial at once, the dial of the smaller id is still accepted)";
    assert_eq!(graph[&ids[0]].0, vec![ids[1].clone()], "{} lists {} as its only neighbour: {rule}", ids[0], ids[1]);
    assert_eq!(graph[&ids[1]].0, vec![ids[0].clone()], "{} lists {} as its only neighbour: {rule}", ids[1], ids[0]);
}

/// When both dial at once, exactly one connection is made, and both agree on it
#[test]
fn step_2_simultaneous_dial() {
    // No jitter and equal latency: both Connects cross in flight.
    let mut sim: Net =
        Sim::new(SimConfig { seed: kit::seed(2), latency: Duration::from_millis(50), ..SimConfig::default() });
    let ids: Vec<NodeId> = (0..2).map(|_| sim.add_node(SwarmNode::new())).collect();
    sim.run_for(Duration::from_secs(2));
    let graph = read(&mut sim, &ids);
    let rule = "when both dial at once, the dial of the smaller id is still accepted";
    assert_eq!(graph[&ids[0]].0, vec![ids[1].clone()], "n0 is connected to n1: {rule}");
    assert_eq!(graph[&ids[1]].0, vec![ids[0].clone()], "n1 is connected to n0: {rule}");
    let accepts: u64 = graph.values().map(|(_, a)| a).sum();
    assert_eq!(
        accepts, 1,
        "one connection, so one Accept in all: the dial of the smaller id wins, the other is ignored"
    );
}

/// A small swarm (up to 8 nodes) is fully connected
#[test]
fn step_3_full_mesh() {
    let (mut sim, ids) = network(6, 3);
    sim.run_for(Duration::from_secs(3));
    let graph = read(&mut sim, &ids);
    assert_healthy(&graph, 5, 5, "a swarm of up to FULL_MESH_UP_TO nodes is a full mesh, everyone's neighbour");
}

/// Fifty nodes: degrees stay within bounds and the overlay is connected
#[test]
fn step_4_bounded_degree() {
    let (mut sim, ids) = network(50, 4);
    sim.run_for(Duration::from_secs(5));
    let graph = read(&mut sim, &ids);
    assert_eq!(graph.len(), 50);
    assert_healthy(&graph, MIN_DEGREE, MAX_DEGREE, DEGREES);
    assert_eq!((MIN_DEGREE, MAX_DEGREE), (4, 8));
}

/// Under churn (nodes crashing and coming back), the overlay repairs itself
#[test]
fn step_5_churn() {
    let (mut sim, ids) = network(50, 5);
    sim.run_for(Duration::from_secs(3));
    let mut rng = NodeRng::seed_from_u64(kit::seed(5));
    let mut down: Vec<NodeId> = Vec::new();
    for round in 0..10 {
        // Crash two random live nodes, bring back one that was down.
        for _ in 0..2 {
            let live: Vec<&NodeId> = ids.iter().filter(|id| sim.is_alive(id)).collect();
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
    // Long enough for the last crashed to be noticed (DEAD_AFTER) and replaced.
    sim.run_for(DEAD_AFTER + Duration::from_secs(4));
    let graph = read(&mut sim, &ids);
    assert_eq!(graph.len(), ids.iter().filter(|id| sim.is_alive(id)).count());
    assert!(graph.len() >= 30, "the check keeps most nodes alive: {}", graph.len());
    assert_healthy(&graph, MIN_DEGREE, MAX_DEGREE, DEGREES);
}

/// Thirty nodes cut in two by the network until every link across the cut is dropped and every node is at its target degree in its half: within 5 s of the cut ending the overlay is one again (dial the neighbours lost to silence now and then)
#[test]
fn step_6_a_cut_heals() {
    let (mut sim, ids) = network(30, 6);
    sim.run_for(Duration::from_secs(3));
    let (left, right) = ids.split_at(15);
    sim.partition(&[left, right]);
    sim.run_for(DEAD_AFTER + Duration::from_secs(2));
    // Wait (up to 30 s) until each half has settled: no link across, every node at its
    // target, where top-up no longer dials.
    let mut settled: Result<(), String> = Err(String::new());
    for _ in 0..30 {
        let graph = read(&mut sim, &ids);
        settled = graph.iter().try_for_each(|(node, (neighbours, _))| {
            let own_half = if left.contains(node) { left } else { right };
            if let Some(across) = neighbours.iter().find(|n| !own_half.contains(*n)) {
                Err(format!(
                    "{node} still lists {across}, across the cut, after the silence (drop the silent after DEAD_AFTER)"
                ))
            } else if neighbours.len() < MIN_DEGREE {
                Err(format!("{node} has {} neighbours in its half", neighbours.len()))
            } else {
                Ok(())
            }
        });
        if settled.is_ok() {
            break;
        }
        sim.run_for(Duration::from_secs(1));
    }
    if let Err(why) = settled {
        panic!("30 s into the cut the halves have not settled: {why}");
    }
    sim.heal();
    sim.run_for(Duration::from_secs(5));
    let graph = read(&mut sim, &ids);
    assert_healthy(&graph, MIN_DEGREE, MAX_DEGREE, DEGREES);
}
