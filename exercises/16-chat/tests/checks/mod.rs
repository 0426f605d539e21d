//! The capstone's checks: the order every node shows, one node, a room of ten in the
//! simulator (with partitions, the reference's nodes and a forger), then three nodes
//! over real TCP on loopback.

use std::collections::BTreeMap;
use std::time::Duration;

use kit::rand::{RngExt, SeedableRng};
use kit::{Adapter, Context, Either, Link, Node, NodeId, NodeRng, Sim, SimConfig};

use crate::reference;
use crate::subject;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const SYNC: Duration = Duration::from_millis(500);

fn secret(i: usize) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[0] = i as u8 + 1;
    s[31] = 7;
    s
}

fn nick(i: usize) -> String {
    format!("user{i}")
}

/// Entries of a reference log, for building histories by hand.
fn log_of(i: usize, lines: &[(&str, u64)]) -> (reference::log::Writer, Vec<reference::log::Entry>) {
    let mut writer = reference::log::Writer::new(secret(i));
    let entries = lines
        .iter()
        .map(|(text, clock)| {
            let line = reference::Line { nick: nick(i), text: text.to_string(), clock: *clock };
            writer.append(&line.to_payload()).unwrap()
        })
        .collect();
    (writer, entries)
}

/// The order every node shows: Lamport clock, then author, then sequence number; unreadable payloads left out
#[test]
fn step_1_order() {
    let (_, a) = log_of(0, &[("hello", 1), ("anyone here?", 2), ("great", 4)]);
    let (_, b) = log_of(1, &[("hi!", 3), ("me too", 4)]);
    let (mut wc, mut c) = log_of(2, &[("same time", 2)]);
    c.push(wc.append(b"not a line at all").unwrap());
    let mut logs = BTreeMap::new();
    for log in [&a, &b, &c] {
        logs.insert(log[0].author, log.clone());
    }
    let shown = subject::history(&logs);
    let texts: Vec<&str> = shown.iter().map(|s| s.text.as_str()).collect();
    let (ka, kb, kc) = (a[0].author, b[0].author, c[0].author);
    // Clock 2 is shared by "anyone here?" (user0) and "same time" (user2): by author key.
    let same_time = if ka < kc { ["anyone here?", "same time"] } else { ["same time", "anyone here?"] };
    let at_four = if ka < kb { ["great", "me too"] } else { ["me too", "great"] };
    let want = ["hello", same_time[0], same_time[1], "hi!", at_four[0], at_four[1]];
    assert_eq!(texts, want, "sorted by (clock, author, seq); the entry that is not a Line is left out");
    let hi = shown.iter().find(|s| s.text == "hi!").unwrap();
    assert_eq!((hi.nick.as_str(), hi.author, hi.seq, hi.clock), ("user1", kb, 1, 3));
    // The same logs in any map order give the same history.
    let mine: Vec<_> = subject::history(&logs).into_iter().map(|s| (s.author, s.seq)).collect();
    let want: Vec<_> = reference::history(&logs).into_iter().map(|s| (s.author, s.seq)).collect();
    assert_eq!(mine, want, "the same order as the reference");
}

type Ctx = Context<subject::Msg, subject::Timer>;

/// One node: Say is acknowledged and shows in History with the node's nick; a line too long is refused
#[test]
fn step_2_one_node() {
    let mut node = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = Ctx::new(NodeId::node(0), vec![], 1);
    node.on_start(&mut ctx);
    let client = NodeId::client(0);
    for (i, text) in ["hello", "world"].iter().enumerate() {
        node.on_message(&mut ctx, client.clone(), subject::Msg::Say { text: text.to_string() });
        let sent = ctx.drain().messages;
        assert!(
            sent.contains(&(client.clone(), subject::Msg::SayOk { seq: i as u64 + 1 })),
            "Say gets SayOk with the entry's sequence number: {sent:?}"
        );
    }
    node.on_message(&mut ctx, client.clone(), subject::Msg::Say { text: "x".repeat(1001) });
    assert!(
        matches!(ctx.drain().messages.as_slice(), [(c, subject::Msg::SayError { .. })] if *c == client),
        "a line over 1,000 bytes gets SayError"
    );
    node.on_message(&mut ctx, client.clone(), subject::Msg::History);
    match ctx.drain().messages.pop() {
        Some((_, subject::Msg::HistoryOk { lines, .. })) => {
            let got: Vec<(&str, &str, u64)> =
                lines.iter().map(|l| (l.nick.as_str(), l.text.as_str(), l.clock)).collect();
            assert_eq!(
                got,
                [("alice", "hello", 1), ("alice", "world", 2)],
                "each line's clock is one more than the last"
            );
            assert_eq!(lines[0].author, node.author());
        }
        other => panic!("History gets HistoryOk, got {other:?}"),
    }
}

/// The room: the reference's messages on the wire, and the timers of whichever
/// node set them, yours (first) or the reference's (second).
type Room = Sim<reference::Msg, Mixed>;
type Mixed = Either<subject::Timer, reference::Timer>;

fn to_ref(m: subject::Msg) -> reference::Msg {
    serde_json::from_value(serde_json::to_value(m).unwrap()).unwrap()
}

fn from_ref(m: reference::Msg) -> subject::Msg {
    serde_json::from_value(serde_json::to_value(m).unwrap()).unwrap()
}

fn yours(i: usize) -> Adapter<subject::ChatNode, reference::Msg, Mixed> {
    Adapter::new(subject::ChatNode::new(secret(i), &nick(i), SYNC), from_ref, to_ref, Mixed::first, Mixed::First)
}

fn theirs(i: usize) -> Adapter<reference::ChatNode, reference::Msg, Mixed> {
    Adapter::new(reference::ChatNode::new(secret(i), &nick(i), SYNC), |m| m, |m| m, Mixed::second, Mixed::Second)
}

/// A room of `n`; `reference_every` > 0 makes every such node the reference's.
fn room(n: usize, reference_every: usize, seed: u64) -> (Room, Vec<NodeId>) {
    let config = SimConfig { seed: kit::seed(seed), latency: 30 * MS, jitter: 20 * MS, loss: 0.0, trace: false };
    let mut sim = Room::new(config);
    let ids: Vec<NodeId> = (0..n)
        .map(|i| {
            if reference_every > 0 && i % reference_every == 1 {
                sim.add_node(theirs(i))
            } else {
                sim.add_node(yours(i))
            }
        })
        .collect();
    // Between nodes, 5% of messages are lost; the terminal's link to its own node is not.
    for a in &ids {
        for b in &ids {
            if a < b {
                sim.set_link(a, b, Link { latency: 30 * MS, jitter: 20 * MS, loss: 0.05 });
            }
        }
    }
    (sim, ids)
}

/// Types `count` lines at random nodes, one every 100 ms, and tracks each line's
/// spread from the moment it is typed; returns their texts.
fn chatter(
    sim: &mut Room,
    ids: &[NodeId],
    count: usize,
    tag: &str,
    rng: &mut NodeRng,
    said: &mut BTreeMap<usize, u64>,
) -> Vec<String> {
    let mut texts = Vec::new();
    for k in 0..count {
        let at = &ids[rng.random_range(0..ids.len())];
        let text = format!("{tag} {k}");
        let i: usize = at.as_str()[1..].parse().unwrap();
        let n = said.entry(i).or_insert(0);
        *n += 1;
        let said = *n;
        let author = reference::log::Writer::new(secret(i)).author();
        sim.track(format!("{}:{said}", author[..4].iter().map(|b| format!("{b:02x}")).collect::<String>()));
        sim.client_send(&NodeId::client(0), at, reference::Msg::Say { text: text.clone() });
        texts.push(text);
        sim.run_for(100 * MS);
    }
    texts
}

/// Every node's history: (lines as (nick, text), digest).
/// One node's view: its lines as (nick, text), and its digest.
type View = (Vec<(String, String)>, [u8; 32]);

fn histories(sim: &mut Room, ids: &[NodeId]) -> BTreeMap<NodeId, View> {
    sim.take_client_messages();
    let mut all = BTreeMap::new();
    // The network loses messages: ask again whoever has not answered.
    for _ in 0..10 {
        for id in ids.iter().filter(|id| !all.contains_key(*id)) {
            sim.client_send(&NodeId::client(9), id, reference::Msg::History);
        }
        sim.run_for(SEC);
        for m in sim.take_client_messages() {
            if let reference::Msg::HistoryOk { lines, digest } = m.message {
                all.entry(m.from).or_insert((lines.into_iter().map(|l| (l.nick, l.text)).collect(), digest));
            }
        }
    }
    all
}

fn assert_converged(sim: &mut Room, ids: &[NodeId], texts: &[String], what: &str) {
    let all = histories(sim, ids);
    assert_eq!(all.len(), ids.len(), "{what}: every node answers History");
    let first = all.values().next().unwrap().clone();
    for (id, h) in &all {
        assert_eq!(h, &first, "{what}: {id} shows a different history than {}", all.keys().next().unwrap());
    }
    let shown: Vec<&String> = first.0.iter().map(|(_, t)| t).collect();
    for text in texts {
        assert!(shown.contains(&text), "{what}: {text:?} is missing from every node's history");
    }
}

/// Ten of your nodes, 5% loss: 40 lines reach every node, fast, and every node shows the same order
#[test]
fn step_3_room() {
    let (mut sim, ids) = room(10, 0, 3);
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(3)), BTreeMap::new());
    let texts = chatter(&mut sim, &ids, 40, "line", &mut rng, &mut said);
    sim.run_for(3 * SEC);
    assert_converged(
        &mut sim,
        &ids,
        &texts,
        "a room of 10 with 5% loss (a lost push is repaired only by anti-entropy: a Have to a random peer every interval, for as long as the node runs)",
    );
    let report = sim.report();
    assert_eq!(report.incomplete, 0, "every line reaches every node (ctx.observe(key) when a line is new)");
    let median = report.latency.median;
    assert!(
        median <= 200 * MS,
        "a line reaches the whole room in {median:?} at the median, from the moment it is typed: push it to every peer when it is said (one hop is 30–50 ms)"
    );
}

/// A partition splits the room; both halves keep talking; after it heals, every node has every line, and a reply after the heal sorts after what it answers
#[test]
fn step_4_partition() {
    let (mut sim, ids) = room(10, 0, 4);
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(4)), BTreeMap::new());
    let (left, right) = ids.split_at(5);
    sim.partition(&[left, right]);
    let mut texts = chatter(&mut sim, left, 10, "left", &mut rng, &mut said);
    texts.extend(chatter(&mut sim, right, 10, "right", &mut rng, &mut said));
    sim.run_for(2 * SEC);
    sim.heal();
    sim.run_for(5 * SEC);
    assert_converged(&mut sim, &ids, &texts, "after the partition heals");
    // A reply typed now must sort after every line it has seen.
    sim.client_send(&NodeId::client(0), &ids[7], reference::Msg::Say { text: "reply after the heal".into() });
    sim.run_for(3 * SEC);
    let all = histories(&mut sim, &ids);
    for (id, (lines, _)) in all {
        assert_eq!(
            lines.last().map(|(_, t)| t.as_str()),
            Some("reply after the heal"),
            "{id}: a line written after seeing everything sorts last (its Lamport clock is the largest)"
        );
    }
}

/// A room where every third node is the reference's: the same history everywhere
#[test]
fn step_5_with_the_reference() {
    let (mut sim, ids) = room(9, 3, 5);
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(5)), BTreeMap::new());
    let texts = chatter(&mut sim, &ids, 30, "mixed", &mut rng, &mut said);
    sim.run_for(3 * SEC);
    assert_converged(&mut sim, &ids, &texts, "yours and the reference's together");
}

/// A hostile peer: a second after it starts it pushes `Entries` messages (forged
/// entries, inflated clocks, a forked log), then again every second if `again`; it
/// listens to nothing.
struct Pusher {
    /// Whom each message goes to, and its entries, in sending order.
    sends: Vec<(NodeId, Vec<Vec<u8>>)>,
    again: bool,
}

impl Pusher {
    /// Every second, the same messages to every target.
    fn to_all(targets: &[NodeId], messages: &[Vec<Vec<u8>>]) -> Pusher {
        let sends = targets.iter().flat_map(|to| messages.iter().map(|m| (to.clone(), m.clone()))).collect();
        Pusher { sends, again: true }
    }
}

impl Node for Pusher {
    type Message = reference::Msg;
    type Timer = Mixed;
    fn on_start(&mut self, ctx: &mut Context<reference::Msg, Mixed>) {
        ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
    }
    fn on_message(&mut self, _: &mut Context<reference::Msg, Mixed>, _: NodeId, _: reference::Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<reference::Msg, Mixed>, _: Mixed) {
        for (to, entries) in &self.sends {
            ctx.send(to.clone(), reference::Msg::Entries { entries: entries.clone() });
        }
        if self.again {
            ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
        }
    }
}

/// A real author's entry with one byte of its text changed: its signature no longer matches.
fn tampered(entry: &reference::log::Entry) -> Vec<u8> {
    let mut bytes = entry.to_bytes();
    let at = bytes.len() - 70; // inside the payload, before the signature
    bytes[at] ^= 1;
    bytes
}

/// A forger pushes tampered and malformed entries to everyone: none is ever shown, the room goes on
#[test]
fn step_6_forger() {
    let (mut sim, ids) = room(6, 0, 6);
    // Forged entries: a real author's entry with one byte of text changed, and garbage.
    let (_, owed) = log_of(0, &[("I owe everyone 100 euros", 1)]);
    let forger = sim.add_node(Pusher::to_all(&ids, &[vec![tampered(&owed[0])], vec![b"garbage".to_vec()]]));
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(6)), BTreeMap::new());
    sim.run_for(3 * SEC);
    let texts = chatter(&mut sim, &ids, 10, "honest", &mut rng, &mut said);
    sim.run_for(3 * SEC);
    assert_converged(&mut sim, &ids, &texts, "with a forger in the room");
    let all = histories(&mut sim, &ids);
    for (id, (lines, _)) in all {
        for (_, text) in &lines {
            assert!(!text.contains("everyone"), "{id} shows {text:?}, a forged line (its signature does not match)");
        }
    }
    let _ = forger;

    // One node at a time: whoever sends bytes that are not a validly signed entry is
    // banned; the author such bytes name is not, since anyone can put a name on a forgery.
    let (_, real) = log_of(1, &[("hello", 1)]);
    let (garbler, framer) = (NodeId::node(7), NodeId::node(8));
    let mut node = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = Ctx::new(NodeId::node(0), vec![NodeId::node(9), garbler.clone(), framer.clone()], 6);
    node.on_start(&mut ctx);
    node.on_message(&mut ctx, NodeId::node(9), subject::Msg::Entries { entries: vec![real[0].to_bytes()] });
    node.on_message(&mut ctx, garbler.clone(), subject::Msg::Entries { entries: vec![b"garbage".to_vec()] });
    node.on_message(&mut ctx, framer.clone(), subject::Msg::Entries { entries: vec![tampered(&real[0])] });
    let bans = node.bans(ctx.now());
    let banned = |who: &NodeId| bans.iter().any(|b| matches!(b, subject::Ban::Peer { peer, .. } if peer == who));
    assert!(banned(&garbler), "bytes that are not an entry ban the peer that sent them (for BAN_FOR): {bans:?}");
    assert!(
        banned(&framer),
        "an entry its author did not sign (here a tampered copy of a line held) bans the peer that sent it (for BAN_FOR): {bans:?}"
    );
    assert!(
        !bans.iter().any(|b| matches!(b, subject::Ban::Author { .. })),
        "an entry that does not verify proves nothing about the author it names: ban the peer that sent it, never the author: {bans:?}"
    );
}

/// A signed line with clock u64::MAX (or far ahead of the room) is never shown and crashes nothing: the room goes on, in order
#[test]
fn step_8_clock_inflation() {
    let (mut sim, ids) = room(6, 3, 8);
    // Validly signed lines whose Lamport clocks are inflated: one at `u64::MAX`, and one
    // from another author far beyond any clock the room has reached.
    let (_, forever) = log_of(20, &[("the last word, for ever", u64::MAX), ("and a normal one after it", 5)]);
    let (_, far) = log_of(21, &[("a line from the far future", 1 << 40)]);
    let entries: Vec<Vec<u8>> = forever.iter().chain(&far).map(|e| e.to_bytes()).collect();
    sim.add_node(Pusher::to_all(&ids, &[entries]));
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(8)), BTreeMap::new());
    sim.run_for(3 * SEC);
    let mut texts = chatter(&mut sim, &ids, 10, "honest", &mut rng, &mut said);
    sim.run_for(2 * SEC);
    texts.extend(chatter(&mut sim, &ids, 5, "later", &mut rng, &mut said));
    sim.run_for(3 * SEC);
    assert_converged(
        &mut sim,
        &ids,
        &texts,
        "with a clock inflater in the room (a line more than MAX_CLOCK_LEAD ahead of the node's clock must not be stored yet)",
    );
    sim.take_client_messages();
    for id in &ids {
        sim.client_send(&NodeId::client(9), id, reference::Msg::History);
    }
    sim.run_for(2 * SEC);
    for m in sim.take_client_messages() {
        if let reference::Msg::HistoryOk { lines, .. } = m.message {
            for line in &lines {
                assert!(
                    !line.text.contains("last word")
                        && !line.text.contains("far future")
                        && !line.text.contains("normal one"),
                    "{} shows {:?} with clock {}: a line more than MAX_CLOCK_LEAD ahead of every clock the node has accepted must not be stored (nor the rest of its author's log)",
                    m.from,
                    line.text,
                    line.clock
                );
            }
            let last = lines.last().map(|l| (l.text.as_str(), l.clock));
            assert!(
                lines.iter().all(|l| l.clock < 1_000),
                "{}: honest clocks stay small (one per line), not pulled up by the inflater: {last:?}",
                m.from
            );
        }
    }
    // The peer that passes on a line too far ahead is not blamed: it may be honest.
    let mut node = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = Ctx::new(NodeId::node(0), vec![NodeId::node(1)], 8);
    node.on_start(&mut ctx);
    node.on_message(&mut ctx, NodeId::node(1), subject::Msg::Entries { entries: vec![far[0].to_bytes()] });
    let bans = node.bans(ctx.now());
    assert!(
        bans.is_empty(),
        "a line more than MAX_CLOCK_LEAD ahead is refused for now and nobody is banned for it (an honest peer may be passing it on): {bans:?}"
    );
}

/// Three of your nodes over real TCP on loopback (the kit's tokio driver): lines said at each reach all three
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_7_over_tcp() {
    use kit::net::{Client, NetConfig, spawn};
    use tokio::net::TcpListener;
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port"));
    }
    let addrs: Vec<_> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let names: Vec<NodeId> = (0..3).map(|i| NodeId::new(format!("peer{i}"))).collect();
    let mut handles = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let peers = (0..3).filter(|&j| j != i).map(|j| (names[j].clone(), addrs[j])).collect();
        let node = subject::ChatNode::new(secret(i), &nick(i), Duration::from_millis(200));
        handles.push(
            spawn(node, listener, NetConfig { me: names[i].clone(), peers, seed: i as u64 }).expect("spawn your node"),
        );
    }
    let wait = Duration::from_secs(5);
    for i in 0..3 {
        let mut client = Client::connect(addrs[i], NodeId::client(i)).await.expect("connect");
        client.send(&names[i], &subject::Msg::Say { text: format!("hello from {i}") }).await.unwrap();
        let reply =
            tokio::time::timeout(wait, client.recv::<subject::Msg>()).await.expect("SayOk in time").expect("recv");
        assert!(matches!(reply.body, subject::Msg::SayOk { .. }), "got {reply:?}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut views = Vec::new();
        for i in 0..3 {
            let mut client = Client::connect(addrs[i], NodeId::client(10 + i)).await.expect("connect");
            client.send(&names[i], &subject::Msg::History).await.unwrap();
            if let subject::Msg::HistoryOk { lines, .. } =
                tokio::time::timeout(wait, client.recv::<subject::Msg>()).await.expect("in time").expect("recv").body
            {
                views.push(lines.into_iter().map(|l| l.text).collect::<Vec<_>>());
            }
        }
        if views.len() == 3 && views.iter().all(|v| v.len() == 3 && *v == views[0]) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "after 10 s the three nodes still differ: {views:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every interleaving of a room of two, a line said at each, any one message lost: both show the same history
#[test]
fn step_9_every_interleaving() {
    use kit::search::{Search, SearchConfig, View};

    let node = |i: usize| subject::ChatNode::new(secret(i), &nick(i), SYNC);
    let config =
        SearchConfig { max_drops: 1, max_timer_fires: 2, max_depth: 16, max_states: 200_000, settle_events: 400 };
    let mut search = Search::new(vec![node(0), node(1)], config);
    let client = NodeId::client(0);
    search.client_send(&client, &NodeId::node(0), subject::Msg::Say { text: "hello".into() });
    search.client_send(&client, &NodeId::node(1), subject::Msg::Say { text: "hi there".into() });
    search.probe(subject::Msg::History);
    let liveness = |view: &View<'_, subject::ChatNode, subject::Msg>| {
        let mut digests = Vec::new();
        for (i, answers) in view.probed.iter().enumerate() {
            match answers.as_slice() {
                [subject::Msg::HistoryOk { digest, .. }] => digests.push(*digest),
                other => return Err(format!("n{i} must answer History with one HistoryOk, got {other:?}")),
            }
        }
        if digests.windows(2).all(|w| w[0] == w[1]) {
            Ok(())
        } else {
            Err("the two nodes show different histories".into())
        }
    };
    search.run(|_| Ok(()), liveness).assert_holds();
}

/// A restarted node with its history on disk writes after its last line at once; one that lost it writes nothing until a peer has said how far its log goes and it has caught up
#[test]
fn step_10_restart_resumes() {
    let client = NodeId::client(0);
    let peer = NodeId::node(1);
    let say = |node: &mut subject::ChatNode, ctx: &mut Ctx, text: &str| {
        node.on_message(ctx, client.clone(), subject::Msg::Say { text: text.into() });
        ctx.drain().messages.into_iter().find(|(to, _)| *to == client).map(|(_, m)| m)
    };
    // The node takes `text` as its line number `seq`, or the check fails saying `why`.
    let writes = |node: &mut subject::ChatNode, ctx: &mut Ctx, text: &str, seq: u64, why: &str| {
        assert_eq!(say(node, ctx, text), Some(subject::Msg::SayOk { seq }), "{why}");
    };
    // A node started as node 0, with `peer` as its one peer and its context seeded with `seed`.
    let start = |node: &mut subject::ChatNode, seed: u64| {
        let mut ctx = Ctx::new(NodeId::node(0), vec![peer.clone()], seed);
        node.on_start(&mut ctx);
        ctx
    };
    let mut before = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = start(&mut before, 1);
    for text in ["one", "two", "three"] {
        say(&mut before, &mut ctx, text);
    }
    let held: Vec<reference::log::Entry> = before.logs().values().flatten().cloned().collect();
    assert_eq!(held.len(), 3, "logs() holds the node's own three lines");

    // From disk: line 4 at once, after every clock it holds.
    let mut resumed = subject::ChatNode::resume(secret(0), "alice", SYNC, &held);
    let mut ctx = start(&mut resumed, 2);
    assert!(!resumed.resuming(), "a node resumed from disk holds its own log whole: it is not waiting");
    writes(
        &mut resumed,
        &mut ctx,
        "four",
        4,
        "resumed from three lines on disk, the next line is number 4 (a line 1 would fork the log)",
    );

    // Lost: no line until a peer has told how far the log goes and it holds that much.
    let mut lost = subject::ChatNode::restarted(secret(0), "alice", SYNC);
    let mut ctx = start(&mut lost, 3);
    ctx.drain();
    assert!(lost.resuming(), "restarted() waits to resume its own log");
    let early = say(&mut lost, &mut ctx, "too early");
    assert!(
        matches!(early, Some(subject::Msg::SayError { .. })),
        "a restarted node that holds none of its own log must refuse to write (and say why), got {early:?}: its line 1 would contradict the line 1 the room holds"
    );
    let author = lost.author();
    lost.on_message(&mut ctx, peer.clone(), subject::Msg::Have { frontier: vec![(author, 3)] });
    ctx.drain();
    let still = say(&mut lost, &mut ctx, "still early");
    assert!(
        matches!(still, Some(subject::Msg::SayError { .. })),
        "a peer says this key's log goes to line 3 and the node holds none of it: still no writing, got {still:?}"
    );
    let entries = held.iter().map(|e| e.to_bytes()).collect();
    lost.on_message(&mut ctx, peer.clone(), subject::Msg::Entries { entries });
    ctx.drain();
    assert!(!lost.resuming(), "with lines 1 to 3 back from the room, the node has resumed");
    writes(&mut lost, &mut ctx, "back", 4, "caught up to line 3, the node writes line 4");
    // A peer whose frontier lacks this author at all still tells the node where it stands.
    let mut alone = subject::ChatNode::restarted(secret(5), "eve", SYNC);
    let mut ctx = start(&mut alone, 4);
    alone.on_message(&mut ctx, peer.clone(), subject::Msg::Have { frontier: vec![] });
    ctx.drain();
    writes(&mut alone, &mut ctx, "first", 1, "a peer that holds nothing of this key: the log starts at line 1");
}

/// A room of eight: one node crashes and restarts with nothing, its user typing at once; it does not fork its log, nobody goes deaf, and it writes again once caught up
#[test]
fn step_11_restart_in_the_room() {
    let (mut sim, ids) = room(8, 0, 10);
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(10)), BTreeMap::new());
    let mut texts = chatter(&mut sim, &ids, 24, "before", &mut rng, &mut said);
    sim.run_for(2 * SEC);
    let who = 3;
    let wrote = said.get(&who).copied().unwrap_or(0);
    sim.crash(&ids[who]);
    sim.run_for(SEC);
    let restarted = Adapter::new(
        subject::ChatNode::restarted(secret(who), &nick(who), SYNC),
        from_ref,
        to_ref,
        Mixed::first,
        Mixed::First,
    );
    sim.restart(&ids[who], restarted);
    sim.take_client_messages();
    // The user types at once, before any peer has said a word.
    sim.client_send(&NodeId::client(3), &ids[who], reference::Msg::Say { text: "typed at once".into() });
    sim.run_for(50 * MS);
    for m in sim.take_client_messages() {
        if let reference::Msg::SayOk { seq } = m.message {
            assert!(
                seq > wrote,
                "{} wrote {wrote} lines before it crashed; typed at once after a restart with nothing, it wrote line {seq}: a second line {seq} under the same key, a fork",
                ids[who]
            );
            texts.push("typed at once".into());
        }
    }
    sim.run_for(3 * SEC);
    sim.take_client_messages();
    sim.client_send(&NodeId::client(3), &ids[who], reference::Msg::Say { text: "back again".into() });
    sim.run_for(SEC);
    let answer = sim.take_client_messages().into_iter().find_map(|m| match m.message {
        reference::Msg::SayOk { seq } => Some(Ok(seq)),
        reference::Msg::SayError { reason } => Some(Err(reason)),
        _ => None,
    });
    assert!(
        matches!(answer, Some(Ok(seq)) if seq > wrote),
        "3 s after its restart, with seven peers around, {} must have resumed its log and write again after line {wrote}: got {answer:?}",
        ids[who]
    );
    texts.push("back again".into());
    texts.extend(chatter(&mut sim, &ids, 16, "after", &mut rng, &mut said));
    sim.run_for(3 * SEC);
    assert_converged(&mut sim, &ids, &texts, "after a restart typed before catching up");
}

/// Two histories one author signed: they differ at line 1.
fn forked_logs() -> (Vec<reference::log::Entry>, Vec<reference::log::Entry>) {
    let (_, a) = log_of(30, &[("the meeting is at 3", 1)]);
    let (_, b) = log_of(30, &[("the meeting is at 4", 1), ("see you there", 2)]);
    (a, b)
}

/// A fork is its author's fault: a peer passing on a forked entry in a batch is not banned, the batch's other entries are taken, the author is banned with the two entries as proof, and the ban ends
#[test]
fn step_12_fork_blames_the_author() {
    let (a, b) = forked_logs();
    let (_, honest) = log_of(1, &[("hello", 1), ("still here", 2)]);
    let forwarder = NodeId::node(1);
    let mut node = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = Ctx::new(NodeId::node(0), vec![forwarder.clone()], 1);
    node.on_start(&mut ctx);
    node.on_message(&mut ctx, forwarder.clone(), subject::Msg::Entries { entries: vec![a[0].to_bytes()] });
    // The forwarder passes on the other history's line 2, with an honest line behind it.
    let batch = vec![b[1].to_bytes(), honest[0].to_bytes()];
    node.on_message(&mut ctx, forwarder.clone(), subject::Msg::Entries { entries: batch });
    node.on_message(&mut ctx, forwarder.clone(), subject::Msg::Entries { entries: vec![honest[1].to_bytes()] });
    ctx.drain();
    node.on_message(&mut ctx, NodeId::client(0), subject::Msg::History);
    let texts: Vec<String> = match ctx.drain().messages.pop() {
        Some((_, subject::Msg::HistoryOk { lines, .. })) => lines.into_iter().map(|l| l.text).collect(),
        other => panic!("History gets HistoryOk, got {other:?}"),
    };
    assert!(
        texts.contains(&"hello".to_string()),
        "the honest line in the same batch as a forked entry must be taken (judge each entry on its own): {texts:?}"
    );
    assert!(
        texts.contains(&"still here".to_string()),
        "the peer that passed on a forked entry did nothing wrong: its next batch must be read, got {texts:?}"
    );
    assert!(!texts.iter().any(|t| t == "see you there"), "a line that contradicts the log held is not shown");
    let bans = node.bans(ctx.now());
    assert!(
        !bans.iter().any(|ban| matches!(ban, subject::Ban::Peer { .. })),
        "no peer is banned for passing on an entry its author signed: {bans:?}"
    );
    let proof = bans.iter().find_map(|ban| match ban {
        subject::Ban::Author { author, proof, .. } if *author == a[0].author => Some(proof.clone()),
        _ => None,
    });
    let Some(proof) = proof else { panic!("the author that signed two histories is banned: {bans:?}") };
    let (held, other) = *proof;
    assert!(
        reference::log::find_fork(&held, &b[0]) || (held == a[0] && other == b[1]),
        "the proof is the entry held and the one that contradicts it: {held:?} / {other:?}"
    );
    assert!(
        node.bans(ctx.now() + subject::node::BAN_FOR + SEC).is_empty(),
        "every ban ends: BAN_FOR after it began, nothing is banned any more"
    );
}

/// An author forks its log, half the room holding each history; every honest line still reaches every node (nobody bans the peers that pass the fork on)
#[test]
fn step_13_fork_in_the_room() {
    let (mut sim, ids) = room(8, 0, 11);
    let (left, right) = ids.split_at(4);
    // An author that signed two different lines at one place in its log, pushed once
    // to half the room each.
    let (a, b) = forked_logs();
    let bytes = |log: &[reference::log::Entry]| log.iter().map(|e| e.to_bytes()).collect::<Vec<_>>();
    let sends = left.iter().map(|to| (to.clone(), bytes(&a))).chain(right.iter().map(|to| (to.clone(), bytes(&b))));
    sim.add_node(Pusher { sends: sends.collect(), again: false });
    sim.run_for(3 * SEC);
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(11)), BTreeMap::new());
    let texts = chatter(&mut sim, &ids, 30, "honest", &mut rng, &mut said);
    sim.run_for(3 * SEC);
    let all = histories(&mut sim, &ids);
    assert_eq!(all.len(), ids.len(), "every node answers History");
    for (id, (lines, _)) in &all {
        let shown: Vec<&String> = lines.iter().map(|(_, t)| t).collect();
        for text in &texts {
            assert!(
                shown.contains(&text),
                "{id} lacks {text:?}: a node that bans the honest peers passing on a forked entry goes deaf to them"
            );
        }
    }
}

/// The room as the program runs it, in the simulator: the reference swarm node chooses
/// each peer's neighbours (bounded degree, pings, repair, the shuffle), your chat node
/// talks to those neighbours only, and a line a peer stores from a push is passed on
/// to its other neighbours (as the program's room does).
mod mesh {
    use super::*;
    use serde::{Deserialize, Serialize};
    use swarm_solution as swarm;

    /// What crosses the simulated network.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub enum Wire {
        Chat(reference::Msg),
        Swarm(swarm::Msg),
        /// Client: how many times has a neighbour been dropped here?
        Drops,
        DropsOk(u64),
    }

    #[derive(Debug)]
    pub enum Due {
        Chat(subject::Timer),
        Swarm(swarm::Timer),
    }

    pub type Mesh = Sim<Wire, Due>;

    /// The learner's chat node and the reference swarm in one simulated node, each in
    /// an [`Adapter`]: one context per node for the whole run (its random numbers, its
    /// timer handles, cancels passed on to the network's timers). The chat node's peers
    /// are the swarm's neighbours, and it greets each new one.
    pub struct Peer {
        chat: Adapter<subject::ChatNode, Wire, Due>,
        swarm: Adapter<swarm::SwarmNode, Wire, Due>,
        neighbours: Vec<NodeId>,
        drops: u64,
    }

    /// The peer hands the chat node only chat messages.
    fn chat_in(wire: Wire) -> subject::Msg {
        match wire {
            Wire::Chat(msg) => from_ref(msg),
            other => unreachable!("{other:?} is not for the chat node"),
        }
    }

    /// The peer hands the swarm only swarm messages.
    fn swarm_in(wire: Wire) -> swarm::Msg {
        match wire {
            Wire::Swarm(msg) => msg,
            other => unreachable!("{other:?} is not for the swarm"),
        }
    }

    impl Peer {
        pub fn new(chat: subject::ChatNode) -> Peer {
            Peer {
                chat: Adapter::new(
                    chat,
                    chat_in,
                    |m| Wire::Chat(to_ref(m)),
                    |due| match due {
                        Due::Chat(t) => Some(t),
                        Due::Swarm(_) => None,
                    },
                    Due::Chat,
                ),
                swarm: Adapter::new(
                    swarm::SwarmNode::new(),
                    swarm_in,
                    Wire::Swarm,
                    |due| match due {
                        Due::Swarm(t) => Some(t),
                        Due::Chat(_) => None,
                    },
                    Due::Swarm,
                ),
                neighbours: Vec::new(),
                drops: 0,
            }
        }

        /// Calls the swarm, then asks it for its neighbours (a `Read` whose answer the
        /// peer keeps): the chat node's peers follow, and it greets each new one. `timed`: a
        /// tick, where the swarm drops the neighbours it has not heard from (the drops
        /// counted; a `Close` or a shuffle's replacement is not a drop).
        fn call_swarm(
            &mut self,
            ctx: &mut Context<Wire, Due>,
            timed: bool,
            f: impl FnOnce(&mut swarm::SwarmNode, &mut Context<swarm::Msg, swarm::Timer>),
        ) {
            let me = NodeId::client(999);
            // The swarm's peers are the network's, as it knows them now.
            let peers = ctx.peers().to_vec();
            let mut asked = self.swarm.call(ctx, |n, c| {
                c.set_peers(peers);
                f(n, c);
                n.on_message(c, me.clone(), swarm::Msg::Read);
            });
            let (answers, sent): (Vec<_>, Vec<_>) = asked.messages.into_iter().partition(|(to, _)| *to == me);
            asked.messages = sent;
            self.swarm.pass_on(ctx, asked);
            let Some(now) = answers.into_iter().find_map(|(_, msg)| match msg {
                swarm::Msg::ReadOk { neighbours, .. } => Some(neighbours),
                _ => None,
            }) else {
                return;
            };
            let joined: Vec<NodeId> = now.iter().filter(|p| !self.neighbours.contains(p)).cloned().collect();
            if timed {
                self.drops += self.neighbours.iter().filter(|p| !now.contains(p)).count() as u64;
            }
            self.neighbours = now;
            let peers = self.neighbours.clone();
            let asked = self.chat.call(ctx, |_, c| c.set_peers(peers));
            self.chat.pass_on(ctx, asked);
            for peer in joined {
                let asked = self.chat.call(ctx, |n, c| n.greet(c, peer));
                self.chat.pass_on(ctx, asked);
            }
        }
    }

    impl Node for Peer {
        type Message = Wire;
        type Timer = Due;

        fn on_start(&mut self, ctx: &mut Context<Wire, Due>) {
            // The chat node starts with no peers: it has no neighbours yet.
            let asked = self.chat.call(ctx, |n, c| {
                c.set_peers(Vec::new());
                n.on_start(c)
            });
            self.chat.pass_on(ctx, asked);
            self.call_swarm(ctx, false, |n, c| n.on_start(c));
        }

        fn on_message(&mut self, ctx: &mut Context<Wire, Due>, from: NodeId, message: Wire) {
            match message {
                Wire::Swarm(msg) => self.call_swarm(ctx, false, |n, c| n.on_message(c, from, msg)),
                Wire::Drops => ctx.send(from, Wire::DropsOk(self.drops)),
                Wire::Chat(reference::Msg::Entries { entries }) if !from.is_client() => {
                    if !self.neighbours.contains(&from) {
                        return;
                    }
                    let msg = from_ref(reference::Msg::Entries { entries: entries.clone() });
                    let asked = self.chat.call(ctx, |n, c| n.on_message(c, from.clone(), msg));
                    let observed = asked.observed.clone();
                    self.chat.pass_on(ctx, asked);
                    // A push stored here goes on to the other neighbours.
                    let new: Vec<Vec<u8>> = entries
                        .into_iter()
                        .filter(|bytes| {
                            reference::log::Entry::from_bytes(bytes)
                                .is_ok_and(|e| observed.contains(&reference::node::key(&e)))
                        })
                        .collect();
                    if !new.is_empty() && new.len() <= 2 {
                        for peer in self.neighbours.clone() {
                            if peer != from {
                                ctx.send(peer, Wire::Chat(reference::Msg::Entries { entries: new.clone() }));
                            }
                        }
                    }
                }
                Wire::Chat(msg) => {
                    if from.is_client() || self.neighbours.contains(&from) {
                        self.chat.on_message(ctx, from, Wire::Chat(msg));
                    }
                }
                Wire::DropsOk(_) => {}
            }
        }

        fn on_timer(&mut self, ctx: &mut Context<Wire, Due>, timer: Due) {
            match timer {
                Due::Chat(t) => self.chat.on_timer(ctx, Due::Chat(t)),
                Due::Swarm(t) => self.call_swarm(ctx, true, |n, c| n.on_timer(c, t)),
            }
        }
    }

    /// A room of `n` peers on links of 30–50 ms losing `loss` of the messages.
    pub fn mesh(n: usize, loss: f64, seed: u64) -> (Mesh, Vec<NodeId>) {
        let config = SimConfig { seed: kit::seed(seed), latency: 30 * MS, jitter: 20 * MS, loss: 0.0, trace: false };
        let mut sim = Mesh::new(config);
        let ids: Vec<NodeId> =
            (0..n).map(|i| sim.add_node(Peer::new(subject::ChatNode::new(secret(i), &nick(i), SYNC)))).collect();
        set_loss(&mut sim, &ids, loss);
        (sim, ids)
    }

    pub fn set_loss(sim: &mut Mesh, ids: &[NodeId], loss: f64) {
        for a in ids {
            for b in ids {
                if a < b {
                    sim.set_link(a, b, Link { latency: 30 * MS, jitter: 20 * MS, loss });
                }
            }
        }
    }

    /// Types `count` lines at random peers, one every `every`; returns their texts.
    pub fn chatter(sim: &mut Mesh, ids: &[NodeId], count: usize, tag: &str, rng: &mut NodeRng) -> Vec<String> {
        let mut texts = Vec::new();
        for k in 0..count {
            let at = &ids[rng.random_range(0..ids.len())];
            let text = format!("{tag} {k}");
            sim.client_send(&NodeId::client(0), at, Wire::Chat(reference::Msg::Say { text: text.clone() }));
            texts.push(text);
            sim.run_for(100 * MS);
        }
        texts
    }

    /// Asks every peer (again, until each answered) and returns the answers.
    pub fn ask<T>(sim: &mut Mesh, ids: &[NodeId], q: Wire, read: impl Fn(Wire) -> Option<T>) -> BTreeMap<NodeId, T> {
        sim.take_client_messages();
        let mut all = BTreeMap::new();
        for _ in 0..10 {
            for id in ids.iter().filter(|id| !all.contains_key(*id)) {
                sim.client_send(&NodeId::client(9), id, q.clone());
            }
            sim.run_for(200 * MS);
            for m in sim.take_client_messages() {
                if let Some(t) = read(m.message) {
                    all.entry(m.from).or_insert(t);
                }
            }
            if all.len() == ids.len() {
                break;
            }
        }
        all
    }

    pub fn neighbours(sim: &mut Mesh, ids: &[NodeId]) -> BTreeMap<NodeId, Vec<NodeId>> {
        ask(sim, ids, Wire::Swarm(swarm::Msg::Read), |m| match m {
            Wire::Swarm(swarm::Msg::ReadOk { neighbours, .. }) => Some(neighbours),
            _ => None,
        })
    }

    pub fn drops(sim: &mut Mesh, ids: &[NodeId]) -> u64 {
        ask(sim, ids, Wire::Drops, |m| match m {
            Wire::DropsOk(n) => Some(n),
            _ => None,
        })
        .values()
        .sum()
    }

    /// How many parts the overlay is in.
    pub fn parts(graph: &BTreeMap<NodeId, Vec<NodeId>>) -> usize {
        let mut seen = std::collections::BTreeSet::new();
        let mut parts = 0;
        for start in graph.keys() {
            if !seen.insert(start.clone()) {
                continue;
            }
            parts += 1;
            let mut stack = vec![start.clone()];
            while let Some(node) = stack.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    if seen.insert(next.clone()) {
                        stack.push(next.clone());
                    }
                }
            }
        }
        parts
    }

    /// Every peer shows every text and the same history; or what is wrong.
    pub fn converged(sim: &mut Mesh, ids: &[NodeId], texts: &[String]) -> Result<(), String> {
        let all = ask(sim, ids, Wire::Chat(reference::Msg::History), |m| match m {
            Wire::Chat(reference::Msg::HistoryOk { lines, digest }) => {
                Some((lines.into_iter().map(|l| l.text).collect::<Vec<_>>(), digest))
            }
            _ => None,
        });
        if all.len() != ids.len() {
            return Err(format!("only {} of {} peers answered History", all.len(), ids.len()));
        }
        for (id, (lines, _)) in &all {
            let missing = texts.iter().filter(|t| !lines.contains(t)).count();
            if missing > 0 {
                return Err(format!("{id} lacks {missing} of the {} lines", texts.len()));
            }
        }
        let digests: std::collections::BTreeSet<_> = all.values().map(|(_, d)| *d).collect();
        if digests.len() > 1 {
            return Err(format!("the peers hold {} different histories", digests.len()));
        }
        Ok(())
    }
}

/// Twenty peers on a bounded-degree mesh, cut in two for 10 s while both halves talk, every peer at full degree in its half: within 10 s of the cut ending the room is one again, every line everywhere
#[test]
fn step_14_partition_heals_the_mesh() {
    use mesh::*;
    let (mut sim, ids) = mesh(20, 0.02, 14);
    let mut rng = NodeRng::seed_from_u64(kit::seed(14));
    sim.run_for(5 * SEC);
    let mut texts = mesh::chatter(&mut sim, &ids, 10, "before", &mut rng);
    let (left, right) = ids.split_at(10);
    sim.partition(&[left, right]);
    texts.extend(mesh::chatter(&mut sim, left, 15, "left", &mut rng));
    texts.extend(mesh::chatter(&mut sim, right, 15, "right", &mut rng));
    sim.run_for(7 * SEC);
    let graph = neighbours(&mut sim, &ids);
    let lowest = graph.values().map(Vec::len).min().unwrap_or(0);
    kit::figure("during the cut: fewest neighbours of a peer", lowest);
    assert!(
        lowest >= swarm_solution::MIN_DEGREE,
        "7 s into the cut a peer has {lowest} neighbours: each half must have settled at full degree"
    );
    assert_eq!(parts(&graph), 2, "the cut splits the overlay in two");
    sim.heal();
    let healed_at = sim.now();
    let mut healed = None;
    for _ in 0..20 {
        sim.run_for(500 * MS);
        if converged(&mut sim, &ids, &texts).is_ok() {
            healed = Some(sim.now() - healed_at);
            break;
        }
    }
    let graph = neighbours(&mut sim, &ids);
    kit::figure("parts of the overlay after the heal", parts(&graph));
    let Some(took) = healed else {
        panic!(
            "10 s after the cut ended the room is still split: {} (the overlay is in {} parts)",
            converged(&mut sim, &ids, &texts).unwrap_err(),
            parts(&graph)
        );
    };
    kit::figure("cut ended to every line everywhere", format!("{took:?}"));
}

/// Sixteen peers through 10 s of 15% loss, then 20 s of loss in bursts (each link down now and then for about a second, 15% of the time in all): every line still reaches every peer
#[test]
fn step_15_loss_bursts() {
    use mesh::*;
    let (mut sim, ids) = mesh(16, 0.05, 15);
    let mut rng = NodeRng::seed_from_u64(kit::seed(15));
    sim.run_for(5 * SEC);
    let mut texts = Vec::new();
    let before = drops(&mut sim, &ids);
    mesh::set_loss(&mut sim, &ids, 0.15);
    texts.extend(mesh::chatter(&mut sim, &ids, 20, "lossy", &mut rng));
    sim.run_for(8 * SEC);
    mesh::set_loss(&mut sim, &ids, 0.05);
    let lossy = drops(&mut sim, &ids) - before;
    kit::figure("neighbours dropped in 10 s of 15% loss, 16 peers", lossy);
    let before = drops(&mut sim, &ids);
    let mut down = BTreeMap::new();
    // Gilbert–Elliott: every 100 ms a working link fails with probability 1/57 and a
    // failed one recovers with probability 1/10: down 15% of the time, a second at a time.
    for round in 0..200 {
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                let is_down = down.get(&(a, b)).copied().unwrap_or(false);
                let flip = if is_down { rng.random_bool(0.1) } else { rng.random_bool(1.0 / 57.0) };
                if flip {
                    let loss = if is_down { 0.05 } else { 1.0 };
                    sim.set_link(&ids[a], &ids[b], Link { latency: 30 * MS, jitter: 20 * MS, loss });
                    down.insert((a, b), !is_down);
                }
            }
        }
        if round % 4 == 0 {
            let at = &ids[rng.random_range(0..ids.len())];
            let text = format!("burst {round}");
            sim.client_send(&NodeId::client(0), at, Wire::Chat(reference::Msg::Say { text: text.clone() }));
            texts.push(text);
        }
        sim.run_for(100 * MS);
    }
    mesh::set_loss(&mut sim, &ids, 0.05);
    let bursts = drops(&mut sim, &ids) - before;
    kit::figure("neighbours dropped in 20 s of loss bursts, 16 peers", bursts);
    assert!(
        lossy == 0 && bursts < 30,
        "the swarm dropped {lossy} neighbours at 15% loss and {bursts} in the bursts: a live peer silent for a second is not dead (swarm_solution::DEAD_AFTER)"
    );
    let mut result = Err(String::new());
    for _ in 0..10 {
        sim.run_for(500 * MS);
        result = converged(&mut sim, &ids, &texts);
        if result.is_ok() {
            break;
        }
    }
    if let Err(why) = result {
        panic!("5 s after the bursts ended: {why}");
    }
    // A peer that dies without a word is still noticed.
    let dead = ids[0].clone();
    let crashed_at = sim.now();
    sim.crash(&dead);
    let live = &ids[1..];
    let mut noticed = None;
    for _ in 0..50 {
        sim.run_for(200 * MS);
        if neighbours(&mut sim, live).values().all(|n| !n.contains(&dead)) {
            noticed = Some(sim.now() - crashed_at);
            break;
        }
    }
    kit::figure("a silent crash: until no peer lists it", format!("{noticed:?}"));
    assert!(noticed.is_some(), "10 s after {dead} crashed, a peer still lists it as a neighbour");
}

/// `n` fresh authors' logs of `lines` lines each, their secrets numbered from `first`.
fn fresh_authors(first: usize, n: usize, lines: u64) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    for i in first..first + n {
        let mut s = [0u8; 32];
        s[..4].copy_from_slice(&(i as u32).to_le_bytes());
        s[31] = 99;
        let mut writer = reference::log::Writer::new(s);
        for clock in 1..=lines {
            let line = reference::Line { nick: format!("junk{i}"), text: format!("junk {i}.{clock}"), clock };
            entries.push(writer.append(&line.to_payload()).unwrap().to_bytes());
        }
    }
    entries
}

/// One neighbour sends 1,000 fresh authors' logs: the node takes at most MAX_NEW_AUTHORS new authors from one peer per NEW_AUTHORS_EVERY and MAX_AUTHORS in all, blames nobody for the rest, and still takes every line of the authors it holds
#[test]
fn step_16_bounded_store() {
    use subject::node::{MAX_AUTHORS, MAX_NEW_AUTHORS, NEW_AUTHORS_EVERY};
    let flooder = NodeId::node(1);
    let honest = NodeId::node(2);
    let mut node = subject::ChatNode::new(secret(0), "alice", SYNC);
    let mut ctx = Ctx::new(NodeId::node(0), vec![flooder.clone(), honest.clone()], 1);
    node.on_start(&mut ctx);
    let me = node.author();
    let (_, bob) = log_of(1, &[("hello", 1), ("still here", 2), ("and now", 3), ("bye", 4)]);
    let send = |node: &mut subject::ChatNode, ctx: &mut Ctx, from: &NodeId, entries: Vec<Vec<u8>>| {
        node.on_message(ctx, from.clone(), subject::Msg::Entries { entries });
        ctx.drain().messages
    };
    send(&mut node, &mut ctx, &honest, vec![bob[0].to_bytes()]);
    let held_authors = |node: &subject::ChatNode| node.logs().keys().filter(|a| **a != me).count();
    let held_lines = |node: &subject::ChatNode, author: [u8; 32]| node.logs().get(&author).map_or(0, Vec::len);
    assert_eq!(held_lines(&node, bob[0].author), 1, "a line of a new author from a neighbour is taken");

    // 1,000 fresh authors × 5 lines from one neighbour, 20 authors (100 entries, more than
    // a full batch of 64) at a time.
    let mut asked_again = 0;
    for batch in 0..50 {
        let sent = send(&mut node, &mut ctx, &flooder, fresh_authors(batch * 20, 20, 5));
        if batch > 10 && sent.iter().any(|(to, m)| *to == flooder && matches!(m, subject::Msg::Have { .. })) {
            asked_again += 1;
        }
    }
    let junk = held_authors(&node) - 1;
    kit::figure("fresh authors taken of 1,000 from one neighbour", junk);
    assert!(
        junk <= MAX_NEW_AUTHORS,
        "one neighbour introduced {junk} new authors at once; at most MAX_NEW_AUTHORS ({MAX_NEW_AUTHORS}) per NEW_AUTHORS_EVERY: keys are free, so new authors must be budgeted per peer"
    );
    assert!(
        junk >= MAX_NEW_AUTHORS / 2,
        "only {junk} new authors were taken from a neighbour: a newcomer takes a whole room's authors from one neighbour, so the budget must allow MAX_NEW_AUTHORS ({MAX_NEW_AUTHORS})"
    );
    assert_eq!(
        asked_again, 0,
        "a batch whose every entry was refused must not be answered with Have: the neighbour would send the same entries again, for ever"
    );
    let bans = node.bans(ctx.now());
    assert!(
        bans.is_empty(),
        "entries over a budget are refused, and nobody is banned for them (an honest peer passes on what it took): {bans:?}"
    );
    // An author held is always taken, from the neighbour whose budget is spent.
    send(&mut node, &mut ctx, &flooder, vec![bob[1].to_bytes()]);
    assert_eq!(
        held_lines(&node, bob[0].author),
        2,
        "a line of an author already held is taken from any neighbour, whatever new authors it sent"
    );
    // Another neighbour has a budget of its own.
    let (_, cy) = log_of(2, &[("hi all", 2)]);
    send(&mut node, &mut ctx, &honest, vec![cy[0].to_bytes()]);
    assert_eq!(
        held_lines(&node, cy[0].author),
        1,
        "a new author from another neighbour is taken: budgets are per peer"
    );
    // The budget comes back after NEW_AUTHORS_EVERY.
    ctx.set_now(ctx.now() + NEW_AUTHORS_EVERY + SEC);
    send(&mut node, &mut ctx, &flooder, fresh_authors(5000, 10, 1));
    assert_eq!(
        held_authors(&node),
        junk + 2 + 10,
        "NEW_AUTHORS_EVERY later, the same neighbour may introduce authors again"
    );

    // Many neighbours, each with a fresh budget: never more than MAX_AUTHORS in all.
    for n in 0..(MAX_AUTHORS / MAX_NEW_AUTHORS + 2) {
        let peer = NodeId::node(10 + n);
        send(&mut node, &mut ctx, &peer, fresh_authors(10_000 + n * 1000, MAX_NEW_AUTHORS, 1));
    }
    let total = held_authors(&node);
    kit::figure("authors held after many neighbours' floods", total);
    assert!(total <= MAX_AUTHORS, "the node holds {total} other authors' logs; at most MAX_AUTHORS ({MAX_AUTHORS})");
    assert!(node.bans(ctx.now()).is_empty(), "nobody is banned for authors over the bound");
    send(&mut node, &mut ctx, &flooder, vec![bob[2].to_bytes(), bob[3].to_bytes()]);
    assert_eq!(held_lines(&node, bob[0].author), 4, "with MAX_AUTHORS held, an author held is still taken");
}
