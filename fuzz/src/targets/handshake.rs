//! The handshake (solutions/08-handshake): multistream-select messages and both sides
//! of a negotiation, the `NoiseHandshakePayload` decoder, the three Noise XX messages
//! each read in its place, and transport messages after the handshake.

use handshake_solution::identity::Keypair;
use handshake_solution::negotiate::{self, MULTISTREAM, NOISE, NOT_AVAILABLE, YAMUX};
use handshake_solution::payload::get_varint;
use handshake_solution::secure::read_frame;
use handshake_solution::{Handshake, Payload, Role, Session, identity_payload, verify_payload};
use tokio::io::{AsyncWriteExt, duplex};

use super::block_on;
use crate::harness::{MAX_ALLOC, Target};

/// multistream-select's separators and protocol ids.
const MULTISTREAM_TOKENS: &[&[u8]] = &[b"\n", b"/", b"na", b"/noise", b"/yamux/1.0.0", b"/multistream/1.0.0", &[0x80]];

/// Protobuf field keys of the payload and its extensions (varint and length-delimited
/// wire types), and a varint continuation byte.
const PROTOBUF: &[&[u8]] = &[&[0x08], &[0x0a], &[0x10], &[0x12], &[0x1a], &[0x22], &[0x0d], &[0x09], &[0x80]];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "multistream",
            about: "handshake negotiate::decode, then listener_select and dialer_select reading the input as the peer",
            seeds: multistream_seeds,
            start: || Box::new(multistream_one),
            tokens: MULTISTREAM_TOKENS,
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "noise-payload",
            about: "handshake Payload::decode (NoiseHandshakePayload protobuf) and verify_payload",
            seeds: payload_seeds,
            start: || Box::new(payload_one),
            tokens: PROTOBUF,
            max_len: 1024,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "noise",
            about: "handshake Noise XX: the input read as message 1, 2 and 3 by a side at that point of a handshake",
            seeds: noise_seeds,
            start: || Box::new(noise_one),
            tokens: &[],
            max_len: 1024,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "noise-transport",
            about: "handshake secure::read_frame, then Session::decrypt of each frame after a real handshake",
            seeds: transport_seeds,
            start: || Box::new(transport_one),
            tokens: &[],
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn multistream_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> =
        [MULTISTREAM, NOISE, YAMUX, NOT_AVAILABLE, ""].iter().map(|t| negotiate::encode(t)).collect();
    // A dialer's opening (header and first proposal), and a listener's answers.
    for protocols in
        [&[MULTISTREAM, NOISE][..], &[MULTISTREAM, "/tls/1.0.0", NOISE], &[MULTISTREAM, NOT_AVAILABLE, NOISE]]
    {
        seeds.push(protocols.iter().flat_map(|p| negotiate::encode(p)).collect());
    }
    seeds
}

fn multistream_one(input: &[u8]) -> bool {
    let decoded = negotiate::decode(input);
    // The value, not the bytes: `get_varint` also reads a length in a longer form than
    // needed (`81 00` for 1), which protobuf allows and multiformats does not.
    if let Some(text) = &decoded {
        assert_eq!(
            negotiate::decode(&negotiate::encode(text)).as_ref(),
            Some(text),
            "a decoded message re-encodes to one that decodes to it"
        );
    }
    let listened = block_on("listener_select", async {
        let (mut peer, mut ours) = duplex(1 << 16);
        peer.write_all(input).await.expect("the pipe holds every input");
        let _ = peer.shutdown().await;
        negotiate::listener_select(&mut ours, &[NOISE, YAMUX]).await.is_ok()
    });
    let dialled = block_on("dialer_select", async {
        let (mut peer, mut ours) = duplex(1 << 16);
        peer.write_all(input).await.expect("the pipe holds every input");
        let _ = peer.shutdown().await;
        negotiate::dialer_select(&mut ours, &["/tls/1.0.0", NOISE]).await.is_ok()
    });
    decoded.is_some() || listened || dialled
}

fn keypair(byte: u8) -> Keypair {
    Keypair::from_secret_bytes([byte; 32])
}

/// The Noise static key the payload seeds sign.
const STATIC: [u8; 32] = [0x5a; 32];

fn payload_seeds() -> Vec<Vec<u8>> {
    let key = keypair(1);
    vec![
        identity_payload(&key, &STATIC, &[]),
        identity_payload(&key, &STATIC, &[YAMUX]),
        identity_payload(&key, &STATIC, &[YAMUX, "/mplex/6.7.0"]),
        Payload::default().encode(),
    ]
}

fn payload_one(input: &[u8]) -> bool {
    let _ = get_varint(input);
    let decoded = Payload::decode(input);
    if let Ok(payload) = &decoded {
        let again = Payload::decode(&payload.encode()).expect("a decoded payload re-encodes to one that decodes");
        assert_eq!(&again, payload, "decode(encode(p)) == p");
    }
    let _ = verify_payload(input, &STATIC);
    decoded.is_ok()
}

/// Both sides of one reproducible handshake: fixed identities and X25519 secrets, so
/// the seeds made here are the very messages these sides expect.
fn initiator() -> Handshake {
    Handshake::with_keys(Role::Initiator, keypair(1), [2; 32], [3; 32]).with_stream_muxers(&[YAMUX])
}

fn responder() -> Handshake {
    Handshake::with_keys(Role::Responder, keypair(4), [5; 32], [6; 32])
}

/// The three messages of the reproducible handshake, and the sessions it ends in.
fn handshake() -> ([Vec<u8>; 3], Session, Session) {
    let (mut i, mut r) = (initiator(), responder());
    let m1 = i.write_message().expect("message 1");
    r.read_message(&m1).expect("message 1 read");
    let m2 = r.write_message().expect("message 2");
    i.read_message(&m2).expect("message 2 read");
    let m3 = i.write_message().expect("message 3");
    r.read_message(&m3).expect("message 3 read");
    ([m1, m2, m3], i.finish().expect("initiator done"), r.finish().expect("responder done"))
}

fn noise_seeds() -> Vec<Vec<u8>> {
    handshake().0.to_vec()
}

fn noise_one(input: &[u8]) -> bool {
    // As message 1, read by a fresh responder.
    let mut accepted = responder().read_message(input).is_ok();
    // As message 2, read by the initiator that sent message 1.
    let mut i = initiator();
    let m1 = i.write_message().expect("message 1");
    if i.read_message(input).is_ok() {
        accepted = true;
        let _ = i.write_message().expect("after a valid message 2 the initiator writes message 3");
    }
    // As message 3, read by the responder that answered message 1.
    let mut r = responder();
    r.read_message(&m1).expect("message 1 read");
    let _ = r.write_message().expect("message 2");
    if r.read_message(input).is_ok() {
        accepted = true;
        r.finish().expect("after a valid message 3 the handshake finishes");
    }
    accepted
}

fn transport_seeds() -> Vec<Vec<u8>> {
    let (_, mut i, _) = handshake();
    let mut all = Vec::new();
    let mut seeds = Vec::new();
    for text in [&b""[..], b"hello", &[0x33; 200]] {
        let c = i.encrypt(text).expect("a seed message");
        let mut frame = (c.len() as u16).to_be_bytes().to_vec();
        frame.extend(c);
        all.extend_from_slice(&frame);
        seeds.push(frame);
    }
    seeds.push(all);
    seeds
}

fn transport_one(input: &[u8]) -> bool {
    let (_, _, mut r) = handshake();
    block_on("reading Noise frames", async {
        let mut reader = input;
        let mut read = 0;
        while let Ok(Some(message)) = read_frame(&mut reader).await {
            if r.decrypt(&message).is_err() {
                break;
            }
            read += 1;
        }
        read > 0
    })
}
