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
//!
//! A peer is known for as long as discovery keeps reporting it: rendezvous every
//! [`RENDEZVOUS_EVERY`], mDNS every [`MDNS_REFRESH`] for each peer it has not seen
//! leave. [`Heard`] is the room's record of when each was last reported; one not heard
//! of for [`KNOWN_TTL`] is forgotten unless connected, and when the room's list is full
//! a newcomer takes the place of the one heard of least recently, so names that nobody
//! announces any more never keep a real peer out.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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

/// How often the mDNS browser reports again every peer it has found and not seen
/// leave (mDNS itself reports a peer once, when it appears).
pub const MDNS_REFRESH: Duration = Duration::from_secs(5);

/// How long a known peer stays known without discovery reporting it again, unless it
/// is connected: four mDNS refreshes, twenty rendezvous rounds.
pub const KNOWN_TTL: Duration = Duration::from_secs(20);

/// Peers the mDNS browser remembers to report again (a LAN that announces more is
/// reported as it announces, without refreshes past this many).
pub const MDNS_REMEMBERED: usize = 1024;

/// When each known peer was last heard of: by discovery, or by connecting.
#[derive(Debug, Default)]
pub struct Heard {
    at: BTreeMap<NodeId, Instant>,
}

impl Heard {
    /// `peer` was heard of now.
    pub fn note(&mut self, peer: &NodeId) {
        self.at.insert(peer.clone(), Instant::now());
    }

    /// Whether `known` has room for one more peer, making it if it must: when `known`
    /// holds `max`, the peer heard of least recently among those not `connected` is
    /// forgotten. `false` only when every one is connected.
    pub fn make_room<V>(
        &mut self,
        known: &mut BTreeMap<NodeId, V>,
        max: usize,
        connected: impl Fn(&NodeId) -> bool,
    ) -> bool {
        if known.len() < max {
            return true;
        }
        self.at.retain(|p, _| known.contains_key(p));
        let never = Instant::now() - KNOWN_TTL * 2;
        let oldest =
            known.keys().filter(|p| !connected(p)).min_by_key(|p| self.at.get(*p).copied().unwrap_or(never)).cloned();
        match oldest {
            Some(peer) => {
                known.remove(&peer);
                self.at.remove(&peer);
                true
            }
            None => false,
        }
    }

    /// Forgets from `known` every peer not `connected` and not heard of for
    /// [`KNOWN_TTL`], and what this record holds of peers `known` no longer has.
    pub fn expire<V>(&mut self, known: &mut BTreeMap<NodeId, V>, connected: impl Fn(&NodeId) -> bool) {
        let now = Instant::now();
        let stale = |at: Option<&Instant>| at.is_none_or(|t| now.duration_since(*t) > KNOWN_TTL);
        known.retain(|p, _| connected(p) || !stale(self.at.get(p)));
        self.at.retain(|p, _| known.contains_key(p));
    }
}

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
            // Every peer reported and not seen leave, to report again every MDNS_REFRESH.
            let mut found: HashMap<String, SocketAddr> = HashMap::new();
            let mut refreshed = Instant::now();
            while !stopping.load(Ordering::Relaxed) {
                if refreshed.elapsed() >= MDNS_REFRESH {
                    refreshed = Instant::now();
                    for (peer, addr) in &found {
                        let again = Event::Found { peer: Some(NodeId::new(peer.clone())), addr: *addr, via: "mdns" };
                        if events.blocking_send(again).is_err() {
                            stopping.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                // Half a second: how long leaving waits for this thread, and two
                // wakeups a second for an idle peer.
                let event = match discovery.next_event(Duration::from_millis(500)) {
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
                        let addr = SocketAddr::new(*ip, peer.port);
                        if found.len() < MDNS_REMEMBERED || found.contains_key(&peer.peer) {
                            found.insert(peer.peer.clone(), addr);
                        }
                        Event::Found { peer: Some(NodeId::new(peer.peer)), addr, via: "mdns" }
                    }
                    Some(MdnsEvent::Left(peer)) => {
                        found.remove(&peer);
                        Event::Lost { peer: NodeId::new(peer) }
                    }
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
