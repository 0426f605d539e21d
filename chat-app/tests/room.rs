//! The room chat as people run it: separate processes of the real program on loopback,
//! finding each other with real mDNS on `lo` (or a rendezvous server), over the real
//! stack (TCP, `/noise`, Noise XX, `/yamux/1.0.0`, a substream per protocol).
//!
//! Each wait is bounded by `common::WAIT`; the figures (discovery, delivery, catch-up)
//! are printed with `kit::figure`, never asserted as times.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use append_log_solution::Writer;
use chat_solution::Line;
use common::{Proc, WAIT, keys, ms, room};
use handshake_solution::negotiate::{dialer_select, listener_select};
use handshake_solution::{Role, upgrade};
use identity_solution::Keypair;
use secure_gossip_solution::Envelope;
use streams_solution::Session;
use streams_solution::frame::{read_frame, write_frame};

const PUSH: &str = "/p2p-handbook/chat/push/1.0.0";
const SWARM: &str = "/p2p-handbook/swarm/1.0.0";
const SYNC: &str = "/p2p-handbook/chat/sync/1.0.0";

/// Waits until `text` is shown by every one of `procs`; returns the latest time.
fn everywhere(procs: &[&Proc], text: &str) -> Instant {
    procs
        .iter()
        .map(|p| {
            p.shown(text, WAIT).unwrap_or_else(|| panic!("{} never showed {text:?}; it showed {:?}", p.nick, p.texts()))
        })
        .max()
        .expect("at least one process")
}

/// An attacker on the real stack: dials `addr` as `keypair`, becomes a neighbour
/// through the swarm's `Connect`, then pushes `envelopes`.
async fn push_as(addr: SocketAddr, keypair: Keypair, envelopes: Vec<Envelope>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("dial");
    let up = upgrade(tcp, Role::Initiator, keypair).await.expect("the chat upgrades our connection");
    let session = Session::client(up.stream);
    // Its swarm answers on a substream of its own: wait for the Accept there.
    let (accepted_tx, accepted) = tokio::sync::oneshot::channel();
    let listener = {
        let session = std::sync::Arc::new(session);
        let s = session.clone();
        tokio::spawn(async move {
            let mut accepted_tx = Some(accepted_tx);
            while let Some(mut stream) = s.accept_stream().await {
                // Every protocol the chat may open to us is answered and read.
                if listener_select(&mut stream, &[SWARM, SYNC, PUSH]).await.is_ok() {
                    while let Ok(Some(frame)) = read_frame(&mut stream, 1 << 20).await {
                        // Its Accept of our Connect, or its own Connect (the smaller id's
                        // dial wins the tie-break): either makes us neighbours.
                        if (frame == br#""Accept""# || frame == br#""Connect""#)
                            && let Some(tx) = accepted_tx.take()
                        {
                            let _ = tx.send(());
                        }
                    }
                }
            }
        });
        session
    };
    let mut swarm = listener.open_stream().await.expect("a substream");
    dialer_select(&mut swarm, &[SWARM]).await.expect("the chat speaks the swarm protocol");
    write_frame(&mut swarm, br#""Connect""#).await.expect("Connect");
    tokio::time::timeout(WAIT, accepted).await.expect("the chat accepts us as a neighbour").expect("Accept");
    write_frame(&mut swarm, br#""Accept""#).await.expect("Accept");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut push = listener.open_stream().await.expect("a substream");
    dialer_select(&mut push, &[PUSH]).await.expect("the chat speaks the push protocol");
    for envelope in envelopes {
        if write_frame(&mut push, &serde_json::to_vec(&envelope).unwrap()).await.is_err() {
            break; // closed on us: what a flood should get
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// A signed line of `keypair`'s log, number `seq` (earlier ones written and dropped).
fn line(keypair: &Keypair, writer: &mut Writer, nick: &str, text: &str, clock: u64) -> Envelope {
    let entry =
        writer.append(&Line { nick: nick.into(), text: text.into(), clock }.to_payload()).expect("a small payload");
    Envelope::sign(keypair, entry.seq, &entry.to_bytes())
}

#[test]
fn five_processes_a_late_joiner_a_restart_and_attackers() {
    let room = room("five");
    let started = Instant::now();
    let dirs: Vec<_> = (0..6).map(|_| keys()).collect();
    let nicks = ["ada", "bob", "cy", "dee", "eve", "fay"];
    let mut procs: Vec<Proc> = (0..5).map(|i| Proc::start(nicks[i], &room, &dirs[i].1, &[])).collect();

    // Discovery: every process has a neighbour; in a room of five the swarm makes a
    // full mesh, so each ends with four.
    let mut discovery = Vec::new();
    for p in &procs {
        let (at, _) =
            p.wait_for(|l| l.starts_with("* joined"), WAIT).unwrap_or_else(|| panic!("{} found nobody", p.nick));
        discovery.push(at - p.started);
        let deadline = Instant::now() + WAIT;
        while p.output().iter().filter(|l| l.starts_with("* joined")).count() < 4 {
            assert!(Instant::now() < deadline, "{} has not met the four others: {:?}", p.nick, p.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    discovery.sort();
    kit::figure("discovery (process start to first neighbour), median of 5", ms(discovery[2]));
    kit::figure("discovery, slowest of 5", ms(discovery[4]));

    // Ten lines, two from each, each shown on all five.
    let mut delivery = Vec::new();
    for i in 0..10 {
        let text = format!("line {i} from {}", nicks[i % 5]);
        let typed = procs[i % 5].say(&text);
        let refs: Vec<&Proc> = procs.iter().collect();
        delivery.push(everywhere(&refs, &text) - typed);
    }
    delivery.sort();
    kit::figure("delivery (typed to shown on all 5), median of 10", ms(delivery[5]));
    kit::figure("delivery, slowest of 10", ms(delivery[9]));
    let order = procs[0].texts();
    for p in &procs {
        assert_eq!(p.texts().len(), 10, "{} shows {:?}", p.nick, p.texts());
    }

    // A sixth joins late: it gets all ten, and the live lines.
    let late = Proc::start(nicks[5], &room, &dirs[5].1, &[]);
    let caught_up = (0..10)
        .map(|i| {
            late.shown(&format!("line {i} from {}", nicks[i % 5]), WAIT).expect("the late joiner gets the history")
        })
        .max()
        .unwrap();
    kit::figure("late joiner: start to all 10 lines shown", ms(caught_up - late.started));
    let live = procs[1].say("live after fay came");
    procs.push(late);
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure("delivery to all 6, the late joiner included", ms(everywhere(&refs, "live after fay came") - live));

    // Other authors' entries reach the disk at the next housekeeping round (every
    // 250 ms), so a peer killed sooner may lose those, by design: the room has them. Wait
    // until its disk holds every author's log, then kill it.
    let log_files = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "log"))).count())
            .unwrap_or(0)
    };
    let disk = dirs[2].1.join(&procs[2].id);
    let deadline = Instant::now() + WAIT;
    while log_files(&disk) < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // One is killed (no goodbye), the room goes on, it comes back with the same key and
    // catches up, the line said while it was away included.
    procs[2].kill();
    procs[0].say("while cy was away");
    let others: Vec<&Proc> = procs.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, p)| p).collect();
    everywhere(&others, "while cy was away");
    // Its disk holds the others' logs as well as its own: one file per author.
    let logs = log_files(&disk);
    assert!(logs >= 5, "the killed process kept {logs} log files; five authors had written");
    procs[2] = Proc::start(nicks[2], &room, &dirs[2].1, &[]);
    let back = procs[2].shown("while cy was away", WAIT).expect("the restarted process catches up");
    kit::figure("restarted: start to caught up", ms(back - procs[2].started));
    for i in 0..10 {
        assert!(
            procs[2].shown(&format!("line {i} from {}", nicks[i % 5]), WAIT).is_some(),
            "the restarted process lacks line {i}"
        );
    }

    // Its log was on disk: it writes again, after its last line, and every peer takes it
    // (a line 1 again would fork its log, and the others would refuse it).
    let typed = procs[2].say("cy is back");
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure("restarted: its next line, typed to shown on all 6", ms(everywhere(&refs, "cy is back") - typed));
    assert!(
        !procs[2].output().iter().any(|l| l.starts_with("! not said")),
        "the restarted process refused to write: {:?}",
        procs[2].output()
    );

    // Attackers, each on its own connection with its own key, on the real stack:
    // a forged entry (its signature broken, its envelope signed), an envelope under
    // someone else's key, a line with clock u64::MAX, an oversized envelope, and a flood.
    let target = procs[0].listen;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let forger = Keypair::generate();
        let mut w = Writer::new(forger.secret_bytes());
        let entry =
            w.append(&Line { nick: "mallory".into(), text: "FORGED original".into(), clock: 1 }.to_payload()).unwrap();
        let mut bytes = entry.to_bytes();
        let at = bytes.windows(8).position(|x| x == b"original").unwrap();
        bytes[at] = b'O'; // the entry's signature no longer verifies
        let forged = Envelope::sign(&forger, entry.seq, &bytes);
        let victim = Keypair::generate();
        let mut stolen =
            line(&victim, &mut Writer::new(victim.secret_bytes()), "victim", "FORGED under a stolen name", 1);
        stolen.signature[0] ^= 1;
        push_as(target, forger, vec![forged, stolen]).await;

        let inflater = Keypair::generate();
        let mut w = Writer::new(inflater.secret_bytes());
        let inflated = line(&inflater, &mut w, "mallory", "INFLATED to u64::MAX", u64::MAX);
        let mut big = line(&inflater, &mut w, "mallory", "OVERSIZED", 5);
        big.payload.extend(std::iter::repeat_n(b'x', 2000));
        push_as(target, inflater, vec![inflated, big]).await;

        let flooder = Keypair::generate();
        let mut w = Writer::new(flooder.secret_bytes());
        let flood: Vec<Envelope> =
            (0..200).map(|i| line(&flooder, &mut w, "flood", &format!("FLOOD {i}"), 12 + i)).collect();
        push_as(target, flooder, flood).await;
    });

    // The room goes on: a line after the attacks reaches everyone, and nothing forged,
    // inflated or oversized is shown anywhere; the flood is cut to the author's burst
    // and rate.
    let after = procs[3].say("after the attacks");
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure("delivery to all 6 after the attacks", ms(everywhere(&refs, "after the attacks") - after));
    for p in &mut procs {
        assert!(p.alive(), "{} died", p.nick);
        for text in p.texts() {
            assert!(
                !text.starts_with("FORGED") && !text.starts_with("INFLATED") && !text.starts_with("OVERSIZED"),
                "{} shows {text:?}",
                p.nick
            );
        }
        let flooded = p.texts().iter().filter(|t| t.starts_with("FLOOD")).count();
        // The burst, and what the bucket refills while the flood lasts (well under 2 s).
        let bound = (secure_gossip_solution::AUTHOR_BURST + 2.0 * secure_gossip_solution::AUTHOR_RATE) as usize;
        assert!(flooded <= bound, "{} shows {flooded} of 200 flood lines (at most {bound})", p.nick);
    }
    let refused = procs[0].output().iter().filter(|l| l.starts_with("! refused")).count();
    kit::figure("frames refused by the attacked process", refused);
    assert!(refused >= 4, "the attacked process refused only {refused}: {:?}", procs[0].output());
    // Everyone shows the history in one order (the ten lines first).
    for p in &procs {
        assert_eq!(p.texts()[..10], order[..], "{} shows another order", p.nick);
    }
    kit::figure("this test", ms(started.elapsed()));
}

#[test]
fn rendezvous_finds_the_room_without_mdns() {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        rendezvous_solution::spawn(listener).unwrap()
    });
    let addr = server.addr().to_string();
    let room = room("rendezvous");
    let dirs: Vec<_> = (0..3).map(|_| keys()).collect();
    let mut procs: Vec<Proc> = ["ann", "ben", "col"]
        .iter()
        .zip(&dirs)
        .map(|(nick, dir)| Proc::start(nick, &room, &dir.1, &["--no-mdns", "--rendezvous", &addr]))
        .collect();
    for p in &procs {
        assert!(!p.output().iter().any(|l| l.contains("mDNS")), "{} uses mDNS", p.nick);
        let (at, _) =
            p.wait_for(|l| l.starts_with("* joined"), WAIT).unwrap_or_else(|| panic!("{} found nobody", p.nick));
        kit::figure(&format!("{}: start to first neighbour through rendezvous", p.nick), ms(at - p.started));
    }
    let typed = procs[0].say("found through rendezvous");
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure("delivery to all 3", ms(everywhere(&refs, "found through rendezvous") - typed));
    procs[1].leave();
    assert!(!procs[1].alive(), "ben left when its input ended");
    kit::figure("this test", ms(started.elapsed()));
    drop(server);
}

/// A process's neighbours now (the short ids it printed), from its `* joined` and
/// `* left` lines in order.
fn neighbours(p: &Proc) -> std::collections::BTreeSet<String> {
    let mut set = std::collections::BTreeSet::new();
    for line in p.output() {
        let Some(id) = line.rsplit(' ').next() else { continue };
        if line.starts_with("* joined") {
            set.insert(id.to_string());
        } else if line.starts_with("* left") {
            set.remove(id);
        }
    }
    set
}

/// How many neighbours a process has now.
fn degree(p: &Proc) -> usize {
    neighbours(p).len()
}

/// The short id a process prints for `p`.
fn short(p: &Proc) -> String {
    p.id.trim_start_matches("12D3KooW").chars().take(6).collect()
}

/// Waits until every one of `procs` has a degree within `range`.
fn degrees_within(procs: &[Proc], range: std::ops::RangeInclusive<usize>) -> Vec<usize> {
    let deadline = Instant::now() + WAIT;
    loop {
        let degrees: Vec<usize> = procs.iter().map(degree).collect();
        if degrees.iter().all(|d| range.contains(d)) {
            return degrees;
        }
        assert!(Instant::now() < deadline, "degrees {degrees:?} never all within {range:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn eleven_processes_keep_bounded_degrees_and_repair() {
    use swarm_solution::{MAX_DEGREE, MIN_DEGREE};
    let started = Instant::now();
    let room = room("eleven");
    let dirs: Vec<_> = (0..11).map(|_| keys()).collect();
    let mut procs: Vec<Proc> = (0..11).map(|i| Proc::start(&format!("p{i}"), &room, &dirs[i].1, &[])).collect();
    // Past FULL_MESH_UP_TO the swarm keeps MIN_DEGREE..=MAX_DEGREE neighbours.
    let degrees = degrees_within(&procs, MIN_DEGREE..=MAX_DEGREE);
    kit::figure("degrees in a room of 11", format!("{degrees:?}"));
    let typed = procs[0].say("across a bounded mesh");
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure(
        "delivery to all 11 (forwarded across the mesh)",
        ms(everywhere(&refs, "across a bounded mesh") - typed),
    );

    // Three leave without a word: the others drop them and dial replacements.
    let gone: Vec<String> = procs[8..].iter().map(short).collect();
    for p in procs.drain(8..) {
        drop(p); // killed: no goodbye
    }
    let left = Instant::now();
    let deadline = left + WAIT;
    while procs.iter().any(|p| neighbours(p).iter().any(|n| gone.contains(n))) {
        assert!(Instant::now() < deadline, "a departure was never noticed");
        std::thread::sleep(Duration::from_millis(20));
    }
    kit::figure("departures noticed by every neighbour", ms(left.elapsed()));
    let degrees = degrees_within(&procs, MIN_DEGREE..=MAX_DEGREE);
    kit::figure("repaired degrees after 3 of 11 left", format!("{degrees:?}"));
    kit::figure("departure to repaired degrees", ms(left.elapsed()));
    let typed = procs[5].say("after the repair");
    let refs: Vec<&Proc> = procs.iter().collect();
    kit::figure("delivery to the 8 left", ms(everywhere(&refs, "after the repair") - typed));
    kit::figure("this test", ms(started.elapsed()));
}
