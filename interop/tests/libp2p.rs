//! The reference stack against rust-libp2p (<https://github.com/libp2p/rust-libp2p>),
//! over loopback TCP: a node built from the handbook's reference parts (TCP,
//! multistream-select `/noise`, Noise XX with libp2p's handshake payload,
//! `/yamux/1.0.0`, then `/ipfs/ping/1.0.0` and `/ipfs/id/1.0.0` on yamux streams) and a
//! `libp2p` 0.57 node with tcp, noise, yamux, ping and identify.
//!
//! Each test fails if the other side refuses at any layer: the libp2p node reports a
//! failed connection, a failed ping or a failed identify, and the reference's
//! `upgrade`, `dialer_select` or ping returns an error.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use identity_solution::Keypair;
use interop::libp2p_node::{AGENT, Libp2pNode, Seen};
use interop::protocols::{IDENTIFY, PING};
use interop::reference_node::{self, ReferenceNode};
use tokio::net::TcpListener;

/// A bound on each wait: a refusal shows up as an error event long before it.
const WAIT: Duration = Duration::from_secs(15);

/// How many pings each way.
const PINGS: usize = 5;

/// The libp2p `PeerId` of a reference peer id: the same 38 bytes.
fn libp2p_id(id: &identity_solution::PeerId) -> libp2p::PeerId {
    libp2p::PeerId::from_bytes(&id.to_bytes()).expect("a reference peer id is a libp2p peer id")
}

async fn libp2p_node(ping_every: Duration) -> (Libp2pNode, SocketAddr) {
    let mut node = Libp2pNode::start(ping_every).expect("a libp2p node");
    let port = node.listening_port().await.expect("it listens");
    (node, SocketAddr::from(([127, 0, 0, 1], port)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_pings_rust_libp2p() {
    // The libp2p node would ping too; make that rare so this test is about our pings.
    let (mut theirs, addr) = libp2p_node(Duration::from_secs(3600)).await;
    let keypair = Keypair::generate();
    let our_id = keypair.peer_id();
    let ours = tokio::time::timeout(WAIT, ReferenceNode::dial(addr, keypair))
        .await
        .expect("the upgrade finishes in time")
        .expect("the reference completes /noise, Noise XX and /yamux/1.0.0 with rust-libp2p");
    assert_eq!(ours.remote.to_string(), theirs.peer_id.to_base58(), "the Noise handshake proved another peer id");
    assert_eq!(ours.muxer, "/yamux/1.0.0");
    theirs
        .wait_for(WAIT, |s| matches!(s, Seen::Connected(p) if *p == libp2p_id(&our_id)).then_some(()))
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p did not report a connection from the reference: {skipped:?}"));
    let rtts = tokio::time::timeout(WAIT, ours.ping(PINGS))
        .await
        .expect("pings answered in time")
        .expect("rust-libp2p answers the reference's pings");
    assert_eq!(rtts.len(), PINGS);
    assert!(ours.session.ended().is_none(), "the session ended: {:?}", ours.session.ended());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_libp2p_pings_the_reference() {
    let (mut theirs, _) = libp2p_node(Duration::from_millis(200)).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let keypair = Keypair::generate();
    let our_id = libp2p_id(&keypair.peer_id());
    theirs.dial(format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("a multiaddr"));
    let ours = tokio::time::timeout(WAIT, ReferenceNode::accept(&listener, keypair))
        .await
        .expect("the upgrade finishes in time")
        .expect("the reference accepts rust-libp2p's /noise, Noise XX and /yamux/1.0.0");
    assert_eq!(ours.remote.to_string(), theirs.peer_id.to_base58(), "the Noise handshake proved another peer id");
    for i in 0..PINGS {
        let rtt = theirs
            .wait_for(WAIT, |s| match s {
                Seen::Pinged(p, result) if *p == our_id => Some(result.clone()),
                Seen::Closed(p, why) if *p == our_id => Some(Err(format!("connection closed: {why}"))),
                _ => None,
            })
            .await
            .unwrap_or_else(|skipped| panic!("ping {i}: rust-libp2p reported no ping of the reference: {skipped:?}"));
        rtt.unwrap_or_else(|e| panic!("ping {i}: rust-libp2p's ping of the reference failed: {e}"));
    }
    assert!(ours.served.pings.load(Ordering::SeqCst) >= PINGS, "the reference answered fewer pings than rust-libp2p saw");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identify_reports_the_reference_protocols() {
    let (mut theirs, addr) = libp2p_node(Duration::from_secs(3600)).await;
    let keypair = Keypair::generate();
    let our_key = reference_node::public_key_protobuf(&keypair);
    let our_id = libp2p_id(&keypair.peer_id());
    let ours = tokio::time::timeout(WAIT, ReferenceNode::dial(addr, keypair)).await.expect("in time").expect("the upgrade");

    // rust-libp2p asks the reference who it is, as soon as the connection is up.
    let info = theirs
        .wait_for(WAIT, |s| match s {
            Seen::Identified(p, info) if *p == our_id => Some(info.clone()),
            Seen::Failed(why) => panic!("rust-libp2p failed: {why}"),
            _ => None,
        })
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p identified nothing: {skipped:?}"));
    let protocols: Vec<String> = info.protocols.iter().map(|p| p.to_string()).collect();
    assert_eq!(protocols, [PING, IDENTIFY], "rust-libp2p read other protocols from the reference");
    assert_eq!(info.public_key.to_peer_id(), our_id, "rust-libp2p read another key");
    assert_eq!(info.public_key.encode_protobuf(), our_key);
    assert_eq!(info.agent_version, reference_node::AGENT);
    assert_eq!(ours.served.identifies.load(Ordering::SeqCst), 1);

    // And the reference reads rust-libp2p's answer to the same question.
    let theirs_info = tokio::time::timeout(WAIT, ours.identify()).await.expect("in time").expect("rust-libp2p answers identify");
    assert_eq!(theirs_info.agent_version, AGENT);
    assert_eq!(theirs_info.public_key, theirs.keypair.public().encode_protobuf());
    for protocol in [PING, IDENTIFY] {
        assert!(theirs_info.protocols.iter().any(|p| p == protocol), "rust-libp2p does not list {protocol}: {:?}", theirs_info.protocols);
    }
}
