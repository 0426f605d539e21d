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
    let h0 =
        net::spawn(Flood::default(), l0, NetConfig { me: n0.clone(), peers: vec![(n1.clone(), a1)], seed: 1 }).unwrap();
    let h1 =
        net::spawn(Flood::default(), l1, NetConfig { me: n1.clone(), peers: vec![(n0.clone(), a0)], seed: 2 }).unwrap();

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
    raw.write_all(
        b"this is not json\n{\"src\":\"c2\",\"dest\":\"n0\",\"body\":{\"type\":\"broadcast\",\"value\":7}}\n",
    )
    .await
    .unwrap();
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

/// The file descriptors this process has open now.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Waits up to 5 s for the node to have no accepted connection open.
async fn until_no_connections(handle: &net::NetHandle) {
    for _ in 0..100 {
        if handle.stats().connections == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clients come, ask, and go: every descriptor, task and queue of theirs is freed.
#[tokio::test]
async fn departed_clients_leave_no_file_descriptors() {
    let listener = loopback().await;
    let n0 = NodeId::node(0);
    let handle = net::spawn(Flood::default(), listener, NetConfig { me: n0.clone(), peers: vec![], seed: 1 }).unwrap();
    // One client first, so that the runtime's own descriptors are all open.
    let mut warm = Client::connect(handle.addr(), NodeId::client(0)).await.unwrap();
    warm.send(&n0, &Msg::Read).await.unwrap();
    warm.recv::<Msg>().await.unwrap();
    drop(warm);
    until_no_connections(&handle).await;
    let before = open_fds();
    for i in 0..300 {
        let mut client = Client::connect(handle.addr(), NodeId::client(i)).await.unwrap();
        client.send(&n0, &Msg::Read).await.unwrap();
        client.recv::<Msg>().await.unwrap();
    }
    until_no_connections(&handle).await;
    let after = open_fds();
    kit::figure("open descriptors before 300 clients", before);
    kit::figure("open descriptors after they left", after);
    assert_eq!(handle.stats().connections, 0, "every departed client's connection is closed");
    // Other tests in this binary run alongside and open a few of their own.
    assert!(
        after <= before + 20,
        "300 clients came and went, and the process holds {} more descriptors",
        after - before
    );
    handle.stop().await;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Strict {
    Broadcast {
        value: u64,
    },
    BroadcastOk,
    Gossip {
        value: u64,
    },
    /// Something no honest node sends: whoever sends it is cut off for good.
    Bad,
    Read,
    ReadOk {
        values: Vec<u64>,
    },
}

/// Floods like [`Flood`], and bans for ever a peer that sends [`Strict::Bad`] (the
/// way the chat bans a peer that sends a malformed entry).
#[derive(Default)]
struct Banning {
    seen: BTreeSet<u64>,
    banned: BTreeSet<NodeId>,
}

impl Node for Banning {
    type Message = Strict;
    type Timer = ();

    fn on_message(&mut self, ctx: &mut Context<Strict, ()>, from: NodeId, message: Strict) {
        if self.banned.contains(&from) {
            return;
        }
        let value = match message {
            Strict::Broadcast { value } => {
                ctx.send(from, Strict::BroadcastOk);
                value
            }
            Strict::Gossip { value } => value,
            Strict::Bad => {
                self.banned.insert(from);
                return;
            }
            Strict::Read => return ctx.send(from, Strict::ReadOk { values: self.seen.iter().copied().collect() }),
            _ => return,
        };
        if self.seen.insert(value) {
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, Strict::Gossip { value });
            }
        }
    }
}

/// A client speaking as peer n1, on its own connection or from another address, cannot get n1 banned: the room of two stays joined.
#[tokio::test]
async fn a_client_cannot_get_a_peer_banned() {
    use tokio::io::AsyncWriteExt;
    let (l0, l1) = (loopback().await, loopback().await);
    let (a0, a1) = (l0.local_addr().unwrap(), l1.local_addr().unwrap());
    let (n0, n1) = (NodeId::node(0), NodeId::node(1));
    let h0 = net::spawn(Banning::default(), l0, NetConfig { me: n0.clone(), peers: vec![(n1.clone(), a1)], seed: 1 })
        .unwrap();
    let h1 = net::spawn(Banning::default(), l1, NetConfig { me: n1.clone(), peers: vec![(n0.clone(), a0)], seed: 2 })
        .unwrap();
    let bad = format!("{}\n", serde_json::json!({"src": "n1", "dest": "n0", "body": {"type": "bad"}}));

    // A client that spoke as c5, then claims to be n1.
    let mut client = Client::connect(a0, NodeId::client(5)).await.unwrap();
    client.send(&n0, &Strict::Read).await.unwrap();
    client.recv::<Strict>().await.unwrap();
    let mut raw = tokio::net::TcpStream::connect(a0).await.unwrap();
    raw.write_all(format!("{}\n", serde_json::json!({"src": "c6", "dest": "n0", "body": {"type": "read"}})).as_bytes())
        .await
        .unwrap();
    raw.write_all(bad.as_bytes()).await.unwrap();
    // A connection from another loopback address (another machine, as far as n0 can
    // tell) whose very first message claims to be n1, who listens on 127.0.0.1.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).expect("bind 127.0.0.2 (Linux routes all of 127.0.0.0/8 to lo)");
    let mut elsewhere = socket.connect(a0).await.unwrap();
    elsewhere.write_all(bad.as_bytes()).await.unwrap();

    // n1 still reaches n0.
    let mut spoofed = 0;
    for _ in 0..100 {
        spoofed = h0.stats().spoofed;
        if spoofed >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut at_n1 = Client::connect(a1, NodeId::client(0)).await.unwrap();
    at_n1.send(&n1, &Strict::Broadcast { value: 9 }).await.unwrap();
    assert_eq!(at_n1.recv::<Strict>().await.unwrap().body, Strict::BroadcastOk);
    let mut reader = Client::connect(a0, NodeId::client(1)).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..100 {
        reader.send(&n0, &Strict::Read).await.unwrap();
        if let Strict::ReadOk { values } = reader.recv::<Strict>().await.unwrap().body {
            seen = values;
        }
        if seen == [9] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kit::figure("spoofed messages dropped", spoofed);
    assert_eq!(seen, [9], "n0 no longer hears n1: a client's message in n1's name got n1 banned");
    assert_eq!(spoofed, 2, "both spoofed messages are dropped and counted");
    h0.stop().await;
    h1.stop().await;
}

/// Answers a request with 2,000 messages of 64 KiB (125 MiB), as a node streaming a
/// long history might.
struct Chatty;

impl Node for Chatty {
    type Message = String;
    type Timer = ();
    fn on_message(&mut self, ctx: &mut Context<String, ()>, from: NodeId, _: String) {
        for _ in 0..2000 {
            ctx.send(from.clone(), "x".repeat(64 * 1024));
        }
    }
}

/// A client that asks and never reads: what waits for it is bounded, the rest dropped and counted.
#[tokio::test]
async fn a_client_that_never_reads_cannot_grow_the_queue() {
    let listener = loopback().await;
    let n0 = NodeId::node(0);
    let handle = net::spawn(Chatty, listener, NetConfig { me: n0.clone(), peers: vec![], seed: 1 }).unwrap();
    let mut client = Client::connect(handle.addr(), NodeId::client(0)).await.unwrap();
    // The socket's buffers hold a few MiB of the 125; the rest must wait or go.
    client.send(&n0, &"everything".to_string()).await.unwrap();
    let mut dropped = 0;
    for _ in 0..200 {
        dropped = handle.stats().dropped;
        if dropped > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    kit::figure("answers dropped for a client that does not read", dropped);
    assert!(
        dropped > 0,
        "2,000 answers of 64 KiB to a client that never reads must hit the queue's bound ({} bytes)",
        net::MAX_QUEUED_BYTES
    );
    assert!(dropped < 2000);
    handle.stop().await;
}

/// Not a test on its own: the node of `accept_errors_back_off_at_the_descriptor_limit`,
/// run in a process of its own so that its descriptor limit can be lowered.
#[test]
#[ignore = "helper process, started by accept_errors_back_off_at_the_descriptor_limit"]
fn child_process_at_the_limit() {
    if std::env::var("KIT_NET_FD_CHILD").is_err() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = loopback().await;
        println!("listening {}", listener.local_addr().unwrap());
        let _node =
            net::spawn(Flood::default(), listener, NetConfig { me: NodeId::node(0), peers: vec![], seed: 1 }).unwrap();
        tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await.unwrap();
    });
}

/// The CPU time (user and system, in clock ticks) of process `pid`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// At the descriptor limit the node neither spins nor floods stderr, and accepts again once descriptors are free.
#[test]
fn accept_errors_back_off_at_the_descriptor_limit() {
    use std::io::Read;
    if Command::new("prlimit").arg("--version").output().is_err() {
        // util-linux is on every Debian machine: under CI its absence is a failure.
        assert!(std::env::var_os("CI").is_none(), "prlimit (util-linux) is not installed, and CI must run this test");
        eprintln!("prlimit (util-linux) is not installed: skipping");
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_at_the_limit", "--ignored", "--nocapture", "--test-threads=1"])
        .env("KIT_NET_FD_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the node's process");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let line = lines.next().expect("the child prints its address").unwrap();
        if let Some((_, addr)) = line.split_once("listening ") {
            break addr.trim().parse().unwrap();
        }
    };
    let mut stderr = child.stderr.take().unwrap();
    let stderr_bytes = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stderr.read_to_end(&mut all);
        all.len()
    });
    // Leave the node 16 descriptors more than it has open now.
    let open = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    let limit = open + 16;
    let status =
        Command::new("prlimit").args([format!("--pid={pid}"), format!("--nofile={limit}:{limit}")]).status().unwrap();
    assert!(status.success(), "prlimit failed");
    // 64 connections: the first few take the free descriptors, the rest wait in the
    // listen queue and make every accept fail.
    let held: Vec<std::net::TcpStream> = (0..64).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (t0, c0) = (std::time::Instant::now(), cpu_ticks(pid));
    std::thread::sleep(Duration::from_secs(2));
    let ticks = cpu_ticks(pid) - c0;
    let cpu = ticks as f64 / 100.0 / t0.elapsed().as_secs_f64();
    kit::figure("CPU of a node at its descriptor limit, 2 s", format!("{:.0} %", cpu * 100.0));
    // Free the descriptors: the node answers again.
    drop(held);
    let answered = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            for _ in 0..50 {
                if let Ok(Ok(mut client)) =
                    tokio::time::timeout(Duration::from_secs(1), Client::connect(addr, NodeId::client(0))).await
                {
                    let asked = client.send(&NodeId::node(0), &Msg::Read).await.is_ok();
                    if asked
                        && let Ok(Ok(reply)) = tokio::time::timeout(Duration::from_secs(2), client.recv::<Msg>()).await
                    {
                        return Some(reply.body);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            None
        })
    })
    .join()
    .unwrap();
    drop(child.stdin.take());
    let _ = child.wait();
    let printed = stderr_bytes.join().unwrap();
    kit::figure("bytes written to stderr at the limit", printed);
    assert!(
        cpu < 0.2,
        "at its descriptor limit the node used {:.0} % of a core: accept errors must pause, not spin",
        cpu * 100.0
    );
    assert!(printed < 4096, "at its descriptor limit the node wrote {printed} bytes to stderr: report once per burst");
    assert_eq!(
        answered,
        Some(Msg::ReadOk { values: vec![] }),
        "once descriptors are free again, the node accepts and answers"
    );
}
