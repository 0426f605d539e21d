//! The handshake exercise's checks: multistream-select encoding, the Noise XX handshake
//! between your code, the reference and the `snow` crate (an independent Noise
//! implementation), tampering and identity checks, the encrypted transport, and the
//! whole secure channel with negotiation over TCP.

use std::time::Duration;

use identity_solution::Keypair;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::subject::negotiate::{decode, encode};
use crate::subject::{Handshake, HandshakeError, Role, SecureError, identity_payload, secure};
use crate::reference;

const WAIT: Duration = Duration::from_secs(5);

fn identity(i: u8) -> Keypair {
    Keypair::from_secret_bytes([i; 32])
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

/// multistream-select messages: varint length, text, newline (the spec's own examples)
#[test]
fn step_1_multistream_encoding() {
    assert_eq!(encode("na"), [0x03, b'n', b'a', b'\n'], "\"na\" is 03 6e 61 0a");
    let header = encode("/multistream/1.0.0");
    assert_eq!(header[0], 0x13, "/multistream/1.0.0 is 18 bytes + newline = 19 = 0x13");
    assert_eq!(&header[1..], b"/multistream/1.0.0\n");
    assert_eq!(decode(&header).as_deref(), Some("/multistream/1.0.0"));
    let long = "/".repeat(200);
    assert_eq!(encode(&long)[..2], [0xc9, 0x01], "201 as a varint is c9 01");
    assert_eq!(decode(&encode(&long)), Some(long));
    assert_eq!(decode(&[0x03, b'n', b'a']), None, "cut short");
    assert_eq!(decode(&[0x03, b'n', b'a', b'!']), None, "no trailing newline");
    assert_eq!(decode(&[0x02, b'n', b'a', b'\n']), None, "the length does not match");
}

/// Two of your handshakes complete and agree on keys and identities
#[test]
fn step_2_handshake() {
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = Handshake::new(Role::Responder, identity(2));
    let (m1, m2, m3) = run!(alice, bob);
    assert_eq!((m1.len(), m2.len(), m3.len()), (32, 32 + 48 + 112, 48 + 112), "XX message sizes: e; e, s, payload; s, payload");
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    assert_eq!(a.remote_identity(), identity(2).public(), "alice learned bob's identity");
    assert_eq!(b.remote_identity(), identity(1).public(), "bob learned alice's identity");
    let ct = a.encrypt(b"hello bob").unwrap();
    assert_eq!(b.decrypt(&ct).unwrap(), b"hello bob");
    let ct = b.encrypt(b"hello alice").unwrap();
    assert_eq!(a.decrypt(&ct).unwrap(), b"hello alice");
    assert!(!ct.windows(5).any(|w| w == b"hello"), "transport messages are encrypted");
}

/// Your handshake and the reference's complete in both roles
#[test]
fn step_3_with_the_reference() {
    let mut mine = Handshake::new(Role::Initiator, identity(1));
    let mut theirs = reference::Handshake::new(reference::Role::Responder, identity(2));
    run!(mine, theirs);
    let (mut a, mut b) = (mine.finish().unwrap(), theirs.finish().unwrap());
    assert_eq!(b.decrypt(&a.encrypt(b"to the reference").unwrap()).unwrap(), b"to the reference");
    assert_eq!(a.decrypt(&b.encrypt(b"from the reference").unwrap()).unwrap(), b"from the reference");

    let mut theirs = reference::Handshake::new(reference::Role::Initiator, identity(3));
    let mut mine = Handshake::new(Role::Responder, identity(4));
    run!(theirs, mine);
    let (mut a, mut b) = (theirs.finish().unwrap(), mine.finish().unwrap());
    assert_eq!(b.remote_identity(), identity(3).public());
    assert_eq!(b.decrypt(&a.encrypt(b"x").unwrap()).unwrap(), b"x");
}

/// Your handshake interoperates with `snow`, an independent Noise implementation, both ways
#[test]
fn step_4_with_snow() {
    let params: snow::params::NoiseParams = "Noise_XX_25519_ChaChaPoly_SHA256".parse().unwrap();
    let snow_static = [9u8; 32];
    let snow_public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(snow_static)).to_bytes();
    let snow_payload = identity_payload(&identity(9), &snow_public);
    let mut buf = vec![0u8; 65535];
    let mut payload = vec![0u8; 65535];

    // You initiate, snow responds.
    let mut mine = Handshake::new(Role::Initiator, identity(1));
    let mut snow = snow::Builder::new(params.clone()).local_private_key(&snow_static).unwrap().build_responder().unwrap();
    let m1 = mine.write_message().unwrap();
    snow.read_message(&m1, &mut payload).expect("snow reads your message 1");
    let n = snow.write_message(&snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 2");
    let m3 = mine.write_message().unwrap();
    let n = snow.read_message(&m3, &mut payload).expect("snow reads your message 3");
    let my_static = mine.static_public();
    assert_eq!(snow.get_remote_static(), Some(&my_static[..]), "snow learned your static key");
    assert_eq!(&payload[..n], &identity_payload(&identity(1), &my_static)[..], "your identity payload: Ed25519 key and its signature over the prefix and your static key");
    let mut snow = snow.into_transport_mode().unwrap();
    let mut session = mine.finish().unwrap();
    assert_eq!(session.remote_identity(), identity(9).public(), "you verified snow's identity payload");
    let n = snow.read_message(&session.encrypt(b"to snow").unwrap(), &mut payload).expect("snow decrypts your transport message");
    assert_eq!(&payload[..n], b"to snow");
    let n = snow.write_message(b"from snow", &mut buf).unwrap();
    assert_eq!(session.decrypt(&buf[..n]).unwrap(), b"from snow");

    // snow initiates, you respond.
    let mut snow = snow::Builder::new(params).local_private_key(&snow_static).unwrap().build_initiator().unwrap();
    let mut mine = Handshake::new(Role::Responder, identity(2));
    let n = snow.write_message(&[], &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 1");
    let m2 = mine.write_message().unwrap();
    snow.read_message(&m2, &mut payload).expect("snow reads your message 2");
    let n = snow.write_message(&snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n]).expect("you read snow's message 3");
    let mut session = mine.finish().unwrap();
    let mut snow = snow.into_transport_mode().unwrap();
    let n = snow.write_message(b"hello responder", &mut buf).unwrap();
    assert_eq!(session.decrypt(&buf[..n]).unwrap(), b"hello responder");
}

/// A tampered handshake message, or an identity that does not sign the Noise key, is refused
#[test]
fn step_5_tampering_and_identity() {
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = Handshake::new(Role::Responder, identity(2));
    let m1 = alice.write_message().unwrap();
    bob.read_message(&m1).unwrap();
    let mut m2 = bob.write_message().unwrap();
    m2[40] ^= 1; // inside the encrypted static key
    assert_eq!(alice.read_message(&m2), Err(HandshakeError::Decrypt), "a flipped bit in message 2");

    // A responder whose identity payload signs some other static key.
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut liar = reference::Handshake::with_keys(reference::Role::Responder, identity(2), [5; 32], [6; 32]);
    liar.sign_other_key_for_tests();
    let m1 = alice.write_message().unwrap();
    liar.read_message(&m1).unwrap();
    let m2 = liar.write_message().unwrap();
    assert_eq!(alice.read_message(&m2), Err(HandshakeError::BadIdentity), "an identity signature over another key");

    let mut alice = Handshake::new(Role::Initiator, identity(1));
    assert_eq!(alice.read_message(&[0; 32]), Err(HandshakeError::OutOfOrder), "the initiator must write message 1 before reading anything");
    let m1 = alice.write_message().unwrap();
    let mut bob = Handshake::new(Role::Responder, identity(2));
    assert_eq!(bob.read_message(&m1[..31]), Err(HandshakeError::Length), "a message 1 of 31 bytes");
    assert!(Handshake::new(Role::Initiator, identity(1)).finish().is_err(), "finish before the handshake is complete");
}

/// Transport: a replayed, reordered or altered message is refused
#[test]
fn step_6_transport() {
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
    assert_eq!(a.encrypt(&vec![0; 65_520]), Err(HandshakeError::TooLong));
}

/// Over TCP: a secure channel and protocol negotiation, with the reference on the other end
#[tokio::test]
async fn step_7_secure_channel() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut s = reference::secure(stream, reference::Role::Responder, identity(2)).await.expect("reference handshake");
        let chosen = s.listen(&["/chat/1.0.0"]).await.expect("negotiation");
        let line = s.recv().await.unwrap().unwrap();
        s.send(&line).await.unwrap();
        chosen
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut s = timeout(WAIT, secure(stream, Role::Initiator, identity(1))).await.expect("in time").expect("your handshake over TCP");
    assert_eq!(s.remote_identity(), identity(2).public());
    let chosen = timeout(WAIT, s.select(&["/chat/2.0.0", "/chat/1.0.0"])).await.expect("in time").expect("negotiation");
    assert_eq!(chosen, "/chat/1.0.0", "the server refused 2.0.0 with na, accepted 1.0.0");
    s.send(b"echo me").await.unwrap();
    assert_eq!(s.recv().await.unwrap().unwrap(), b"echo me");
    assert_eq!(server.await.unwrap(), "/chat/1.0.0");

    // Nothing in common: NotSupported.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut s = secure(stream, Role::Responder, identity(4)).await.unwrap();
        let _ = s.listen(&["/other/1.0.0"]).await;
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut s = reference::secure(stream, reference::Role::Initiator, identity(3)).await.expect("the reference's handshake with yours");
    assert!(matches!(timeout(WAIT, s.select(&["/chat/1.0.0"])).await.expect("in time"), Err(reference::SecureError::NotSupported)));
    let _ = SecureError::NotSupported;
}
