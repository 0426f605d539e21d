//! The room chat.
//!
//!     cargo run -p chat-solution -- NICK [--lan] [--port PORT] [--peer ID@ADDR]...
//!
//! Loads (or creates) this participant's key from `.chat/NICK.key`, announces it with
//! mDNS (this machine's loopback interface, or the room's network with `--lan`),
//! listens for the others for two seconds, then joins: each line typed goes into the
//! room, and the room's history prints as it grows. Peers that start later find
//! this one and connect to it; `--peer` adds peers by hand where multicast is blocked.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use chat_solution::{ChatNode, Msg};
use identity_solution::key_file::{load_key, save_key};
use identity_solution::keys::Keypair;
use kit::NodeId;
use kit::net::{Client, NetConfig, spawn};
use mdns_solution::{Discovery, Event, Interface};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

const TOPIC: &str = "p2p-handbook-chat";

struct Args {
    nick: String,
    lan: bool,
    port: u16,
    peers: Vec<(NodeId, SocketAddr)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut nick, mut lan, mut port, mut peers) = (None, false, 0, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lan" => lan = true,
            "--port" => port = args.next().and_then(|p| p.parse().ok()).ok_or("--port needs a number")?,
            "--peer" => {
                let spec = args.next().ok_or("--peer needs ID@ADDR")?;
                let (id, addr) = spec.split_once('@').ok_or("--peer needs ID@ADDR")?;
                peers.push((NodeId::new(id), addr.parse().map_err(|e| format!("--peer {spec}: {e}"))?));
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => nick = Some(other.to_string()),
        }
    }
    let nick = nick.ok_or("usage: NICK [--lan] [--port PORT] [--peer ID@ADDR]...")?;
    Ok(Args { nick, lan, port, peers })
}

fn keypair(nick: &str) -> Result<Keypair, String> {
    let path = PathBuf::from(".chat").join(format!("{nick}.key"));
    if path.exists() {
        return load_key(&path).map_err(|e| format!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(".chat").map_err(|e| e.to_string())?;
    let keypair = Keypair::generate();
    save_key(&path, &keypair).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("new identity saved in {}", path.display());
    Ok(keypair)
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let keypair = keypair(&args.nick)?;
    let me = keypair.peer_id().to_string();
    let ip = if args.lan { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
    let listener = TcpListener::bind((ip, args.port)).await.map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let interface = if args.lan { Interface::All } else { Interface::Loopback };
    let mut discovery = Discovery::start(&interface, &me, TOPIC, port).map_err(|e| e.to_string())?;
    println!("{} is {me}, on port {port}; looking for the room for 2 s…", args.nick);
    let mut peers = args.peers.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        if let Some(Event::Joined(peer)) = discovery.next_event(left)
            && let Some(addr) = peer.addrs.iter().find(|a| a.is_ipv4()).or(peer.addrs.first())
        {
            println!("  found {} at {addr}:{}", peer.peer, peer.port);
            peers.push((NodeId::new(peer.peer), SocketAddr::new(*addr, peer.port)));
        }
    }
    let node = ChatNode::new(keypair.secret_bytes(), &args.nick, Duration::from_millis(500));
    let seed = u64::from_le_bytes(keypair.secret_bytes()[..8].try_into().expect("8 bytes"));
    let handle = spawn(node, listener, NetConfig { me: NodeId::new(&me), peers, seed }).map_err(|e| e.to_string())?;
    let node_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), handle.addr().port());
    // Keep announcing (the others find us); later events are only printed.
    std::thread::spawn(move || {
        loop {
            match discovery.next_event(Duration::from_secs(3600)) {
                Some(Event::Joined(p)) => println!("  ({} is here; they will connect to us)", p.peer),
                Some(Event::Left(p)) => println!("  ({p} left)"),
                None => {}
            }
        }
    });
    let me_node = NodeId::new(&me);
    let mut watching = Client::connect(node_addr, NodeId::client(1)).await.map_err(|e| e.to_string())?;
    let watch_me = me_node.clone();
    tokio::spawn(async move {
        let mut printed = HashSet::new();
        loop {
            if watching.send(&watch_me, &Msg::History).await.is_err() {
                // The node closed the connection (it closes idle ones): open another.
                match Client::connect(node_addr, NodeId::client(1)).await {
                    Ok(fresh) => watching = fresh,
                    Err(_) => return,
                }
                continue;
            }
            if let Ok(envelope) = watching.recv::<Msg>().await
                && let Msg::HistoryOk { lines, .. } = envelope.body
            {
                for line in lines {
                    if printed.insert((line.author, line.seq)) {
                        let who: String = line.author[..3].iter().map(|b| format!("{b:02x}")).collect();
                        println!("<{} {who}> {}", line.nick, line.text);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    println!("type a line and press enter; Ctrl-D to leave");
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(text)) = stdin.next_line().await {
        if !text.trim().is_empty() {
            // A connection per line: one held open while nobody types would be closed
            // by the node as idle (kit::net::IDLE_TIMEOUT).
            let mut typing = Client::connect(node_addr, NodeId::client(0)).await.map_err(|e| e.to_string())?;
            typing.send(&me_node, &Msg::Say { text }).await.map_err(|e| e.to_string())?;
            let _ = typing.recv::<Msg>().await;
        }
    }
    Ok(())
}
