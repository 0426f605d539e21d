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

use crate::node::{Context, Message, Node, NodeId, TimerId};

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
/// to the one the network gave.
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

    fn flush(&mut self, outer: &mut Context<M, T>) {
        let inner = self.ctx.as_mut().expect("the node has started");
        let mut asked = inner.drain();
        let now = outer.now();
        // A timer past its deadline has fired (or been cancelled): its handle is done.
        self.handles.retain(|_, (_, at)| *at >= now);
        for (handle, at, timer) in asked.numbered_timers() {
            let outer_handle = outer.set_timer(at.saturating_sub(now), (self.timer_out)(timer));
            self.handles.insert(handle, (outer_handle, at));
        }
        for handle in asked.cancelled {
            if let Some((outer_handle, _)) = self.handles.remove(&handle) {
                outer.cancel_timer(outer_handle);
            }
        }
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
        let seed = rand::RngExt::random(ctx.rng());
        let mut inner = Context::new(ctx.me().clone(), ctx.peers().to_vec(), seed);
        inner.set_now(ctx.now());
        self.node.on_start(&mut inner);
        self.ctx = Some(inner);
        self.flush(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<M, T>, from: NodeId, message: M) {
        let inner = self.ctx.as_mut().expect("the node has started");
        inner.set_now(ctx.now());
        self.node.on_message(inner, from, (self.msg_in)(message));
        self.flush(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Context<M, T>, timer: T) {
        let Some(timer) = (self.timer_in)(timer) else { return };
        let inner = self.ctx.as_mut().expect("the node has started");
        inner.set_now(ctx.now());
        self.node.on_timer(inner, timer);
        self.flush(ctx);
    }
}
