//! The tokio driver: the same kind of node over real sockets on loopback, in one
//! process and across two processes.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use kit::net::{self, Client, NetConfig};
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Broadcast { value: u64 },
    BroadcastOk,
    Gossip { value: u64 },
    Read,
    ReadOk { values: Vec<u64> },
}

#[derive(Default)]
struct Flood {
    seen: BTreeSet<u64>,
}

impl Node for Flood {
    type Message = Msg;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        let value = match message {
            Msg::Broadcast { value } => {
                ctx.send(from, Msg::BroadcastOk);
                value
            }
            Msg::Gossip { value } => value,
            Msg::Read => return ctx.send(from, Msg::ReadOk { values: self.seen.iter().copied().collect() }),
            _ => return,
        };
        if self.seen.insert(value) {
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, Msg::Gossip { value });
            }
        }
    }
}

async fn loopback() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind on loopback")
}

/// Reads from `addr` until it has `want`, or gives up after 10 s.
async fn read_until(addr: SocketAddr, want: &[u64]) -> Vec<u64> {
    let mut client = Client::connect(addr, NodeId::client(1)).await.expect("connect");
    let mut last = Vec::new();
    for _ in 0..200 {
        client.send(&NodeId::node(1), &Msg::Read).await.expect("send");
        match client.recv::<Msg>().await.expect("a reply").body {
            Msg::ReadOk { values } if values == want => return values,
            Msg::ReadOk { values } => last = values,
            other => panic!("unexpected reply {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}

#[tokio::test]
async fn nodes_gossip_over_real_sockets() {
    let (l0, l1) = (loopback().await, loopback().await);
    let (a0, a1) = (l0.local_addr().unwrap(), l1.local_addr().unwrap());
    let (n0, n1) = (NodeId::node(0), NodeId::node(1));
    let h0 = net::spawn(Flood::default(), l0, NetConfig { me: n0.clone(), peers: vec![(n1.clone(), a1)], seed: 1 }).unwrap();
    let h1 = net::spawn(Flood::default(), l1, NetConfig { me: n1.clone(), peers: vec![(n0.clone(), a0)], seed: 2 }).unwrap();

    let mut client = Client::connect(h0.addr(), NodeId::client(0)).await.unwrap();
    for value in [5, 6] {
        client.send(&n0, &Msg::Broadcast { value }).await.unwrap();
        let reply = client.recv::<Msg>().await.unwrap();
        assert_eq!((reply.src, reply.dest, reply.body), (n0.clone(), NodeId::client(0), Msg::BroadcastOk));
    }
    assert_eq!(read_until(h1.addr(), &[5, 6]).await, vec![5, 6], "n1 learned both values from n0");

    // A malformed line is skipped; the connection and the node keep working.
    use tokio::io::AsyncWriteExt;
    let mut raw = tokio::net::TcpStream::connect(h0.addr()).await.unwrap();
    raw.write_all(b"this is not json\n{\"src\":\"c2\",\"dest\":\"n0\",\"body\":{\"type\":\"broadcast\",\"value\":7}}\n").await.unwrap();
    assert_eq!(read_until(h1.addr(), &[5, 6, 7]).await, vec![5, 6, 7], "the good line after the bad one got through");
    h0.stop().await;
    h1.stop().await;
}

/// Not a test on its own: the second process of `nodes_gossip_across_two_processes`,
/// which starts this test binary again with only this test selected.
#[test]
#[ignore = "helper process, started by nodes_gossip_across_two_processes"]
fn child_process_node() {
    let Ok(peer) = std::env::var("KIT_NET_CHILD_PEER") else { return };
    let peer: SocketAddr = peer.parse().expect("a socket address");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = loopback().await;
        println!("listening {}", listener.local_addr().unwrap());
        let config = NetConfig { me: NodeId::node(1), peers: vec![(NodeId::node(0), peer)], seed: 2 };
        let _node = net::spawn(Flood::default(), listener, config).unwrap();
        // Run until the parent closes our stdin.
        tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await.unwrap();
    });
}

#[tokio::test]
async fn nodes_gossip_across_two_processes() {
    let l0 = loopback().await;
    let a0 = l0.local_addr().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_node", "--ignored", "--nocapture", "--test-threads=1"])
        .env("KIT_NET_CHILD_PEER", a0.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the second process");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let a1: SocketAddr = loop {
        let line = lines.next().expect("the child prints its address").unwrap();
        // libtest prints "test child_process_node ... " on the same line.
        if let Some((_, addr)) = line.split_once("listening ") {
            break addr.trim().parse().unwrap();
        }
    };
    assert_ne!(child.id(), std::process::id());

    let config = NetConfig { me: NodeId::node(0), peers: vec![(NodeId::node(1), a1)], seed: 1 };
    let h0 = net::spawn(Flood::default(), l0, config).unwrap();
    let mut client = Client::connect(h0.addr(), NodeId::client(0)).await.unwrap();
    client.send(&NodeId::node(0), &Msg::Broadcast { value: 42 }).await.unwrap();
    assert_eq!(client.recv::<Msg>().await.unwrap().body, Msg::BroadcastOk);
    let seen = read_until(a1, &[42]).await;
    drop(child.stdin.take());
    let _ = child.wait();
    assert_eq!(seen, vec![42], "the other process's node learned the value over TCP");
}
