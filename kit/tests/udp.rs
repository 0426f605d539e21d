//! The UDP driver: datagram nodes over real sockets on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use kit::udp::{self, Datagram, MAX_DATAGRAM, UdpConfig, UdpHandle};
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;
use tokio::time::timeout;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Msg {
    /// A datagram.
    Wire(Vec<u8>),
    /// Client → node: send `bytes` to `to`.
    SendTo { to: SocketAddr, bytes: Vec<u8> },
    /// Node → client: a datagram arrived from `from`.
    Got { from: NodeId, bytes: Vec<u8> },
    /// Client → node: set one timer per delay, in milliseconds, tagged by position.
    Timers(Vec<u64>),
    /// Node → client: the timer with this tag fired, at this time since the start.
    Fired { tag: usize, at: Duration },
    /// Client → node: send a message that is not a datagram to a socket address.
    Misaddress { to: SocketAddr },
}

impl Datagram for Msg {
    fn from_datagram(bytes: Vec<u8>) -> Msg {
        Msg::Wire(bytes)
    }

    fn into_datagram(self) -> Result<Vec<u8>, Msg> {
        match self {
            Msg::Wire(bytes) => Ok(bytes),
            other => Err(other),
        }
    }
}

/// Answers `ping:x` with `pong:x` and tells its client about every datagram.
#[derive(Default)]
struct Echo {
    client: Option<NodeId>,
}

impl Node for Echo {
    type Message = Msg;
    type Timer = usize;

    fn on_message(&mut self, ctx: &mut Context<Msg, usize>, from: NodeId, message: Msg) {
        match message {
            Msg::Wire(bytes) => {
                if let Some(rest) = bytes.strip_prefix(b"ping:") {
                    ctx.send(from.clone(), Msg::Wire([b"pong:", rest].concat()));
                }
                if let Some(client) = self.client.clone() {
                    ctx.send(client, Msg::Got { from, bytes });
                }
            }
            Msg::SendTo { to, bytes } => {
                self.client = Some(from);
                ctx.send(udp::node_id(to), Msg::Wire(bytes));
            }
            Msg::Timers(delays) => {
                self.client = Some(from);
                for (tag, ms) in delays.into_iter().enumerate() {
                    ctx.set_timer(Duration::from_millis(ms), tag);
                }
            }
            Msg::Misaddress { to } => {
                self.client = Some(from);
                ctx.send(udp::node_id(to), Msg::Timers(vec![]));
            }
            Msg::Got { .. } | Msg::Fired { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, usize>, tag: usize) {
        if let Some(client) = self.client.clone() {
            let at = ctx.now();
            ctx.send(client, Msg::Fired { tag, at });
        }
    }
}

async fn echo(seed: u64) -> UdpHandle<Msg> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind on loopback");
    udp::spawn(Echo::default(), socket, UdpConfig { seed, ..UdpConfig::default() }).expect("spawn")
}

async fn next(handle: &mut UdpHandle<Msg>) -> Msg {
    match timeout(Duration::from_secs(5), handle.recv()).await {
        Ok(Some((to, message))) => {
            assert_eq!(to, NodeId::client(0), "answers go to the client that asked");
            message
        }
        Ok(None) => panic!("the node stopped"),
        Err(_) => panic!("no message for the client within 5 s"),
    }
}

/// Nothing more for the client within `wait`.
async fn quiet(handle: &mut UdpHandle<Msg>, wait: Duration) {
    if let Ok(Some(got)) = timeout(wait, handle.recv()).await {
        panic!("expected nothing, got {got:?}");
    }
}

#[test]
fn peers_are_named_by_their_socket_address() {
    let v4: SocketAddr = "127.0.0.1:6881".parse().unwrap();
    let v6: SocketAddr = "[::1]:6881".parse().unwrap();
    assert_eq!(udp::node_id(v4).as_str(), "127.0.0.1:6881");
    assert_eq!(udp::socket_addr(&udp::node_id(v4)), Some(v4));
    assert_eq!(udp::socket_addr(&udp::node_id(v6)), Some(v6));
    assert_eq!(udp::socket_addr(&NodeId::node(3)), None, "the simulator's names are not addresses");
    assert_eq!(udp::socket_addr(&NodeId::client(0)), None, "nor are clients'");
}

#[tokio::test]
async fn two_nodes_exchange_datagrams() {
    let (mut a, mut b) = (echo(1).await, echo(2).await);
    assert!(b.send(NodeId::client(0), Msg::Timers(vec![])), "b learns its client");
    assert!(a.send(NodeId::client(0), Msg::SendTo { to: b.addr(), bytes: b"ping:hello".to_vec() }));
    assert_eq!(
        next(&mut b).await,
        Msg::Got { from: udp::node_id(a.addr()), bytes: b"ping:hello".to_vec() },
        "b sees a's address as the sender"
    );
    assert_eq!(
        next(&mut a).await,
        Msg::Got { from: udp::node_id(b.addr()), bytes: b"pong:hello".to_vec() },
        "the answer comes back to a"
    );
    assert!(!a.send(udp::node_id(b.addr()), Msg::Timers(vec![])), "a socket address is not a local client");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn timers_fire_in_deadline_order() {
    let mut node = echo(3).await;
    let started = tokio::time::Instant::now();
    node.send(NodeId::client(0), Msg::Timers(vec![120, 20, 60, 20, 0]));
    let mut fired = Vec::new();
    for _ in 0..5 {
        match next(&mut node).await {
            Msg::Fired { tag, at } => fired.push((tag, at)),
            other => panic!("expected a timer, got {other:?}"),
        }
    }
    let tags: Vec<usize> = fired.iter().map(|(tag, _)| *tag).collect();
    assert_eq!(tags, [4, 1, 3, 2, 0], "earliest first; equal deadlines in the order they were set");
    let (_, last) = fired[4];
    assert!(last >= Duration::from_millis(120), "the 120 ms timer fired at {last:?}, not before");
    assert!(started.elapsed() >= Duration::from_millis(120));
    quiet(&mut node, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn garbage_and_oversized_datagrams_do_not_stop_a_node() {
    let mut node = echo(4).await;
    node.send(NodeId::client(0), Msg::Timers(vec![]));
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let from = udp::node_id(stranger.local_addr().unwrap());

    let mut too_long = b"ping:".to_vec();
    too_long.resize(MAX_DATAGRAM + 1, b'x');
    stranger.send_to(&too_long, node.addr()).await.unwrap();
    quiet(&mut node, Duration::from_millis(200)).await;

    for bytes in [vec![], vec![0xff; 7], b"d1:ad2:id3:abce".to_vec()] {
        stranger.send_to(&bytes, node.addr()).await.unwrap();
        assert_eq!(
            next(&mut node).await,
            Msg::Got { from: from.clone(), bytes },
            "any bytes reach the node as they are"
        );
    }

    // A message that is not a datagram is refused by the driver, not sent.
    node.send(NodeId::client(0), Msg::Misaddress { to: stranger.local_addr().unwrap() });

    let mut longest = b"ping:".to_vec();
    longest.resize(MAX_DATAGRAM, b'y');
    stranger.send_to(&longest, node.addr()).await.unwrap();
    assert!(
        matches!(next(&mut node).await, Msg::Got { bytes, .. } if bytes.len() == MAX_DATAGRAM),
        "a datagram of exactly MAX_DATAGRAM bytes is read"
    );
    let mut buf = vec![0; MAX_DATAGRAM + 1];
    let (n, _) = timeout(Duration::from_secs(5), stranger.recv_from(&mut buf)).await.expect("an answer").unwrap();
    assert!(buf[..n].starts_with(b"pong:"), "the only datagram the stranger gets is the pong");
    assert_eq!(n, MAX_DATAGRAM);
    node.stop().await;
}

#[tokio::test]
async fn stopping_closes_the_socket() {
    let node = echo(5).await;
    let addr = node.addr();
    node.stop().await;
    UdpSocket::bind(addr).await.expect("the address is free again once the node has stopped");
}
