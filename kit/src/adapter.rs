//! Running a node inside a network of nodes of another type.
//!
//! A simulation has one message type and one timer type. To put the learner's nodes
//! and the reference's in one network (so that each must speak the other's wire
//! format), wrap each in an [`Adapter`] that converts its messages to the network's
//! type and back, and its timers into a shared enum: for two kinds of node,
//! [`Either`].

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::Duration;

use crate::node::{Context, Message, Node, NodeId, Requests, TimerId};

/// The timers of a network of two kinds of node: the first kind's or the second's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    First(A),
    Second(B),
}

impl<A, B> Either<A, B> {
    /// The first kind's timer, if it is one: `timer_in` for the first kind's adapter.
    pub fn first(self) -> Option<A> {
        match self {
            Either::First(a) => Some(a),
            Either::Second(_) => None,
        }
    }

    /// The second kind's timer, if it is one.
    pub fn second(self) -> Option<B> {
        match self {
            Either::First(_) => None,
            Either::Second(b) => Some(b),
        }
    }
}

/// Runs `N` in a network whose messages are `M` and whose timers are `T`. The inner
/// node keeps one context of its own for its life (its own random numbers); what it
/// asked for ([`Context::drain`]) is passed on to the network after each callback:
/// its messages and observed keys, its timers (which the network keeps and fires, so
/// the adapter needs no clock of its own), and its cancels, each handle translated
/// to the one the network gave. A host that does more with the node than deliver
/// callbacks (calls a method of its own, reads an answer itself) does it through
/// [`Adapter::call`], on the same context.
pub struct Adapter<N: Node, M, T> {
    node: N,
    ctx: Option<Context<N::Message, N::Timer>>,
    /// The network's handle and deadline for each inner handle not yet past due.
    handles: HashMap<TimerId, (TimerId, Duration)>,
    msg_in: fn(M) -> N::Message,
    msg_out: fn(N::Message) -> M,
    timer_in: fn(T) -> Option<N::Timer>,
    timer_out: fn(N::Timer) -> T,
}

impl<N: Node, M, T> Adapter<N, M, T> {
    /// Wraps `node`. `timer_in` returns `None` for timers that belong to other nodes'
    /// type (they never reach this node, but the type has to say so).
    pub fn new(
        node: N,
        msg_in: fn(M) -> N::Message,
        msg_out: fn(N::Message) -> M,
        timer_in: fn(T) -> Option<N::Timer>,
        timer_out: fn(N::Timer) -> T,
    ) -> Adapter<N, M, T> {
        Adapter { node, ctx: None, handles: HashMap::new(), msg_in, msg_out, timer_in, timer_out }
    }

    /// The wrapped node.
    pub fn inner(&self) -> &N {
        &self.node
    }

    /// Calls `f` with the node and its own context, for what a host does with the node
    /// that is not a [`Node`] callback: a method of the node's own (a greeting), or a
    /// question whose answer the host reads itself. It is the context every callback
    /// sees, at the network's time: made on the first call (or by `on_start`), its
    /// random numbers seeded once from the network's, so a timer handle the node got in
    /// one call can be cancelled in the next. The timers `f` set and cancelled are
    /// passed on as after a callback; its messages and observed keys are returned, for
    /// the host to read, keep or change, and pass on with [`Adapter::pass_on`].
    pub fn call(
        &mut self,
        outer: &mut Context<M, T>,
        f: impl FnOnce(&mut N, &mut Context<N::Message, N::Timer>),
    ) -> Requests<N::Message, N::Timer> {
        let inner = match &mut self.ctx {
            Some(inner) => inner,
            None => {
                let seed = rand::RngExt::random(outer.rng());
                self.ctx.insert(Context::new(outer.me().clone(), outer.peers().to_vec(), seed))
            }
        };
        inner.set_now(outer.now());
        f(&mut self.node, inner);
        let mut asked = inner.drain();
        let now = outer.now();
        // A timer past its deadline has fired (or been cancelled): its handle is done.
        self.handles.retain(|_, (_, at)| *at >= now);
        for (handle, at, timer) in asked.numbered_timers() {
            let outer_handle = outer.set_timer(at.saturating_sub(now), (self.timer_out)(timer));
            self.handles.insert(handle, (outer_handle, at));
        }
        for handle in std::mem::take(&mut asked.cancelled) {
            if let Some((outer_handle, _)) = self.handles.remove(&handle) {
                outer.cancel_timer(outer_handle);
            }
        }
        asked
    }

    /// Sends the node's messages (converted to the network's type) and passes on its
    /// observed keys: the rest of what a [`Adapter::call`] asked for.
    pub fn pass_on(&self, outer: &mut Context<M, T>, asked: Requests<N::Message, N::Timer>) {
        for (to, message) in asked.messages {
            outer.send(to, (self.msg_out)(message));
        }
        for key in asked.observed {
            outer.observe(key);
        }
    }
}

impl<N: Node, M: Message, T: Debug + Send + 'static> Node for Adapter<N, M, T> {
    type Message = M;
    type Timer = T;

    fn on_start(&mut self, ctx: &mut Context<M, T>) {
        // A fresh context, as every driver gives a node that starts.
        self.ctx = None;
        let asked = self.call(ctx, |node, inner| node.on_start(inner));
        self.pass_on(ctx, asked);
    }

    fn on_message(&mut self, ctx: &mut Context<M, T>, from: NodeId, message: M) {
        let message = (self.msg_in)(message);
        let asked = self.call(ctx, |node, inner| node.on_message(inner, from, message));
        self.pass_on(ctx, asked);
    }

    fn on_timer(&mut self, ctx: &mut Context<M, T>, timer: T) {
        let Some(timer) = (self.timer_in)(timer) else { return };
        let asked = self.call(ctx, |node, inner| node.on_timer(inner, timer));
        self.pass_on(ctx, asked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// Sends a random number when asked, and keeps one timer it can call off.
    #[derive(Default)]
    struct Armed {
        timer: Option<TimerId>,
    }

    impl Armed {
        fn arm(&mut self, ctx: &mut Context<u64, ()>) {
            self.timer = Some(ctx.set_timer(Duration::from_secs(1), ()));
        }

        fn disarm(&mut self, ctx: &mut Context<u64, ()>) {
            ctx.cancel_timer(self.timer.take().expect("armed"));
        }
    }

    impl Node for Armed {
        type Message = u64;
        type Timer = ();

        fn on_start(&mut self, _: &mut Context<u64, ()>) {}

        fn on_message(&mut self, ctx: &mut Context<u64, ()>, from: NodeId, _: u64) {
            let n = ctx.rng().random();
            ctx.send(from, n);
        }

        fn on_timer(&mut self, _: &mut Context<u64, ()>, _: ()) {}
    }

    type Outer = Context<String, Either<(), ()>>;

    fn adapter() -> Adapter<Armed, String, Either<(), ()>> {
        Adapter::new(Armed::default(), |s| s.parse().unwrap(), |n| n.to_string(), Either::first, Either::First)
    }

    /// Calls and callbacks share one context: its random stream goes on from call to
    /// call, a timer set in one call is cancelled in a later one on the network's
    /// handle, and a call's messages leave only when the host passes them on.
    #[test]
    fn calls_share_the_callbacks_context_and_its_timer_handles() {
        let seed = 11;
        println!("seed {seed}");
        let me = NodeId::node(0);
        let mut outer = Outer::new(me.clone(), vec![NodeId::node(1)], seed);
        // The inner context's seed is the network's first draw; its stream is expected.
        let inner_seed: u64 = Outer::new(me.clone(), Vec::new(), seed).rng().random();
        let mut expected = Context::<u64, ()>::new(me, Vec::new(), inner_seed);
        let expected: Vec<u64> = (0..2).map(|_| expected.rng().random()).collect();

        let mut node = adapter();
        node.on_start(&mut outer);
        let peer = NodeId::node(1);
        let asked = node.call(&mut outer, |n, c| n.on_message(c, peer.clone(), 0));
        assert_eq!(asked.messages, vec![(peer.clone(), expected[0])]);
        assert!(outer.drain().messages.is_empty(), "a call's messages wait for pass_on");
        node.pass_on(&mut outer, asked);
        node.on_message(&mut outer, peer.clone(), "0".into());
        let sent = outer.drain().messages;
        assert_eq!(
            sent,
            vec![(peer.clone(), expected[0].to_string()), (peer, expected[1].to_string())],
            "the second number continues the first's stream: the context is not made anew"
        );

        node.call(&mut outer, |n, c| n.arm(c));
        let mut set = outer.drain();
        let (handle, _, timer) = set.numbered_timers().next().expect("the timer reached the network");
        assert_eq!(timer, Either::First(()));
        let asked = node.call(&mut outer, |n, c| n.disarm(c));
        assert!(asked.cancelled.is_empty() && asked.timers.is_empty(), "timers and cancels are passed on by call");
        assert_eq!(outer.drain().cancelled, vec![handle], "the cancel in a later call names the network's handle");
    }
}
