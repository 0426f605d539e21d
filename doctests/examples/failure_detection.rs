//! The failure-detection chapter's listing (book/topology/failure-detection.md): two
//! timeout rules for a ping detector, run as `kit::Node`s in the deterministic
//! simulator with loss, and a crash. `cargo run -p book-doctests --example
//! failure_detection` prints the page's figures; `tests/listings.rs` runs it with
//! `cargo test`, so its assertions are checked too. The figures are simulated time:
//! the same on any machine and build.

// ANCHOR: listing
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::rand::RngExt;
use kit::{Context, Link, Node, NodeId, Sim, SimConfig};
use serde::{Deserialize, Serialize};

/// How often every node pings every peer.
const PERIOD: Duration = Duration::from_millis(200);

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Msg {
    /// Are you there? (the round number)
    Ping(u64),
    /// Yes, for that round.
    Ack(u64),
    /// Client: what did you conclude, and when?
    Read,
    /// Every change of mind: (peer, when, suspected or cleared).
    Verdicts(Vec<(NodeId, Duration, bool)>),
}

/// Pings every peer once per round and suspects a peer after `misses` rounds in a
/// row without its `Ack`. An `Ack` clears the suspicion.
struct Detector {
    misses: u32,
    round: u64,
    answered: BTreeSet<NodeId>,
    missed: BTreeMap<NodeId, u32>,
    verdicts: Vec<(NodeId, Duration, bool)>,
}

impl Detector {
    fn new(misses: u32) -> Detector {
        Detector { misses, round: 0, answered: BTreeSet::new(), missed: BTreeMap::new(), verdicts: Vec::new() }
    }

    fn start_round(&mut self, ctx: &mut Context<Msg, ()>) {
        self.round += 1;
        self.answered.clear();
        for peer in ctx.peers().to_vec() {
            ctx.send(peer, Msg::Ping(self.round));
        }
        ctx.set_timer(PERIOD, ());
    }
}

impl Node for Detector {
    type Message = Msg;
    type Timer = ();

    /// The first round starts at a random moment, so that nodes do not tick in step.
    fn on_start(&mut self, ctx: &mut Context<Msg, ()>) {
        let phase = ctx.rng().random_range(Duration::ZERO..PERIOD);
        ctx.set_timer(phase, ());
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        match message {
            Msg::Ping(round) => ctx.send(from, Msg::Ack(round)),
            // Only this round's answer counts: a late one says nothing about now.
            Msg::Ack(round) if round == self.round => {
                self.answered.insert(from);
            }
            Msg::Read => ctx.send(from, Msg::Verdicts(self.verdicts.clone())),
            Msg::Ack(_) | Msg::Verdicts(_) => {}
        }
    }

    /// The round is over: a miss for every peer that did not answer, then the next round.
    fn on_timer(&mut self, ctx: &mut Context<Msg, ()>, (): ()) {
        let peers = if self.round == 0 { Vec::new() } else { ctx.peers().to_vec() };
        for peer in peers {
            let missed = self.missed.entry(peer.clone()).or_insert(0);
            let was_suspected = *missed >= self.misses;
            *missed = if self.answered.contains(&peer) { 0 } else { *missed + 1 };
            let suspected = *missed >= self.misses;
            if suspected != was_suspected {
                self.verdicts.push((peer, ctx.now(), suspected));
            }
        }
        self.start_round(ctx);
    }
}

/// One run: false suspicions, and how long each live node took to suspect the
/// crashed one for good.
struct Outcome {
    false_suspicions: usize,
    detection: Vec<Duration>,
}

/// Eight detectors for a minute on links that lose `loss` of the messages, then a crash.
fn simulate(misses: u32, loss: f64, seed: u64) -> Outcome {
    let mut sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    let ids: Vec<NodeId> = (0..8).map(|_| sim.add_node(Detector::new(misses))).collect();
    let lossy = Link { latency: Duration::from_millis(10), jitter: Duration::from_millis(20), loss };
    for a in &ids {
        for b in ids.iter().filter(|b| *b != a) {
            sim.set_link(a, b, lossy);
        }
    }
    sim.run_for(Duration::from_secs(60));
    let (victim, crashed_at) = (ids[7].clone(), sim.now());
    sim.crash(&victim);
    sim.run_for(Duration::from_secs(5));
    // The client's link is the default one, which loses nothing.
    for id in &ids[..7] {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(Duration::from_secs(1));

    let mut outcome = Outcome { false_suspicions: 0, detection: Vec::new() };
    for reply in sim.take_client_messages() {
        let Msg::Verdicts(verdicts) = reply.message else { continue };
        let mut suspects_victim_since = None;
        for (peer, at, suspected) in verdicts {
            if suspected && (peer != victim || at < crashed_at) {
                outcome.false_suspicions += 1;
            }
            if peer == victim {
                suspects_victim_since = suspected.then_some(at);
            }
        }
        let since = suspects_victim_since.expect("every live node suspects the crashed one in the end");
        outcome.detection.push(since.saturating_sub(crashed_at));
    }
    assert_eq!(outcome.detection.len(), 7, "every live node answered the client");
    outcome
}

pub fn main() {
    for loss in [0.01, 0.05, 0.10] {
        let mut rules = Vec::new();
        for misses in [1, 5] {
            let (mut false_suspicions, mut detection) = (0, Vec::new());
            for seed in 1..=5 {
                let outcome = simulate(misses, loss, seed);
                false_suspicions += outcome.false_suspicions;
                detection.extend(outcome.detection);
            }
            detection.sort();
            let (median, slowest) = (detection[detection.len() / 2], detection[detection.len() - 1]);
            kit::figure(
                &format!("loss {:.0}%, suspect after {misses} missed", loss * 100.0),
                format!(
                    "{false_suspicions} false suspicions; detection median {} ms, slowest {} ms",
                    median.as_millis(),
                    slowest.as_millis()
                ),
            );
            rules.push((false_suspicions, median));
        }
        let ((hasty_false, hasty_median), (patient_false, patient_median)) = (rules[0], rules[1]);
        assert!(patient_false < hasty_false, "five misses must fool the detector less often than one");
        assert!(patient_median > hasty_median, "five misses must take longer to notice a crash");
    }
}
// ANCHOR_END: listing
