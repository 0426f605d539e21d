//! What a stranger can make a chat peer hold before and after it is anyone's
//! neighbour: upgrade slots (silent TCP sockets), the list of known peers (names that
//! nobody announces any more), and substreams (thousands opened on one connection, and
//! a few hundred over many). Each runs the real program on loopback; figures are
//! printed with `kit::figure`, and the bounds asserted are the program's constants.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Proc, WAIT, keys, ms, room};
use handshake_solution::negotiate::dialer_select;
use handshake_solution::{Role, upgrade};
use identity_solution::Keypair;
use streams_solution::Session;
use tokio::io::AsyncWriteExt;

const PING: &str = "/ipfs/ping/1.0.0";

/// The program's `conn::MAX_INBOUND_STREAMS` and `conn::MAX_STREAMS_TOTAL`.
const MAX_INBOUND_STREAMS: usize = 16;
const MAX_STREAMS_TOTAL: usize = 256;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Dials `addr` on the reference stack and upgrades, within `within`.
async fn connect(addr: SocketAddr, within: Duration) -> Option<Session> {
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        let up = upgrade(tcp, Role::Initiator, Keypair::generate()).await.ok()?;
        Some(Session::client(up.stream))
    };
    tokio::time::timeout(within, attempt).await.ok().flatten()
}

/// Opens a substream and negotiates ping on it: `true` if the chat serves it.
async fn ping_stream(session: &Session) -> Option<streams_solution::Stream> {
    let mut stream = session.open_stream().await.ok()?;
    let negotiated = tokio::time::timeout(Duration::from_secs(3), dialer_select(&mut stream, &[PING])).await;
    matches!(negotiated, Ok(Ok(_))).then_some(stream)
}

/// 40 silent TCP connections from one host, held open: a newcomer on the reference
/// stack upgrades at once, and a second chat peer given `--peer` becomes a neighbour.
#[test]
fn forty_silent_sockets_do_not_keep_a_newcomer_out() {
    let room = room("silent");
    let (_a, dir_a) = keys();
    let a = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let silent: Vec<std::net::TcpStream> =
        (0..40).map(|_| std::net::TcpStream::connect(a.listen).expect("a silent connection")).collect();
    std::thread::sleep(Duration::from_millis(300));
    let rt = runtime();
    let started = Instant::now();
    let joined = rt.block_on(async {
        while started.elapsed() < Duration::from_secs(5) {
            if connect(a.listen, Duration::from_secs(2)).await.is_some() {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    });
    let joined = joined.expect("a newcomer upgrades within 5 s while 40 silent sockets are held");
    kit::figure("newcomer upgraded while 40 silent sockets are held", ms(joined));
    let (_b, dir_b) = keys();
    let peer = a.listen.to_string();
    let b = Proc::start("bo", &room, &dir_b, &["--no-mdns", "--peer", &peer]);
    let (at, _) =
        b.wait_for(|l| l.starts_with("* joined"), Duration::from_secs(10)).expect("a --peer newcomer joins ana");
    kit::figure("--peer newcomer: start to neighbour while 40 silent sockets are held", ms(at - b.started));
    drop(silent);
}

/// ana hears of 256 peers through rendezvous that then vanish (their registrations
/// lapse, nobody answers at their addresses); a real peer registered afterwards is
/// still dialled, and becomes ana's neighbour.
#[test]
fn a_list_full_of_stale_peers_still_takes_a_real_one() {
    let rt = runtime();
    let server = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        rendezvous_solution::spawn(listener).unwrap()
    });
    let addr = server.addr();
    let room = room("stale");
    // A closed port: dials there are refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    rt.block_on(async {
        let mut client = rendezvous_solution::Client::connect(addr).await.unwrap();
        for _ in 0..256 {
            let ghost = Keypair::generate().peer_id().to_string();
            client.register(&room, &ghost, &[closed.to_string()], 3).await.expect("registered");
        }
    });
    let (_a, dir_a) = keys();
    let a = Proc::start("ana", &room, &dir_a, &["--no-mdns", "--rendezvous", &addr.to_string()]);
    // ana has heard of the 256 by now; they lapse at the server 3 s after registering.
    std::thread::sleep(Duration::from_secs(4));
    let (_b, dir_b) = keys();
    let b = Proc::start("bo", &room, &dir_b, &["--no-mdns"]);
    let registered = Instant::now();
    rt.block_on(async {
        let mut client = rendezvous_solution::Client::connect(addr).await.unwrap();
        client.register(&room, &b.id, &[b.listen.to_string()], 600).await.expect("registered");
    });
    let (at, _) = b
        .wait_for(|l| l.starts_with("* joined"), Duration::from_secs(40))
        .expect("ana dials bo although 256 stale peers filled its list");
    kit::figure("a real peer after 256 stale ones: registered to neighbour", ms(at - registered));
    drop(a);
    drop(server);
}

/// One connection opens 16 substreams that say nothing and then 3,000 more: the extra
/// ones are reset, the silent ones are reset after the negotiation deadline, the
/// connection serves a ping after that, and the chat's memory stays flat. Then 20
/// connections try to hold 16 ping substreams each: at most MAX_STREAMS_TOTAL are
/// served at once.
#[test]
fn thousands_of_substreams_are_refused_and_bounded() {
    let room = room("substreams");
    let (_a, dir_a) = keys();
    let a = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let rt = runtime();
    rt.block_on(async {
        let session = Arc::new(connect(a.listen, WAIT).await.expect("upgraded"));
        let connected = Instant::now();
        let before = a.rss_kib();
        let mut silent = Vec::new();
        for _ in 0..MAX_INBOUND_STREAMS {
            let mut stream = session.open_stream().await.expect("a substream");
            // The first byte of multistream-select's header, and then nothing.
            stream.write_all(&[0x13]).await.expect("one byte");
            silent.push(stream);
        }
        let started = Instant::now();
        let mut served = 0;
        let mut held = Vec::new();
        for _ in 0..3000 {
            let Ok(mut stream) = session.open_stream().await else { break };
            // Each one asks for ping; a reset one fails at once.
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(200), dialer_select(&mut stream, &[PING])).await
            {
                served += 1;
                held.push(stream);
            }
        }
        let after = a.rss_kib();
        kit::figure("substreams served of 3,000 opened behind 16 silent ones", served);
        kit::figure("3,000 substream opens took", ms(started.elapsed()));
        kit::figure("chat RSS before and after (KiB)", format!("{before:?} -> {after:?}"));
        assert_eq!(served, 0, "with 16 silent substreams holding the connection's slots, the rest are reset");
        if let (Some(b), Some(a)) = (before, after) {
            assert!(a < b + 16 * 1024, "RSS grew from {b} to {a} KiB for 3,000 refused substreams");
        }
        // The silent ones are reset after the negotiation deadline (3 s): a ping then
        // works, before the connection's grace as a non-neighbour (5 s) runs out.
        let mut pinged = None;
        while pinged.is_none() && connected.elapsed() < Duration::from_millis(4700) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            pinged = ping_stream(&session).await.map(|_| connected.elapsed());
        }
        let pinged = pinged.expect("after the silent substreams' negotiation deadline, a ping is served");
        kit::figure("ping served again after the silent substreams, since connecting", ms(pinged));
        drop(silent);
    });
    // Many connections at once: the total is bounded too.
    let total = rt.block_on(async {
        let mut sessions = Vec::new();
        for _ in 0..20 {
            if let Some(s) = connect(a.listen, Duration::from_secs(5)).await {
                sessions.push(s);
            }
        }
        let mut held = Vec::new();
        for s in &sessions {
            for _ in 0..MAX_INBOUND_STREAMS {
                if let Some(stream) = ping_stream(s).await {
                    held.push(stream);
                }
            }
        }
        kit::figure("connections open at once", sessions.len());
        held.len()
    });
    kit::figure("ping substreams served at once over 20 connections", total);
    assert!(total <= MAX_STREAMS_TOTAL, "{total} substreams served at once; at most {MAX_STREAMS_TOTAL}");
    assert!(total > 0, "some are served");
}
