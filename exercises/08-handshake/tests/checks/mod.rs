//! The handshake exercise's checks, in the order to make them pass: the bytes of
//! multistream-select and of libp2p's handshake payload (fixed vectors from the specs),
//! the Noise XX handshake between your code, the reference and the `snow` crate (an
//! independent Noise implementation), the identity binding and what a lying or broken
//! peer gets, the encrypted transport, and the whole libp2p upgrade over loopback TCP
//! with the reference on the other end, both ways.
//!
//! Vectors and their sources:
//! - multistream-select: `na` is `03 6e 61 0a` (libp2p/specs connections/README.md,
//!   "Protocol Negotiation"); the other messages follow from the same rule.
//! - the Ed25519 identity key and its `PublicKey` protobuf
//!   `08 01 12 20 1ed1e8fa…fce27e` (libp2p/specs peer-ids/peer-ids.md, "Test vectors");
//! - the X25519 key pair `77076d0a…1db92c2a` → `8520f009…9b4e6a` (RFC 7748 §6.1, Alice);
//! - the signature over `"noise-libp2p-static-key:"` ‖ that X25519 public key by that
//!   identity key, and the payload around it, computed independently with Python's
//!   `cryptography` package (Ed25519 signatures are deterministic, RFC 8032) and by hand
//!   from the protobuf schema in libp2p/specs noise/README.md.

use std::time::Duration;

use identity_solution::Keypair;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::reference;
use crate::subject::negotiate::{
    NOISE, NegotiationError, YAMUX, decode, dialer_select, encode, listener_select, read_message,
};
use crate::subject::payload::{KEY_TYPE_ED25519, decode_public_key, encode_public_key, get_varint, put_varint};
use crate::subject::upgrade::inlined_muxer;
use crate::subject::{
    Handshake, HandshakeError, Payload, PayloadError, Role, SecureError, identity_payload, secure, upgrade,
    upgrade_with, verify_payload,
};

const WAIT: Duration = Duration::from_secs(10);

fn identity(i: u8) -> Keypair {
    Keypair::from_secret_bytes([i; 32])
}

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn hex32(text: &str) -> [u8; 32] {
    hex(text).try_into().expect("32 bytes")
}

/// The peer-ids spec's Ed25519 test key.
const SPEC_SECRET: &str = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d";
const SPEC_PUBLIC_PROTOBUF: &str = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
/// RFC 7748 §6.1: Alice's X25519 private and public keys.
const RFC7748_SECRET: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const RFC7748_PUBLIC: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
/// The spec key's signature over "noise-libp2p-static-key:" ‖ RFC7748_PUBLIC.
const SIGNATURE: &str = "c84e1c84bb80d0bb332cf313de42c71c5570c4a9f60603bbdd0a9cfff22b7a96\
                         75f648f5399717439405ec5137d900a4bbb9f1cdf7884833f7c0dfa9c84a8502";

/// The whole NoiseHandshakePayload for that key, signature and `/yamux/1.0.0`.
fn payload_vector() -> Vec<u8> {
    let mut v = hex("0a 24"); // field 1, length-delimited, 36 bytes
    v.extend(hex(SPEC_PUBLIC_PROTOBUF));
    v.extend(hex("12 40")); // field 2, length-delimited, 64 bytes
    v.extend(hex(SIGNATURE));
    v.extend(hex("22 0e 12 0c")); // field 4 (14 bytes) holding field 2 (12 bytes)
    v.extend(b"/yamux/1.0.0");
    v
}

/// Deterministic pseudo-random bytes (a linear congruential generator), so a failing
/// input is the same on every run.
fn noise_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

/// Runs the three messages between two sans-IO handshakes (of any two implementations).
macro_rules! run {
    ($initiator:expr, $responder:expr) => {{
        let m1 = $initiator.write_message().expect("message 1");
        $responder.read_message(&m1).expect("read message 1");
        let m2 = $responder.write_message().expect("message 2");
        $initiator.read_message(&m2).expect("read message 2");
        let m3 = $initiator.write_message().expect("message 3");
        $responder.read_message(&m3).expect("read message 3");
        assert!($initiator.is_finished() && $responder.is_finished());
        (m1, m2, m3)
    }};
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (dialer, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (dialer.unwrap(), accepted.unwrap().0)
}

/// multistream-select messages: varint length, text, newline (the spec's `na` = 03 6e 61 0a)
#[test]
fn step_1_multistream_messages() {
    assert_eq!(encode("na"), [0x03, b'n', b'a', b'\n'], "\"na\" is 03 6e 61 0a");
    let header = encode("/multistream/1.0.0");
    assert_eq!(header[0], 0x13, "/multistream/1.0.0 is 18 bytes + newline = 19 = 0x13");
    assert_eq!(&header[1..], b"/multistream/1.0.0\n");
    assert_eq!(encode("/noise"), b"\x07/noise\n", "/noise is 07 2f 6e 6f 69 73 65 0a");
    assert_eq!(encode("/yamux/1.0.0")[0], 0x0d, "/yamux/1.0.0 is 12 bytes + newline = 0x0d");
    assert_eq!(decode(&header).as_deref(), Some("/multistream/1.0.0"));
    let long = "/".repeat(200);
    assert_eq!(encode(&long)[..2], [0xc9, 0x01], "201 as a varint is c9 01");
    assert_eq!(decode(&encode(&long)), Some(long));
    assert_eq!(decode(&[0x03, b'n', b'a']), None, "cut short");
    assert_eq!(decode(&[0x03, b'n', b'a', b'!']), None, "no trailing newline");
    assert_eq!(decode(&[0x02, b'n', b'a', b'\n']), None, "the length does not match");
    assert_eq!(decode(&[0x80]), None, "a varint that never ends");
}

/// Protobuf varints, and libp2p's PublicKey message for an Ed25519 key (the peer-ids spec's vector)
#[test]
fn step_2_varints_and_public_key() {
    for (n, bytes) in [(0u64, "00"), (1, "01"), (127, "7f"), (128, "80 01"), (300, "ac 02"), (16_384, "80 80 01")] {
        let mut out = Vec::new();
        put_varint(&mut out, n);
        assert_eq!(out, hex(bytes), "{n} as a varint");
        assert_eq!(get_varint(&out), Ok((n, out.len())), "reading {n} back");
    }
    let mut max = Vec::new();
    put_varint(&mut max, u64::MAX);
    assert_eq!(max, hex("ff ff ff ff ff ff ff ff ff 01"), "u64::MAX takes ten bytes");
    assert_eq!(get_varint(&max), Ok((u64::MAX, 10)));
    assert_eq!(get_varint(&hex("ac 02 99")), Ok((300, 2)), "a varint stops at the first byte without the top bit");
    assert_eq!(get_varint(&hex("ac")), Err(PayloadError::Truncated), "cut short");
    assert_eq!(get_varint(&[]), Err(PayloadError::Truncated), "nothing at all");
    assert_eq!(get_varint(&hex("ff ff ff ff ff ff ff ff ff 02")), Err(PayloadError::Varint), "over 64 bits");
    assert_eq!(get_varint(&[0xff; 11]), Err(PayloadError::Varint), "eleven bytes");

    let key = Keypair::from_secret_bytes(hex32(SPEC_SECRET)).public();
    assert_eq!(KEY_TYPE_ED25519, 1);
    assert_eq!(encode_public_key(&key), hex(SPEC_PUBLIC_PROTOBUF), "the peer-ids spec's Ed25519 public key vector");
    assert_eq!(decode_public_key(&hex(SPEC_PUBLIC_PROTOBUF)), Ok(key));
    let mut reordered = hex("12 20");
    reordered.extend(&hex(SPEC_PUBLIC_PROTOBUF)[4..]);
    reordered.extend(hex("08 01"));
    assert_eq!(decode_public_key(&reordered), Ok(key), "protobuf readers accept fields in any order");

    let mut rsa = hex(SPEC_PUBLIC_PROTOBUF);
    rsa[1] = 0x00;
    assert_eq!(decode_public_key(&rsa), Err(PayloadError::KeyType(0)), "an RSA key (type 0)");
    let secp = hex("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99");
    assert_eq!(decode_public_key(&secp), Err(PayloadError::KeyType(2)), "the spec's secp256k1 key (type 2)");
    assert_eq!(decode_public_key(&hex("08 01 12 03 01 02 03")), Err(PayloadError::KeyLength(3)), "a 3-byte key");
    assert_eq!(decode_public_key(&hex("08 01")), Err(PayloadError::MissingKey), "no key data");
    assert_eq!(decode_public_key(&hex(SPEC_PUBLIC_PROTOBUF)[..20]), Err(PayloadError::Truncated), "cut short");
    assert_eq!(decode_public_key(&hex("0a 01 01 12 00")), Err(PayloadError::FieldType(1)), "the type as bytes");
    let mut weak = hex("08 01 12 20 01");
    weak.extend([0u8; 31]);
    assert_eq!(decode_public_key(&weak), Err(PayloadError::InvalidKey), "the identity point (a weak key)");
}

/// The NoiseHandshakePayload protobuf: a fixed vector both ways, unknown fields skipped, malformed input refused
#[test]
fn step_3_handshake_payload() {
    let identity = Keypair::from_secret_bytes(hex32(SPEC_SECRET));
    let static_public = hex32(RFC7748_PUBLIC);
    assert_eq!(
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(hex32(RFC7748_SECRET))).to_bytes(),
        static_public,
        "RFC 7748's vector (a check of the check)"
    );
    let vector = payload_vector();
    assert_eq!(vector.len(), 120);
    assert_eq!(identity_payload(&identity, &static_public, &[YAMUX]), vector, "identity key, signature, /yamux/1.0.0");
    assert_eq!(
        identity_payload(&identity, &static_public, &[]),
        vector[..104],
        "no muxers: no extensions field at all"
    );

    let decoded = Payload::decode(&vector).expect("the vector decodes");
    let expected = Payload {
        identity_key: hex(SPEC_PUBLIC_PROTOBUF),
        identity_sig: hex(SIGNATURE),
        stream_muxers: vec!["/yamux/1.0.0".into()],
    };
    assert_eq!(decoded, expected);
    assert_eq!(expected.encode(), vector, "Payload::encode");
    let two = Payload { stream_muxers: vec!["/yamux/1.0.0".into(), "/mplex/6.7.0".into()], ..expected.clone() };
    assert_eq!(Payload::decode(&two.encode()).unwrap(), two, "two muxers, in order");

    // Fields a reader does not know are skipped: a varint (5), fixed 64 (6) and fixed 32
    // (7) bits, bytes (3, the old `data` field), and in the extensions
    // webtransport_certhashes (1) and a future field 9.
    let mut extended = hex("28 96 01  31 01 02 03 04 05 06 07 08  3d 01 02 03 04  1a 02 ab cd");
    extended.extend(&vector[..104]);
    extended.extend(hex("22 18  0a 04 de ad be ef  4a 02 00 00  12 0c"));
    extended.extend(b"/yamux/1.0.0");
    assert_eq!(Payload::decode(&extended), Ok(expected.clone()), "unknown fields skipped");
    assert_eq!(Payload::decode(&[]), Ok(Payload::default()), "an empty payload is all defaults");

    assert_eq!(Payload::decode(&vector[..50]), Err(PayloadError::Truncated), "cut inside the signature");
    assert_eq!(Payload::decode(&hex("0a")), Err(PayloadError::Truncated), "a key without its length");
    assert_eq!(
        Payload::decode(&hex("0a 80 80 80 80 80 80 80 80 80 80")),
        Err(PayloadError::Varint),
        "a length over 64 bits"
    );
    assert_eq!(Payload::decode(&hex("0a ff ff ff ff 0f 00")), Err(PayloadError::Truncated), "a length past the end");
    assert_eq!(Payload::decode(&hex("0b 00")), Err(PayloadError::WireType(3)), "a group (wire type 3)");
    assert_eq!(Payload::decode(&hex("0f 00")), Err(PayloadError::WireType(7)), "wire type 7");
    assert_eq!(Payload::decode(&hex("31 01 02")), Err(PayloadError::Truncated), "a fixed64 cut short");
    assert_eq!(Payload::decode(&hex("08 05")), Err(PayloadError::FieldType(1)), "identity_key as a varint");
    assert_eq!(Payload::decode(&hex("22 03 12 01 ff")), Err(PayloadError::Utf8), "a muxer name that is not UTF-8");
    assert_eq!(Payload::decode(&hex("22 02 10 01")), Err(PayloadError::FieldType(2)), "stream_muxers as a varint");

    // Never a panic: every prefix of a valid payload, and bytes from nowhere, give Ok or
    // a typed error (a panic here fails the step).
    for end in 0..extended.len() {
        let _ = Payload::decode(&extended[..end]);
    }
    for seed in 0..2_000 {
        let bytes = noise_bytes(seed, (seed % 200) as usize);
        let _ = Payload::decode(&bytes);
        let _ = decode_public_key(&bytes);
    }
}

/// Two of your handshakes complete, agree on keys, and learn each other's identity and muxers
#[test]
fn step_4_handshake() {
    let mut alice = Handshake::new(Role::Initiator, identity(1)).with_stream_muxers(&[YAMUX]);
    let mut bob = Handshake::new(Role::Responder, identity(2)).with_stream_muxers(&["/mplex/6.7.0", YAMUX]);
    let (m1, m2, m3) = run!(alice, bob);
    let payload = |muxers: &[&str]| identity_payload(&identity(1), &[0; 32], muxers).len();
    assert_eq!(m1.len(), 32, "message 1: the ephemeral key and an empty payload in clear");
    assert_eq!(
        m2.len(),
        32 + 48 + payload(&["/mplex/6.7.0", YAMUX]) + 16,
        "message 2: e, encrypted s, encrypted payload"
    );
    assert_eq!(m3.len(), 48 + payload(&[YAMUX]) + 16, "message 3: encrypted s, encrypted payload");
    assert_eq!(alice.remote_static(), Some(bob.static_public()));
    assert_eq!(bob.remote_static(), Some(alice.static_public()));
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    assert_eq!(a.remote_identity(), identity(2).public(), "alice learned bob's identity");
    assert_eq!(b.remote_identity(), identity(1).public(), "bob learned alice's identity");
    assert_eq!(a.remote_peer_id(), identity(2).peer_id());
    assert_eq!(a.remote_stream_muxers(), ["/mplex/6.7.0", YAMUX], "alice read bob's extension");
    assert_eq!(b.remote_stream_muxers(), [YAMUX], "bob read alice's extension");
    assert_eq!(a.local_stream_muxers(), [YAMUX]);
    let ct = a.encrypt(b"hello bob").unwrap();
    assert_eq!(ct.len(), 9 + 16, "a transport message is the plaintext and a 16-byte tag");
    assert_eq!(b.decrypt(&ct).unwrap(), b"hello bob");
    let ct = b.encrypt(b"hello alice").unwrap();
    assert_eq!(a.decrypt(&ct).unwrap(), b"hello alice");
    assert!(!ct.windows(5).any(|w| w == b"hello"), "transport messages are encrypted");

    let mut carol = Handshake::new(Role::Initiator, identity(3));
    let mut dave = Handshake::new(Role::Responder, identity(4));
    run!(carol, dave);
    assert!(carol.finish().unwrap().remote_stream_muxers().is_empty(), "no extension sent, none read");
}

/// Your handshake and the reference's complete in both roles
#[test]
fn step_5_with_the_reference() {
    let mut mine = Handshake::new(Role::Initiator, identity(1)).with_stream_muxers(&[YAMUX]);
    let mut theirs = reference::Handshake::new(reference::Role::Responder, identity(2)).with_stream_muxers(&[YAMUX]);
    run!(mine, theirs);
    let (mut a, mut b) = (mine.finish().unwrap(), theirs.finish().unwrap());
    assert_eq!(a.remote_identity(), identity(2).public());
    assert_eq!(b.remote_identity(), identity(1).public(), "the reference verified your payload");
    assert_eq!(b.remote_stream_muxers(), [YAMUX], "the reference read your extension");
    assert_eq!(b.decrypt(&a.encrypt(b"to the reference").unwrap()).unwrap(), b"to the reference");
    assert_eq!(a.decrypt(&b.encrypt(b"from the reference").unwrap()).unwrap(), b"from the reference");

    let mut theirs = reference::Handshake::new(reference::Role::Initiator, identity(3)).with_stream_muxers(&[YAMUX]);
    let mut mine = Handshake::new(Role::Responder, identity(4));
    run!(theirs, mine);
    let (mut a, mut b) = (theirs.finish().unwrap(), mine.finish().unwrap());
    assert_eq!(b.remote_identity(), identity(3).public());
    assert_eq!(b.remote_stream_muxers(), [YAMUX]);
    assert!(a.remote_stream_muxers().is_empty());
    assert_eq!(b.decrypt(&a.encrypt(b"x").unwrap()).unwrap(), b"x");
    assert_eq!(a.decrypt(&b.encrypt(b"y").unwrap()).unwrap(), b"y");
}

/// Your handshake interoperates with `snow`, an independent Noise implementation, both ways
#[test]
fn step_6_with_snow() {
    let params: snow::params::NoiseParams = "Noise_XX_25519_ChaChaPoly_SHA256".parse().unwrap();
    let snow_static = [9u8; 32];
    let snow_public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(snow_static)).to_bytes();
    let snow_payload = reference::identity_payload(&identity(9), &snow_public, &[YAMUX]);
    let mut buf = vec![0u8; 65535];
    let mut payload = vec![0u8; 65535];

    // You initiate, snow responds.
    let mut mine = Handshake::new(Role::Initiator, identity(1)).with_stream_muxers(&[YAMUX]);
    let mut snow =
        snow::Builder::new(params.clone()).local_private_key(&snow_static).unwrap().build_responder().unwrap();
    let m1 = mine.write_message().unwrap();
    let n = snow.read_message(&m1, &mut payload).expect("snow reads your message 1");
    assert_eq!(n, 0, "message 1 carries an empty payload");
    let n = snow.write_message(&snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 2");
    let m3 = mine.write_message().unwrap();
    let n = snow.read_message(&m3, &mut payload).expect("snow reads your message 3");
    let my_static = mine.static_public();
    assert_eq!(snow.get_remote_static(), Some(&my_static[..]), "snow learned your static key");
    let verified = reference::verify_payload(&payload[..n], &my_static).expect("your payload verifies");
    assert_eq!(verified.identity, identity(1).public());
    assert_eq!(verified.stream_muxers, [YAMUX]);
    let mut snow = snow.into_transport_mode().unwrap();
    let mut session = mine.finish().unwrap();
    assert_eq!(session.remote_identity(), identity(9).public(), "you verified snow's identity payload");
    let n = snow
        .read_message(&session.encrypt(b"to snow").unwrap(), &mut payload)
        .expect("snow decrypts your transport message");
    assert_eq!(&payload[..n], b"to snow");
    let n = snow.write_message(b"from snow", &mut buf).unwrap();
    assert_eq!(session.decrypt(&buf[..n]).unwrap(), b"from snow");

    // snow initiates, you respond.
    let mut snow = snow::Builder::new(params).local_private_key(&snow_static).unwrap().build_initiator().unwrap();
    let mut mine = Handshake::new(Role::Responder, identity(2));
    let n = snow.write_message(&[], &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 1");
    let m2 = mine.write_message().unwrap();
    let n = snow.read_message(&m2, &mut payload).expect("snow reads your message 2");
    let verified = reference::verify_payload(&payload[..n], &mine.static_public()).expect("your payload verifies");
    assert_eq!(verified.identity, identity(2).public());
    let n = snow.write_message(&snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 3");
    let mut session = mine.finish().unwrap();
    assert_eq!(session.remote_identity(), identity(9).public());
    let mut snow = snow.into_transport_mode().unwrap();
    let n = snow.write_message(b"hello responder", &mut buf).unwrap();
    assert_eq!(session.decrypt(&buf[..n]).unwrap(), b"hello responder");
    let n = snow.read_message(&session.encrypt(b"hello initiator").unwrap(), &mut payload).unwrap();
    assert_eq!(&payload[..n], b"hello initiator");
}

/// What snow, as a responder, gets your initiator to accept as message 2
fn against_snow_responder(snow_payload: &[u8]) -> Result<(), HandshakeError> {
    let params: snow::params::NoiseParams = "Noise_XX_25519_ChaChaPoly_SHA256".parse().unwrap();
    let mut snow = snow::Builder::new(params).local_private_key(&[9u8; 32]).unwrap().build_responder().unwrap();
    let mut mine = Handshake::new(Role::Initiator, identity(1));
    let mut buf = vec![0u8; 65535];
    snow.read_message(&mine.write_message().unwrap(), &mut buf).unwrap();
    let n = snow.write_message(snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n])
}

/// A lying or broken peer is refused with a typed error: bad signature, wrong key type, malformed payload, tampering
#[test]
fn step_7_identity_binding() {
    let snow_public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([9u8; 32])).to_bytes();
    let honest = reference::identity_payload(&identity(9), &snow_public, &[]);
    assert_eq!(against_snow_responder(&honest), Ok(()), "an honest payload");
    assert_eq!(verify_payload(&honest, &snow_public).map(|v| v.identity), Ok(identity(9).public()));

    let other_key = reference::identity_payload(&identity(9), &[0x42; 32], &[]);
    assert_eq!(
        against_snow_responder(&other_key),
        Err(HandshakeError::BadIdentity),
        "a signature over another static key"
    );
    assert_eq!(verify_payload(&other_key, &snow_public), Err(HandshakeError::BadIdentity));

    let mut someone_else = reference::Payload::decode(&honest).unwrap();
    someone_else.identity_key = reference::payload::encode_public_key(&identity(10).public());
    assert_eq!(
        against_snow_responder(&someone_else.encode()),
        Err(HandshakeError::BadIdentity),
        "someone else's identity key with this peer's signature"
    );

    let mut rsa = reference::Payload::decode(&honest).unwrap();
    rsa.identity_key[1] = 0x00;
    assert_eq!(
        against_snow_responder(&rsa.encode()),
        Err(HandshakeError::Payload(PayloadError::KeyType(0))),
        "an RSA identity key"
    );
    let mut short_sig = reference::Payload::decode(&honest).unwrap();
    short_sig.identity_sig.truncate(63);
    assert_eq!(
        against_snow_responder(&short_sig.encode()),
        Err(HandshakeError::Payload(PayloadError::SignatureLength(63))),
        "a 63-byte signature"
    );
    assert_eq!(
        against_snow_responder(&honest[..50]),
        Err(HandshakeError::Payload(PayloadError::Truncated)),
        "a payload cut short"
    );
    assert_eq!(against_snow_responder(&[]), Err(HandshakeError::Payload(PayloadError::MissingKey)), "an empty payload");

    // A responder whose identity payload signs some other static key (the reference lies).
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut liar = reference::Handshake::with_keys(reference::Role::Responder, identity(2), [5; 32], [6; 32]);
    liar.sign_other_key_for_tests();
    liar.read_message(&alice.write_message().unwrap()).unwrap();
    assert_eq!(alice.read_message(&liar.write_message().unwrap()), Err(HandshakeError::BadIdentity));

    // A flipped bit in message 2, inside the encrypted static key.
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = reference::Handshake::new(reference::Role::Responder, identity(2));
    bob.read_message(&alice.write_message().unwrap()).unwrap();
    let mut m2 = bob.write_message().unwrap();
    m2[40] ^= 1;
    assert_eq!(alice.read_message(&m2), Err(HandshakeError::Decrypt), "a flipped bit in message 2");

    let mut alice = Handshake::new(Role::Initiator, identity(1));
    assert_eq!(alice.read_message(&[0; 32]), Err(HandshakeError::OutOfOrder), "the initiator writes message 1 first");
    let m1 = alice.write_message().unwrap();
    assert_eq!(alice.write_message(), Err(HandshakeError::OutOfOrder), "two messages in a row");
    let mut bob = Handshake::new(Role::Responder, identity(2));
    assert_eq!(bob.read_message(&m1[..31]), Err(HandshakeError::Length), "a message 1 of 31 bytes");
    assert_eq!(
        bob.read_message(&[m1.as_slice(), &[0]].concat()),
        Err(HandshakeError::Length),
        "a payload in message 1"
    );
    assert_eq!(bob.read_message(&vec![0; 65_536]), Err(HandshakeError::TooLong), "over 65,535 bytes");
    bob.read_message(&m1).unwrap();
    let mut alice2 = Handshake::new(Role::Initiator, identity(1));
    let mut bob2 = Handshake::new(Role::Responder, identity(2));
    bob2.read_message(&alice2.write_message().unwrap()).unwrap();
    let m2 = bob2.write_message().unwrap();
    assert_eq!(
        alice2.read_message(&m2[..32 + 48 + 15]),
        Err(HandshakeError::Length),
        "message 2 too short for its tag"
    );
    assert!(Handshake::new(Role::Initiator, identity(1)).finish().is_err(), "finish before the handshake is complete");

    // Bytes from nowhere as message 2 or 3, of every length up to 300: refused, no panic.
    for seed in 0..300u64 {
        let junk = noise_bytes(seed, seed as usize);
        let mut alice = Handshake::new(Role::Initiator, identity(1));
        alice.write_message().unwrap();
        assert!(alice.read_message(&junk).is_err(), "{} random bytes accepted as message 2", junk.len());
        let mut bob = Handshake::new(Role::Responder, identity(2));
        bob.read_message(&Handshake::new(Role::Initiator, identity(1)).write_message().unwrap()).unwrap();
        bob.write_message().unwrap();
        assert!(bob.read_message(&junk).is_err(), "{} random bytes accepted as message 3", junk.len());
        let _ = verify_payload(&junk, &[7; 32]);
    }
}

/// Transport: a replayed, reordered or altered message is refused; over 65,519 bytes is TooLong
#[test]
fn step_8_transport() {
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = reference::Handshake::new(reference::Role::Responder, identity(2));
    run!(alice, bob);
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    let first = a.encrypt(b"one").unwrap();
    assert_eq!(b.decrypt(&first).unwrap(), b"one");
    assert!(b.decrypt(&first).is_err(), "the reference refuses a replay of yours");

    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = Handshake::new(Role::Responder, identity(2));
    run!(alice, bob);
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    let first = a.encrypt(b"one").unwrap();
    let second = a.encrypt(b"two").unwrap();
    let third = a.encrypt(b"three").unwrap();
    assert_eq!(b.decrypt(&first).unwrap(), b"one");
    assert_eq!(b.decrypt(&first), Err(HandshakeError::Decrypt), "a replayed message");
    assert_eq!(b.decrypt(&third), Err(HandshakeError::Decrypt), "a message out of order");
    let mut altered = second.clone();
    altered[0] ^= 1;
    assert_eq!(b.decrypt(&altered), Err(HandshakeError::Decrypt), "an altered message");
    assert_eq!(b.decrypt(&second).unwrap(), b"two", "the genuine next message still decrypts");
    assert_eq!(b.decrypt(&third).unwrap(), b"three", "and the one after it, in order now");
    assert_eq!(b.decrypt(&[0; 15]), Err(HandshakeError::Decrypt), "shorter than a tag");
    assert_eq!(a.encrypt(&vec![0; 65_520]), Err(HandshakeError::TooLong), "one byte over 65,535 − 16");
    let largest = a.encrypt(&vec![0; 65_519]).unwrap();
    assert_eq!(largest.len(), 65_535, "the largest transport message");
    assert_eq!(b.decrypt(&largest).unwrap().len(), 65_519);
    assert_eq!(b.decrypt(&vec![0; 65_536]), Err(HandshakeError::TooLong));
}

/// multistream-select over loopback TCP with the reference, both ways: the bytes, `na` and fallback, refusals
#[tokio::test]
async fn step_9_negotiation_over_tcp() {
    // What your dialer puts on the wire first.
    let (mut dialer, mut raw) = tcp_pair().await;
    let dial = tokio::spawn(async move { dialer_select(&mut dialer, &[NOISE]).await.map(|_| ()) });
    let mut first = [0u8; 28];
    timeout(WAIT, raw.read_exact(&mut first)).await.expect("in time").unwrap();
    assert_eq!(&first, b"\x13/multistream/1.0.0\n\x07/noise\n", "header and proposal");
    raw.write_all(b"\x13/multistream/1.0.0\n\x07/noise\n").await.unwrap();
    assert!(timeout(WAIT, dial).await.expect("in time").unwrap().is_ok());

    // Your dialer against the reference listener: /tls is refused, /noise accepted.
    let (mut a, mut b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            dialer_select(&mut a, &["/tls/1.0.0", NOISE]),
            reference::negotiate::listener_select(&mut b, &[NOISE, YAMUX])
        )
    })
    .await
    .expect("in time");
    assert_eq!(mine.expect("your dialer"), NOISE, "na for /tls/1.0.0, then /noise");
    assert_eq!(theirs.expect("the reference listener"), NOISE);
    // Nothing more was read than the negotiation: the next bytes are intact.
    a.write_all(b"after").await.unwrap();
    let mut after = [0u8; 5];
    b.read_exact(&mut after).await.unwrap();
    assert_eq!(&after, b"after");

    // The reference dialer against your listener.
    let (mut a, mut b) = tcp_pair().await;
    let (theirs, mine) = timeout(WAIT, async {
        tokio::join!(
            reference::negotiate::dialer_select(&mut a, &["/mplex/6.7.0", YAMUX]),
            listener_select(&mut b, &[YAMUX])
        )
    })
    .await
    .expect("in time");
    assert_eq!(mine.expect("your listener"), YAMUX);
    assert_eq!(theirs.expect("the reference dialer"), YAMUX);

    // Nothing in common.
    let (mut a, mut b) = tcp_pair().await;
    tokio::spawn(async move { reference::negotiate::listener_select(&mut b, &[NOISE]).await.map(|_| ()) });
    let mine = timeout(WAIT, dialer_select(&mut a, &["/chat/2.0.0"])).await.expect("in time");
    assert!(matches!(mine, Err(NegotiationError::NotSupported)), "got {mine:?}");

    // A peer that does not speak multistream-select, and one that claims a huge message.
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&encode("/http/1.1")).await.unwrap();
    let got = timeout(WAIT, listener_select(&mut b, &[NOISE])).await.expect("in time");
    assert!(matches!(&got, Err(NegotiationError::NotMultistream(h)) if h == "/http/1.1"), "got {got:?}");
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&hex("d0 0f")).await.unwrap(); // 2000
    let got = timeout(WAIT, read_message(&mut b)).await.expect("in time");
    assert!(matches!(got, Err(NegotiationError::TooLong(2000))), "got {got:?}");
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(b"\x03na!").await.unwrap();
    let got = timeout(WAIT, read_message(&mut b)).await.expect("in time");
    assert!(matches!(got, Err(NegotiationError::Malformed)), "no newline: got {got:?}");
    let (a, mut b) = tcp_pair().await;
    drop(a);
    assert!(matches!(timeout(WAIT, read_message(&mut b)).await.expect("in time"), Err(NegotiationError::Io(_))));
}

/// The handshake over TCP gives an encrypted AsyncRead + AsyncWrite stream, with the reference both ways
#[tokio::test]
async fn step_10_secure_stream() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();

    // You dial, the reference listens; 300 kB each way (several Noise messages).
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            secure(a, Handshake::new(Role::Initiator, identity(1))),
            reference::secure(b, reference::Handshake::new(reference::Role::Responder, identity(2)))
        )
    })
    .await
    .expect("in time");
    let (mut mine, mut theirs) = (mine.expect("your handshake over TCP"), theirs.expect("the reference's"));
    assert_eq!(mine.remote_peer_id(), identity(2).peer_id());
    assert_eq!(theirs.remote_peer_id(), identity(1).peer_id());
    let sent = data.clone();
    let (_, got) = timeout(WAIT, async {
        tokio::join!(
            async {
                mine.write_all(&sent).await.unwrap();
                mine.flush().await.unwrap();
            },
            async {
                let mut got = vec![0u8; sent.len()];
                theirs.read_exact(&mut got).await.unwrap();
                got
            }
        )
    })
    .await
    .expect("in time");
    assert!(got == data, "the reference read what you wrote");
    let (_, got) = timeout(WAIT, async {
        tokio::join!(
            async {
                theirs.write_all(&data).await.unwrap();
                theirs.shutdown().await.unwrap();
            },
            async {
                let mut got = Vec::new();
                mine.read_to_end(&mut got).await.unwrap();
                got
            }
        )
    })
    .await
    .expect("in time");
    assert!(got == data, "you read what the reference wrote, then a clean end");

    // The reference dials, you listen.
    let (a, b) = tcp_pair().await;
    let (theirs, mine) = timeout(WAIT, async {
        tokio::join!(
            reference::secure(a, reference::Handshake::new(reference::Role::Initiator, identity(3))),
            secure(b, Handshake::new(Role::Responder, identity(4)))
        )
    })
    .await
    .expect("in time");
    let (mut theirs, mut mine) =
        (theirs.expect("the reference's handshake"), mine.expect("your handshake as listener"));
    assert_eq!(mine.remote_identity(), identity(3).public());
    theirs.write_all(b"ping").await.unwrap();
    theirs.flush().await.unwrap();
    let mut ping = [0u8; 4];
    timeout(WAIT, mine.read_exact(&mut ping)).await.expect("in time").unwrap();
    assert_eq!(&ping, b"ping");

    // A frame altered on the way: the read fails (InvalidData), it does not return bytes.
    let (a, mut b) = tcp_pair().await;
    let mut fake = reference::Handshake::new(reference::Role::Responder, identity(6));
    let (mine, faked) = timeout(WAIT, async {
        tokio::join!(secure(a, Handshake::new(Role::Initiator, identity(5))), async move {
            use reference::secure::{read_frame, write_frame};
            fake.read_message(&read_frame(&mut b).await.unwrap().unwrap()).unwrap();
            write_frame(&mut b, &fake.write_message().unwrap()).await.unwrap();
            fake.read_message(&read_frame(&mut b).await.unwrap().unwrap()).unwrap();
            let mut session = fake.finish().unwrap();
            let mut ct = session.encrypt(b"altered").unwrap();
            ct[3] ^= 0x20;
            write_frame(&mut b, &ct).await.unwrap();
            b
        })
    })
    .await
    .expect("in time");
    let mut mine = mine.expect("your handshake");
    let mut buf = [0u8; 16];
    let got = timeout(WAIT, mine.read(&mut buf)).await.expect("in time");
    let error = got.expect_err("an altered transport message is an error");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    drop(faked);

    // A stream that ends in the middle of the handshake.
    let (a, mut b) = tcp_pair().await;
    let handshake = tokio::spawn(secure(a, Handshake::new(Role::Initiator, identity(7))));
    let mut m1 = [0u8; 34];
    b.read_exact(&mut m1).await.unwrap();
    assert_eq!(m1[..2], [0x00, 0x20], "message 1 travels as 00 20 and 32 bytes");
    b.write_all(&[0x00, 0xc8, 1, 2, 3]).await.unwrap(); // 200 bytes announced, 3 sent
    drop(b);
    let got = timeout(WAIT, handshake).await.expect("in time").unwrap();
    assert!(matches!(got, Err(SecureError::Io(_))), "got {:?}", got.err());
}

/// The whole upgrade over TCP, both ways: /noise, the handshake, and /yamux/1.0.0 inlined or in a round after
#[tokio::test]
async fn step_11_upgrade() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        inlined_muxer(&list(&[YAMUX, "/mplex/6.7.0"]), &list(&["/mplex/6.7.0", YAMUX])).unwrap().as_deref(),
        Some(YAMUX),
        "the spec's example: the initiator's preference wins"
    );
    assert_eq!(inlined_muxer(&list(&[YAMUX]), &[]).unwrap(), None, "the responder offered none: a round follows");
    assert_eq!(inlined_muxer(&[], &list(&[YAMUX])).unwrap(), None, "the initiator offered none");
    assert!(matches!(inlined_muxer(&list(&["/mplex/6.7.0"]), &list(&[YAMUX])), Err(SecureError::NoCommonMuxer)));

    // What your upgrade puts on the wire first.
    let (a, mut raw) = tcp_pair().await;
    let dial = tokio::spawn(upgrade(a, Role::Initiator, identity(1)));
    let mut first = [0u8; 28];
    timeout(WAIT, raw.read_exact(&mut first)).await.expect("in time").unwrap();
    assert_eq!(&first, b"\x13/multistream/1.0.0\n\x07/noise\n", "security is negotiated first, in plaintext");
    drop(raw);
    assert!(timeout(WAIT, dial).await.expect("in time").unwrap().is_err(), "the peer went away");

    // Both offer /yamux/1.0.0 in the handshake: agreed there, no round after.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            upgrade(a, Role::Initiator, identity(1)),
            reference::upgrade(b, reference::Role::Responder, identity(2))
        )
    })
    .await
    .expect("in time");
    let (mut mine, mut theirs) = (mine.expect("your upgrade"), theirs.expect("the reference's upgrade"));
    assert_eq!(mine.peer, identity(2).peer_id(), "you verified the reference's peer id");
    assert_eq!(theirs.peer, identity(1).peer_id(), "the reference verified yours");
    assert_eq!((mine.muxer.as_str(), mine.inlined), (YAMUX, true), "yamux, agreed inside the handshake");
    assert_eq!((theirs.muxer.as_str(), theirs.inlined), (YAMUX, true));
    mine.stream.write_all(b"over yamux next").await.unwrap();
    mine.stream.flush().await.unwrap();
    let mut got = [0u8; 15];
    timeout(WAIT, theirs.stream.read_exact(&mut got)).await.expect("in time").unwrap();
    assert_eq!(&got, b"over yamux next", "the first bytes after the upgrade belong to the multiplexer");

    // The reference offers nothing in its handshake (as rust-libp2p does): a round.
    let (a, b) = tcp_pair().await;
    let (theirs, mine) = timeout(WAIT, async {
        tokio::join!(
            reference::upgrade_with(a, reference::Handshake::new(reference::Role::Initiator, identity(3)), &[YAMUX]),
            upgrade(b, Role::Responder, identity(4))
        )
    })
    .await
    .expect("in time");
    let (mut theirs, mut mine) = (theirs.expect("the reference's upgrade"), mine.expect("your upgrade as listener"));
    assert_eq!(mine.peer, identity(3).peer_id());
    assert_eq!((mine.muxer.as_str(), mine.inlined), (YAMUX, false), "yamux, in a multistream-select round after");
    assert_eq!((theirs.muxer.as_str(), theirs.inlined), (YAMUX, false));
    theirs.stream.write_all(b"ok").await.unwrap();
    theirs.stream.flush().await.unwrap();
    let mut ok = [0u8; 2];
    timeout(WAIT, mine.stream.read_exact(&mut ok)).await.expect("in time").unwrap();
    assert_eq!(&ok, b"ok");

    // You dial offering nothing inline; the reference listens with its defaults.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            upgrade_with(a, Handshake::new(Role::Initiator, identity(5)), &["/mplex/6.7.0", YAMUX]),
            reference::upgrade(b, reference::Role::Responder, identity(6))
        )
    })
    .await
    .expect("in time");
    let (mine, theirs) = (mine.expect("your upgrade"), theirs.expect("the reference's upgrade"));
    assert_eq!((mine.muxer.as_str(), mine.inlined), (YAMUX, false), "na for mplex, then yamux");
    assert_eq!(theirs.peer, identity(5).peer_id());

    // Both offer inline, nothing in common: the handshake fails on both sides.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            upgrade(a, Role::Initiator, identity(7)),
            reference::upgrade_with(
                b,
                reference::Handshake::new(reference::Role::Responder, identity(8))
                    .with_stream_muxers(&["/mplex/6.7.0"]),
                &["/mplex/6.7.0"]
            )
        )
    })
    .await
    .expect("in time");
    assert!(matches!(mine, Err(SecureError::NoCommonMuxer)), "got {:?}", mine.err());
    assert!(theirs.is_err());
}
