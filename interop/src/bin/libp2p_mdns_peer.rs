//! One side of libp2p's mDNS, driven by `tests/libp2p_mdns.rs` inside a network
//! namespace:
//!
//!     libp2p_mdns_peer rust-libp2p
//!     libp2p_mdns_peer handbook INTERFACE_ADDRESS
//!
//! `rust-libp2p` runs a rust-libp2p Swarm whose only behaviour is
//! `libp2p::mdns::tokio::Behaviour` (default config), listening on TCP. It prints
//! `peer ID`, `listening MULTIADDR` per listen address, and
//! `discovered ID MULTIADDR` per mDNS discovery.
//!
//! `handbook` runs the reference codec (`mdns_solution::libp2p`) on a UDP socket bound
//! to 0.0.0.0:5353 with SO_REUSEADDR, joined to 224.0.0.251 on the interface with
//! INTERFACE_ADDRESS. It announces a fresh Ed25519 peer id (the reference identity) at a
//! TCP port it listens on, queries every second, answers queries for `_p2p._udp.local`,
//! and prints `peer ID`, `listening MULTIADDR`, `found ID ADDRESS` for each peer a
//! response announces, `query HEX` / `response HEX` for every packet it receives from
//! another host (the bytes rust-libp2p really sends), and `answered ID` for a response
//! that carries the id of one of its own queries.
//!
//! Both exit when their standard input closes.

use std::io::{BufRead, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{mdns, noise, tcp, yamux};
use mdns_solution::libp2p::{Message, decode, encode_query, encode_response, multiaddr, random_peer_name};

const MDNS_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// The TTL the handbook gives its records, in seconds (RFC 6762 §10's 120 s for
/// records that name hosts and addresses).
const TTL: u32 = 120;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let closed = stdin_closed();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["rust-libp2p"] => rust_libp2p(closed),
        ["handbook", addr] => handbook(addr.parse()?, closed),
        _ => anyhow::bail!("usage: libp2p_mdns_peer rust-libp2p | handbook INTERFACE_ADDRESS"),
    }
}

/// A channel that receives once standard input closes.
fn stdin_closed() -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in std::io::stdin().lock().lines() {}
        let _ = tx.send(());
    });
    rx
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

fn rust_libp2p(closed: mpsc::Receiver<()>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(run_rust_libp2p(closed))
}

async fn run_rust_libp2p(closed: mpsc::Receiver<()>) -> anyhow::Result<()> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)?
        .with_behaviour(|key| {
            let behaviour = mdns::tokio::Behaviour::new(mdns::Config::default(), key.public().to_peer_id())?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(behaviour)
        })?
        .build();
    say(&format!("peer {}", swarm.local_peer_id()));
    swarm.listen_on("/ip4/0.0.0.0/tcp/0".parse()?)?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { address, .. } => say(&format!("listening {address}")),
                SwarmEvent::Behaviour(mdns::Event::Discovered(list)) => {
                    for (peer, addr) in list {
                        say(&format!("discovered {peer} {addr}"));
                    }
                }
                _ => {}
            },
            _ = tick.tick() => {
                if closed.try_recv().is_ok() {
                    say("stopped");
                    return Ok(());
                }
            }
        }
    }
}

fn handbook(iface: Ipv4Addr, closed: mpsc::Receiver<()>) -> anyhow::Result<()> {
    let me = identity_solution::Keypair::generate().peer_id().to_string();
    say(&format!("peer {me}"));
    let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    let port = listener.local_addr()?.port();
    let announced = [SocketAddr::from((iface, port))];
    say(&format!("listening {}", multiaddr(announced[0], &me)));
    let peer_name = random_peer_name();

    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5353)).into())?;
    socket.join_multicast_v4(&MDNS_GROUP, &iface)?;
    socket.set_multicast_if_v4(&iface)?;
    socket.set_multicast_ttl_v4(255)?;
    // Our own query comes back, and is answered: the spec asks a peer to answer its own query, so that
    // others discover it passively.
    socket.set_multicast_loop_v4(true)?;
    let socket: UdpSocket = socket.into();
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let group = SocketAddr::V4(SocketAddrV4::new(MDNS_GROUP, 5353));

    let mut next_query = Instant::now();
    let mut query_id: u16 = 1;
    let mut asked: Vec<u16> = Vec::new();
    let mut buf = vec![0u8; 9000];
    while closed.try_recv().is_err() {
        if Instant::now() >= next_query {
            socket.send_to(&encode_query(query_id), group)?;
            asked.push(query_id);
            query_id = query_id.wrapping_add(1);
            next_query = Instant::now() + Duration::from_secs(1);
        }
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e.into()),
        };
        let packet = &buf[..n];
        let ours = from.ip() == iface;
        match decode(packet) {
            Ok(Message::Query { .. }) => {
                if !ours {
                    say(&format!("query {}", hex(packet)));
                }
                socket.send_to(&encode_response(&peer_name, &me, &announced, TTL)?, group)?;
            }
            Ok(Message::Response(found)) => {
                if !ours {
                    say(&format!("response {}", hex(packet)));
                    // rust-libp2p gives its answer the id of the query it answers.
                    let id = u16::from_be_bytes([packet[0], packet[1]]);
                    if asked.contains(&id) {
                        say(&format!("answered {id}"));
                    }
                }
                for peer in found.into_iter().filter(|p| p.peer_id != me) {
                    for addr in &peer.addrs {
                        say(&format!("found {} {addr}", peer.peer_id));
                    }
                }
            }
            Ok(Message::Other) => {}
            Err(e) => say(&format!("refused {e}: {}", hex(packet))),
        }
    }
    say("stopped");
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
