//! The identity exercise's checks, in the order to make them pass.
//!
//! `subject` is the crate under test; `reference` is the reference solution. Where a
//! check compares the two, it is proving that your code interoperates with someone
//! else's: a peer id you print parses elsewhere, a message you seal opens elsewhere.

use std::path::Path;

use crate::{reference, subject};

/// RFC 8032 §7.1, tests 1–3: (secret key, public key, message, signature), in hex.
/// <https://www.rfc-editor.org/rfc/rfc8032#section-7.1>
const RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

/// The libp2p peer id of RFC 8032 test 1's public key: base58btc of
/// `00 24 08 01 12 20` followed by the key, as the libp2p peer id spec lays it out
/// (computed independently of this project's code, with a 10-line Python base58).
const RFC8032_TEST1_PEER_ID: &str = "12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV";

/// The Ed25519 test vector of the libp2p peer id spec: the 32-byte secret key (the
/// first half of the 64 data bytes of its `PrivateKey` protobuf
/// `08 01 12 40 7e08…fce27e`), the public key, and that key's peer id. The spec gives
/// the two key protobufs; the peer id is the one rust-libp2p's `libp2p-identity`
/// computes for the key (checked in `interop/tests/peer_id.rs`).
/// <https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#test-vectors>
const SPEC_ED25519: (&str, &str, &str) = (
    "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d",
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e",
    "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
);

fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(hex_text, &mut out).expect("test vectors are valid hex");
    out
}

/// A keypair made by the reference, usable by both crates through its secret bytes.
fn shared_keypair() -> (subject::Keypair, reference::Keypair) {
    let theirs = reference::Keypair::generate();
    (subject::Keypair::from_secret_bytes(theirs.secret_bytes()), theirs)
}

/// A keypair from a secret key gives the public key of RFC 8032's test vectors
#[test]
fn step_1_keypair_from_secret_bytes() {
    for (i, (secret, public, _, _)) in RFC8032.iter().enumerate() {
        let keypair = subject::Keypair::from_secret_bytes(bytes(secret));
        assert_eq!(
            hex::encode(keypair.public().to_bytes()),
            *public,
            "RFC 8032 test {}: wrong public key for this secret key",
            i + 1
        );
        assert_eq!(
            keypair.secret_bytes(),
            bytes::<32>(secret),
            "secret_bytes() must give back the secret key the keypair was made from"
        );
        let shown = format!("{keypair:?}");
        assert!(
            shown.contains(public) && !shown.contains(secret),
            "RFC 8032 test {}: a keypair's {{:?}} (what a log or a panic message shows) must print its public key \
             in hex and never its secret key; it printed {shown}",
            i + 1
        );
    }
}

/// Generated keypairs are fresh and random each time
#[test]
fn step_2_generate() {
    let a = subject::Keypair::generate();
    let b = subject::Keypair::generate();
    assert_ne!(a.public().to_bytes(), b.public().to_bytes(), "two generated keypairs have the same public key");
    assert_ne!(a.secret_bytes(), [0u8; 32], "the secret key is all zeros: fill it from the OS random generator");
    let again = subject::Keypair::from_secret_bytes(a.secret_bytes());
    assert_eq!(again.public(), a.public(), "a keypair rebuilt from its secret bytes has another public key");
}

/// Signatures match RFC 8032's test vectors byte for byte
#[test]
fn step_3_sign() {
    for (i, (secret, _, message, signature)) in RFC8032.iter().enumerate() {
        let keypair = subject::Keypair::from_secret_bytes(bytes(secret));
        let message = hex::decode(message).expect("valid hex");
        assert_eq!(
            hex::encode(keypair.sign(&message).to_bytes()),
            *signature,
            "RFC 8032 test {}: wrong signature (Ed25519 signing is deterministic, so it must match exactly)",
            i + 1
        );
        assert!(
            format!("{:?}", keypair.sign(&message)).contains(signature),
            "RFC 8032 test {}: a signature's {{:?}} must print its 64 bytes in hex",
            i + 1
        );
    }
}

/// Verify accepts real signatures and rejects changed messages, signatures and keys
#[test]
fn step_4_verify() {
    let (_, public, message, signature) = RFC8032[2];
    let key = subject::PublicKey::from_bytes(bytes(public)).expect("RFC 8032's public key is valid");
    let message = hex::decode(message).expect("valid hex");
    let signature = subject::Signature::from_bytes(bytes(signature));
    assert_eq!(key.verify(&message, &signature), Ok(()), "RFC 8032 test 3's signature must verify");

    assert_eq!(
        key.verify(b"\xaf\x83", &signature),
        Err(subject::BadSignature),
        "a signature verified for a message it was not made for"
    );
    let mut forged = signature.to_bytes();
    forged[10] ^= 0x01;
    assert_eq!(
        key.verify(&message, &subject::Signature::from_bytes(forged)),
        Err(subject::BadSignature),
        "a signature with one flipped bit verified"
    );
    let other = subject::Keypair::generate().public();
    assert_eq!(
        other.verify(&message, &signature),
        Err(subject::BadSignature),
        "a signature verified under another key"
    );

    // Across implementations: what one signs, the other verifies.
    let (mine, theirs) = shared_keypair();
    let text = b"hello from a peer";
    let my_signature = mine.sign(text);
    let their_key = reference::PublicKey::from_bytes(mine.public().to_bytes()).expect("valid key");
    assert_eq!(
        their_key.verify(text, &reference::Signature::from_bytes(my_signature.to_bytes())),
        Ok(()),
        "the reference rejects your signature"
    );
    let their_signature = subject::Signature::from_bytes(theirs.sign(text).to_bytes());
    assert_eq!(mine.public().verify(text, &their_signature), Ok(()), "you reject the reference's signature");
}

/// Public keys read from bytes are checked: not on the curve, or weak, is an error
#[test]
fn step_5_public_key_from_bytes() {
    let valid: [u8; 32] = bytes(RFC8032[0].1);
    let key = subject::PublicKey::from_bytes(valid).expect("RFC 8032 test 1's public key must be accepted");
    assert_eq!(key.to_bytes(), valid, "to_bytes() must give back the bytes the key was read from");

    // y = 2 has no x on Edwards25519: (y² − 1) / (d·y² + 1) is not a square mod 2²⁵⁵ − 19.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert!(subject::PublicKey::from_bytes(off_curve).is_err(), "accepted 02 00 … 00, which is not a curve point");

    // The neutral element (y = 1) has order 1: a "key" for which anything verifies.
    let mut identity_point = [0u8; 32];
    identity_point[0] = 1;
    assert!(
        subject::PublicKey::from_bytes(identity_point).is_err(),
        "accepted 01 00 … 00, the neutral point: a weak key of small order (see VerifyingKey::is_weak)"
    );
}

/// Peer ids are libp2p's: base58btc of 00 24 08 01 12 20 and the key
#[test]
fn step_6_peer_id() {
    let keypair = subject::Keypair::from_secret_bytes(bytes(RFC8032[0].0));
    let id = keypair.peer_id();
    assert_eq!(
        id.to_string(),
        RFC8032_TEST1_PEER_ID,
        "wrong peer id text for RFC 8032 test 1's key: an Ed25519 peer id is the base58btc text of the identity \
         multihash 00 24, then the PublicKey protobuf 08 01 12 20 and the 32 key bytes, so it starts 12D3KooW"
    );
    let raw = id.to_bytes();
    assert_eq!(raw.len(), 38, "a peer id is 38 bytes: 6 of prefix and 32 of key");
    assert_eq!(raw[..6], [0x00, 0x24, 0x08, 0x01, 0x12, 0x20], "wrong prefix bytes");
    assert_eq!(raw[6..], keypair.public().to_bytes(), "the last 32 bytes must be the public key");
    assert_eq!(id.public_key(), keypair.public(), "public_key() must give back the key inside the id");
    assert_eq!(keypair.public().peer_id(), id, "Keypair::peer_id and PublicKey::peer_id disagree");
    assert_eq!(format!("{id:?}"), format!("PeerId({RFC8032_TEST1_PEER_ID})"), "a peer id's {{:?}} shows its text");

    let (secret, public, spec_id) = SPEC_ED25519;
    let spec_key = subject::Keypair::from_secret_bytes(bytes(secret));
    assert_eq!(
        hex::encode(spec_key.public().to_bytes()),
        public,
        "the libp2p peer id spec's Ed25519 key: wrong public key"
    );
    assert_eq!(spec_key.peer_id().to_string(), spec_id, "the libp2p peer id spec's Ed25519 key: wrong peer id");

    for _ in 0..8 {
        let (mine, theirs) = shared_keypair();
        assert_eq!(
            mine.peer_id().to_string(),
            theirs.peer_id().to_string(),
            "your peer id differs from the reference's"
        );
        assert!(mine.peer_id().to_string().starts_with("12D3KooW"));
    }
}

/// Peer ids parse back, and malformed ones give the matching error
#[test]
fn step_7_parse_peer_id() {
    let parsed: subject::PeerId = RFC8032_TEST1_PEER_ID.parse().expect("a valid peer id must parse");
    assert_eq!(hex::encode(parsed.public_key().to_bytes()), RFC8032[0].1, "parsed the wrong key");
    let spec: subject::PeerId = SPEC_ED25519.2.parse().expect("the libp2p peer id spec's Ed25519 id must parse");
    assert_eq!(
        hex::encode(spec.public_key().to_bytes()),
        SPEC_ED25519.1,
        "parsed the wrong key from the spec's peer id"
    );
    let theirs = reference::Keypair::generate().peer_id().to_string();
    let mine: subject::PeerId = theirs.parse().expect("the reference's peer id must parse");
    assert_eq!(mine.to_string(), theirs, "parsing and printing must give back the same text");

    use subject::PeerIdError as E;
    let parse = |text: &str| text.parse::<subject::PeerId>();
    let short = std::panic::catch_unwind(|| subject::PeerId::from_bytes(&[0x00, 0x24, 0x08]));
    assert!(
        matches!(short, Ok(Err(E::WrongLength { len: 3 }))),
        "PeerId::from_bytes of 3 bytes must be WrongLength {{ len: 3 }}, got {}: check the length before slicing",
        match &short {
            Ok(result) => format!("{result:?}"),
            Err(_) => "a panic (the message above)".to_string(),
        }
    );
    assert_eq!(parse("12D3KooW0OIl"), Err(E::NotBase58), "0, O, I and l are not base58btc");
    assert_eq!(parse(""), Err(E::WrongLength { len: 0 }), "the empty string is 0 bytes");
    // An RSA peer id: a SHA-256 multihash (12 20 + 32 bytes), 34 bytes.
    assert_eq!(
        parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"),
        Err(E::WrongLength { len: 34 }),
        "an RSA (SHA-256 multihash) peer id is 34 bytes"
    );
    let mut bytes = mine.to_bytes();
    bytes[3] = 0x02; // key type 2 = Secp256k1
    assert_eq!(subject::PeerId::from_bytes(&bytes), Err(E::NotEd25519), "a Secp256k1 key type must be refused");
    let mut off_curve = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20, 0x02];
    off_curve.resize(38, 0);
    assert!(
        matches!(subject::PeerId::from_bytes(&off_curve), Err(E::InvalidKey(_))),
        "a peer id whose key is not a curve point must be refused with InvalidKey"
    );
}

/// A key file saves and loads an identity, owner-only, and is never overwritten
#[test]
fn step_8_key_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("identity.key");
    let keypair = subject::Keypair::generate();
    subject::save_key(&path, &keypair).expect("saving to a new file must work");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("the saved file").permissions().mode() & 0o777;
        assert_eq!(
            format!("{mode:03o}"),
            "600",
            "save_key must create the key file readable and writable by its owner only (0600), as it creates it \
             (OpenOptionsExt::mode), not with the default mode"
        );
    }
    let loaded = subject::load_key(&path).expect("loading what was saved must work");
    assert_eq!(loaded.public(), keypair.public(), "the loaded key is not the saved one");
    assert_eq!(
        std::fs::read_to_string(&path).expect("readable").trim(),
        hex::encode(keypair.secret_bytes()),
        "the file must hold the secret key as 64 hex digits"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the key file must be created readable by its owner only (0600), found {mode:03o}");
    }

    let before = std::fs::read(&path).expect("readable");
    let result = subject::save_key(&path, &subject::Keypair::generate());
    assert!(
        matches!(result, Err(subject::KeyFileError::Exists { .. })),
        "saving over an existing key file must fail with Exists, got {result:?}"
    );
    assert_eq!(std::fs::read(&path).expect("readable"), before, "the existing key file was changed");

    // The format is shared: the reference loads your file and the reverse.
    let theirs = reference::load_key(&path).expect("the reference cannot load your key file");
    assert_eq!(theirs.public().to_bytes(), keypair.public().to_bytes());
    let their_path = dir.path().join("reference.key");
    let their_key = reference::Keypair::generate();
    reference::save_key(&their_path, &their_key).expect("the reference saves");
    let mine = subject::load_key(&their_path).expect("you cannot load the reference's key file");
    assert_eq!(mine.public().to_bytes(), their_key.public().to_bytes());
}

/// Missing, exposed or corrupt key files give clear errors
#[test]
fn step_9_key_file_errors() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let missing = dir.path().join("missing.key");
    let result = subject::load_key(&missing);
    assert!(
        matches!(result, Err(subject::KeyFileError::Io { .. })),
        "a missing file must be an Io error, got {result:?}"
    );

    let write = |name: &str, content: &[u8], mode: u32| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("writable");
        set_mode(&path, mode);
        path
    };
    let good = hex::encode(subject::Keypair::generate().secret_bytes());

    #[cfg(unix)]
    {
        let exposed = write("exposed.key", good.as_bytes(), 0o644);
        let result = subject::load_key(&exposed);
        assert!(
            matches!(result, Err(subject::KeyFileError::Permissions { mode: 0o644, .. })),
            "a key file others can read (0644) must be refused with Permissions {{ mode: 0o644 }}, got {result:?}"
        );
    }
    for (name, content) in [
        ("empty.key", &b""[..]),
        ("short.key", &good.as_bytes()[..40]),
        ("not-hex.key", &good.replace(&good[..2], "zz").into_bytes()[..]),
        ("binary.key", &[0xff; 64][..]),
        ("too-long.key", &format!("{good}00").into_bytes()[..]),
    ] {
        let path = write(name, content, 0o600);
        let result = subject::load_key(&path);
        assert!(
            matches!(result, Err(subject::KeyFileError::Corrupt { .. })),
            "{name}: a file that is not 64 hex digits must be refused with Corrupt, got {result:?}"
        );
    }
    let tolerant = write("newline.key", format!("  {good}\r\n").as_bytes(), 0o600);
    assert!(subject::load_key(&tolerant).is_ok(), "whitespace around the hex digits must be ignored");
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let _ = (path, mode);
}

/// Sealed messages open with the right key, in both directions across implementations
#[test]
fn step_10_seal_and_open() {
    let (mine, theirs) = shared_keypair();
    for message in [&b""[..], b"meet at the big table", &[7u8; 5000][..]] {
        let sealed = subject::seal(&mine.public(), message);
        assert_eq!(sealed.len(), 48 + message.len(), "sealed = 32-byte ephemeral key + ciphertext + 16-byte tag");
        assert_eq!(subject::open(&mine, &sealed).as_deref(), Ok(message), "your open() cannot read your seal()");
        assert_eq!(
            reference::open(&theirs, &sealed).as_deref(),
            Ok(message),
            "the reference cannot open what you sealed"
        );
        let from_them = reference::seal(&theirs.public(), message);
        assert_eq!(
            subject::open(&mine, &from_them).as_deref(),
            Ok(message),
            "you cannot open what the reference sealed"
        );
    }
    let twice = (subject::seal(&mine.public(), b"same"), subject::seal(&mine.public(), b"same"));
    assert_ne!(twice.0, twice.1, "sealing twice must use two fresh ephemeral keys");
    assert!(
        !subject::seal(&mine.public(), b"meet at the big table").windows(5).any(|w| w == b"table"),
        "the plaintext is visible in the sealed bytes"
    );
}

/// Opening refuses the wrong key, any changed byte, and truncated input
#[test]
fn step_11_open_rejects_tampering() {
    let (mine, _) = shared_keypair();
    let sealed = reference::seal(
        &reference::PublicKey::from_bytes(mine.public().to_bytes()).expect("valid"),
        b"for your eyes only",
    );
    assert!(subject::open(&mine, &sealed).is_ok(), "a message sealed to you must open");

    let stranger = subject::Keypair::generate();
    assert_eq!(
        subject::open(&stranger, &sealed),
        Err(subject::OpenError::Rejected),
        "a message opened with the wrong key"
    );
    for position in [0, 16, 31, 32, 40, sealed.len() - 17, sealed.len() - 1] {
        let mut changed = sealed.clone();
        changed[position] ^= 0x20;
        assert_eq!(
            subject::open(&mine, &changed),
            Err(subject::OpenError::Rejected),
            "a message with byte {position} changed was accepted"
        );
    }
    assert_eq!(
        subject::open(&mine, &sealed[..47]),
        Err(subject::OpenError::TooShort { len: 47 }),
        "a message shorter than 48 bytes (an ephemeral key and a tag) is TooShort, checked before anything else"
    );
    assert_eq!(
        subject::open(&mine, &[]),
        Err(subject::OpenError::TooShort { len: 0 }),
        "an empty message: shorter than 48 bytes (an ephemeral key and a tag) is TooShort"
    );
    // An all-zero ephemeral key is a point of small order: the "shared" secret is zero
    // whoever opens it, so anyone can make this message, sealed the chapter's way
    // (HKDF-SHA256 of the shared secret, info "p2p-handbook seal v1" ‖ ephemeral ‖
    // recipient; ChaCha20-Poly1305 with nonce 0) without any secret.
    let forged = {
        use chacha20poly1305::aead::{Aead, KeyInit};
        let mut key = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &[0u8; 32])
            .expand_multi_info(&[&b"p2p-handbook seal v1"[..], &[0u8; 32], &mine.public().to_bytes()], &mut key)
            .expect("32 bytes");
        let ciphertext = chacha20poly1305::ChaCha20Poly1305::new(&key.into())
            .encrypt(&Default::default(), &b"anyone could have sealed this"[..])
            .expect("encrypts");
        [&[0u8; 32][..], &ciphertext].concat()
    };
    assert_eq!(
        subject::open(&mine, &forged),
        Err(subject::OpenError::Rejected),
        "a message sealed with the all-zero ephemeral key (a point of small order) opened: its shared secret is zero \
         whoever opens it, so anyone could have sealed it; refuse a shared secret that is not contributory \
         (SharedSecret::was_contributory)"
    );
}
