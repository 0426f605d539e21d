//! The Merkle DAG (solutions/14-merkle-dag): CIDs in binary and text, the varint and
//! base32 they are made of, DAG-CBOR nodes, a node received from a peer walked by
//! `read` and `sync`, and small DAGs whose nodes may lie about their sizes.

use std::collections::HashMap;
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
        Target {
            name: "dag-sizes",
            about: "merkle-dag read and sync on DAGs of up to 9 blocks whose links repeat and whose sizes may lie",
            seeds: sizes_seeds,
            start: || Box::new(sizes_one),
            tokens: &[&[0x3f], &[0xff], &[0x00], &[0x01, 0x00, 0x00, 0x00]],
            max_len: 1024,
            max_alloc: MAX_ALLOC,
        },
    ]
}

/// A DAG described by bytes: a leaf of `input[0]` bytes (taken from what follows),
/// then up to 8 nodes, each `h` (links: `1 + h % 64`), one byte per link (an earlier
/// block, by index modulo how many there are), and a claimed size (4 bytes, little
/// endian). The last block is the root. Returns the blocks, oldest first.
fn dag_of(input: &[u8]) -> Vec<(Cid, Vec<u8>, u64)> {
    let (&len, rest) = input.split_first().unwrap_or((&0, &[]));
    let (leaf, mut rest) = rest.split_at(usize::from(len).min(rest.len()));
    let mut blocks = vec![(Cid::of(RAW, leaf), leaf.to_vec(), leaf.len() as u64)];
    while blocks.len() < 9 {
        let Some((&h, more)) = rest.split_first() else { break };
        let n = 1 + usize::from(h % 64);
        if more.len() < n + 4 {
            break;
        }
        let links: Vec<Cid> = more[..n].iter().map(|&i| blocks[usize::from(i) % blocks.len()].0).collect();
        let claim = u64::from(u32::from_le_bytes(more[n..n + 4].try_into().expect("4 bytes")));
        let bytes = node::encode(&links, claim);
        blocks.push((Cid::of(DAG_CBOR, &bytes), bytes, claim));
        rest = &more[n + 4..];
    }
    blocks
}

/// The lying DAG of issue 21 at the fuzzer's scale (a 255-byte leaf, three nodes of 64
/// links to the one below, each claiming 1 byte: 16.7 MB read naively, over
/// MAX_ALLOC), and the same shape told truthfully one level lower.
fn sizes_seeds() -> Vec<Vec<u8>> {
    let node = |index: u8, claim: u32| [&[63u8][..], &[index; 64], &claim.to_le_bytes()].concat();
    let leaf = [&[255u8][..], &[0x4c; 255]].concat();
    vec![
        [leaf.clone(), node(0, 1), node(1, 1), node(2, 1)].concat(),
        [leaf, node(0, 255 * 64), node(1, 255 * 64 * 64)].concat(),
    ]
}

/// Accepted: a DAG whose sizes are all true. Read returns exactly the expansion (when it
/// is small enough to compute here) or refuses a lie as Corrupt; sync of it into an
/// empty store succeeds exactly when the sizes are true, and a failed sync stores
/// nothing.
fn sizes_one(input: &[u8]) -> bool {
    let blocks = dag_of(input);
    let mut store = BlockStore::new();
    // The true size below each block, and whether every block at or below it tells it.
    let mut truth: HashMap<Cid, (u128, bool)> = HashMap::new();
    for (cid, bytes, claim) in &blocks {
        store.put(cid.codec(), bytes.clone());
        let (size, honest) = if cid.codec() == RAW {
            (bytes.len() as u128, true)
        } else {
            let links = node::decode(bytes).expect("encoded here").0;
            let size: u128 = links.iter().map(|l| truth[l].0).sum();
            (size, size == u128::from(*claim) && links.iter().all(|l| truth[l].1))
        };
        truth.insert(*cid, (size, honest));
    }
    let (root, _, claim) = blocks.last().expect("the leaf at least");
    let (size, honest) = truth[root];
    let result = read(root, &store);
    if !honest {
        assert!(
            matches!(result, Err(merkle_dag_solution::DagError::Corrupt { .. })),
            "a DAG whose sizes lie is Corrupt, got {:?}",
            result.map(|b| b.len())
        );
    } else if size <= 1 << 20 {
        let out = result.expect("an honest DAG reads");
        assert_eq!(out.len() as u64, *claim, "read returns exactly the root's size");
        // The expansion, built bottom up (children come before their parents).
        let mut content: HashMap<Cid, Vec<u8>> = HashMap::new();
        for (cid, bytes, _) in &blocks {
            if truth[cid].0 > 1 << 20 {
                continue;
            }
            let mine = if cid.codec() == RAW {
                bytes.clone()
            } else {
                node::decode(bytes).expect("encoded here").0.iter().flat_map(|l| content[l].clone()).collect()
            };
            content.insert(*cid, mine);
        }
        assert!(out == content[root], "read returns the leaves in order");
    }
    let mut local = BlockStore::new();
    let synced = sync(root, |cid| store.get(cid).map(<[u8]>::to_vec), &mut local);
    assert_eq!(synced.is_ok(), honest, "sync succeeds exactly when every size is true: {synced:?}");
    if synced.is_err() {
        assert!(local.is_empty(), "a failed sync stores nothing");
    }
    honest
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
