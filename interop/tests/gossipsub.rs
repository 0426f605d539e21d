//! Gossipsub signing between the handbook's stack and rust-libp2p
//! (<https://github.com/libp2p/rust-libp2p>, `libp2p` 0.57 with `gossipsub`), over
//! loopback TCP + Noise + yamux, on the topic of rust-libp2p's chat example
//! (`test-net`), with its settings: `ValidationMode::Strict` and
//! `MessageAuthenticity::Signed`.
//!
//! StrictSign is the pubsub spec's "Message Signing"
//! (<https://github.com/libp2p/specs/blob/master/pubsub/README.md>): the author signs
//! `libp2p-pubsub:` followed by the `Message` protobuf without `signature` and `key`,
//! and a receiver drops a message whose `from`, `seqno` or signature is missing or wrong.
//!
//! The handbook's side is the gossipsub exercise's reference (`solutions/11-gossipsub`:
//! its `Rpc` and `Message` codec, `sign` and `verify`), carried by the reference stack
//! (`/noise`, Noise XX, `/yamux/1.0.0`, `/meshsub/1.1.0`); interop's own `meshsub`
//! records the frames and checks them a second time.
//!
//! - a message rust-libp2p signs passes the handbook's check;
//! - a message the handbook signs is delivered by rust-libp2p's Strict validation;
//! - a message with one data byte flipped and its signature kept is refused by both:
//!   rust-libp2p delivers the untouched message sent right after it, never the tampered
//!   one, and its score of the handbook's peer falls below zero (P4, invalid messages).
//!
//! The keys and the data come from a seeded generator; the seed is printed, and
//! `VERIFY_SEED=S` replays it. (rust-libp2p's own randomness, its Noise keys and its
//! seqno, which starts at the clock's nanoseconds, is not ours to seed.) The recorded
//! vectors of `exercises/11-gossipsub/tests/vectors/` are checked here too.

use std::net::SocketAddr;
use std::time::Duration;

use gossipsub_solution as reference;
use identity_solution::Keypair;
use interop::gossipsub_node::{GossipSeen, GossipsubNode, Scoring, TOPIC};
use interop::meshsub::{self, MESHSUB, MeshsubPeer, Rejected, Rpc, SubOpts};
use interop::reference_node::ReferenceNode;
use libp2p::gossipsub::{self, IdentTopic};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};

/// A bound on each wait: a refusal shows up as an error event long before it.
const WAIT: Duration = Duration::from_secs(15);

/// The seeded generator of one test, its seed printed.
fn rng(default: u64) -> StdRng {
    let seed = kit::seed(default);
    println!("keys and data from StdRng::seed_from_u64({seed:#x})");
    StdRng::seed_from_u64(seed)
}

fn secret(rng: &mut StdRng) -> [u8; 32] {
    let mut s = [0u8; 32];
    rng.fill_bytes(&mut s);
    s
}

/// A rust-libp2p node subscribed to `test-net`, and the handbook's peer connected to
/// it and subscribed too, each having seen the other's subscription.
async fn pair(rng: &mut StdRng, scoring: Option<Scoring>) -> (GossipsubNode, MeshsubPeer, Keypair) {
    let mut theirs = GossipsubNode::start(secret(rng), scoring).expect("a rust-libp2p gossipsub node");
    let topic = IdentTopic::new(TOPIC);
    theirs.with(move |gs| gs.subscribe(&topic)).await.expect("rust-libp2p subscribes");
    let port = theirs.listening_port().await.expect("it listens");
    let keypair = Keypair::from_secret_bytes(secret(rng));
    let node =
        tokio::time::timeout(WAIT, ReferenceNode::dial_serving(SocketAddr::from(([127, 0, 0, 1], port)), keypair.clone(), &[MESHSUB]))
            .await
            .expect("the upgrade finishes in time")
            .expect("the reference completes /noise, Noise XX and /yamux/1.0.0 with rust-libp2p");
    let ours = MeshsubPeer::start(node).expect("the handbook's gossipsub peer");
    ours.wait_for(WAIT, |f| f.rpc.subscriptions.iter().any(|s| s.subscribe && s.topic == TOPIC).then_some(()))
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p sent no SUBSCRIBE test-net on its /meshsub/1.1.0 stream; came instead: {skipped:?}"));
    ours.send(&Rpc { subscriptions: vec![SubOpts { subscribe: true, topic: TOPIC.into() }], ..Rpc::default() })
        .await
        .expect("the handbook side sends its SUBSCRIBE");
    let our_id = libp2p_id(&keypair);
    theirs
        .wait_for(WAIT, |s| matches!(s, GossipSeen::Subscribed(p, t) if *p == our_id && t == TOPIC).then_some(()))
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p did not take the handbook side's SUBSCRIBE test-net: {skipped:?}"));
    (theirs, ours, keypair)
}

fn libp2p_id(keypair: &Keypair) -> libp2p::PeerId {
    libp2p::PeerId::from_bytes(&keypair.peer_id().to_bytes()).expect("a reference peer id is a libp2p peer id")
}

/// Peer scoring that counts only invalid messages (P4) on `test-net`, slow to decay, so
/// a rejection shows in the score and nothing else moves it.
fn scoring_invalid_messages_only() -> Scoring {
    let topic = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -1.0,
        invalid_message_deliveries_decay: 0.9,
        ..Default::default()
    };
    let mut params = gossipsub::PeerScoreParams::default();
    params.topics.insert(IdentTopic::new(TOPIC).hash(), topic);
    (params, gossipsub::PeerScoreThresholds::default())
}

/// rust-libp2p's score of `peer`.
async fn score(theirs: &GossipsubNode, peer: libp2p::PeerId) -> f64 {
    theirs.with(move |gs| gs.peer_score(&peer).expect("scoring is on")).await
}

fn data(rng: &mut StdRng, text: &str) -> Vec<u8> {
    let mut d = text.as_bytes().to_vec();
    d.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_libp2p_signs_the_handbook_verifies() {
    let mut rng = rng(0x0006_0551);
    let (theirs, ours, _) = pair(&mut rng, None).await;
    let sent = data(&mut rng, "from rust-libp2p ");
    let s = sent.clone();
    theirs.with(move |gs| gs.publish(IdentTopic::new(TOPIC), s)).await.expect("rust-libp2p publishes");
    let (message, bytes) = ours
        .wait_for(WAIT, |f| f.rpc.publish.iter().find(|(m, _)| m.data.as_ref() == Some(&sent)).cloned())
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p's message did not reach the handbook side; came instead: {skipped:?}"));

    let decoded = reference::Message::decode(&bytes)
        .unwrap_or_else(|e| panic!("the reference cannot decode a message rust-libp2p sent ({e:?}): {}", meshsub::hex(&bytes)));
    let author = reference::verify(&decoded).unwrap_or_else(|e| {
        panic!("the reference's StrictSign check refuses a message rust-libp2p signed: {e:?}; the message: {}", meshsub::hex(&bytes))
    });
    assert_eq!(author.to_bytes(), theirs.peer_id.to_bytes(), "the message's `from` is not rust-libp2p's peer id");
    assert_eq!(
        reference::signed_bytes(&decoded),
        meshsub::signed_bytes(&bytes).expect("signed bytes"),
        "the reference signs other bytes than `libp2p-pubsub:` + the message as sent without signature and key"
    );
    assert_eq!(meshsub::verify(&bytes).map(|p| p.to_bytes()), Ok(theirs.peer_id.to_bytes()), "interop's own check disagrees");
    assert_eq!(message.topic, TOPIC);
    assert_eq!(message.seqno.as_ref().map(Vec::len), Some(8), "rust-libp2p's seqno is not 8 bytes");
    assert_eq!(message.key, None, "rust-libp2p sent `key` although its Ed25519 peer id inlines the key");
    assert_eq!(message.encode(), bytes, "the message does not re-encode to the bytes rust-libp2p sent (fields in number order)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handbook_signs_rust_libp2p_accepts() {
    let mut rng = rng(0x0006_0552);
    let (mut theirs, ours, keypair) = pair(&mut rng, None).await;
    let seqno: u64 = rng.random();
    let sent = data(&mut rng, "from the handbook ");
    let message = reference::sign(&keypair, TOPIC, &sent, seqno);
    let frame = ours.send_encoded(&reference::Rpc { publish: vec![message.clone()], ..Default::default() }.encode()).await.expect("sent");
    let our_id = libp2p_id(&keypair);
    let (source, id, got) = theirs
        .wait_for(WAIT, |s| match s {
            GossipSeen::Message { propagation_source, id, message } => Some((*propagation_source, id.clone(), message.clone())),
            _ => None,
        })
        .await
        .unwrap_or_else(|skipped| {
            panic!(
                "rust-libp2p's Strict validation delivered nothing for the handbook's signed message (frame {}); it saw: {skipped:?}",
                meshsub::hex(&frame)
            )
        });
    assert_eq!(source, our_id, "passed on by another peer");
    assert_eq!(got.source, Some(our_id), "rust-libp2p read another author from `from`");
    assert_eq!(got.data, sent);
    assert_eq!(got.sequence_number, Some(seqno), "rust-libp2p read another seqno (8 bytes, big-endian)");
    assert_eq!(got.topic.as_str(), TOPIC);
    assert_eq!(
        id.0,
        meshsub::default_message_id(&meshsub::Message::decode(&message.encode()).expect("decodes")).expect("an id"),
        "rust-libp2p's default message id is the author's base58 peer id and the seqno in decimal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_message_is_rejected_by_both() {
    let mut rng = rng(0x0006_0553);
    let (mut theirs, ours, keypair) = pair(&mut rng, Some(scoring_invalid_messages_only())).await;
    let our_id = libp2p_id(&keypair);
    assert_eq!(score(&theirs, our_id).await, 0.0, "the handbook's peer starts with another score");

    let seqno: u64 = rng.random();
    let sent = data(&mut rng, "tampered ");
    let mut tampered = reference::sign(&keypair, TOPIC, &sent, seqno);
    let flip = rng.random_range(0..sent.len());
    tampered.data.as_mut().expect("data")[flip] ^= 0x01;
    println!("data byte {flip} flipped: {:02x} -> {:02x}", sent[flip], sent[flip] ^ 1);

    // The handbook's check refuses it.
    assert_eq!(
        reference::verify(&tampered),
        Err(reference::SignError::BadSignature),
        "the reference's StrictSign check accepts a message whose data changed after signing"
    );
    assert_eq!(meshsub::verify(&tampered.encode()), Err(Rejected::BadSignature), "interop's own check accepts it");

    // rust-libp2p: the tampered message, then an untouched one on the same stream; it
    // reads them in order, so when the second is delivered the first was judged.
    let barrier = reference::sign(&keypair, TOPIC, b"untouched", seqno.wrapping_add(1));
    for m in [&tampered, &barrier] {
        ours.send_encoded(&reference::Rpc { publish: vec![m.clone()], ..Default::default() }.encode()).await.expect("sent");
    }
    let mut delivered = Vec::new();
    theirs
        .wait_for(WAIT, |s| match s {
            GossipSeen::Message { message, .. } => {
                delivered.push(message.data.clone());
                (message.data == b"untouched").then_some(())
            }
            _ => None,
        })
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p did not deliver the untouched message sent after the tampered one: {skipped:?}"));
    assert!(
        !delivered.iter().any(|d| *d == tampered.data.clone().unwrap_or_default()),
        "rust-libp2p's Strict validation delivered a message whose data changed after signing: {}",
        meshsub::hex(&tampered.encode())
    );
    let after = score(&theirs, our_id).await;
    println!("rust-libp2p's score of the handbook's peer after one invalid message: {after}");
    assert!(after < 0.0, "rust-libp2p did not count the tampered message as invalid (score {after}, expected below 0)");
}

/// The recorded vectors (`exercises/11-gossipsub/tests/vectors/rust-libp2p-0.57.json`)
/// hold together: the keys give the peer ids, each message decodes to its fields, its
/// signed bytes are `libp2p-pubsub:` + the message without signature and key, and the
/// signature verifies; every frame's length prefix counts its RPC, and the frame holds
/// what its summary says.
#[test]
fn the_recorded_vectors_hold_together() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises/11-gossipsub/tests/vectors/rust-libp2p-0.57.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("the vectors are JSON");
    let hex = |v: &serde_json::Value| meshsub::unhex(v.as_str().expect("a hex string")).expect("hex");
    assert_eq!(json["topic"], TOPIC);
    assert_eq!(json["protocol"], MESHSUB);
    for side in ["rust_libp2p", "handbook"] {
        let k = Keypair::from_secret_bytes(hex(&json[side]["secret"]).try_into().expect("32 bytes"));
        assert_eq!(k.public().to_bytes().to_vec(), hex(&json[side]["public_key"]), "{side}: public key");
        assert_eq!(k.peer_id().to_string(), json[side]["peer_id"], "{side}: peer id");
        assert_eq!(k.peer_id().to_bytes(), hex(&json[side]["peer_id_bytes"]), "{side}: peer id bytes");
    }
    let theirs = hex(&json["rust_libp2p"]["peer_id_bytes"]);
    let messages = json["messages"].as_array().expect("messages");
    assert!(messages.len() >= 2, "fewer than two messages recorded");
    for m in messages {
        let bytes = hex(&m["message"]);
        let decoded = meshsub::Message::decode(&bytes).expect("the message decodes");
        assert_eq!(decoded.from.as_deref(), Some(&theirs[..]));
        assert_eq!(decoded.data, Some(hex(&m["data"])));
        assert_eq!(decoded.data.as_deref(), Some(m["data_text"].as_str().expect("text").as_bytes()));
        assert_eq!(decoded.seqno, Some(hex(&m["seqno"])));
        assert_eq!(decoded.seqno_u64().map(|s| s.to_string()).as_deref(), m["seqno_decimal"].as_str());
        assert_eq!(decoded.topic, m["topic"]);
        assert_eq!(decoded.signature, Some(hex(&m["signature"])));
        assert!(m["key"].is_null() && decoded.key.is_none(), "a key recorded for an Ed25519 author");
        assert_eq!(meshsub::signed_bytes(&bytes).expect("signed bytes"), hex(&m["signed"]));
        assert!(hex(&m["signed"]).starts_with(b"libp2p-pubsub:"));
        assert_eq!(meshsub::verify(&bytes).map(|p| p.to_bytes()), Ok(theirs.clone()), "the recorded signature");
        let r = reference::Message::decode(&bytes).expect("the reference decodes the message");
        assert_eq!(r.encode(), bytes, "the reference does not re-encode rust-libp2p's message to the same bytes");
        assert_eq!(reference::signed_bytes(&r), hex(&m["signed"]), "the reference's signed bytes");
        assert_eq!(reference::verify(&r).map(|p| p.to_bytes()), Ok(theirs.clone()), "the reference refuses the recorded signature");
        assert_eq!(meshsub::default_message_id(&decoded).expect("an id"), m["message_id"].as_str().expect("text").as_bytes());
    }
    let frames = json["frames"].as_array().expect("frames");
    let mut kinds = std::collections::BTreeSet::new();
    for f in frames {
        let bytes = hex(&f["frame"]);
        let prefix = f["prefix_len"].as_u64().expect("a number") as usize;
        let mut at = 0;
        let mut len = 0usize;
        for (i, b) in bytes[..prefix].iter().enumerate() {
            len |= usize::from(b & 0x7f) << (7 * i);
            at += 1;
        }
        assert_eq!(len, bytes.len() - at, "frame {}: the length prefix does not count the RPC", f["index"]);
        let rpc = Rpc::decode(&bytes[prefix..]).expect("the RPC decodes");
        assert_eq!(rpc.summary(), f["summary"], "frame {}", f["index"]);
        // The reference reads the same RPC (it skips what it does not know, as
        // interop's reader does: rust-libp2p's control field 6, SubOpts fields 3 and 4).
        let r = reference::Rpc::decode(&bytes[prefix..])
            .unwrap_or_else(|e| panic!("frame {}: the reference cannot decode it ({e:?}): {}", f["index"], meshsub::hex(&bytes)));
        assert_eq!(r.encode(), rpc.encode(), "frame {}: the reference reads another RPC than interop's reader", f["index"]);
        if f["sender"] == "rust-libp2p" {
            for k in f["kinds"].as_array().expect("kinds") {
                kinds.insert(k.as_str().expect("text").to_string());
            }
        }
    }
    for k in ["SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", "GRAFT", "IHAVE", "IWANT", "PRUNE"] {
        assert!(kinds.contains(k), "no {k} from rust-libp2p among the recorded frames");
    }
}
