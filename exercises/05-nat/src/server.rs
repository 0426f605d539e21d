//! The rendezvous server: it sees each peer's public address and introduces peers.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use kit::nat::{Host, HostContext};
use kit::rand::RngExt;

use crate::wire::Wire;

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

impl Host for Server {
    fn on_packet(&mut self, ctx: &mut HostContext, from: SocketAddrV4, payload: &[u8]) {
        match Wire::decode(payload) {
            Some(Wire::Register { peer }) => {
                self.peers.insert(peer, from);
                ctx.send(from, Wire::Registered { observed: from }.encode());
            }
            Some(Wire::Connect { from: me, to }) => match (self.peers.get(&me), self.peers.get(&to)) {
                (Some(&mine), Some(&theirs)) => {
                    let session = ctx.rng().random();
                    ctx.send(mine, Wire::Introduce { peer: to.clone(), endpoint: theirs, session }.encode());
                    ctx.send(theirs, Wire::Introduce { peer: me, endpoint: mine, session }.encode());
                    self.introductions += 1;
                }
                _ => ctx.send(from, Wire::Unknown { peer: to }.encode()),
            },
            _ => {}
        }
    }
}
