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
    assert_eq!(info.get_type(), subject::SERVICE_TYPE, "the service type is SERVICE_TYPE");
    assert_eq!(info.get_hostname(), "peer-a.local.", "the host is <peer>.local.");
    assert_eq!(info.get_port(), 4001, "the port is the one the peer listens on");
    assert_eq!(info.get_property_val_str("peer"), Some("peer-a"), "the TXT record carries peer=<peer>");
    assert_eq!(info.get_property_val_str("topic"), Some("chat"), "the TXT record carries topic=<topic>");
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
                "the first peer reported is the reference's, not your own announcement nor another topic's: got {event:?}"
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

// ---------------------------------------------------------------------------------
// libp2p's mDNS (src/libp2p.rs): the spec's query and response, by hand, byte for byte.
// Spec: https://github.com/libp2p/specs/blob/master/discovery/mdns.md
// Wire format: RFC 1035 §4.1; multicast rules: RFC 6762.
// ---------------------------------------------------------------------------------

use subject::libp2p as p2p;

/// A peer id in libp2p's text form (base58 of the multihash of an Ed25519 key).
const PEER_ID: &str = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

/// `_p2p._udp.local` as uncompressed labels: length, bytes, ..., the root's zero.
const SERVICE_WIRE: &[u8] = b"\x04_p2p\x04_udp\x05local\x00";

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Panics, showing where two packets first differ, if they do.
fn same_bytes(what: &str, yours: &[u8], expected: &[u8]) {
    same_fields(what, yours, expected, &[]);
}

/// [`same_bytes`], naming the field of the expected packet where the first difference
/// is: `fields` are (where the field begins, what it is and must hold), in order.
fn same_fields(what: &str, yours: &[u8], expected: &[u8], fields: &[(usize, &str)]) {
    if yours == expected {
        return;
    }
    let at = yours.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(yours.len().min(expected.len()));
    let from = at.saturating_sub(8);
    let field = match fields.iter().rev().find(|(start, _)| *start <= at) {
        Some((start, field)) => format!(", in {field} (from byte {start})"),
        None => String::new(),
    };
    panic!(
        "{what}: your bytes differ from the expected ones at byte {at}{field} ({} bytes against {}).\n    yours    [{from}..]: {}\n    expected [{from}..]: {}",
        yours.len(),
        expected.len(),
        hex(&yours[from.min(yours.len())..(at + 16).min(yours.len())]),
        hex(&expected[from.min(expected.len())..(at + 16).min(expected.len())]),
    );
}

fn sock(text: &str) -> std::net::SocketAddr {
    text.parse().unwrap()
}

/// libp2p's mDNS, the query and the answer: the bytes rust-libp2p sends and reads
#[test]
fn step_6_libp2p_encode() {
    // The query: a 12-byte header (id, flags 0 = a standard query, 1 question, 0 answers,
    // 0 authorities, 0 additionals), then `_p2p._udp.local` type PTR (12) class IN (1).
    let expected = unhex(
        "1234 0000 0001 0000 0000 0000
         04 5f703270 04 5f756470 05 6c6f63616c 00
         000c 0001",
    );
    let fields = [
        (0, "the id, the number the querier chose"),
        (2, "the flags: 0x0000, a standard query"),
        (4, "the counts: 1 question, 0 answers, 0 authorities, 0 additionals"),
        (12, "the question's name, _p2p._udp.local as labels"),
        (29, "the question's type: PTR (0x000c)"),
        (31, "the question's class: IN (0x0001)"),
    ];
    same_fields("encode_query(0x1234)", &p2p::encode_query(0x1234), &expected, &fields);

    // The multiaddr text forms.
    assert_eq!(
        p2p::multiaddr(sock("192.0.2.1:4001"), PEER_ID),
        format!("/ip4/192.0.2.1/tcp/4001/p2p/{PEER_ID}"),
        "a multiaddr is /ip4/<address>/tcp/<port>/p2p/<peer id>: the /p2p part tells the dialer whom to expect"
    );
    assert_eq!(
        p2p::multiaddr(sock("[2001:db8::1]:4001"), PEER_ID),
        format!("/ip6/2001:db8::1/tcp/4001/p2p/{PEER_ID}"),
        "an IPv6 address in its shortest text form"
    );

    // The response, field by field as the spec and RFC 6762 lay it out.
    let name = "k3vq0c8x2m5n7p9r1t4w6y8z0b2d4f6h"; // 32 random letters and digits
    let addrs = [sock("192.0.2.1:4001"), sock("[2001:db8::1]:4002")];
    let mut expected = unhex("0000 8400 0000 0001 0000 0002"); // id 0; QR+AA; 0 q, 1 answer, 2 additional
    let mut fields = vec![
        (0, "the id: 0 in a multicast response (RFC 6762 §18.1)".to_string()),
        (2, "the flags: 0x8400, QR (a response) and AA (authoritative)".to_string()),
        (4, "the counts: 0 questions, 1 answer, 0 authorities, one additional per address".to_string()),
        (12, "the answer's owner, _p2p._udp.local".to_string()),
    ];
    let mut instance = vec![32u8];
    instance.extend_from_slice(name.as_bytes());
    instance.extend_from_slice(SERVICE_WIRE); // <peer-name>._p2p._udp.local
    expected.extend_from_slice(SERVICE_WIRE); // the answer's owner
    fields.push((expected.len(), "the answer's type: PTR (0x000c)".into()));
    fields.push((
        expected.len() + 2,
        "the PTR's class: 0x0001, IN without the cache-flush bit, since every peer answers for the shared service name (RFC 6762 §10.2)".into(),
    ));
    fields.push((expected.len() + 4, "the answer's TTL".into()));
    expected.extend(unhex("000c 0001 00000078")); // PTR, class IN (shared: no cache flush), TTL 120 s
    fields.push((expected.len(), "the PTR's data length".into()));
    expected.extend((instance.len() as u16).to_be_bytes());
    fields.push((expected.len(), "the PTR's target, <peer-name>._p2p._udp.local".into()));
    expected.extend_from_slice(&instance);
    for (i, addr) in addrs.into_iter().enumerate() {
        let text = format!("dnsaddr={}", p2p::multiaddr(addr, PEER_ID));
        fields.push((expected.len(), format!("TXT record {i}'s owner, the PTR's target")));
        expected.extend_from_slice(&instance);
        fields.push((expected.len(), format!("TXT record {i}'s type: TXT (0x0010)")));
        fields.push((
            expected.len() + 2,
            format!(
                "TXT record {i}'s class: 0x8001, IN with the cache-flush bit, since this peer alone answers for its own name (RFC 6762 §10.2)"
            ),
        ));
        fields.push((expected.len() + 4, format!("TXT record {i}'s TTL")));
        expected.extend(unhex("0010 8001 00000078")); // TXT, class IN with cache flush (ours alone), TTL 120 s
        fields.push((expected.len(), format!("TXT record {i}'s data length: the string's length byte and the string")));
        expected.extend((text.len() as u16 + 1).to_be_bytes()); // the data: one character-string
        fields.push((expected.len(), format!("TXT record {i}'s string: its length, then {text}")));
        expected.push(text.len() as u8);
        expected.extend_from_slice(text.as_bytes());
    }
    let yours = p2p::encode_response(name, PEER_ID, &addrs, 120).expect("a response");
    let fields: Vec<(usize, &str)> = fields.iter().map(|(at, f)| (*at, f.as_str())).collect();
    same_fields("encode_response(two addresses, TTL 120)", &yours, &expected, &fields);
    // Header, answer (owner 17, type/class/TTL/length 10, target 50), then per address a
    // TXT record (owner 50, 10, one length byte) and its 88- and 90-byte strings.
    assert_eq!(yours.len(), 12 + (17 + 10 + 50) + (61 + 88) + (61 + 90), "the response's length in bytes");

    // Against rust-libp2p's own encoder: its captured answer (below, before step 7) is your
    // encoding of the same peer name, peer id, address and TTL, byte for byte, once the two
    // fields where it departs from the RFC and the spec are put back: the id, which RFC 6762
    // §18.1 wants 0 in a multicast response, and the PTR target, which the spec writes
    // `<peer-name>._p2p._udp.local` where rust-libp2p sends the bare `<peer-name>`.
    let captured = unhex(RUST_LIBP2P_RESPONSE);
    let n = captured[39] as usize; // the answer's data starts at 12 + 17 + 10 = 39: the label
    let their_name = std::str::from_utf8(&captured[40..40 + n]).unwrap();
    let bare = &captured[39..41 + n]; // length, label, root
    let mut full = bare[..bare.len() - 1].to_vec();
    full.extend_from_slice(SERVICE_WIRE);
    let mut adapted = Vec::new();
    let mut i = 0;
    while i < captured.len() {
        if captured[i..].starts_with(bare) {
            adapted.extend_from_slice(&full);
            i += bare.len();
        } else {
            adapted.push(captured[i]);
            i += 1;
        }
    }
    adapted[0..2].copy_from_slice(&[0, 0]);
    adapted[37..39].copy_from_slice(&(full.len() as u16).to_be_bytes()); // the PTR's data length
    let yours =
        p2p::encode_response(their_name, RUST_LIBP2P_PEER, &[sock(RUST_LIBP2P_ADDRS[0])], 360).expect("a response");
    same_bytes("encode_response against rust-libp2p's captured answer (id and PTR target put back)", &yours, &adapted);

    // What cannot be encoded is refused, with its reason.
    for bad in ["", "has.dot", "has space", &"x".repeat(64)] {
        assert!(
            matches!(p2p::encode_response(bad, PEER_ID, &addrs, 120), Err(p2p::Libp2pError::PeerName(_))),
            "{bad:?} cannot be a peer name (one label of letters and digits): Libp2pError::PeerName"
        );
    }
    for bad in ["", "0OIl", "12D3/KooW"] {
        assert!(
            matches!(p2p::encode_response(name, bad, &addrs, 120), Err(p2p::Libp2pError::PeerId(_))),
            "{bad:?} is not base58: Libp2pError::PeerId"
        );
    }
    let long_id = "1".repeat(210);
    match p2p::encode_response(name, &long_id, &[sock("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")], 120) {
        Err(p2p::Libp2pError::TxtTooLong(n)) => assert!(n > 255, "TxtTooLong carries the length, {n}"),
        other => panic!("a dnsaddr string over 255 bytes must be Libp2pError::TxtTooLong, got {other:?}"),
    }
    let many: Vec<_> = (0..200).map(|i| sock(&format!("[2001:db8::{i:x}]:4001"))).collect();
    assert!(
        matches!(
            p2p::encode_response(name, PEER_ID, &many, 120),
            Err(p2p::Libp2pError::TooLarge(_) | p2p::Libp2pError::TooManyRecords { .. })
        ),
        "200 addresses do not fit in one mDNS message of at most {} bytes",
        p2p::MAX_PACKET
    );
}

// Captured from rust-libp2p 0.57 (libp2p-mdns 0.49.0, `mdns::tokio::Behaviour` with its
// default config) by interop/tests/libp2p_mdns.rs: the handbook's side printed the bytes
// of every packet it received from the rust-libp2p node, on a veth link between two
// network namespaces (the node at 198.18.0.1, listening on /ip4/0.0.0.0/tcp/0).
// rust-libp2p writes them in protocols/mdns/src/behaviour/iface/dns.rs:
// `build_query` and `build_query_response`.
const RUST_LIBP2P_QUERY: &str = "
     6d7700000001000000000000045f703270045f756470056c6f63616c00000c00
     01";
// Its answer to that same query (rust-libp2p answers its own query, and gives the answer
// the query's id, 0x6d77): the PTR's target is a bare label of 61 random letters and
// digits, with no `._p2p._udp.local` after it; TTL 360 s (0x168); one TXT record, with
// the address on the link (the captured answer carries only this one of the node's two
// listen addresses, 127.0.0.1 and 198.18.0.1):
// `dnsaddr=/ip4/198.18.0.1/tcp/37189/p2p/12D3KooWSd5RHEfw97f4ac2CyrQecuhVq5UoMFy9BVBkz4GomdCT`.
const RUST_LIBP2P_RESPONSE: &str = "
     6d7784000000000100000001045f703270045f756470056c6f63616c00000c00
     0100000168003f3d686461534130436b46793441626953705230586b61477376
     627544424b314e4c4c6d4761644c4b356242386f4a4b566534304736314c467a
     7546704249003d686461534130436b46793441626953705230586b6147737662
     7544424b314e4c4c6d4761644c4b356242386f4a4b566534304736314c467a75
     46704249000010800100000168005b5a646e73616464723d2f6970342f313938
     2e31382e302e312f7463702f33373138392f7032702f313244334b6f6f575364
     355248456677393766346163324379725165637568567135556f4d4679394256
     426b7a34476f6d644354";
const RUST_LIBP2P_PEER: &str = "12D3KooWSd5RHEfw97f4ac2CyrQecuhVq5UoMFy9BVBkz4GomdCT";
const RUST_LIBP2P_ADDRS: [&str; 1] = ["198.18.0.1:37189"];

/// Reading libp2p's mDNS: rust-libp2p's own packets, compressed names, foreign records skipped
#[test]
fn step_7_libp2p_decode() {
    // Multiaddr texts: the TCP forms are read, any other form is not an error but `None`.
    assert_eq!(
        p2p::parse_multiaddr(&format!("/ip4/192.0.2.1/tcp/4001/p2p/{PEER_ID}")),
        Some((sock("192.0.2.1:4001"), PEER_ID.to_string()))
    );
    assert_eq!(
        p2p::parse_multiaddr(&format!("/ip6/2001:db8::1/tcp/4001/p2p/{PEER_ID}")),
        Some((sock("[2001:db8::1]:4001"), PEER_ID.to_string()))
    );
    for other in [
        format!("/ip4/192.0.2.1/udp/4001/quic-v1/p2p/{PEER_ID}"),
        format!("/dns4/example.com/tcp/4001/p2p/{PEER_ID}"),
        "/ip4/192.0.2.1/tcp/4001".to_string(),
        format!("/ip4/192.0.2.1/tcp/70000/p2p/{PEER_ID}"),
        format!("/ip4/192.0.2.300/tcp/4001/p2p/{PEER_ID}"),
        "/ip4/192.0.2.1/tcp/4001/p2p/0OIl".to_string(),
    ] {
        assert_eq!(p2p::parse_multiaddr(&other), None, "{other} is not a TCP address with a peer id");
    }

    // rust-libp2p's query: a query for us, and byte for byte the one you encode.
    let query = unhex(RUST_LIBP2P_QUERY);
    let id = u16::from_be_bytes([query[0], query[1]]);
    assert_eq!(p2p::decode(&query), Ok(p2p::Message::Query { id }), "rust-libp2p's query ({})", hex(&query));
    same_bytes("encode_query with rust-libp2p's id", &p2p::encode_query(id), &query);

    // rust-libp2p's response: one peer, its addresses in the order of the records.
    let response = unhex(RUST_LIBP2P_RESPONSE);
    let expected = p2p::Found {
        peer_id: RUST_LIBP2P_PEER.to_string(),
        addrs: RUST_LIBP2P_ADDRS.iter().map(|a| sock(a)).collect(),
        ttl: 360,
    };
    assert_eq!(
        p2p::decode(&response),
        Ok(p2p::Message::Response(vec![expected])),
        "rust-libp2p's response: its PTR names a single-label peer name, whose TXT records are in the additional section"
    );

    // A response compressed as most mDNS stacks write it, in other letter cases, with
    // records that are not for us around the ones that are.
    let mut packet = unhex("0000 8400 0000 0004 0000 0002");
    packet.extend_from_slice(b"\x04_P2P\x04_UDP\x05LOCAL\x00"); // 12: the service name, upper case
    packet.extend(unhex("000c 0001 00000078 0008")); // PTR, TTL 120, 8 bytes of data:
    let target = packet.len();
    packet.extend_from_slice(b"\x05peer1\xc0\x0c"); // peer1 + pointer to byte 12
    packet.extend_from_slice(b"\x05_http\x04_tcp\xc0\x16"); // _http._tcp.local (a pointer to `LOCAL`, byte 22)
    packet.extend(unhex("000c 0001 00000078 0002 c00c")); //   PTR to the service name: not ours
    packet.extend(unhex("c00c 0010 0001 00000078 0004 03 613d62")); // a TXT for the service name: ignored
    packet.extend(unhex("c00c 0001 0001 00000078 0004 c0000201")); // an A record: ignored
    let strings = [
        "version=1".to_string(),
        format!("dnsaddr=/ip4/192.0.2.7/tcp/4001/p2p/{PEER_ID}"),
        format!("dnsaddr=/ip4/192.0.2.7/udp/4001/quic-v1/p2p/{PEER_ID}"),
        "dnsaddr=/ip4/192.0.2.8/tcp/4001/p2p/12D3KooWAnotherPeer".to_string(),
    ];
    let mut txt = Vec::new();
    for s in &strings {
        txt.push(s.len() as u8);
        txt.extend_from_slice(s.as_bytes());
    }
    packet.extend([0xc0, target as u8]); // the owner: a pointer to peer1._p2p._udp.local
    packet.extend(unhex("0010 8001 00000078"));
    packet.extend((txt.len() as u16).to_be_bytes());
    packet.extend(&txt);
    let six = format!("dnsaddr=/ip6/2001:db8::7/tcp/4001/p2p/{PEER_ID}");
    packet.extend_from_slice(b"\x05PEER1\xc0\x0c"); // the same name, spelt out and in capitals
    packet.extend(unhex("0010 8001 00000078"));
    packet.extend((six.len() as u16 + 1).to_be_bytes());
    packet.push(six.len() as u8);
    packet.extend_from_slice(six.as_bytes());
    let expected = p2p::Found {
        peer_id: PEER_ID.to_string(),
        addrs: vec![sock("192.0.2.7:4001"), sock("[2001:db8::7]:4001")],
        ttl: 120,
    };
    assert_eq!(
        p2p::decode(&packet),
        Ok(p2p::Message::Response(vec![expected])),
        "a compressed response ({}): names compared without regard to case, pointers followed, other names, types, \
         keys, multiaddr forms and peer ids left out",
        hex(&packet)
    );

    // Queries: for us in type PTR or ANY, even with the unicast-response bit (RFC 6762 §5.4); other names are Other.
    let mut q = unhex("0000 0000 0001 0000 0000 0000");
    q.extend_from_slice(SERVICE_WIRE);
    q.extend(unhex("00ff 8001"));
    assert_eq!(p2p::decode(&q), Ok(p2p::Message::Query { id: 0 }), "an ANY question with the QU bit: {}", hex(&q));
    let mut q = unhex("0007 0000 0001 0000 0000 0000");
    q.extend_from_slice(b"\x05_http\x04_tcp\x05local\x00");
    q.extend(unhex("000c 0001"));
    assert_eq!(p2p::decode(&q), Ok(p2p::Message::Other), "a query for _http._tcp.local is not for us");
    assert_eq!(
        p2p::decode(&unhex("0000 8400 0000 0000 0000 0000")),
        Ok(p2p::Message::Response(vec![])),
        "an empty response announces nobody"
    );
}

/// Hostile packets: truncation, pointer loops, pointers past the end, oversized counts and names refused; round trip
#[test]
fn step_8_libp2p_hostile() {
    use p2p::Libp2pError as E;
    let check = |what: &str, packet: &[u8], ok: &dyn Fn(&E) -> bool| match p2p::decode(packet) {
        Err(e) if ok(&e) => {}
        other => panic!("{what} ({}) must be refused with the error that names it, got {other:?}", hex(packet)),
    };
    let header = |q: u16, an: u16| {
        let mut h = unhex("0000 8400");
        for c in [q, an, 0, 0] {
            h.extend(c.to_be_bytes());
        }
        h
    };

    check("11 bytes: no room for the header", &unhex("0000 8400 0000 0001 0000 00"), &|e| {
        matches!(e, E::Truncated { need: 12, len: 11, .. })
    });
    let mut big = header(0, 0);
    big.resize(p2p::MAX_PACKET + 1, 0);
    check("a packet over MAX_PACKET", &big, &|e| matches!(e, E::TooLarge(n) if *n == p2p::MAX_PACKET + 1));

    // Counts: 65535 answers in 40 bytes, or more records than MAX_RECORDS in a packet big enough.
    let mut p = header(0, 0xffff);
    p.resize(40, 0);
    check("65535 answers claimed in 40 bytes", &p, &|e| matches!(e, E::TooManyRecords { count: 65535, len: 40 }));
    let mut p = header(0, 100);
    p.resize(40, 0);
    check("100 answers claimed in 40 bytes (fewer than MAX_RECORDS, but a record takes at least 11 bytes)", &p, &|e| {
        matches!(e, E::TooManyRecords { count: 100, len: 40 })
    });
    let mut p = header(0, 300);
    p.resize(12 + 300 * 11, 0);
    check("300 records", &p, &|e| matches!(e, E::TooManyRecords { count: 300, .. }));

    // Compression pointers.
    let mut p = header(1, 0);
    p.extend(unhex("c00c 000c 0001"));
    check("a name that points to itself (byte 12 → 12)", &p, &|e| {
        matches!(e, E::PointerLoop { at: 12, target: 12, .. })
    });
    let mut p = header(2, 0); // question 1's name at byte 12 points to question 2's, which points back
    p.extend(unhex("c012 000c 0001"));
    p.extend(unhex("c00c 000c 0001"));
    check("two names pointing at each other (12 → 18 → 12)", &p, &|e| {
        matches!(e, E::PointerLoop { at: 12, target: 18, .. })
    });
    let mut p = header(1, 0);
    p.extend(unhex("0161 c014 000c 0001"));
    p.extend(unhex("0162 c00c"));
    check("a label, a pointer forward to a label and a pointer back (12 → 20 → 12)", &p, &|e| {
        matches!(e, E::PointerLoop { at: 14, target: 20, .. })
    });
    let mut p = header(1, 0);
    p.extend(unhex("0161 c0ff 000c 0001"));
    check("a pointer past the end", &p, &|e| matches!(e, E::PointerOutOfRange { at: 14, target: 255 }));

    // Labels and names.
    let mut p = header(1, 0);
    p.extend(unhex("40"));
    p.extend([b'x'; 64]);
    p.extend(unhex("00 000c 0001"));
    check("a 64-byte label (length byte 0x40)", &p, &|e| matches!(e, E::LabelTooLong { at: 12, byte: 0x40 }));
    let mut p = header(1, 0);
    for _ in 0..5 {
        p.push(63);
        p.extend([b'x'; 63]);
    }
    p.extend(unhex("00 000c 0001"));
    check("a 321-byte name", &p, &|e| matches!(e, E::NameTooLong { at: 12 }));
    let mut p = header(1, 0);
    p.push(63);
    p.extend([b'a'; 10]);
    check("a 63-byte label with 10 bytes left", &p, &|e| matches!(e, E::Truncated { need: 76, len: 23, .. }));

    // Records.
    let mut p = header(0, 1);
    p.extend_from_slice(SERVICE_WIRE);
    p.extend(unhex("0010 8001 00000078 0040 03 613d62"));
    check("a TXT record whose data length (64) runs past the end", &p, &|e| matches!(e, E::Truncated { .. }));
    let mut p = header(0, 1);
    p.extend_from_slice(SERVICE_WIRE);
    p.extend(unhex("0010 8001 00000078 0004 09 613d62"));
    check("a TXT string of 9 bytes in 4 bytes of data", &p, &|e| matches!(e, E::BadRecord { at: 12, .. }));
    p.extend(unhex("0000 0000 0000 0000"));
    check("a TXT string of 9 bytes in 4 bytes of data, with more bytes after the record", &p, &|e| {
        matches!(e, E::BadRecord { at: 12, .. })
    });
    let mut p = header(0, 1);
    p.extend_from_slice(SERVICE_WIRE);
    p.extend(unhex("000c 0001 00000078 0002 0161 00"));
    check("a PTR name longer than its data", &p, &|e| matches!(e, E::BadRecord { at: 12, .. }));
    let mut p = header(0, 1);
    p.extend_from_slice(SERVICE_WIRE);
    p.extend(unhex("000c 0001 0000"));
    check("a record cut in its TTL", &p, &|e| matches!(e, E::Truncated { .. }));

    // Every prefix of a good response is refused or read, never a panic, never a hang.
    let good = p2p::encode_response("roundtrip0roundtrip0roundtrip012", PEER_ID, &[sock("192.0.2.1:4001")], 120)
        .expect("a response");
    for cut in 0..good.len() {
        let _ = p2p::decode(&good[..cut]);
    }

    // Round trip: what you encode, you read back.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..50 {
        let name = p2p::random_peer_name();
        assert!(
            (32..=63).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "random_peer_name: {name:?}"
        );
        let addrs: Vec<std::net::SocketAddr> = (0..(next() % 6))
            .map(|i| {
                let r = next();
                if i % 2 == 0 {
                    std::net::SocketAddr::from(((r as u32).to_be_bytes(), (r >> 32) as u16))
                } else {
                    std::net::SocketAddr::from((
                        std::net::Ipv6Addr::from(u128::from(r) << 64 | u128::from(next())),
                        (r >> 40) as u16,
                    ))
                }
            })
            .collect();
        let ttl = (next() % 7200) as u32;
        let packet = p2p::encode_response(&name, PEER_ID, &addrs, ttl).expect("a response");
        let expected = if addrs.is_empty() {
            vec![]
        } else {
            vec![p2p::Found { peer_id: PEER_ID.to_string(), addrs: addrs.clone(), ttl }]
        };
        assert_eq!(
            p2p::decode(&packet),
            Ok(p2p::Message::Response(expected)),
            "round {round}: the response you encoded for {addrs:?} (TTL {ttl}) reads back differently: {}",
            hex(&packet)
        );
        let id = next() as u16;
        assert_eq!(p2p::decode(&p2p::encode_query(id)), Ok(p2p::Message::Query { id }), "round {round}: query {id}");
    }
}
