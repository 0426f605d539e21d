//! Timer cancel, in every place that keeps a node's timers: the simulator, a node
//! inside an `Adapter`, the exhaustive search, and the UDP driver on its runtime.

use std::time::Duration;

use kit::search::{Search, SearchConfig};
use kit::udp::{self, Datagram, UdpConfig};
use kit::{Adapter, Context, Either, Node, NodeId, Sim, SimConfig, TimerId};
use serde::{Deserialize, Serialize};

const MS: Duration = Duration::from_millis(1);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Msg {
    /// Client → node: set a timer named `name` due `ms` from now.
    Set { name: String, ms: u64 },
    /// Client → node: call off the timer named `name`.
    Cancel { name: String },
    /// Node → client: the timer named `name` fired.
    Fired { name: String },
    /// Nothing but a datagram, for the UDP driver.
    Wire(Vec<u8>),
}

impl Datagram for Msg {
    fn from_datagram(bytes: Vec<u8>) -> Msg {
        Msg::Wire(bytes)
    }

    fn into_datagram(self) -> Result<Vec<u8>, Msg> {
        match self {
            Msg::Wire(bytes) => Ok(bytes),
            other => Err(other),
        }
    }
}

/// Sets and cancels named timers as its client asks; `on_start` sets "early" (10 ms)
/// and "late" (20 ms) and cancels "late" in the same callback.
#[derive(Clone, Debug, Default)]
struct Named {
    handles: Vec<(String, TimerId)>,
    client: Option<NodeId>,
}

impl Node for Named {
    type Message = Msg;
    type Timer = String;

    fn on_start(&mut self, ctx: &mut Context<Msg, String>) {
        let early = ctx.set_timer(10 * MS, "early".into());
        let late = ctx.set_timer(20 * MS, "late".into());
        ctx.cancel_timer(late);
        self.handles.push(("early".into(), early));
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, String>, from: NodeId, message: Msg) {
        match message {
            Msg::Set { name, ms } => {
                self.client = Some(from);
                let id = ctx.set_timer(Duration::from_millis(ms), name.clone());
                self.handles.push((name, id));
            }
            Msg::Cancel { name } => {
                if let Some((_, id)) = self.handles.iter().find(|(n, _)| *n == name) {
                    ctx.cancel_timer(*id);
                }
            }
            Msg::Fired { .. } | Msg::Wire(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, String>, name: String) {
        if let Some(client) = self.client.clone() {
            ctx.send(client, Msg::Fired { name });
        }
    }
}

fn set(name: &str, ms: u64) -> Msg {
    Msg::Set { name: name.into(), ms }
}

fn cancel(name: &str) -> Msg {
    Msg::Cancel { name: name.into() }
}

/// The names of the timers that fired, as the client heard them.
fn fired(sim: &mut Sim<Msg, impl std::fmt::Debug + Send + 'static>) -> Vec<String> {
    sim.take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::Fired { name } => Some(name),
            _ => None,
        })
        .collect()
}

#[test]
fn the_simulator_never_fires_a_cancelled_timer() {
    let seed = 5;
    println!("seed {seed}");
    let mut sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    let n0 = sim.add_node(Named::default());
    let c0 = NodeId::client(0);
    // Arrive at 10 ms (the default latency): a at 110 ms, b at 60 ms, then b is
    // cancelled at 20 ms, before it is due.
    sim.client_send(&c0, &n0, set("a", 100));
    sim.client_send(&c0, &n0, set("b", 50));
    sim.run_for(15 * MS);
    sim.client_send(&c0, &n0, cancel("b"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(fired(&mut sim), vec!["a"], "b was cancelled at 25 ms, 35 ms before it was due");
}

#[test]
fn a_timer_cancelled_in_the_callback_that_set_it_never_fires() {
    let mut sim = Sim::new(SimConfig::default());
    let n0 = sim.add_node(Named::default());
    // The client is known only after its first message: ask for a timer that fires
    // after on_start's "late" would have (20 ms).
    sim.client_send(&NodeId::client(0), &n0, set("marker", 50));
    assert!(sim.run_until_idle(Duration::from_secs(1)), "nothing is left pending: 'late' was cancelled");
    assert_eq!(fired(&mut sim), vec!["marker"]);
}

#[test]
fn a_cancel_inside_an_adapter_reaches_the_network() {
    type Wrapped = Adapter<Named, Msg, Either<String, ()>>;
    let wrapped: Wrapped = Adapter::new(Named::default(), |m| m, |m| m, Either::first, Either::First);
    let mut sim = Sim::new(SimConfig::default());
    let n0 = sim.add_node(wrapped);
    let c0 = NodeId::client(0);
    sim.client_send(&c0, &n0, set("a", 100));
    sim.client_send(&c0, &n0, set("b", 50));
    sim.run_for(15 * MS);
    sim.client_send(&c0, &n0, cancel("b"));
    assert!(sim.run_until_idle(Duration::from_secs(1)));
    assert_eq!(fired(&mut sim), vec!["a"], "the adapter translated b's handle to the network's and cancelled it");
}

#[test]
fn the_search_drops_a_cancelled_timer() {
    // on_start cancels "late": the only timer the search can fire is "early".
    let mut search = Search::new(vec![Named::default()], SearchConfig { max_depth: 4, ..SearchConfig::default() });
    search.client_send(&NodeId::client(0), &NodeId::node(0), set("x", 5));
    let outcome = search.run(
        |_| Ok(()),
        |view| match view.replies.iter().any(|(_, _, m)| *m == Msg::Fired { name: "late".into() }) {
            true => Err("the cancelled timer 'late' fired".into()),
            false => Ok(()),
        },
    );
    assert!(outcome.counterexample.is_none(), "{}", outcome.counterexample.unwrap());
    assert!(outcome.states > 1, "the search explored something: {outcome:?}");
}

#[tokio::test]
async fn the_udp_driver_never_fires_a_cancelled_timer() {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut handle = udp::spawn(Named::default(), socket, UdpConfig::default()).unwrap();
    let c0 = NodeId::client(0);
    // Far enough apart that a busy machine still handles the cancel long before
    // "gone" is due.
    assert!(handle.send(c0.clone(), set("kept", 800)));
    assert!(handle.send(c0.clone(), set("gone", 400)));
    assert!(handle.send(c0.clone(), cancel("gone")));
    let mut heard = Vec::new();
    while !heard.contains(&"kept".to_string()) {
        let (to, message) = tokio::time::timeout(Duration::from_secs(5), handle.recv()).await.unwrap().unwrap();
        assert_eq!(to, c0);
        if let Msg::Fired { name } = message {
            heard.push(name);
        }
    }
    // "early" (10 ms, set by on_start) is heard only if the client spoke first.
    heard.retain(|name| name != "early");
    assert_eq!(heard, vec!["kept"], "'gone' was cancelled 400 ms before it was due, and must not fire");
    handle.stop().await;
}

#[test]
fn a_node_restarted_without_a_crash_keeps_its_timers_apart_from_its_new_ones() {
    let mut sim = Sim::new(SimConfig::default());
    let n0 = sim.add_node(Named::default());
    let c0 = NodeId::client(0);
    sim.client_send(&c0, &n0, set("a", 100)); // arrives at 10 ms, due at 110 ms
    sim.run_for(20 * MS);
    // No crash: "a" stays pending, and the new context's timers must not take its
    // handle (which would replace it in the timer table).
    sim.restart(&n0, Named::default());
    sim.client_send(&c0, &n0, set("b", 50)); // arrives at 30 ms, due at 80 ms
    assert!(sim.run_until_idle(Duration::from_secs(1)));
    assert_eq!(fired(&mut sim), vec!["b", "a"]);
}
