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
//!
//! Before a connection is anyone's, [`serve`] accepts it and upgrades it, and a
//! stranger costs little there too: a short deadline for its first bytes, at most
//! [`MAX_UPGRADES`] upgrades at once and [`MAX_UPGRADES_PER_IP`] from one address, and
//! when either is full the oldest upgrade that has not spoken yet (or else the oldest)
//! makes way for the newcomer, so silent sockets can delay a peer by one round trip at
//! most, never keep it out.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use kit::NodeId;
use tokio::net::{TcpListener, TcpStream};
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
    self, ANSWERED, IDENTIFY, Identify, MAX_MESHSUB_FRAME, MAX_PUSH_FRAME, MAX_SWARM_FRAME, MAX_SYNC_FRAME, MESHSUB,
    MESHSUB_V10, PING, PUSH, SWARM, SYNC,
};
use crate::parts::chat::Msg as ChatMsg;
use identity_solution::Keypair;

/// Frames waiting to be written to one peer. A peer that reads slower than the room
/// talks fills it; then the room drops what does not fit (anti-entropy repairs it)
/// instead of buffering without bound.
pub const QUEUE: usize = 256;

/// Substreams the other side may have open at once: one per protocol, a few spares for
/// identify and ping retries. A peer that opens more gets them reset.
pub const MAX_INBOUND_STREAMS: usize = 16;

/// Substreams served at once by this peer, over all its connections: what
/// [`MAX_INBOUND_STREAMS`] bounds per connection, bounded again for the process, so
/// that many connections each at their limit still hold a known amount. Past it, a new
/// substream is reset.
pub const MAX_STREAMS_TOTAL: usize = 256;

/// How long a substream may take to name its protocol (one round trip for an honest
/// peer). A substream that says nothing is reset instead of holding one of the
/// connection's [`MAX_INBOUND_STREAMS`].
pub const NEGOTIATE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the TCP connect and the whole upgrade may take: a peer that accepts and
/// then says nothing must not hold a dial for ever.
pub const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an accepted connection may wait before its first byte. A dialler speaks
/// first (multistream-select's header and `/noise`, in one write), so an honest one
/// has sent it within a round trip; a socket that is silent for this long is closed.
pub const FIRST_BYTES_TIMEOUT: Duration = Duration::from_secs(2);

/// Upgrades in progress at once on the listener.
pub const MAX_UPGRADES: usize = 32;

/// Upgrades in progress at once from one IP address: one host cannot take more than a
/// quarter of [`MAX_UPGRADES`], and past this its own oldest makes way.
pub const MAX_UPGRADES_PER_IP: usize = 8;

/// The substreams served at once by this process ([`MAX_STREAMS_TOTAL`]).
static STREAMS: Semaphore = Semaphore::const_new(MAX_STREAMS_TOTAL);

/// A frame for one of this side's substreams.
#[derive(Debug)]
pub enum Out {
    /// On [`PUSH`].
    Push(Arc<Vec<u8>>),
    /// On [`SYNC`].
    Sync(Vec<u8>),
    /// On [`SWARM`].
    Swarm(Vec<u8>),
    /// On [`MESHSUB`]: one gossipsub RPC.
    Meshsub(Vec<u8>),
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

/// Upgrades an accepted connection as the responder: waits at most
/// [`FIRST_BYTES_TIMEOUT`] for the dialler's first byte (and sets `spoke` once it has
/// come), then at most [`UPGRADE_TIMEOUT`] for the upgrade.
async fn accept(tcp: TcpStream, remote: SocketAddr, keypair: Keypair, spoke: &AtomicBool) -> anyhow::Result<Upgraded> {
    tcp.set_nodelay(true)?;
    let mut first = [0u8; 1];
    match tokio::time::timeout(FIRST_BYTES_TIMEOUT, tcp.peek(&mut first)).await {
        Ok(Ok(1..)) => spoke.store(true, Ordering::Relaxed),
        Ok(Ok(_)) => anyhow::bail!("{remote} closed before saying anything"),
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => anyhow::bail!("{remote} said nothing in {FIRST_BYTES_TIMEOUT:?}"),
    }
    tokio::time::timeout(UPGRADE_TIMEOUT, finish(tcp, Role::Responder, keypair, remote))
        .await
        .map_err(|_| anyhow::anyhow!("{remote} did not finish the handshake in {UPGRADE_TIMEOUT:?}"))?
}

/// One upgrade in progress on the listener.
struct Pending {
    ip: IpAddr,
    /// Whether its first byte has come.
    spoke: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// Which pending upgrade makes way for a new one from `ip`, if one must: from `ip` when
/// it has [`MAX_UPGRADES_PER_IP`], else from anyone when there are [`MAX_UPGRADES`];
/// among those, the oldest that has not spoken yet, or else the oldest.
fn evict(pending: &VecDeque<Pending>, ip: IpAddr) -> Option<usize> {
    let from_ip = pending.iter().filter(|p| p.ip == ip).count();
    let candidates: Vec<usize> = if from_ip >= MAX_UPGRADES_PER_IP {
        (0..pending.len()).filter(|&i| pending[i].ip == ip).collect()
    } else if pending.len() >= MAX_UPGRADES {
        (0..pending.len()).collect()
    } else {
        return None;
    };
    candidates.iter().copied().find(|&i| !pending[i].spoke.load(Ordering::Relaxed)).or(candidates.first().copied())
}

/// Accepts connections on `listener` and upgrades each in a task of its own, within
/// [`MAX_UPGRADES`] and [`MAX_UPGRADES_PER_IP`] (see the module's docs); each upgraded
/// connection goes to the room as [`Event::Up`].
pub async fn serve(listener: TcpListener, keypair: Keypair, events: mpsc::Sender<Event>) {
    let mut pending: VecDeque<Pending> = VecDeque::new();
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of descriptors, most likely: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        pending.retain(|p| !p.task.is_finished());
        if let Some(at) = evict(&pending, remote.ip())
            && let Some(old) = pending.remove(at)
        {
            old.task.abort();
        }
        let spoke = Arc::new(AtomicBool::new(false));
        let (keypair, events, noted) = (keypair.clone(), events.clone(), spoke.clone());
        let task = tokio::spawn(async move {
            if let Ok(up) = accept(tcp, remote, keypair, &noted).await {
                let _ = events.send(Event::Up(up)).await;
            }
        });
        pending.push_back(Pending { ip: remote.ip(), spoke, task });
    }
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
    // peer that does not answer within UPGRADE_TIMEOUT just stays nameless), and its
    // protocol list says whether it speaks the swarm's protocol (a handbook peer) or
    // not (a libp2p node, which the room keeps only as a gossipsub peer). A peer that
    // refuses identify (rust-libp2p's chat example has no identify) is no chat peer
    // either: every chat peer answers it.
    if let Ok(mut stream) = session.open_stream().await {
        let asked = tokio::time::timeout(UPGRADE_TIMEOUT, async {
            match dialer_select(&mut stream, &[IDENTIFY]).await {
                Ok(_) => {}
                Err(NegotiationError::NotSupported) => return Some(FromPeer::Identified { nick: None, swarm: false }),
                Err(_) => return None,
            }
            let identify = ping_identify::receive_identify(&mut stream).await.ok()?;
            Some(FromPeer::Identified {
                nick: wire::nick_of_agent(&identify.agent_version),
                swarm: identify.protocols.iter().any(|p| p == SWARM),
            })
        });
        if let Ok(Some(what)) = asked.await {
            let _ = events.send(Event::Peer { peer: peer.clone(), id, what }).await;
        }
    }
    // Each protocol's substream: not opened yet, open, or refused by the peer (a libp2p
    // node speaks ping, identify and gossipsub but not the chat's own protocols: those
    // frames are dropped).
    enum Slot {
        Closed,
        Open(Stream),
        Refused,
    }
    let (mut push, mut sync, mut swarm, mut meshsub) = (Slot::Closed, Slot::Closed, Slot::Closed, Slot::Closed);
    while let Some(out) = queue.recv().await {
        let (slot, protocol, bytes): (&mut Slot, &str, &[u8]) = match &out {
            Out::Push(b) => (&mut push, PUSH, b.as_slice()),
            Out::Sync(b) => (&mut sync, SYNC, b.as_slice()),
            Out::Swarm(b) => (&mut swarm, SWARM, b.as_slice()),
            Out::Meshsub(b) => (&mut meshsub, MESHSUB, b.as_slice()),
        };
        if let Slot::Closed = slot {
            let mut stream = match session.open_stream().await {
                Ok(s) => s,
                Err(e) => return format!("cannot open a substream: {e}"),
            };
            // Gossipsub: v1.1 first, v1.0 if that is all the peer speaks.
            let offered: &[&str] = if protocol == MESHSUB { &[MESHSUB, MESHSUB_V10] } else { &[protocol] };
            *slot = match dialer_select(&mut stream, offered).await {
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

/// The reader: every substream the other side opens, its protocol negotiated within
/// [`NEGOTIATE_TIMEOUT`] and then served by a task of its own (at most
/// [`MAX_INBOUND_STREAMS`] at once, and [`MAX_STREAMS_TOTAL`] in the process; past
/// either, the substream is reset). Returns why the session ended.
async fn read(session: &Session, peer: &NodeId, id: u64, identify: Identify, events: &mpsc::Sender<Event>) -> String {
    let limit = Arc::new(Semaphore::new(MAX_INBOUND_STREAMS));
    let mut streams = JoinSet::new();
    let identify = Arc::new(identify);
    loop {
        let Some(mut stream) = session.accept_stream().await else {
            return session.ended().map(|e| e.to_string()).unwrap_or_else(|| "closed by the peer".into());
        };
        while streams.try_join_next().is_some() {}
        let (Ok(permit), Ok(total)) = (limit.clone().try_acquire_owned(), STREAMS.try_acquire()) else {
            stream.reset();
            continue;
        };
        let (peer, events, identify) = (peer.clone(), events.clone(), identify.clone());
        streams.spawn(async move {
            let _permits = (permit, total);
            let Ok(Ok(protocol)) =
                tokio::time::timeout(NEGOTIATE_TIMEOUT, listener_select(&mut stream, &ANSWERED)).await
            else {
                stream.reset();
                return;
            };
            let send = |what| Event::Peer { peer: peer.clone(), id, what };
            match protocol.as_str() {
                PING => {
                    let _ = ping_identify::serve_ping(&mut stream, &AtomicUsize::new(0)).await;
                }
                IDENTIFY => {
                    let _ = ping_identify::send_identify(&mut stream, &identify).await;
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
                // Gossipsub: the RPCs go to the room's gossipsub node as they are. A frame
                // over 65,536 bytes or a length that is not a varint ends the substream
                // with a strike (`next`).
                MESHSUB | MESHSUB_V10 => {
                    while let Some(frame) = next(&mut stream, MAX_MESHSUB_FRAME, &events, &send).await {
                        if events.send(send(FromPeer::Meshsub(frame))).await.is_err() {
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
