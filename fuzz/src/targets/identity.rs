//! Identity (solutions/01-identity): peer ids in binary and base58 text, sealed
//! messages, and key files.

use std::str::FromStr;

use identity_solution::{Keypair, PeerId, load_key, open, save_key, seal};

use crate::harness::{MAX_ALLOC, Run, Target};

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "peer-id",
            about: "identity PeerId::from_bytes and PeerId::from_str, each re-encoded",
            seeds: peer_id_seeds,
            start: || Box::new(peer_id_one),
            tokens: &[],
            max_len: 256,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "sealed",
            about: "identity open: sealed messages to a fixed key, as a peer would send them",
            seeds: sealed_seeds,
            start: || Box::new(sealed_one),
            tokens: &[],
            max_len: 2048,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "key-file",
            about: "identity load_key of an owner-only file holding the input",
            seeds: key_file_seeds,
            start: key_file_start,
            tokens: &[],
            max_len: 512,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn peer_id_seeds() -> Vec<Vec<u8>> {
    let ids: Vec<PeerId> = (1..=3u8).map(|b| Keypair::from_secret_bytes([b; 32]).peer_id()).collect();
    let mut seeds: Vec<Vec<u8>> = ids.iter().map(PeerId::to_bytes).collect();
    seeds.extend(ids.iter().map(|id| id.to_string().into_bytes()));
    seeds
}

fn peer_id_one(input: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(id) = PeerId::from_bytes(input) {
        accepted = true;
        assert_eq!(id.to_bytes(), input, "a peer id re-encodes to the bytes it was read from");
        let _ = id.public_key();
    }
    if let Ok(text) = std::str::from_utf8(input)
        && let Ok(id) = PeerId::from_str(text)
    {
        accepted = true;
        assert_eq!(PeerId::from_str(&id.to_string()).ok(), Some(id), "a peer id's text parses back");
    }
    accepted
}

/// The recipient of every sealed seed.
fn recipient() -> Keypair {
    Keypair::from_secret_bytes([0x61; 32])
}

fn sealed_seeds() -> Vec<Vec<u8>> {
    let to = recipient().public();
    [&b""[..], b"hello", &[0x5c; 300]].iter().map(|m| seal(&to, m)).collect()
}

fn sealed_one(input: &[u8]) -> bool {
    open(&recipient(), input).is_ok()
}

fn key_file_seeds() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("key");
    save_key(&path, &Keypair::from_secret_bytes([0x33; 32])).expect("a seed key file");
    vec![std::fs::read(&path).expect("the seed key file")]
}

fn key_file_start() -> Run {
    let dir = tempfile::tempdir().expect("a temporary directory");
    Box::new(move |input| {
        let path = dir.path().join("key");
        let _ = std::fs::remove_file(&path);
        save_key(&path, &Keypair::from_secret_bytes([0x33; 32])).expect("an owner-only key file");
        std::fs::write(&path, input).expect("writing the fuzzed key file");
        load_key(&path).is_ok()
    })
}
