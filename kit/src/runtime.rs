//! One node, its context and its timers: the run loop every real-time driver shares.
//!
//! A driver over real sockets (TCP, UDP, Maelstrom's stdin and stdout, a fuzzer's
//! made-up clock) does four things: it starts the node, hands it what arrives, wakes
//! it when a timer is due, and carries out what it asked. [`Runtime`] does all of that
//! except the input and output, in the shape of quinn-proto's `poll_timeout` /
//! `handle_timeout` and of the run loop str0m documents:
//!
//! ```text
//! runtime.start(now)
//! loop {
//!     send everything from runtime.poll_transmit()
//!     wait for input or until runtime.poll_timeout()
//!     input arrived  => runtime.handle_message(now, from, message)
//!     the time came  => runtime.handle_timeout(now)
//! }
//! ```
//!
//! The one rule for timers: [`Runtime::handle_timeout`] fires every timer due by
//! `now` that was set before the call, earliest first, ties in the order they were
//! set. A timer set during the call fires at the next call, even one due at once:
//! then [`Runtime::poll_timeout`] returns a time that has already come, and the
//! driver calls again without sleeping. So a node that sets a timer for "now" from
//! its own `on_timer` cannot keep one call going for ever, and what each timer sent
//! can leave before the next fires.
//!
//! The runtime keeps ONE [`Context`] for the node's life, so [`Context::rng`] is one
//! seeded stream, and timer handles ([`TimerId`]) are never handed out twice.
//! Time is what [`Context::now`] shows: a [`Duration`] since the driver started,
//! which never goes backwards (an earlier `now` than the last is taken as the last).
//!
//! ```
//! use std::time::Duration;
//! use kit::runtime::Runtime;
//! use kit::{Context, Node, NodeId};
//!
//! /// Says "tick" to its peer every 100 ms.
//! struct Ticker;
//! impl Node for Ticker {
//!     type Message = String;
//!     type Timer = ();
//!     fn on_start(&mut self, ctx: &mut Context<String, ()>) {
//!         ctx.set_timer(Duration::from_millis(100), ());
//!     }
//!     fn on_message(&mut self, _: &mut Context<String, ()>, _: NodeId, _: String) {}
//!     fn on_timer(&mut self, ctx: &mut Context<String, ()>, (): ()) {
//!         ctx.send(NodeId::node(1), "tick".into());
//!         ctx.set_timer(Duration::from_millis(100), ());
//!     }
//! }
//!
//! let ms = Duration::from_millis;
//! let mut runtime = Runtime::new(Ticker, NodeId::node(0), vec![NodeId::node(1)], 7);
//! runtime.start(ms(0));
//! assert_eq!(runtime.poll_timeout(), Some(ms(100)));
//! runtime.handle_timeout(ms(250)); // late: the timer due at 100 ms fires once
//! assert_eq!(runtime.poll_transmit(), Some((NodeId::node(1), "tick".to_string())));
//! assert_eq!(runtime.poll_transmit(), None);
//! assert_eq!(runtime.poll_timeout(), Some(ms(350)), "the next is set from when it fired");
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use crate::deadlines::Deadlines;
use crate::node::{Context, Node, NodeId, TimerId};

/// A node with its context and timers, driven by inputs and the time. See the
/// [module documentation](self).
pub struct Runtime<N: Node> {
    node: N,
    ctx: Context<N::Message, N::Timer>,
    timers: Deadlines<TimerId, N::Timer>,
    transmits: VecDeque<(NodeId, N::Message)>,
    observed: VecDeque<String>,
    started: bool,
}

impl<N: Node> Runtime<N> {
    /// `node`, named `me` among `peers`, its random numbers seeded by `seed`. It starts
    /// at [`Runtime::start`] (or at its first input).
    pub fn new(node: N, me: NodeId, peers: Vec<NodeId>, seed: u64) -> Runtime<N> {
        Runtime::with_context(node, Context::new(me, peers, seed))
    }

    /// `node` with a context the caller made (a test that wants to look at the context
    /// first, say). The context must not have been used by another driver.
    pub fn with_context(node: N, ctx: Context<N::Message, N::Timer>) -> Runtime<N> {
        Runtime {
            node,
            ctx,
            timers: Deadlines::new(),
            transmits: VecDeque::new(),
            observed: VecDeque::new(),
            started: false,
        }
    }

    /// Calls the node's `on_start`, once: a second call does nothing.
    pub fn start(&mut self, now: Duration) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        self.callback(now, |node, ctx| node.on_start(ctx));
    }

    /// Whether the node has started.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Delivers `message` from `from` (a peer or a client). Starts the node first if
    /// nobody did.
    pub fn handle_message(&mut self, now: Duration, from: NodeId, message: N::Message) {
        self.start(now);
        self.callback(now, |node, ctx| node.on_message(ctx, from, message));
    }

    /// When the earliest timer is due, if any: sleep until then, then call
    /// [`Runtime::handle_timeout`]. A time in the past means "call it now".
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.timers.next()
    }

    /// Fires every timer due by `now` that was set before this call, earliest first;
    /// a timer set during the call (even for "now") fires at the next call. Returns how
    /// many fired.
    pub fn handle_timeout(&mut self, now: Duration) -> usize {
        self.start(now);
        let now = now.max(self.ctx.now());
        let mark = self.timers.mark();
        let mut fired = 0;
        while let Some((_, timer)) = self.timers.pop_due_before(now, mark) {
            fired += 1;
            self.callback(now, |node, ctx| node.on_timer(ctx, timer));
        }
        fired
    }

    /// Calls the node some other way (a method of its own, several callbacks in a row)
    /// and carries out what it asked, as for any input.
    pub fn callback<R>(&mut self, now: Duration, f: impl FnOnce(&mut N, &mut Context<N::Message, N::Timer>) -> R) -> R {
        let now = now.max(self.ctx.now());
        self.ctx.set_now(now);
        let result = f(&mut self.node, &mut self.ctx);
        let mut requests = self.ctx.drain();
        for (id, at, timer) in requests.numbered_timers() {
            self.timers.insert(at, id, timer);
        }
        for id in requests.cancelled {
            self.timers.cancel(&id);
        }
        self.transmits.extend(requests.messages);
        self.observed.extend(requests.observed);
        while self.observed.len() > OBSERVED_KEPT {
            self.observed.pop_front();
        }
        result
    }

    /// Calls off a pending timer of the node, from outside (the node itself uses
    /// [`Context::cancel_timer`]). Returns whether it was still pending.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(&id).is_some()
    }

    /// Brings every pending timer that `which` picks and that is due after `at` forward
    /// to `at`, so that it fires at the next [`Runtime::handle_timeout`] by the one rule
    /// (after the timers already due, in the order they were set). For a driver that
    /// learns of something the node acts on at its next timer (a peer found, for a node
    /// that tops up its connections on a tick) and wants it acted on now: calling the
    /// node's `on_timer` out of turn instead would start a second chain of a periodic
    /// timer. Returns how many timers moved.
    pub fn advance_timers(&mut self, at: Duration, which: impl Fn(&N::Timer) -> bool) -> usize {
        let later: Vec<TimerId> =
            self.timers.iter().filter(|(due, _, timer)| *due > at && which(timer)).map(|(_, id, _)| *id).collect();
        for id in &later {
            if let Some(timer) = self.timers.cancel(id) {
                self.timers.insert(at, *id, timer);
            }
        }
        later.len()
    }

    /// The next message to send, in the order the node sent them.
    pub fn poll_transmit(&mut self) -> Option<(NodeId, N::Message)> {
        self.transmits.pop_front()
    }

    /// The next key the node [observed](Context::observe). Drivers over sockets may
    /// ignore these; they are dropped after [`OBSERVED_KEPT`] unread.
    pub fn poll_observed(&mut self) -> Option<String> {
        self.observed.pop_front()
    }

    /// How many timers are pending.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// The node.
    pub fn node(&self) -> &N {
        &self.node
    }

    /// The node, to change it between inputs (what it asks during a call goes through
    /// [`Runtime::callback`] instead).
    pub fn node_mut(&mut self) -> &mut N {
        &mut self.node
    }

    /// The node's context: its id, peers and clock as the node sees them.
    pub fn context(&self) -> &Context<N::Message, N::Timer> {
        &self.ctx
    }

    /// This node's id.
    pub fn me(&self) -> &NodeId {
        self.ctx.me()
    }

    /// Replaces the node's peers ([`Context::set_peers`]).
    pub fn set_peers(&mut self, peers: Vec<NodeId>) {
        self.ctx.set_peers(peers);
    }

    /// Takes the node out, ending the runtime.
    pub fn into_node(self) -> N {
        self.node
    }
}

/// Sleeps until `deadline` (a [`Runtime::poll_timeout`], measured from `start`), or
/// for ever when there is none: the one sleep of a real-time driver.
pub(crate) async fn sleep_until(start: tokio::time::Instant, deadline: Option<Duration>) {
    match deadline.and_then(|d| start.checked_add(d)) {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How many observed keys a [`Runtime`] keeps unread: a driver that never reads them
/// must not make it grow without bound.
pub const OBSERVED_KEPT: usize = 4096;

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Records its timers as they fire, and does what the test scripted for each.
    #[derive(Default)]
    struct Script {
        fired: Vec<(Duration, String)>,
        handles: Vec<TimerId>,
        draws: Vec<u64>,
    }

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Ask {
        Set(u64, String),
        CancelFirst,
        Draw,
    }

    impl Node for Script {
        type Message = Ask;
        type Timer = String;

        fn on_message(&mut self, ctx: &mut Context<Ask, String>, from: NodeId, ask: Ask) {
            match ask {
                Ask::Set(after, name) => self.handles.push(ctx.set_timer(ms(after), name)),
                Ask::CancelFirst => ctx.cancel_timer(self.handles[0]),
                Ask::Draw => {
                    let x = ctx.rng().random::<u64>();
                    self.draws.push(x);
                    ctx.send(from, Ask::Draw);
                }
            }
        }

        fn on_timer(&mut self, ctx: &mut Context<Ask, String>, name: String) {
            match name.as_str() {
                // Sets another timer due at once.
                "again" => {
                    ctx.set_timer(Duration::ZERO, "now".into());
                }
                // Calls off the first timer the node set, which is due too.
                "cancel" => ctx.cancel_timer(self.handles[0]),
                _ => {}
            }
            self.fired.push((ctx.now(), name));
        }
    }

    /// The timers fired so far, as (ms, name).
    fn fired(runtime: &Runtime<Script>) -> Vec<(u64, &str)> {
        runtime.node().fired.iter().map(|(at, name)| (at.as_millis() as u64, name.as_str())).collect()
    }

    fn runtime() -> Runtime<Script> {
        let mut runtime = Runtime::new(Script::default(), NodeId::node(0), vec![], 1);
        runtime.start(ms(0));
        runtime
    }

    fn set(runtime: &mut Runtime<Script>, now: u64, after: u64, name: &str) {
        runtime.handle_message(ms(now), NodeId::client(0), Ask::Set(after, name.into()));
    }

    #[test]
    fn timers_fire_in_deadline_order_and_only_when_due() {
        let mut rt = runtime();
        set(&mut rt, 0, 30, "c");
        set(&mut rt, 0, 10, "a");
        set(&mut rt, 5, 15, "b"); // due at 20
        assert_eq!(rt.poll_timeout(), Some(ms(10)));
        assert_eq!(rt.handle_timeout(ms(9)), 0, "nothing is due before 10 ms");
        assert_eq!(rt.handle_timeout(ms(20)), 2);
        assert_eq!(fired(&rt), vec![(20, "a"), (20, "b")], "a and b, in deadline order");
        assert_eq!(rt.poll_timeout(), Some(ms(30)));
        rt.handle_timeout(ms(30));
        assert_eq!(fired(&rt).last(), Some(&(30, "c")));
        assert_eq!(rt.poll_timeout(), None);
    }

    #[test]
    fn equal_deadlines_fire_in_the_order_set() {
        let mut rt = runtime();
        for name in ["first", "second", "third"] {
            set(&mut rt, 0, 10, name);
        }
        rt.handle_timeout(ms(10));
        assert_eq!(fired(&rt), vec![(10, "first"), (10, "second"), (10, "third")]);
    }

    #[test]
    fn a_cancelled_timer_never_fires() {
        let mut rt = runtime();
        set(&mut rt, 0, 10, "gone");
        set(&mut rt, 0, 20, "kept");
        rt.handle_message(ms(1), NodeId::client(0), Ask::CancelFirst);
        assert_eq!(rt.poll_timeout(), Some(ms(20)), "the cancelled timer no longer wakes the driver");
        rt.handle_timeout(ms(100));
        assert_eq!(fired(&rt), vec![(100, "kept")]);
        // Cancelling again, or after it would have fired, does nothing.
        rt.handle_message(ms(101), NodeId::client(0), Ask::CancelFirst);
        assert_eq!(rt.pending_timers(), 0);
    }

    #[test]
    fn a_timer_cancelled_by_an_earlier_one_due_in_the_same_call_does_not_fire() {
        let mut rt = runtime();
        set(&mut rt, 0, 20, "victim");
        set(&mut rt, 0, 10, "cancel");
        rt.handle_timeout(ms(50));
        assert_eq!(fired(&rt), vec![(50, "cancel")]);
    }

    #[test]
    fn a_timer_set_for_now_during_handle_timeout_fires_at_the_next_call() {
        let mut rt = runtime();
        set(&mut rt, 0, 10, "again");
        assert_eq!(rt.handle_timeout(ms(10)), 1);
        assert_eq!(fired(&rt), vec![(10, "again")]);
        assert_eq!(rt.poll_timeout(), Some(ms(10)), "due already: the driver calls again at once");
        assert_eq!(rt.handle_timeout(ms(10)), 1);
        assert_eq!(fired(&rt), vec![(10, "again"), (10, "now")]);
    }

    #[test]
    fn an_advanced_timer_fires_at_the_next_call_and_only_once() {
        let mut rt = runtime();
        set(&mut rt, 0, 10, "due");
        set(&mut rt, 0, 200, "tick");
        set(&mut rt, 0, 300, "other");
        assert_eq!(rt.advance_timers(ms(10), |name| name == "tick"), 1, "only the picked timer moves");
        assert_eq!(rt.advance_timers(ms(50), |name| name == "tick"), 0, "a timer due before `at` stays");
        assert_eq!(rt.poll_timeout(), Some(ms(10)));
        rt.handle_timeout(ms(10));
        assert_eq!(fired(&rt), vec![(10, "due"), (10, "tick")], "the timer already due first, then the advanced one");
        assert_eq!(rt.poll_timeout(), Some(ms(300)), "the advanced timer is not left at its old deadline too");
        rt.handle_timeout(ms(1000));
        assert_eq!(fired(&rt).len(), 3);
    }

    #[test]
    fn the_clock_never_goes_backwards() {
        let mut rt = runtime();
        set(&mut rt, 50, 10, "x");
        rt.handle_timeout(ms(10)); // an earlier time than the last input: still 50 ms
        assert!(fired(&rt).is_empty());
        assert_eq!(rt.context().now(), ms(50));
    }

    #[test]
    fn the_rng_is_one_stream_for_the_nodes_life() {
        let seed = 42;
        println!("seed {seed}");
        let mut rt = Runtime::new(Script::default(), NodeId::node(0), vec![], seed);
        for t in 0..4 {
            rt.handle_message(ms(t), NodeId::client(0), Ask::Draw);
        }
        let mut one = crate::node::NodeRng::seed_from_u64(seed);
        let expected: Vec<u64> = (0..4).map(|_| one.random::<u64>()).collect();
        assert_eq!(rt.node().draws, expected, "four draws continue one stream seeded {seed}, not four fresh ones");
        let sent: Vec<_> = std::iter::from_fn(|| rt.poll_transmit()).collect();
        assert_eq!(sent.len(), 4, "every callback's message is kept, in order");
    }
}
