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

/// Why a negotiation waits forever.
const NEGOTIATION: &str = "a read that takes more than one message (a BufReader, or one large read(): read the varint \
     a byte at a time, then exactly the length it says, because the bytes after belong to the next protocol); a \
     message not flushed after write_all; a length or newline missing, so the other side waits for bytes that never \
     come; a dialer that waits for the listener's header before sending its own (the listener may wait for the \
     dialer's first, as rust-libp2p's and the reference's do)";
/// Why a dialer sends nothing, or less than its header and first proposal, to a
/// listener that has already sent its header.
const DIALER: &str = "the proposal written but not flushed; the dialer waiting for an answer before it proposes \
     (the listener's header is there to read, but the echo of /noise comes only after the proposal); a read of the \
     listener's header that asks for more than its 20 bytes (a buffer-full read, or a BufReader) and so waits for \
     bytes the listener sends only after your proposal";
/// Why a handshake over a byte stream waits forever.
const SECURE: &str = "the turns swapped in secure(): the initiator writes messages 1 and 3 and reads 2, the \
     responder reads 1 and 3 and writes 2, so two sides that both start by reading both wait; a frame not flushed \
     (write_frame: the length and the message in one write_all, then flush); a frame length that is not 2 bytes \
     big-endian, so the peer waits for bytes that never come; a frame read with one read() instead of read_exact";
/// Why a secure stream waits forever once the handshake is done.
const TRANSPORT: &str = "a frame length that is not 2 bytes big-endian (put_frame), so the peer waits for bytes that \
     never come; a frame read with one read() instead of read_exact (read_frame); a change to the given poll_write \
     or poll_flush that leaves the pending plaintext unsealed";
/// Why an upgrade waits forever: either of the above.
const UPGRADE: &str = "one side waiting for a message the other never sends or flushes: in multistream-select, a \
     message not flushed or a read that swallows the next protocol's bytes (read a byte at a time until the \
     length is known); in the secure stream, the handshake's turns swapped (the initiator writes first), a frame \
     or a pending write not flushed, or a frame length that is not 2 bytes big-endian";

/// The end of a wait that took longer than [`WAIT`]: what was awaited, and why that happens.
#[track_caller]
fn late(what: &str, causes: &str) -> ! {
    panic!("waited {} s for {what}, and it did not happen. Likely causes: {causes}.", WAIT.as_secs())
}

/// Both sides' results, yours looked at first: when yours succeeded and the
/// reference's did not, the message says so instead of blaming the reference.
#[track_caller]
fn both<A, B, E: std::fmt::Debug, F: std::fmt::Debug>(
    mine: Result<A, E>,
    theirs: Result<B, F>,
    my_name: &str,
    their_name: &str,
) -> (A, B) {
    match (mine, theirs) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), theirs) => panic!(
            "{my_name} failed: {e:?}{}",
            theirs.err().map(|t| format!(" (and {their_name}, on the other side: {t:?})")).unwrap_or_default()
        ),
        (Ok(_), Err(e)) => panic!(
            "{their_name} failed with {e:?} while {my_name} returned Ok: the reference refused or never got what your \
             side sent (an Io(UnexpectedEof) means it read a stream your side closed, or stopped writing to, too early)"
        ),
    }
}

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

/// Runs the three messages between two sans-IO handshakes (of any two implementations),
/// naming the side that failed.
macro_rules! run {
    ($initiator:expr, $responder:expr) => {
        run!($initiator, $responder, "the initiator", "the responder")
    };
    ($initiator:expr, $responder:expr, $i:expr, $r:expr) => {{
        let m1 = $initiator.write_message().unwrap_or_else(|e| panic!("{} could not write message 1: {e:?}", $i));
        $responder.read_message(&m1).unwrap_or_else(|e| panic!("{} refused message 1 from {}: {e:?}", $r, $i));
        let m2 = $responder.write_message().unwrap_or_else(|e| panic!("{} could not write message 2: {e:?}", $r));
        $initiator.read_message(&m2).unwrap_or_else(|e| panic!("{} refused message 2 from {}: {e:?}", $i, $r));
        let m3 = $initiator.write_message().unwrap_or_else(|e| panic!("{} could not write message 3: {e:?}", $i));
        $responder.read_message(&m3).unwrap_or_else(|e| panic!("{} refused message 3 from {}: {e:?}", $r, $i));
        assert!($initiator.is_finished() && $responder.is_finished(), "both sides finished after three messages");
        (m1, m2, m3)
    }};
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (dialer, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (dialer.unwrap(), accepted.unwrap().0)
}

/// Bytes in hex, or "nothing".
fn in_hex_or_nothing(bytes: &[u8]) -> String {
    if bytes.is_empty() { "nothing".to_string() } else { format!("{} bytes: {}", bytes.len(), to_hex(bytes)) }
}

/// When your dialer sent less than expected: if it panicked or returned, that says
/// more than the bytes it did not send.
async fn dialer_stopped<T, E: std::fmt::Debug>(
    dial: &mut tokio::task::JoinHandle<Result<T, E>>,
    sent: &[u8],
    who: &str,
) {
    match timeout(Duration::from_secs(1), dial).await {
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Ok(Err(e))) => panic!(
            "{who} returned {e:?} after sending {}, before its header and proposal /noise",
            in_hex_or_nothing(sent)
        ),
        _ => {}
    }
}

/// What arrives on `io` within [`WAIT`], up to `n` bytes: fewer when the other side
/// stops sending, closes, or fails.
async fn read_up_to(io: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    let mut len = 0;
    let _ = timeout(WAIT, async {
        while len < n {
            match io.read(&mut got[len..]).await {
                Ok(0) | Err(_) => break,
                Ok(k) => len += k,
            }
        }
    })
    .await;
    got.truncate(len);
    got
}

/// Protobuf varints, and libp2p's PublicKey message for an Ed25519 key (the peer-ids spec's vector)
#[test]
fn step_1_varints_and_public_key() {
    for (n, bytes) in [(0u64, "00"), (1, "01"), (127, "7f"), (128, "80 01"), (300, "ac 02"), (16_384, "80 80 01")] {
        let mut out = Vec::new();
        put_varint(&mut out, n);
        assert_bytes(
            &out,
            &hex(bytes),
            &format!("{n} as a varint (seven bits a byte, low bits first, the top bit set on all but the last)"),
        );
        assert_eq!(get_varint(&out), Ok((n, out.len())), "reading {n} back");
    }
    let mut max = Vec::new();
    put_varint(&mut max, u64::MAX);
    assert_bytes(&max, &hex("ff ff ff ff ff ff ff ff ff 01"), "u64::MAX takes ten bytes");
    assert_eq!(get_varint(&max), Ok((u64::MAX, 10)));
    assert_eq!(get_varint(&hex("ac 02 99")), Ok((300, 2)), "a varint stops at the first byte without the top bit");
    assert_eq!(get_varint(&hex("ac")), Err(PayloadError::Truncated), "cut short");
    assert_eq!(get_varint(&[]), Err(PayloadError::Truncated), "nothing at all");
    assert_eq!(get_varint(&hex("ff ff ff ff ff ff ff ff ff 02")), Err(PayloadError::Varint), "over 64 bits");
    assert_eq!(get_varint(&[0xff; 11]), Err(PayloadError::Varint), "eleven bytes");

    let key = Keypair::from_secret_bytes(hex32(SPEC_SECRET)).public();
    assert_eq!(KEY_TYPE_ED25519, 1);
    assert_bytes(
        &encode_public_key(&key),
        &hex(SPEC_PUBLIC_PROTOBUF),
        "the peer-ids spec's Ed25519 public key vector (08 01: field 1 the type; 12 20: field 2, 32 bytes)",
    );
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

/// multistream-select messages: varint length, text, newline (the spec's `na` = 03 6e 61 0a)
#[test]
fn step_2_multistream_messages() {
    assert_bytes(
        &encode("na"),
        &[0x03, b'n', b'a', b'\n'],
        "encode(\"na\"): \"na\" is 03 6e 61 0a (the length counts the newline)",
    );
    let header = encode("/multistream/1.0.0");
    assert_eq!(header[0], 0x13, "/multistream/1.0.0 is 18 bytes + newline = 19 = 0x13");
    assert_bytes(&header[1..], b"/multistream/1.0.0\n", "the text, then a newline");
    assert_bytes(&encode("/noise"), b"\x07/noise\n", "/noise is 07 2f 6e 6f 69 73 65 0a");
    assert_eq!(encode("/yamux/1.0.0")[0], 0x0d, "/yamux/1.0.0 is 12 bytes + newline = 0x0d");
    assert_eq!(decode(&header).as_deref(), Some("/multistream/1.0.0"));
    let long = "/".repeat(200);
    assert_bytes(&encode(&long)[..2], &[0xc9, 0x01], "a 200-byte name: its length 201 as a varint is c9 01");
    assert_eq!(decode(&encode(&long)), Some(long));
    assert_eq!(decode(&[0x03, b'n', b'a']), None, "cut short");
    assert_eq!(decode(&[0x03, b'n', b'a', b'!']), None, "no trailing newline");
    assert_eq!(decode(&[0x02, b'n', b'a', b'\n']), None, "the length does not match");
    assert_eq!(decode(&[0x80]), None, "a varint that never ends");
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
    assert_bytes(
        &identity_payload(&identity, &static_public, &[YAMUX]),
        &vector,
        "identity key (0a 24 …), signature (12 40 …), /yamux/1.0.0 (22 0e 12 0c …)",
    );
    assert_bytes(
        &identity_payload(&identity, &static_public, &[]),
        &vector[..104],
        "no muxers: no extensions field at all",
    );

    let decoded = Payload::decode(&vector).expect("the vector decodes");
    let expected = Payload {
        identity_key: hex(SPEC_PUBLIC_PROTOBUF),
        identity_sig: hex(SIGNATURE),
        stream_muxers: vec!["/yamux/1.0.0".into()],
    };
    assert_eq!(decoded, expected);
    assert_bytes(&expected.encode(), &vector, "Payload::encode");
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
    for (field, what) in [
        ("31 01 02 03 04 05 06 07 08", "field 6 with wire type 1: eight bytes to skip"),
        ("3d 01 02 03 04", "field 7 with wire type 5: four bytes to skip"),
    ] {
        let mut alone = hex(field);
        alone.extend(&vector);
        assert_eq!(
            Payload::decode(&alone),
            Ok(expected.clone()),
            "an unknown {what} ({field}), then the vector: wire type 1 is a fixed 64-bit value (8 bytes), wire type \
             5 a fixed 32-bit one (4 bytes); skipping the wrong width reads the next field from the wrong byte"
        );
    }
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

// ---------------------------------------------------------------------------------
// Known answers for step 4: the Noise XX handshake from fixed keys, computed here
// token by token with the primitives themselves (SHA-256, HKDF, ChaCha20-Poly1305,
// X25519), so that the check can say which token of which message went wrong.
// Sections: noiseprotocol.org/noise.html §5.1 (CipherState), §5.2 (SymmetricState),
// §5.3 (HandshakeState), §7.5 (XX); the libp2p noise spec for the empty payload of
// message 1 and the identity payloads.

const KA_INITIATOR_STATIC: [u8; 32] = [0x11; 32];
const KA_INITIATOR_EPHEMERAL: [u8; 32] = [0x12; 32];
const KA_RESPONDER_STATIC: [u8; 32] = [0x21; 32];
const KA_RESPONDER_EPHEMERAL: [u8; 32] = [0x22; 32];

/// Bytes as the book writes them: two hex digits each, a space between.
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// At most the first 40 bytes in hex, then how many more.
fn short_hex(bytes: &[u8]) -> String {
    if bytes.len() <= 40 {
        to_hex(bytes)
    } else {
        format!("{} … ({} bytes in all)", to_hex(&bytes[..40]), bytes.len())
    }
}

/// A message that must be refused with `want`; accepted, its plaintext is shown in hex.
#[track_caller]
fn assert_refused(got: Result<Vec<u8>, HandshakeError>, want: HandshakeError, what: &str) {
    match got {
        Err(e) if e == want => {}
        Err(e) => panic!("{what}: expected {want:?}, got {e:?} ({e})"),
        Ok(bytes) => panic!("{what}: expected {want:?}, but it was accepted, giving {}", short_hex(&bytes)),
    }
}

/// Two byte strings that must be equal; on a difference, both in hex and where they part.
#[track_caller]
fn assert_bytes(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        panic!("{what}\n{}", differ(got, want, 0, false));
    }
}

/// Where `got` and `want` part, in hex: both from the start when they are short,
/// otherwise the bytes around the first difference, so a difference past the first 40
/// bytes (an authentication tag, say) shows. `base` is where the part starts in its
/// message; `sealed` says the bytes are a ChaCha20-Poly1305 ciphertext and its tag.
fn differ(got: &[u8], want: &[u8], base: usize, sealed: bool) -> String {
    let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
    let lengths = format!("{} bytes against {}", got.len(), want.len());
    if got.len().max(want.len()) <= 40 {
        return format!(
            "    yours:    {}\n    expected: {}\n    ({lengths}; they first differ at byte {})",
            to_hex(got),
            to_hex(want),
            base + at
        );
    }
    let from = at.saturating_sub(8);
    let around = |bytes: &[u8]| {
        let end = (from + 24).min(bytes.len());
        let shown = to_hex(bytes.get(from..end).unwrap_or(&[]));
        format!("{}{shown}{}", if from > 0 { "… " } else { "" }, if end < bytes.len() { " …" } else { "" })
    };
    format!(
        "    yours:    {}\n    expected: {}\n    ({lengths}; they first differ at byte {}{}, shown from byte {})",
        around(got),
        around(want),
        base + at,
        if sealed && got.len() == want.len() && at >= want.len() - 16 {
            ", in the last 16 bytes, the tag: the same key and nonce sealed the same plaintext, under other associated \
             data"
        } else {
            ""
        },
        base + from
    )
}

fn x25519_public(secret: [u8; 32]) -> [u8; 32] {
    x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(secret)).to_bytes()
}

fn x25519(secret: [u8; 32], public: [u8; 32]) -> [u8; 32] {
    x25519_dalek::StaticSecret::from(secret).diffie_hellman(&x25519_dalek::PublicKey::from(public)).to_bytes()
}

fn sha256(a: &[u8], b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new().chain_update(a).chain_update(b).finalize().into()
}

fn hkdf2(ck: &[u8; 32], ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let mut out = [0u8; 64];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(ck), ikm).expand(&[], &mut out).unwrap();
    (out[..32].try_into().unwrap(), out[32..].try_into().unwrap())
}

/// Noise's ChaChaPoly nonce: 4 zero bytes, then the counter, little-endian (§12.3).
fn nonce_le(n: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_le_bytes());
    nonce
}

/// The mistake: the counter big-endian.
fn nonce_be(n: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_be_bytes());
    nonce
}

fn seal(key: &[u8; 32], nonce: [u8; 12], ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    use chacha20poly1305::KeyInit;
    use chacha20poly1305::aead::{Aead, Payload};
    chacha20poly1305::ChaCha20Poly1305::new(&(*key).into())
        .encrypt(&nonce.into(), Payload { msg: plaintext, aad: ad })
        .unwrap()
}

/// Every intermediate value of a correct XX handshake between the fixed keys.
struct Known {
    /// The four Diffie–Hellman results: initiator's key first (ee, es = e·rs, se = s·re, ss).
    dh: [([u8; 32], &'static str); 4],
    h0: [u8; 32],
    ck0: [u8; 32],
    h1_before_payload: [u8; 32],
    h1: [u8; 32],
    m1: Vec<u8>,
    ck2_ee: [u8; 32],
    k2_ee: [u8; 32],
    ck2: [u8; 32],
    k2_es: [u8; 32],
    h2_after_e: [u8; 32],
    h2_after_s: [u8; 32],
    h2: [u8; 32],
    m2: Vec<u8>,
    payload_responder: Vec<u8>,
    s_initiator: [u8; 32],
    s_responder: [u8; 32],
    c3_s: Vec<u8>,
    h3_after_s: [u8; 32],
    k3: [u8; 32],
    payload_initiator: Vec<u8>,
    ck3: [u8; 32],
    h3: [u8; 32],
    m3: Vec<u8>,
    k1: [u8; 32],
    k2: [u8; 32],
}

impl Known {
    fn compute() -> Known {
        let (s_i, e_i) = (x25519_public(KA_INITIATOR_STATIC), x25519_public(KA_INITIATOR_EPHEMERAL));
        let (s_r, e_r) = (x25519_public(KA_RESPONDER_STATIC), x25519_public(KA_RESPONDER_EPHEMERAL));
        let ee = x25519(KA_INITIATOR_EPHEMERAL, e_r);
        let es = x25519(KA_INITIATOR_EPHEMERAL, s_r);
        let se = x25519(KA_INITIATOR_STATIC, e_r);
        let ss = x25519(KA_INITIATOR_STATIC, s_r);
        let name: [u8; 32] = crate::subject::PROTOCOL_NAME.as_bytes().try_into().expect("the name is 32 bytes");
        let (ck0, h0) = (name, sha256(&name, &[]));
        let h1_before_payload = sha256(&h0, &e_i);
        let h1 = sha256(&h1_before_payload, &[]);
        let h2_after_e = sha256(&h1, &e_r);
        let (ck2_ee, k2_ee) = hkdf2(&ck0, &ee);
        let c2_s = seal(&k2_ee, nonce_le(0), &h2_after_e, &s_r);
        let h2_after_s = sha256(&h2_after_e, &c2_s);
        let (ck2, k2_es) = hkdf2(&ck2_ee, &es);
        let payload_responder = reference::identity_payload(&identity(2), &s_r, &[]);
        let c2_p = seal(&k2_es, nonce_le(0), &h2_after_s, &payload_responder);
        let h2 = sha256(&h2_after_s, &c2_p);
        let c3_s = seal(&k2_es, nonce_le(1), &h2, &s_i);
        let h3_after_s = sha256(&h2, &c3_s);
        let (ck3, k3) = hkdf2(&ck2, &se);
        let payload_initiator = reference::identity_payload(&identity(1), &s_i, &[]);
        let c3_p = seal(&k3, nonce_le(0), &h3_after_s, &payload_initiator);
        let h3 = sha256(&h3_after_s, &c3_p);
        let (k1, k2) = hkdf2(&ck3, &[]);
        Known {
            dh: [(ee, "ee"), (es, "es"), (se, "se"), (ss, "ss")],
            h0,
            ck0,
            h1_before_payload,
            h1,
            m1: e_i.to_vec(),
            ck2_ee,
            k2_ee,
            ck2,
            k2_es,
            h2_after_e,
            h2_after_s,
            h2,
            m2: [&e_r[..], &c2_s, &c2_p].concat(),
            payload_responder,
            s_initiator: s_i,
            s_responder: s_r,
            c3_s: c3_s.clone(),
            h3_after_s,
            k3,
            payload_initiator,
            ck3,
            h3,
            m3: [&c3_s[..], &c3_p].concat(),
            k1,
            k2,
        }
    }

    /// The Diffie–Hellman that `value` is, in the words of `side`'s own keys.
    fn dh_in_words(&self, value: &[u8; 32], initiator: bool) -> Option<&'static str> {
        let (_, name) = self.dh.iter().find(|(v, _)| v == value)?;
        Some(match (*name, initiator) {
            ("ee", _) => "DH(e, re), which is ee",
            ("es", true) => "DH(e, rs), which is es",
            ("es", false) => "DH(s, re), which is es",
            ("se", true) => "DH(s, re), which is se",
            ("se", false) => "DH(e, rs), which is se",
            _ => "DH(s, rs), the two static keys, which XX never mixes",
        })
    }

    /// Which Diffie–Hellman, mixed into `from`, gives `ck`.
    fn mixed(&self, from: &[u8; 32], ck: &[u8; 32], initiator: bool) -> Option<&'static str> {
        self.dh.iter().find(|(v, _)| hkdf2(from, v).0 == *ck).and_then(|(v, _)| self.dh_in_words(v, initiator))
    }
}

/// What is wrong with one side's `h` and `ck` after message `n`, in the words of the
/// token that made it; `None` when both equal the known answers.
fn diagnose(k: &Known, who: &str, initiator: bool, n: u8, h: [u8; 32], ck: [u8; 32]) -> Option<String> {
    let (want_h, want_ck) = match n {
        1 => (k.h1, k.ck0),
        2 => (k.h2, k.ck2),
        _ => (k.h3, k.ck3),
    };
    if h == want_h && ck == want_ck {
        return None;
    }
    let (es_words, se_words) = if initiator {
        (
            "DH(e, rs): your ephemeral key with the responder's static key",
            "DH(s, re): your static key with the responder's ephemeral key",
        )
    } else {
        (
            "DH(s, re): your static key with the initiator's ephemeral key",
            "DH(e, rs): your ephemeral key with the initiator's static key",
        )
    };
    let head = format!(
        "after message {n}, {who}'s {} from the reference's",
        if ck != want_ck && h != want_h {
            "h and ck differ"
        } else if ck != want_ck {
            "ck differs"
        } else {
            "h differs"
        }
    );
    let why = if n == 1 && ck != want_ck {
        let name: [u8; 32] = crate::subject::PROTOCOL_NAME.as_bytes().try_into().unwrap();
        // With the empty prologue, SHA-256(name) is also h after MixHash(prologue): h tells the two apart.
        if ck == sha256(&name, &[]) && h == sha256(&sha256(&sha256(&sha256(&name, &[]), &[]), &k.m1), &[]) {
            "the protocol name was hashed: a name of exactly 32 bytes is used as it is, h = the name's 32 bytes, and \
             ck = h is that name too; only a longer name is hashed (InitializeSymmetric, Noise §5.2)"
                .to_string()
        } else if ck == k.h0 {
            "ck must start as the protocol name itself, taken before the prologue is hashed into h (InitializeSymmetric, Noise §5.2)".to_string()
        } else {
            "ck must still be its starting value, the 32-byte protocol name: message 1 has no Diffie–Hellman (Noise §5.2, §7.5)".to_string()
        }
    } else if n == 1 {
        let name: [u8; 32] = crate::subject::PROTOCOL_NAME.as_bytes().try_into().unwrap();
        if h == k.h1_before_payload {
            "your MixHash of the empty payload is missing: message 1 carries an empty payload, and with no key yet \
             EncryptAndHash (DecryptAndHash when reading) of it still hashes the empty ciphertext, h = SHA-256(h ‖ \"\") \
             (Noise §5.2, EncryptAndHash; §5.3, WriteMessage: the payload comes after the tokens)".to_string()
        } else if h == sha256(&sha256(&name, &k.m1), &[]) {
            "the empty prologue is hashed too: MixHash(prologue) right after InitializeSymmetric, before any token (Noise §5.3, Initialize)".to_string()
        } else if h == sha256(&sha256(&sha256(&sha256(&name, &[]), &[]), &k.m1), &[]) {
            "a protocol name of exactly 32 bytes is h as it is, not hashed (InitializeSymmetric, Noise §5.2)"
                .to_string()
        } else {
            "expected h = the 32-byte protocol name, then MixHash(empty prologue), MixHash(e), MixHash(empty payload) \
             (Noise §5.2, §5.3)"
                .to_string()
        }
    } else if n == 2 && ck != want_ck {
        if let Some(used) = k.mixed(&k.ck2_ee, &ck, initiator) {
            format!(
                "your second MixKey of message 2 (the token es) mixed {used}; es on this side is {es_words} (Noise §7.5: the reading side mirrors the writing side's keys)"
            )
        } else if ck == k.ck2_ee {
            format!(
                "ck holds ee but not es: after the encrypted s, message 2's es must be mixed in with MixKey({es_words}) (or decrypting the encrypted s, under the key from ee with h as associated data and nonce 0, failed)"
            )
        } else if ck == k.ck0 {
            "no Diffie–Hellman was mixed into ck: message 2 is e, ee, s, es — MixKey(DH(e, re)) after e, MixKey(es) after s (Noise §5.3, §7.5)".to_string()
        } else if k
            .dh
            .iter()
            .any(|(v, _)| hkdf2(&k.ck0, v).0 == ck || k.dh.iter().any(|(w, _)| hkdf2(&hkdf2(&k.ck0, v).0, w).0 == ck))
        {
            "the first MixKey of message 2 must be ee, DH(e, re), the two ephemeral keys, and the second es (Noise §7.5)".to_string()
        } else {
            "MixKey(ikm) sets ck, k = HKDF(ck, ikm) with two 32-byte outputs (Noise §5.2, §4.3): HKDF-SHA256 with ck as the salt and an empty info".to_string()
        }
    } else if n == 3 && ck != want_ck {
        if let Some(used) = k.mixed(&k.ck2, &ck, initiator) {
            format!("your MixKey of message 3 (the token se) mixed {used}; se on this side is {se_words} (Noise §7.5)")
        } else if ck == k.ck2 {
            format!(
                "ck lacks se: after the encrypted s, message 3's se must be mixed in with MixKey({se_words}) (or decrypting the encrypted s failed first)"
            )
        } else {
            format!("message 3 is s, se: one MixKey, of {se_words} (Noise §7.5)")
        }
    } else {
        // ck is right, h is not: a ciphertext hashed into h differs.
        "ck is right, so the Diffie–Hellmans are; the bytes hashed into h are not: every public key in clear and every \
         ciphertext (not the plaintext), in order, each encrypted with h as the associated data (EncryptAndHash, Noise §5.2)"
            .to_string()
    };
    Some(format!(
        "{head}: {why}\n    your h:  {}\n    its h:   {}\n    your ck: {}\n    its ck:  {}",
        to_hex(&h),
        to_hex(&want_h),
        to_hex(&ck),
        to_hex(&want_ck)
    ))
}

/// What a wrong part of a handshake message is most likely to be: checked against
/// the same part made with the typical mistakes.
fn diagnose_part(got: &[u8], candidates: &[(Vec<u8>, &str)]) -> Option<String> {
    candidates.iter().find(|(bytes, _)| bytes == got).map(|(_, why)| why.to_string())
}

/// A named part of a handshake message: its bytes' range.
type Part = (&'static str, std::ops::Range<usize>);
/// A part made with a typical mistake, and the mistake in words.
type Candidate = (Vec<u8>, &'static str);

/// Compares a message your side wrote with the known answer, part by part.
#[track_caller]
fn check_written(k: &Known, who: &str, n: u8, got: &[u8]) {
    let want = match n {
        1 => &k.m1,
        2 => &k.m2,
        _ => &k.m3,
    };
    if got == want.as_slice() {
        return;
    }
    let s_len = 48;
    let (parts, hint): (Vec<Part>, Vec<Candidate>) = match n {
        1 => (vec![("the ephemeral public key (-> e)", 0..32)], vec![]),
        2 => (
            vec![
                ("the ephemeral public key (e)", 0..32),
                ("the encrypted static key (s)", 32..32 + s_len),
                ("the encrypted identity payload", 32 + s_len..want.len()),
            ],
            vec![
                (
                    seal(&k.k2_ee, nonce_le(0), &[], &k.s_responder),
                    "encrypted with empty associated data: during the handshake EncryptAndHash uses h as the associated data (Noise §5.2)",
                ),
                (
                    seal(&k.k2_es, nonce_le(0), &sha256(&k.h2_after_e, &k.s_responder), &k.payload_responder),
                    "EncryptAndHash hashes the plaintext of s into h instead of its ciphertext: h = SHA-256(h ‖ ciphertext) (Noise §5.2), so the payload's associated data differs and only its 16-byte tag changes",
                ),
                (
                    seal(&k.k2_es, nonce_le(1), &k.h2_after_s, &k.payload_responder),
                    "MixKey keeps the old nonce: a new key starts at nonce 0 (MixKey calls InitializeKey, which sets n = 0: Noise §5.2, §5.1), so the payload, the first encryption under the key from es, takes nonce 0",
                ),
                (
                    seal(&k.k2_es, nonce_le(0), &[], &k.payload_responder),
                    "encrypted with empty associated data: during the handshake EncryptAndHash uses h as the associated data (Noise §5.2)",
                ),
            ],
        ),
        _ => (
            vec![("the encrypted static key (s)", 0..s_len), ("the encrypted identity payload", s_len..want.len())],
            vec![
                (
                    seal(&k.k2_es, nonce_be(1), &k.h2, &k.s_initiator),
                    "encrypted with nonce 1 big-endian: the ChaChaPoly nonce is 4 zero bytes, then the 64-bit counter little-endian (Noise §12.3); message 3's s is the second encryption under the key from es, so nonce 1",
                ),
                (
                    seal(&k.k2_es, nonce_le(0), &k.h2, &k.s_initiator),
                    "encrypted with nonce 0 again: the nonce counts up after each encryption and each decryption under a key (Noise §5.1), and message 3's s is the second use of the key from es (message 2's payload, nonce 0, was the first)",
                ),
                (
                    seal(&k.k2_es, nonce_le(1), &[], &k.s_initiator),
                    "encrypted with empty associated data: during the handshake EncryptAndHash uses h as the associated data (Noise §5.2)",
                ),
                (
                    seal(&k.k3, nonce_le(0), &sha256(&k.h2, &k.s_initiator), &k.payload_initiator),
                    "EncryptAndHash hashes the plaintext of s into h instead of its ciphertext: h = SHA-256(h ‖ ciphertext) (Noise §5.2), so the payload's associated data differs and only its 16-byte tag changes",
                ),
                (
                    seal(&k.k3, nonce_le(2), &k.h3_after_s, &k.payload_initiator),
                    "MixKey keeps the old nonce: a new key starts at nonce 0 (MixKey calls InitializeKey, which sets n = 0: Noise §5.2, §5.1), so the payload, the first encryption under the key from se, takes nonce 0",
                ),
                (
                    seal(&k.k3, nonce_le(0), &[], &k.payload_initiator),
                    "encrypted with empty associated data: during the handshake EncryptAndHash uses h as the associated data (Noise §5.2)",
                ),
            ],
        ),
    };
    let mut text = format!("message {n} from {who} differs from the reference's (the same keys make the same bytes)");
    for (name, range) in parts {
        let range = range.start.min(got.len())..range.end.min(want.len());
        let mine = got.get(range.start..range.end.min(got.len())).unwrap_or(&[]);
        if mine != &want[range.clone()] {
            text += &format!("\n  {name}, bytes {}..{}, differs first:\n{}", range.start, range.end, {
                differ(mine, &want[range.clone()], range.start, name.contains("encrypted"))
            });
            let part = &got[range.start.min(got.len())..(range.start + (range.end - range.start)).min(got.len())];
            if let Some(why) = diagnose_part(part, &hint.iter().map(|(b, w)| (b[..].to_vec(), *w)).collect::<Vec<_>>())
            {
                text += &format!("\n  It is what the reference makes when {why}");
            }
            break;
        }
    }
    if got.len() != want.len() {
        text += &format!("\n  ({} bytes against {})", got.len(), want.len());
    }
    panic!("{text}");
}

/// The first transport messages of a finished session, against Split's known keys.
#[track_caller]
fn check_transport(k: &Known, who: &str, initiator: bool, session: &mut crate::subject::Session) {
    let (send, receive) = if initiator { (k.k1, k.k2) } else { (k.k2, k.k1) };
    let (sends_with, receives_with) = if initiator { ("k1", "k2") } else { ("k2", "k1") };
    let plain = b"known answer";
    let first = session.encrypt(plain).unwrap_or_else(|e| panic!("{who}'s Session::encrypt: {e:?} ({e})"));
    if first != seal(&send, nonce_le(0), &[], plain) {
        let (other, _) = if initiator { (k.k2, k.k1) } else { (k.k1, k.k2) };
        let split_inputs: [(&[u8], &str); 3] =
            [(&k.h3, "the handshake hash h"), (&k.ck3, "ck itself"), (&[0u8; 32], "32 zero bytes")];
        let why = if first == seal(&other, nonce_le(0), &[], plain) {
            format!(
                "{who} sends with the wrong key of Split: Split gives (k1, k2); the initiator sends with k1 and receives with k2, the responder sends with k2 and receives with k1 (Noise §5.2 Split, §5.3)"
            )
        } else if first == seal(&send, nonce_le(0), &k.h3, plain) {
            "transport messages carry associated data here (h): after the handshake they are encrypted with empty associated data (Noise §5.2 Split returns plain CipherStates; libp2p noise spec)".to_string()
        } else if let Some((_, what)) = split_inputs.iter().find(|(ikm, _)| {
            let (a, b) = hkdf2(&k.ck3, ikm);
            first == seal(&a, nonce_le(0), &[], plain) || first == seal(&b, nonce_le(0), &[], plain)
        }) {
            format!(
                "Split was given {what} as input: Split is HKDF(ck, empty input), a zero-length input key material (Noise §5.2 Split)"
            )
        } else {
            format!(
                "the first transport message of {who} must be ChaCha20-Poly1305 under {sends_with} from Split (HKDF(ck, empty input)), nonce 0, empty associated data (Noise §5.1, §5.2)"
            )
        };
        panic!(
            "{who}'s first transport message after the handshake is not the known answer: {why}\n    yours:    {}\n    expected: {}",
            short_hex(&first),
            short_hex(&seal(&send, nonce_le(0), &[], plain))
        );
    }
    let second = session.encrypt(plain).unwrap();
    if second != seal(&send, nonce_le(1), &[], plain) {
        let why = if second == seal(&send, nonce_be(1), &[], plain) {
            "nonce 1 is big-endian: the ChaChaPoly nonce is 4 zero bytes, then the counter little-endian (Noise §12.3)"
        } else if second == first {
            "the nonce did not count up: each encryption under a key takes the next nonce (Noise §5.1)"
        } else {
            "the second message must use nonce 1 under the same key (Noise §5.1)"
        };
        panic!("{who}'s second transport message is not the known answer: {why}\n    yours:    {}", short_hex(&second));
    }
    let incoming = seal(&receive, nonce_le(0), &[], b"to you");
    match session.decrypt(&incoming) {
        Ok(got) => assert_bytes(&got, b"to you", &format!("{who} decrypted the peer's first transport message")),
        Err(e) => panic!(
            "{who} could not decrypt the peer's first transport message ({e:?}), encrypted under {receives_with} from Split, nonce 0, empty associated data: \
             {who} must receive with {receives_with} (Noise §5.2 Split)"
        ),
    }
}

/// A message read by your side: a refusal explains itself by its error, by which
/// variant of the message (made with a typical mistake) a fresh handshake of yours
/// accepts instead, or by the state it left.
#[track_caller]
fn read_known(k: &Known, who: &str, initiator: bool, n: u8, mine: &mut Handshake, message: &[u8]) {
    if let Err(e) = mine.read_message(message) {
        let then = if e == HandshakeError::BadIdentity {
            format!(
                "message {n} decrypted, but its payload's signature did not verify: it signs \"noise-libp2p-static-key:\" ‖ \
                 the static key this message just delivered (rs, the encrypted s), not the ephemeral key re; \
                 verify_payload(payload, rs) (libp2p noise spec, \"The libp2p Handshake Payload\")"
            )
        } else if let HandshakeError::Payload(p) = &e {
            format!(
                "message {n} decrypted, but its payload did not decode ({p}): the payload is the plaintext of the last \
                 DecryptAndHash, the bytes after the encrypted s (32 + 16 bytes), all of them"
            )
        } else if let Some(why) = accepted_instead(k, initiator, n) {
            why
        } else {
            let (prev_h, prev_ck) = if n == 2 { (k.h1, k.ck0) } else { (k.h2, k.ck2) };
            match diagnose(k, who, initiator, n, mine.handshake_hash(), mine.chaining_key()) {
                Some(d) if !(mine.handshake_hash() == prev_h && mine.chaining_key() == prev_ck) => d,
                _ => format!(
                    "h and ck were still right when it failed, so the first decryption of message {n} (its encrypted static key) failed: \
                     {}, with h as the associated data, and a nonce of 4 zero bytes then the counter little-endian (Noise §5.1, §5.2, §12.3)",
                    if n == 2 {
                        "under the key from ee, nonce 0"
                    } else {
                        "under the key from es, nonce 1 (message 2's payload took nonce 0)"
                    }
                ),
            }
        };
        panic!("{who} refused the reference's message {n} with {e:?} ({e}).\n  {then}");
    }
    if let Some(d) = diagnose(k, who, initiator, n, mine.handshake_hash(), mine.chaining_key()) {
        panic!("{d}");
    }
}

/// Message `n` made with each typical mistake of the reading side, fed to a fresh
/// handshake of yours with the same keys: the mistake whose message it accepts.
fn accepted_instead(k: &Known, initiator: bool, n: u8) -> Option<String> {
    let fresh = || -> Option<Handshake> {
        if initiator {
            let mut h = Handshake::with_keys(Role::Initiator, identity(1), KA_INITIATOR_STATIC, KA_INITIATOR_EPHEMERAL);
            h.write_message().ok()?;
            Some(h)
        } else {
            let mut h = Handshake::with_keys(Role::Responder, identity(2), KA_RESPONDER_STATIC, KA_RESPONDER_EPHEMERAL);
            h.read_message(&k.m1).ok()?;
            h.write_message().ok()?;
            Some(h)
        }
    };
    let (variants, key): ([(Vec<u8>, &str); 3], &str) = if n == 2 {
        let e_r = &k.m2[..32];
        let c2_s = &k.m2[32..80];
        (
            [
                ([e_r, c2_s, &seal(&k.k2_es, nonce_le(1), &k.h2_after_s, &k.payload_responder)].concat(), "nonce"),
                (
                    [
                        e_r,
                        &seal(&k.k2_ee, nonce_le(0), &[], &k.s_responder),
                        &seal(&k.k2_es, nonce_le(0), &[], &k.payload_responder),
                    ]
                    .concat(),
                    "ad",
                ),
                (
                    [
                        e_r,
                        c2_s,
                        &seal(&k.k2_es, nonce_le(0), &sha256(&k.h2_after_e, &k.s_responder), &k.payload_responder),
                    ]
                    .concat(),
                    "plaintext",
                ),
            ],
            "es",
        )
    } else {
        (
            [
                ([&k.c3_s[..], &seal(&k.k3, nonce_le(2), &k.h3_after_s, &k.payload_initiator)].concat(), "nonce"),
                (
                    [
                        &seal(&k.k2_es, nonce_le(1), &[], &k.s_initiator)[..],
                        &seal(&k.k3, nonce_le(0), &[], &k.payload_initiator),
                    ]
                    .concat(),
                    "ad",
                ),
                (
                    [&k.c3_s[..], &seal(&k.k3, nonce_le(0), &sha256(&k.h2, &k.s_initiator), &k.payload_initiator)]
                        .concat(),
                    "plaintext",
                ),
            ],
            "se",
        )
    };
    for (message, mistake) in variants {
        let mut h = fresh()?;
        if h.read_message(&message).is_ok() {
            return Some(match mistake {
                "nonce" => format!(
                    "your side decrypts the payload of message {n} with the nonce counting on from before the last MixKey, \
                     where a new key starts at nonce 0: MixKey calls InitializeKey, which sets n = 0 (Noise §5.2, §5.1); \
                     the payload is the first decryption under the key from {key}, so nonce 0 (a message sealed with the \
                     continued nonce is accepted by a fresh handshake of yours)"
                ),
                "ad" => format!(
                    "your side decrypts with empty associated data: during the handshake DecryptAndHash uses h as the \
                     associated data, as EncryptAndHash does (Noise §5.2); only transport messages have none (a message \
                     {n} sealed with empty associated data is accepted by a fresh handshake of yours)"
                ),
                _ => format!(
                    "your DecryptAndHash hashes the plaintext into h instead of the ciphertext: h = SHA-256(h ‖ ciphertext) \
                     on both sides (Noise §5.2), so the next decryption's associated data differs (a message {n} made \
                     that way is accepted by a fresh handshake of yours)"
                ),
            });
        }
    }
    None
}

/// Noise XX from fixed keys, message by message: your h and ck after each message, each message's bytes, and the keys of Split equal the known answers
#[test]
fn step_4_known_answers() {
    let k = Known::compute();
    // A check of the check: the reference makes exactly these values.
    let mut ri = reference::Handshake::with_keys(
        reference::Role::Initiator,
        identity(1),
        KA_INITIATOR_STATIC,
        KA_INITIATOR_EPHEMERAL,
    );
    let mut rr = reference::Handshake::with_keys(
        reference::Role::Responder,
        identity(2),
        KA_RESPONDER_STATIC,
        KA_RESPONDER_EPHEMERAL,
    );
    let (m1, m2, m3) = run!(ri, rr, "the reference initiator", "the reference responder");
    assert!(m1 == k.m1 && m2 == k.m2 && m3 == k.m3, "the check's known answers disagree with the reference's messages");
    assert!(
        ri.handshake_hash() == k.h3 && ri.chaining_key() == k.ck3,
        "the check's known answers disagree with the reference"
    );

    // Your initiator, the reference responder.
    let who = "your initiator";
    let mut mine = Handshake::with_keys(Role::Initiator, identity(1), KA_INITIATOR_STATIC, KA_INITIATOR_EPHEMERAL);
    let mut theirs = reference::Handshake::with_keys(
        reference::Role::Responder,
        identity(2),
        KA_RESPONDER_STATIC,
        KA_RESPONDER_EPHEMERAL,
    );
    let m1 = mine.write_message().unwrap_or_else(|e| panic!("{who} could not write message 1: {e:?} ({e})"));
    check_written(&k, who, 1, &m1);
    if let Some(d) = diagnose(&k, who, true, 1, mine.handshake_hash(), mine.chaining_key()) {
        panic!("{d}");
    }
    theirs.read_message(&m1).unwrap();
    read_known(&k, who, true, 2, &mut mine, &theirs.write_message().unwrap());
    let m3 = mine.write_message().unwrap_or_else(|e| panic!("{who} could not write message 3: {e:?} ({e})"));
    check_state_then_bytes(&k, who, true, 3, &mine, &m3);
    theirs
        .read_message(&m3)
        .unwrap_or_else(|e| panic!("the reference responder refused message 3 from {who}: {e:?} ({e})"));
    let mut session = mine.finish().unwrap_or_else(|e| panic!("{who}'s finish after three messages: {e:?} ({e})"));
    check_transport(&k, who, true, &mut session);

    // The reference initiator, your responder.
    let who = "your responder";
    let mut theirs = reference::Handshake::with_keys(
        reference::Role::Initiator,
        identity(1),
        KA_INITIATOR_STATIC,
        KA_INITIATOR_EPHEMERAL,
    );
    let mut mine = Handshake::with_keys(Role::Responder, identity(2), KA_RESPONDER_STATIC, KA_RESPONDER_EPHEMERAL);
    read_known_first(&k, who, &mut mine, &theirs.write_message().unwrap());
    let m2 = mine.write_message().unwrap_or_else(|e| panic!("{who} could not write message 2: {e:?} ({e})"));
    check_state_then_bytes(&k, who, false, 2, &mine, &m2);
    theirs
        .read_message(&m2)
        .unwrap_or_else(|e| panic!("the reference initiator refused message 2 from {who}: {e:?} ({e})"));
    read_known(&k, who, false, 3, &mut mine, &theirs.write_message().unwrap());
    let mut session = mine.finish().unwrap_or_else(|e| panic!("{who}'s finish after three messages: {e:?} ({e})"));
    check_transport(&k, who, false, &mut session);
}

/// After your side wrote message `n`: a wrong ck first (a Diffie–Hellman went wrong),
/// then the message's bytes part by part, then h.
#[track_caller]
fn check_state_then_bytes(k: &Known, who: &str, initiator: bool, n: u8, mine: &Handshake, message: &[u8]) {
    let want_ck = if n == 2 { k.ck2 } else { k.ck3 };
    if mine.chaining_key() != want_ck
        && let Some(d) = diagnose(k, who, initiator, n, mine.handshake_hash(), mine.chaining_key())
    {
        panic!("{d}");
    }
    check_written(k, who, n, message);
    if let Some(d) = diagnose(k, who, initiator, n, mine.handshake_hash(), mine.chaining_key()) {
        panic!("{d}");
    }
}

/// Message 1 read by your responder: nothing to decrypt, so only the state can be wrong.
#[track_caller]
fn read_known_first(k: &Known, who: &str, mine: &mut Handshake, message: &[u8]) {
    if let Err(e) = mine.read_message(message) {
        panic!("{who} refused the reference's message 1, its 32-byte ephemeral key and nothing else: {e:?} ({e})");
    }
    if let Some(d) = diagnose(k, who, false, 1, mine.handshake_hash(), mine.chaining_key()) {
        panic!("{d}");
    }
}

/// Two of your handshakes complete, agree on keys, and learn each other's identity and muxers
#[test]
fn step_5_handshake() {
    let mut alice = Handshake::new(Role::Initiator, identity(1)).with_stream_muxers(&[YAMUX]);
    let mut bob = Handshake::new(Role::Responder, identity(2)).with_stream_muxers(&["/mplex/6.7.0", YAMUX]);
    let (m1, m2, m3) = run!(alice, bob, "your initiator", "your responder");
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
    let alice_static = alice.static_public();
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    assert_eq!(a.remote_identity(), identity(2).public(), "alice learned bob's identity");
    assert_eq!(b.remote_identity(), identity(1).public(), "bob learned alice's identity");
    assert_eq!(a.remote_peer_id(), identity(2).peer_id());
    assert_eq!(a.remote_stream_muxers(), ["/mplex/6.7.0", YAMUX], "alice read bob's extension");
    assert_eq!(b.remote_stream_muxers(), [YAMUX], "bob read alice's extension");
    assert_eq!(a.local_stream_muxers(), [YAMUX]);
    let ct = a.encrypt(b"hello bob").unwrap();
    assert_eq!(ct.len(), 9 + 16, "a transport message is the plaintext and a 16-byte tag");
    assert_eq!(
        b.decrypt(&ct).unwrap_or_else(|e| panic!(
            "your responder could not decrypt your initiator's first transport message: {e:?}"
        )),
        b"hello bob"
    );
    let ct = b.encrypt(b"hello alice").unwrap();
    assert_eq!(
        a.decrypt(&ct).unwrap_or_else(|e| panic!(
            "your initiator could not decrypt your responder's first transport message: {e:?}"
        )),
        b"hello alice"
    );
    assert!(!ct.windows(5).any(|w| w == b"hello"), "transport messages are encrypted");

    let mut carol = Handshake::new(Role::Initiator, identity(3));
    let mut dave = Handshake::new(Role::Responder, identity(4));
    let (carol_m1, _, _) = run!(carol, dave, "your initiator", "your responder");
    assert!(
        carol_m1 != m1 && carol.static_public() != alice_static,
        "two handshakes made with Handshake::new sent the same ephemeral key ({}) or have the same static key: \
         new draws fresh random X25519 keys for every handshake (random_secret), or an eavesdropper who learns one \
         key learns every session made with it (Noise §14, Security considerations: ephemeral keys must never be reused)",
        to_hex(&m1)
    );
    assert!(carol.finish().unwrap().remote_stream_muxers().is_empty(), "no extension sent, none read");
}

/// Your handshake and the reference's complete in both roles
#[test]
fn step_6_with_the_reference() {
    let mut mine = Handshake::new(Role::Initiator, identity(1)).with_stream_muxers(&[YAMUX]);
    let mut theirs = reference::Handshake::new(reference::Role::Responder, identity(2)).with_stream_muxers(&[YAMUX]);
    run!(mine, theirs, "your initiator", "the reference responder");
    let (mut a, mut b) = (mine.finish().unwrap(), theirs.finish().unwrap());
    assert_eq!(a.remote_identity(), identity(2).public());
    assert_eq!(b.remote_identity(), identity(1).public(), "the reference verified your payload");
    assert_eq!(b.remote_stream_muxers(), [YAMUX], "the reference read your extension");
    assert_eq!(
        b.decrypt(&a.encrypt(b"to the reference").unwrap()).unwrap_or_else(|e| panic!(
            "the reference responder could not decrypt your initiator's transport message: {e:?}"
        )),
        b"to the reference"
    );
    assert_eq!(
        a.decrypt(&b.encrypt(b"from the reference").unwrap()).unwrap_or_else(|e| panic!(
            "your initiator could not decrypt the reference responder's transport message: {e:?}"
        )),
        b"from the reference"
    );

    let mut theirs = reference::Handshake::new(reference::Role::Initiator, identity(3)).with_stream_muxers(&[YAMUX]);
    let mut mine = Handshake::new(Role::Responder, identity(4));
    run!(theirs, mine, "the reference initiator", "your responder");
    let (mut a, mut b) = (theirs.finish().unwrap(), mine.finish().unwrap());
    assert_eq!(b.remote_identity(), identity(3).public());
    assert_eq!(b.remote_stream_muxers(), [YAMUX]);
    assert!(a.remote_stream_muxers().is_empty());
    assert_eq!(
        b.decrypt(&a.encrypt(b"x").unwrap()).unwrap_or_else(|e| panic!(
            "your responder could not decrypt the reference initiator's transport message: {e:?}"
        )),
        b"x"
    );
    assert_eq!(
        a.decrypt(&b.encrypt(b"y").unwrap()).unwrap_or_else(|e| panic!(
            "the reference initiator could not decrypt your responder's transport message: {e:?}"
        )),
        b"y"
    );
}

/// Your handshake interoperates with `snow`, an independent Noise implementation, both ways
#[test]
fn step_7_with_snow() {
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

/// What snow, as an initiator, gets your responder to accept as message 3
fn against_snow_initiator(snow_payload: &[u8]) -> Result<(), HandshakeError> {
    let params: snow::params::NoiseParams = "Noise_XX_25519_ChaChaPoly_SHA256".parse().unwrap();
    let mut snow = snow::Builder::new(params).local_private_key(&[9u8; 32]).unwrap().build_initiator().unwrap();
    let mut mine = Handshake::new(Role::Responder, identity(2));
    let mut buf = vec![0u8; 65535];
    let n = snow.write_message(&[], &mut buf).unwrap();
    mine.read_message(&buf[..n]).unwrap();
    snow.read_message(&mine.write_message().unwrap(), &mut vec![0u8; 65535]).unwrap();
    let n = snow.write_message(snow_payload, &mut buf).unwrap();
    mine.read_message(&buf[..n])
}

/// A lying or broken peer is refused with a typed error: bad signature, wrong key type, malformed payload, tampering
#[test]
fn step_8_identity_binding() {
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
    assert_eq!(against_snow_initiator(&honest), Ok(()), "an honest payload in message 3");
    assert_eq!(
        against_snow_initiator(&[]),
        Err(HandshakeError::Payload(PayloadError::MissingKey)),
        "a message 3 of 64 bytes, the encrypted s (48) and an empty payload's tag (16): long enough for its pattern, \
         so not Length; its empty payload has no identity key, so Payload(MissingKey)"
    );

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
    assert_eq!(
        bob.write_message(),
        Err(HandshakeError::OutOfOrder),
        "your responder wrote before it read message 1: in XX the initiator writes first, so a responder's \
         write_message before read_message is OutOfOrder (write only on your turn: step even for the initiator, \
         odd for the responder)"
    );
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

    // The largest handshake messages your side may write: 65,535 bytes, the Noise limit
    // (a frame's length has 2 bytes). A stream multiplexer name long enough makes the
    // payload reach it; one byte more must be TooLong when writing, not a message the
    // peer refuses (or a frame that cannot be sent).
    let name_for = |who: u8, payload_len: usize| -> String {
        let sized = |n: usize| reference::identity_payload(&identity(who), &[0; 32], &["m".repeat(n).as_str()]).len();
        let name = "m".repeat(payload_len - (sized(20_000) - 20_000));
        assert_eq!(sized(name.len()), payload_len, "a check of the check: the muxer name sizes the payload");
        name
    };
    for (n, payload_len) in [(2, 65_535 - 32 - 48 - 16), (3, 65_535 - 48 - 16)] {
        for over in [0, 1] {
            let name = name_for(if n == 2 { 2 } else { 1 }, payload_len + over);
            let muxers = [name.as_str()];
            let mut alice = Handshake::new(Role::Initiator, identity(1));
            let mut bob = Handshake::new(Role::Responder, identity(2));
            if n == 3 {
                alice = alice.with_stream_muxers(&muxers);
            } else {
                bob = bob.with_stream_muxers(&muxers);
            }
            bob.read_message(&alice.write_message().unwrap()).unwrap();
            let written = if n == 2 {
                bob.write_message()
            } else {
                alice.read_message(&bob.write_message().unwrap()).unwrap();
                alice.write_message()
            };
            let who = if n == 2 { "your responder" } else { "your initiator" };
            match (over, written) {
                (0, Ok(message)) => assert_eq!(message.len(), 65_535, "{who}'s message {n}, sized to the limit"),
                (0, Err(e)) => panic!(
                    "{who} refused to write a message {n} of exactly 65,535 bytes (a payload of {payload_len}): {e:?}; \
                     the limit is 65,535 bytes, keys, tags and payload included, and a message of exactly that size \
                     is allowed: only a longer one is TooLong (Noise §3)"
                ),
                (_, Ok(message)) => panic!(
                    "{who} wrote a message {n} of {} bytes, over the Noise limit of 65,535: its frame length cannot \
                     say it, so no peer can read it; write_message must return TooLong when the keys, tags and \
                     payload add up to more than 65,535 (Noise §3)",
                    message.len()
                ),
                (_, Err(e)) => assert_eq!(e, HandshakeError::TooLong, "{who}'s message {n}, one byte over the limit"),
            }
        }
        // And your side reads a message of exactly 65,535 bytes from the reference.
        let name = name_for(if n == 2 { 2 } else { 1 }, payload_len);
        let muxers = [name.as_str()];
        let (read, who) = if n == 2 {
            let mut mine = Handshake::new(Role::Initiator, identity(1));
            let mut theirs =
                reference::Handshake::new(reference::Role::Responder, identity(2)).with_stream_muxers(&muxers);
            theirs.read_message(&mine.write_message().unwrap()).unwrap();
            let m2 = theirs.write_message().unwrap();
            assert_eq!(m2.len(), 65_535, "a check of the check: the reference's message 2 is at the limit");
            (mine.read_message(&m2), "your initiator")
        } else {
            let mut theirs =
                reference::Handshake::new(reference::Role::Initiator, identity(1)).with_stream_muxers(&muxers);
            let mut mine = Handshake::new(Role::Responder, identity(2));
            mine.read_message(&theirs.write_message().unwrap()).unwrap();
            theirs.read_message(&mine.write_message().unwrap()).unwrap();
            let m3 = theirs.write_message().unwrap();
            assert_eq!(m3.len(), 65_535, "a check of the check: the reference's message 3 is at the limit");
            (mine.read_message(&m3), "your responder")
        };
        if let Err(e) = read {
            panic!(
                "{who} refused the reference's message {n} of exactly 65,535 bytes with {e:?} ({e}): that is the \
                 Noise limit itself, and allowed; only a longer message is TooLong (Noise §3)"
            );
        }
    }
    // Two messages in: the initiator has verified the responder, but message 3 is still to go.
    let mut alice3 = Handshake::new(Role::Initiator, identity(1));
    let mut bob3 = Handshake::new(Role::Responder, identity(2));
    bob3.read_message(&alice3.write_message().unwrap()).unwrap();
    alice3.read_message(&bob3.write_message().unwrap()).unwrap();
    assert!(
        !alice3.is_finished() && matches!(alice3.finish(), Err(HandshakeError::OutOfOrder)),
        "your initiator, after reading message 2 and before writing message 3, said it was finished or gave a \
         session: the handshake is finished only after all three messages (is_finished: step == 3), and finish \
         before that is OutOfOrder, or the responder never learns who it talks to"
    );

    // An all-zero ephemeral key, a point of small order: every Diffie–Hellman with it is
    // 32 zero bytes, a key the attacker knows. MixKey refuses it with WeakKey.
    let mut bob = Handshake::new(Role::Responder, identity(2));
    let weak = bob.read_message(&[0; 32]).and_then(|()| bob.write_message().map(|_| ()));
    assert_eq!(
        weak,
        Err(HandshakeError::WeakKey),
        "message 1 whose ephemeral key is all zeros: DH(e, re) is then 32 zero bytes, which anyone can compute; refuse \
         an all-zero Diffie–Hellman result with WeakKey (in MixKey), at the latest when message 2 mixes in ee"
    );
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    alice.write_message().unwrap();
    assert_eq!(
        alice.read_message(&[0; 32 + 48 + 16 + 120]),
        Err(HandshakeError::WeakKey),
        "message 2 whose ephemeral key is all zeros: ee is 32 zero bytes; refuse it with WeakKey when it is mixed in, \
         before any decryption"
    );

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
fn step_9_transport() {
    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = reference::Handshake::new(reference::Role::Responder, identity(2));
    run!(alice, bob, "your initiator", "the reference responder");
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    let first = a.encrypt(b"one").unwrap();
    assert_eq!(
        b.decrypt(&first).unwrap_or_else(|e| panic!(
            "the reference responder could not decrypt your initiator's first transport message: {e:?}"
        )),
        b"one"
    );
    assert!(b.decrypt(&first).is_err(), "the reference refuses a replay of yours");

    let mut alice = Handshake::new(Role::Initiator, identity(1));
    let mut bob = Handshake::new(Role::Responder, identity(2));
    run!(alice, bob, "your initiator", "your responder");
    let (mut a, mut b) = (alice.finish().unwrap(), bob.finish().unwrap());
    let sent: Vec<Vec<u8>> = [&b"one"[..], b"two", b"three", b"four"].iter().map(|m| a.encrypt(m).unwrap()).collect();
    assert_eq!(
        b.decrypt(&sent[0]).unwrap_or_else(|e| panic!(
            "your responder could not decrypt your initiator's first transport message: {e:?}"
        )),
        b"one"
    );
    assert_refused(b.decrypt(&sent[0]), HandshakeError::Decrypt, "a replayed message");
    // Each refusal is followed by the genuine next message, so a refusal that used up a
    // nonce shows here, at the message after it.
    let nonce_kept = |what: &str| {
        format!(
            "your responder refused the genuine next message after refusing {what}: a refused message must not use up a \
             nonce (Noise §5.1: DecryptWithAd increments n only when the tag verifies); count up only after a \
             successful decryption"
        )
    };
    assert_eq!(
        b.decrypt(&sent[1]).unwrap_or_else(|e| panic!("{} ({e:?})", nonce_kept("a replay"))),
        b"two",
        "the genuine next message after a refused replay"
    );
    let mut altered = sent[2].clone();
    altered[0] ^= 1;
    assert_refused(b.decrypt(&altered), HandshakeError::Decrypt, "an altered message");
    assert_eq!(
        b.decrypt(&sent[2]).unwrap_or_else(|e| panic!("{} ({e:?})", nonce_kept("an altered message"))),
        b"three",
        "the genuine message after a refused alteration of it"
    );
    let fifth = a.encrypt(b"five").unwrap();
    assert_refused(b.decrypt(&fifth), HandshakeError::Decrypt, "a message out of order (the fifth before the fourth)");
    assert_eq!(
        b.decrypt(&sent[3]).unwrap_or_else(|e| panic!("{} ({e:?})", nonce_kept("a message out of order"))),
        b"four",
        "the fourth message, after the fifth was refused"
    );
    assert_eq!(
        b.decrypt(&fifth).unwrap_or_else(|e| panic!("the fifth message must decrypt, in order now: {e:?}")),
        b"five",
        "and the fifth, in order now"
    );
    assert_refused(b.decrypt(&[0; 15]), HandshakeError::Decrypt, "shorter than a tag");
    assert_refused(a.encrypt(&vec![0; 65_520]), HandshakeError::TooLong, "one byte over 65,535 − 16");
    let largest = a.encrypt(&vec![0; 65_519]).unwrap();
    assert_eq!(largest.len(), 65_535, "the largest transport message");
    assert_eq!(b.decrypt(&largest).unwrap().len(), 65_519);
    assert_refused(b.decrypt(&vec![0; 65_536]), HandshakeError::TooLong, "over 65,535 bytes");
}

/// multistream-select over loopback TCP with the reference, both ways: the bytes, `na` and fallback, refusals
#[tokio::test]
async fn step_10_negotiation_over_tcp() {
    // What your dialer puts on the wire first. This peer is a listener as rust-libp2p's
    // is: it waits for the dialer's header before sending its own. A dialer that sends
    // its header and /noise together passes, and so does one that sends its header,
    // reads the listener's, then proposes.
    const HEADER: &[u8] = b"\x13/multistream/1.0.0\n";
    let (mut dialer, mut raw) = tcp_pair().await;
    let mut dial = tokio::spawn(async move { dialer_select(&mut dialer, &[NOISE]).await.map(|_| ()) });
    let header = read_up_to(&mut raw, HEADER.len()).await;
    if header.len() < HEADER.len() {
        dialer_stopped(&mut dial, &header, "your dialer_select").await;
        late(
            &format!(
                "your dialer's header, {} (20 bytes), which a listener may wait for before it sends anything (your \
                 dialer sent {})",
                to_hex(HEADER),
                in_hex_or_nothing(&header)
            ),
            "a dialer that waits for the listener's header before sending its own (rust-libp2p's listener, and the \
             reference's, send theirs only after reading the dialer's); the header written but not flushed; a length \
             or newline missing",
        );
    }
    assert_bytes(&header, HEADER, "your dialer's first message, the header /multistream/1.0.0");
    raw.write_all(HEADER).await.unwrap();
    let proposal = read_up_to(&mut raw, 8).await;
    if proposal.len() < 8 {
        dialer_stopped(&mut dial, &proposal, "your dialer_select").await;
        late(
            &format!(
                "your dialer's proposal /noise, {}, after the listener's header (your dialer sent {} after its header)",
                to_hex(b"\x07/noise\n"),
                in_hex_or_nothing(&proposal)
            ),
            DIALER,
        );
    }
    assert_bytes(&proposal, b"\x07/noise\n", "your dialer's proposal, /noise, right after its header");
    raw.write_all(b"\x07/noise\n").await.unwrap();
    match timeout(WAIT, dial).await {
        Err(_) => late("your dialer_select to return after the listener's header and its echo of /noise", NEGOTIATION),
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Ok(Ok(Err(e))) => {
            panic!("your dialer_select failed after the listener's header and its echo of /noise: {e:?} ({e})")
        }
        Ok(Ok(Ok(()))) => {}
    }

    // Your dialer against the reference listener: /tls is refused, /noise accepted.
    let (mut a, mut b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            dialer_select(&mut a, &["/tls/1.0.0", NOISE]),
            reference::negotiate::listener_select(&mut b, &[NOISE, YAMUX])
        )
    })
    .await
    .unwrap_or_else(|_| late("your dialer and the reference listener to agree", NEGOTIATION));
    let (mine, theirs) = both(mine, theirs, "your dialer", "the reference listener");
    assert_eq!(mine, NOISE, "na for /tls/1.0.0, then /noise");
    assert_eq!(theirs, NOISE);
    // Nothing more was read than the negotiation: the next bytes are intact.
    a.write_all(b"after").await.unwrap();
    let mut after = [0u8; 5];
    timeout(WAIT, b.read_exact(&mut after))
        .await
        .unwrap_or_else(|_| late("the 5 bytes written after the negotiation", NEGOTIATION))
        .unwrap();
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
    .unwrap_or_else(|_| late("the reference dialer and your listener to agree", NEGOTIATION));
    let (mine, theirs) = both(mine, theirs, "your listener", "the reference dialer");
    assert_eq!(mine, YAMUX);
    assert_eq!(theirs, YAMUX);

    // Nothing in common.
    let (mut a, mut b) = tcp_pair().await;
    tokio::spawn(async move { reference::negotiate::listener_select(&mut b, &[NOISE]).await.map(|_| ()) });
    let mine = timeout(WAIT, dialer_select(&mut a, &["/chat/2.0.0"])).await.unwrap_or_else(|_| {
        late("your dialer_select to give up (the listener answers na to /chat/2.0.0)", NEGOTIATION)
    });
    assert!(matches!(mine, Err(NegotiationError::NotSupported)), "got {mine:?}");

    // A peer that does not speak multistream-select, and one that claims a huge message.
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&encode("/http/1.1")).await.unwrap();
    let got = timeout(WAIT, listener_select(&mut b, &[NOISE]))
        .await
        .unwrap_or_else(|_| late("your listener_select to refuse a peer whose header is /http/1.1", NEGOTIATION));
    assert!(matches!(&got, Err(NegotiationError::NotMultistream(h)) if h == "/http/1.1"), "got {got:?}");
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&hex("d0 0f")).await.unwrap(); // 2000
    let got = timeout(WAIT, read_message(&mut b))
        .await
        .unwrap_or_else(|_| late("your read_message to refuse a length of 2000", NEGOTIATION));
    assert!(matches!(got, Err(NegotiationError::TooLong(2000))), "got {got:?}");
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&hex("80 80 01")).await.unwrap(); // 16,384, and a peer that sends nothing more
    let got = timeout(WAIT, read_message(&mut b))
        .await
        .unwrap_or_else(|_| late("your read_message to refuse a length of three varint bytes (80 80 01)", NEGOTIATION));
    assert!(
        matches!(got, Err(NegotiationError::TooLong(16_384))),
        "the length 80 80 01 is 16,384, over the limit of 1024 (MAX_MESSAGE): refuse it with TooLong(16384), the \
         length the peer claimed, as soon as the varint is read, without waiting for a body; got {got:?}"
    );
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(&hex("80 80 80 01")).await.unwrap(); // 2,097,152: a fourth length byte
    let got = timeout(WAIT, read_message(&mut b)).await.unwrap_or_else(|_| {
        late("your read_message to refuse a length of four varint bytes (80 80 80 01)", NEGOTIATION)
    });
    assert!(
        matches!(got, Err(NegotiationError::TooLong(n)) if n > 1024),
        "a length whose third varint byte still has its top bit set (80 80 80 …) is 2,097,152 or more: TooLong, \
         with a length over the limit of 1024 (at least 16,384, what three bytes already mean), decided by the \
         third byte at the latest; got {got:?}"
    );
    // The longest message allowed: MAX_MESSAGE (1024) bytes, newline included.
    let (mut a, mut b) = tcp_pair().await;
    let longest = format!("/{}", "x".repeat(1022));
    a.write_all(&[&hex("80 08")[..], longest.as_bytes(), b"\n"].concat()).await.unwrap();
    let got = timeout(WAIT, read_message(&mut b))
        .await
        .unwrap_or_else(|_| late("your read_message to read a message of exactly 1024 bytes", NEGOTIATION));
    assert!(
        matches!(&got, Ok(text) if *text == longest),
        "a message of exactly 1024 bytes (length 80 08: 1023 bytes of text and the newline) is within the limit \
         of 1024 (MAX_MESSAGE), and must be read: only a longer one is TooLong; got {:?}",
        got.map(|t| t.len())
    );
    let (mut a, mut b) = tcp_pair().await;
    a.write_all(b"\x03na!").await.unwrap();
    let got = timeout(WAIT, read_message(&mut b))
        .await
        .unwrap_or_else(|_| late("your read_message to refuse a message without its newline", NEGOTIATION));
    assert!(matches!(got, Err(NegotiationError::Malformed)), "no newline: got {got:?}");
    let (a, mut b) = tcp_pair().await;
    drop(a);
    assert!(matches!(
        timeout(WAIT, read_message(&mut b))
            .await
            .unwrap_or_else(|_| late("your read_message to fail on a closed stream", NEGOTIATION)),
        Err(NegotiationError::Io(_))
    ));
}

/// A byte stream whose every read fails, as a connection reset by the peer does.
struct Failing;

impl tokio::io::AsyncRead for Failing {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
    }
}

/// A byte stream that records the size of every write that reaches it.
struct Counted<T> {
    io: T,
    writes: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl<T> Counted<T> {
    fn new(io: T) -> (Counted<T>, std::sync::Arc<std::sync::Mutex<Vec<usize>>>) {
        let writes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        (Counted { io, writes: writes.clone() }, writes)
    }
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counted<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &polled {
            self.writes.lock().unwrap().push(*n);
        }
        polled
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The writes a handshake made, against its frames' `sizes` (length included): one
/// write each, or a frame waits on Nagle's algorithm and a delayed ACK.
#[track_caller]
fn one_write_per_frame(writes: &[usize], sizes: &[usize], who: &str) {
    if writes != sizes {
        panic!(
            "{who} wrote its {} handshake frames ({} bytes each, length included) in {} writes of {writes:?} bytes: \
             a frame must leave in one write, its 2-byte length and its message built in one buffer and written with \
             one write_all. Two small writes in a row make the second wait for the ACK of the first, which the peer \
             delays: about 40 ms per frame on Linux (the chapter's Pitfall \"two writes per frame\"; RFC 1122 §4.2.3.2)",
            sizes.len(),
            sizes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" and "),
            writes.len()
        );
    }
}

/// The handshake over TCP gives an encrypted AsyncRead + AsyncWrite stream, with the reference both ways
#[tokio::test]
async fn step_11_secure_stream() {
    // read_frame on its own: where the stream ends says whether that is an error.
    use crate::subject::secure::read_frame;
    for (sent, want) in [
        (&[][..], "Ok(None): the stream ended cleanly, before a frame started"),
        (&[0x00, 0x05, 1, 2][..], "Err(UnexpectedEof): the stream ended inside a 5-byte message"),
        (&[0x00][..], "Err(UnexpectedEof): the stream ended inside the 2-byte length"),
    ] {
        let mut from = sent;
        let got = read_frame(&mut from).await;
        let right = match &got {
            Ok(None) => sent.is_empty(),
            Err(e) => !sent.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof,
            Ok(Some(_)) => false,
        };
        assert!(right, "read_frame of a stream holding {}: expected {want}, got {got:?}", in_hex_or_nothing(sent));
    }
    let got = read_frame(&mut Failing).await;
    assert!(
        matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "read_frame of a stream that fails with ConnectionReset: that error, passed on (only UnexpectedEof before a \
         frame starts is a clean end, Ok(None)); got {got:?}"
    );

    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();

    // You dial, the reference listens; 300 kB each way (several Noise messages).
    let (a, b) = tcp_pair().await;
    let (a, writes) = Counted::new(a);
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            secure(a, Handshake::new(Role::Initiator, identity(1))),
            reference::secure(b, reference::Handshake::new(reference::Role::Responder, identity(2)))
        )
    })
    .await
    .unwrap_or_else(|_| late("your initiator's handshake over TCP and the reference responder's", SECURE));
    let (mut mine, mut theirs) =
        both(mine, theirs, "your handshake over TCP (initiator)", "the reference's handshake (responder)");
    let m3 = 48 + reference::identity_payload(&identity(1), &[0; 32], &[]).len() + 16;
    one_write_per_frame(&writes.lock().unwrap(), &[2 + 32, 2 + m3], "your initiator's secure()");
    assert_eq!(mine.remote_peer_id(), identity(2).peer_id());
    assert_eq!(theirs.remote_peer_id(), identity(1).peer_id());
    let sent = data.clone();
    let (_, got) = timeout(WAIT, async {
        tokio::join!(
            async {
                // One byte first, so that the rest meets a pending write that is not empty.
                mine.write_all(&sent[..1]).await.unwrap();
                mine.write_all(&sent[1..]).await.unwrap();
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
    .unwrap_or_else(|_| late("the reference to read the 300 kB your stream wrote and flushed", TRANSPORT));
    assert!(got == data, "the reference read what you wrote");
    let rest = timeout(WAIT, async {
        mine.shutdown().await.unwrap();
        let mut rest = Vec::new();
        theirs.read_to_end(&mut rest).await.map(|_| rest)
    })
    .await
    .unwrap_or_else(|_| late("the reference to see the end of your stream after your shutdown()", TRANSPORT));
    assert!(
        matches!(&rest, Ok(rest) if rest.is_empty()),
        "after your shutdown(), the reference must read a clean end and nothing more: got {rest:?}"
    );
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
    .unwrap_or_else(|_| late("your stream to read the 300 kB the reference wrote, then the end", TRANSPORT));
    assert!(got == data, "you read what the reference wrote, then a clean end");

    // The reference dials, you listen.
    let (a, b) = tcp_pair().await;
    let (b, writes) = Counted::new(b);
    let (theirs, mine) = timeout(WAIT, async {
        tokio::join!(
            reference::secure(a, reference::Handshake::new(reference::Role::Initiator, identity(3))),
            secure(b, Handshake::new(Role::Responder, identity(4)))
        )
    })
    .await
    .unwrap_or_else(|_| late("the reference initiator's handshake and your responder's", SECURE));
    let (mut mine, mut theirs) =
        both(mine, theirs, "your handshake as listener (responder)", "the reference's handshake (initiator)");
    let m2 = 32 + 48 + reference::identity_payload(&identity(4), &[0; 32], &[]).len() + 16;
    one_write_per_frame(&writes.lock().unwrap(), &[2 + m2], "your responder's secure()");
    assert_eq!(mine.remote_identity(), identity(3).public());
    theirs.write_all(b"ping").await.unwrap();
    theirs.flush().await.unwrap();
    let mut ping = [0u8; 4];
    timeout(WAIT, mine.read_exact(&mut ping))
        .await
        .unwrap_or_else(|_| late("your stream to deliver the reference's 4 bytes \"ping\"", TRANSPORT))
        .unwrap();
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
    .unwrap_or_else(|_| late("your handshake against a peer that then alters a frame", SECURE));
    let mut mine = mine.expect("your handshake");
    let mut buf = [0u8; 16];
    let got = timeout(WAIT, mine.read(&mut buf))
        .await
        .unwrap_or_else(|_| late("your read of the altered frame to fail", TRANSPORT));
    let error = got.expect_err("an altered transport message is an error");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    drop(faked);

    // A stream that ends in the middle of the handshake.
    let (a, mut b) = tcp_pair().await;
    let handshake = tokio::spawn(secure(a, Handshake::new(Role::Initiator, identity(7))));
    let mut m1 = [0u8; 34];
    timeout(WAIT, b.read_exact(&mut m1))
        .await
        .unwrap_or_else(|_| late("your initiator's message 1 as a frame (34 bytes)", SECURE))
        .unwrap();
    assert_eq!(m1[..2], [0x00, 0x20], "message 1 travels as 00 20 and 32 bytes");
    b.write_all(&[0x00, 0xc8, 1, 2, 3]).await.unwrap(); // 200 bytes announced, 3 sent
    drop(b);
    let got = timeout(WAIT, handshake)
        .await
        .unwrap_or_else(|_| late("your handshake to fail on a stream that ends inside a frame", SECURE))
        .unwrap();
    assert!(matches!(got, Err(SecureError::Io(_))), "got {:?}", got.err());
}

/// The whole upgrade over TCP, both ways: /noise, the handshake, and /yamux/1.0.0 inlined or in a round after
#[tokio::test]
async fn step_12_upgrade() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        inlined_muxer(&list(&[YAMUX, "/mplex/6.7.0"]), &list(&["/mplex/6.7.0", YAMUX])).unwrap().as_deref(),
        Some(YAMUX),
        "the spec's example: the initiator's preference wins"
    );
    assert_eq!(inlined_muxer(&list(&[YAMUX]), &[]).unwrap(), None, "the responder offered none: a round follows");
    assert_eq!(inlined_muxer(&[], &list(&[YAMUX])).unwrap(), None, "the initiator offered none");
    assert!(matches!(inlined_muxer(&list(&["/mplex/6.7.0"]), &list(&[YAMUX])), Err(SecureError::NoCommonMuxer)));

    // What your upgrade puts on the wire first, to a listener that answers the header
    // only once it has the dialer's (as rust-libp2p's does).
    let (a, mut raw) = tcp_pair().await;
    let mut dial = tokio::spawn(upgrade(a, Role::Initiator, identity(1)));
    const HEADER: &[u8] = b"\x13/multistream/1.0.0\n";
    let header = read_up_to(&mut raw, HEADER.len()).await;
    if header.len() < HEADER.len() {
        dialer_stopped(&mut dial, &header, "your upgrade").await;
        late(
            &format!(
                "your upgrade's first message, the header {} (20 bytes): security is negotiated first, in plaintext \
                 (your upgrade sent {})",
                to_hex(HEADER),
                in_hex_or_nothing(&header)
            ),
            UPGRADE,
        );
    }
    assert_bytes(&header, HEADER, "security is negotiated first, in plaintext: the header /multistream/1.0.0");
    raw.write_all(HEADER).await.unwrap();
    let proposal = read_up_to(&mut raw, 8).await;
    if proposal.len() < 8 {
        dialer_stopped(&mut dial, &proposal, "your upgrade").await;
        late(
            &format!(
                "your upgrade's proposal /noise, {}, after the listener's header (your upgrade sent {} after its header)",
                to_hex(b"\x07/noise\n"),
                in_hex_or_nothing(&proposal)
            ),
            DIALER,
        );
    }
    assert_bytes(&proposal, b"\x07/noise\n", "your upgrade's proposal, /noise, the security protocol");
    drop(raw);
    match timeout(WAIT, dial).await {
        Err(_) => late("your upgrade to fail once the peer went away", UPGRADE),
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Ok(Ok(got)) => assert!(got.is_err(), "the peer went away after the header: your upgrade must fail"),
    }

    // Both offer /yamux/1.0.0 in the handshake: agreed there, no round after.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            upgrade(a, Role::Initiator, identity(1)),
            reference::upgrade(b, reference::Role::Responder, identity(2))
        )
    })
    .await
    .unwrap_or_else(|_| late("your upgrade (initiator) and the reference's (responder)", UPGRADE));
    let (mut mine, mut theirs) = both(mine, theirs, "your upgrade (initiator)", "the reference's upgrade (responder)");
    assert_eq!(mine.peer, identity(2).peer_id(), "you verified the reference's peer id");
    assert_eq!(theirs.peer, identity(1).peer_id(), "the reference verified yours");
    assert_eq!((mine.muxer.as_str(), mine.inlined), (YAMUX, true), "yamux, agreed inside the handshake");
    assert_eq!((theirs.muxer.as_str(), theirs.inlined), (YAMUX, true));
    mine.stream.write_all(b"over yamux next").await.unwrap();
    mine.stream.flush().await.unwrap();
    let mut got = [0u8; 15];
    timeout(WAIT, theirs.stream.read_exact(&mut got))
        .await
        .unwrap_or_else(|_| late("the reference to read the 15 bytes your upgraded stream wrote and flushed", UPGRADE))
        .unwrap();
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
    .unwrap_or_else(|_| {
        late("the reference's upgrade (initiator, the muxer in a round after) and yours (responder)", UPGRADE)
    });
    let (mut mine, mut theirs) =
        both(mine, theirs, "your upgrade as listener (responder)", "the reference's upgrade (initiator)");
    assert_eq!(mine.peer, identity(3).peer_id());
    assert_eq!((mine.muxer.as_str(), mine.inlined), (YAMUX, false), "yamux, in a multistream-select round after");
    assert_eq!((theirs.muxer.as_str(), theirs.inlined), (YAMUX, false));
    theirs.stream.write_all(b"ok").await.unwrap();
    theirs.stream.flush().await.unwrap();
    let mut ok = [0u8; 2];
    timeout(WAIT, mine.stream.read_exact(&mut ok))
        .await
        .unwrap_or_else(|_| late("your upgraded stream to deliver the reference's \"ok\"", UPGRADE))
        .unwrap();
    assert_eq!(&ok, b"ok");

    // Both offer two muxers inline, in opposite orders: the initiator's preference wins
    // on both sides, whichever side you are.
    for mine_initiates in [false, true] {
        let (a, b) = tcp_pair().await;
        let (mplex, yamux) = ("/mplex/6.7.0", YAMUX);
        let (initiator_list, responder_list) = ([mplex, yamux], [yamux, mplex]);
        let (mine, theirs) = timeout(WAIT, async {
            if mine_initiates {
                tokio::join!(
                    upgrade_with(
                        a,
                        Handshake::new(Role::Initiator, identity(11)).with_stream_muxers(&initiator_list),
                        &initiator_list
                    ),
                    reference::upgrade_with(
                        b,
                        reference::Handshake::new(reference::Role::Responder, identity(12))
                            .with_stream_muxers(&responder_list),
                        &responder_list
                    )
                )
            } else {
                let (theirs, mine) = tokio::join!(
                    reference::upgrade_with(
                        a,
                        reference::Handshake::new(reference::Role::Initiator, identity(11))
                            .with_stream_muxers(&initiator_list),
                        &initiator_list
                    ),
                    upgrade_with(
                        b,
                        Handshake::new(Role::Responder, identity(12)).with_stream_muxers(&responder_list),
                        &responder_list
                    )
                );
                (mine, theirs)
            }
        })
        .await
        .unwrap_or_else(|_| late("both upgrades, each offering two muxers inline in the other order", UPGRADE));
        let you = if mine_initiates { "your upgrade (initiator)" } else { "your upgrade (responder)" };
        let they =
            if mine_initiates { "the reference's upgrade (responder)" } else { "the reference's upgrade (initiator)" };
        let (mine, theirs) = both(mine, theirs, you, they);
        assert_eq!(theirs.muxer, mplex);
        assert!(
            mine.muxer == mplex && mine.inlined,
            "{you} chose {:?} (inlined: {}), where the initiator offered {initiator_list:?} and the responder \
             {responder_list:?}: both sides must pick the first of the initiator's list that the responder also \
             offered, /mplex/6.7.0, so they agree without a round. As responder, the initiator's list is the remote \
             one: inlined_muxer(remote, local), not inlined_muxer(local, remote)",
            mine.muxer,
            mine.inlined
        );
    }

    // You dial offering nothing inline; the reference listens with its defaults.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = timeout(WAIT, async {
        tokio::join!(
            upgrade_with(a, Handshake::new(Role::Initiator, identity(5)), &["/mplex/6.7.0", YAMUX]),
            reference::upgrade(b, reference::Role::Responder, identity(6))
        )
    })
    .await
    .unwrap_or_else(|_| late("your upgrade offering nothing inline and the reference's", UPGRADE));
    let (mine, theirs) = both(mine, theirs, "your upgrade (initiator)", "the reference's upgrade (responder)");
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
    .unwrap_or_else(|_| late("both upgrades to fail with no common muxer", UPGRADE));
    assert!(matches!(mine, Err(SecureError::NoCommonMuxer)), "got {:?}", mine.err());
    assert!(theirs.is_err());
}
