//! The failure-detection chapter's listing (book/topology/failure-detection.md): a ping
//! detector under three rules, run as `kit::Node`s in the deterministic simulator with
//! loss, and a crash. `cargo run -p book-doctests --example failure_detection` prints
//! the page's figures; `tests/listings.rs` runs it with `cargo test`, so its assertions
//! are checked too. The figures are simulated time: the same on any machine and build.

// ANCHOR: listing
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kit::rand::RngExt;
use kit::{Context, Link, Node, NodeId, Sim, SimConfig};
use serde::{Deserialize, Serialize};

/// How often every node pings every peer.
const PERIOD: Duration = Duration::from_millis(200);
/// When a node that has no answer yet asks others to try (a direct round trip takes at
/// most 60 ms on these links, a relayed one at most 120 ms more).
const ASK_OTHERS_AFTER: Duration = Duration::from_millis(70);

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Msg {
    /// Are you there? (the round number)
    Ping(u64),
    /// `peer` answered in that round (directly, or through a helper).
    Ack {
        round: u64,
        peer: NodeId,
    },
    /// SWIM's ping-req: please ping `target` for me.
    PingReq {
        target: NodeId,
        round: u64,
    },
    /// A helper's ping on behalf of `origin`, and its answer.
    Probe {
        origin: NodeId,
        round: u64,
    },
    ProbeAck {
        origin: NodeId,
        round: u64,
    },
    /// Client: what did you conclude, and when?
    Read,
    /// Every change of mind: (peer, when, suspected or cleared).
    Verdicts(Vec<(NodeId, Duration, bool)>),
}

#[derive(Debug)]
enum Timer {
    /// The round is over.
    Round,
    /// Time to ask helpers about the peers that have not answered this round.
    AskOthers(u64),
}

/// Pings every peer once per round and suspects a peer after `misses` rounds in a row
/// without an answer; with `helpers` > 0, it first asks that many other peers to ping a
/// silent one (SWIM's indirect probe). An answer clears the suspicion.
struct Detector {
    misses: u32,
    helpers: usize,
    round: u64,
    answered: BTreeSet<NodeId>,
    missed: BTreeMap<NodeId, u32>,
    verdicts: Vec<(NodeId, Duration, bool)>,
}

impl Detector {
    fn new(misses: u32, helpers: usize) -> Detector {
        let (answered, missed, verdicts) = (BTreeSet::new(), BTreeMap::new(), Vec::new());
        Detector { misses, helpers, round: 0, answered, missed, verdicts }
    }

    fn start_round(&mut self, ctx: &mut Context<Msg, Timer>) {
        self.round += 1;
        self.answered.clear();
        for peer in ctx.peers().to_vec() {
            ctx.send(peer, Msg::Ping(self.round));
        }
        ctx.set_timer(PERIOD, Timer::Round);
        if self.helpers > 0 {
            ctx.set_timer(ASK_OTHERS_AFTER, Timer::AskOthers(self.round));
        }
    }

    /// Sends a ping-req about each silent peer to `helpers` other peers, chosen at random.
    fn ask_others(&mut self, ctx: &mut Context<Msg, Timer>) {
        let silent: Vec<NodeId> = ctx.peers().iter().filter(|p| !self.answered.contains(*p)).cloned().collect();
        for target in silent {
            let mut others: Vec<NodeId> = ctx.peers().iter().filter(|p| **p != target).cloned().collect();
            for _ in 0..self.helpers.min(others.len()) {
                let helper = others.swap_remove(ctx.rng().random_range(0..others.len()));
                ctx.send(helper, Msg::PingReq { target: target.clone(), round: self.round });
            }
        }
    }
}

impl Node for Detector {
    type Message = Msg;
    type Timer = Timer;

    /// The first round starts at a random moment, so that nodes do not tick in step.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        let phase = ctx.rng().random_range(Duration::ZERO..PERIOD);
        ctx.set_timer(phase, Timer::Round);
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        match message {
            Msg::Ping(round) => ctx.send(from, Msg::Ack { round, peer: ctx.me().clone() }),
            // Only this round's answer counts: a late one says nothing about now.
            Msg::Ack { round, peer } if round == self.round => {
                self.answered.insert(peer);
            }
            Msg::PingReq { target, round } => ctx.send(target, Msg::Probe { origin: from, round }),
            Msg::Probe { origin, round } => ctx.send(from, Msg::ProbeAck { origin, round }),
            Msg::ProbeAck { origin, round } => ctx.send(origin, Msg::Ack { round, peer: from }),
            Msg::Read => ctx.send(from, Msg::Verdicts(self.verdicts.clone())),
            Msg::Ack { .. } | Msg::Verdicts(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::AskOthers(round) if round == self.round => self.ask_others(ctx),
            Timer::AskOthers(_) => {}
            // The round is over: a miss for every peer that did not answer, then the next.
            Timer::Round => {
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
    }
}

/// One run: false suspicions, how long each live node took to suspect the crashed one
/// for good, and the messages the nodes sent each other.
struct Outcome {
    false_suspicions: usize,
    detection: Vec<Duration>,
    messages: u64,
}

/// Eight detectors for a minute on links that lose `loss` of the messages, then a crash
/// and five more seconds.
fn simulate(misses: u32, helpers: usize, loss: f64, seed: u64) -> Outcome {
    let mut sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    let ids: Vec<NodeId> = (0..8).map(|_| sim.add_node(Detector::new(misses, helpers))).collect();
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
    let messages = sim.report().server_messages;
    // The client's link is the default one, which loses nothing.
    for id in &ids[..7] {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(Duration::from_secs(1));

    let mut outcome = Outcome { false_suspicions: 0, detection: Vec::new(), messages };
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
    let rules = [("one missed ping", 1, 0), ("five in a row", 5, 0), ("one missed, 3 helpers asked", 1, 3)];
    for loss in [0.01, 0.05, 0.10] {
        let mut results = Vec::new();
        for (name, misses, helpers) in rules {
            let (mut false_suspicions, mut detection, mut messages) = (0, Vec::new(), 0);
            for seed in 1..=5 {
                let outcome = simulate(misses, helpers, loss, seed);
                false_suspicions += outcome.false_suspicions;
                detection.extend(outcome.detection);
                messages += outcome.messages;
            }
            detection.sort();
            let (median, slowest) = (detection[detection.len() / 2], detection[detection.len() - 1]);
            // Five runs of eight nodes for 65 s each.
            let per_node_second = messages as f64 / (5.0 * 8.0 * 65.0);
            kit::figure(
                &format!("loss {:.0}%, {name}", loss * 100.0),
                format!(
                    "{false_suspicions} false suspicions; detection median {} ms, slowest {} ms; {per_node_second:.1} messages per node per second",
                    median.as_millis(),
                    slowest.as_millis()
                ),
            );
            results.push((false_suspicions, median));
        }
        let [(hasty_false, hasty_median), (patient_false, patient_median), (swim_false, swim_median)] = results[..]
        else {
            unreachable!("three rules")
        };
        assert!(patient_false < hasty_false, "five misses must fool the detector less often than one");
        assert!(patient_median > hasty_median, "five misses must take longer to notice a crash");
        assert!(swim_false < hasty_false / 10, "asking three others must cut false suspicions tenfold");
        assert!(swim_median < patient_median, "asking others must not wait as long as five misses");
    }
}
// ANCHOR_END: listing
