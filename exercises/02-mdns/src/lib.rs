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
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check mdns` passes. `src/main.rs`
//! uses them to show the peers around you: `cargo run -p mdns -- PEER TOPIC PORT`
//! (add `--lan` in a workshop room).

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::{IfKind, ResolvedService, ServiceDaemon, ServiceEvent, ServiceInfo};

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

/// An mDNS daemon that uses only `interface`.
pub fn daemon(interface: &Interface) -> Result<ServiceDaemon, MdnsError> {
    // TODO (step 1)
    todo!()
}

/// The service instance announcing `peer` for `topic` on `port`: named after the peer,
/// host `<peer>.local.`, TXT `peer=<peer>` and `topic=<topic>`, with the addresses of
/// whichever interfaces the daemon uses.
pub fn announcement(peer: &str, topic: &str, port: u16) -> Result<ServiceInfo, MdnsError> {
    // TODO (step 1)
    todo!()
}

/// The peer a resolved service announces, if it is one of ours: the right type, a
/// `peer` and a `topic` in its TXT record, and an instance named after its peer.
pub fn parse(service: &ResolvedService) -> Option<Peer> {
    // TODO (step 2)
    todo!()
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
    /// Announces `peer` for `topic` on `port` over `interface`, and starts browsing.
    pub fn start(interface: &Interface, peer: &str, topic: &str, port: u16) -> Result<Discovery, MdnsError> {
        // TODO (step 3–4)
        todo!()
    }

    /// The next event about another peer of our topic, waiting at most `timeout`.
    /// Our own announcement, other topics and repeated announcements are skipped.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        // TODO (step 3–4)
        todo!()
    }

    /// What a daemon event means for us, if anything.
    fn interpret(&mut self, event: ServiceEvent) -> Option<Event> {
        // TODO (step 3–4)
        todo!()
    }

    /// Says goodbye (so the others notice at once, not when the announcement would
    /// expire) and stops the daemon.
    pub fn stop(self) {
        // TODO (step 5)
        todo!()
    }
}
