//! The secure-gossip exercise's checks, in the order to make them pass: the envelope,
//! the guard, then honest and hostile networks in the kit's simulator.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use identity_solution::Keypair;
use kit::{Context, Node, NodeId, Sim, SimConfig};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::subject::{Envelope, Guard, Msg, Reject, SecureNode, Timer};
use crate::{reference, subject};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

fn keypair(i: u8) -> Keypair {
    Keypair::from_secret_bytes([i.wrapping_add(1); 32])
}

/// The envelope's signed bytes follow the documented layout, and equal the reference's
#[test]
fn step_1_envelope() {
    let alice = keypair(0);
    let envelope = Envelope::sign(&alice, 0x0102, b"hi");
    let bytes = envelope.signed_bytes();
    let domain = b"p2p-handbook gossip v1\0";
    assert!(bytes.starts_with(domain), "the signed bytes start with the domain string");
    assert_eq!(
        bytes.len(),
        domain.len() + 32 + 8 + 4 + 2,
        "the signed bytes are the domain (23) ‖ author (32) ‖ seq (8) ‖ payload length (4) ‖ payload (2 here): \
         yours are {:02x?}",
        bytes
    );
    let rest = &bytes[domain.len()..];
    assert_eq!(rest[..32], alice.public().to_bytes(), "then the author's key");
    assert_eq!(rest[32..40], [0, 0, 0, 0, 0, 0, 1, 2], "then seq, 8 bytes big-endian");
    assert_eq!(rest[40..44], [0, 0, 0, 2], "then the payload length, 4 bytes big-endian");
    assert_eq!(&rest[44..], b"hi", "then the payload");
    assert_eq!(envelope.signature.len(), 64);
    let theirs = reference::Envelope::sign(&alice, 0x0102, b"hi");
    assert_eq!(
        envelope.signature, theirs.signature,
        "your signature differs from the reference's: sign() signs all of signed_bytes() (Ed25519 is deterministic)"
    );
    let id: [u8; 32] = Sha256::digest([bytes.clone(), envelope.signature.clone()].concat()).into();
    assert_eq!(envelope.id(), id, "id() is SHA-256 of the signed bytes followed by the signature");
    assert_eq!(
        envelope.verify(),
        Ok(()),
        "a freshly signed envelope verifies: verify() checks the signature over signed_bytes(), the same bytes \
         sign() signed"
    );
}

/// Verification refuses oversized payloads first, then anything not signed by its author
#[test]
fn step_2_verify() {
    let alice = keypair(0);
    let good = Envelope::sign(&alice, 1, b"the demo is at 3");
    let mut edited = good.clone();
    edited.payload = b"the demo is at 4".to_vec();
    assert_eq!(edited.verify(), Err(Reject::BadSignature), "an edited payload");
    let mut renumbered = good.clone();
    renumbered.seq = 2;
    assert_eq!(renumbered.verify(), Err(Reject::BadSignature), "a changed sequence number");
    let mut impostor = good.clone();
    impostor.author = keypair(1).public().to_bytes();
    assert_eq!(impostor.verify(), Err(Reject::BadSignature), "someone else's name on alice's signature");
    let mut short = good.clone();
    short.signature.truncate(63);
    assert_eq!(short.verify(), Err(Reject::BadSignature), "a signature that is not 64 bytes");
    let mut not_a_key = good.clone();
    not_a_key.author = [0; 32];
    not_a_key.author[0] = 2;
    assert_eq!(not_a_key.verify(), Err(Reject::BadSignature), "an author that is not a valid public key");
    let big = Envelope::sign(&alice, 1, &vec![b'x'; subject::MAX_PAYLOAD + 1]);
    assert_eq!(big.verify(), Err(Reject::TooLarge), "a payload over MAX_PAYLOAD ({})", subject::MAX_PAYLOAD);
    let mut big_and_forged = big.clone();
    big_and_forged.signature = vec![0; 64];
    assert_eq!(big_and_forged.verify(), Err(Reject::TooLarge), "size is checked before the (costlier) signature");
    assert_eq!(
        Envelope::sign(&alice, 1, &vec![b'x'; subject::MAX_PAYLOAD]).verify(),
        Ok(()),
        "exactly MAX_PAYLOAD is fine"
    );
}

/// The guard admits each message once, in any order within the window, and refuses older ones
#[test]
fn step_3_replay_window() {
    let alice = keypair(0);
    let mut guard = Guard::new();
    let at = |s: u64| Duration::from_secs(s);
    let admit = |guard: &mut Guard, seq: u64, t: u64| guard.admit(&Envelope::sign(&alice, seq, b"m"), at(t));
    assert_eq!(admit(&mut guard, 1, 0), Ok(()), "an author's first message is admitted");
    assert_eq!(admit(&mut guard, 3, 1), Ok(()), "gaps are fine: gossip reorders");
    assert_eq!(admit(&mut guard, 2, 2), Ok(()), "a late message inside the window is new");
    assert_eq!(admit(&mut guard, 2, 3), Err(Reject::Duplicate), "the same message twice");
    assert_eq!(
        admit(&mut guard, 1, 3),
        Err(Reject::Duplicate),
        "1 again, after 3 moved the window up by two: the bits of the numbers already seen move with the window, \
         so bit i still means highest − i"
    );
    assert_eq!(admit(&mut guard, 70, 4), Ok(()), "a number above the highest moves the window");
    assert_eq!(admit(&mut guard, 7, 5), Ok(()), "70 − 7 = 63: still inside a window of 64");
    assert_eq!(admit(&mut guard, 6, 6), Err(Reject::TooOld), "70 − 6 = 64: outside the window, refused");
    assert_eq!(admit(&mut guard, 70, 7), Err(Reject::Duplicate), "the highest number, seen again");
    let mut forged = Envelope::sign(&alice, 71, b"m");
    forged.payload = b"n".to_vec();
    assert_eq!(guard.admit(&forged, at(8)), Err(Reject::BadSignature), "the guard verifies before it remembers");
    assert_eq!(admit(&mut guard, 71, 9), Ok(()), "a refused forgery does not burn the number it claimed");
    assert!(guard.knows(&alice.public().to_bytes()));
    assert!(!guard.knows(&keypair(1).public().to_bytes()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random arrival orders: your guard gives the reference's verdicts
    #[test]
    fn step_4_guard_matches_the_reference(arrivals in proptest::collection::vec((0u8..3, 1u64..150, 0u64..40), 1..20)) {
        let mut mine = Guard::new();
        let mut theirs = reference::Guard::new();
        let mut t = Duration::ZERO;
        for (author, seq, gap_ms) in arrivals {
            t += Duration::from_millis(gap_ms);
            let envelope = Envelope::sign(&keypair(author), seq, b"m");
            let their_envelope = reference::Envelope::sign(&keypair(author), seq, b"m");
            let (a, b) = (mine.admit(&envelope, t), theirs.admit(&their_envelope, t));
            prop_assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "author {} seq {} at {:?}: your guard's verdict (left) differs from the reference's (right)",
                author,
                seq,
                t
            );
        }
    }
}

/// The guard limits each author's rate, and its memory is bounded: at most MAX_AUTHORS authors
#[test]
fn step_5_rate_and_memory() {
    let mut guard = Guard::new();
    let chatty = keypair(5);
    let at_once: Vec<_> = (1..=25).map(|s| guard.admit(&Envelope::sign(&chatty, s, b"m"), Duration::ZERO)).collect();
    assert!(at_once[..20].iter().all(Result::is_ok), "an author may send AUTHOR_BURST (20) messages at once");
    assert_eq!(at_once[20], Err(Reject::RateLimited), "the 21st at the same instant is over the author's rate");
    let later: Vec<_> = (26..=36).map(|s| guard.admit(&Envelope::sign(&chatty, s, b"m"), SEC)).collect();
    assert_eq!(later.iter().filter(|r| r.is_ok()).count(), 10, "one second later, AUTHOR_RATE (10) more");

    let mut guard = Guard::new();
    let first = keypair(0);
    guard.admit(&Envelope::sign(&first, 1, b"m"), Duration::ZERO).expect("admit");
    for i in 0..(subject::MAX_AUTHORS + 500) {
        let mut secret = [0u8; 32];
        secret[..8].copy_from_slice(&(i as u64 + 1000).to_be_bytes());
        let stranger = Keypair::from_secret_bytes(secret);
        guard.admit(&Envelope::sign(&stranger, 1, b"m"), Duration::from_millis(i as u64 + 1)).expect("admit");
        assert!(
            guard.tracked_authors() <= subject::MAX_AUTHORS,
            "the guard remembers {} authors, more than MAX_AUTHORS: forget the least recently heard first",
            guard.tracked_authors()
        );
    }
    assert_eq!(guard.tracked_authors(), subject::MAX_AUTHORS);
    assert!(!guard.knows(&first.public().to_bytes()), "the least recently heard author is the one forgotten");
}

// ---- Networks ----

type Net = Sim<Msg, Timer>;

struct Read {
    delivered: Vec<([u8; 32], u64, Vec<u8>)>,
    rejected: BTreeMap<Reject, u64>,
    tracked_authors: usize,
}

fn read_all(sim: &mut Net, ids: &[NodeId]) -> Vec<Read> {
    sim.take_client_messages();
    for id in ids {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(SEC);
    let mut reads: Vec<(NodeId, Read)> = sim
        .take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::ReadOk { delivered, rejected, tracked_authors } => {
                Some((m.from, Read { delivered, rejected, tracked_authors }))
            }
            _ => None,
        })
        .collect();
    reads.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(reads.len(), ids.len(), "every node answers Read with ReadOk");
    reads.into_iter().map(|(_, r)| r).collect()
}

/// Checks that each honest node delivered exactly `expected` (in any order), once each.
fn assert_delivered(reads: &[Read], expected: &BTreeSet<([u8; 32], u64, Vec<u8>)>) {
    for (i, read) in reads.iter().enumerate() {
        let set: BTreeSet<_> = read.delivered.iter().cloned().collect();
        assert_eq!(set.len(), read.delivered.len(), "honest node {i} delivered a message twice");
        let missing = expected.difference(&set).count();
        let extra: Vec<_> =
            set.difference(expected).map(|(a, s, p)| (a[0], *s, String::from_utf8_lossy(p).into_owned())).collect();
        assert_eq!(missing, 0, "honest node {i} is missing {missing} honest messages");
        assert!(
            extra.is_empty(),
            "honest node {i} delivered messages no honest node published (deliver and forward only what the guard \
             admitted): {extra:?}"
        );
    }
}

fn honest_network(n: u8, sim: &mut Net) -> Vec<NodeId> {
    (0..n).map(|i| sim.add_node(SecureNode::new(keypair(i)))).collect()
}

/// Publishes one line at every honest node per round, `gap` apart; returns what every
/// honest node should deliver: (author, seq, payload).
fn publish_rounds(sim: &mut Net, ids: &[NodeId], rounds: u64, gap: Duration) -> BTreeSet<([u8; 32], u64, Vec<u8>)> {
    let mut expected = BTreeSet::new();
    for k in 0..rounds {
        for (i, id) in ids.iter().enumerate() {
            let text = format!("line {k} from {id}");
            sim.client_send(&NodeId::client(0), id, Msg::Publish { text: text.clone() });
            expected.insert((keypair(i as u8).public().to_bytes(), k + 1, text.into_bytes()));
        }
        sim.run_for(gap);
    }
    expected
}

/// Honest nodes: every published message is delivered on every node, exactly once
#[test]
fn step_6_honest_network() {
    let mut sim: Net =
        Sim::new(SimConfig { seed: kit::seed(6), latency: 20 * MS, jitter: 20 * MS, ..SimConfig::default() });
    let ids = honest_network(5, &mut sim);
    let expected = publish_rounds(&mut sim, &ids, 8, 100 * MS);
    sim.run_for(2 * SEC);
    let acks = sim.take_client_messages().iter().filter(|m| matches!(m.message, Msg::PublishOk { .. })).count();
    assert_eq!(acks, 40, "every Publish is answered with PublishOk, each signed with the next seq (1, 2, 3, …)");
    assert_delivered(&read_all(&mut sim, &ids), &expected);
}

// An attacker: forges envelopes in honest authors' names, replays what it hears, and
// sends oversized payloads and oversized batches.
struct Attacker {
    heard: Vec<Envelope>,
}

impl Node for Attacker {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        let honest = keypair(0);
        let mut forged = Envelope::sign(&honest, 1000, b"n0 says: the demo is cancelled");
        forged.payload = b"n0 says: the demo is cancelled!".to_vec();
        let mallory = keypair(9);
        let oversized = Envelope::sign(&mallory, 1, &vec![b'x'; 4096]);
        let batch: Vec<Envelope> = (1..=100).map(|s| Envelope::sign(&mallory, s + 10, b"spam")).collect();
        for peer in ctx.peers().to_vec() {
            ctx.send(peer.clone(), Msg::Gossip { envelopes: vec![forged.clone(), oversized.clone()] });
            ctx.send(peer, Msg::Gossip { envelopes: batch.clone() });
        }
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, _: NodeId, message: Msg) {
        if let Msg::Gossip { envelopes } = message {
            self.heard.extend(envelopes);
            // Replay everything heard so far to everyone, every time.
            let replay: Vec<Envelope> = self.heard.iter().rev().take(32).cloned().collect();
            for peer in ctx.peers().to_vec() {
                ctx.send(peer, Msg::Gossip { envelopes: replay.clone() });
            }
        }
    }
}

/// Forgeries, replays and oversized messages from a hostile peer are refused, and honest messages still arrive once
#[test]
fn step_7_hostile_peer() {
    let mut sim: Net =
        Sim::new(SimConfig { seed: kit::seed(7), latency: 20 * MS, jitter: 10 * MS, ..SimConfig::default() });
    let ids = honest_network(4, &mut sim);
    sim.add_node(Attacker { heard: Vec::new() });
    let expected = publish_rounds(&mut sim, &ids, 6, 200 * MS);
    sim.run_for(3 * SEC);
    let reads = read_all(&mut sim, &ids);
    for (i, read) in reads.iter().enumerate() {
        let count = |r: Reject| read.rejected.get(&r).copied().unwrap_or(0);
        assert!(count(Reject::BadSignature) >= 1, "honest node {i} did not count the forgery: {:?}", read.rejected);
        assert!(
            count(Reject::TooLarge) >= 2,
            "honest node {i} did not refuse the oversized payload and the 100-envelope batch (over MAX_BATCH, refused \
             whole): {:?}",
            read.rejected
        );
        assert!(count(Reject::Duplicate) >= 1, "honest node {i} did not recognise replays: {:?}", read.rejected);
    }
    assert_delivered(&reads, &expected);
}

// A flooder: thousands of validly signed envelopes from fresh keys, every 10 ms.
struct Flooder {
    next: u64,
}

impl Node for Flooder {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.set_timer(10 * MS, ());
    }

    fn on_message(&mut self, _: &mut Context<Msg, Timer>, _: NodeId, _: Msg) {}

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, _: Timer) {
        if self.next >= 3000 {
            return;
        }
        let batch: Vec<Envelope> = (0..30)
            .map(|_| {
                self.next += 1;
                let mut secret = [7u8; 32];
                secret[..8].copy_from_slice(&self.next.to_be_bytes());
                Envelope::sign(&Keypair::from_secret_bytes(secret), 1, b"buy cheap keys")
            })
            .collect();
        for peer in ctx.peers().to_vec() {
            ctx.send(peer, Msg::Gossip { envelopes: batch.clone() });
        }
        ctx.set_timer(10 * MS, ());
    }
}

/// Under a flood of valid messages from fresh keys, honest messages still arrive and memory stays bounded
#[test]
fn step_8_flood() {
    let mut sim: Net =
        Sim::new(SimConfig { seed: kit::seed(8), latency: 20 * MS, jitter: 10 * MS, ..SimConfig::default() });
    let ids = honest_network(4, &mut sim);
    sim.add_node(Flooder { next: 0 });
    let expected = publish_rounds(&mut sim, &ids, 10, 200 * MS);
    sim.run_for(3 * SEC);
    let reads = read_all(&mut sim, &ids);
    let honest_authors: BTreeSet<[u8; 32]> = (0..4).map(|i| keypair(i).public().to_bytes()).collect();
    for (i, read) in reads.iter().enumerate() {
        kit::figure(
            &format!("flood messages node {i} delivered (of 3000)"),
            read.delivered.len().saturating_sub(expected.len()),
        );
        kit::figure(&format!("authors node {i} remembers"), read.tracked_authors);
        let honest: Vec<_> = read.delivered.iter().filter(|(a, _, _)| honest_authors.contains(a)).cloned().collect();
        assert_delivered(
            std::slice::from_ref(&Read { delivered: honest, rejected: BTreeMap::new(), tracked_authors: 0 }),
            &expected,
        );
        assert!(
            read.tracked_authors <= subject::MAX_AUTHORS,
            "honest node {i} remembers {} authors, more than MAX_AUTHORS",
            read.tracked_authors
        );
        let spam = read.delivered.len() - expected.len();
        assert!(
            spam < 1000,
            "honest node {i} delivered {spam} of the flooder's 3000 messages: limit how fast a neighbour may introduce new authors"
        );
        assert!(
            read.rejected.get(&Reject::RateLimited).copied().unwrap_or(0) > 0,
            "honest node {i} never rate-limited the flood"
        );
    }
}
