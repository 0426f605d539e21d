//! One connection to another peer: TCP, upgraded by the handshake chapter (`/noise`,
//! Noise XX with libp2p's payload, `/yamux/1.0.0`), multiplexed by the streams chapter's
//! yamux, with one substream per protocol ([`super::wire`]).
//!
//! A connection is two tasks and a queue. The writer opens this side's substreams the
//! first time it has something for them and writes the frames the room queues; the
//! reader accepts the other side's substreams, negotiates each one's protocol and turns
//! its frames into [`Event`]s for the room. Everything a connection holds is bounded
//! (the queue, the substreams served at once, each frame) and is freed when it ends: the
//! room dropping its [`Conn`] aborts both tasks, which drops the session and every
//! substream with it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kit::NodeId;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::parts::handshake::NegotiationError;
use super::parts::handshake::negotiate::{dialer_select, listener_select};
use super::parts::handshake::{Role, upgrade};
use super::parts::secure_gossip::Envelope;
use super::parts::streams::frame::{FrameError, read_frame, write_frame};
use super::parts::streams::{Session, Stream};
use super::parts::swarm;
use super::room::{Event, FromPeer};
use super::wire::{
    self, IDENTIFY, Identify, MAX_PUSH_FRAME, MAX_SWARM_FRAME, MAX_SYNC_FRAME, PING, PROTOCOLS, PUSH, SWARM, SYNC,
};
use crate::chat_lib::Msg as ChatMsg;
use identity_solution::Keypair;

/// Frames waiting to be written to one peer. A peer that reads slower than the room
/// talks fills it; then the room drops what does not fit (anti-entropy repairs it)
/// instead of buffering without bound.
pub const QUEUE: usize = 256;

/// Substreams the other side may have open at once: one per protocol, a few spares for
/// identify and ping retries. A peer that opens more gets them reset.
pub const MAX_INBOUND_STREAMS: usize = 16;

/// How long the TCP connect and the whole upgrade may take: a peer that accepts and
/// then says nothing must not hold a dial for ever.
pub const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// A frame for one of this side's substreams.
#[derive(Debug)]
pub enum Out {
    /// On [`PUSH`].
    Push(Arc<Vec<u8>>),
    /// On [`SYNC`].
    Sync(Vec<u8>),
    /// On [`SWARM`].
    Swarm(Vec<u8>),
}

/// The room's handle on a live connection. Dropping it ends the connection.
pub struct Conn {
    /// Which connection to this peer this is (the room counts them).
    pub id: u64,
    /// Whether this side dialled.
    pub dialed: bool,
    /// The writer's queue.
    pub out: mpsc::Sender<Out>,
    /// The connection's tasks: aborted, with everything they hold, when this is dropped.
    tasks: JoinSet<()>,
}

/// An upgraded connection, before the room takes it.
pub struct Upgraded {
    /// The other side's peer id, proven by the handshake.
    pub peer: NodeId,
    /// The yamux session.
    pub session: Session,
    /// Whether this side dialled.
    pub dialed: bool,
    /// The other side's address, for identify.
    pub remote: SocketAddr,
}

/// Dials `addr` and upgrades the connection as the initiator, within [`UPGRADE_TIMEOUT`].
pub async fn dial(addr: SocketAddr, keypair: Keypair) -> anyhow::Result<Upgraded> {
    tokio::time::timeout(UPGRADE_TIMEOUT, async {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        finish(tcp, Role::Initiator, keypair, addr).await
    })
    .await
    .map_err(|_| anyhow::anyhow!("no answer from {addr} in {UPGRADE_TIMEOUT:?}"))?
}

/// Upgrades an accepted connection as the responder, within [`UPGRADE_TIMEOUT`].
pub async fn accept(tcp: TcpStream, remote: SocketAddr, keypair: Keypair) -> anyhow::Result<Upgraded> {
    tcp.set_nodelay(true)?;
    tokio::time::timeout(UPGRADE_TIMEOUT, finish(tcp, Role::Responder, keypair, remote))
        .await
        .map_err(|_| anyhow::anyhow!("{remote} did not finish the handshake in {UPGRADE_TIMEOUT:?}"))?
}

async fn finish(tcp: TcpStream, role: Role, keypair: Keypair, remote: SocketAddr) -> anyhow::Result<Upgraded> {
    let upgraded = upgrade(tcp, role, keypair).await?;
    anyhow::ensure!(
        upgraded.muxer == super::parts::handshake::negotiate::YAMUX,
        "the peer chose {} as multiplexer",
        upgraded.muxer
    );
    let session = match role {
        Role::Initiator => Session::client(upgraded.stream),
        Role::Responder => Session::server(upgraded.stream),
    };
    Ok(Upgraded { peer: NodeId::new(upgraded.peer.to_string()), session, dialed: role == Role::Initiator, remote })
}

/// Starts the connection's tasks; from now on its substreams' frames arrive as
/// `Event::Peer` on `events`, and `Event::Down` once when it ends.
pub fn start(up: Upgraded, id: u64, identify: Identify, events: mpsc::Sender<Event>) -> Conn {
    let (out, queue) = mpsc::channel(QUEUE);
    let session = Arc::new(up.session);
    let mut tasks = JoinSet::new();
    let peer = up.peer.clone();
    let (s, p, e) = (session.clone(), peer.clone(), events.clone());
    tasks.spawn(async move {
        let why = tokio::select! {
            why = write(&s, queue, &p, id, &e) => why,
            why = read(&s, &p, id, identify, &e) => why,
        };
        let _ = e.send(Event::Down { peer: p, id, why }).await;
    });
    Conn { id, dialed: up.dialed, out, tasks }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The writer: each frame on this side's substream for its protocol, opened (and its
/// protocol negotiated) the first time. Returns why it stopped.
async fn write(
    session: &Session,
    mut queue: mpsc::Receiver<Out>,
    peer: &NodeId,
    id: u64,
    events: &mpsc::Sender<Event>,
) -> String {
    // First, who is it? A chat peer's identify carries its nick (one small message; a
    // peer that does not answer within UPGRADE_TIMEOUT just stays nameless).
    if let Ok(mut stream) = session.open_stream().await {
        let asked = tokio::time::timeout(UPGRADE_TIMEOUT, async {
            dialer_select(&mut stream, &[IDENTIFY]).await.ok()?;
            wire::ask_identify(&mut stream).await.ok()
        });
        if let Ok(Some(agent)) = asked.await
            && let Some(nick) = wire::nick_of_agent(&agent)
        {
            let _ = events.send(Event::Peer { peer: peer.clone(), id, what: FromPeer::Nick(nick) }).await;
        }
    }
    // Each protocol's substream: not opened yet, open, or refused by the peer (a libp2p
    // node speaks ping and identify but not the chat's protocols: its frames are dropped,
    // and the room closes the connection once it has carried no neighbour for GRACE).
    enum Slot {
        Closed,
        Open(Stream),
        Refused,
    }
    let (mut push, mut sync, mut swarm) = (Slot::Closed, Slot::Closed, Slot::Closed);
    while let Some(out) = queue.recv().await {
        let (slot, protocol, bytes): (&mut Slot, &str, &[u8]) = match &out {
            Out::Push(b) => (&mut push, PUSH, b.as_slice()),
            Out::Sync(b) => (&mut sync, SYNC, b.as_slice()),
            Out::Swarm(b) => (&mut swarm, SWARM, b.as_slice()),
        };
        if let Slot::Closed = slot {
            let mut stream = match session.open_stream().await {
                Ok(s) => s,
                Err(e) => return format!("cannot open a substream: {e}"),
            };
            *slot = match dialer_select(&mut stream, &[protocol]).await {
                Ok(_) => Slot::Open(stream),
                Err(NegotiationError::NotSupported) => Slot::Refused,
                Err(e) => return format!("negotiating {protocol}: {e}"),
            };
        }
        let Slot::Open(stream) = slot else { continue };
        if let Err(e) = write_frame(stream, bytes).await {
            return format!("writing on {protocol}: {e}");
        }
    }
    "closed by this side".into()
}

/// The reader: every substream the other side opens, its protocol negotiated and then
/// served by a task of its own (at most [`MAX_INBOUND_STREAMS`] at once). Returns why
/// the session ended.
async fn read(session: &Session, peer: &NodeId, id: u64, identify: Identify, events: &mpsc::Sender<Event>) -> String {
    let limit = Arc::new(Semaphore::new(MAX_INBOUND_STREAMS));
    let mut streams = JoinSet::new();
    let identify = Arc::new(identify);
    loop {
        let Some(mut stream) = session.accept_stream().await else {
            return session.ended().map(|e| e.to_string()).unwrap_or_else(|| "closed by the peer".into());
        };
        while streams.try_join_next().is_some() {}
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            stream.reset();
            continue;
        };
        let (peer, events, identify) = (peer.clone(), events.clone(), identify.clone());
        streams.spawn(async move {
            let _permit = permit;
            let Ok(protocol) = listener_select(&mut stream, &PROTOCOLS).await else {
                stream.reset();
                return;
            };
            let send = |what| Event::Peer { peer: peer.clone(), id, what };
            match protocol.as_str() {
                PING => {
                    let _ = wire::serve_ping(&mut stream).await;
                }
                IDENTIFY => {
                    let _ = identify.send(&mut stream).await;
                }
                PUSH => {
                    while let Some(frame) = next(&mut stream, MAX_PUSH_FRAME, &events, &send).await {
                        let what = match serde_json::from_slice::<Envelope>(&frame) {
                            Ok(envelope) => FromPeer::Push(envelope),
                            Err(_) => FromPeer::Malformed("a push that is not an envelope"),
                        };
                        if events.send(send(what)).await.is_err() {
                            return;
                        }
                    }
                }
                SYNC => {
                    while let Some(frame) = next(&mut stream, MAX_SYNC_FRAME, &events, &send).await {
                        // A peer may only speak anti-entropy here: `Say` or `History`
                        // from the network would write or read as if it were our user.
                        let what = match serde_json::from_slice::<ChatMsg>(&frame) {
                            Ok(msg @ (ChatMsg::Have { .. } | ChatMsg::Entries { .. })) => FromPeer::Sync(msg),
                            _ => FromPeer::Malformed("a sync frame that is not Have or Entries"),
                        };
                        if events.send(send(what)).await.is_err() {
                            return;
                        }
                    }
                }
                SWARM => {
                    while let Some(frame) = next(&mut stream, MAX_SWARM_FRAME, &events, &send).await {
                        let what = match serde_json::from_slice::<swarm::Msg>(&frame) {
                            Ok(swarm::Msg::Read | swarm::Msg::ReadOk { .. }) | Err(_) => {
                                FromPeer::Malformed("a swarm frame that is not a node's message")
                            }
                            Ok(msg) => FromPeer::Swarm(msg),
                        };
                        if events.send(send(what)).await.is_err() {
                            return;
                        }
                    }
                }
                _ => stream.reset(),
            }
        });
    }
}

/// The next frame of at most `max` bytes on `stream`, or `None` at its end. A frame over
/// `max` or a length that is not a varint is reported to the room as malformed; a stream
/// that ends or is reset, even inside a frame, is what a restart or the one-connection-
/// per-pair tie-break does, and ends the stream without a word.
async fn next(
    stream: &mut Stream,
    max: usize,
    events: &mpsc::Sender<Event>,
    send: &impl Fn(FromPeer) -> Event,
) -> Option<Vec<u8>> {
    let why = match read_frame(stream, max).await {
        Ok(frame) => return frame,
        Err(FrameError::Truncated | FrameError::Io(_)) => return None,
        Err(FrameError::TooLarge { .. }) => "an oversized frame",
        Err(FrameError::BadLength) => "a frame length that is not a varint",
    };
    let _ = events.send(send(FromPeer::Malformed(why))).await;
    None
}
