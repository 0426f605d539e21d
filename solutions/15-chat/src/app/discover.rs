//! Finding the room, three ways, all at any time: whatever they find goes to the room
//! as [`Event::Found`], and the swarm dials it. A peer that joins late is found, and
//! finds the others, the same way as one that was there first.
//!
//! - **mDNS** (the mdns chapter): announce this peer under the room's topic and browse
//!   for the others, on the loopback interface (one machine) or every interface
//!   (`--lan`). The discovery crate's calls block, so it runs on a thread of its own.
//! - **rendezvous** (the rendezvous chapter): where multicast is blocked, register with
//!   a rendezvous server and ask it for the others, every [`RENDEZVOUS_EVERY`].
//! - **by hand**: `--peer HOST:PORT`, dialled until it answers (the room does it).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kit::NodeId;
use tokio::sync::mpsc;

use super::parts::mdns::{Discovery, Event as MdnsEvent, Interface};
use super::parts::rendezvous::Client;
use super::room::Event;

/// How often the rendezvous server is asked who is in the room (and our registration
/// refreshed).
pub const RENDEZVOUS_EVERY: Duration = Duration::from_secs(1);

/// How long a rendezvous registration lives without a refresh: a peer that leaves
/// without a word drops out of the list within this.
pub const RENDEZVOUS_TTL: u64 = 30;

/// A running mDNS announcement and browser; [`Mdns::stop`] says goodbye.
pub struct Mdns {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mdns {
    /// Announces `me` for `topic` on `port` over `interface` and reports every peer it
    /// finds or loses to `events`.
    pub fn start(
        interface: Interface,
        me: &str,
        topic: &str,
        port: u16,
        events: mpsc::Sender<Event>,
    ) -> anyhow::Result<Mdns> {
        let mut discovery = Discovery::start(&interface, me, topic, port)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let event = match discovery.next_event(Duration::from_millis(200)) {
                    Some(MdnsEvent::Joined(peer)) => {
                        // On one machine, its loopback address; on the LAN, one the others
                        // can reach (not loopback), IPv4 first.
                        let lan = interface != Interface::Loopback;
                        let usable = |a: &&IpAddr| a.is_loopback() != lan;
                        let Some(ip) = peer
                            .addrs
                            .iter()
                            .filter(usable)
                            .find(|a| a.is_ipv4())
                            .or(peer.addrs.iter().find(usable))
                            .or(peer.addrs.first())
                        else {
                            continue;
                        };
                        Event::Found {
                            peer: Some(NodeId::new(peer.peer)),
                            addr: SocketAddr::new(*ip, peer.port),
                            via: "mdns",
                        }
                    }
                    Some(MdnsEvent::Left(peer)) => Event::Lost { peer: NodeId::new(peer) },
                    None => continue,
                };
                if events.blocking_send(event).is_err() {
                    break;
                }
            }
            discovery.stop();
        });
        Ok(Mdns { stop, thread: Some(thread) })
    }

    /// Says goodbye on the network and stops.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Registers with the rendezvous server at `server` and reports the room's members to
/// `events`, until `events` closes. Errors (a server away, a reply refused) are retried
/// after [`RENDEZVOUS_EVERY`]; the first is reported once on `notices`.
pub async fn rendezvous(
    server: SocketAddr,
    topic: String,
    me: String,
    listen: SocketAddr,
    events: mpsc::Sender<Event>,
) {
    // What the others should dial: the address this machine uses towards the server
    // (found by routing a UDP socket, which sends nothing), unless we listen on one.
    let ip = if listen.ip().is_unspecified() { local_ip_towards(server).unwrap_or(listen.ip()) } else { listen.ip() };
    let advertised = SocketAddr::new(ip, listen.port()).to_string();
    let mut client = None;
    loop {
        if events.is_closed() {
            return;
        }
        if client.is_none() {
            client = Client::connect(server).await.ok();
        }
        if let Some(c) = client.as_mut() {
            let round = async {
                c.register(&topic, &me, std::slice::from_ref(&advertised), RENDEZVOUS_TTL).await?;
                c.discover_all(&topic).await
            };
            match round.await {
                Ok(peers) => {
                    for registration in peers {
                        let Some(addr) = registration.addrs.iter().find_map(|a| a.parse::<SocketAddr>().ok()) else {
                            continue;
                        };
                        let event =
                            Event::Found { peer: Some(NodeId::new(registration.peer)), addr, via: "rendezvous" };
                        if events.send(event).await.is_err() {
                            return;
                        }
                    }
                }
                Err(_) => client = None,
            }
        }
        tokio::time::sleep(RENDEZVOUS_EVERY).await;
    }
}

fn local_ip_towards(server: SocketAddr) -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind(if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).ok()?;
    socket.connect(server).ok()?;
    Some(socket.local_addr().ok()?.ip())
}
