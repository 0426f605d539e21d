//! yamux: the reference (`solutions/07-streams`) against the `yamux` crate
//! (<https://github.com/libp2p/rust-yamux>), the one inside rust-libp2p's
//! `libp2p-yamux`, over loopback TCP, each test both ways (the reference as the
//! dialling client and the crate as the server, then the reverse).
//!
//! Every connection runs through a [`Tap`], which parses the 12-byte headers of
//! hashicorp/yamux's `spec.md` each way, so the tests assert what was on the wire as
//! well as what each side did.

use std::time::Duration;

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use interop::crate_yamux::{CrateSession, Mode};
use interop::tap::{self, Tap};
use streams_solution as reference;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A bound on every test: a side that refuses or stalls fails the test instead of
/// hanging CI.
const LIMIT: Duration = Duration::from_secs(30);

/// How long to wait for a frame to cross the tap.
const WAIT: Duration = Duration::from_secs(5);

/// 1 MiB: four 256 KiB initial windows, so the writer must receive window updates
/// (and the reader must send them) three times over before the data is through.
const BEYOND_WINDOW: usize = 1024 * 1024;

/// A connection between the reference and the crate through a tap.
struct Pair {
    ours: reference::Session,
    theirs: CrateSession,
    tap: Tap,
    /// Whether the reference dialled (and so is the client, with odd stream ids).
    ours_dials: bool,
}

async fn pair(ours_dials: bool) -> Pair {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let tap = Tap::start(listener.local_addr().expect("addr"), true).await.expect("tap");
    let dial = TcpStream::connect(tap.addr);
    let (dialled, accepted) = tokio::join!(dial, listener.accept());
    let (dialled, (accepted, _)) = (dialled.expect("dial"), accepted.expect("accept"));
    let (ours, theirs) = if ours_dials {
        (reference::Session::client(dialled), CrateSession::new(accepted, Mode::Server))
    } else {
        (reference::Session::server(accepted), CrateSession::new(dialled, Mode::Client))
    };
    Pair { ours, theirs, tap, ours_dials }
}

fn random(len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::fill(&mut data[..]);
    data
}

fn both_ways<F, Fut>(test: F)
where
    F: Fn(Pair) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    for ours_dials in [true, false] {
        let who = if ours_dials { "the reference dialling the crate" } else { "the crate dialling the reference" };
        runtime.block_on(async {
            let pair = pair(ours_dials).await;
            tokio::time::timeout(LIMIT, test(pair)).await.unwrap_or_else(|_| panic!("{who}: no result within {LIMIT:?}"));
        });
    }
}

#[test]
fn open_and_data_beyond_one_window_both_ways() {
    both_ways(|mut p| async move {
        // The reference opens a stream and sends 1 MiB; the crate echoes it back.
        let data = random(BEYOND_WINDOW);
        let mut ours = p.ours.open_stream().await.expect("the reference opens a stream");
        let expected_parity = if p.ours_dials { 1 } else { 0 };
        assert_eq!(ours.id() % 2, expected_parity, "client ids are odd, server ids even");
        let writer = {
            let data = data.clone();
            tokio::spawn(async move {
                ours.write_all(&data).await.expect("the reference writes 1 MiB");
                ours.shutdown().await.expect("FIN");
                let mut echo = Vec::new();
                ours.read_to_end(&mut echo).await.expect("the reference reads the echo");
                echo
            })
        };
        let mut theirs = p.theirs.accept().await.expect("the crate accepts the reference's stream");
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.expect("the crate reads to FIN");
        assert!(got == data, "the crate received {} bytes, not the 1 MiB sent", got.len());
        theirs.write_all(&got).await.expect("the crate echoes");
        theirs.close().await.expect("the crate's FIN");
        assert!(writer.await.expect("task") == data, "the echo through the crate differs");

        // The crate opens one and sends 1 MiB; the reference echoes it back.
        let data = random(BEYOND_WINDOW);
        let mut theirs = p.theirs.open().await.expect("the crate opens a stream");
        let writer = {
            let data = data.clone();
            tokio::spawn(async move {
                theirs.write_all(&data).await.expect("the crate writes 1 MiB");
                theirs.close().await.expect("FIN");
                let mut echo = Vec::new();
                theirs.read_to_end(&mut echo).await.expect("the crate reads the echo");
                echo
            })
        };
        let mut ours = p.ours.accept_stream().await.expect("the reference accepts the crate's stream");
        assert_eq!(ours.id() % 2, 1 - expected_parity, "the crate's ids have the other parity");
        let mut got = Vec::new();
        ours.read_to_end(&mut got).await.expect("the reference reads to FIN");
        assert!(got == data, "the reference received {} bytes, not the 1 MiB sent", got.len());
        ours.write_all(&got).await.expect("the reference echoes");
        ours.shutdown().await.expect("the reference's FIN");
        assert!(writer.await.expect("task") == data, "the echo through the reference differs");

        // On the wire: each side's SYN, the other's ACK, and window updates both ways.
        let frames = p.tap.frames();
        let ours_is_dialer = p.ours_dials;
        for (name, from_dialer) in [("the reference", ours_is_dialer), ("the crate", !ours_is_dialer)] {
            assert!(frames.iter().any(|f| f.from_dialer == from_dialer && f.has(tap::SYN)), "{name} sent no SYN");
            assert!(frames.iter().any(|f| f.from_dialer == from_dialer && f.has(tap::ACK)), "{name} sent no ACK");
            let credit: u64 = frames
                .iter()
                .filter(|f| f.from_dialer == from_dialer && f.kind == tap::WINDOW_UPDATE)
                .map(|f| u64::from(f.length))
                .sum();
            assert!(credit >= (BEYOND_WINDOW as u64) / 2, "{name} granted only {credit} bytes of window for 1 MiB");
            let longest = frames.iter().filter(|f| f.kind == tap::DATA && f.from_dialer == from_dialer).map(|f| f.length).max();
            assert!(longest <= Some(256 * 1024), "{name} sent a Data frame beyond the initial window");
        }
    });
}

#[test]
fn close_is_a_half_close_both_ways() {
    both_ways(|mut p| async move {
        // The reference half-closes; the crate reads the end, then still answers.
        let mut ours = p.ours.open_stream().await.expect("open");
        ours.write_all(b"question").await.expect("write");
        ours.shutdown().await.expect("FIN");
        let mut theirs = p.theirs.accept().await.expect("accept");
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.expect("the crate reads to the reference's FIN");
        assert_eq!(got, b"question");
        theirs.write_all(b"answer").await.expect("the crate still writes after the reference's FIN");
        theirs.close().await.expect("the crate's FIN");
        let mut got = Vec::new();
        ours.read_to_end(&mut got).await.expect("the reference reads to the crate's FIN");
        assert_eq!(got, b"answer");

        // The crate half-closes; the reference reads the end, then still answers.
        let mut theirs = p.theirs.open().await.expect("open");
        theirs.write_all(b"question").await.expect("write");
        theirs.close().await.expect("FIN");
        let mut ours = p.ours.accept_stream().await.expect("accept");
        let mut got = Vec::new();
        ours.read_to_end(&mut got).await.expect("the reference reads to the crate's FIN");
        assert_eq!(got, b"question");
        ours.write_all(b"answer").await.expect("the reference still writes after the crate's FIN");
        ours.shutdown().await.expect("the reference's FIN");
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.expect("the crate reads to the reference's FIN");
        assert_eq!(got, b"answer");

        for (name, from_dialer) in [("the reference", p.ours_dials), ("the crate", !p.ours_dials)] {
            let fins = p.tap.frames().iter().filter(|f| f.from_dialer == from_dialer && f.has(tap::FIN)).count();
            assert_eq!(fins, 2, "{name} should have sent FIN once on each of the two streams");
        }
    });
}

#[test]
fn reset_both_ways() {
    both_ways(|mut p| async move {
        // The crate opens and writes; the reference resets: the crate's writes then fail.
        let mut theirs = p.theirs.open().await.expect("open");
        theirs.write_all(b"hello").await.expect("write");
        let mut ours = p.ours.accept_stream().await.expect("accept");
        let mut hello = [0u8; 5];
        ours.read_exact(&mut hello).await.expect("read");
        let id = ours.id();
        ours.reset();
        let from_ours = p.ours_dials;
        p.tap
            .wait_for(WAIT, |f| f.from_dialer == from_ours && f.stream == id && f.has(tap::RST))
            .await
            .expect("the reference's RST on the wire");
        let mut refused = false;
        for _ in 0..100 {
            if theirs.write_all(b"more").await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "the crate could still write to a stream the reference reset");

        // The reference opens and writes; the crate drops its stream unclosed (its RST):
        // the reference's reads then fail, and do not read as a clean end.
        let mut ours = p.ours.open_stream().await.expect("open");
        ours.write_all(b"hello").await.expect("write");
        let mut theirs = p.theirs.accept().await.expect("accept");
        let mut hello = [0u8; 5];
        theirs.read_exact(&mut hello).await.expect("read");
        drop(theirs);
        let id = ours.id();
        p.tap
            .wait_for(WAIT, |f| f.from_dialer != from_ours && f.stream == id && f.has(tap::RST))
            .await
            .expect("the crate's RST on the wire");
        let mut rest = Vec::new();
        let read = ours.read_to_end(&mut rest).await;
        assert!(read.is_err(), "after the crate's RST the reference read {read:?}, not an error");
        assert_eq!(read.unwrap_err().kind(), std::io::ErrorKind::ConnectionReset);
    });
}

#[test]
fn ping_both_ways() {
    both_ways(|p| async move {
        // The crate pings as soon as its connection runs (to measure the round trip);
        // the reference must answer with ACK and the same opaque value, or the crate
        // would end the session with a protocol error.
        let from_ours = p.ours_dials;
        let theirs = p.tap.wait_for(WAIT, |f| f.from_dialer != from_ours && f.kind == tap::PING && f.has(tap::SYN)).await;
        let theirs = theirs.expect("the crate's Ping on the wire");
        let answer = p
            .tap
            .wait_for(WAIT, |f| f.from_dialer == from_ours && f.kind == tap::PING && f.has(tap::ACK))
            .await
            .expect("the reference's answer to the crate's Ping");
        assert_eq!((answer.stream, answer.length), (0, theirs.length), "the answer carries the same opaque value, on stream 0");

        // The reference pings the crate.
        for _ in 0..5 {
            let rtt = p.ours.ping().await.expect("the crate answers the reference's Ping");
            assert!(rtt < LIMIT);
        }
        let frames = p.tap.frames();
        let ours: Vec<_> = frames.iter().filter(|f| f.from_dialer == from_ours && f.kind == tap::PING && f.has(tap::SYN)).collect();
        let acks: Vec<_> = frames.iter().filter(|f| f.from_dialer != from_ours && f.kind == tap::PING && f.has(tap::ACK)).collect();
        assert_eq!(ours.len(), 5);
        assert_eq!(ours.iter().map(|f| f.length).collect::<Vec<_>>(), acks.iter().map(|f| f.length).collect::<Vec<_>>());
        assert!(!frames.iter().any(|f| f.kind == tap::GO_AWAY), "nobody should have gone away: {frames:?}");
        assert!(p.ours.ended().is_none());
    });
}

#[test]
fn go_away_both_ways() {
    // The reference goes away: the crate's connection ends cleanly, and the frame says
    // "normal" (code 0).
    both_ways(|p| async move {
        let from_ours = p.ours_dials;
        p.ours.go_away().await.expect("go away");
        let frame = p.tap.wait_for(WAIT, |f| f.from_dialer == from_ours && f.kind == tap::GO_AWAY).await;
        assert_eq!(frame.expect("the reference's GoAway on the wire").length, 0, "a normal GoAway has code 0");
        let ended = p.theirs.ended.await.expect("the crate's task");
        assert!(ended.is_ok(), "the crate took the reference's GoAway as an error: {ended:?}");
    });
    // The crate goes away (its close): the reference learns it, and opens no more.
    both_ways(|p| async move {
        let from_ours = p.ours_dials;
        p.theirs.close().await.expect("the crate closes");
        let frame = p.tap.wait_for(WAIT, |f| f.from_dialer != from_ours && f.kind == tap::GO_AWAY).await;
        assert_eq!(frame.expect("the crate's GoAway on the wire").length, 0, "a normal GoAway has code 0");
        let mut ended = None;
        for _ in 0..100 {
            ended = p.ours.ended();
            if ended.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(ended.is_some(), "the reference did not notice the crate's GoAway");
        assert!(p.ours.open_stream().await.is_err(), "the reference opened a stream after the crate's GoAway");
    });
}
