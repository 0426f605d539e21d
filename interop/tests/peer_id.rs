//! Peer ids: the reference (`solutions/01-identity`) against `libp2p-identity`, the
//! crate rust-libp2p derives its peer ids with.
//!
//! Random keys both ways: a key made by one side, loaded into the other from its 32
//! secret bytes, must give the same peer id text and the same 38 bytes, and each side
//! must parse what the other prints. Plus the Ed25519 test vector of the libp2p peer id
//! spec (<https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#test-vectors>).

use identity_solution as reference;
use libp2p_identity as libp2p;

/// How many random keys each direction tries: enough to hit every base58 length the
/// text can take, small enough to stay under a second.
const RANDOM_KEYS: usize = 100;

/// The peer id spec's Ed25519 vectors: the `PrivateKey` protobuf (type 1, then 64 bytes
/// of seed ‖ public key) and the `PublicKey` protobuf of the same key.
const SPEC_PRIVATE_KEY: &str = "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
const SPEC_PUBLIC_KEY: &str = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
/// The peer id of that key: base58btc of the identity multihash `00 24` ‖ the public
/// key protobuf. The spec gives the key, not the id; this is the id libp2p-identity
/// computes for it (and the one this test checks both implementations print).
const SPEC_PEER_ID: &str = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn spec_vector_gives_the_same_peer_id_on_both_sides() {
    let private = unhex(SPEC_PRIVATE_KEY);
    let theirs = libp2p::Keypair::from_protobuf_encoding(&private).expect("libp2p-identity reads the spec's private key");
    assert_eq!(theirs.public().encode_protobuf(), unhex(SPEC_PUBLIC_KEY), "libp2p-identity: the spec's public key");
    assert_eq!(theirs.public().to_peer_id().to_base58(), SPEC_PEER_ID);

    // Our side: the seed is the first 32 bytes of the 64 after the 4-byte protobuf head.
    let seed: [u8; 32] = private[4..36].try_into().expect("32 bytes");
    let ours = reference::Keypair::from_secret_bytes(seed);
    assert_eq!(ours.public().to_bytes()[..], unhex(SPEC_PUBLIC_KEY)[4..], "the reference derives another public key from the spec's seed");
    assert_eq!(ours.peer_id().to_string(), SPEC_PEER_ID);
    assert_eq!(ours.peer_id().to_bytes(), theirs.public().to_peer_id().to_bytes());
}

#[test]
fn random_keys_give_equal_peer_ids_both_ways() {
    for _ in 0..RANDOM_KEYS {
        // Ours first, loaded into libp2p-identity.
        let ours = reference::Keypair::generate();
        let theirs = libp2p::Keypair::ed25519_from_bytes(ours.secret_bytes()).expect("libp2p-identity takes our 32-byte secret");
        let (our_id, their_id) = (ours.peer_id(), theirs.public().to_peer_id());
        assert_eq!(our_id.to_string(), their_id.to_base58(), "peer id text differs for a key we made");
        assert_eq!(our_id.to_bytes(), their_id.to_bytes(), "peer id bytes differ for a key we made");
        let parsed: libp2p::PeerId = our_id.to_string().parse().expect("libp2p-identity parses our peer id");
        assert_eq!(parsed, their_id);

        // Theirs first, loaded into ours.
        let theirs = libp2p::Keypair::generate_ed25519();
        let secret: [u8; 32] = theirs.clone().try_into_ed25519().expect("ed25519").to_bytes()[..32].try_into().expect("32");
        let ours = reference::Keypair::from_secret_bytes(secret);
        let their_id = theirs.public().to_peer_id();
        assert_eq!(ours.peer_id().to_string(), their_id.to_base58(), "peer id text differs for a key libp2p made");
        let parsed: reference::PeerId = their_id.to_base58().parse().expect("the reference parses libp2p's peer id");
        assert_eq!(parsed, ours.peer_id());
        assert_eq!(reference::PeerId::from_bytes(&their_id.to_bytes()), Ok(ours.peer_id()));

        // And a signature made on one side verifies on the other.
        let message = our_id.to_bytes();
        let signature = theirs.sign(&message).expect("ed25519 signs");
        let signature = reference::Signature::from_bytes(signature.try_into().expect("64 bytes"));
        assert!(ours.public().verify(&message, &signature).is_ok(), "the reference refuses libp2p's signature");
        assert!(theirs.public().verify(&message, &ours.sign(&message).to_bytes()), "libp2p refuses the reference's signature");
    }
}
