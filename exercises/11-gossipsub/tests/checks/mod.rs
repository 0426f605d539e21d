//! The gossipsub exercise's checks, in the order to make them pass: the RPC's bytes,
//! StrictSign, then one router fed frames by hand (joining, the mesh, fanout, gossip,
//! scoring), then rooms in the kit's simulator (figures against flooding, attackers)
//! and every interleaving of a small room.
//!
//! Vectors and their sources:
//! - the RPC and message layouts: the pubsub spec's `rpc.proto`
//!   (<https://github.com/libp2p/specs/blob/master/pubsub/README.md#the-rpc>) and
//!   gossipsub v1.0's control messages
//!   (<https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#protobuf>),
//!   encoded by hand in step 1 from protobuf's encoding rules
//!   (<https://protobuf.dev/programming-guides/encoding/>);
//! - the signing rule (`libp2p-pubsub:` ‖ the message without `signature` and `key`):
//!   the pubsub spec, "Message Signing"; the peer id bytes `00 24 08 01 12 20` ‖ key:
//!   the peer-ids spec;
//! - frames and messages captured from rust-libp2p 0.57.1 (libp2p-gossipsub 0.50.1) on
//!   the wire, in `tests/vectors/rust-libp2p-0.57.json`; its README says how they were
//!   captured and how to regenerate them. The checks read every value from the file.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use identity_solution::Keypair;
use kit::{Context, Node, NodeId, Sim, SimConfig};
use proptest::prelude::*;

use crate::subject::{Config, GossipsubNode, Msg, Status, Timer, Validation};
use crate::{reference, subject};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const TOPIC: &str = "test-net";

fn keypair(i: u8) -> Keypair {
    Keypair::from_secret_bytes([i.wrapping_add(1); 32])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

// ---- rust-libp2p's bytes (tests/vectors/) ----

/// The conversation captured from rust-libp2p (tests/vectors/README.md).
const VECTORS: &str = include_str!("../vectors/rust-libp2p-0.57.json");

/// A JSON value: just enough JSON to read the vectors file.
#[derive(Clone, Debug)]
enum Json {
    Null,
    Bool,
    Number(String),
    Text(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let bytes = text.as_bytes();
        let mut at = 0;
        Json::value(bytes, &mut at)
    }

    fn skip(bytes: &[u8], at: &mut usize) {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    }

    fn value(bytes: &[u8], at: &mut usize) -> Json {
        Json::skip(bytes, at);
        match bytes[*at] {
            b'{' => {
                *at += 1;
                let mut fields = Vec::new();
                loop {
                    Json::skip(bytes, at);
                    if bytes[*at] == b'}' {
                        *at += 1;
                        return Json::Object(fields);
                    }
                    let Json::Text(key) = Json::value(bytes, at) else { panic!("a key") };
                    Json::skip(bytes, at);
                    *at += 1; // ':'
                    fields.push((key, Json::value(bytes, at)));
                    Json::skip(bytes, at);
                    if bytes[*at] == b',' {
                        *at += 1;
                    }
                }
            }
            b'[' => {
                *at += 1;
                let mut items = Vec::new();
                loop {
                    Json::skip(bytes, at);
                    if bytes[*at] == b']' {
                        *at += 1;
                        return Json::List(items);
                    }
                    items.push(Json::value(bytes, at));
                    Json::skip(bytes, at);
                    if bytes[*at] == b',' {
                        *at += 1;
                    }
                }
            }
            b'"' => {
                *at += 1;
                let mut out = String::new();
                while bytes[*at] != b'"' {
                    if bytes[*at] == b'\\' {
                        *at += 1;
                        out.push(match bytes[*at] {
                            b'n' => '\n',
                            b't' => '\t',
                            other => other as char,
                        });
                    } else {
                        let len = match bytes[*at] {
                            0..0x80 => 1,
                            0xe0..0xf0 => 3,
                            0xf0.. => 4,
                            _ => 2,
                        };
                        out.push_str(std::str::from_utf8(&bytes[*at..*at + len]).expect("UTF-8"));
                        *at += len - 1;
                    }
                    *at += 1;
                }
                *at += 1;
                Json::Text(out)
            }
            b'n' => {
                *at += 4;
                Json::Null
            }
            b't' => {
                *at += 4;
                Json::Bool
            }
            b'f' => {
                *at += 5;
                Json::Bool
            }
            _ => {
                let start = *at;
                while *at < bytes.len()
                    && (bytes[*at] == b'-' || bytes[*at] == b'.' || bytes[*at].is_ascii_alphanumeric())
                {
                    *at += 1;
                }
                Json::Number(String::from_utf8_lossy(&bytes[start..*at]).into_owned())
            }
        }
    }

    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(fields) => {
                &fields.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key} in the vectors")).1
            }
            _ => panic!("not an object"),
        }
    }

    fn text(&self) -> &str {
        match self {
            Json::Text(t) => t,
            Json::Number(n) => n,
            other => panic!("not text: {other:?}"),
        }
    }

    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Json::Null => None,
            other => Some(unhex(other.text())),
        }
    }

    fn list(&self) -> &[Json] {
        match self {
            Json::List(items) => items,
            _ => panic!("not a list"),
        }
    }
}

fn vectors() -> Json {
    Json::parse(VECTORS)
}

// ---- Step 1: the bytes of the RPC ----

/// A frame with one of everything, and its bytes worked out by hand from the schema.
fn sample() -> (reference::Rpc, Vec<u8>) {
    use reference::{Control, Graft, IHave, IWant, Message, Prune, Rpc, SubOpts};
    let rpc = Rpc {
        subscriptions: vec![SubOpts { subscribe: true, topic: "ab".into() }],
        publish: vec![Message {
            from: Some(vec![0xf0]),
            data: Some(b"hi".to_vec()),
            seqno: Some(vec![0, 0, 0, 0, 0, 0, 0, 1]),
            topic: "ab".into(),
            signature: Some(vec![0x51, 0x52]),
            key: None,
        }],
        control: Control {
            ihave: vec![IHave { topic: "ab".into(), ids: vec![vec![1, 2], vec![3]] }],
            iwant: vec![IWant { ids: vec![vec![9]] }],
            graft: vec![Graft { topic: "ab".into() }],
            prune: vec![Prune { topic: "ab".into(), backoff: Some(60) }],
        },
    };
    let bytes = unhex(
        "0a06 0801 12026162
         1219 0a01f0 12026869 1a080000000000000001 22026162 2a025152
         1a20 0a0b 0a026162 12020102 120103
              1203 0a0109
              1a04 0a026162
              2206 0a026162 183c",
    );
    (rpc, bytes)
}

/// The RPC frame's bytes: fields in order, every length bounded, unknown fields skipped
#[test]
fn step_1_rpc_codec() {
    let (rpc, bytes) = sample();
    let theirs = rpc.encode();
    assert_eq!(hex(&theirs), hex(&bytes), "the checks' own sample is wrong (not your code)");
    let mine = subject::Rpc::decode(&bytes);
    if mine.is_err() {
        // Every length-delimited field of the sample ends where its parent ends: a
        // length compared with `>=` instead of `>` refuses all of them. Told apart by one
        // subscription (a varint only) alone, and the same with an unknown field after it.
        let alone = unhex("0a02 0801");
        let followed = unhex("0a02 0801 3801");
        let valid = |b: &[u8]| reference::Rpc::decode(b).is_ok();
        if valid(&alone) && valid(&followed) && subject::Rpc::decode(&alone).is_err() {
            assert!(
                subject::Rpc::decode(&followed).is_err(),
                "your Rpc::decode refuses a field whose length reaches exactly to the end of the frame: {} (one \
                 subscription of 2 bytes, then nothing) is refused, {} (the same, then an unknown field) is read. A \
                 length equal to the bytes left is valid: refuse only a length greater than them",
                hex(&alone),
                hex(&followed)
            );
        }
    }
    assert!(
        mine.is_ok(),
        "your Rpc::decode refuses a valid frame with one subscription, one message and one of each control \
         message: {mine:?}\nframe: {}",
        hex(&bytes)
    );
    let mine = mine.unwrap();
    // Part by part, so that a wrong field is named with the key byte that carries it.
    let parts: [(&str, String, String, &str); 6] = [
        (
            "the subscription",
            format!("{:?}", mine.subscriptions),
            format!("{:?}", rpc.subscriptions),
            "RPC.subscriptions is field 1, bytes (key 0x0a); in it SubOpts.subscribe is field 1, varint (key 0x08), \
             and SubOpts.topic field 2, bytes (key 0x12)",
        ),
        (
            "the message",
            format!("{:?}", mine.publish),
            format!("{:?}", rpc.publish),
            "RPC.publish is field 2, bytes (key 0x12); in it from is field 1 (0x0a), data 2 (0x12), seqno 3 (0x1a), \
             topic 4 (0x22), signature 5 (0x2a), key 6 (0x32), all bytes",
        ),
        (
            "the IHAVE",
            format!("{:?}", mine.control.ihave),
            format!("{:?}", rpc.control.ihave),
            "RPC.control is field 3, bytes (key 0x1a); in it ihave is field 1, bytes (key 0x0a); in an IHAVE topic is \
             field 1 (0x0a) and each id one field 2 (0x12), both bytes",
        ),
        (
            "the IWANT",
            format!("{:?}", mine.control.iwant),
            format!("{:?}", rpc.control.iwant),
            "Control.iwant is field 2, bytes (key 0x12); in an IWANT each id is one field 1, bytes (key 0x0a)",
        ),
        (
            "the GRAFT",
            format!("{:?}", mine.control.graft),
            format!("{:?}", rpc.control.graft),
            "Control.graft is field 3, bytes (key 0x1a); in a GRAFT topic is field 1, bytes (key 0x0a)",
        ),
        (
            "the PRUNE",
            format!("{:?}", mine.control.prune),
            format!("{:?}", rpc.control.prune),
            "Control.prune is field 4, bytes (key 0x22); in a PRUNE topic is field 1, bytes (key 0x0a), and \
             PRUNE.backoff is field 3, varint: key byte 0x18, then 3c = 60 (field 2, peers, is absent)",
        ),
    ];
    for (what, mine_part, theirs_part, layout) in parts {
        assert_eq!(
            mine_part,
            theirs_part,
            "your Rpc::decode reads {what} of this frame wrongly (left: yours). {layout}. A key byte is \
             field << 3 | wire type (0 varint, 2 bytes). Frame:\n{}",
            hex(&bytes)
        );
    }
    assert_eq!(format!("{mine:?}"), format!("{rpc:?}"), "your Rpc::decode reads this frame wrongly:\n{}", hex(&bytes));
    let encoded = mine.encode();
    assert_eq!(
        hex(&encoded),
        hex(&bytes),
        "your Rpc::encode writes other bytes than the schema gives (left: yours). Fields go in field-number order, \
         each as key (field << 3 | wire type) and value; a nested message is length-delimited bytes; a bool is a \
         varint; PRUNE's backoff is field 3, a varint (18 3c = 60)"
    );

    // What is absent is left out.
    let empty = subject::Rpc::default();
    assert_eq!(hex(&empty.encode()), "", "an empty RPC is zero bytes: an empty control message is left out");
    let bare = subject::Message { topic: "t".into(), ..Default::default() };
    assert_eq!(
        hex(&bare.encode()),
        "220174",
        "a message with only a topic is field 4 alone: 22 01 74 (None fields are left out)"
    );
    let empty_data = subject::Message { data: Some(Vec::new()), topic: "t".into(), ..Default::default() };
    assert_eq!(
        hex(&empty_data.encode()),
        "1200220174",
        "Some(empty data) is written, as 12 00: absent and empty are different on the wire, and a signature \
         covers the difference"
    );

    // Unknown fields, at every level, are skipped.
    let with_unknown = unhex("3805 12 0e 0a01f0 22026162 4a03ffffff 5801 1a 08 2a02 0a00 0a02 0a00");
    let read = subject::Rpc::decode(&with_unknown);
    let expected = reference::Rpc::decode(&with_unknown).expect("the reference reads it");
    assert_eq!(
        format!("{read:?}"),
        format!("{:?}", Ok::<_, ()>(expected)),
        "a frame with unknown fields (field 7 varint in the RPC, fields 9 and 11 in the message, v1.2's IDONTWANT = \
         field 5 in the control message) must read as if they were not there: skip a field you do not know by its \
         wire type. Frame: {}",
        hex(&with_unknown)
    );

    // Bad bytes are refused, never a panic, never a read past the end.
    let bad: [(&str, &str, &str); 6] = [
        ("12 05 0a01f0", "a message whose length (5) runs past the end of the frame", "Truncated"),
        ("12 ffffffffffffffffff7f", "a length varint over 64 bits", "Varint"),
        (
            "12 ffffffffffffffff7f 00",
            "a length near 2^63: compare it with what is left rather than adding it to the offset",
            "Truncated",
        ),
        ("0b 00", "wire type 3 (a group)", "WireType(3)"),
        (
            "10 05",
            "RPC field 2 (publish) with key 0x10 = 2 << 3 | 0, wire type 0 (varint), where the schema's publish is a \
             Message, wire type 2 (bytes, key 0x12): a known field with the wrong wire type is FieldType(its field \
             number)",
            "FieldType(2)",
        ),
        ("0a 04 12 02 c3 28", "a topic that is not UTF-8", "Utf8"),
    ];
    for (frame, what, error) in bad {
        let frame = unhex(frame);
        let result = std::panic::catch_unwind(|| subject::Rpc::decode(&frame));
        match result {
            Err(_) => panic!(
                "your Rpc::decode panicked on {what}: {}. Check every length against the bytes left",
                hex(&frame)
            ),
            Ok(r) => assert_eq!(
                format!("{r:?}"),
                format!("Err({error})"),
                "your Rpc::decode on {what} ({}): expected Err({error})",
                hex(&frame)
            ),
        }
    }
    let huge = vec![0u8; subject::MAX_FRAME + 1];
    assert_eq!(
        subject::Rpc::decode(&huge),
        Err(subject::DecodeError::TooLarge),
        "a frame over MAX_FRAME ({}) bytes is refused as TooLarge before anything is read",
        subject::MAX_FRAME
    );

    // rust-libp2p's frames, as captured on the wire.
    let vectors = vectors();
    for frame in vectors.get("frames").list() {
        let index = frame.get("index").text();
        let sender = frame.get("sender").text();
        let summary = frame.get("summary").text();
        let bytes = frame.get("frame").bytes().expect("a frame");
        let prefix: usize = frame.get("prefix_len").text().parse().expect("a number");
        let rpc = &bytes[prefix..];
        let theirs = reference::Rpc::decode(rpc).expect("the reference reads every captured frame");
        let mine = subject::Rpc::decode(rpc);
        assert_eq!(
            format!("{mine:?}"),
            format!("{:?}", Ok::<_, ()>(theirs.clone())),
            "frame {index} of the conversation with rust-libp2p 0.57 ({sender}: {summary}), read wrongly by your \
             Rpc::decode (tests/vectors/rust-libp2p-0.57.json; frames from rust-libp2p carry fields this exercise \
             does not know, such as SubOpts fields 3 and 4 and control field 6: skip them):\n{}",
            hex(rpc)
        );
        if theirs.encode() == rpc {
            assert_eq!(
                hex(&mine.unwrap().encode()),
                hex(rpc),
                "frame {index} ({sender}: {summary}) re-encoded by your Rpc::encode differs from the bytes on the \
                 wire (left: yours)"
            );
        }
    }

    // Random frames: yours reads what the reference writes, writes the same bytes, and
    // agrees with it on garbage.
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let seed = kit::seed(1);
    println!("seed {seed} (random frames)");
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes));
    let result = runner.run(&(arb_rpc(), arb_bytes(60)), |(rpc, garbage)| {
        let bytes = rpc.encode();
        let mine = subject::Rpc::decode(&bytes);
        prop_assert_eq!(
            format!("{:?}", mine),
            format!("{:?}", Ok::<_, ()>(rpc.clone())),
            "a random frame: {}",
            hex(&bytes)
        );
        let again = mine.unwrap().encode();
        prop_assert_eq!(hex(&again), hex(&bytes), "your encode differs from the reference's (left: yours)");
        let (a, b) = (subject::Rpc::decode(&garbage).is_ok(), reference::Rpc::decode(&garbage).is_ok());
        prop_assert_eq!(a, b, "on the bytes {} your decode says ok = {}, the reference's ok = {}", hex(&garbage), a, b);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn arb_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn arb_rpc() -> impl Strategy<Value = reference::Rpc> {
    use reference::{Control, Graft, IHave, IWant, Message, Prune, Rpc, SubOpts};
    let topic = "[a-z]{0,6}";
    let message = (
        proptest::option::of(arb_bytes(40)),
        proptest::option::of(arb_bytes(20)),
        proptest::option::of(arb_bytes(9)),
        topic,
        proptest::option::of(arb_bytes(64)),
        proptest::option::of(arb_bytes(36)),
    )
        .prop_map(|(from, data, seqno, topic, signature, key)| Message {
            from,
            data,
            seqno,
            topic,
            signature,
            key,
        });
    let control = (
        proptest::collection::vec((topic, proptest::collection::vec(arb_bytes(10), 0..3)), 0..2),
        proptest::collection::vec(proptest::collection::vec(arb_bytes(10), 0..3), 0..2),
        proptest::collection::vec(topic, 0..2),
        proptest::collection::vec((topic, proptest::option::of(any::<u64>())), 0..2),
    )
        .prop_map(|(ihave, iwant, graft, prune)| Control {
            ihave: ihave.into_iter().map(|(topic, ids)| IHave { topic, ids }).collect(),
            iwant: iwant.into_iter().map(|ids| IWant { ids }).collect(),
            graft: graft.into_iter().map(|topic| Graft { topic }).collect(),
            prune: prune.into_iter().map(|(topic, backoff)| Prune { topic, backoff }).collect(),
        });
    (
        proptest::collection::vec(
            (any::<bool>(), topic).prop_map(|(subscribe, topic)| SubOpts { subscribe, topic }),
            0..3,
        ),
        proptest::collection::vec(message, 0..3),
        control,
    )
        .prop_map(|(subscriptions, publish, control)| Rpc { subscriptions, publish, control })
}

// ---- Step 2: StrictSign ----

/// StrictSign: the signature covers "libp2p-pubsub:" and the message; from, seqno and signature are required
#[test]
fn step_2_strict_sign() {
    let alice = keypair(0);
    let message = subject::sign(&alice, TOPIC, b"hello", 0x0102);
    let peer_id = alice.peer_id().to_bytes();
    assert_eq!(
        message.from.as_deref().map(hex),
        Some(hex(&peer_id)),
        "from is the author's peer id, 38 bytes: 00 24 08 01 12 20 ‖ key"
    );
    assert_eq!(
        message.seqno.as_deref().map(hex),
        Some("0000000000000102".to_string()),
        "seqno 0x0102 is 8 bytes, big-endian (the pubsub spec): 00 00 00 00 00 00 01 02"
    );
    assert_eq!(message.topic, TOPIC);
    assert_eq!(message.data.as_deref(), Some(&b"hello"[..]));
    assert_eq!(
        message.key, None,
        "the key field is left out: an Ed25519 peer id inlines the public key, so from already carries it"
    );
    let signed = subject::signed_bytes(&message);
    assert!(
        signed.starts_with(b"libp2p-pubsub:"),
        "the signed bytes start with the prefix \"libp2p-pubsub:\" (pubsub spec, Message Signing); yours start {}",
        hex(&signed[..signed.len().min(16)])
    );
    let unsigned = reference::Message { signature: None, key: None, ..to_reference(&message) };
    assert_eq!(
        hex(&signed[14..]),
        hex(&unsigned.encode()),
        "after the prefix comes the message's protobuf without the signature and key fields (left: yours)"
    );
    let theirs = reference::sign(&alice, TOPIC, b"hello", 0x0102);
    assert_eq!(
        message.signature.as_deref().map(hex),
        theirs.signature.as_deref().map(hex),
        "your signature differs from the reference's (Ed25519 is deterministic): sign signed_bytes(), with from, data, \
         seqno and topic filled in"
    );
    assert_eq!(
        subject::verify(&message).map(|p| p.to_bytes()),
        Ok(peer_id.clone()),
        "a signed message verifies, and verify returns its author"
    );
    assert_eq!(
        hex(&subject::message_id(&message)),
        format!("{}0000000000000102", hex(&peer_id)),
        "a message's id is from ‖ seqno (the spec's default message id)"
    );

    // rust-libp2p's messages: same bytes, same signatures.
    let vectors = vectors();
    let author = vectors.get("rust_libp2p");
    let secret: [u8; 32] = author.get("secret").bytes().expect("a secret").try_into().expect("32 bytes");
    let theirs = Keypair::from_secret_bytes(secret);
    for m in vectors.get("messages").list() {
        let what = m.get("data_text").text();
        let wire = m.get("message").bytes().expect("a message");
        let read = subject::Message::decode(&wire).expect("your Message::decode reads rust-libp2p's message");
        assert_eq!(
            subject::verify(&read).map(|p| p.to_bytes()),
            Ok(author.get("peer_id_bytes").bytes().expect("an id")),
            "rust-libp2p's message {what:?} (tests/vectors/rust-libp2p-0.57.json) must verify, with rust-libp2p's peer \
             id as its author:\n{}",
            hex(&wire)
        );
        assert_eq!(
            hex(&subject::signed_bytes(&read)),
            m.get("signed").text(),
            "the bytes rust-libp2p signed for {what:?} are \"libp2p-pubsub:\" and the message without fields 5 and 6 \
             (left: your signed_bytes)"
        );
        let seqno: u64 = m.get("seqno_decimal").text().parse().expect("a number");
        let data = m.get("data").bytes().expect("data");
        let signed = subject::sign(&theirs, m.get("topic").text(), &data, seqno);
        assert_eq!(
            hex(&signed.encode()),
            hex(&wire),
            "with rust-libp2p's key, topic, data and seqno, your sign() must give the very message rust-libp2p sent \
             for {what:?}, byte for byte (left: yours; the signature is its last 64 bytes)"
        );
    }

    use subject::SignError;
    let tamper = |f: &dyn Fn(&mut subject::Message)| {
        let mut m = message.clone();
        f(&mut m);
        subject::verify(&m)
    };
    let cases: Vec<(&str, Result<(), SignError>, Result<_, SignError>)> = vec![
        ("other data", Err(SignError::BadSignature), tamper(&|m| m.data = Some(b"hellO".to_vec())).map(drop)),
        (
            "another topic (the topic is signed too)",
            Err(SignError::BadSignature),
            tamper(&|m| m.topic = "other".into()).map(drop),
        ),
        (
            "another seqno",
            Err(SignError::BadSignature),
            tamper(&|m| m.seqno = Some(vec![0, 0, 0, 0, 0, 0, 1, 3])).map(drop),
        ),
        (
            "bob's peer id in from, alice's signature",
            Err(SignError::BadSignature),
            tamper(&|m| m.from = Some(keypair(1).peer_id().to_bytes())).map(drop),
        ),
        ("no from", Err(SignError::MissingFrom), tamper(&|m| m.from = None).map(drop)),
        ("a from that is not a peer id", Err(SignError::BadFrom), tamper(&|m| m.from = Some(vec![1, 2, 3])).map(drop)),
        ("no seqno", Err(SignError::BadSeqno), tamper(&|m| m.seqno = None).map(drop)),
        ("a 4-byte seqno", Err(SignError::BadSeqno), tamper(&|m| m.seqno = Some(vec![0, 0, 1, 2])).map(drop)),
        (
            "no signature (StrictSign refuses unsigned messages)",
            Err(SignError::MissingSignature),
            tamper(&|m| m.signature = None).map(drop),
        ),
        (
            "a 63-byte signature",
            Err(SignError::MissingSignature),
            tamper(&|m| {
                if let Some(s) = m.signature.as_mut() {
                    s.pop();
                }
            })
            .map(drop),
        ),
        (
            "bob's key in the key field",
            Err(SignError::BadKey),
            tamper(&|m| m.key = Some(reference::sign::encode_public_key(&keypair(1).public()))).map(drop),
        ),
        (
            "alice's own key in the key field (allowed: it matches from)",
            Ok(()),
            tamper(&|m| m.key = Some(reference::sign::encode_public_key(&alice.public()))).map(drop),
        ),
        // Several faults at once: the first in verify()'s documented order is the error.
        (
            "no from and no signature (from is checked first: MissingFrom)",
            Err(SignError::MissingFrom),
            tamper(&|m| {
                m.from = None;
                m.signature = None;
            })
            .map(drop),
        ),
        (
            "no seqno and no signature (seqno is checked before the signature: BadSeqno)",
            Err(SignError::BadSeqno),
            tamper(&|m| {
                m.seqno = None;
                m.signature = None;
            })
            .map(drop),
        ),
        (
            "bob's key in the key field and other data (the key is checked before the signature: BadKey)",
            Err(SignError::BadKey),
            tamper(&|m| {
                m.key = Some(reference::sign::encode_public_key(&keypair(1).public()));
                m.data = Some(b"hellO".to_vec());
            })
            .map(drop),
        ),
    ];
    for (what, expected, got) in cases {
        assert_eq!(got, expected, "verify() on a message with {what}");
    }
}

fn to_reference(m: &subject::Message) -> reference::Message {
    reference::Message {
        from: m.from.clone(),
        data: m.data.clone(),
        seqno: m.seqno.clone(),
        topic: m.topic.clone(),
        signature: m.signature.clone(),
        key: m.key.clone(),
    }
}

// ---- One router, fed frames by hand ----

/// One node (n0) among `peers` others (n1, n2, …), driven directly: what it sends
/// is read back with the reference's decoder.
struct Bench {
    node: GossipsubNode,
    ctx: Context<Msg, Timer>,
    config: Config,
}

type Frames = Vec<(NodeId, reference::Rpc)>;

impl Bench {
    fn new(config: Config, peers: usize) -> Bench {
        let ids = (1..=peers).map(NodeId::node).collect();
        let mut ctx = Context::new(NodeId::node(0), ids, kit::seed(11));
        let mut node = GossipsubNode::new(keypair(0), config);
        node.on_start(&mut ctx);
        ctx.drain();
        Bench { node, ctx, config }
    }

    /// What the node sent for the last input. It must be at most one frame per peer
    /// (the `on_message` contract): every check that drives a node by hand holds it to that.
    fn take(&mut self) -> (Frames, Vec<(NodeId, Msg)>) {
        let mut frames: Frames = Vec::new();
        let mut replies = Vec::new();
        for (to, message) in self.ctx.drain().messages {
            match message {
                Msg::Rpc { frame } => {
                    let rpc = reference::Rpc::decode(&frame).unwrap_or_else(|e| {
                        panic!("your node sent {to} a frame the reference cannot read ({e:?}): {}", hex(&frame))
                    });
                    frames.push((to, rpc));
                }
                other => replies.push((to, other)),
            }
        }
        for (to, _) in &frames {
            let n = frames.iter().filter(|(p, _)| p == to).count();
            let what: Vec<String> = frames
                .iter()
                .filter(|(p, _)| p == to)
                .map(|(_, r)| {
                    format!(
                        "subscriptions {}, messages {}, IHAVE {}, IWANT {}, GRAFT {}, PRUNE {}",
                        r.subscriptions.len(),
                        r.publish.len(),
                        r.control.ihave.len(),
                        r.control.iwant.len(),
                        r.control.graft.len(),
                        r.control.prune.len()
                    )
                })
                .collect();
            assert!(
                n <= 1,
                "one input, at most one frame per peer: your node sent {to} {n} frames for one input ({}). Collect \
                 what goes to each peer during the input into one Rpc and send it at the end",
                what.join("; ")
            );
        }
        (frames, replies)
    }

    fn client(&mut self, message: Msg) -> (Frames, Vec<(NodeId, Msg)>) {
        self.node.on_message(&mut self.ctx, NodeId::client(0), message);
        self.take()
    }

    fn from(&mut self, peer: usize, rpc: reference::Rpc) -> Frames {
        self.node.on_message(&mut self.ctx, NodeId::node(peer), Msg::Rpc { frame: rpc.encode() });
        self.take().0
    }

    fn raw(&mut self, peer: usize, frame: Vec<u8>) -> Frames {
        self.node.on_message(&mut self.ctx, NodeId::node(peer), Msg::Rpc { frame });
        self.take().0
    }

    fn tick(&mut self) -> Frames {
        let now = self.ctx.now() + self.config.heartbeat;
        self.ctx.set_now(now);
        self.node.on_timer(&mut self.ctx, Timer::Heartbeat);
        self.take().0
    }

    fn wait(&mut self, d: Duration) {
        let now = self.ctx.now() + d;
        self.ctx.set_now(now);
    }

    fn status(&self) -> Status {
        self.node.status()
    }

    fn mesh(&self) -> BTreeSet<NodeId> {
        self.status().mesh.get(TOPIC).cloned().unwrap_or_default()
    }

    /// Peers `peers` say they subscribe to TOPIC.
    fn announce(&mut self, peers: impl IntoIterator<Item = usize>) {
        for p in peers {
            self.from(p, sub(TOPIC));
        }
    }
}

fn sub(topic: &str) -> reference::Rpc {
    reference::Rpc {
        subscriptions: vec![reference::SubOpts { subscribe: true, topic: topic.into() }],
        ..Default::default()
    }
}

fn publish(messages: Vec<reference::Message>) -> reference::Rpc {
    reference::Rpc { publish: messages, ..Default::default() }
}

fn control(c: reference::Control) -> reference::Rpc {
    reference::Rpc { control: c, ..Default::default() }
}

fn graft(topic: &str) -> reference::Rpc {
    control(reference::Control { graft: vec![reference::Graft { topic: topic.into() }], ..Default::default() })
}

fn prune(topic: &str, backoff: Option<u64>) -> reference::Rpc {
    control(reference::Control { prune: vec![reference::Prune { topic: topic.into(), backoff }], ..Default::default() })
}

fn ihave(ids: Vec<Vec<u8>>) -> reference::Rpc {
    control(reference::Control { ihave: vec![reference::IHave { topic: TOPIC.into(), ids }], ..Default::default() })
}

fn iwant(ids: Vec<Vec<u8>>) -> reference::Rpc {
    control(reference::Control { iwant: vec![reference::IWant { ids }], ..Default::default() })
}

fn to(frames: &Frames, peer: usize) -> Vec<&reference::Rpc> {
    frames.iter().filter(|(p, _)| *p == NodeId::node(peer)).map(|(_, r)| r).collect()
}

fn carried(frames: &Frames) -> BTreeMap<NodeId, usize> {
    let mut out = BTreeMap::new();
    for (p, r) in frames {
        *out.entry(p.clone()).or_default() += r.publish.len();
    }
    out.retain(|_, n| *n > 0);
    out
}

fn grafted(frames: &Frames) -> BTreeSet<NodeId> {
    frames.iter().filter(|(_, r)| r.control.graft.iter().any(|g| g.topic == TOPIC)).map(|(p, _)| p.clone()).collect()
}

fn pruned(frames: &Frames) -> BTreeSet<NodeId> {
    frames.iter().filter(|(_, r)| r.control.prune.iter().any(|g| g.topic == TOPIC)).map(|(p, _)| p.clone()).collect()
}

fn set(peers: impl IntoIterator<Item = usize>) -> BTreeSet<NodeId> {
    peers.into_iter().map(NodeId::node).collect()
}

fn small() -> Config {
    Config { d: 3, d_lo: 2, d_hi: 4, d_lazy: 2, d_score: 2, ..Config::default() }
}

/// Joining, publishing and receiving: announce, flood your own, deliver each message once, forward to the mesh
#[test]
fn step_3_join_publish_deliver_once() {
    let mut b = Bench::new(small(), 6);
    b.announce([1, 2]);
    let (frames, replies) = b.client(Msg::Subscribe { topic: TOPIC.into() });
    assert_eq!(replies, vec![(NodeId::client(0), Msg::SubscribeOk)], "Subscribe is answered with SubscribeOk");
    for p in 1..=6 {
        let told = to(&frames, p).iter().any(|r| r.subscriptions.iter().any(|s| s.subscribe && s.topic == TOPIC));
        assert!(
            told,
            "after Subscribe, every peer hears it (n{p} got no SubOpts {{ subscribe: true, topic: {TOPIC:?} }})"
        );
    }
    assert_eq!(
        grafted(&frames),
        set([1, 2]),
        "joining a topic grafts up to D of the peers known to subscribe to it (n1 and n2 here, D = 3), and no one else"
    );
    assert_eq!(b.mesh(), set([1, 2]), "Status.mesh lists the peers grafted on joining");
    let per_peer: Vec<usize> = (1..=6).map(|p| to(&frames, p).len()).collect();
    assert!(
        per_peer.iter().all(|n| *n == 1),
        "one input, at most one frame per peer: frames per peer n1..n6 {per_peer:?}"
    );

    b.announce([3]);
    let (frames, replies) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"first".to_vec() });
    let [(_, Msg::PublishOk { id })] = replies.as_slice() else {
        panic!("Publish is answered with PublishOk {{ id }}: got {replies:?}")
    };
    let expected_id = [keypair(0).peer_id().to_bytes(), 1u64.to_be_bytes().to_vec()].concat();
    assert_eq!(hex(id), hex(&expected_id), "a node's first message has seqno 1, and its id is from ‖ seqno");
    assert_eq!(
        carried(&frames),
        [1, 2, 3].into_iter().map(|p| (NodeId::node(p), 1)).collect(),
        "flood publishing (v1.1): your own message goes to every peer subscribed to its topic (n1, n2, n3, mesh or \
         not), once each, and to no one else"
    );
    let sent = &to(&frames, 3)[0].publish[0];
    assert_eq!(
        reference::verify(sent).map(|p| p.to_bytes()),
        Ok(keypair(0).peer_id().to_bytes()),
        "the message you publish verifies (StrictSign)"
    );
    let (_, replies) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"second".to_vec() });
    let expected_id = [keypair(0).peer_id().to_bytes(), 2u64.to_be_bytes().to_vec()].concat();
    assert!(
        matches!(&replies[..], [(_, Msg::PublishOk { id })] if *id == expected_id),
        "the second message has seqno 2"
    );
    assert!(b.status().delivered.is_empty(), "a node does not deliver its own messages to itself");

    // Someone else's message, arriving from a mesh peer.
    let carol = keypair(7);
    let m = reference::sign(&carol, TOPIC, b"from carol", 5);
    let frames = b.from(1, publish(vec![m.clone()]));
    let delivered = b.status().delivered;
    assert_eq!(delivered.len(), 1, "a valid message on a subscribed topic is delivered (Status.delivered)");
    assert_eq!(delivered[0].data, b"from carol");
    assert_eq!(hex(&delivered[0].id), hex(&reference::message_id(&m)));
    assert_eq!(
        carried(&frames),
        [(NodeId::node(2), 1)].into_iter().collect(),
        "a received message is forwarded to the mesh (n1, n2) except the peer it came from (n1): only to n2, once"
    );
    let frames = b.from(2, publish(vec![m.clone()]));
    assert_eq!(
        b.status().delivered.len(),
        1,
        "the same message again (same from ‖ seqno) is not delivered twice: keep a seen cache"
    );
    assert!(carried(&frames).is_empty(), "a message seen before is not forwarded again: {:?}", carried(&frames));
    let frames = b.from(3, publish(vec![reference::sign(&carol, "elsewhere", b"x", 6)]));
    assert_eq!(b.status().delivered.len(), 1, "a message on a topic the node does not subscribe to is not delivered");
    assert!(carried(&frames).is_empty(), "nor forwarded");
    let again = reference::sign(&carol, TOPIC, b"from carol, again", 6);
    b.from(3, publish(vec![again]));
    assert_eq!(b.status().delivered.len(), 2, "a new seqno from the same author is a new message");

    // Two messages in one frame: forwarded to n2 as one frame that carries both.
    let pair = vec![reference::sign(&carol, TOPIC, b"pair 1", 7), reference::sign(&carol, TOPIC, b"pair 2", 8)];
    let frames = b.from(1, publish(pair));
    assert_eq!(b.status().delivered.len(), 4, "both messages of one frame are delivered");
    assert_eq!(
        to(&frames, 2).iter().map(|r| r.publish.len()).collect::<Vec<_>>(),
        vec![2],
        "two messages from n1 in one frame: forward both to n2 in one frame (one input, at most one frame per peer)"
    );
}

/// The mesh: GRAFT and PRUNE, kept between D_lo and D_hi on heartbeat; the heartbeat never GRAFTs a peer during its backoff
#[test]
fn step_4_mesh_heartbeat_backoff() {
    let config = small(); // D = 3, D_lo = 2, D_hi = 4
    let mut b = Bench::new(config, 8);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    assert!(b.mesh().is_empty(), "no peer is known to subscribe yet: the mesh is empty");
    b.announce(1..=8);
    let frames = b.tick();
    let mesh = b.mesh();
    assert_eq!(mesh.len(), 3, "below D_lo (2) the heartbeat grafts up to D (3) topic peers: mesh {mesh:?}");
    assert_eq!(grafted(&frames), mesh, "every peer added to the mesh gets a GRAFT, and only they");

    // Inbound GRAFTs are accepted...
    let outside: Vec<usize> = (1..=8).filter(|p| !mesh.contains(&NodeId::node(*p))).collect();
    for p in &outside[..3] {
        let frames = b.from(*p, graft(TOPIC));
        assert!(pruned(&frames).is_empty(), "a GRAFT from a subscribed peer in good standing is accepted, not pruned");
    }
    assert_eq!(b.mesh().len(), 6, "three accepted GRAFTs: the mesh has 6 peers (above D_hi until the heartbeat)");
    // ...and above D_hi the heartbeat prunes down to D.
    let frames = b.tick();
    let after = b.mesh();
    assert_eq!(after.len(), 3, "above D_hi (4) the heartbeat prunes down to D (3): mesh now {after:?}");
    let gone = pruned(&frames);
    assert_eq!(gone.len(), 3, "each peer dropped from the mesh gets a PRUNE: {gone:?}");
    for (p, rpc) in frames.iter().filter(|(p, _)| gone.contains(p)) {
        let backoff = rpc.control.prune.iter().find(|x| x.topic == TOPIC).and_then(|x| x.backoff);
        assert_eq!(backoff, Some(60), "the PRUNE to {p} carries the backoff in seconds (prune_backoff = 60 s)");
    }

    // A peer that prunes us leaves the mesh, and is not grafted again during its backoff.
    let victim: Vec<usize> = (1..=8).filter(|p| after.contains(&NodeId::node(*p))).collect();
    b.from(victim[0], prune(TOPIC, Some(30)));
    b.from(victim[1], prune(TOPIC, Some(30)));
    assert_eq!(b.mesh().len(), 1, "a PRUNE removes its sender from the mesh");
    let pruned_now: BTreeSet<NodeId> = set([victim[0], victim[1]]).union(&gone).cloned().collect();
    let frames = b.tick();
    let regrafted: BTreeSet<_> = grafted(&frames).intersection(&pruned_now).cloned().collect();
    assert!(
        regrafted.is_empty(),
        "the heartbeat grafted {regrafted:?} during their backoff: a peer that pruned you (30 s asked) or that you \
         pruned (60 s) must not be grafted before the backoff ends"
    );
    assert!(b.mesh().len() >= 2, "the heartbeat refills the mesh from the other topic peers: {:?}", b.mesh());
    let still_out: Vec<NodeId> = (1..=8).map(NodeId::node).filter(|p| !b.mesh().contains(p)).collect();
    assert!(!still_out.is_empty());
    // After the backoff, they are candidates again.
    b.wait(61 * SEC);
    for p in b.mesh() {
        b.from(p.as_str()[1..].parse().unwrap(), prune(TOPIC, Some(1)));
    }
    b.wait(2 * SEC);
    b.tick();
    assert_eq!(
        b.mesh().len(),
        3,
        "once every backoff has passed, the heartbeat grafts any topic peer again: {:?}",
        b.mesh()
    );

    // An unsubscribed peer leaves the mesh.
    let leaver = b.mesh().into_iter().next().unwrap();
    let unsub = reference::Rpc {
        subscriptions: vec![reference::SubOpts { subscribe: false, topic: TOPIC.into() }],
        ..Default::default()
    };
    b.from(leaver.as_str()[1..].parse().unwrap(), unsub);
    b.tick();
    assert!(!b.mesh().contains(&leaver), "a peer that unsubscribes from the topic leaves the mesh");
    // A GRAFT for a topic we are not in is answered with PRUNE.
    let frames = b.from(1, graft("elsewhere"));
    let answered = frames.iter().any(|(_, r)| r.control.prune.iter().any(|p| p.topic == "elsewhere"));
    assert!(answered, "a GRAFT for a topic the node does not subscribe to is answered with a PRUNE for that topic");
    assert!(b.status().mesh.get("elsewhere").is_none_or(|m| m.is_empty()), "and no mesh is made for it");
}

/// Fanout: publishing to a topic you are not in goes to D peers, the same ones, until the fanout TTL ends
#[test]
fn step_5_fanout() {
    let config = Config { flood_publish: false, ..small() };
    let mut b = Bench::new(config, 8);
    b.announce(1..=6);
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"one".to_vec() });
    let first: BTreeSet<NodeId> = carried(&frames).into_keys().collect();
    assert_eq!(
        first.len(),
        3,
        "without flood publishing, a message to a topic you do not subscribe to goes to D (3) of its peers: sent to {first:?}"
    );
    assert!(
        first.iter().all(|p| p.as_str()[1..].parse::<usize>().unwrap() <= 6),
        "only to peers subscribed to the topic: {first:?}"
    );
    assert_eq!(b.status().fanout.get(TOPIC), Some(&first), "Status.fanout lists them");
    assert!(grafted(&frames).is_empty(), "fanout peers are not grafted: fanout is one-way");
    b.tick();
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"two".to_vec() });
    let second: BTreeSet<NodeId> = carried(&frames).into_keys().collect();
    assert_eq!(second, first, "the next message goes to the same fanout peers (they are kept, not drawn again)");
    // Expiry.
    b.wait(config.fanout_ttl + SEC);
    b.tick();
    assert!(
        b.status().fanout.get(TOPIC).is_none_or(|f| f.is_empty()),
        "fanout_ttl after the last publish the heartbeat forgets the fanout set: {:?}",
        b.status().fanout
    );
    // Fanout becomes the mesh on joining.
    b.client(Msg::Publish { topic: TOPIC.into(), data: b"three".to_vec() });
    let fanout = b.status().fanout.get(TOPIC).cloned().unwrap_or_default();
    let (frames, _) = b.client(Msg::Subscribe { topic: TOPIC.into() });
    assert_eq!(b.mesh(), fanout, "joining a topic takes its fanout peers as the mesh");
    assert_eq!(grafted(&frames), fanout, "and grafts them");
    assert!(b.status().fanout.get(TOPIC).is_none_or(|f| f.is_empty()), "the topic leaves the fanout map once joined");

    // With flood publishing on, your own messages go to every topic peer.
    let mut b = Bench::new(small(), 8);
    b.announce(1..=6);
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"flood".to_vec() });
    assert_eq!(carried(&frames).len(), 6, "flood_publish on: your own message goes to all 6 topic peers, not D");
}

/// Gossip: IHAVE the last mcache_gossip heartbeats' ids to D_lazy peers outside the mesh; IWANT answered from the cache
#[test]
fn step_6_gossip_ihave_iwant() {
    let config = Config { d: 2, d_lo: 1, d_hi: 3, d_lazy: 2, mcache_len: 5, mcache_gossip: 3, ..small() };
    let mut b = Bench::new(config, 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let mesh = b.mesh();
    assert_eq!(mesh.len(), 2);
    let carol = keypair(7);
    let m1 = reference::sign(&carol, TOPIC, b"m1", 1);
    let sender = mesh.iter().next().unwrap().as_str()[1..].parse().unwrap();
    b.from(sender, publish(vec![m1.clone()]));
    let frames = b.tick();
    let gossiped: Vec<(&NodeId, &reference::IHave)> =
        frames.iter().flat_map(|(p, r)| r.control.ihave.iter().map(move |i| (p, i))).collect();
    let targets: BTreeSet<NodeId> = gossiped.iter().map(|(p, _)| (*p).clone()).collect();
    assert_eq!(targets.len(), 2, "at the heartbeat, IHAVE goes to D_lazy (2) topic peers: sent to {targets:?}");
    assert!(
        targets.is_disjoint(&mesh),
        "IHAVE goes to peers outside the mesh (mesh peers get the messages themselves): {targets:?}, mesh {mesh:?}"
    );
    for (p, i) in &gossiped {
        assert_eq!(i.topic, TOPIC, "the IHAVE to {p} names the topic");
        assert_eq!(
            i.ids.iter().map(|x| hex(x)).collect::<Vec<_>>(),
            vec![hex(&reference::message_id(&m1))],
            "the IHAVE to {p} lists the id of the one message received"
        );
    }
    // A peer asks for it.
    let asker = targets.iter().next().unwrap().as_str()[1..].parse().unwrap();
    let frames = b.from(asker, iwant(vec![reference::message_id(&m1)]));
    let sent: Vec<_> = frames.iter().flat_map(|(_, r)| r.publish.iter()).collect();
    assert_eq!(sent.len(), 1, "IWANT for a cached message is answered with the message");
    assert_eq!(sent[0], &m1, "the message as it was received, byte for byte (its signature must still verify)");
    let frames = b.from(asker, iwant(vec![vec![1, 2, 3]]));
    assert!(frames.iter().all(|(_, r)| r.publish.is_empty()), "IWANT for an unknown id sends nothing");

    // Windows: advertised for mcache_gossip (3) heartbeats, served for mcache_len (5).
    let mut advertised = 1; // the heartbeat above
    for _ in 0..3 {
        let frames = b.tick();
        if frames.iter().any(|(_, r)| r.control.ihave.iter().any(|i| i.ids.contains(&reference::message_id(&m1)))) {
            advertised += 1;
        }
    }
    assert_eq!(
        advertised, 3,
        "the message was in IHAVE at {advertised} heartbeats: IHAVE lists only the last mcache_gossip (3) heartbeats' \
         messages, not the whole cache"
    );
    let frames = b.from(asker, iwant(vec![reference::message_id(&m1)]));
    assert_eq!(
        frames.iter().map(|(_, r)| r.publish.len()).sum::<usize>(),
        1,
        "4 heartbeats after it arrived the message is still cached for IWANT (mcache_len = 5)"
    );
    b.tick();
    let frames = b.from(asker, iwant(vec![reference::message_id(&m1)]));
    assert_eq!(
        frames.iter().map(|(_, r)| r.publish.len()).sum::<usize>(),
        0,
        "5 heartbeats after it arrived (mcache_len = 5) the message has left the cache: IWANT gets nothing"
    );

    // IHAVE in: ask for what is new, not for what was seen.
    let m2 = reference::sign(&carol, TOPIC, b"m2", 2);
    let m3 = reference::sign(&carol, TOPIC, b"m3", 3);
    b.from(sender, publish(vec![m2.clone()]));
    let frames = b.from(4, ihave(vec![reference::message_id(&m2), reference::message_id(&m3)]));
    let wanted: Vec<String> =
        frames.iter().flat_map(|(_, r)| r.control.iwant.iter().flat_map(|w| w.ids.iter().map(|x| hex(x)))).collect();
    assert_eq!(
        wanted,
        vec![hex(&reference::message_id(&m3))],
        "IHAVE of m2 (seen) and m3 (new): IWANT only m3, to the peer that offered it"
    );
    let frames = b.from(4, publish(vec![m3.clone()]));
    assert!(
        b.status().delivered.iter().any(|d| d.data == b"m3"),
        "the message that answers IWANT is delivered like any other"
    );
    let _ = frames;
}

fn score(b: &Bench, peer: usize) -> f64 {
    b.status().scores.get(&NodeId::node(peer)).copied().unwrap_or(0.0)
}

/// Validation and score: invalid messages and GRAFT during backoff cost score; a low score shuts a peer out step by step
#[test]
fn step_7_validation_and_score() {
    fn picky(_: &str, data: &[u8]) -> Validation {
        match data {
            b"spam" => Validation::Reject,
            b"later" => Validation::Ignore,
            _ => Validation::Accept,
        }
    }
    let config = Config { validator: picky, ..small() };
    let mut b = Bench::new(config, 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let carol = keypair(7);

    // A forgery must not take a real message's place in the seen cache.
    let real = reference::sign(&carol, TOPIC, b"real", 9);
    let mut forged = real.clone();
    forged.data = Some(b"forged".to_vec());
    let frames = b.from(5, publish(vec![forged]));
    assert!(b.status().delivered.is_empty(), "a message whose signature does not verify is not delivered");
    assert!(carried(&frames).is_empty(), "nor forwarded");
    assert_eq!(score(&b, 5), -10.0, "one invalid message: the sender's score is invalid_message_weight × 1² = −10");
    b.from(6, publish(vec![real.clone()]));
    assert_eq!(
        b.status().delivered.iter().map(|d| d.data.clone()).collect::<Vec<_>>(),
        vec![b"real".to_vec()],
        "the real message with the forgery's id (same from ‖ seqno) must still be delivered: verify the signature \
         before you put an id in the seen cache"
    );
    assert_eq!(score(&b, 6), 0.0, "an honest sender keeps score 0");
    let mut unsigned = reference::sign(&carol, TOPIC, b"unsigned", 30);
    unsigned.signature = None;
    b.from(2, publish(vec![unsigned]));
    assert!(
        !b.status().delivered.iter().any(|d| d.data == b"unsigned"),
        "a message without a signature was delivered: StrictSign refuses it (verify() says MissingSignature)"
    );
    assert_eq!(score(&b, 2), -10.0, "an unsigned message is an invalid message of the peer that sent it: −10");

    // Validation results.
    b.from(6, publish(vec![reference::sign(&carol, TOPIC, b"later", 10)]));
    assert_eq!(b.status().delivered.len(), 1, "Validation::Ignore: not delivered");
    assert_eq!(score(&b, 6), 0.0, "Validation::Ignore blames no one");
    let frames = b.from(4, publish(vec![reference::sign(&carol, TOPIC, b"spam", 11)]));
    assert_eq!(b.status().delivered.len(), 1, "Validation::Reject: not delivered");
    assert!(carried(&frames).is_empty(), "nor forwarded");
    assert_eq!(score(&b, 4), -10.0, "Validation::Reject counts as an invalid message of the peer that sent it");
    b.from(4, publish(vec![reference::sign(&carol, TOPIC, b"spam", 12)]));
    assert_eq!(score(&b, 4), -40.0, "two invalid messages: −10 × 2² = −40 (the counter is squared)");
    b.raw(3, vec![0x12, 0x05, 0x0a]);
    assert_eq!(score(&b, 3), -10.0, "an undecodable frame counts as one invalid message");

    // Decay.
    b.tick();
    let decayed = score(&b, 3);
    assert!(
        (decayed - (-10.0 * 0.81)).abs() < 1e-9,
        "at each heartbeat the counters decay by score_decay (0.9): −10 × 0.9² = −8.1, got {decayed}"
    );

    // A negative score: out of the mesh, its GRAFT refused.
    let mesh = b.mesh();
    for p in [3, 4, 5] {
        assert!(
            !mesh.contains(&NodeId::node(p)),
            "n{p} has a negative score: the heartbeat keeps it out of the mesh (mesh {mesh:?})"
        );
    }
    let frames = b.from(5, graft(TOPIC));
    assert!(
        pruned(&frames).contains(&NodeId::node(5)),
        "a GRAFT from a peer with a negative score is answered with PRUNE"
    );
    assert!(!b.mesh().contains(&NodeId::node(5)), "and the peer stays out");

    // Below gossip_threshold (−10): no IHAVE from it is answered.
    let fresh = reference::sign(&carol, TOPIC, b"fresh", 20);
    let frames = b.from(4, ihave(vec![reference::message_id(&fresh)]));
    assert!(
        frames.iter().all(|(_, r)| r.control.iwant.is_empty()),
        "n4's score ({}) is below gossip_threshold (−10): its IHAVE is ignored",
        score(&b, 4)
    );
    // Below graylist_threshold (−80): everything it sends is ignored.
    b.from(4, publish(vec![reference::sign(&carol, TOPIC, b"spam", 13)]));
    b.from(4, publish(vec![reference::sign(&carol, TOPIC, b"spam", 14)]));
    assert!(
        score(&b, 4) < -80.0,
        "two more invalid messages: n4's score {} must be below graylist_threshold (−80)",
        score(&b, 4)
    );
    b.from(4, publish(vec![fresh.clone()]));
    assert!(
        !b.status().delivered.iter().any(|d| d.data == b"fresh"),
        "a graylisted peer (score below −80) is ignored whole: even a valid message from it is not read"
    );

    // GRAFT during backoff.
    let mut b = Bench::new(small(), 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let member = b.mesh().into_iter().next().unwrap();
    let m: usize = member.as_str()[1..].parse().unwrap();
    b.from(m, prune(TOPIC, Some(60)));
    let frames = b.from(m, graft(TOPIC));
    assert!(
        pruned(&frames).contains(&member),
        "{member} pruned us (60 s backoff) and GRAFTs 0 s later: refuse with PRUNE (v1.1, Prune Backoff)"
    );
    assert!(!b.mesh().contains(&member), "and keep it out of the mesh");
    assert_eq!(score(&b, m), -10.0, "a GRAFT during backoff is a behaviour penalty: −10 × 1² = −10");

    // A GRAFT from a peer with a negative score, and no backoff: refused all the same.
    let mut b = Bench::new(small(), 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let mesh = b.mesh();
    let outsider: usize = (1..=6).find(|p| !mesh.contains(&NodeId::node(*p))).expect("a peer outside the mesh");
    let mut forged = reference::sign(&carol, TOPIC, b"real", 40);
    forged.data = Some(b"forged".to_vec());
    b.from(outsider, publish(vec![forged]));
    assert_eq!(score(&b, outsider), -10.0, "one forged message: n{outsider}'s score is −10");
    let frames = b.from(outsider, graft(TOPIC));
    assert!(
        pruned(&frames).contains(&NodeId::node(outsider)) && !b.mesh().contains(&NodeId::node(outsider)),
        "n{outsider} has score −10 (one forged message), was never in your mesh and has no backoff, and GRAFTs: a \
         GRAFT from a peer whose score is below 0 is refused (answered with PRUNE, kept out of the mesh; v1.1, \
         Score Thresholds); mesh now {:?}",
        b.mesh()
    );

    // IHAVE floods: at most max_ihave_messages IHAVEs read, and max_ihave_length ids asked,
    // from one peer per heartbeat.
    let config = Config { max_ihave_messages: 2, max_ihave_length: 3, ..small() };
    let mut b = Bench::new(config, 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let offered: Vec<Vec<u8>> =
        (0..8).map(|k| reference::message_id(&reference::sign(&carol, TOPIC, b"offer", 200 + k))).collect();
    let mut asked = Vec::new();
    for id in &offered[..4] {
        let frames = b.from(6, ihave(vec![id.clone()]));
        asked.extend(frames.iter().flat_map(|(_, r)| r.control.iwant.iter().flat_map(|w| w.ids.clone())));
    }
    assert_eq!(
        asked.len(),
        2,
        "n6 sent 4 IHAVEs of one new id each within one heartbeat, and you asked for {} ids: read at most \
         max_ihave_messages (2) IHAVEs from one peer per heartbeat, ignore the rest",
        asked.len()
    );
    b.tick();
    let mut asked = Vec::new();
    for pair in offered[4..].chunks(2) {
        let frames = b.from(6, ihave(pair.to_vec()));
        asked.extend(frames.iter().flat_map(|(_, r)| r.control.iwant.iter().flat_map(|w| w.ids.clone())));
    }
    assert_eq!(
        asked.len(),
        3,
        "after the heartbeat n6 sent 2 IHAVEs of 2 new ids each, and you asked for {} ids: the IHAVE count starts \
         again at each heartbeat, and at most max_ihave_length (3) ids are asked of one peer per heartbeat",
        asked.len()
    );

    // IWANT floods: one message, at most gossip_retransmission (3) times to one peer.
    let mut b = Bench::new(small(), 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let m = reference::sign(&carol, TOPIC, b"popular", 1);
    b.from(1, publish(vec![m.clone()]));
    let mut copies = 0;
    for _ in 0..20 {
        let frames = b.from(2, iwant(vec![reference::message_id(&m)]));
        copies += frames.iter().map(|(_, r)| r.publish.len()).sum::<usize>();
    }
    assert_eq!(
        copies, 3,
        "20 IWANTs for one message from one peer got {copies} copies: answer at most gossip_retransmission (3)"
    );
    let frames = b.from(3, iwant(vec![reference::message_id(&m)]));
    assert_eq!(
        frames.iter().map(|(_, r)| r.publish.len()).sum::<usize>(),
        1,
        "the limit is per peer: another peer still gets it"
    );

    // P3: mesh peers that deliver too little, once they have been in the mesh a while.
    let config = Config {
        mesh_delivery_weight: -1.0,
        mesh_delivery_threshold: 1.0,
        mesh_delivery_activation: 3 * SEC,
        ..small()
    };
    let mut b = Bench::new(config, 6);
    b.announce(1..=6);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    let mesh = b.mesh();
    let worker = mesh.iter().next().unwrap().clone();
    let w: usize = worker.as_str()[1..].parse().unwrap();
    for k in 0..3 {
        b.from(w, publish(vec![reference::sign(&carol, TOPIC, format!("work {k}").as_bytes(), 100 + k)]));
    }
    b.tick();
    b.tick();
    assert_eq!(
        b.mesh(),
        mesh,
        "two heartbeats after joining, no mesh peer has been in the mesh for mesh_delivery_activation (3 s): its \
         delivery deficit does not count yet, and the mesh stays as it was"
    );
    b.tick();
    b.tick();
    let now = b.mesh();
    assert!(
        now.contains(&worker),
        "{worker} delivered 3 messages first (2.2 after decay, above mesh_delivery_threshold 1): it stays in the mesh \
         (mesh now {now:?})"
    );
    for idle in mesh.iter().filter(|p| **p != worker) {
        assert!(
            !now.contains(idle),
            "{idle} has been in the mesh for 3 s and delivered nothing: its score is mesh_delivery_weight × 1² = −1 \
             (P3), so the heartbeat prunes it (mesh now {now:?})"
        );
    }
}

// ---- Rooms ----

type Net = Sim<Msg, Timer>;

/// A room of `n` nodes of `make`, all subscribed to TOPIC, meshes settled.
fn room<N: Node<Message = Msg, Timer = Timer> + 'static>(
    n: usize,
    seed: u64,
    make: impl Fn(usize) -> N,
) -> (Net, Vec<NodeId>) {
    let mut sim: Net = Sim::new(SimConfig { seed, latency: 20 * MS, jitter: 20 * MS, ..SimConfig::default() });
    let ids: Vec<NodeId> = (0..n).map(|i| sim.add_node(make(i))).collect();
    for id in &ids {
        sim.client_send(&NodeId::client(0), id, Msg::Subscribe { topic: TOPIC.into() });
    }
    sim.run_for(3 * SEC);
    let oks = sim.take_client_messages().iter().filter(|m| m.message == Msg::SubscribeOk).count();
    assert_eq!(oks, n, "every node answers Subscribe with SubscribeOk");
    (sim, ids)
}

fn read_all(sim: &mut Net, ids: &[NodeId]) -> Vec<Status> {
    sim.take_client_messages();
    for id in ids {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(SEC);
    let mut reads: BTreeMap<NodeId, Status> = sim
        .take_client_messages()
        .into_iter()
        .filter_map(|m| match m.message {
            Msg::ReadOk { status } => Some((m.from, status)),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), ids.len(), "every node answers Read with ReadOk");
    ids.iter().map(|id| reads.remove(id).expect("answered")).collect()
}

struct Run {
    frames_per_line: f64,
    p50: Duration,
    p99: Duration,
}

/// Publishes `count` lines from random nodes among the first `from` of `ids`, 100 ms
/// apart (the RNG seeded with `seed`): who published each line, its id, and when.
fn publish_lines(
    sim: &mut Net,
    ids: &[NodeId],
    from: usize,
    count: usize,
    seed: u64,
) -> Vec<(usize, Vec<u8>, Duration)> {
    use kit::rand::{RngExt, SeedableRng};
    let mut rng = kit::NodeRng::seed_from_u64(seed);
    let mut published = Vec::new();
    for k in 0..count {
        let who = rng.random_range(0..from);
        let start = sim.now();
        sim.client_send(
            &NodeId::client(1),
            &ids[who],
            Msg::Publish { topic: TOPIC.into(), data: format!("line {k}").into_bytes() },
        );
        sim.run_for(100 * MS);
        let id = sim
            .take_client_messages()
            .into_iter()
            .find_map(|m| match m.message {
                Msg::PublishOk { id } => Some(id),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{} did not answer Publish with PublishOk within 100 ms", ids[who]));
        published.push((who, id, start));
    }
    published
}

/// Publishes `lines` lines from random honest nodes, 100 ms apart; checks every other
/// honest node delivered each exactly once; returns the cost and the latencies.
fn lines(sim: &mut Net, ids: &[NodeId], honest: usize, lines: usize, seed: u64) -> Run {
    let before = sim.report().server_messages;
    let published = publish_lines(sim, ids, honest, lines, seed);
    sim.run_for(5 * SEC);
    let sent = sim.report().server_messages - before;
    let reads = read_all(sim, &ids[..honest]);
    let mut latencies = Vec::new();
    for (who, id, start) in &published {
        for (i, status) in reads.iter().enumerate() {
            if i == *who {
                continue;
            }
            let copies = status.delivered.iter().filter(|d| d.id == *id).count();
            assert!(
                copies <= 1,
                "{} delivered a message {copies} times: the seen cache must stop every copy after the first",
                ids[i]
            );
            assert_eq!(
                copies,
                1,
                "{} never delivered the line {} published ({} of {} lines reached it)",
                ids[i],
                ids[*who],
                status.delivered.len(),
                published.len()
            );
        }
        let seen = sim.observers(&subject::hex(id));
        let observed: BTreeSet<&NodeId> = seen.iter().map(|(n, _)| n).filter(|n| ids[..honest].contains(n)).collect();
        assert_eq!(
            observed.len(),
            honest,
            "the line {} published reached every node, but only {} of the {honest} nodes called \
             ctx.observe(hex(&id)) for it: call it when you publish a message and when you deliver one (not for \
             copies), so the simulator can time the line; without it latency reads 0 / 0 ms",
            ids[*who],
            observed.len()
        );
        let last = seen.iter().filter(|(n, _)| ids[..honest].contains(n)).map(|(_, at)| *at).max().unwrap_or(*start);
        latencies.push(last.saturating_sub(*start));
    }
    let summary = kit::Summary::of(&latencies);
    Run { frames_per_line: sent as f64 / lines as f64, p50: summary.median, p99: summary.p99 }
}

/// Flooding, for comparison: every node sends every new message to every topic peer.
/// It uses the reference's codec and signatures, so the bytes are the same.
struct Flood {
    keypair: Keypair,
    seqno: u64,
    topic_peers: BTreeSet<NodeId>,
    seen: BTreeSet<Vec<u8>>,
}

impl Node for Flood {
    type Message = Msg;
    type Timer = Timer;

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        let send_all =
            |ctx: &mut Context<Msg, Timer>, peers: &BTreeSet<NodeId>, rpc: &reference::Rpc, except: &NodeId| {
                let frame = rpc.encode();
                for p in peers.iter().filter(|p| *p != except) {
                    ctx.send(p.clone(), Msg::Rpc { frame: frame.clone() });
                }
            };
        match message {
            Msg::Subscribe { topic } => {
                let all: BTreeSet<NodeId> = ctx.peers().iter().cloned().collect();
                send_all(ctx, &all, &sub(&topic), &from);
                ctx.send(from, Msg::SubscribeOk);
            }
            Msg::Publish { topic, data } => {
                self.seqno += 1;
                let m = reference::sign(&self.keypair, &topic, &data, self.seqno);
                let id = reference::message_id(&m);
                self.seen.insert(id.clone());
                ctx.observe(subject::hex(&id));
                send_all(ctx, &self.topic_peers, &publish(vec![m]), &from);
                ctx.send(from, Msg::PublishOk { id });
            }
            Msg::Read => ctx.send(from, Msg::ReadOk { status: Status::default() }),
            Msg::Rpc { frame } => {
                let Ok(rpc) = reference::Rpc::decode(&frame) else { return };
                if !rpc.subscriptions.is_empty() {
                    self.topic_peers.insert(from.clone());
                }
                for m in rpc.publish {
                    let id = reference::message_id(&m);
                    if self.seen.contains(&id) || reference::verify(&m).is_err() {
                        continue;
                    }
                    self.seen.insert(id.clone());
                    ctx.observe(subject::hex(&id));
                    send_all(ctx, &self.topic_peers, &publish(vec![m]), &from);
                }
            }
            _ => {}
        }
    }
}

/// Rooms of 10, 50 and 200: every line reaches every node once, for far fewer messages than flooding
#[test]
fn step_8_rooms_against_flooding() {
    let seed = kit::seed(8);
    println!("seed {seed}");
    for (n, count) in [(10, 20), (50, 20), (200, 8)] {
        let (mut sim, ids) = room(n, seed, |i| GossipsubNode::new(keypair(i as u8 ^ 0x40), Config::default()));
        let gossip = lines(&mut sim, &ids, n, count, seed);
        let mesh_only = Config { flood_publish: false, ..Config::default() };
        let (mut sim, ids) = room(n, seed, |i| GossipsubNode::new(keypair(i as u8 ^ 0x40), mesh_only));
        let meshed = lines(&mut sim, &ids, n, count, seed);
        let (mut sim, ids) = room(n, seed, |i| Flood {
            keypair: keypair(i as u8 ^ 0x40),
            seqno: 0,
            topic_peers: BTreeSet::new(),
            seen: BTreeSet::new(),
        });
        let before = sim.report().server_messages;
        let flood = {
            let published = publish_lines(&mut sim, &ids, n, count, seed);
            sim.run_for(5 * SEC);
            let lat: Vec<Duration> = published
                .iter()
                .map(|(_, id, start)| {
                    sim.observers(&subject::hex(id)).iter().map(|(_, at)| *at).max().unwrap_or(*start) - *start
                })
                .collect();
            let s = kit::Summary::of(&lat);
            Run {
                frames_per_line: (sim.report().server_messages - before) as f64 / count as f64,
                p50: s.median,
                p99: s.p99,
            }
        };
        kit::figure(&format!("{n} nodes: gossipsub frames per line"), format!("{:.0}", gossip.frames_per_line));
        kit::figure(&format!("{n} nodes: flooding frames per line"), format!("{:.0}", flood.frames_per_line));
        kit::figure(
            &format!("{n} nodes: gossipsub without flood publishing, frames per line"),
            format!("{:.0}", meshed.frames_per_line),
        );
        kit::figure(
            &format!("{n} nodes: gossipsub without flood publishing, latency p50 / p99"),
            format!("{} / {} ms", meshed.p50.as_millis(), meshed.p99.as_millis()),
        );
        kit::figure(
            &format!("{n} nodes: gossipsub latency p50 / p99"),
            format!("{} / {} ms", gossip.p50.as_millis(), gossip.p99.as_millis()),
        );
        kit::figure(
            &format!("{n} nodes: flooding latency p50 / p99"),
            format!("{} / {} ms", flood.p50.as_millis(), flood.p99.as_millis()),
        );
        if n >= 50 {
            assert!(
                gossip.frames_per_line * 3.0 < flood.frames_per_line,
                "{n} nodes: gossipsub sent {:.0} frames per line, flooding {:.0}: a line should cost a few times N \
                 frames (forward to the mesh only, D ≈ 6), not N²",
                gossip.frames_per_line,
                flood.frames_per_line
            );
        }
    }
}

// ---- Attackers ----

/// Attackers in a room: a liar (forged and tampered messages), a GRAFT spammer (GRAFT during backoff) and an IWANT flooder
#[test]
fn step_9_attackers() {
    let seed = kit::seed(9);
    println!("seed {seed}");
    let honest = 12;
    let mut sim: Net = Sim::new(SimConfig { seed, latency: 20 * MS, jitter: 10 * MS, ..SimConfig::default() });
    let ids: Vec<NodeId> =
        (0..honest).map(|i| sim.add_node(GossipsubNode::new(keypair(i as u8), Config::default()))).collect();
    let liar = sim.add_node(Attacker::new(Attack::Liar));
    let spammer = sim.add_node(Attacker::new(Attack::GraftSpam));
    let flooder = sim.add_node(Attacker::new(Attack::IwantFlood));
    for id in &ids {
        sim.client_send(&NodeId::client(0), id, Msg::Subscribe { topic: TOPIC.into() });
    }
    sim.run_for(3 * SEC);
    let _ = lines(&mut sim, &ids, honest, 15, seed);
    sim.run_for(3 * SEC);
    let reads = read_all(&mut sim, &ids);
    let bad = subject::hex(b"forged");
    for (i, status) in reads.iter().enumerate() {
        assert!(
            !status.delivered.iter().any(|d| d.data.starts_with(b"forged") || d.data.starts_with(b"tampered")),
            "honest n{i} delivered a forged or tampered message: verify StrictSign before delivering ({bad})"
        );
        let score = |p: &NodeId| status.scores.get(p).copied().unwrap_or(0.0);
        assert!(
            score(&liar) < 0.0,
            "honest n{i} gives the liar ({liar}) score {}: each invalid message must cost it",
            score(&liar)
        );
        assert!(
            score(&spammer) < 0.0,
            "honest n{i} gives the GRAFT spammer ({spammer}) score {}: a GRAFT during backoff is a behaviour penalty",
            score(&spammer)
        );
        let mesh = status.mesh.get(TOPIC).cloned().unwrap_or_default();
        assert!(
            !mesh.contains(&liar) && !mesh.contains(&spammer),
            "honest n{i} still has an attacker in its mesh: {mesh:?}"
        );
    }
    // The flooder counts what it got per (sender, id).
    sim.client_send(&NodeId::client(2), &flooder, Msg::Read);
    sim.run_for(SEC);
    let got = sim
        .take_client_messages()
        .into_iter()
        .find_map(|m| match m.message {
            Msg::ReadOk { status } => Some(status.scores),
            _ => None,
        })
        .expect("the flooder answers");
    let worst = got.values().fold(0.0f64, |a, b| a.max(*b));
    kit::figure("most copies of one message one honest node sent the IWANT flooder", worst);
    assert!(
        worst <= 4.0,
        "an honest node sent the IWANT flooder {worst} copies of one message (it asks 30 times for each): answer IWANT \
         at most gossip_retransmission (3) times per message and peer"
    );
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Attack {
    Liar,
    GraftSpam,
    IwantFlood,
}

/// A hostile peer. It speaks correct protobuf (the reference's), and lies in it.
struct Attacker {
    attack: Attack,
    keypair: Keypair,
    seqno: u64,
    seen_ids: BTreeSet<Vec<u8>>,
    /// For the flooder: copies received per (sender, id).
    copies: BTreeMap<(NodeId, Vec<u8>), u32>,
}

impl Attacker {
    fn new(attack: Attack) -> Attacker {
        Attacker { attack, keypair: keypair(99), seqno: 0, seen_ids: BTreeSet::new(), copies: BTreeMap::new() }
    }

    fn send(ctx: &mut Context<Msg, Timer>, to: NodeId, rpc: reference::Rpc) {
        ctx.send(to, Msg::Rpc { frame: rpc.encode() });
    }
}

impl Node for Attacker {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        for p in ctx.peers().to_vec() {
            let mut rpc = sub(TOPIC);
            rpc.control.graft.push(reference::Graft { topic: TOPIC.into() });
            Attacker::send(ctx, p, rpc);
        }
        ctx.set_timer(200 * MS, Timer::Heartbeat);
    }

    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, _: Timer) {
        if ctx.now() > Duration::from_secs(15) {
            return;
        }
        let peers = ctx.peers().to_vec();
        match self.attack {
            Attack::Liar => {
                self.seqno += 1;
                // A message in an honest author's name, signed by the liar.
                let mut forged = reference::sign(&self.keypair, TOPIC, b"forged", self.seqno);
                forged.from = Some(keypair(0).peer_id().to_bytes());
                // Its own message, its data changed after signing.
                let mut tampered = reference::sign(&self.keypair, TOPIC, b"tampered?", self.seqno);
                tampered.data = Some(b"tampered!".to_vec());
                // Signed for another topic, sent on this one.
                let mut moved = reference::sign(&self.keypair, "elsewhere", b"tampered topic", self.seqno);
                moved.topic = TOPIC.into();
                for p in peers {
                    Attacker::send(ctx, p, publish(vec![forged.clone(), tampered.clone(), moved.clone()]));
                }
            }
            Attack::GraftSpam => {
                for p in peers {
                    Attacker::send(ctx, p.clone(), prune(TOPIC, Some(60)));
                    Attacker::send(ctx, p, graft(TOPIC));
                }
            }
            Attack::IwantFlood => {}
        }
        ctx.set_timer(200 * MS, Timer::Heartbeat);
    }

    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        match message {
            Msg::Read => {
                let scores = self
                    .copies
                    .iter()
                    .map(|((p, id), n)| (NodeId::new(format!("{p}/{}", hex(&id[id.len() - 2..]))), f64::from(*n)))
                    .collect();
                ctx.send(from, Msg::ReadOk { status: Status { scores, ..Status::default() } });
            }
            Msg::Rpc { frame } => {
                let Ok(rpc) = reference::Rpc::decode(&frame) else { return };
                if self.attack != Attack::IwantFlood {
                    return;
                }
                let mut ids: Vec<Vec<u8>> = rpc.control.ihave.iter().flat_map(|i| i.ids.clone()).collect();
                for m in &rpc.publish {
                    let id = reference::message_id(m);
                    *self.copies.entry((from.clone(), id.clone())).or_default() += 1;
                    if self.seen_ids.insert(id.clone()) {
                        ids.push(id);
                    }
                }
                if !ids.is_empty() {
                    for p in ctx.peers().to_vec() {
                        for _ in 0..30 {
                            Attacker::send(ctx, p.clone(), iwant(ids.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

// ---- Every interleaving ----

/// Three nodes, meshed, two messages published: every order of delivery and heartbeat delivers each message once on every node
#[test]
fn step_10_every_interleaving() {
    use kit::search::{Search, SearchConfig, View};

    let config = Config { d: 2, d_lo: 1, d_hi: 2, d_lazy: 1, d_score: 1, ..Config::default() };
    // Settle three nodes into a mesh by hand: subscriptions and GRAFTs, in order.
    let mut nodes: Vec<GossipsubNode> = (0..3).map(|i| GossipsubNode::new(keypair(i), config)).collect();
    let ids: Vec<NodeId> = (0..3).map(NodeId::node).collect();
    let mut ctxs: Vec<Context<Msg, Timer>> = (0..3)
        .map(|i| Context::new(ids[i].clone(), ids.iter().filter(|x| **x != ids[i]).cloned().collect(), i as u64))
        .collect();
    for joiner in 0..3 {
        let mut queue =
            std::collections::VecDeque::from([(NodeId::client(0), joiner, Msg::Subscribe { topic: TOPIC.into() })]);
        while let Some((from, i, message)) = queue.pop_front() {
            nodes[i].on_message(&mut ctxs[i], from, message);
            for (to, m) in ctxs[i].drain().messages {
                if let Some(j) = ids.iter().position(|x| *x == to) {
                    queue.push_back((ids[i].clone(), j, m));
                }
            }
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        let mesh = node.status().mesh.get(TOPIC).cloned().unwrap_or_default();
        assert_eq!(
            mesh.len(),
            2,
            "n{i} joined after hearing of the others' subscriptions: its mesh should hold both (D = 2), has {mesh:?}"
        );
    }

    let search_config =
        SearchConfig { max_drops: 0, max_timer_fires: 1, max_depth: 30, max_states: 300_000, settle_events: 60 };
    let mut search = Search::new(nodes, search_config);
    search.client_send(&NodeId::client(0), &NodeId::node(0), Msg::Publish { topic: TOPIC.into(), data: b"a".to_vec() });
    search.client_send(&NodeId::client(0), &NodeId::node(1), Msg::Publish { topic: TOPIC.into(), data: b"b".to_vec() });
    search.probe(Msg::Read);
    let safety = |view: &View<'_, GossipsubNode, Msg>| {
        for (i, node) in view.nodes.iter().enumerate() {
            let delivered = node.status().delivered;
            let distinct: BTreeSet<&Vec<u8>> = delivered.iter().map(|d| &d.id).collect();
            if distinct.len() != delivered.len() {
                return Err(format!(
                    "n{i} delivered a message twice: {:?}",
                    delivered.iter().map(|d| String::from_utf8_lossy(&d.data).into_owned()).collect::<Vec<_>>()
                ));
            }
        }
        Ok(())
    };
    let liveness = |view: &View<'_, GossipsubNode, Msg>| {
        for (i, answers) in view.probed.iter().enumerate() {
            let [Msg::ReadOk { status }] = answers.as_slice() else {
                return Err(format!("n{i} must answer Read with one ReadOk, got {answers:?}"));
            };
            let mut got: Vec<Vec<u8>> = status.delivered.iter().map(|d| d.data.clone()).collect();
            got.sort();
            let expected: Vec<Vec<u8>> = match i {
                0 => vec![b"b".to_vec()],
                1 => vec![b"a".to_vec()],
                _ => vec![b"a".to_vec(), b"b".to_vec()],
            };
            if got != expected {
                return Err(format!(
                    "n{i} delivered {:?}, expected {:?} (each other node's message, once)",
                    got.iter().map(|d| String::from_utf8_lossy(d).into_owned()).collect::<Vec<_>>(),
                    expected.iter().map(|d| String::from_utf8_lossy(d).into_owned()).collect::<Vec<_>>()
                ));
            }
        }
        Ok(())
    };
    search.run(safety, liveness).assert_holds();
}

// ---- Peers come and go ----

fn topic_sub(topics: impl IntoIterator<Item = String>, subscribe: bool) -> reference::Rpc {
    reference::Rpc {
        subscriptions: topics.into_iter().map(|topic| reference::SubOpts { subscribe, topic }).collect(),
        ..Default::default()
    }
}

/// Peers come and go: PeerUp sends your subscriptions, PeerDown frees the peer but keeps a bad score, Take drains, a peer's topics are bounded
#[test]
fn step_11_peers_come_and_go() {
    // The host lists no peers (`ctx.peers()` is empty): they come by PeerUp, as
    // connections do.
    let mut b = Bench::new(small(), 0);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    for p in 1..=3 {
        let (frames, replies) = b.client(Msg::PeerUp { peer: NodeId::node(p) });
        assert!(
            replies.is_empty(),
            "PeerUp is an event from the host, not a request: answer nothing (got {replies:?})"
        );
        let told = to(&frames, p).iter().any(|r| r.subscriptions.iter().any(|s| s.subscribe && s.topic == TOPIC));
        assert!(
            told,
            "PeerUp {{ peer: n{p} }} after you joined {TOPIC:?}: send n{p} your subscriptions at once (SubOpts {{ \
             subscribe: true, topic: {TOPIC:?} }}); a peer that connects later hears of your topics only this way \
             (gossipsub v1.0: a router sends its subscriptions on every new connection)"
        );
        let others: Vec<&NodeId> = frames.iter().map(|(q, _)| q).filter(|q| **q != NodeId::node(p)).collect();
        assert!(others.is_empty(), "PeerUp {{ peer: n{p} }} sends to n{p} only, not to {others:?}");
    }
    assert_eq!(b.status().peers, set(1..=3), "Status.peers lists the peers connected by PeerUp");
    let (frames, _) = b.client(Msg::Subscribe { topic: "later".into() });
    for p in 1..=3 {
        let told = to(&frames, p).iter().any(|r| r.subscriptions.iter().any(|s| s.subscribe && s.topic == "later"));
        assert!(told, "a topic joined after PeerUp {{ peer: n{p} }} is announced to n{p}: it is one of your peers now");
    }

    // Give every peer some state: topics, mesh, fanout, deliveries, IWANT served,
    // IHAVE counted, a backoff.
    for p in 1..=3 {
        b.from(p, topic_sub([TOPIC.to_string(), "elsewhere".to_string()], true));
    }
    b.tick();
    assert_eq!(b.mesh(), set(1..=3), "three topic peers, D = 3: the heartbeat grafts all of them");
    b.client(Msg::Publish { topic: "elsewhere".into(), data: b"out".to_vec() });
    assert_eq!(b.status().fanout.get("elsewhere"), Some(&set(1..=3)), "publishing to a topic you are not in: fanout");
    let carol = keypair(7);
    let m = reference::sign(&carol, TOPIC, b"hello", 1);
    b.from(1, publish(vec![m.clone()]));
    b.from(2, iwant(vec![reference::message_id(&m)]));
    b.from(2, ihave(vec![reference::message_id(&reference::sign(&carol, TOPIC, b"new", 2))]));
    b.from(2, prune(TOPIC, Some(60)));

    for p in [1, 2] {
        let (frames, replies) = b.client(Msg::PeerDown { peer: NodeId::node(p) });
        assert!(replies.is_empty() && frames.is_empty(), "PeerDown is answered with nothing and sends nothing");
    }
    assert_eq!(b.mesh(), set([3]), "PeerDown {{ n1 }}, PeerDown {{ n2 }}: they leave the mesh at once");
    assert_eq!(b.status().fanout.get("elsewhere"), Some(&set([3])), "and every fanout set at once");
    let kept = b.status().peers;
    assert_eq!(
        kept,
        set([3]),
        "after PeerDown of n1 and n2, Status.peers still lists {kept:?}: free everything you keep for a peer that left \
         (its topics, mesh and fanout places, delivery counts, IWANT and IHAVE counts, backoffs), or every peer that \
         ever connected stays in memory"
    );
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"after".to_vec() });
    assert_eq!(
        carried(&frames).into_keys().collect::<BTreeSet<_>>(),
        set([3]),
        "after PeerDown of n1 and n2, your message goes to n3 only: they left the topic when they left"
    );
    for _ in 0..3 {
        let frames = b.tick();
        let stale: Vec<&NodeId> = frames.iter().map(|(p, _)| p).filter(|p| **p != NodeId::node(3)).collect();
        assert!(stale.is_empty(), "a heartbeat after PeerDown sent frames to {stale:?}, who left (GRAFT? IHAVE?)");
    }
    b.client(Msg::PeerUp { peer: NodeId::node(1) });
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"again".to_vec() });
    assert_eq!(
        carried(&frames).into_keys().collect::<BTreeSet<_>>(),
        set([3]),
        "n1 reconnected but has not announced its topics again: it starts afresh, so your message goes to n3 only"
    );

    // A bad score survives leaving.
    b.client(Msg::PeerUp { peer: NodeId::node(4) });
    b.from(4, sub(TOPIC));
    let mut forged = reference::sign(&carol, TOPIC, b"real", 9);
    forged.data = Some(b"forged".to_vec());
    b.from(4, publish(vec![forged]));
    assert_eq!(score(&b, 4), -10.0, "n4 sent a forgery: −10");
    b.client(Msg::PeerDown { peer: NodeId::node(4) });
    assert!(!b.status().peers.contains(&NodeId::node(4)), "n4 left: it is not in Status.peers");
    assert_eq!(
        score(&b, 4),
        -10.0,
        "n4 left with a negative score (−10): keep its counters for retain_score (v1.1, RetainScore), so that a \
         peer cannot clear a bad score by reconnecting; Status.scores still shows it"
    );
    b.client(Msg::PeerUp { peer: NodeId::node(4) });
    b.from(4, sub(TOPIC));
    assert_eq!(score(&b, 4), -10.0, "n4 reconnected: it keeps its bad score (−10)");
    let frames = b.from(4, graft(TOPIC));
    assert!(pruned(&frames).contains(&NodeId::node(4)), "n4 reconnected with a negative score: its GRAFT is pruned");
    b.client(Msg::PeerDown { peer: NodeId::node(3) });
    assert!(!b.status().scores.contains_key(&NodeId::node(3)), "n3 left with score 0: nothing of it is kept");

    // Retained scores are bounded in time and in count.
    let config = Config { score_decay: 1.0, retain_score: 5 * SEC, max_retained_scores: 2, ..small() };
    let mut b = Bench::new(config, 0);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    for p in [5, 6, 7] {
        b.client(Msg::PeerUp { peer: NodeId::node(p) });
        b.from(p, sub(TOPIC));
        b.raw(p, vec![0x12, 0x05, 0x0a]);
        b.client(Msg::PeerDown { peer: NodeId::node(p) });
        b.tick();
    }
    let scored: BTreeSet<NodeId> = b.status().scores.into_keys().collect();
    assert_eq!(
        scored,
        set([6, 7]),
        "three peers left with bad scores and max_retained_scores is 2: keep the two forgotten last (n6, n7), drop n5"
    );
    for _ in 0..5 {
        b.tick();
    }
    assert!(
        b.status().scores.is_empty(),
        "retain_score (5 s) after they left, their scores are forgotten even without decay: {:?}",
        b.status().scores
    );

    // Take drains; Read keeps a bounded window.
    let config = Config { max_delivered: 2, ..small() };
    let mut b = Bench::new(config, 0);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    b.client(Msg::PeerUp { peer: NodeId::node(1) });
    b.from(1, sub(TOPIC));
    let lines: Vec<reference::Message> =
        (1..=3).map(|k| reference::sign(&carol, TOPIC, format!("line {k}").as_bytes(), k)).collect();
    b.from(1, publish(lines[..2].to_vec()));
    let (_, replies) = b.client(Msg::Take);
    let [(_, Msg::TakeOk { delivered })] = replies.as_slice() else {
        panic!("Take is answered with one TakeOk {{ delivered }}: got {replies:?}")
    };
    let texts: Vec<String> = delivered.iter().map(|d| String::from_utf8_lossy(&d.data).into_owned()).collect();
    assert_eq!(texts, ["line 1", "line 2"], "Take hands over what was delivered, in order");
    let (_, replies) = b.client(Msg::Take);
    assert!(
        matches!(replies.as_slice(), [(_, Msg::TakeOk { delivered })] if delivered.is_empty()),
        "Take drains: a second Take with nothing new delivered gets an empty list, got {replies:?}"
    );
    assert!(b.status().delivered.is_empty(), "after Take, Read's delivered list is empty too");
    b.from(1, publish(vec![lines[2].clone()]));
    for k in 4..=6 {
        b.from(1, publish(vec![reference::sign(&carol, TOPIC, format!("line {k}").as_bytes(), k)]));
    }
    let status = b.status();
    let texts: Vec<String> = status.delivered.iter().map(|d| String::from_utf8_lossy(&d.data).into_owned()).collect();
    assert_eq!(
        (texts.as_slice(), status.dropped),
        (&["line 5".to_string(), "line 6".to_string()][..], 2),
        "four delivered and none taken, max_delivered = 2: keep the newest two, drop the oldest, count them in \
         Status.dropped"
    );

    // A peer's topics are bounded.
    let mut b = Bench::new(small(), 0);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    b.client(Msg::PeerUp { peer: NodeId::node(1) });
    b.client(Msg::PeerUp { peer: NodeId::node(2) });
    let topics = |range: std::ops::Range<usize>| range.map(|k| format!("t{k}")).collect::<Vec<_>>();
    b.from(1, topic_sub(topics(0..64), true));
    assert_eq!(score(&b, 1), 0.0, "64 topics (max_topics_per_peer) is allowed");
    b.from(1, topic_sub(topics(64..65), true));
    assert_eq!(
        score(&b, 1),
        -10.0,
        "n1, subscribed to 64 topics, subscribes to a 65th: refuse it (max_topics_per_peer = 64) and count one invalid \
         message, or any peer can grow your table of topics without bound"
    );
    let (frames, _) = b.client(Msg::Publish { topic: "t64".into(), data: b"x".to_vec() });
    assert!(carried(&frames).is_empty(), "n1's 65th topic was refused: your message on it goes to no one");
    let mut swap = topic_sub(topics(0..1), false);
    swap.subscriptions.extend(topic_sub(topics(65..66), true).subscriptions);
    b.from(1, swap);
    assert_eq!(score(&b, 1), -10.0, "one frame that leaves t0 and joins t65 keeps n1 at 64 topics: allowed");
    let (frames, _) = b.client(Msg::Publish { topic: "t65".into(), data: b"y".to_vec() });
    assert_eq!(carried(&frames).into_keys().collect::<BTreeSet<_>>(), set([1]), "n1 is in t65 now");
    let mut big = topic_sub(topics(100..165), true);
    big.subscriptions.push(reference::SubOpts { subscribe: true, topic: TOPIC.into() });
    b.from(2, big);
    let (frames, _) = b.client(Msg::Publish { topic: TOPIC.into(), data: b"z".to_vec() });
    assert!(
        !carried(&frames).contains_key(&NodeId::node(2)),
        "n2 sent one frame with 66 subscriptions: all of them are ignored (the count after the whole frame, as \
         rust-libp2p's MaxCountSubscriptionFilter), {TOPIC:?} too"
    );

    // Churn: many peers come and go, nothing stays.
    let mut b = Bench::new(small(), 0);
    b.client(Msg::Subscribe { topic: TOPIC.into() });
    for p in 1..=200 {
        b.client(Msg::PeerUp { peer: NodeId::node(p) });
        b.from(p, sub(TOPIC));
        b.from(p, publish(vec![reference::sign(&carol, TOPIC, b"churn", p as u64)]));
        if p % 10 == 0 {
            b.tick();
        }
        b.client(Msg::PeerDown { peer: NodeId::node(p) });
    }
    let status = b.status();
    assert!(
        status.peers.is_empty() && status.mesh.values().all(|m| m.is_empty()),
        "200 peers connected, subscribed, sent a message and left: the node still keeps {} of them ({:?}…)",
        status.peers.len(),
        status.peers.iter().take(5).collect::<Vec<_>>()
    );
}
