//! DAG-CBOR: the reference's interior nodes (`solutions/14-merkle-dag`, `node.rs`)
//! against `serde_ipld_dagcbor` (<https://github.com/ipld/serde_ipld_dagcbor>), the
//! codec of the Rust IPLD stack.
//!
//! A node is the map `{"Size": u64, "Links": [CID…]}`. Random nodes, with sizes in
//! every width a CBOR head takes (1, 2, 3, 5 and 9 bytes) and 0 to 40 links, must encode
//! byte for byte the same on both sides; each side decodes the other's bytes to the
//! same node.

use std::collections::BTreeMap;

use ipld_core::ipld::Ipld;
use merkle_dag_solution as reference;
use multihash_codetable::{Code, MultihashDigest};
use rand::{Rng, RngExt, SeedableRng};

/// Random nodes: with the edge sizes below, a few hundred encodings in well under a second.
const RANDOM_NODES: usize = 64;
/// Sizes at each boundary of a CBOR head's width.
const EDGE_SIZES: [u64; 10] = [0, 23, 24, 255, 256, 65_535, 65_536, 4_294_967_295, 4_294_967_296, u64::MAX];

fn node_ipld(links: &[reference::Cid], size: u64) -> Ipld {
    let links = links.iter().map(|l| Ipld::Link(ipld_core::cid::Cid::try_from(l.to_bytes()).expect("a CID"))).collect();
    Ipld::Map(BTreeMap::from([("Size".to_string(), Ipld::Integer(size.into())), ("Links".to_string(), Ipld::List(links))]))
}

fn check(links: &[reference::Cid], size: u64) {
    let ours = reference::node::encode(links, size);
    let theirs = serde_ipld_dagcbor::to_vec(&node_ipld(links, size)).expect("serde_ipld_dagcbor encodes a node");
    assert_eq!(ours, theirs, "size {size}, {} links: the encodings differ", links.len());
    assert_eq!(reference::node::decode(&theirs), Ok((links.to_vec(), size)), "the reference cannot read serde_ipld_dagcbor's node");
    let decoded: Ipld = serde_ipld_dagcbor::from_slice(&ours).expect("serde_ipld_dagcbor reads our node");
    assert_eq!(decoded, node_ipld(links, size));
    // And the CID of the node is the same under both stacks.
    let their_cid = cid::Cid::new_v1(0x71, Code::Sha2_256.digest(&theirs));
    assert_eq!(reference::Cid::of(reference::DAG_CBOR, &ours).to_string(), their_cid.to_string());
}

#[test]
fn random_nodes_are_byte_identical_both_ways() {
    // Seeded and printed, so a failing input can be replayed (VERIFY_SEED=S).
    let mut rng = rand::rngs::StdRng::seed_from_u64(kit::seed(0xCB0));
    let random_cid = |rng: &mut rand::rngs::StdRng| {
        let mut data = [0u8; 16];
        rng.fill_bytes(&mut data);
        let codec = if rng.random() { reference::RAW } else { reference::DAG_CBOR };
        reference::Cid::of(codec, &data)
    };
    for &size in &EDGE_SIZES {
        let links: Vec<_> = (0..3).map(|_| random_cid(&mut rng)).collect();
        check(&links, size);
        check(&[], size);
    }
    for _ in 0..RANDOM_NODES {
        let links: Vec<_> = (0..rng.random_range(0..=40)).map(|_| random_cid(&mut rng)).collect();
        let size = rng.random::<u64>() >> rng.random_range(0..64);
        check(&links, size);
    }
}
