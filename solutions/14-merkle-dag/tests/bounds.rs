//! What `read` does with DAGs that are honest about their sizes but describe far more
//! than they hold: a file that is larger than `MAX_READ` is refused before any of it is
//! written, and links to empty blocks cost no expansion.

use std::time::Instant;

use merkle_dag_solution::dag::MAX_READ;
use merkle_dag_solution::{BlockStore, Cid, DAG_CBOR, DagError, RAW, node, read, sync};

/// 31 nodes, each linking twice to the one below, over a one-byte leaf: 2 GiB, truthfully.
#[test]
fn a_truthful_2_gib_dag_of_32_blocks_is_refused_not_read() {
    let mut store = BlockStore::new();
    let mut cid = store.put(RAW, vec![1]);
    for level in 1..=31 {
        cid = store.put(DAG_CBOR, node::encode(&[cid, cid], 1 << level));
    }
    let started = Instant::now();
    let result = read(&cid, &store);
    println!("read of a 2 GiB DAG of 32 blocks: {result:?} in {:?}", started.elapsed());
    assert_eq!(result, Err(DagError::TooLarge { cid, size: 1 << 31 }), "larger than MAX_READ = {MAX_READ}");
    // Sync copies it (it is honest), fetching each of the 32 blocks once.
    let mut copy = BlockStore::new();
    let stats = sync(&cid, |c: &Cid| store.get(c).map(<[u8]>::to_vec), &mut copy).expect("an honest DAG syncs");
    assert_eq!(stats.blocks, 32);
}

/// 2,000 links to a node with 2,000 links to the empty leaf: four million paths to
/// nothing, read back at once.
#[test]
fn links_to_nothing_are_not_expanded() {
    let mut store = BlockStore::new();
    let empty = store.put(RAW, Vec::new());
    let middle = store.put(DAG_CBOR, node::encode(&vec![empty; 2000], 0));
    let root = store.put(DAG_CBOR, node::encode(&vec![middle; 2000], 0));
    let started = Instant::now();
    assert_eq!(read(&root, &store), Ok(Vec::new()));
    let took = started.elapsed();
    println!("read of 4,000,000 paths to the empty leaf: {took:?}");
    assert!(took.as_secs() < 5, "{took:?} to read an empty file");
}
