//! A peer: register with the server, get introduced, punch, fall back to the relay.

use std::net::SocketAddrV4;
use std::time::Duration;

use kit::nat::{Host, HostContext};

use crate::wire::Wire;

/// How often a peer acts: resends punches, joins, connects.
pub const TICK: Duration = Duration::from_millis(200);
/// How long a peer punches before it falls back to the relay.
pub const PUNCH_FOR: Duration = Duration::from_secs(2);
/// How long a dialling peer waits before asking the server again.
pub const RECONNECT: Duration = Duration::from_secs(1);

/// The timer tag of the tick.
const TICK_TAG: u64 = 1;

/// How the two peers reach each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Straight to this address: the hole is punched.
    Direct(SocketAddrV4),
    /// Through the relay.
    Relayed,
}

/// An established connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub peer: String,
    pub path: Path,
}

/// What the server told us about the other peer.
#[derive(Clone, Debug)]
struct Session {
    peer: String,
    endpoint: SocketAddrV4,
    id: u64,
    started: Duration,
}

/// A peer behind a NAT.
#[derive(Debug)]
pub struct Peer {
    id: String,
    server: SocketAddrV4,
    relay: SocketAddrV4,
    dial: Option<String>,
    observed: Option<SocketAddrV4>,
    session: Option<Session>,
    last_connect: Option<Duration>,
    relay_joined: bool,
    connection: Option<Connection>,
    received: Vec<String>,
}

impl Peer {
    /// A peer called `id` that uses `server` and `relay`, and dials `dial` if given.
    pub fn new(id: &str, server: SocketAddrV4, relay: SocketAddrV4, dial: Option<&str>) -> Peer {
        Peer {
            id: id.to_string(),
            server,
            relay,
            dial: dial.map(str::to_string),
            observed: None,
            session: None,
            last_connect: None,
            relay_joined: false,
            connection: None,
            received: Vec::new(),
        }
    }

    /// Where the server sees this peer (its public address and port).
    pub fn observed(&self) -> Option<SocketAddrV4> {
        self.observed
    }

    /// The connection, once there is one.
    pub fn connection(&self) -> Option<&Connection> {
        self.connection.as_ref()
    }

    /// The data received from the other peer, in order, without repeats.
    pub fn received(&self) -> &[String] {
        &self.received
    }

    /// What this peer says when a connection opens.
    pub fn greeting(&self) -> String {
        format!("hello from {}", self.id)
    }

    fn ask_server(&mut self, ctx: &mut HostContext) {

        // TODO (step 3–5)

        todo!()

    }

    /// The way is open to `path` (a punch got through, or the relay is ready):
    /// remember it, and say hello over it.
    fn connected(&mut self, ctx: &mut HostContext, path: Path) {
        // TODO (step 3–5)
        todo!()
    }

    /// Sends `data` to the other peer over the connection.
    pub fn send_data(&mut self, ctx: &mut HostContext, data: String) {
        // TODO (step 3–5)
        todo!()
    }

    fn receive(&mut self, data: String) {

        // TODO (step 3–5)

        todo!()

    }

    fn punch(&self, ctx: &mut HostContext) {

        // TODO (step 3–5)

        todo!()

    }

    /// Whether `from` and `session` name the session we are in.
    fn ours(&self, from: &str, session: u64) -> bool {
        // TODO (step 3–5)
        todo!()
    }
}

impl Host for Peer {
    fn on_start(&mut self, ctx: &mut HostContext) {
        // TODO (step 3–5)
        todo!()
    }

    fn on_packet(&mut self, ctx: &mut HostContext, from: SocketAddrV4, payload: &[u8]) {

        // TODO (step 3–5)

        todo!()

    }

    fn on_timer(&mut self, ctx: &mut HostContext, tag: u64) {

        // TODO (step 3–5)

        todo!()

    }
}
