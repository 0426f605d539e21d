//! The same rendezvous server, relay and peers that the checks run behind simulated
//! NATs, on real UDP sockets through `kit::udp`: the server, the relay and two peers
//! each on their own socket at an ephemeral port of 127.0.0.1. Loopback has no NAT, so
//! the first punch gets through and the peers connect directly; the point is that the
//! nodes are unchanged, only the driver is another.

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::udp::{self, UdpConfig, UdpHandle};
use kit::{Context, Node, NodeId};
use nat_solution::{Msg, Path, Peer, Relay, Server};
use tokio::net::UdpSocket;

/// A node the test can look into while the driver runs it: each callback goes to the
/// node under a lock.
struct Shared<N>(Arc<Mutex<N>>);

impl<N: Node> Node for Shared<N> {
    type Message = N::Message;
    type Timer = N::Timer;

    fn on_start(&mut self, ctx: &mut Context<N::Message, N::Timer>) {
        self.0.lock().unwrap().on_start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<N::Message, N::Timer>, from: NodeId, message: N::Message) {
        self.0.lock().unwrap().on_message(ctx, from, message);
    }

    fn on_timer(&mut self, ctx: &mut Context<N::Message, N::Timer>, timer: N::Timer) {
        self.0.lock().unwrap().on_timer(ctx, timer);
    }
}

/// A socket at an ephemeral port of 127.0.0.1.
async fn socket() -> (UdpSocket, SocketAddrV4) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let SocketAddr::V4(addr) = socket.local_addr().unwrap() else { unreachable!("bound to an IPv4 address") };
    (socket, addr)
}

/// Runs `node` on `socket`, seeded with `seed`, and keeps a way to look at it.
fn run<N>(node: N, socket: UdpSocket, seed: u64) -> (UdpHandle<Msg>, Arc<Mutex<N>>)
where
    N: Node<Message = Msg> + Send + 'static,
    N::Timer: Send,
{
    let shared = Arc::new(Mutex::new(node));
    let handle = udp::spawn(Shared(shared.clone()), socket, UdpConfig { peers: vec![], seed }).expect("spawn");
    (handle, shared)
}

#[tokio::test]
async fn the_checked_nodes_connect_directly_over_real_udp_sockets() {
    let seed = kit::seed(51);
    println!("seed {seed}");
    let (server_socket, server) = socket().await;
    let (relay_socket, relay) = socket().await;
    let (alice_socket, alice_addr) = socket().await;
    let (bob_socket, bob_addr) = socket().await;
    let (server_handle, server_node) = run(Server::new(), server_socket, seed);
    let (relay_handle, relay_node) = run(Relay::new(), relay_socket, seed ^ 1);
    let (bob_handle, bob) = run(Peer::new("bob", server, relay, None), bob_socket, seed ^ 2);
    let (alice_handle, alice) = run(Peer::new("alice", server, relay, Some("bob")), alice_socket, seed ^ 3);

    // Both connected and greeted, or ten seconds gone (a peer retries every 200 ms and
    // falls back to the relay after 2 s, so a lost datagram cannot hang this).
    let done = || {
        [&alice, &bob].iter().all(|p| {
            let p = p.lock().unwrap();
            p.connection().is_some() && !p.received().is_empty()
        })
    };
    let started = tokio::time::Instant::now();
    while !done() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!("both peers connected and greeted after {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);

    for (peer, me, other, other_addr) in [(&alice, "alice", "bob", bob_addr), (&bob, "bob", "alice", alice_addr)] {
        let peer = peer.lock().unwrap();
        let connection = peer.connection().unwrap_or_else(|| {
            panic!("{me} has no connection to {other} after 10 s on loopback: the server at {server} never introduced them, or no punch got through")
        });
        assert_eq!(connection.peer, other, "{me} is connected to the wrong peer");
        assert_eq!(
            connection.path,
            Path::Direct(other_addr),
            "{me} must reach {other} directly at {other}'s own socket ({other_addr}): loopback has no NAT, so the punch gets through"
        );
        assert_eq!(peer.received(), [format!("hello from {other}")], "{me} must receive {other}'s greeting, once");
        assert_eq!(
            peer.observed(),
            Some(if me == "alice" { alice_addr } else { bob_addr }),
            "the server sees {me} at its socket's own address when there is no NAT"
        );
    }
    assert!(server_node.lock().unwrap().introductions >= 1, "the server introduced alice to bob");
    assert_eq!(relay_node.lock().unwrap().forwarded, 0, "a direct connection does not use the relay");

    for handle in [alice_handle, bob_handle, relay_handle, server_handle] {
        handle.stop().await;
    }
}
