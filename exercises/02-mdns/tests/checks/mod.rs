//! The mdns exercise's checks: the announcement, reading others', then real multicast
//! DNS between your code and the reference, on the loopback interface only (nothing
//! leaves the machine). Each check uses a topic of its own, so checks running at the
//! same time do not see each other's peers.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::reference;
use crate::subject;

/// How long a peer may take to be found or to be noticed leaving. On loopback it
/// takes about a second.
const WAIT: Duration = Duration::from_secs(10);

/// A name no other check (or other run) uses, for topics and peers alike: an
/// instance name announced twice at once would be a conflict.
fn topic(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{name}-{:x}-{nanos:x}", std::process::id())
}

/// When a peer is not found in time: is it the code, or does this machine not do
/// multicast on loopback at all? Ask the reference alone.
fn explain_timeout(what: &str) -> ! {
    let t = topic("probe");
    let probe = (|| {
        let a = reference::Discovery::start(&reference::Interface::Loopback, &topic("probe-a"), &t, 1).ok()?;
        let mut b = reference::Discovery::start(&reference::Interface::Loopback, &topic("probe-b"), &t, 2).ok()?;
        let found = b.next_event(WAIT);
        a.stop();
        b.stop();
        found
    })();
    match probe {
        Some(_) => panic!(
            "{what} within {WAIT:?}. mDNS on loopback works on this machine (the reference finds itself), so look at your code."
        ),
        None => panic!(
            "{what} within {WAIT:?}, but the reference cannot find itself either: multicast DNS on the \
             loopback interface does not work on this machine (no multicast route on `lo`, a firewall, \
             or port 5353 taken without SO_REUSEPORT). This is not your code; try another machine."
        ),
    }
}

fn expect_joined<F: FnMut(Duration) -> Option<E>, E: std::fmt::Debug>(mut next: F, what: &str) -> E {
    match next(WAIT) {
        Some(event) => event,
        None => explain_timeout(what),
    }
}

/// The announcement: the instance, host, port and TXT record; bad names refused
#[test]
fn step_1_announcement() {
    let info = subject::announcement("peer-a", "chat", 4001).expect("an announcement");
    assert_eq!(info.get_fullname(), "peer-a._p2p-handbook._udp.local.", "the instance is named after the peer");
    assert_eq!(info.get_type(), subject::SERVICE_TYPE);
    assert_eq!(info.get_hostname(), "peer-a.local.");
    assert_eq!(info.get_port(), 4001);
    assert_eq!(info.get_property_val_str("peer"), Some("peer-a"));
    assert_eq!(info.get_property_val_str("topic"), Some("chat"));
    assert!(info.is_addr_auto(), "the daemon fills in the addresses of the interfaces it uses (enable_addr_auto)");
    for bad in ["", "has.dot", &"x".repeat(64)] {
        assert!(
            matches!(subject::announcement(bad, "chat", 1), Err(subject::MdnsError::Name(_))),
            "{bad:?} cannot be a peer name: MdnsError::Name"
        );
    }
    // A daemon on loopback only (this needs no multicast yet).
    let daemon = subject::daemon(&subject::Interface::Loopback).expect("a daemon on the loopback interface");
    let _ = daemon.shutdown();
}

fn resolved(name: &str, peer: Option<&str>, topic: Option<&str>, ty: &str) -> mdns_sd::ResolvedService {
    let mut props = Vec::new();
    if let Some(peer) = peer {
        props.push(("peer", peer));
    }
    if let Some(topic) = topic {
        props.push(("topic", topic));
    }
    mdns_sd::ServiceInfo::new(ty, name, "h.local.", "127.0.0.1,192.0.2.2", 4002, &props[..])
        .unwrap()
        .as_resolved_service()
}

/// Reading an announcement: a peer of ours, or something to ignore
#[test]
fn step_2_parse() {
    let ty = subject::SERVICE_TYPE;
    let peer = subject::parse(&resolved("peer-b", Some("peer-b"), Some("chat"), ty))
        .expect("a well-formed announcement is a peer");
    assert_eq!(peer.peer, "peer-b");
    assert_eq!(peer.topic, "chat");
    assert_eq!(peer.port, 4002);
    assert_eq!(
        peer.addrs,
        vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))],
        "the addresses, sorted"
    );
    assert_eq!(subject::parse(&resolved("peer-b", None, Some("chat"), ty)), None, "no peer in the TXT record");
    assert_eq!(subject::parse(&resolved("peer-b", Some("peer-b"), None, ty)), None, "no topic in the TXT record");
    assert_eq!(
        subject::parse(&resolved("printer", Some("peer-b"), Some("chat"), ty)),
        None,
        "an instance not named after the peer it claims"
    );
    assert_eq!(
        subject::parse(&resolved("peer-b", Some("peer-b"), Some("chat"), "_http._tcp.local.")),
        None,
        "another service type"
    );
}

/// Your announcement is found by the reference, with its port and loopback address
#[test]
fn step_3_found_by_reference() {
    let t = topic("found");
    let (yours, them) = (topic("yours"), topic("theirs"));
    let mine =
        subject::Discovery::start(&subject::Interface::Loopback, &yours, &t, 4101).expect("start your discovery");
    let mut theirs =
        reference::Discovery::start(&reference::Interface::Loopback, &them, &t, 4102).expect("start the reference");
    let started = Instant::now();
    let event = expect_joined(|w| theirs.next_event(w), "the reference did not find your announcement");
    match event {
        reference::Event::Joined(peer) => {
            assert_eq!((peer.peer.as_str(), peer.topic.as_str(), peer.port), (yours.as_str(), t.as_str(), 4101));
            assert!(
                peer.addrs.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)),
                "on loopback the address is 127.0.0.1: {:?}",
                peer.addrs
            );
        }
        other => panic!("expected Joined, got {other:?}"),
    }
    eprintln!("found in {:?}", started.elapsed());
    mine.stop();
    theirs.stop();
}

/// You find the reference; your own announcement and other topics are not reported
#[test]
fn step_4_finds_reference() {
    let t = topic("finds");
    let other_topic = topic("elsewhere");
    let (yours, them) = (topic("yours"), topic("theirs"));
    let mut mine =
        subject::Discovery::start(&subject::Interface::Loopback, &yours, &t, 4201).expect("start your discovery");
    let stranger = reference::Discovery::start(&reference::Interface::Loopback, &topic("stranger"), &other_topic, 4203)
        .expect("start");
    let theirs =
        reference::Discovery::start(&reference::Interface::Loopback, &them, &t, 4202).expect("start the reference");
    let event = expect_joined(|w| mine.next_event(w), "your discovery did not report the reference's announcement");
    match &event {
        subject::Event::Joined(peer) => {
            assert_eq!(
                (peer.peer.as_str(), peer.topic.as_str(), peer.port),
                (them.as_str(), t.as_str(), 4202),
                "got {event:?}"
            );
        }
        other => panic!("expected Joined(theirs), got {other:?}"),
    }
    // Nothing else: not yourself, not the stranger, not theirs twice.
    if let Some(extra) = mine.next_event(Duration::from_secs(2)) {
        panic!(
            "only the reference's peer is news; also reported: {extra:?} (your own announcement, another topic, or a repeat?)"
        );
    }
    mine.stop();
    theirs.stop();
    stranger.stop();
}

/// Departures: a peer that stops is noticed as Left, both ways
#[test]
fn step_5_leaving() {
    let t = topic("leave");
    let (yours, them) = (topic("yours"), topic("theirs"));
    let mut mine =
        subject::Discovery::start(&subject::Interface::Loopback, &yours, &t, 4301).expect("start your discovery");
    let mut theirs =
        reference::Discovery::start(&reference::Interface::Loopback, &them, &t, 4302).expect("start the reference");
    expect_joined(|w| theirs.next_event(w), "the reference did not find your announcement");
    expect_joined(|w| mine.next_event(w), "you did not find the reference's announcement");
    // You leave: the reference notices at once (a goodbye), not after the record's TTL.
    let started = Instant::now();
    mine.stop();
    match theirs.next_event(WAIT) {
        Some(reference::Event::Left(peer)) => assert_eq!(peer, yours),
        other => panic!(
            "after your stop(), the reference must see Left({yours:?}) within {WAIT:?}, got {other:?}: does stop() unregister and wait before shutting down?"
        ),
    }
    eprintln!("left noticed in {:?}", started.elapsed());
    // The reference leaves: you notice.
    let t2 = topic("leave2");
    let (yours2, them2) = (topic("yours2"), topic("theirs2"));
    let mut mine =
        subject::Discovery::start(&subject::Interface::Loopback, &yours2, &t2, 4303).expect("start your discovery");
    let theirs2 =
        reference::Discovery::start(&reference::Interface::Loopback, &them2, &t2, 4304).expect("start the reference");
    expect_joined(|w| mine.next_event(w), "you did not find the reference's announcement");
    theirs2.stop();
    match mine.next_event(WAIT) {
        Some(subject::Event::Left(peer)) => assert_eq!(peer, them2),
        other => panic!("after the reference stops, you must report Left({them2:?}), got {other:?}"),
    }
    mine.stop();
    theirs.stop();
}
