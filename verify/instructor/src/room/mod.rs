//! The workshop room: learners' runners send their progress, signed, to the
//! instructor's `cargo verify room`, which shows it as a live table and a web page.
//!
//! Three small parts, each testable without sockets: [`wire`] is the datagram a
//! learner's runner sends (what is in it, how it is signed, every limit that keeps a
//! hostile datagram cheap), [`board`] is the room's state (who is here, where each one
//! stands, what was refused and why), and [`render`] draws the board as a terminal
//! table and as an HTML page. The sockets live in the `room` command
//! ([`crate::dashboard`]) and in [`crate::share`]. The design, for instructors, is in `book/instructors/room.md`.

pub mod board;
pub mod render;
pub mod wire;

/// The UDP port the room listens on unless told otherwise (unassigned by IANA in the
/// dynamic range, so it rarely collides with anything a laptop runs).
pub const DEFAULT_PORT: u16 = 47474;

/// The mDNS service type the room announces itself under with `--lan`.
pub const SERVICE_TYPE: &str = "_p2p-room._udp.local.";

/// An mDNS daemon on every interface, or only on the one named: `lo` keeps the tests'
/// multicast on this machine, a name such as `wlan0` keeps a room off a laptop's other
/// networks (container bridges, a VPN).
pub fn mdns_daemon(interface: Option<&str>) -> Result<mdns_sd::ServiceDaemon, mdns_sd::Error> {
    let daemon = mdns_sd::ServiceDaemon::new()?;
    if let Some(name) = interface {
        daemon.disable_interface(mdns_sd::IfKind::All)?;
        daemon.enable_interface(mdns_sd::IfKind::Name(name.to_string()))?;
    }
    Ok(daemon)
}
