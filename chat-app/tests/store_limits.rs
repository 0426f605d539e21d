//! What one admitted neighbour can make a chat peer store: it becomes ana's neighbour
//! over the real stack (TCP, Noise, yamux, the swarm's `Connect`) and sends, on the sync
//! substream, 1,000 fresh authors' logs of 5 validly signed lines each, then pushes 200
//! more fresh authors' lines as gossip envelopes. ana keeps at
//! most the node's bound on new authors from one neighbour (`MAX_NEW_AUTHORS` per
//! `NEW_AUTHORS_EVERY`), its memory and its history on disk stay flat, nobody blames the
//! honest peer that passes the admitted authors on, and an honest author's next line is
//! still shown everywhere.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use append_log_solution::Writer;
use chat_solution::node::MAX_NEW_AUTHORS;
use chat_solution::{Line, Msg};
use common::{Proc, WAIT, keys, room};
use handshake_solution::negotiate::{dialer_select, listener_select};
use handshake_solution::{Role, upgrade};
use identity_solution::Keypair;
use secure_gossip_solution::Envelope;
use streams_solution::Session;
use streams_solution::frame::{read_frame, write_frame};

const SWARM: &str = "/p2p-handbook/swarm/1.0.0";
const SYNC: &str = "/p2p-handbook/chat/sync/1.0.0";
const PUSH: &str = "/p2p-handbook/chat/push/1.0.0";

const AUTHORS: usize = 1000;
const LINES: u64 = 5;
/// Authors per sync frame: 250 entries, about 160 KiB of JSON, under the 1 MiB frame.
const PER_FRAME: usize = 50;

/// Log files and their bytes in a peer's history folder.
fn on_disk(dir: &Path) -> (usize, u64) {
    let Ok(items) = std::fs::read_dir(dir) else { return (0, 0) };
    items
        .filter_map(Result::ok)
        .filter(|i| i.file_name().to_string_lossy().ends_with(".log"))
        .fold((0, 0), |(n, bytes), i| (n + 1, bytes + i.metadata().map_or(0, |m| m.len())))
}

/// Dials `addr`, becomes a neighbour through the swarm's `Connect`, then sends `frames`
/// as sync messages and `envelopes` on the push substream; keeps the connection open
/// for `hold`.
async fn flood(addr: SocketAddr, frames: Vec<Vec<u8>>, envelopes: Vec<Envelope>, hold: Duration) -> usize {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("dial");
    let up = upgrade(tcp, Role::Initiator, Keypair::generate()).await.expect("the chat upgrades our connection");
    let session = Arc::new(Session::client(up.stream));
    let (accepted_tx, accepted) = tokio::sync::oneshot::channel();
    let s = session.clone();
    tokio::spawn(async move {
        let mut accepted_tx = Some(accepted_tx);
        while let Some(mut stream) = s.accept_stream().await {
            if listener_select(&mut stream, &[SWARM, SYNC, PUSH]).await.is_ok() {
                let mut tx = accepted_tx.take();
                tokio::spawn(async move {
                    while let Ok(Some(frame)) = read_frame(&mut stream, 1 << 20).await {
                        if (frame == br#""Accept""# || frame == br#""Connect""#)
                            && let Some(tx) = tx.take()
                        {
                            let _ = tx.send(());
                        }
                    }
                });
            }
        }
    });
    let mut swarm = session.open_stream().await.expect("a substream");
    dialer_select(&mut swarm, &[SWARM]).await.expect("the chat speaks the swarm protocol");
    write_frame(&mut swarm, br#""Connect""#).await.expect("Connect");
    tokio::time::timeout(WAIT, accepted).await.expect("the chat accepts us as a neighbour").expect("Accept");
    write_frame(&mut swarm, br#""Accept""#).await.expect("Accept");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut sync = session.open_stream().await.expect("a substream");
    dialer_select(&mut sync, &[SYNC]).await.expect("the chat speaks the sync protocol");
    let mut sent = 0;
    for frame in frames {
        if write_frame(&mut sync, &frame).await.is_err() {
            break;
        }
        sent += 1;
    }
    let mut push = session.open_stream().await.expect("a substream");
    dialer_select(&mut push, &[PUSH]).await.expect("the chat speaks the push protocol");
    for envelope in envelopes {
        if write_frame(&mut push, &serde_json::to_vec(&envelope).unwrap()).await.is_err() {
            break;
        }
    }
    // Answer the swarm's pings while the peer digests the flood.
    let until = Instant::now() + hold;
    while Instant::now() < until {
        let _ = write_frame(&mut swarm, br#""Pong""#).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    sent
}

/// `n` more fresh authors' first lines, each as an envelope its author signed.
fn pushed(n: usize) -> Vec<Envelope> {
    (0..n)
        .map(|i| {
            let keypair = Keypair::generate();
            let line = Line { nick: format!("junk-push{i}"), text: format!("junk pushed {i}"), clock: 1 };
            let entry = Writer::new(keypair.secret_bytes()).append(&line.to_payload()).expect("a small line");
            Envelope::sign(&keypair, entry.seq, &entry.to_bytes())
        })
        .collect()
}

/// 1,000 fresh authors × 5 signed lines, as sync `Entries` frames.
fn junk() -> (Vec<Vec<u8>>, usize) {
    let mut frames = Vec::new();
    let mut bytes = 0;
    let mut entries = Vec::new();
    for author in 0..AUTHORS {
        let mut writer = Writer::new(Keypair::generate().secret_bytes());
        for clock in 1..=LINES {
            let line = Line { nick: format!("junk{author}"), text: format!("junk {author}.{clock}"), clock };
            let entry = writer.append(&line.to_payload()).expect("a small line").to_bytes();
            bytes += entry.len();
            entries.push(entry);
        }
        if (author + 1) % PER_FRAME == 0 {
            frames.push(serde_json::to_vec(&Msg::Entries { entries: std::mem::take(&mut entries) }).unwrap());
        }
    }
    (frames, bytes)
}

#[test]
fn one_neighbour_with_a_thousand_fresh_authors_is_held_to_the_bound() {
    let room = room("store");
    let (_a, dir_a) = keys();
    let (_b, dir_b) = keys();
    let mut ana = Proc::start("ana", &room, &dir_a, &["--no-mdns"]);
    let peer = ana.listen.to_string();
    let mut bo = Proc::start("bo", &room, &dir_b, &["--no-mdns", "--peer", &peer]);
    bo.wait_for(|l| l.starts_with("* joined"), WAIT).expect("bo joins ana");
    bo.say("before the flood");
    ana.shown("before the flood", WAIT).expect("ana shows bo's line");
    let history = dir_a.join(&ana.id);
    let rss_before = ana.rss_kib();
    let disk_before = on_disk(&history);

    let (frames, sent_bytes) = junk();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let frames_sent = rt.block_on(flood(ana.listen, frames, pushed(200), Duration::from_secs(6)));
    kit::figure("sync frames sent", frames_sent);
    kit::figure("entries sent (1,000 fresh authors × 5)", AUTHORS * LINES as usize);
    kit::figure("bytes of entries sent", sent_bytes);
    kit::figure("then pushed: fresh authors' first lines", 200);

    // A line said after the flood is shown by both: the room goes on.
    bo.say("after the flood");
    ana.shown("after the flood", WAIT).expect("ana shows bo's line after the flood");
    bo.shown("after the flood", WAIT).expect("bo shows its own line");
    ana.say("ana after the flood");
    bo.shown("ana after the flood", WAIT).expect("bo shows ana's line after the flood");
    // The disk is written a batch per housekeeping round: give it time to catch up.
    std::thread::sleep(Duration::from_secs(3));

    let held = |p: &Proc| p.texts().iter().filter(|t| t.starts_with("junk ")).count();
    let (ana_held, bo_held) = (held(&ana), held(&bo));
    let rss_after = ana.rss_kib();
    let disk_after = on_disk(&history);
    let bo_disk = on_disk(&dir_b.join(&bo.id));
    kit::figure("junk lines ana shows", ana_held);
    kit::figure("junk lines bo shows (passed on by ana)", bo_held);
    kit::figure("ana's log files and bytes on disk, before", format!("{disk_before:?}"));
    kit::figure("ana's log files and bytes on disk, after", format!("{disk_after:?}"));
    kit::figure("bo's log files and bytes on disk, after", format!("{bo_disk:?}"));
    kit::figure("ana's RSS before and after (KiB)", format!("{rss_before:?} -> {rss_after:?}"));
    let bound = MAX_NEW_AUTHORS * LINES as usize;
    assert!(
        ana_held <= bound,
        "one neighbour made ana hold {ana_held} lines of fresh authors; at most {MAX_NEW_AUTHORS} new authors × {LINES} lines = {bound}"
    );
    // ana's own log, bo's, and the authors the flood introduced.
    assert!(
        disk_after.0 <= 2 + MAX_NEW_AUTHORS,
        "ana's history folder holds {} log files: ana's, bo's and at most {MAX_NEW_AUTHORS} new authors from one neighbour",
        disk_after.0
    );
    assert!(bo_held <= bound, "bo holds {bo_held} junk lines, passed on by ana; at most {bound}");
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(after < before + 6 * 1024, "ana's RSS grew from {before} to {after} KiB");
    }
    let blamed = |p: &Proc| p.output().into_iter().filter(|l| l.contains("closing") || l.contains("ignoring")).count();
    assert_eq!(blamed(&bo), 0, "bo blamed ana for passing on authors it admitted: {:?}", bo.output());
    assert!(ana.alive() && bo.alive(), "both peers are still running");
}
