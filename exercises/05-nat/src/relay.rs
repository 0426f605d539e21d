//! A relay in the spirit of libp2p's circuit relay v2 and iroh's relays: it forwards
//! between the two peers of a session, and only once both have asked for it.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use kit::{Context, Node, NodeId};

use crate::wire::{Msg, Wire, send};

/// The most sessions a relay keeps; more joins are refused.
pub const MAX_SESSIONS: usize = 1024;

#[derive(Clone, Debug)]
struct Member {
    peer: String,
    addr: SocketAddrV4,
}

#[derive(Clone, Debug)]
enum Session {
    /// One peer has joined, asking for `to`.
    Waiting { first: Member, to: String },
    /// Both have joined: data flows between them.
    Ready { a: Member, b: Member },
}

/// The relay.
#[derive(Debug, Default)]
pub struct Relay {
    sessions: HashMap<u64, Session>,
    /// Datagrams forwarded so far.
    pub forwarded: usize,
    /// Requests refused so far.
    pub refused: usize,
}

impl Relay {
    pub fn new() -> Relay {
        Relay::default()
    }

    fn refuse(&mut self, ctx: &mut Context<Msg, ()>, to: SocketAddrV4, session: u64, reason: &str) {
        self.refused += 1;
        send(ctx, to, Wire::RelayRefused { session, reason: reason.into() });
    }

    /// `peer` at `addr` asks to join `session` with `to`.
    ///
    /// A session is ready only when two peers have each asked for the other; then both
    /// hear [`Wire::RelayReady`]. The first to ask waits, and may ask again (its
    /// retries, perhaps from a new address, replace its request). Once ready, a session
    /// never changes hands: a member asking again from its own address hears
    /// `RelayReady` again (the first may have been lost), and anyone else, a member's
    /// name from another address included, is refused. A new session beyond
    /// [`MAX_SESSIONS`] is refused too.
    fn join(&mut self, ctx: &mut Context<Msg, ()>, addr: SocketAddrV4, peer: String, to: String, session: u64) {
        // TODO (step 2)
        todo!()
    }

    /// Data for `session` from `addr`: to the other member, if `addr` is a member.
    ///
    /// Only a ready session forwards, and only from the address a member joined from:
    /// the session number may have leaked, the address a member's NAT gives it cannot
    /// be forged from elsewhere. Everything else is refused, and counted.
    fn data(&mut self, ctx: &mut Context<Msg, ()>, addr: SocketAddrV4, session: u64, data: String) {
        // TODO (step 2)
        todo!()
    }
}

impl Node for Relay {
    type Message = Msg;
    type Timer = ();

    /// A datagram: a join or data goes to `join` or `data` above, with the sender's
    /// address ([`Msg::read`]); anything else is not for a relay, and is dropped
    /// without an answer.
    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        // TODO (step 2)
        todo!()
    }
}
