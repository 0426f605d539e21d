//! The messages: one JSON object per datagram, tagged by `t`.
//!
//! The peer, the relay and the server are ordinary [`kit::Node`]s whose message is
//! [`Msg`]: one datagram, read as a [`Wire`] message if it is one. A node is named by
//! its socket address, as [`kit::udp`] names it ([`id`], [`addr`]), so the same nodes
//! run on the kit's NAT model and on real UDP sockets.

use std::net::{SocketAddr, SocketAddrV4};

use kit::udp::Datagram;
use kit::{Context, NodeId};
use serde::{Deserialize, Serialize};

/// Every message of the exercise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Wire {
    /// Peer → server: I am `peer`.
    Register { peer: String },
    /// Server → peer: this is the address your packets come from (as STUN tells).
    Registered { observed: SocketAddrV4 },
    /// Peer → server: introduce me to `to`.
    Connect { from: String, to: String },
    /// Server → both peers: `peer` appears at `endpoint`; punch, using `session`.
    Introduce { peer: String, endpoint: SocketAddrV4, session: u64 },
    /// Server → peer: nobody called `peer` has registered (yet).
    Unknown { peer: String },
    /// Peer → peer: a punch, sent to open the way through one's own NAT.
    Punch { from: String, session: u64 },
    /// Peer → peer: a punch arrived; the way is open in this direction.
    PunchAck { from: String, session: u64 },
    /// Peer → peer, directly: application data, in the session the server made
    /// (a random number only the two peers know).
    Data { session: u64, data: String },
    /// Peer → relay: relay `session` between me and `to`.
    RelayJoin { from: String, to: String, session: u64 },
    /// Relay → peer: both sides of `session` have joined; data may flow.
    RelayReady { session: u64 },
    /// Relay → peer: no (not a member of that session, or no such session).
    RelayRefused { session: u64, reason: String },
    /// Peer → relay → the other peer: application data.
    RelayData { session: u64, data: String },
}

impl Wire {
    /// The datagram.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("messages always serialize")
    }

    /// Reads a datagram; `None` if it is not one of ours.
    pub fn decode(bytes: &[u8]) -> Option<Wire> {
        serde_json::from_slice(bytes).ok()
    }
}

/// A datagram as a node receives and sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// One of ours.
    Wire(Wire),
    /// Bytes that are not one of ours: nodes drop them.
    Unreadable(Vec<u8>),
}

impl Msg {
    /// The sender's address and the message: `None` if the datagram is not one of ours
    /// or the sender is not an IPv4 socket address (a node drops those).
    pub fn read(self, from: &NodeId) -> Option<(SocketAddrV4, Wire)> {
        match (addr(from)?, self) {
            (from, Msg::Wire(wire)) => Some((from, wire)),
            (_, Msg::Unreadable(_)) => None,
        }
    }
}

impl From<Wire> for Msg {
    fn from(wire: Wire) -> Msg {
        Msg::Wire(wire)
    }
}

impl Datagram for Msg {
    fn from_datagram(bytes: Vec<u8>) -> Msg {
        match Wire::decode(&bytes) {
            Some(wire) => Msg::Wire(wire),
            None => Msg::Unreadable(bytes),
        }
    }

    fn into_datagram(self) -> Result<Vec<u8>, Msg> {
        match self {
            Msg::Wire(wire) => Ok(wire.encode()),
            Msg::Unreadable(bytes) => Ok(bytes),
        }
    }
}

/// The node id of the node at `addr`: its address as text, as [`kit::udp`] names it.
pub fn id(addr: SocketAddrV4) -> NodeId {
    kit::udp::node_id(SocketAddr::V4(addr))
}

/// The IPv4 address a node id names; `None` for anything else (a local client such as
/// `c0`, an IPv6 address).
pub fn addr(id: &NodeId) -> Option<SocketAddrV4> {
    match kit::udp::socket_addr(id)? {
        SocketAddr::V4(addr) => Some(addr),
        SocketAddr::V6(_) => None,
    }
}

/// Sends `message` to the node at `to`, as one datagram.
pub fn send<T>(ctx: &mut Context<Msg, T>, to: SocketAddrV4, message: Wire) {
    ctx.send(id(to), Msg::Wire(message));
}
