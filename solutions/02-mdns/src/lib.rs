//! Finding the peers of a topic on the local network with multicast DNS (RFC 6762) and
//! DNS-based service discovery (RFC 6763), using the `mdns-sd` crate.
//!
//! A peer announces one service instance of type [`SERVICE_TYPE`], named after its
//! peer id, on the port it listens on, with its peer id and topic in the TXT record.
//! It browses the same type and keeps the instances of its topic that are not itself.
//!
//! The network interface is a parameter: the checks use the loopback interface only,
//! so no multicast leaves the machine; a workshop room uses the LAN.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check mdns` passes; the steps are the checks':
//!
//! - [`daemon`] and [`announcement`]: what a peer announces, and where (step 1);
//! - [`parse`]: what a peer makes of someone else's announcement (step 2);
//! - [`Discovery::start`]: be found (step 3); [`Discovery::next_event`]: find the
//!   others of your topic and nothing else (step 4);
//! - leaving: [`Discovery::stop`] says goodbye, and a peer that leaves is reported as
//!   [`Event::Left`] (step 5);
//! - [`libp2p`]: libp2p's own mDNS by hand, so that rust-libp2p nodes find you and you
//!   find them: the query and the response (step 6), reading them (step 7), refusing
//!   hostile packets (step 8).
//!
//! `src/main.rs` uses them to show the peers around you (`cargo run -p mdns -- PEER
//! TOPIC PORT`, with `--lan` in a workshop room).
//!
//! # Steps
//!
//! `cargo verify check mdns` runs these eight steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The announcement: the instance, host, port and TXT record; bad names refused —
//!    `src/lib.rs`
//! 2. Reading an announcement: a peer of ours, or something to ignore — `src/lib.rs`
//! 3. Your announcement is found by the reference, with its port and loopback address —
//!    `src/lib.rs`
//! 4. You find the reference; your own announcement and other topics are not reported —
//!    `src/lib.rs`
//! 5. Departures: a peer that stops is noticed as Left, both ways — `src/lib.rs`
//! 6. libp2p's mDNS, the query and the answer: the bytes rust-libp2p sends and reads —
//!    `src/libp2p.rs`
//! 7. Reading libp2p's mDNS: rust-libp2p's own packets, compressed names, foreign
//!    records skipped — `src/libp2p.rs`
//! 8. Hostile packets: truncation, pointer loops, pointers past the end, oversized
//!    counts and names refused; round trip — `src/libp2p.rs`

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::{IfKind, ResolvedService, ServiceDaemon, ServiceEvent, ServiceInfo};

pub mod libp2p;

/// The DNS-SD service type of the handbook's peers.
pub const SERVICE_TYPE: &str = "_p2p-handbook._udp.local.";

/// Which network interfaces mDNS uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interface {
    /// The loopback interface (`lo`): peers on this machine only. For tests.
    Loopback,
    /// One interface by name, such as `wlan0`.
    Named(String),
    /// Every interface: the LAN of a workshop room.
    All,
}

/// A peer found on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its peer id.
    pub peer: String,
    /// The topic it announced.
    pub topic: String,
    /// The port it listens on.
    pub port: u16,
    /// Its addresses, sorted.
    pub addrs: Vec<IpAddr>,
}

/// What happened on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A peer of our topic announced itself (reported once per peer).
    Joined(Peer),
    /// A peer reported before said goodbye, or its announcement expired.
    Left(String),
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum MdnsError {
    #[error("mDNS: {0}")]
    Daemon(#[from] mdns_sd::Error),
    #[error("`{0}` cannot be an mDNS name: use 1 to 63 bytes with no dots")]
    Name(String),
}

/// An mDNS daemon that sends and listens on `interface` and no other: a daemon starts
/// on every interface it finds, and the checks must not send multicast beyond the
/// loopback interface. Whatever the daemon refuses is [`MdnsError::Daemon`].
pub fn daemon(interface: &Interface) -> Result<ServiceDaemon, MdnsError> {
    let daemon = ServiceDaemon::new()?;
    // The daemon starts on every interface: turn them all off, then on the one asked for.
    daemon.disable_interface(IfKind::All)?;
    match interface {
        Interface::Loopback => daemon.enable_interface(IfKind::Name("lo".into()))?,
        Interface::Named(name) => daemon.enable_interface(IfKind::Name(name.clone()))?,
        Interface::All => daemon.enable_interface(IfKind::All)?,
    }
    Ok(daemon)
}

fn check_name(name: &str) -> Result<(), MdnsError> {
    if name.is_empty() || name.len() > 63 || name.contains('.') {
        return Err(MdnsError::Name(name.to_string()));
    }
    Ok(())
}

/// The service instance announcing `peer` for `topic` on `port`: named after the peer,
/// host `<peer>.local.`, TXT `peer=<peer>` and `topic=<topic>`, with the addresses of
/// whichever interfaces the daemon uses (filled in by the daemon, since the same
/// announcement serves loopback and a LAN).
///
/// The peer name becomes a DNS label, so one that cannot be (empty, over 63 bytes, or
/// with a dot) is [`MdnsError::Name`], before anything is built; so is a topic that is
/// empty or over 200 bytes (a TXT entry holds at most 255).
pub fn announcement(peer: &str, topic: &str, port: u16) -> Result<ServiceInfo, MdnsError> {
    check_name(peer)?;
    if topic.is_empty() || topic.len() > 200 {
        return Err(MdnsError::Name(topic.to_string()));
    }
    let host = format!("{peer}.local.");
    let properties = [("peer", peer), ("topic", topic)];
    let info = ServiceInfo::new(SERVICE_TYPE, peer, &host, "", port, &properties[..])?;
    Ok(info.enable_addr_auto())
}

/// The peer a resolved service announces, if it is one of ours: the right type, a
/// `peer` and a `topic` in its TXT record, and an instance named after its peer (so
/// one peer cannot announce itself under another's name). Anything else on the
/// network is `None`: not an error, just not for us. The addresses come sorted, so
/// that two announcements of the same peer compare equal.
pub fn parse(service: &ResolvedService) -> Option<Peer> {
    if service.ty_domain != SERVICE_TYPE {
        return None;
    }
    let peer = service.txt_properties.get_property_val_str("peer")?.to_string();
    let topic = service.txt_properties.get_property_val_str("topic")?.to_string();
    if service.fullname != format!("{peer}.{SERVICE_TYPE}") {
        return None;
    }
    let mut addrs: Vec<IpAddr> = service.addresses.iter().map(|a| a.to_ip_addr()).collect();
    addrs.sort();
    Some(Peer { peer, topic, port: service.port, addrs })
}

/// Announcing one peer and watching for the others of its topic.
pub struct Discovery {
    daemon: ServiceDaemon,
    me: String,
    topic: String,
    fullname: String,
    events: mdns_sd::Receiver<ServiceEvent>,
    /// Peers reported as joined, by instance full name.
    known: HashMap<String, String>,
}

impl Discovery {
    /// Announces `peer` for `topic` on `port` over `interface`, and starts browsing
    /// [`SERVICE_TYPE`]. Returns at once: answers arrive later, through
    /// [`Discovery::next_event`].
    pub fn start(interface: &Interface, peer: &str, topic: &str, port: u16) -> Result<Discovery, MdnsError> {
        let info = announcement(peer, topic, port)?;
        let fullname = info.get_fullname().to_string();
        let daemon = daemon(interface)?;
        daemon.register(info)?;
        let events = daemon.browse(SERVICE_TYPE)?;
        Ok(Discovery {
            daemon,
            me: peer.to_string(),
            topic: topic.to_string(),
            fullname,
            events,
            known: HashMap::new(),
        })
    }

    /// The next event about another peer of our topic, waiting at most `timeout`.
    /// Our own announcement, other topics and repeated announcements are skipped;
    /// `None` when `timeout` passes with no news. The whole wait is bounded by
    /// `timeout`, however many skipped events arrive meanwhile.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let event = self.events.recv_timeout(left).ok()?;
            if let Some(event) = self.interpret(event) {
                return Some(event);
            }
        }
    }

    /// What a daemon event means for us, if anything: a resolved peer of our topic not
    /// reported yet is [`Event::Joined`]; the removal of one we reported is
    /// [`Event::Left`]; everything else is nothing.
    fn interpret(&mut self, event: ServiceEvent) -> Option<Event> {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                let peer = parse(&service)?;
                if peer.peer == self.me || peer.topic != self.topic || self.known.contains_key(&service.fullname) {
                    return None;
                }
                self.known.insert(service.fullname.clone(), peer.peer.clone());
                Some(Event::Joined(peer))
            }
            ServiceEvent::ServiceRemoved(_, fullname) => self.known.remove(&fullname).map(Event::Left),
            _ => None,
        }
    }

    /// Says goodbye (so the others notice at once, not when the announcement would
    /// expire) and stops the daemon. The goodbye is sent by the daemon, so it must be
    /// on the network before the daemon stops.
    pub fn stop(self) {
        if let Ok(status) = self.daemon.unregister(&self.fullname) {
            let _ = status.recv_timeout(Duration::from_secs(2));
        }
        if let Ok(status) = self.daemon.shutdown() {
            let _ = status.recv_timeout(Duration::from_secs(2));
        }
    }
}
