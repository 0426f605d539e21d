//! The messages: one JSON object per datagram, tagged by `t`.

use std::net::SocketAddrV4;

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
