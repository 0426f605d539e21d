//! The CRDT exercise's checks, in the order to make them pass: each type's behaviour,
//! the merge laws as properties, agreement with the reference on random histories,
//! convergence over a lossy, partitioned network, and collaborative text.

use std::collections::BTreeSet;
use std::time::Duration;

use kit::rand::{RngExt, SeedableRng};
use kit::{Context, Node, NodeId, NodeRng, Sim, SimConfig};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::reference;
use crate::subject::{GCounter, LwwRegister, OrSet, PnCounter, Rga};

fn merged<T: Clone>(a: &T, b: &T, merge: impl Fn(&mut T, &T)) -> T {
    let mut out = a.clone();
    merge(&mut out, b);
    out
}

/// G-Counter: each replica counts its own increments; merge keeps every replica's maximum
#[test]
fn step_1_g_counter() {
    let mut a = GCounter::new();
    let mut b = GCounter::new();
    assert_eq!(a.value(), 0);
    a.increment(1, 2);
    a.increment(1, 1);
    b.increment(2, 5);
    assert_eq!((a.value(), b.value()), (3, 5));
    let ab = merged(&a, &b, GCounter::merge);
    assert_eq!(ab.value(), 8, "merging keeps both replicas' increments");
    assert_eq!(merged(&ab, &a, GCounter::merge).value(), 8, "merging what is already known adds nothing");
    b.merge(&a);
    b.increment(1, 4); // replica 2's copy, counting on behalf of replica 1 after a merge
    a.increment(1, 1);
    assert_eq!(
        merged(&a, &b, GCounter::merge).value(),
        12,
        "per replica, the larger count wins: 7 for replica 1, 5 for replica 2"
    );
}

/// PN-Counter: increments and decrements, merged like two G-Counters
#[test]
fn step_2_pn_counter() {
    let mut a = PnCounter::new();
    let mut b = PnCounter::new();
    a.increment(1, 10);
    a.decrement(1, 3);
    b.decrement(2, 9);
    assert_eq!(
        (a.value(), b.value()),
        (7, -9),
        "10 up and 3 down is 7; 9 down is -9: the value is what went up minus what went down, and may be negative"
    );
    let ab = merged(&a, &b, PnCounter::merge);
    assert_eq!(ab.value(), -2, "merging keeps both replicas' increments and decrements: 10 - 3 - 9");
    assert_eq!(ab, merged(&b, &a, PnCounter::merge), "the order of a merge does not matter");
}

/// LWW-Register: the later write wins; equal timestamps go to the larger replica id
#[test]
fn step_3_lww_register() {
    let mut a: LwwRegister<String> = LwwRegister::new();
    assert_eq!(a.get(), None);
    a.set("tea".into(), 5, 1);
    a.set("coffee".into(), 3, 1);
    assert_eq!(a.get().map(String::as_str), Some("tea"), "an older write does not replace a newer one");
    assert_eq!(
        (LwwRegister::<String>::new().stamp(), a.stamp()),
        (None, Some((5, 1))),
        "stamp() is the (timestamp, replica) of the write the register holds: none when empty, (5, 1) for tea"
    );
    let mut b: LwwRegister<String> = LwwRegister::new();
    b.set("water".into(), 5, 2);
    assert_eq!(
        merged(&a, &b, LwwRegister::merge).get().map(String::as_str),
        Some("water"),
        "equal timestamps: replica 2 beats replica 1"
    );
    assert_eq!(
        merged(&b, &a, LwwRegister::merge).get().map(String::as_str),
        Some("water"),
        "merged the other way round too: merge keeps the larger (timestamp, replica), whichever side holds it"
    );
    let mut c: LwwRegister<String> = LwwRegister::new();
    c.set("juice".into(), 6, 0);
    assert_eq!(
        merged(&merged(&a, &b, LwwRegister::merge), &c, LwwRegister::merge).get().map(String::as_str),
        Some("juice")
    );
}

/// OR-Set: add and remove, and a concurrent add wins over a remove
#[test]
fn step_4_or_set() {
    let mut a: OrSet<String> = OrSet::new();
    a.add(1, "milk".into());
    a.add(1, "eggs".into());
    a.remove(&"milk".to_string());
    assert_eq!(a.elements(), BTreeSet::from(["eggs".to_string()]));
    assert!(!a.contains(&"milk".to_string()));
    a.add(1, "milk".into());
    assert!(a.contains(&"milk".to_string()), "an element can be added again after a remove");
    // A copy of replica 1's list as it is now, brought up to date by merging below.
    let older = a.clone();

    // Replica 2 learns the list, then removes eggs while replica 1, concurrently, adds
    // eggs again. The add has a tag the remove never saw: eggs stays.
    let mut b = a.clone();
    b.remove(&"eggs".to_string());
    a.add(1, "eggs".into());
    let ab = merged(&a, &b, OrSet::merge);
    assert!(ab.contains(&"eggs".to_string()), "add wins over a concurrent remove");
    assert_eq!(ab.elements(), merged(&b, &a, OrSet::merge).elements());
    // The same across three replicas: replica 1 removes "jam" having seen replica 2's
    // add of it; replica 0 adds "jam" concurrently. Merged, replica 0's add survives,
    // whichever replica's tag compares larger.
    let mut r2: OrSet<String> = OrSet::new();
    r2.add(2, "jam".into());
    let mut r1: OrSet<String> = OrSet::new();
    r1.merge(&r2);
    r1.remove(&"jam".to_string());
    let mut r0: OrSet<String> = OrSet::new();
    r0.add(0, "jam".into());
    r1.merge(&r0);
    assert!(
        r1.contains(&"jam".to_string()),
        "replica 1 removed jam after merging replica 2's add of it, then merged replica 0's concurrent add: jam is \
         present, since one of its adds was never removed (add wins over a concurrent remove, whatever the tags)"
    );
    // A remove that saw every add does remove.
    let mut c = ab.clone();
    c.remove(&"eggs".to_string());
    assert!(
        !merged(&ab, &c, OrSet::merge).contains(&"eggs".to_string()),
        "a remove that observed every add wins: merged with a copy from before the remove, eggs stays removed (the set \
         must remember what it removed, or the merge brings it back)"
    );
    // Tags stay unique after a merge: a copy that learned replica 1's adds only by
    // merging gives replica 1's next add the tag the copy that made them would give,
    // whether it started empty or from an older copy.
    for (start, from) in [(OrSet::new(), "an empty copy"), (older, "an older copy of replica 1's list")] {
        let mut d: OrSet<String> = start;
        d.merge(&ab);
        let tag = d.add(1, "bread".into());
        let tag_again = ab.clone().add(1, "bread".into());
        assert_eq!(
            tag, tag_again,
            "{from}, after merging replica 1's adds, gave replica 1's next add the tag {tag:?}, a copy that made \
             them {tag_again:?}: the next tag is the same on any copy that saw the same adds, and never one already \
             used (merge must keep what each replica has counted: the larger count)"
        );
    }
}

// ---- Random states for the property checks ----

#[derive(Clone, Debug)]
enum Op {
    Inc(u64),
    Dec(u64),
    Set(u64),
    Add(u8),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..5).prop_map(Op::Inc),
        (1u64..5).prop_map(Op::Dec),
        (0u64..1000).prop_map(Op::Set),
        // Few elements, so that adds and removes of one element meet often.
        (0u8..3).prop_map(Op::Add),
        (0u8..3).prop_map(Op::Remove),
    ]
}

/// A replica of each type after applying `ops` as replica `me`.
#[derive(Clone, Debug, PartialEq)]
struct State {
    g: GCounter,
    pn: PnCounter,
    lww: LwwRegister<u64>,
    set: OrSet<u8>,
}

fn state(me: u64, ops: &[Op]) -> State {
    let mut s = State::new();
    let mut writes = 0;
    for op in ops {
        s.apply(me, op, &mut writes);
    }
    s
}

/// Applies an operation to a replica's four CRDTs: the same calls on [`State`] (the
/// learner's types) and [`ReferenceState`] (the reference's).
macro_rules! apply_op {
    ($state:expr, $me:expr, $op:expr, $writes:expr) => {
        match *$op {
            Op::Inc(n) => {
                $state.g.increment($me, n);
                $state.pn.increment($me, n);
            }
            Op::Dec(n) => $state.pn.decrement($me, n),
            Op::Set(v) => {
                *$writes += 1;
                $state.lww.set(v, *$writes, $me);
            }
            Op::Add(v) => {
                $state.set.add($me, v);
            }
            Op::Remove(v) => $state.set.remove(&v),
        }
    };
}

impl State {
    fn new() -> State {
        State { g: GCounter::new(), pn: PnCounter::new(), lww: LwwRegister::new(), set: OrSet::new() }
    }

    /// Applies `op` as replica `me`. `writes` counts the replica's register writes: the
    /// k-th write has timestamp k, unique per replica and independent of the other
    /// operations (so proptest can drop them when it shrinks a failing case).
    fn apply(&mut self, me: u64, op: &Op, writes: &mut u64) {
        apply_op!(self, me, op, writes);
    }
}

/// The same replica built from the reference types.
#[derive(Clone, Debug)]
struct ReferenceState {
    g: reference::GCounter,
    pn: reference::PnCounter,
    lww: reference::LwwRegister<u64>,
    set: reference::OrSet<u8>,
}

impl ReferenceState {
    fn new() -> ReferenceState {
        ReferenceState {
            g: reference::GCounter::new(),
            pn: reference::PnCounter::new(),
            lww: reference::LwwRegister::new(),
            set: reference::OrSet::new(),
        }
    }

    fn apply(&mut self, me: u64, op: &Op, writes: &mut u64) {
        apply_op!(self, me, op, writes);
    }

    fn merge(&mut self, other: &ReferenceState) {
        self.g.merge(&other.g);
        self.pn.merge(&other.pn);
        self.lww.merge(&other.lww);
        self.set.merge(&other.set);
    }

    fn values(&self) -> Values {
        Values {
            g_counter: self.g.value(),
            pn_counter: self.pn.value(),
            lww_register: self.lww.get().copied(),
            or_set: self.set.elements(),
        }
    }
}

/// One event of a history on three replicas.
#[derive(Clone, Debug)]
enum Event {
    /// `Do(r, op)`: replica `r` applies `op`.
    Do(usize, Op),
    /// Replica `to` merges replica `from`'s state.
    Learn { to: usize, from: usize },
    /// Replica `to` backs its state up to replica `from` (which merges it), loses it,
    /// and starts again as replica `to` from a copy of `from`'s: a new laptop restored
    /// from a peer. Everything it knew it knows again, but only through a merge.
    Restore { to: usize, from: usize },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (0..3usize, op()).prop_map(|(r, op)| Event::Do(r, op)),
        2 => (0..3usize, 0..3usize).prop_map(|(to, from)| Event::Learn { to, from }),
        1 => (0..3usize, 0..3usize).prop_map(|(to, from)| Event::Restore { to, from }),
    ]
}

fn merge_state(a: &State, b: &State) -> State {
    let mut out = a.clone();
    out.g.merge(&b.g);
    out.pn.merge(&b.pn);
    out.lww.merge(&b.lww);
    out.set.merge(&b.set);
    out
}

/// What each type of a [`State`] reads, labelled so that a failure says which type
/// broke the law.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Values {
    g_counter: u64,
    pn_counter: i64,
    lww_register: Option<u64>,
    or_set: BTreeSet<u8>,
}

fn values(s: &State) -> Values {
    Values {
        g_counter: s.g.value(),
        pn_counter: s.pn.value(),
        lww_register: s.lww.get().copied(),
        or_set: s.set.elements(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Merge is commutative, associative and idempotent, for every type
    #[test]
    fn step_5_merge_laws(a in proptest::collection::vec(op(), 0..12), b in proptest::collection::vec(op(), 0..12), c in proptest::collection::vec(op(), 0..12)) {
        let (a, b, c) = (state(1, &a), state(2, &b), state(3, &c));
        prop_assert_eq!(values(&merge_state(&a, &b)), values(&merge_state(&b, &a)), "commutative: a ⊔ b = b ⊔ a");
        prop_assert_eq!(
            values(&merge_state(&merge_state(&a, &b), &c)),
            values(&merge_state(&a, &merge_state(&b, &c))),
            "associative: (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)"
        );
        prop_assert_eq!(values(&merge_state(&a, &a)), values(&a), "idempotent: a ⊔ a = a");
        let ab = merge_state(&a, &b);
        prop_assert_eq!(values(&merge_state(&ab, &a)), values(&ab), "merging what is already known changes nothing");
    }

    /// Random histories on three replicas that merge each other's states as they go: your values equal the reference's
    #[test]
    fn step_6_matches_the_reference(events in proptest::collection::vec(event(), 0..24)) {
        let mut mine = [State::new(), State::new(), State::new()];
        let mut theirs = [ReferenceState::new(), ReferenceState::new(), ReferenceState::new()];
        let mut writes = [0u64; 3];
        for (k, e) in events.iter().enumerate() {
            let r = match *e {
                Event::Do(r, ref op) => {
                    mine[r].apply(r as u64, op, &mut writes[r]);
                    theirs[r].apply(r as u64, op, &mut writes[r]);
                    r
                }
                Event::Learn { to, from } => {
                    mine[to] = merge_state(&mine[to], &mine[from]);
                    let other = theirs[from].clone();
                    theirs[to].merge(&other);
                    to
                }
                Event::Restore { to, from } => {
                    mine[from] = merge_state(&mine[from], &mine[to]);
                    mine[to] = merge_state(&State::new(), &mine[from]);
                    let mut backup = theirs[from].clone();
                    backup.merge(&theirs[to]);
                    let mut restored = ReferenceState::new();
                    restored.merge(&backup);
                    theirs[from] = backup;
                    theirs[to] = restored;
                    to
                }
            };
            prop_assert_eq!(
                values(&mine[r]),
                theirs[r].values(),
                "after event {} ({:?}), replica {}'s values (left) differ from the reference's (right). The rules: a \
                 remove undoes every add of the element this replica has seen, made here or merged in, and no \
                 other; a merge keeps what either side learned and counts each increment once; a copy restored \
                 from a peer never reuses a tag",
                k, e, r
            );
        }
        // At the end everyone learns everything, in either order.
        let all_mine = merge_state(&merge_state(&mine[2], &mine[0]), &mine[1]);
        let mut all_theirs = theirs[0].clone();
        all_theirs.merge(&theirs[1]);
        all_theirs.merge(&theirs[2]);
        prop_assert_eq!(
            values(&all_mine),
            all_theirs.values(),
            "after every replica's state is merged (2 ← 0 ← 1), your values (left) differ from the reference's (right)"
        );
    }
}

// ---- Convergence over the network ----

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Msg {
    Like,
    Tag(String),
    Untag(String),
    Ok,
    Read,
    /// What the replica reads with your types, and what the reference's types read
    /// after the same messages.
    ReadOk {
        likes: u64,
        tags: BTreeSet<String>,
        reference: (u64, BTreeSet<String>),
    },
    State {
        likes: GCounter,
        tags: OrSet<String>,
        shadow: Shadow,
    },
}

/// A replica that gossips its whole state to a random peer every 100 ms.
#[derive(Clone, Debug)]
struct Replica {
    me: u64,
    likes: GCounter,
    tags: OrSet<String>,
    /// The same replica with the reference's types, fed the same messages: what the
    /// learner's must read.
    shadow: Shadow,
}

/// The reference's types, kept beside the learner's in every replica.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Shadow {
    likes: reference::GCounter,
    tags: reference::OrSet<String>,
}

impl Replica {
    fn new(me: u64) -> Replica {
        Replica { me, likes: GCounter::new(), tags: OrSet::new(), shadow: Shadow::default() }
    }
}

impl Node for Replica {
    type Message = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<Msg, ()>) {
        ctx.set_timer(Duration::from_millis(100), ());
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, ()>, from: NodeId, message: Msg) {
        match message {
            Msg::Like => {
                self.likes.increment(self.me, 1);
                self.shadow.likes.increment(self.me, 1);
                ctx.send(from, Msg::Ok);
            }
            Msg::Tag(t) => {
                self.shadow.tags.add(self.me, t.clone());
                self.tags.add(self.me, t);
                ctx.send(from, Msg::Ok);
            }
            Msg::Untag(t) => {
                self.shadow.tags.remove(&t);
                self.tags.remove(&t);
                ctx.send(from, Msg::Ok);
            }
            Msg::Read => ctx.send(
                from,
                Msg::ReadOk {
                    likes: self.likes.value(),
                    tags: self.tags.elements(),
                    reference: (self.shadow.likes.value(), self.shadow.tags.elements()),
                },
            ),
            Msg::State { likes, tags, shadow } => {
                self.likes.merge(&likes);
                self.tags.merge(&tags);
                self.shadow.likes.merge(&shadow.likes);
                self.shadow.tags.merge(&shadow.tags);
            }
            Msg::Ok | Msg::ReadOk { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, ()>, _: ()) {
        let peers = ctx.peers().to_vec();
        let peer = peers[ctx.rng().random_range(0..peers.len())].clone();
        ctx.send(peer, Msg::State { likes: self.likes.clone(), tags: self.tags.clone(), shadow: self.shadow.clone() });
        ctx.set_timer(Duration::from_millis(100), ());
    }
}

/// Six replicas gossiping state through 20% loss and a partition agree once it heals
#[test]
fn step_7_convergence() {
    let config = SimConfig {
        seed: kit::seed(7),
        latency: Duration::from_millis(30),
        jitter: Duration::from_millis(30),
        loss: 0.2,
        trace: false,
    };
    let mut sim: Sim<Msg, ()> = Sim::new(config);
    let ids: Vec<NodeId> = (0..6).map(|i| sim.add_node(Replica::new(i))).collect();
    let client = NodeId::client(0);
    let mut rng = NodeRng::seed_from_u64(kit::seed(7));
    sim.partition(&[&ids[..3], &ids[3..]]);
    for k in 0..120 {
        let to = &ids[rng.random_range(0..ids.len())];
        let message = match k % 4 {
            0 | 1 => Msg::Like,
            2 => Msg::Tag(format!("t{}", rng.random_range(0..6))),
            _ => Msg::Untag(format!("t{}", rng.random_range(0..6))),
        };
        sim.client_send(&client, to, message);
        sim.run_for(Duration::from_millis(25));
    }
    sim.run_for(Duration::from_secs(1));
    let acked_likes = sim.take_client_messages().iter().filter(|m| matches!(m.message, Msg::Ok)).count();
    assert!(acked_likes > 0);
    sim.heal();
    sim.run_for(Duration::from_secs(15));
    let mut answers = std::collections::BTreeMap::new();
    for _ in 0..10 {
        for id in ids.iter().filter(|id| !answers.contains_key(*id)) {
            sim.client_send(&client, id, Msg::Read);
        }
        sim.run_for(Duration::from_secs(1));
        for m in sim.take_client_messages() {
            if let Msg::ReadOk { likes, tags, reference } = m.message {
                answers.entry(m.from).or_insert(((likes, tags), reference));
            }
        }
    }
    assert_eq!(answers.len(), 6, "every replica answers Read");
    let first = answers.values().next().cloned().unwrap().0;
    for (id, (answer, reference)) in &answers {
        assert_eq!(
            answer, reference,
            "{id} reads (likes, tags) = {answer:?} with your types (left), {reference:?} with the reference's after the \
             same messages (right): every like counted once, and a tag removed only where its adds were seen"
        );
        assert_eq!(answer, &first, "{id} disagrees after the partition healed");
    }
    assert!(first.0 > 0, "likes were counted");
}

/// Text (RGA): concurrent edits converge to the same text, in the same order as the reference
#[test]
fn step_8_collaborative_text() {
    let mut a = Rga::new();
    for (i, ch) in "helo".chars().enumerate() {
        a.insert(1, i, ch);
    }
    assert_eq!(a.text(), "helo");
    let mut b = a.clone();
    a.insert(1, 3, 'l');
    assert_eq!(
        a.text(),
        "hello",
        "insert(1, 3, 'l') into \"helo\": a character typed at index 3 stands at index 3, in front of the 'o' \
         typed there before (the later character, with the larger id, goes first among those after the same one)"
    );
    b.insert(2, 4, '!');
    b.delete(0);
    b.insert(2, 0, 'H');
    assert_eq!(
        b.text(),
        "Helo!",
        "insert(2, 4, '!'), delete(0) and insert(2, 0, 'H') into \"helo\": a deleted character is hidden, but what \
         was typed after it keeps its place"
    );
    let ab = merged(&a, &b, Rga::merge);
    assert_eq!(
        ab.text(),
        "Hello!",
        "both replicas' edits survive the merge: what either side typed stays, and what either side deleted is deleted"
    );
    assert_eq!(ab.text(), merged(&b, &a, Rga::merge).text(), "and the order of the merge does not matter");

    // Typing after a merge: replica 1 learns "ab" from replica 9 only by merging, then
    // types X at the start. X comes after everything replica 1 has seen, so it must count
    // as later than "ab", and the later character at a place goes first.
    let mut typed = Rga::new();
    typed.insert(9, 0, 'a');
    typed.insert(9, 1, 'b');
    let mut learned = Rga::new();
    learned.merge(&typed);
    learned.insert(1, 0, 'X');
    let mut reference_typed = reference::Rga::new();
    reference_typed.insert(9, 0, 'a');
    reference_typed.insert(9, 1, 'b');
    let mut reference_learned = reference::Rga::new();
    reference_learned.merge(&reference_typed);
    reference_learned.insert(1, 0, 'X');
    assert_eq!(
        learned.text(),
        reference_learned.text(),
        "replica 1 merged \"ab\" (typed by replica 9), then inserted X at index 0: it shows {:?}, the reference \
         {:?}: merge must take the larger Lamport clock, so a character typed after a merge gets a larger id than \
         every merged one (and a larger id goes first among characters at one place)",
        learned.text(),
        reference_learned.text()
    );

    // An insert's anchor is the visible character before its index, never a deleted
    // one. Replica 1 deletes b from "abc" and types X at index 1; replica 2, which has
    // not seen the deletion, types Y at index 2 (after b). X must follow a, so it
    // stands before b's place and Y: "aXYc". Anchored to the tombstone b, X becomes Y's
    // sibling, and the larger id, Y's, goes first: "aYXc".
    let mut one = Rga::new();
    for (i, ch) in "abc".chars().enumerate() {
        one.insert(9, i, ch);
    }
    let mut two = one.clone();
    one.delete(1);
    one.insert(1, 1, 'X');
    assert_eq!(one.text(), "aXc", "\"abc\", delete(1), insert(1, 1, 'X'): X stands at index 1");
    two.insert(2, 2, 'Y');
    let both = merged(&one, &two, Rga::merge);
    assert_eq!(
        both.text(),
        "aXYc",
        "replica 1 deleted 'b' from \"abc\" and typed X at index 1 (\"aXc\"); replica 2, not having seen the \
         deletion, typed Y at index 2, after 'b' (\"abYc\"). Merged, the reference reads \"aXYc\": an insert at \
         index i is anchored after the VISIBLE character before i (here 'a'), never after a deleted one (here 'b')"
    );

    // Two replicas type at the same place at the same time: every replica puts the
    // same one first, the reference's order.
    let mut rng = NodeRng::seed_from_u64(kit::seed(8));
    for round in 0..40 {
        let mut base_mine = Rga::new();
        let mut base_theirs = reference::Rga::new();
        for (i, ch) in "abc".chars().enumerate() {
            base_mine.insert(9, i, ch);
            base_theirs.insert(9, i, ch);
        }
        let mut copies_mine = [base_mine.clone(), base_mine.clone(), base_mine];
        let mut copies_theirs = [base_theirs.clone(), base_theirs.clone(), base_theirs];
        // Each replica's text comes from the reference's copy, so the edits stay
        // valid (and replayable) whatever the learner's text says.
        let mut edits = Vec::new();
        for step in 0..6 {
            let r = rng.random_range(0..3usize);
            let len = copies_theirs[r].text().chars().count();
            if len > 0 && rng.random_bool(0.3) {
                let at = rng.random_range(0..len);
                edits.push(format!("replica {r}: delete({at})"));
                copies_mine[r].delete(at);
                copies_theirs[r].delete(at);
            } else {
                let at = rng.random_range(0..=len);
                let ch = (b'a' + ((round + step) % 26) as u8) as char;
                edits.push(format!("replica {r}: insert({r}, {at}, {ch:?})"));
                copies_mine[r].insert(r as u64, at, ch);
                copies_theirs[r].insert(r as u64, at, ch);
            }
        }
        // Everything needed to replay the round by hand.
        let replay = format!(
            "three replicas each start from \"abc\" (replica 9 typed it: insert(9, 0, 'a'), insert(9, 1, 'b'), \
             insert(9, 2, 'c')), then edit concurrently: {}",
            edits.join(", ")
        );
        let mut mine = copies_mine[2].clone();
        mine.merge(&copies_mine[0]);
        mine.merge(&copies_mine[1]);
        let mut other_order = copies_mine[0].clone();
        other_order.merge(&copies_mine[1]);
        other_order.merge(&copies_mine[2]);
        let mut theirs = copies_theirs[0].clone();
        theirs.merge(&copies_theirs[1]);
        theirs.merge(&copies_theirs[2]);
        assert_eq!(
            mine.text(),
            other_order.text(),
            "round {round}: merging 2 ← 0 ← 1 (left) and 0 ← 1 ← 2 (right) gave two texts; {replay}"
        );
        assert_eq!(
            mine.text(),
            theirs.text(),
            "round {round}: your text merged 2 ← 0 ← 1 (left) differs from the reference's merged 0 ← 1 ← 2 (right) \
             (an insert at index i follows the visible character before i; among characters after the same one, the \
             larger id, (counter, replica), goes first); {replay}"
        );
    }
}

/// Every interleaving of two replicas (a like, a tag, its concurrent removal), any one message lost: they converge on the reference's values
#[test]
fn step_9_every_interleaving() {
    use kit::search::{Search, SearchConfig, View};

    let replica = Replica::new;
    let config =
        SearchConfig { max_drops: 1, max_timer_fires: 2, max_depth: 16, max_states: 200_000, settle_events: 200 };
    let mut search = Search::new(vec![replica(0), replica(1)], config);
    let client = NodeId::client(0);
    search.client_send(&client, &NodeId::node(0), Msg::Like);
    search.client_send(&client, &NodeId::node(1), Msg::Tag("rust".into()));
    search.client_send(&client, &NodeId::node(0), Msg::Untag("rust".into()));
    search.probe(Msg::Read);
    let liveness = |view: &View<'_, Replica, Msg>| {
        let reads: Vec<(u64, BTreeSet<String>)> = view
            .probed
            .iter()
            .enumerate()
            .map(|(n, answers)| match answers.as_slice() {
                [Msg::ReadOk { likes, tags, reference }] if (*likes, tags) == (reference.0, &reference.1) => {
                    Ok((*likes, tags.clone()))
                }
                [Msg::ReadOk { likes, tags, reference }] => Err(format!(
                    "replica {n} reads (likes, tags) = ({likes}, {tags:?}) with your types, ({}, {:?}) with the \
                     reference's after the same messages in the same order",
                    reference.0, reference.1
                )),
                other => Err(format!("Read must be answered with one ReadOk, got {other:?}")),
            })
            .collect::<Result<_, _>>()?;
        if reads.windows(2).all(|w| w[0] == w[1]) { Ok(()) } else { Err(format!("the replicas read {reads:?}")) }
    };
    search.run(|_| Ok(()), liveness).assert_holds();
}
