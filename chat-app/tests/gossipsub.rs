//! The room on gossipsub: lines said in the room are published on the gossipsub topic
//! named by `--room`, and a libp2p peer's lines come back the same way. Chats run as
//! the real program on loopback; the libp2p peer here is made by hand on the reference
//! stack (TCP, `/noise`, Noise XX, `/yamux/1.0.0`), speaks `/meshsub/1.1.0` with RPCs
//! encoded by the gossipsub part and signs with StrictSign, and answers identify
//! without the swarm's protocol, as rust-libp2p's chat example does.
//!
//! Keys are made from a seed printed at the start of each test (`GOSSIP_SEED` replays
//! one).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Proc, WAIT, keys, ms, room};
use gossipsub_solution::{Message, Rpc, SubOpts, sign, verify};
use handshake_solution::negotiate::{dialer_select, listener_select};
use handshake_solution::{Role, upgrade};
use identity_solution::Keypair;
use streams_solution::frame::{read_frame, write_frame};
use streams_solution::{Session, Stream};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

const MESHSUB: &str = "/meshsub/1.1.0";
const IDENTIFY: &str = "/ipfs/id/1.0.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The test's seed: `GOSSIP_SEED` if set, else the clock; printed either way.
fn seed() -> u64 {
    let seed = std::env::var("GOSSIP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    println!("seed: {seed} (GOSSIP_SEED={seed} replays it)");
    seed
}

/// A keypair from `seed` and `n` (splitmix64 over the 32 secret bytes).
fn keypair(seed: u64, n: u64) -> Keypair {
    let mut x = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut secret = [0u8; 32];
    for chunk in secret.chunks_mut(8) {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    Keypair::from_secret_bytes(secret)
}

/// The first characters of a peer id after `12D3KooW`, as the chat prints it.
fn short(peer: &str) -> &str {
    let rest = peer.strip_prefix("12D3KooW").unwrap_or(peer);
    &rest[..rest.len().min(6)]
}

/// How many of `proc`'s shown lines have the text `text`.
fn count(proc: &Proc, text: &str) -> usize {
    proc.texts().iter().filter(|t| *t == text).count()
}

/// A libp2p peer made by hand: connected to a chat, answering identify as a node that
/// does not speak the swarm's protocol, reading the chat's gossipsub RPCs.
struct Libp2pPeer {
    session: Arc<Session>,
    keypair: Keypair,
    /// Every RPC the chat sent on its meshsub substream, decoded.
    rpcs: mpsc::UnboundedReceiver<Rpc>,
}

impl Libp2pPeer {
    /// Dials the chat at `addr` as `keypair`; answers identify if `identify` (rust-libp2p's
    /// chat example has no identify: it refuses the protocol).
    async fn connect(addr: SocketAddr, keypair: Keypair, identify: bool) -> Libp2pPeer {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("dial the chat");
        let up = upgrade(tcp, Role::Initiator, keypair.clone()).await.expect("the chat upgrades our connection");
        let session = Arc::new(Session::client(up.stream));
        let (tx, rpcs) = mpsc::unbounded_channel();
        let (s, public) = (session.clone(), keypair.public().to_bytes());
        tokio::spawn(async move {
            while let Some(mut stream) = s.accept_stream().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let speaks: &[&str] = if identify { &[IDENTIFY, MESHSUB] } else { &[MESHSUB] };
                    match listener_select(&mut stream, speaks).await.as_deref() {
                        Ok(IDENTIFY) => {
                            let identify = ping_identify::Identify {
                                protocol_version: "/ipfs/0.1.0".into(),
                                agent_version: "rust-libp2p/0.57.0".into(),
                                public_key: ping_identify::ed25519_public_key(&public),
                                listen_addrs: vec![],
                                observed_addr: vec![],
                                protocols: vec![MESHSUB.into(), "/ipfs/id/1.0.0".into()],
                            };
                            let _ = ping_identify::send_identify(&mut stream, &identify).await;
                        }
                        Ok(MESHSUB) => {
                            while let Ok(Some(frame)) = read_frame(&mut stream, 65_536).await {
                                let rpc = Rpc::decode(&frame).expect("the chat's meshsub frame is an RPC");
                                if tx.send(rpc).is_err() {
                                    return;
                                }
                            }
                        }
                        _ => stream.reset(),
                    }
                });
            }
        });
        Libp2pPeer { session, keypair, rpcs }
    }

    /// Opens our meshsub substream.
    async fn meshsub(&self) -> Stream {
        let mut stream = self.session.open_stream().await.expect("a substream");
        let chosen = dialer_select(&mut stream, &["/meshsub/1.2.0", MESHSUB]).await.expect("the chat speaks meshsub");
        assert_eq!(chosen, MESHSUB, "the chat must not claim /meshsub/1.2.0 (it does not do IDONTWANT)");
        stream
    }

    /// The next message the chat sends us on `topic`, within `timeout`.
    async fn message(&mut self, topic: &str, timeout: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let rpc = tokio::time::timeout_at(deadline, self.rpcs.recv()).await.ok()??;
            if let Some(m) = rpc.publish.into_iter().find(|m| m.topic == topic) {
                return Some(m);
            }
        }
    }
}

/// Three chats in one room, each line said once: each other chat shows it exactly
/// once, though it reaches them twice (its log entry, pushed, and its gossipsub
/// message).
#[test]
fn a_line_crosses_three_chats_once_though_it_travels_two_ways() {
    seed();
    let room = room("gossip-three");
    let (_a, dir_a) = keys();
    let (_b, dir_b) = keys();
    let (_c, dir_c) = keys();
    let mut a = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let peer_a = a.listen.to_string();
    let mut b = Proc::start("bo", &room, &dir_b, &["--no-mdns", "--peer", &peer_a]);
    let peer_b = b.listen.to_string();
    let mut c = Proc::start("cy", &room, &dir_c, &["--no-mdns", "--peer", &peer_a, "--peer", &peer_b]);
    for p in [&a, &b, &c] {
        p.wait_for(|l| l.starts_with("* joined"), WAIT).unwrap_or_else(|| panic!("{} got no neighbour", p.nick));
    }
    let said = Instant::now();
    a.say("one from ana");
    b.say("one from bo");
    c.say("one from cy");
    for text in ["one from ana", "one from bo", "one from cy"] {
        for p in [&a, &b, &c] {
            let at = p.shown(text, WAIT).unwrap_or_else(|| panic!("{} never showed {text:?}: {:?}", p.nick, p.texts()));
            kit::figure(&format!("{text:?} shown by {}", p.nick), ms(at - said));
        }
    }
    // Past the gossipsub path's wait for a log entry and two heartbeats (IHAVE/IWANT).
    std::thread::sleep(Duration::from_millis(2500));
    for text in ["one from ana", "one from bo", "one from cy"] {
        for p in [&a, &b, &c] {
            assert_eq!(
                count(p, text),
                1,
                "{} showed {text:?} {} times: a handbook peer's line comes by its log and by gossipsub, and the \
                 gossipsub copy must be skipped (the chat node holds the author's log). Shown: {:?}",
                p.nick,
                count(p, text),
                p.texts()
            );
        }
    }
    for p in [&mut a, &mut b, &mut c] {
        assert!(p.alive(), "{} stopped", p.nick);
    }
}

/// A libp2p peer (not a handbook peer: like rust-libp2p's chat example it has no
/// identify, and so no swarm's protocol) meets a chat over the real stack: its StrictSign message on the room's topic is shown with
/// its peer id; the chat's line reaches it as a StrictSign-valid message whose data is
/// the plain text; the connection outlives GRACE (5 s) while it stays subscribed.
#[test]
fn a_libp2p_peer_says_and_hears_lines_on_the_rooms_topic() {
    let seed = seed();
    let room = room("gossip-libp2p");
    let (_a, dir_a) = keys();
    let mut a = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let rt = runtime();
    let keypair = keypair(seed, 1);
    let me = keypair.peer_id().to_string();
    println!("the libp2p peer is {me}");
    rt.block_on(async {
        let mut peer = Libp2pPeer::connect(a.listen, keypair.clone(), false).await;
        let mut out = peer.meshsub().await;
        let hello = Rpc { subscriptions: vec![SubOpts { subscribe: true, topic: room.clone() }], ..Rpc::default() };
        write_frame(&mut out, &hello.encode()).await.unwrap();
        let said = Instant::now();
        let first = Rpc { publish: vec![sign(&peer.keypair, &room, b"hello from libp2p", 1)], ..Rpc::default() };
        write_frame(&mut out, &first.encode()).await.unwrap();
        let (at, line) = tokio::task::block_in_place(|| {
            a.wait_for(|l| l.starts_with('<') && l.ends_with("> hello from libp2p"), WAIT)
        })
        .unwrap_or_else(|| panic!("the chat never showed the libp2p peer's line; it printed {:?}", a.output()));
        kit::figure("libp2p peer's line shown by the chat", ms(at - said));
        assert!(
            line.starts_with(&format!("<{}>", short(&me))),
            "a libp2p peer's line shows with its short peer id {:?} (it claims no nick): {line:?}",
            short(&me)
        );

        a.say("hello from ana");
        let message = peer.message(&room, WAIT).await.expect("the chat's line reaches the libp2p peer on gossipsub");
        assert_eq!(
            message.data.as_deref(),
            Some(&b"hello from ana"[..]),
            "the data of the chat's gossipsub message is the line's plain text"
        );
        let author = verify(&message).expect("the chat's gossipsub message passes StrictSign");
        assert_eq!(author.to_string(), a.id, "the message's author (`from`) is the chat's peer id");

        // Past GRACE: the connection is kept because we are on the room's topic.
        tokio::time::sleep(Duration::from_secs(7)).await;
        let second = Rpc { publish: vec![sign(&peer.keypair, &room, b"still here", 2)], ..Rpc::default() };
        write_frame(&mut out, &second.encode()).await.expect("the connection outlives GRACE");
        tokio::task::block_in_place(|| a.shown("still here", WAIT)).unwrap_or_else(|| {
            panic!(
                "a libp2p peer subscribed to the room's topic must keep its connection past GRACE; the chat printed {:?}",
                a.output()
            )
        });
        a.say("after grace");
        let message = peer.message(&room, WAIT).await.expect("the chat's line still reaches the libp2p peer");
        assert_eq!(message.data.as_deref(), Some(&b"after grace"[..]));
        // A tampered message is not shown.
        let mut forged = sign(&peer.keypair, &room, b"a signed line", 3);
        forged.data = Some(b"a forged line".to_vec());
        write_frame(&mut out, &Rpc { publish: vec![forged], ..Rpc::default() }.encode()).await.unwrap();
        write_frame(&mut out, &Rpc { publish: vec![sign(&peer.keypair, &room, b"marker", 4)], ..Rpc::default() }.encode())
            .await
            .unwrap();
        tokio::task::block_in_place(|| a.shown("marker", WAIT)).expect("the chat shows the line after the forgery");
        assert_eq!(count(&a, "a forged line"), 0, "a message whose signature does not verify is never shown");
        // Leaving the topic ends what kept the connection: the chat closes it.
        let bye = Rpc { subscriptions: vec![SubOpts { subscribe: false, topic: room.clone() }], ..Rpc::default() };
        write_frame(&mut out, &bye.encode()).await.unwrap();
        let left = Instant::now();
        let closed = loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write_frame(&mut out, &Rpc::default().encode()).await.is_err() {
                break Some(left.elapsed());
            }
            if left.elapsed() > WAIT {
                break None;
            }
        };
        let closed = closed.expect("a libp2p peer that leaves the room's topic is disconnected");
        kit::figure("libp2p peer left the topic to its connection closed", ms(closed));
        // The user was told who came and went, and what such a peer gets.
        let joined = format!("! libp2p node {} joined: it gets the lines said while it is here, no history", short(&me));
        let gone = format!("! libp2p node {} left", short(&me));
        tokio::task::block_in_place(|| a.wait_for(|l| l == gone, WAIT))
            .unwrap_or_else(|| panic!("the chat never said the libp2p node left; it printed {:?}", a.output()));
        let told = a.output().iter().filter(|l| **l == joined).count();
        assert_eq!(told, 1, "the chat says once that the libp2p node joined: {:?}", a.output());
    });
    assert!(a.alive(), "the chat stopped");
}

/// The chat's identify lists `/meshsub/1.1.0` (and not 1.2.0). A meshsub frame
/// announcing more than 65,536 bytes costs the sender a strike (the chat says it
/// refused it) and ends that substream, not the room: a new meshsub substream on the
/// same connection is heard.
#[test]
fn an_oversized_meshsub_frame_costs_a_strike_not_the_room() {
    let seed = seed();
    let room = room("gossip-oversized");
    let (_a, dir_a) = keys();
    let mut a = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let rt = runtime();
    let keypair = keypair(seed, 2);
    let me = keypair.peer_id().to_string();
    rt.block_on(async {
        let peer = Libp2pPeer::connect(a.listen, keypair, true).await;
        // Its identify lists gossipsub v1.1, and not v1.2 (no IDONTWANT here).
        let mut id = peer.session.open_stream().await.expect("a substream");
        dialer_select(&mut id, &[IDENTIFY]).await.expect("the chat answers identify");
        let identify = ping_identify::receive_identify(&mut id).await.expect("the chat's identify");
        assert!(
            identify.protocols.iter().any(|p| p == MESHSUB),
            "identify must list {MESHSUB}: {:?}",
            identify.protocols
        );
        assert!(
            !identify.protocols.iter().any(|p| p == "/meshsub/1.2.0"),
            "identify must not claim /meshsub/1.2.0: {:?}",
            identify.protocols
        );
        let mut bad = peer.meshsub().await;
        // A varint length of 65,537: one byte over the limit.
        let mut length = Vec::new();
        let mut n = 65_537u64;
        while n >= 0x80 {
            length.push((n as u8) | 0x80);
            n >>= 7;
        }
        length.push(n as u8);
        bad.write_all(&length).await.unwrap();
        // The chat may reset the substream as soon as it has read the length: what
        // follows is then refused by the stream, which is the point.
        let _ = bad.write_all(&[0u8; 64]).await;
        let _ = bad.flush().await;
        let notice = format!("! refused from {}: an oversized frame", short(&me));
        tokio::task::block_in_place(|| a.wait_for(|l| l == notice, WAIT))
            .unwrap_or_else(|| panic!("the chat did not refuse the oversized frame; it printed {:?}", a.output()));
        let mut good = peer.meshsub().await;
        let hello = Rpc {
            subscriptions: vec![SubOpts { subscribe: true, topic: room.clone() }],
            publish: vec![sign(&peer.keypair, &room, b"after the strike", 1)],
            ..Rpc::default()
        };
        write_frame(&mut good, &hello.encode()).await.unwrap();
        tokio::task::block_in_place(|| a.shown("after the strike", WAIT))
            .unwrap_or_else(|| panic!("one strike must not end the connection; the chat printed {:?}", a.output()));
    });
    assert!(a.alive(), "an oversized meshsub frame stopped the chat");
}

/// A libp2p mDNS peer on `lo`, by hand with the mdns part's codec: a UDP socket on port
/// 5353 shared with every other mDNS on the host, in 224.0.0.251 on loopback.
fn libp2p_mdns_socket() -> std::net::UdpSocket {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.set_reuse_port(true).unwrap();
    socket.bind(&SocketAddr::from(([0, 0, 0, 0], 5353)).into()).expect("port 5353, shared");
    let lo = std::net::Ipv4Addr::LOCALHOST;
    socket.join_multicast_v4(&std::net::Ipv4Addr::new(224, 0, 0, 251), &lo).unwrap();
    socket.set_multicast_if_v4(&lo).unwrap();
    socket.set_multicast_loop_v4(true).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    socket.into()
}

const GROUP: &str = "224.0.0.251:5353";

/// libp2p's mDNS on `lo`: the chat answers a `_p2p._udp.local` query with a
/// `dnsaddr=/ip4/127.0.0.1/tcp/PORT/p2p/ID` record of its own, asks on its own, and
/// dials the TCP address a libp2p peer's response announces; with `--no-mdns` it does
/// neither.
#[test]
fn the_chat_speaks_libp2ps_mdns_on_loopback() {
    use mdns_solution::libp2p::{Message as Mdns, decode, encode_query, encode_response};
    let seed = seed();
    let room = room("libp2p-mdns");
    let (_a, dir_a) = keys();
    let a = Proc::start("ana", &room, &dir_a, &[]);
    let (_b, dir_b) = keys();
    let b = Proc::start("bo", &room, &dir_b, &["--no-mdns"]);
    let socket = libp2p_mdns_socket();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let me = keypair(seed, 3).peer_id().to_string();
    let ours = [listener.local_addr().unwrap()];
    let (mut answered, mut asked, mut dialed, mut b_answered) = (None, None, None, false);
    let started = Instant::now();
    let mut buf = [0u8; 9000];
    let mut next_query = Instant::now();
    while started.elapsed() < WAIT && (answered.is_none() || asked.is_none() || dialed.is_none()) {
        if Instant::now() >= next_query {
            socket.send_to(&encode_query(0x5eed), GROUP).unwrap();
            next_query = Instant::now() + Duration::from_millis(500);
        }
        if dialed.is_none() && listener.accept().is_ok() {
            dialed = Some(started.elapsed());
        }
        let Ok((n, _)) = socket.recv_from(&mut buf) else { continue };
        match decode(&buf[..n]) {
            Ok(Mdns::Query { .. }) => {
                asked.get_or_insert(started.elapsed());
                socket.send_to(&encode_response("handbooktestpeer", &me, &ours, 120).unwrap(), GROUP).unwrap();
            }
            Ok(Mdns::Response(found)) => {
                for peer in found {
                    if peer.peer_id == a.id {
                        assert!(
                            peer.addrs.contains(&a.listen),
                            "the chat's libp2p mDNS response names {:?}, not where it listens ({})",
                            peer.addrs,
                            a.listen
                        );
                        answered.get_or_insert(started.elapsed());
                    }
                    b_answered |= peer.peer_id == b.id;
                }
            }
            _ => {}
        }
    }
    let answered = answered.expect("the chat answers a `_p2p._udp.local` query with its dnsaddr record");
    kit::figure("libp2p mDNS: query to the chat's response", ms(answered));
    asked.expect("the chat asks `_p2p._udp.local` itself");
    let dialed = dialed.expect("the chat dials the address a libp2p mDNS response announced");
    kit::figure("libp2p mDNS: start to the chat's dial of the announced address", ms(dialed));
    assert!(!b_answered, "a chat started with --no-mdns must not answer libp2p's mDNS");
}

/// libp2p's mDNS knows no rooms: every chat on `lo` answers it. Two rooms on one machine
/// stay two: a chat of one room never becomes a neighbour of a chat of the other, and
/// neither shows the other's lines.
#[test]
fn two_rooms_stay_apart_though_libp2ps_mdns_finds_everyone() {
    seed();
    let (one, two) = (room("apart-one"), room("apart-two"));
    let (_a, dir_a) = keys();
    let (_b, dir_b) = keys();
    let (_c, dir_c) = keys();
    let a = Proc::start("ana", &one, &dir_a, &[]);
    let mut b = Proc::start("bo", &two, &dir_b, &[]);
    let c = Proc::start("cy", &one, &dir_c, &[]);
    a.wait_for(|l| l.starts_with("* joined"), WAIT).expect("ana meets cy, in her room");
    b.say("said in room two");
    // Past two of libp2p's mDNS rounds (3 s each) and a probe's grace (5 s).
    std::thread::sleep(Duration::from_secs(7));
    let mut a = a;
    a.say("said in room one");
    c.shown("said in room one", WAIT).expect("cy shows ana's line: the room works");
    std::thread::sleep(Duration::from_secs(1));
    for p in [&a, &c] {
        assert_eq!(count(p, "said in room two"), 0, "{} (room one) showed a line of room two: {:?}", p.nick, p.texts());
    }
    assert_eq!(count(&b, "said in room one"), 0, "bo (room two) showed a line of room one: {:?}", b.texts());
    let joined: Vec<String> = b.output().into_iter().filter(|l| l.starts_with("* joined")).collect();
    assert!(joined.is_empty(), "bo is alone in room two, yet a chat of room one became its neighbour: {joined:?}");
    assert!(b.alive());
}
