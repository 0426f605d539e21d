//! Finding the room, three ways, all at any time: whatever they find goes to the room
//! as [`Event::Found`], and the swarm dials it. A peer that joins late is found, and
//! finds the others, the same way as one that was there first.
//!
//! - **mDNS** (the mdns chapter): announce this peer under the room's topic and browse
//!   for the others, on the loopback interface (one machine) or every interface
//!   (`--lan`). The discovery crate's calls block, so it runs on a thread of its own.
//! - **libp2p's mDNS** (the mdns chapter's libp2p codec, [`Libp2pMdns`]), beside it, so
//!   that rust-libp2p nodes find this peer and it finds them: answer every
//!   `_p2p._udp.local` PTR query with `dnsaddr=/ip4/IP/tcp/PORT/p2p/PEER-ID`, and ask
//!   every [`LIBP2P_QUERY_EVERY`] (libp2p specs, discovery/mdns.md). What it finds is
//!   reported `via: "libp2p-mdns"`. `--no-mdns` turns off both.
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
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kit::NodeId;
use tokio::sync::mpsc;

use super::parts::mdns::libp2p::{Message as Libp2pMessage, decode, encode_query, encode_response, random_peer_name};
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

/// How often libp2p's mDNS asks who is there. rust-libp2p asks at start and then less
/// and less often (every 5 minutes at most); asking every few seconds finds a node that
/// started after us and keeps it in the room's list ([`KNOWN_TTL`]).
pub const LIBP2P_QUERY_EVERY: Duration = Duration::from_secs(3);

/// The shortest time between two of our responses: a flood of queries costs at most
/// ten responses a second. A query that comes sooner is answered when the gap is over.
pub const LIBP2P_ANSWER_GAP: Duration = Duration::from_millis(100);

/// The time to live of our records, in seconds (RFC 6762 §10: 120 s for records that
/// name hosts); 0 in the goodbye.
pub const LIBP2P_TTL: u32 = 120;

/// mDNS's group and port (RFC 6762 §3).
const MDNS_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
const MDNS_PORT: u16 = 5353;

/// libp2p's mDNS, running: [`Libp2pMdns::stop`] says goodbye (our records with TTL 0).
pub struct Libp2pMdns {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Libp2pMdns {
    /// Announces `me` listening on `port` and reports the libp2p peers it finds to
    /// `events`: on loopback (`lan` false; one machine, the tests) or on every IPv4
    /// interface that is not loopback and joins the mDNS group (`lan`), each announced
    /// with its own address. The socket shares port 5353 with every other mDNS on the host
    /// (SO_REUSEADDR and SO_REUSEPORT), as rust-libp2p's does.
    pub fn start(lan: bool, me: &str, port: u16, events: mpsc::Sender<Event>) -> anyhow::Result<Libp2pMdns> {
        let interfaces: Vec<Ipv4Addr> = if lan {
            if_addrs::get_if_addrs()?
                .into_iter()
                .filter_map(|i| match i.ip() {
                    IpAddr::V4(ip) if !ip.is_loopback() => Some(ip),
                    _ => None,
                })
                .collect()
        } else {
            vec![Ipv4Addr::LOCALHOST]
        };
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, MDNS_PORT)).into())?;
        // An interface that cannot join the group (no multicast, gone since it was
        // listed) is left out: neither asked on nor announced.
        let interfaces: Vec<Ipv4Addr> =
            interfaces.into_iter().filter(|i| socket.join_multicast_v4(&MDNS_GROUP, i).is_ok()).collect();
        socket.set_multicast_ttl_v4(255)?;
        // Our own query comes back and is answered, as the spec asks (others then find
        // us without asking); our own response is recognised by its peer id.
        socket.set_multicast_loop_v4(true)?;
        socket.set_read_timeout(Some(LIBP2P_ANSWER_GAP))?;
        let socket: UdpSocket = socket.into();
        let announced: Vec<SocketAddr> = interfaces.iter().map(|ip| SocketAddr::from((*ip, port))).collect();
        let (me, stop) = (me.to_string(), Arc::new(AtomicBool::new(false)));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let name = random_peer_name();
            let group = SocketAddr::V4(SocketAddrV4::new(MDNS_GROUP, MDNS_PORT));
            // Sends `packet` on every interface in use.
            let send = |packet: &[u8]| {
                for interface in &interfaces {
                    let _ = socket2::SockRef::from(&socket).set_multicast_if_v4(interface);
                    let _ = socket.send_to(packet, group);
                }
            };
            let mut asked_at: Option<Instant> = None;
            let mut answered_at: Option<Instant> = None;
            let mut owed = false;
            let mut query_id: u16 = 0;
            let mut buf = vec![0u8; 9000];
            while !stopping.load(Ordering::Relaxed) {
                if asked_at.is_none_or(|t| t.elapsed() >= LIBP2P_QUERY_EVERY) {
                    asked_at = Some(Instant::now());
                    query_id = query_id.wrapping_add(1);
                    send(&encode_query(query_id));
                }
                if owed
                    && answered_at.is_none_or(|t| t.elapsed() >= LIBP2P_ANSWER_GAP)
                    && let Ok(response) = encode_response(&name, &me, &announced, LIBP2P_TTL)
                {
                    owed = false;
                    answered_at = Some(Instant::now());
                    send(&response);
                }
                let Ok((n, _)) = socket.recv_from(&mut buf) else { continue };
                let event_of = |found: super::parts::mdns::libp2p::Found| {
                    // On one machine, a loopback address; on the LAN, one the others can
                    // reach. Only what we can dial (IPv4 and IPv6 over TCP).
                    let usable = |a: &&SocketAddr| a.ip().is_loopback() != lan;
                    let addr =
                        found.addrs.iter().filter(usable).find(|a| a.is_ipv4()).or(found.addrs.iter().find(usable));
                    let peer = NodeId::new(found.peer_id);
                    // A goodbye (TTL 0) is not reported: the peer's connection says when it
                    // leaves, and a chat's goodbye here would drop it from the member list
                    // before the handbook's mDNS says it left. Unheard of, it is forgotten
                    // after KNOWN_TTL like any other.
                    match (found.ttl, addr) {
                        (0, _) => None,
                        (_, Some(addr)) => {
                            Some(Event::Found { peer: Some(peer), addr: *addr, via: super::room::LIBP2P_MDNS })
                        }
                        (_, None) => None,
                    }
                };
                match decode(&buf[..n]) {
                    // Answered at the top of the loop, at once or when the gap is over.
                    Ok(Libp2pMessage::Query { .. }) => owed = true,
                    Ok(Libp2pMessage::Response(found)) => {
                        for event in found.into_iter().filter(|f| f.peer_id != me).filter_map(event_of) {
                            if events.blocking_send(event).is_err() {
                                stopping.store(true, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                    // Other names, or a packet the codec refuses: not ours to answer.
                    Ok(Libp2pMessage::Other) | Err(_) => {}
                }
            }
            if let Ok(goodbye) = encode_response(&name, &me, &announced, 0) {
                send(&goodbye);
            }
        });
        Ok(Libp2pMdns { stop, thread: Some(thread) })
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
