//! A rust-libp2p node (<https://github.com/libp2p/rust-libp2p>) with what the reference
//! stack speaks: TCP, Noise, yamux, ping and identify, built the way rust-libp2p's own
//! examples build one, and driven by a task that reports what happened.

use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, identify, identity, noise, ping, tcp, yamux};
use tokio::sync::mpsc;

/// The agent version the libp2p node reports in identify.
pub const AGENT: &str = "rust-libp2p-interop/0.57";

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pub ping: ping::Behaviour,
    pub identify: identify::Behaviour,
}

/// What the node saw, simplified for assertions.
#[derive(Debug)]
pub enum Seen {
    Listening(Multiaddr),
    Connected(PeerId),
    Closed(PeerId, String),
    /// One of its own pings, answered (Ok, the round trip) or not.
    Pinged(PeerId, Result<Duration, String>),
    /// Identify information received from a peer.
    Identified(PeerId, Box<identify::Info>),
    /// A failure to dial, to accept, or to identify.
    Failed(String),
}

/// A handle on the running node.
pub struct Libp2pNode {
    pub peer_id: PeerId,
    pub keypair: identity::Keypair,
    pub events: mpsc::UnboundedReceiver<Seen>,
    dial: mpsc::UnboundedSender<Multiaddr>,
}

impl Libp2pNode {
    /// Starts a node listening on `/ip4/127.0.0.1/tcp/0` that pings every connected
    /// peer every `ping_every`.
    pub fn start(ping_every: Duration) -> anyhow::Result<Libp2pNode> {
        let keypair = identity::Keypair::generate_ed25519();
        // ANCHOR: swarm
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair.clone())
            .with_tokio()
            .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)?
            .with_behaviour(|key| Behaviour {
                ping: ping::Behaviour::new(ping::Config::new().with_interval(ping_every)),
                identify: identify::Behaviour::new(
                    identify::Config::new("/ipfs/0.1.0".into(), key.public()).with_agent_version(AGENT.into()),
                ),
            })?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
        // ANCHOR_END: swarm
        let peer_id = *swarm.local_peer_id();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (dial, mut dial_rx) = mpsc::unbounded_channel::<Multiaddr>();
        tokio::spawn(async move {
            loop {
                let seen = tokio::select! {
                    Some(addr) = dial_rx.recv() => match swarm.dial(addr) {
                        Ok(()) => continue,
                        Err(e) => Seen::Failed(format!("dial: {e}")),
                    },
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::NewListenAddr { address, .. } => Seen::Listening(address),
                        SwarmEvent::ConnectionEstablished { peer_id, .. } => Seen::Connected(peer_id),
                        SwarmEvent::ConnectionClosed { peer_id, cause, .. } => Seen::Closed(peer_id, format!("{cause:?}")),
                        SwarmEvent::OutgoingConnectionError { error, .. } => Seen::Failed(format!("outgoing connection: {error}")),
                        SwarmEvent::IncomingConnectionError { error, .. } => Seen::Failed(format!("incoming connection: {error}")),
                        SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, result, .. })) => {
                            Seen::Pinged(peer, result.map_err(|e| e.to_string()))
                        }
                        SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) => {
                            Seen::Identified(peer_id, Box::new(info))
                        }
                        SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Error { error, .. })) => {
                            Seen::Failed(format!("identify: {error}"))
                        }
                        _ => continue,
                    },
                };
                if events_tx.send(seen).is_err() {
                    return;
                }
            }
        });
        Ok(Libp2pNode { peer_id, keypair, events, dial })
    }

    /// Asks the node to dial `addr`.
    pub fn dial(&self, addr: Multiaddr) {
        let _ = self.dial.send(addr);
    }

    /// Waits up to `timeout` for an event that `pick` accepts, returning what it made
    /// of it; the events skipped are returned in the error, to say what happened instead.
    pub async fn wait_for<T>(&mut self, timeout: Duration, mut pick: impl FnMut(&Seen) -> Option<T>) -> Result<T, Vec<String>> {
        let mut skipped = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(seen)) => match pick(&seen) {
                    Some(found) => return Ok(found),
                    None => skipped.push(format!("{seen:?}")),
                },
                Ok(None) | Err(_) => return Err(skipped),
            }
        }
    }

    /// The TCP port it listens on.
    pub async fn listening_port(&mut self) -> anyhow::Result<u16> {
        let addr = self
            .wait_for(Duration::from_secs(10), |s| match s {
                Seen::Listening(a) => Some(a.clone()),
                _ => None,
            })
            .await
            .map_err(|skipped| anyhow::anyhow!("the libp2p node reported no listen address: {skipped:?}"))?;
        addr.iter()
            .find_map(|p| match p {
                libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
                _ => None,
            })
            .ok_or_else(|| anyhow::anyhow!("no TCP port in {addr}"))
    }
}
