//! Ordinary nodes in the NAT model, addressed by socket address as `kit::udp` addresses
//! them: the same node types run behind a simulated NAT and over real UDP sockets.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use kit::nat::{Internet, NatKind, Packet};
use kit::udp::{self, UdpConfig};
use kit::{Context, Node, NodeId, TimerId};

/// Answers every "ping" with "pong", to whoever it seems to come from.
struct Echo;

impl Node for Echo {
    type Message = Packet;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Packet, ()>, from: NodeId, Packet(bytes): Packet) {
        if bytes == b"ping" {
            ctx.send(from, Packet(b"pong".to_vec()));
        }
    }
}

/// Pings `server` every 100 ms until it answers, then stops its retry timer
/// (cancelled, not ignored) and tells its local client `c0` who answered.
struct Pinger {
    server: NodeId,
    retry: Option<TimerId>,
    pings: u32,
    answered_by: Option<NodeId>,
}

impl Pinger {
    fn new(server: SocketAddr) -> Pinger {
        Pinger { server: udp::node_id(server), retry: None, pings: 0, answered_by: None }
    }

    fn ping(&mut self, ctx: &mut Context<Packet, ()>) {
        self.pings += 1;
        ctx.send(self.server.clone(), Packet(b"ping".to_vec()));
        self.retry = Some(ctx.set_timer(Duration::from_millis(100), ()));
    }
}

impl Node for Pinger {
    type Message = Packet;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<Packet, ()>) {
        self.ping(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<Packet, ()>, from: NodeId, Packet(bytes): Packet) {
        if bytes == b"pong" && self.answered_by.is_none() {
            if let Some(retry) = self.retry.take() {
                ctx.cancel_timer(retry);
            }
            ctx.send(NodeId::client(0), Packet(format!("answered by {from}").into_bytes()));
            self.answered_by = Some(from);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Packet, ()>, (): ()) {
        self.ping(ctx);
    }
}

#[test]
fn a_node_behind_a_nat_is_answered_by_a_node_at_a_public_address() {
    let server: SocketAddrV4 = "203.0.113.1:3478".parse().unwrap();
    let seed = 3;
    println!("seed {seed}");
    let mut net = Internet::new(seed, Duration::from_millis(20));
    net.add_public_node(server, Echo);
    let nat = net.add_nat(Ipv4Addr::new(198, 51, 100, 7), NatKind::PortRestricted);
    let local: SocketAddrV4 = "198.18.1.2:5000".parse().unwrap();
    let pinger = net.add_node_behind(nat, local, Pinger::new(SocketAddr::V4(server)));
    net.run_for(Duration::from_secs(1));
    let pinger = net.node::<Pinger>(pinger).expect("a Pinger");
    assert_eq!(pinger.answered_by, Some(udp::node_id(SocketAddr::V4(server))), "the server's id is its address");
    // 40 ms there and back: the first ping is answered before its retry at 100 ms,
    // and the cancelled retry never sends a second.
    assert_eq!(pinger.pings, 1, "the retry timer was cancelled when the answer came");
}

#[tokio::test]
async fn the_same_nodes_run_over_real_udp_sockets() {
    let echo_socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let echo = udp::spawn(Echo, echo_socket, UdpConfig::default()).unwrap();
    let pinger_socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut pinger = udp::spawn(Pinger::new(echo.addr()), pinger_socket, UdpConfig::default()).unwrap();
    let (to, Packet(bytes)) = tokio::time::timeout(Duration::from_secs(5), pinger.recv()).await.unwrap().unwrap();
    assert_eq!(to, NodeId::client(0));
    assert_eq!(String::from_utf8_lossy(&bytes), format!("answered by {}", echo.addr()));
    pinger.stop().await;
    echo.stop().await;
}
