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
        let sent = ctx.take_sent();
        assert!(
            sent.contains(&(client.clone(), subject::Msg::SayOk { seq: i as u64 + 1 })),
            "Say gets SayOk with the entry's sequence number: {sent:?}"
        );
    }
    node.on_message(&mut ctx, client.clone(), subject::Msg::Say { text: "x".repeat(1001) });
    assert!(
        matches!(ctx.take_sent().as_slice(), [(c, subject::Msg::SayError { .. })] if *c == client),
        "a line over 1,000 bytes gets SayError"
    );
    node.on_message(&mut ctx, client.clone(), subject::Msg::History);
    match ctx.take_sent().pop() {
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
    assert_converged(&mut sim, &ids, &texts, "a room of 10");
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

/// Pushes forged entries: a real author's entry with one byte of text changed.
struct Forger {
    targets: Vec<NodeId>,
}

impl Node for Forger {
    type Message = reference::Msg;
    type Timer = Mixed;
    fn on_start(&mut self, ctx: &mut Context<reference::Msg, Mixed>) {
        ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
    }
    fn on_message(&mut self, _: &mut Context<reference::Msg, Mixed>, _: NodeId, _: reference::Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<reference::Msg, Mixed>, _: Mixed) {
        let (_, entries) = log_of(0, &[("I owe everyone 100 euros", 1)]);
        let mut bytes = entries[0].to_bytes();
        let at = bytes.len() - 70; // inside the payload, before the signature
        bytes[at] ^= 1;
        for to in self.targets.clone() {
            ctx.send(to.clone(), reference::Msg::Entries { entries: vec![bytes.clone()] });
            ctx.send(to, reference::Msg::Entries { entries: vec![b"garbage".to_vec()] });
        }
        ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
    }
}

/// A forger pushes tampered and malformed entries to everyone: none is ever shown, the room goes on
#[test]
fn step_6_forger() {
    let (mut sim, ids) = room(6, 0, 6);
    let forger = sim.add_node(Forger { targets: ids.clone() });
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
}

/// Pushes validly signed lines whose Lamport clocks are inflated: one at `u64::MAX`, and
/// one from another author far beyond any clock the room has reached.
struct Inflater {
    targets: Vec<NodeId>,
}

impl Node for Inflater {
    type Message = reference::Msg;
    type Timer = Mixed;
    fn on_start(&mut self, ctx: &mut Context<reference::Msg, Mixed>) {
        ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
    }
    fn on_message(&mut self, _: &mut Context<reference::Msg, Mixed>, _: NodeId, _: reference::Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<reference::Msg, Mixed>, _: Mixed) {
        let (_, forever) = log_of(20, &[("the last word, for ever", u64::MAX), ("and a normal one after it", 5)]);
        let (_, far) = log_of(21, &[("a line from the far future", 1 << 40)]);
        let entries: Vec<Vec<u8>> = forever.iter().chain(&far).map(|e| e.to_bytes()).collect();
        for to in self.targets.clone() {
            ctx.send(to, reference::Msg::Entries { entries: entries.clone() });
        }
        ctx.set_timer(SEC, Mixed::Second(reference::Timer::Sync));
    }
}

/// A signed line with clock u64::MAX (or far ahead of the room) is never shown and crashes nothing: the room goes on, in order
#[test]
fn step_8_clock_inflation() {
    let (mut sim, ids) = room(6, 3, 8);
    sim.add_node(Inflater { targets: ids.clone() });
    let (mut rng, mut said) = (NodeRng::seed_from_u64(kit::seed(8)), BTreeMap::new());
    sim.run_for(3 * SEC);
    let mut texts = chatter(&mut sim, &ids, 10, "honest", &mut rng, &mut said);
    sim.run_for(2 * SEC);
    texts.extend(chatter(&mut sim, &ids, 5, "later", &mut rng, &mut said));
    sim.run_for(3 * SEC);
    assert_converged(&mut sim, &ids, &texts, "with a clock inflater in the room");
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
    let found = search.run(|_| Ok(()), liveness);
    kit::figure("states searched", found.states);
    kit::figure("deepest interleaving", found.depth);
    if let Some(counterexample) = found.counterexample {
        panic!("{counterexample}");
    }
    assert!(!found.truncated, "the search stopped at its bound of {} states before it was done", config.max_states);
}
