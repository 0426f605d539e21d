//! Every interleaving of a small network: exhaustive search for the bug a seed misses.
//!
//! A simulation follows one schedule; a seed sweep follows a few hundred. Some bugs
//! need one particular order — an acknowledgement overtaking a retry, a message lost
//! just after another arrived — and no reasonable number of seeds finds them. DSLabs
//! (Michael et al., EuroSys 2019) model-checks student code instead: from the start
//! state it explores *every* order of deliveries, drops and timer firings of a small
//! network, breadth first, and hands back the shortest run that breaks an invariant.
//! This module does the same for any [`Node`] that is `Clone` and `Debug`.
//!
//! The model is an asynchronous network. In each state the search may
//! - deliver any message in flight, in any order (the network may reorder freely);
//! - drop any message in flight, while the drop budget lasts;
//! - fire the earliest timer of any node, while the timer budget lasts; the clock jumps
//!   to that timer's deadline (time only moves forward).
//!
//! States already seen are pruned by a hash of what determines the future: every
//! node's state (through `Debug`), the messages in flight (as a multiset), the pending
//! timers and the clock. The **safety** invariant is checked in every state reached.
//! **Liveness** is checked where the adversary has done its worst: whenever nothing is
//! in flight, and at the depth bound, the search lets the network behave — deliver
//! everything in order, fire timers, drop nothing — for a bounded number of events, and
//! then asks whether the nodes converged. A failure of either comes back as the
//! shortest sequence of events that leads to it.
//!
//! It scales like every explicit-state model checker: exponentially in the number of
//! messages that can be in flight at once. Measured here (`kit/examples/search_bench.rs`,
//! release build, 2 shared cores; a retrying broadcast, two values, one loss, two timer
//! firings, depth 24): two nodes are 16,923 states, searched whole in 0.23 s (72,000
//! states/s); three nodes pass two million states at depth 11 and 10,000 states/s.
//! So the search is for two or three nodes and a handful of messages, where the
//! unlucky orderings live; the seeded simulator is for everything bigger.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use crate::deadlines::Deadlines;
use crate::node::{Context, Node, NodeId, TimerId};

/// The bounds of a search: how much the adversary may do, and how far to look.
#[derive(Clone, Copy, Debug)]
pub struct SearchConfig {
    /// Events on the longest path explored (deliveries, drops and timer firings).
    pub max_depth: usize,
    /// Messages the network may lose on one path.
    pub max_drops: u32,
    /// Timer firings on one path during the adversarial part (the fair settling
    /// before a liveness check fires as many as it needs).
    pub max_timer_fires: u32,
    /// States kept at most: the search stops, and says so, past this.
    pub max_states: usize,
    /// Events the network gets to settle before liveness is judged.
    pub settle_events: usize,
}

impl Default for SearchConfig {
    fn default() -> SearchConfig {
        SearchConfig { max_depth: 40, max_drops: 1, max_timer_fires: 4, max_states: 500_000, settle_events: 400 }
    }
}

/// What the invariants see of a state.
pub struct View<'a, N, M> {
    /// Every node, in the order given.
    pub nodes: &'a [N],
    /// The nodes' names, in the same order.
    pub ids: &'a [NodeId],
    /// Every message a node sent to a client so far: (server, client, message).
    pub replies: &'a [(NodeId, NodeId, M)],
    /// In a liveness check, each node's answers to the [probe](Search::probe) (a
    /// client's question asked after the network settled, such as `Read`), in node
    /// order; empty otherwise. This is how an invariant reads nodes whose state is
    /// private.
    pub probed: &'a [Vec<M>],
}

/// What a finished search found.
#[derive(Debug)]
pub struct Outcome {
    /// Distinct states explored.
    pub states: usize,
    /// Transitions taken (including those that led to known states).
    pub transitions: usize,
    /// The deepest path explored.
    pub depth: usize,
    /// Whether the search stopped at [`SearchConfig::max_states`] before it was done.
    pub truncated: bool,
    /// The bound it ran under: [`SearchConfig::max_states`].
    pub max_states: usize,
    /// How long it took.
    pub elapsed: Duration,
    /// The shortest run that broke an invariant, if one did.
    pub counterexample: Option<Counterexample>,
}

impl Outcome {
    /// What a check does with a finished search: prints the states searched and the
    /// deepest interleaving as figures, then fails with the counterexample if the search
    /// found one, or if it stopped at its bound before it was done (a search that did not
    /// finish proves nothing about the states it did not reach).
    #[track_caller]
    pub fn assert_holds(&self) {
        crate::figure("states searched", self.states);
        crate::figure("deepest interleaving", self.depth);
        if let Some(counterexample) = &self.counterexample {
            panic!("{counterexample}");
        }
        assert!(!self.truncated, "the search stopped at its bound of {} states before it was done", self.max_states);
    }
}

/// The shortest failing run: what happened, event by event, and what broke.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// The events, in order (`n0 -> n1 Gossip { .. }`, `n1 -> n2 dropped …`, …).
    pub events: Vec<String>,
    /// The invariant's own message.
    pub violation: String,
    /// Whether it was the liveness check (after settling) that failed.
    pub liveness: bool,
}

impl std::fmt::Display for Counterexample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.liveness { "after the network settled" } else { "in this state" };
        writeln!(f, "{} events lead to a broken invariant ({what}): {}", self.events.len(), self.violation)?;
        for (i, event) in self.events.iter().enumerate() {
            writeln!(f, "  {:>3}. {event}", i + 1)?;
        }
        Ok(())
    }
}

/// One state of the network.
#[derive(Clone)]
struct State<N, M, T> {
    nodes: Vec<N>,
    /// Callbacks each node has had (seeds its random numbers, so a replay is exact).
    calls: Vec<u64>,
    now: Duration,
    /// Messages in flight: (from, to index, message).
    flight: Vec<(NodeId, usize, M)>,
    /// Each node's pending timers, earliest first.
    timers: Vec<Deadlines<TimerId, T>>,
    /// Each node's next timer handle (a fresh context per callback continues it).
    handles: Vec<u64>,
    replies: Vec<(NodeId, NodeId, M)>,
    drops: u32,
    fires: u32,
}

/// A state of the search for nodes `N`.
type StateOf<N> = State<N, <N as Node>::Message, <N as Node>::Timer>;

/// An invariant over a state's view: `Err` says what broke.
type Invariant<'f, N> = dyn Fn(&View<'_, N, <N as Node>::Message>) -> Result<(), String> + 'f;

/// The exhaustive search over one small network.
pub struct Search<N: Node> {
    nodes: Vec<N>,
    ids: Vec<NodeId>,
    initial: Vec<(NodeId, usize, N::Message)>,
    probe: Option<N::Message>,
    config: SearchConfig,
}

impl<N> Search<N>
where
    N: Node + Clone + Debug,
    N::Message: Clone + Debug,
    N::Timer: Clone + Debug,
{
    /// A network of `nodes`, named `n0`, `n1`, … as in the simulator.
    pub fn new(nodes: Vec<N>, config: SearchConfig) -> Search<N> {
        // (A liveness check passes as soon as it holds during settling; a failure
        // shows every settling event, which for a node with a periodic timer is the
        // whole budget of ticks.)
        let ids = (0..nodes.len()).map(NodeId::node).collect();
        Search { nodes, ids, initial: Vec::new(), probe: None, config }
    }

    /// A question a client asks every node before liveness is judged (`Read`): the
    /// answers are in [`View::probed`].
    pub fn probe(&mut self, message: N::Message) {
        self.probe = Some(message);
    }

    /// A client message in flight at the start (it is delivered, or lost, like any).
    pub fn client_send(&mut self, client: &NodeId, to: &NodeId, message: N::Message) {
        let i = self.ids.iter().position(|id| id == to).expect("a node of this search");
        self.initial.push((client.clone(), i, message));
    }

    /// Explores every interleaving within the bounds, checking `safety` in every state
    /// and `liveness` after the network settles (see the module's documentation).
    pub fn run(
        &self,
        safety: impl Fn(&View<'_, N, N::Message>) -> Result<(), String>,
        liveness: impl Fn(&View<'_, N, N::Message>) -> Result<(), String>,
    ) -> Outcome {
        let started = Instant::now();
        let mut start = State {
            nodes: self.nodes.clone(),
            calls: vec![0; self.nodes.len()],
            now: Duration::ZERO,
            flight: self.initial.clone(),
            timers: vec![Deadlines::new(); self.nodes.len()],
            handles: vec![0; self.nodes.len()],
            replies: Vec::new(),
            drops: 0,
            fires: 0,
        };
        for i in 0..self.nodes.len() {
            self.callback(&mut start, i, |node, ctx| node.on_start(ctx));
        }
        // Breadth first, so the first failure found is a shortest one. Each entry
        // keeps its parent and the event that led to it, to rebuild the path.
        let mut arena: Vec<(usize, String)> = vec![(usize::MAX, String::new())];
        let mut queue: VecDeque<(StateOf<N>, usize, usize)> = VecDeque::new();
        let mut seen = HashSet::new();
        seen.insert(self.fingerprint(&start));
        queue.push_back((start, 0, 0));
        let (mut transitions, mut depth, mut truncated) = (0, 0, false);
        let path = |arena: &Vec<(usize, String)>, mut at: usize| {
            let mut events = Vec::new();
            while at != 0 {
                events.push(arena[at].1.clone());
                at = arena[at].0;
            }
            events.reverse();
            events
        };
        while let Some((state, at, d)) = queue.pop_front() {
            depth = depth.max(d);
            if let Err(violation) = safety(&self.view(&state)) {
                let counterexample = Counterexample { events: path(&arena, at), violation, liveness: false };
                return self.outcome(seen.len(), transitions, depth, truncated, started, Some(counterexample));
            }
            let successors = self.successors(&state);
            if (state.flight.is_empty() || d >= self.config.max_depth)
                && let Err((violation, settled)) = self.settle_and_check(&state, &liveness)
            {
                {
                    let mut events = path(&arena, at);
                    events.push(
                        "— from here the network behaves: everything delivered in order, timers fire, nothing lost —"
                            .into(),
                    );
                    events.extend(settled);
                    let counterexample = Counterexample { events, violation, liveness: true };
                    return self.outcome(seen.len(), transitions, depth, truncated, started, Some(counterexample));
                }
            }
            if d >= self.config.max_depth {
                continue;
            }
            for (event, next) in successors {
                transitions += 1;
                if seen.len() >= self.config.max_states {
                    truncated = true;
                    break;
                }
                if seen.insert(self.fingerprint(&next)) {
                    arena.push((at, event));
                    queue.push_back((next, arena.len() - 1, d + 1));
                }
            }
        }
        self.outcome(seen.len(), transitions, depth, truncated, started, None)
    }

    fn outcome(
        &self,
        states: usize,
        transitions: usize,
        depth: usize,
        truncated: bool,
        started: Instant,
        counterexample: Option<Counterexample>,
    ) -> Outcome {
        let max_states = self.config.max_states;
        Outcome { states, transitions, depth, truncated, max_states, elapsed: started.elapsed(), counterexample }
    }

    fn view<'a>(&'a self, state: &'a StateOf<N>) -> View<'a, N, N::Message> {
        View { nodes: &state.nodes, ids: &self.ids, replies: &state.replies, probed: &[] }
    }

    /// Judges liveness of `state`, asking the probe first if there is one.
    fn live(&self, state: &StateOf<N>, liveness: &Invariant<'_, N>) -> Result<(), String> {
        let Some(probe) = &self.probe else { return liveness(&self.view(state)) };
        let mut asked = state.clone();
        let client = NodeId::new("c-probe");
        let mut probed = Vec::new();
        for i in 0..asked.nodes.len() {
            let before = asked.replies.len();
            let message = probe.clone();
            let from = client.clone();
            self.callback(&mut asked, i, |node, ctx| node.on_message(ctx, from, message));
            probed.push(
                asked.replies[before..].iter().filter(|(_, to, _)| *to == client).map(|(_, _, m)| m.clone()).collect(),
            );
        }
        liveness(&View { nodes: &state.nodes, ids: &self.ids, replies: &state.replies, probed: &probed })
    }

    /// Every state one event away, with the event in words.
    fn successors(&self, state: &StateOf<N>) -> Vec<(String, StateOf<N>)> {
        let mut out = Vec::new();
        let mut tried = HashSet::new();
        for k in 0..state.flight.len() {
            let (from, to, message) = &state.flight[k];
            // Two identical messages to the same node lead to the same states.
            if !tried.insert(format!("{from:?}{to}{message:?}")) {
                continue;
            }
            let mut next = state.clone();
            let (from, to, message) = next.flight.remove(k);
            let event = format!("{from} -> {} {message:?}", self.ids[to]);
            self.callback(&mut next, to, |node, ctx| node.on_message(ctx, from, message));
            out.push((event, next));
            if state.drops < self.config.max_drops {
                let mut next = state.clone();
                let (from, to, message) = next.flight.remove(k);
                next.drops += 1;
                out.push((format!("{from} -> {} dropped: {message:?}", self.ids[to]), next));
            }
        }
        if state.fires < self.config.max_timer_fires {
            for i in 0..state.nodes.len() {
                if let Some(next) = self.fire(state, i) {
                    out.push(next);
                }
            }
        }
        out
    }

    /// Fires node `i`'s earliest timer, if it has one.
    fn fire(&self, state: &StateOf<N>, i: usize) -> Option<(String, StateOf<N>)> {
        if state.timers[i].is_empty() {
            return None;
        }
        let mut next = state.clone();
        let (at, _, timer) = next.timers[i].pop()?;
        next.now = next.now.max(at);
        next.fires += 1;
        let event = format!("{} timer {timer:?} at {} ms", self.ids[i], next.now.as_millis());
        self.callback(&mut next, i, |node, ctx| node.on_timer(ctx, timer));
        Some((event, next))
    }

    /// Lets the network behave for a while, then judges liveness. On failure, the
    /// violation and the settling events.
    fn settle_and_check(&self, state: &StateOf<N>, liveness: &Invariant<'_, N>) -> Result<(), (String, Vec<String>)> {
        let mut state = state.clone();
        let mut events = Vec::new();
        for _ in 0..self.config.settle_events {
            if !state.flight.is_empty() {
                let (from, to, message) = state.flight.remove(0);
                events.push(format!("{from} -> {} {message:?}", self.ids[to]));
                self.callback(&mut state, to, |node, ctx| node.on_message(ctx, from, message));
                if state.flight.is_empty() && self.live(&state, liveness).is_ok() {
                    return Ok(());
                }
                continue;
            }
            // Nothing in flight: the earliest timer of any node.
            let earliest = (0..state.nodes.len()).filter_map(|i| Some((state.timers[i].next()?, i))).min();
            let Some((_, i)) = earliest else { break };
            let Some((at, _, timer)) = state.timers[i].pop() else { break };
            state.now = state.now.max(at);
            events.push(format!("{} timer {timer:?} at {} ms", self.ids[i], state.now.as_millis()));
            self.callback(&mut state, i, |node, ctx| node.on_timer(ctx, timer));
            if self.live(&state, liveness).is_ok() {
                return Ok(());
            }
        }
        self.live(&state, liveness).map_err(|violation| (violation, events))
    }

    /// Runs one callback of node `i` and carries out what it asked.
    fn callback(&self, state: &mut StateOf<N>, i: usize, f: impl FnOnce(&mut N, &mut Context<N::Message, N::Timer>)) {
        let peers: Vec<NodeId> = self.ids.iter().filter(|id| **id != self.ids[i]).cloned().collect();
        let seed = (i as u64) << 32 ^ state.calls[i];
        state.calls[i] += 1;
        let mut ctx = Context::new(self.ids[i].clone(), peers, seed);
        ctx.resume_timer_ids(state.handles[i]);
        ctx.set_now(state.now);
        f(&mut state.nodes[i], &mut ctx);
        state.handles[i] = ctx.next_timer_id();
        let mut requests = ctx.drain();
        for (handle, at, timer) in requests.numbered_timers() {
            state.timers[i].insert(at, handle, timer);
        }
        for handle in requests.cancelled {
            state.timers[i].cancel(&handle);
        }
        for (to, message) in requests.messages {
            match self.ids.iter().position(|id| *id == to) {
                Some(j) => state.flight.push((self.ids[i].clone(), j, message)),
                None => state.replies.push((self.ids[i].clone(), to, message)),
            }
        }
    }

    /// What determines a state's future, hashed: nodes, messages in flight (in any
    /// order), timers, the clock, and the budgets left.
    fn fingerprint(&self, state: &StateOf<N>) -> u64 {
        let mut flight: Vec<String> = state.flight.iter().map(|m| format!("{m:?}")).collect();
        flight.sort();
        let mut h = DefaultHasher::new();
        format!("{:?}", state.nodes).hash(&mut h);
        flight.hash(&mut h);
        format!("{:?}", state.timers).hash(&mut h);
        state.now.hash(&mut h);
        (state.drops, state.fires, state.replies.len()).hash(&mut h);
        h.finish()
    }
}
