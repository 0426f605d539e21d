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
        let me = Member { peer, addr };
        match self.sessions.get(&session).cloned() {
            None if self.sessions.len() >= MAX_SESSIONS => self.refuse(ctx, addr, session, "the relay is full"),
            None => {
                self.sessions.insert(session, Session::Waiting { first: me, to });
            }
            Some(Session::Waiting { first, to: wanted }) => {
                if first.peer == me.peer && wanted == to {
                    // The same peer again (a retry, perhaps from a new address).
                    self.sessions.insert(session, Session::Waiting { first: me, to });
                } else if wanted == me.peer && first.peer == to {
                    send(ctx, first.addr, Wire::RelayReady { session });
                    send(ctx, me.addr, Wire::RelayReady { session });
                    self.sessions.insert(session, Session::Ready { a: first, b: me });
                } else {
                    self.refuse(ctx, addr, session, "not a member of this session");
                }
            }
            Some(Session::Ready { a, b }) => {
                // A retry from a member, from the same address (its RelayReady was
                // lost): tell it again. A member's name from another address is
                // someone else claiming it, and a ready session never changes hands.
                if [&a, &b].iter().any(|m| m.peer == me.peer && m.addr == addr) {
                    send(ctx, addr, Wire::RelayReady { session });
                } else {
                    self.refuse(ctx, addr, session, "not a member of this session");
                }
            }
        }
    }

    /// Data for `session` from `addr`: to the other member, if `addr` is a member.
    ///
    /// Only a ready session forwards, and only from the address a member joined from:
    /// the session number may have leaked, the address a member's NAT gives it cannot
    /// be forged from elsewhere. Everything else is refused, and counted.
    fn data(&mut self, ctx: &mut Context<Msg, ()>, addr: SocketAddrV4, session: u64, data: String) {
        let other = match self.sessions.get(&session) {
            Some(Session::Ready { a, b }) if a.addr == addr => b.addr,
            Some(Session::Ready { a, b }) if b.addr == addr => a.addr,
            _ => return self.refuse(ctx, addr, session, "not a member of a ready session"),
        };
        self.forwarded += 1;
        send(ctx, other, Wire::RelayData { session, data });
    }
}

impl Node for Relay {
    type Message = Msg;
    type Timer = ();

    /// A datagram: a join or data goes to `join` or `data` above, with the sender's
    /// address ([`Msg::read`]); anything else is not for a relay, and is dropped
    /// without an answer.
    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        let Some((from, message)) = message.read(&from) else { return };
        match message {
            Wire::RelayJoin { from: peer, to, session } => self.join(ctx, from, peer, to, session),
            Wire::RelayData { session, data } => self.data(ctx, from, session, data),
            _ => {}
        }
    }
}
