//! A libp2p peer made only of the handbook's reference parts: TCP, multistream-select
//! `/noise`, Noise XX with libp2p's handshake payload, `/yamux/1.0.0` (all from
//! `solutions/08-handshake`'s `upgrade`), the yamux session of `solutions/07-streams`,
//! and on its streams `/ipfs/ping/1.0.0` and `/ipfs/id/1.0.0` ([`crate::protocols`]).
//!
//! It answers every stream the other side opens with the protocols it knows, counting
//! the pings it answered and the identify requests it served.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use handshake_solution::negotiate::{dialer_select, listener_select};
use handshake_solution::{Role, upgrade};
use identity_solution::{Keypair, PeerId};
use streams_solution::Session;
use tokio::net::{TcpListener, TcpStream};

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
}

impl ReferenceNode {
    /// Dials `addr` and upgrades the connection as the initiator.
    pub async fn dial(addr: SocketAddr, keypair: Keypair) -> anyhow::Result<ReferenceNode> {
        let tcp = TcpStream::connect(addr).await.context("dial")?;
        tcp.set_nodelay(true)?;
        let local = tcp.local_addr()?;
        Self::upgrade(tcp, Role::Initiator, keypair, addr, local).await
    }

    /// Accepts one connection on `listener` and upgrades it as the responder.
    pub async fn accept(listener: &TcpListener, keypair: Keypair) -> anyhow::Result<ReferenceNode> {
        let (tcp, remote) = listener.accept().await.context("accept")?;
        tcp.set_nodelay(true)?;
        let local = listener.local_addr()?;
        Self::upgrade(tcp, Role::Responder, keypair, remote, local).await
    }

    async fn upgrade(tcp: TcpStream, role: Role, keypair: Keypair, remote: SocketAddr, local: SocketAddr) -> anyhow::Result<ReferenceNode> {
        let identify = Identify {
            protocol_version: "/ipfs/0.1.0".into(),
            agent_version: AGENT.into(),
            public_key: public_key_protobuf(&keypair),
            listen_addrs: vec![protocols::multiaddr(local)],
            observed_addr: protocols::multiaddr(remote),
            protocols: PROTOCOLS.iter().map(|p| p.to_string()).collect(),
        };
        let upgraded = upgrade(tcp, role, keypair).await.context("the reference's upgrade (/noise, Noise XX, /yamux/1.0.0)")?;
        let session = Arc::new(match role {
            Role::Initiator => Session::client(upgraded.stream),
            Role::Responder => Session::server(upgraded.stream),
        });
        let served = Arc::new(Served::default());
        tokio::spawn(serve(session.clone(), identify, served.clone()));
        Ok(ReferenceNode { session, remote: upgraded.peer, muxer: upgraded.muxer, inlined: upgraded.inlined, served })
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
async fn serve(session: Arc<Session>, identify: Identify, served: Arc<Served>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_INBOUND_STREAMS));
    while let Some(mut stream) = session.accept_stream().await {
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            stream.reset();
            continue;
        };
        let (identify, served) = (identify.clone(), served.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match listener_select(&mut stream, &PROTOCOLS).await.as_deref() {
                Ok(PING) => {
                    let _ = protocols::serve_ping(&mut stream, &served.pings).await;
                }
                Ok(IDENTIFY) => {
                    if protocols::send_identify(&mut stream, &identify).await.is_ok() {
                        served.identifies.fetch_add(1, Ordering::SeqCst);
                    }
                }
                _ => stream.reset(),
            }
        });
    }
}
