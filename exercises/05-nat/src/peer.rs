//! A peer: register with the server, get introduced, punch, fall back to the relay.

use std::net::SocketAddrV4;
use std::time::Duration;

use kit::{Context, Node, NodeId};

use crate::wire::{Msg, Wire, send};

/// How often a peer acts: resends punches, joins, connects.
pub const TICK: Duration = Duration::from_millis(200);
/// How long a peer punches before it falls back to the relay.
pub const PUNCH_FOR: Duration = Duration::from_secs(2);
/// How long a dialling peer waits before asking the server again.
pub const RECONNECT: Duration = Duration::from_secs(1);

/// What wakes a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Time to act: resend whatever has not been answered yet.
    Tick,
}

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

    /// If this peer dials, asks the server to introduce it to the peer it dials, and
    /// notes when (for [`RECONNECT`]).
    fn ask_server(&mut self, ctx: &mut Context<Msg, Timer>) {
        if let Some(to) = self.dial.clone() {
            self.last_connect = Some(ctx.now());
            send(ctx, self.server, Wire::Connect { from: self.id.clone(), to });
        }
    }

    /// The way is open to `path` (a punch got through, or the relay is ready):
    /// remember it, and say hello over it.
    ///
    /// Called for every punch that gets through, so it must tell news from repeats:
    /// a connection opens once, and the greeting goes once per path. A direct path
    /// replaces a relayed one (a punch can get through late), never the reverse.
    fn connected(&mut self, ctx: &mut Context<Msg, Timer>, path: Path) {
        // TODO (step 3)
        // TODO (step 4): the relayed path, and the upgrade to direct
        todo!()
    }

    /// Sends `data` to the other peer over the connection: straight to the punched
    /// address, or through the relay, tagged with the session either way. Without a
    /// connection there is nowhere to send it, and it is dropped.
    pub fn send_data(&mut self, ctx: &mut Context<Msg, Timer>, data: String) {
        // TODO (step 3): direct
        // TODO (step 4): relayed
        todo!()
    }

    /// Keeps `data` from the other peer, once: the same greeting may come twice, over
    /// two paths.
    fn receive(&mut self, data: String) {
        if !self.received.contains(&data) {
            self.received.push(data);
        }
    }

    /// One punch toward the other peer of the session, at the endpoint the server saw
    /// it at: it opens the way out through our own NAT, and gets through theirs if
    /// theirs lets it in.
    fn punch(&self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 3)
        todo!()
    }

    /// Whether `from` and `session` name the session we are in.
    fn ours(&self, from: &str, session: u64) -> bool {
        self.session.as_ref().is_some_and(|s| s.peer == from && s.id == session)
    }
}

impl Node for Peer {
    type Message = Msg;
    type Timer = Timer;

    /// Registers with the server, and starts the tick that drives every retry: a
    /// datagram may be lost, so nothing is sent once and trusted to arrive.
    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        // TODO (step 3)
        todo!()
    }

    /// One datagram. What each message means is in [`Wire`]; whom to believe is the
    /// point: the server's messages only from the server, the relay's only from the
    /// relay and for our session, and the other peer's only for our session (the peer
    /// and the number the server named), but from whatever address they arrive, since
    /// that address is the way through. A punch is answered where it came from.
    /// Anything else is dropped. [`Msg::read`] gives the sender's address and the
    /// message, if it is one of ours.
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        // TODO (step 3): register, introduction, punches, direct data
        // TODO (step 4): the relay's answers
        // TODO (step 5): the reference's punches and data may cross or overtake yours
        todo!()
    }

    /// The tick: every retry happens here, paced by [`TICK`], [`PUNCH_FOR`] and
    /// [`RECONNECT`], until there is a connection.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, timer: Timer) {
        // TODO (step 3): keep trying to register, be introduced, punch
        // TODO (step 4): after PUNCH_FOR, the relay
        todo!()
    }
}
