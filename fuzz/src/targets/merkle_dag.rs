//! The Merkle DAG (solutions/13-merkle-dag): CIDs in binary and text, the varint and
//! base32 they are made of, DAG-CBOR nodes, and a node received from a peer walked by
//! `read` and `sync`.

use std::str::FromStr;

use merkle_dag_solution::node;
use merkle_dag_solution::{BlockStore, Cid, DAG_CBOR, RAW, base32, read, sync, varint};

use crate::harness::{MAX_ALLOC, Target};

/// CBOR heads that announce a 1-, 2-, 4- or 8-byte argument, for every major type (so a
/// token followed by an interesting integer is a hostile length or count), an
/// indefinite-length head, a break, tag 42, and the map of two.
const CBOR: &[&[u8]] = &[
    &[0x18],
    &[0x19],
    &[0x1a],
    &[0x1b],
    &[0x38],
    &[0x3b],
    &[0x58],
    &[0x59],
    &[0x5a],
    &[0x5b],
    &[0x78],
    &[0x79],
    &[0x7a],
    &[0x7b],
    &[0x98],
    &[0x9a],
    &[0x9b],
    &[0xb8],
    &[0xbb],
    &[0xd8, 0x2a],
    &[0xdb],
    &[0x5f],
    &[0x7f],
    &[0x9f],
    &[0xff],
    &[0xa2],
    &[0x00],
];

/// The codes a CID is made of, and a varint continuation byte.
const CID: &[&[u8]] = &[&[0x01], &[0x55], &[0x71], &[0x12], &[0x20], &[0x80], &[0xff], b"b"];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "cid",
            about: "merkle-dag Cid::from_bytes and Cid::from_str, varint::decode, base32::decode, each re-encoded",
            seeds: cid_seeds,
            start: || Box::new(cid_one),
            tokens: CID,
            max_len: 512,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "dag-cbor",
            about: "merkle-dag node::decode (canonical: re-encodes to the same bytes), then read and sync from it as a root",
            seeds: node_seeds,
            start: || Box::new(node_one),
            tokens: CBOR,
            max_len: 4096,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn cids() -> Vec<Cid> {
    vec![Cid::of(RAW, b"hello"), Cid::of(DAG_CBOR, b"node"), Cid::of(RAW, b"")]
}

fn cid_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = cids().iter().map(Cid::to_bytes).collect();
    seeds.extend(cids().iter().map(|c| c.to_string().into_bytes()));
    seeds.extend([varint::encode(0), varint::encode(300), varint::encode(u64::MAX >> 1)]);
    seeds.push(base32::encode(b"any bytes").into_bytes());
    seeds
}

/// Accepted: a CID, in either form (any text in the base32 alphabet decodes, so
/// counting those would fill the pool with text that is not a CID).
fn cid_one(input: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(cid) = Cid::from_bytes(input) {
        accepted = true;
        assert_eq!(cid.to_bytes(), input, "a CID re-encodes to the bytes it was read from");
        assert_eq!(Cid::from_str(&cid.to_string()), Ok(cid), "a CID's text form parses back");
    }
    if let Ok((value, used)) = varint::decode(input) {
        assert_eq!(varint::encode(value), input[..used], "a varint is read only in its minimal form");
    }
    if let Ok(text) = std::str::from_utf8(input) {
        if let Ok(cid) = Cid::from_str(text) {
            accepted = true;
            assert_eq!(Cid::from_str(&cid.to_string()), Ok(cid), "a CID's text form parses back");
        }
        if let Some(bytes) = base32::decode(text) {
            assert_eq!(base32::encode(&bytes), text, "base32 is read only in its canonical form");
        }
    }
    accepted
}

fn node_seeds() -> Vec<Vec<u8>> {
    let links = cids();
    let many: Vec<Cid> = (0..20u8).map(|i| Cid::of(RAW, &[i])).collect();
    vec![
        node::encode(&[], 0),
        node::encode(&links, 262_144),
        node::encode(&links[..1], 23),
        node::encode(&many, u64::MAX),
        node::encode(&links, 0x1_0000_0000),
    ]
}

fn node_one(input: &[u8]) -> bool {
    let decoded = node::decode(input);
    if let Ok((links, size)) = &decoded {
        assert_eq!(node::encode(links, *size), input, "a node re-encodes to the bytes it was read from");
    }
    // The input as a block a peer sent under its own CID: `read` and `sync` decode it
    // and follow its links (to blocks nobody has).
    let mut store = BlockStore::new();
    let root = store.put(DAG_CBOR, input.to_vec());
    let _ = read(&root, &store);
    let mut local = BlockStore::new();
    let _ = sync(&root, |cid| store.get(cid).map(<[u8]>::to_vec), &mut local);
    decoded.is_ok()
}
