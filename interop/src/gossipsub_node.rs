//! A rust-libp2p gossipsub node, built as rust-libp2p's chat example builds one
//! (<https://github.com/libp2p/rust-libp2p/tree/master/examples/chat>): TCP, Noise,
//! yamux, and `gossipsub::Behaviour` with `MessageAuthenticity::Signed` and
//! `ValidationMode::Strict`, the rest of the configuration left at its defaults (the
//! example shortens the heartbeat; this node does not). A task drives the swarm,
//! reports what happened, and runs closures on the behaviour for the caller.

use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, MessageAuthenticity, ValidationMode};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, identity, noise, tcp, yamux};
use tokio::sync::{mpsc, oneshot};

/// The room's topic in rust-libp2p's chat example.
pub const TOPIC: &str = "test-net";

/// What the node saw, simplified for assertions.
#[derive(Debug)]
pub enum GossipSeen {
    Listening(Multiaddr),
    Connected(PeerId),
    Closed(PeerId, String),
    /// A message that passed validation: who passed it on, its id, the message.
    Message {
        propagation_source: PeerId,
        id: gossipsub::MessageId,
        message: gossipsub::Message,
    },
    Subscribed(PeerId, String),
    Unsubscribed(PeerId, String),
    /// The peer does not speak gossipsub.
    NotSupported(PeerId),
    Failed(String),
}

type Call = Box<dyn FnOnce(&mut gossipsub::Behaviour) + Send>;

/// A handle on the running node.
pub struct GossipsubNode {
    pub peer_id: PeerId,
    pub events: mpsc::UnboundedReceiver<GossipSeen>,
    dial: mpsc::UnboundedSender<Multiaddr>,
    calls: mpsc::UnboundedSender<Call>,
}

/// Peer scoring to switch on, as `Behaviour::with_peer_score` takes it.
pub type Scoring = (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds);

impl GossipsubNode {
    /// Starts a node with the Ed25519 secret `secret`, listening on
    /// `/ip4/127.0.0.1/tcp/0`, with peer scoring if `scoring` is given.
    pub fn start(secret: [u8; 32], scoring: Option<Scoring>) -> anyhow::Result<GossipsubNode> {
        let keypair = identity::Keypair::ed25519_from_bytes(secret)?;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)?
            .with_behaviour(|key| -> Result<gossipsub::Behaviour, Box<dyn std::error::Error + Send + Sync>> {
                let config = gossipsub::ConfigBuilder::default().validation_mode(ValidationMode::Strict).build()?;
                Ok(gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), config)?)
            })?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        if let Some((params, thresholds)) = scoring {
            swarm.behaviour_mut().with_peer_score(params, thresholds).map_err(anyhow::Error::msg)?;
        }
        swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
        let peer_id = *swarm.local_peer_id();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (dial, mut dial_rx) = mpsc::unbounded_channel::<Multiaddr>();
        let (calls, mut calls_rx) = mpsc::unbounded_channel::<Call>();
        tokio::spawn(async move {
            loop {
                let seen = tokio::select! {
                    Some(addr) = dial_rx.recv() => match swarm.dial(addr) {
                        Ok(()) => continue,
                        Err(e) => GossipSeen::Failed(format!("dial: {e}")),
                    },
                    Some(call) = calls_rx.recv() => {
                        call(swarm.behaviour_mut());
                        continue;
                    }
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::NewListenAddr { address, .. } => GossipSeen::Listening(address),
                        SwarmEvent::ConnectionEstablished { peer_id, .. } => GossipSeen::Connected(peer_id),
                        SwarmEvent::ConnectionClosed { peer_id, cause, .. } => GossipSeen::Closed(peer_id, format!("{cause:?}")),
                        SwarmEvent::OutgoingConnectionError { error, .. } => GossipSeen::Failed(format!("outgoing connection: {error}")),
                        SwarmEvent::IncomingConnectionError { error, .. } => GossipSeen::Failed(format!("incoming connection: {error}")),
                        SwarmEvent::Behaviour(event) => match event {
                            gossipsub::Event::Message { propagation_source, message_id, message } => {
                                GossipSeen::Message { propagation_source, id: message_id, message }
                            }
                            gossipsub::Event::Subscribed { peer_id, topic, .. } => GossipSeen::Subscribed(peer_id, topic.into_string()),
                            gossipsub::Event::Unsubscribed { peer_id, topic } => GossipSeen::Unsubscribed(peer_id, topic.into_string()),
                            gossipsub::Event::GossipsubNotSupported { peer_id } => GossipSeen::NotSupported(peer_id),
                            _ => continue,
                        },
                        _ => continue,
                    },
                };
                if events_tx.send(seen).is_err() {
                    return;
                }
            }
        });
        Ok(GossipsubNode { peer_id, events, dial, calls })
    }

    /// Asks the node to dial `addr`.
    pub fn dial(&self, addr: Multiaddr) {
        let _ = self.dial.send(addr);
    }

    /// Runs `f` on the node's gossipsub behaviour, in its task, and returns what it returns.
    pub async fn with<T: Send + 'static>(&self, f: impl FnOnce(&mut gossipsub::Behaviour) -> T + Send + 'static) -> T {
        let (tx, rx) = oneshot::channel();
        let call: Call = Box::new(move |b| {
            let _ = tx.send(f(b));
        });
        self.calls.send(call).expect("the node's task is running");
        rx.await.expect("the node's task answers")
    }

    /// Waits up to `timeout` for an event that `pick` accepts; the events skipped are
    /// returned in the error, to say what happened instead.
    pub async fn wait_for<T>(&mut self, timeout: Duration, mut pick: impl FnMut(&GossipSeen) -> Option<T>) -> Result<T, Vec<String>> {
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
                GossipSeen::Listening(a) => Some(a.clone()),
                _ => None,
            })
            .await
            .map_err(|skipped| anyhow::anyhow!("the gossipsub node reported no listen address: {skipped:?}"))?;
        addr.iter()
            .find_map(|p| match p {
                libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
                _ => None,
            })
            .ok_or_else(|| anyhow::anyhow!("no TCP port in {addr}"))
    }
}
