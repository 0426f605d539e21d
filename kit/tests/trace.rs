//! Recording a simulation for its space-time diagram: the record holds exactly the
//! run's messages, delivered and dropped, and its page says how many arrows it draws.

use std::collections::BTreeSet;
use std::time::Duration;

use kit::trace::Kind;
use kit::{Context, Node, NodeId, Sim, SimConfig};

const MS: Duration = Duration::from_millis(1);

/// Floods every new value to every peer, and ticks every 50 ms.
#[derive(Default)]
struct Flood {
    seen: BTreeSet<u64>,
}

impl Node for Flood {
    type Message = (u64, bool);
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<(u64, bool), ()>) {
        ctx.set_timer(50 * MS, ());
    }

    fn on_message(&mut self, ctx: &mut Context<(u64, bool), ()>, from: NodeId, (value, from_client): (u64, bool)) {
        if from_client {
            ctx.send(from, (value, false));
        }
        if self.seen.insert(value) {
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, (value, false));
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<(u64, bool), ()>, _: ()) {
        if ctx.now() < 400 * MS {
            ctx.set_timer(50 * MS, ());
        }
    }
}

#[test]
fn the_record_holds_every_message_the_report_counts() {
    let mut sim: Sim<(u64, bool), ()> =
        Sim::new(SimConfig { seed: 1, latency: 10 * MS, jitter: 5 * MS, loss: 0.1, trace: false });
    sim.record(true);
    let ids: Vec<NodeId> = (0..4).map(|_| sim.add_node(Flood::default())).collect();
    for v in 0..10 {
        sim.client_send(&NodeId::client(0), &ids[v as usize % 4], (v, true));
        sim.run_for(20 * MS);
        if v == 4 {
            sim.partition(&[&ids[..2], &ids[2..]]);
        }
    }
    sim.heal();
    sim.run_for(Duration::from_secs(1));
    let report = sim.report();
    let trace = sim.recorded("flood");
    let delivered = trace.events.iter().filter(|e| e.kind == Kind::Delivered).count() as u64;
    let dropped = trace.events.iter().filter(|e| matches!(e.kind, Kind::Dropped { .. })).count() as u64;
    assert_eq!(delivered, report.delivered, "one arrow per delivered message");
    assert_eq!(dropped, report.dropped, "one cross per dropped message");
    assert!(dropped > 0, "10% loss and a partition drop something");
    assert!(trace.events.iter().any(|e| e.kind == Kind::Timer), "timers are recorded");
    assert_eq!(trace.events.iter().filter(|e| e.kind == Kind::Note).count(), 2, "the partition and the heal");
    assert_eq!(trace.nodes, ["n0", "n1", "n2", "n3", "clients"]);
    assert!(trace.events.iter().all(|e| e.at_ms >= e.sent_ms), "nothing arrives before it is sent");
    let html = trace.to_html();
    assert!(
        html.contains(&format!("data-delivered=\"{}\"", report.delivered)),
        "the page says how many arrows it draws"
    );
}

#[test]
fn recording_is_off_unless_asked() {
    let mut sim: Sim<(u64, bool), ()> = Sim::new(SimConfig::default());
    let id = sim.add_node(Flood::default());
    sim.client_send(&NodeId::client(0), &id, (1, true));
    sim.run_for(Duration::from_secs(1));
    if std::env::var_os(kit::trace::TRACE_VAR).is_none() {
        assert!(sim.recorded("off").events.is_empty());
    }
}

/// A failing step's simulation still hands over its trace, with the moment the step
/// failed marked, while the panic unwinds through it; a passing one, unmarked.
#[test]
fn a_failing_simulation_hands_its_trace_to_the_sink_marked_where_it_stopped() {
    let got = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let into = got.clone();
    kit::trace::set_sink(move |trace| into.borrow_mut().push(trace));
    let run = |fail: bool| {
        let mut sim: Sim<(u64, bool), ()> = Sim::new(SimConfig { seed: 3, ..SimConfig::default() });
        let id = sim.add_node(Flood::default());
        sim.client_send(&NodeId::client(0), &id, (1, true));
        sim.run_for(120 * MS);
        assert!(!fail, "the step's invariant broke");
    };
    run(false);
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(true)));
    assert!(kit::trace::take_sink(), "the sink stayed installed");
    assert!(failed.is_err());
    let got = got.borrow();
    assert_eq!(got.len(), 2, "one trace per simulation, the failing one included");
    assert!(got.iter().all(|t| t.delivered() == 2 && t.seed == Some(3)), "the request and its reply: {got:?}");
    assert_eq!(got[0].violation, None, "the passing run is not marked");
    assert_eq!(
        got[1].violation,
        Some((120.0, kit::trace::FAILED_HERE.to_string())),
        "the failing run is marked at 120 ms, where it stopped"
    );
    assert!(got[1].title.ends_with("simulation 2"), "titled after its test and number: {}", got[1].title);
}
