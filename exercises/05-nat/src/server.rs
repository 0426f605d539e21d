//! The rendezvous server: it sees each peer's public address and introduces peers.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use kit::rand::RngExt;
use kit::{Context, Node, NodeId};

use crate::wire::{Msg, Wire, send};

/// Knows where each registered peer appears from, and introduces two peers to each
/// other with a fresh session number.
#[derive(Debug, Default)]
pub struct Server {
    peers: HashMap<String, SocketAddrV4>,
    /// How many introductions it made.
    pub introductions: usize,
}

impl Server {
    pub fn new() -> Server {
        Server::default()
    }
}

impl Node for Server {
    type Message = Msg;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        let Some((from, message)) = message.read(&from) else { return };
        match message {
            Wire::Register { peer } => {
                self.peers.insert(peer, from);
                send(ctx, from, Wire::Registered { observed: from });
            }
            Wire::Connect { from: me, to } => match (self.peers.get(&me), self.peers.get(&to)) {
                (Some(&mine), Some(&theirs)) => {
                    let session = ctx.rng().random();
                    send(ctx, mine, Wire::Introduce { peer: to.clone(), endpoint: theirs, session });
                    send(ctx, theirs, Wire::Introduce { peer: me, endpoint: mine, session });
                    self.introductions += 1;
                }
                _ => send(ctx, from, Wire::Unknown { peer: to }),
            },
            _ => {}
        }
    }
}
