//! A libp2p peer made only of the handbook's reference parts: TCP, multistream-select
//! `/noise`, Noise XX with libp2p's handshake payload, `/yamux/1.0.0` (all from
//! `solutions/08-handshake`'s `upgrade`), the yamux session of `solutions/07-streams`,
//! and on its streams `/ipfs/ping/1.0.0` and `/ipfs/id/1.0.0` ([`crate::protocols`]).
//!
//! It answers every stream the other side opens with the protocols it knows, counting
//! the pings it answered and the identify requests it served. A test that speaks more
//! (gossipsub's `/meshsub/1.1.0`, [`crate::meshsub`]) names those protocols when it dials
//! or accepts ([`ReferenceNode::dial_serving`]) and takes the streams opened for them
//! from [`ReferenceNode::take_inbound`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use handshake_solution::negotiate::{dialer_select, listener_select};
use handshake_solution::{Role, upgrade};
use identity_solution::{Keypair, PeerId};
use streams_solution::{Session, Stream};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::protocols::{self, IDENTIFY, Identify, PING};

/// The agent version the reference reports in identify.
pub const AGENT: &str = "p2p-handbook-reference/0.1";

/// What the reference answers: in this order in its identify message.
pub const PROTOCOLS: [&str; 2] = [PING, IDENTIFY];

/// How many inbound streams the reference serves at once per connection: a libp2p peer
/// opens one for ping and one per identify; the cap bounds what a misbehaving peer
/// can make this side run.
const MAX_INBOUND_STREAMS: usize = 32;

/// What the reference did for the other side, for the tests to check.
#[derive(Default, Debug)]
pub struct Served {
    pub pings: AtomicUsize,
    pub identifies: AtomicUsize,
}

/// One upgraded connection of the reference peer.
pub struct ReferenceNode {
    pub session: Arc<Session>,
    /// The other side's peer id, proven in the Noise handshake.
    pub remote: PeerId,
    /// The multiplexer agreed (`/yamux/1.0.0`) and whether inside the handshake.
    pub muxer: String,
    pub inlined: bool,
    pub served: Arc<Served>,
    /// The streams the other side opened for one of the extra protocols, with the
    /// protocol agreed; see [`ReferenceNode::take_inbound`].
    inbound: Mutex<Option<mpsc::UnboundedReceiver<(String, Stream)>>>,
}

/// An inbound stream negotiated to one of the extra protocols, for whoever took them.
type Inbound = mpsc::UnboundedSender<(String, Stream)>;

impl ReferenceNode {
    /// Dials `addr` and upgrades the connection as the initiator.
    pub async fn dial(addr: SocketAddr, keypair: Keypair) -> anyhow::Result<ReferenceNode> {
        Self::dial_serving(addr, keypair, &[]).await
    }

    /// Accepts one connection on `listener` and upgrades it as the responder.
    pub async fn accept(listener: &TcpListener, keypair: Keypair) -> anyhow::Result<ReferenceNode> {
        Self::accept_serving(listener, keypair, &[]).await
    }

    /// [`ReferenceNode::dial`], also agreeing to the `extra` protocols on the streams the
    /// other side opens (and listing them in identify), and handing those streams over.
    pub async fn dial_serving(addr: SocketAddr, keypair: Keypair, extra: &[&'static str]) -> anyhow::Result<ReferenceNode> {
        let tcp = TcpStream::connect(addr).await.context("dial")?;
        tcp.set_nodelay(true)?;
        let local = tcp.local_addr()?;
        Self::upgrade(tcp, Role::Initiator, keypair, addr, local, extra).await
    }

    /// [`ReferenceNode::accept`] with `extra` protocols, as [`ReferenceNode::dial_serving`].
    pub async fn accept_serving(listener: &TcpListener, keypair: Keypair, extra: &[&'static str]) -> anyhow::Result<ReferenceNode> {
        let (tcp, remote) = listener.accept().await.context("accept")?;
        tcp.set_nodelay(true)?;
        let local = listener.local_addr()?;
        Self::upgrade(tcp, Role::Responder, keypair, remote, local, extra).await
    }

    /// The streams the other side opens for the extra protocols, with the protocol
    /// agreed on each; `None` after the first call.
    pub fn take_inbound(&self) -> Option<mpsc::UnboundedReceiver<(String, Stream)>> {
        self.inbound.lock().expect("not poisoned").take()
    }

    async fn upgrade(
        tcp: TcpStream,
        role: Role,
        keypair: Keypair,
        remote: SocketAddr,
        local: SocketAddr,
        extra: &[&'static str],
    ) -> anyhow::Result<ReferenceNode> {
        let serving: Vec<&'static str> = PROTOCOLS.iter().chain(extra).copied().collect();
        let identify = Identify {
            protocol_version: "/ipfs/0.1.0".into(),
            agent_version: AGENT.into(),
            public_key: public_key_protobuf(&keypair),
            listen_addrs: vec![protocols::multiaddr(local)],
            observed_addr: protocols::multiaddr(remote),
            protocols: serving.iter().map(|p| p.to_string()).collect(),
        };
        let upgraded = upgrade(tcp, role, keypair).await.context("the reference's upgrade (/noise, Noise XX, /yamux/1.0.0)")?;
        let session = Arc::new(match role {
            Role::Initiator => Session::client(upgraded.stream),
            Role::Responder => Session::server(upgraded.stream),
        });
        let served = Arc::new(Served::default());
        let (inbound_tx, inbound) = mpsc::unbounded_channel();
        tokio::spawn(serve(session.clone(), identify, served.clone(), serving, inbound_tx));
        Ok(ReferenceNode {
            session,
            remote: upgraded.peer,
            muxer: upgraded.muxer,
            inlined: upgraded.inlined,
            served,
            inbound: Mutex::new(Some(inbound)),
        })
    }

    /// Opens a stream, negotiates `/ipfs/ping/1.0.0`, and pings `count` times on it.
    pub async fn ping(&self, count: usize) -> anyhow::Result<Vec<Duration>> {
        let mut stream = self.session.open_stream().await?;
        dialer_select(&mut stream, &[PING]).await.context("negotiating /ipfs/ping/1.0.0")?;
        let mut rtts = Vec::with_capacity(count);
        for _ in 0..count {
            rtts.push(protocols::ping(&mut stream).await.context("a ping")?);
        }
        Ok(rtts)
    }

    /// Asks the other side who it is (`/ipfs/id/1.0.0`).
    pub async fn identify(&self) -> anyhow::Result<Identify> {
        let mut stream = self.session.open_stream().await?;
        dialer_select(&mut stream, &[IDENTIFY]).await.context("negotiating /ipfs/id/1.0.0")?;
        protocols::receive_identify(&mut stream).await
    }
}

/// The libp2p `PublicKey` protobuf of an Ed25519 key: `08 01` (type Ed25519),
/// `12 20` (32 bytes of data), the key.
pub fn public_key_protobuf(keypair: &Keypair) -> Vec<u8> {
    let mut out = vec![0x08, 0x01, 0x12, 0x20];
    out.extend(keypair.public().to_bytes());
    out
}

/// Serves every stream the other side opens, until the session ends.
async fn serve(session: Arc<Session>, identify: Identify, served: Arc<Served>, serving: Vec<&'static str>, inbound: Inbound) {
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_INBOUND_STREAMS));
    while let Some(mut stream) = session.accept_stream().await {
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            stream.reset();
            continue;
        };
        let (identify, served, serving, inbound) = (identify.clone(), served.clone(), serving.clone(), inbound.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match listener_select(&mut stream, &serving).await.as_deref() {
                Ok(PING) => {
                    let _ = protocols::serve_ping(&mut stream, &served.pings).await;
                }
                Ok(IDENTIFY) => {
                    if protocols::send_identify(&mut stream, &identify).await.is_ok() {
                        served.identifies.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Ok(other) if serving.contains(&other) => {
                    // The taker holds the stream as long as it likes: the permit bounds
                    // only the negotiations in progress.
                    let _ = inbound.send((other.to_string(), stream));
                }
                _ => stream.reset(),
            }
        });
    }
}
