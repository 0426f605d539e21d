//! A DHT node on a real UDP socket: the reference node, driven by `kit::udp`.
//!
//!     cargo run -p dht-solution --bin dht -- --listen 127.0.0.1:6881 \
//!         [--bootstrap HOST:PORT]... [--announce INFOHASH_HEX --port N] \
//!         [--get-peers INFOHASH_HEX] [--once]
//!
//! It joins through the bootstrap nodes, prints the nodes closest to its own id, then
//! announces and looks up what it was asked to, one plain line per thing it learns:
//!
//! ```text
//! listening 127.0.0.1:6881 id 5f3c…
//! joined: 8 nodes found near our id, 2 hops, 14 queries
//! node 5f2a…
//! announced 0123…ef port 7000 stored 8
//! peers 0123…ef 1
//! peer 127.0.0.1:7000
//! ```
//!
//! Then it keeps serving the DHT until Ctrl-C (or stops at once with `--once`). It
//! speaks BEP 5 and joins a network of mainline nodes; it contacts only the addresses
//! it is given and those it learns from them.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use dht_solution::{DhtNode, Id, Msg};
use kit::NodeId;
use kit::rand::SeedableRng;
use kit::udp::{self, UdpConfig, UdpHandle};
use tokio::net::UdpSocket;

/// How long to wait for any answer from the node (a lookup takes a few round trips
/// of at most a second each).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to keep asking for contacts while joining before reporting none.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A BitTorrent DHT node (BEP 5) on one UDP socket.
#[derive(Parser, Debug)]
#[command(name = "dht", version)]
struct Args {
    /// The UDP address to listen on (IPv4), such as 127.0.0.1:6881 or 127.0.0.1:0 for
    /// any free port.
    #[arg(long, value_name = "IP:PORT")]
    listen: SocketAddr,
    /// A node to join through (repeat for several). Without one this node starts a
    /// network of its own and waits for others to join it.
    #[arg(long, value_name = "HOST:PORT")]
    bootstrap: Vec<String>,
    /// Announce this node as a peer for an info-hash (40 hex digits); needs --port.
    #[arg(long, value_name = "INFOHASH_HEX", requires = "port")]
    announce: Option<String>,
    /// The port to announce (the one the peer's BitTorrent client listens on).
    #[arg(long, value_name = "N", requires = "announce")]
    port: Option<u16>,
    /// Look up the peers of an info-hash (40 hex digits).
    #[arg(long, value_name = "INFOHASH_HEX")]
    get_peers: Option<String>,
    /// This node's id (40 hex digits); random by default.
    #[arg(long, value_name = "HEX")]
    id: Option<String>,
    /// Exit once the join, announce and lookup are done, instead of serving on.
    #[arg(long)]
    once: bool,
}

fn info_hash(hex: &str, option: &str) -> anyhow::Result<Id> {
    Id::from_hex(hex).with_context(|| format!("{option} {hex}: an info-hash is 40 hex digits"))
}

/// Resolves `HOST:PORT` to its IPv4 addresses (BEP 5's compact formats are IPv4).
async fn resolve(spec: &str) -> anyhow::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(spec)
        .await
        .with_context(|| format!("--bootstrap {spec}"))?
        .filter(SocketAddr::is_ipv4)
        .collect();
    if addrs.is_empty() {
        bail!("--bootstrap {spec}: no IPv4 address");
    }
    Ok(addrs)
}

/// The node's answer to the client `c0`, or an error after `ANSWER_TIMEOUT`.
async fn answer(node: &mut UdpHandle<Msg>) -> anyhow::Result<Msg> {
    match tokio::time::timeout(ANSWER_TIMEOUT, node.recv()).await {
        Ok(Some((_, message))) => Ok(message),
        Ok(None) => bail!("the node stopped"),
        Err(_) => bail!("no answer from the node within {} s", ANSWER_TIMEOUT.as_secs()),
    }
}

fn client() -> NodeId {
    NodeId::client(0)
}

/// Asks for the nodes closest to our own id until some other node is among them (the
/// join has found the network) or `JOIN_TIMEOUT` passes, and prints them.
async fn join(node: &mut UdpHandle<Msg>, id: Id) -> anyhow::Result<()> {
    let started = tokio::time::Instant::now();
    loop {
        node.send(client(), Msg::FindClosest { target: id });
        if let Msg::Closest { nodes, rounds, queries, .. } = answer(node).await? {
            let others: Vec<Id> = nodes.into_iter().filter(|n| *n != id).collect();
            if !others.is_empty() || started.elapsed() >= JOIN_TIMEOUT {
                println!("joined: {} nodes found near our id, {rounds} hops, {queries} queries", others.len());
                for other in others {
                    println!("node {other}");
                }
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.listen.is_ipv4() {
        bail!("--listen {}: BEP 5 is IPv4; give an IPv4 address", args.listen);
    }
    let announce = args.announce.as_deref().map(|h| info_hash(h, "--announce")).transpose()?;
    let get_peers = args.get_peers.as_deref().map(|h| info_hash(h, "--get-peers")).transpose()?;
    let mut bootstrap = Vec::new();
    for spec in &args.bootstrap {
        bootstrap.extend(resolve(spec).await?.into_iter().map(udp::node_id));
    }
    let seed = getrandom::u64().context("the operating system's random number generator failed")?;
    let id = match &args.id {
        Some(hex) => Id::from_hex(hex).with_context(|| format!("--id {hex}: a node id is 40 hex digits"))?,
        None => Id::random(&mut kit::NodeRng::seed_from_u64(seed)),
    };
    let socket = UdpSocket::bind(args.listen).await.with_context(|| format!("cannot listen on {}", args.listen))?;
    let joining = !bootstrap.is_empty();
    let mut node = udp::spawn(DhtNode::new(id, bootstrap), socket, UdpConfig { seed, ..UdpConfig::default() })
        .context("cannot start the node")?;
    println!("listening {} id {id}", node.addr());

    if joining {
        join(&mut node, id).await?;
    }
    if let (Some(info_hash), Some(port)) = (announce, args.port) {
        node.send(client(), Msg::Announce { info_hash, port });
        if let Msg::Announced { stored, .. } = answer(&mut node).await? {
            println!("announced {info_hash} port {port} stored {stored}");
        }
    }
    if let Some(info_hash) = get_peers {
        node.send(client(), Msg::GetPeers { info_hash });
        if let Msg::Peers { peers, .. } = answer(&mut node).await? {
            println!("peers {info_hash} {}", peers.len());
            for peer in peers {
                println!("peer {peer}");
            }
        }
    }
    if !args.once {
        println!("serving; Ctrl-C to stop");
        tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    }
    node.stop().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("dht: {e:#}");
        std::process::exit(1);
    }
}
