//! Chunk-and-hash throughput, and what a small change costs to sync.
//!
//!     cargo run --release -p merkle-dag-solution --example dag_bench
//!
//! With Kubo's defaults (256 KiB chunks, at most 174 links per node): building the DAG
//! of 64 MiB of random data, and syncing a 16 MiB file after 1% of it (164 KiB,
//! contiguous) changed.

use std::time::Instant;

use merkle_dag_solution::{BlockStore, build, read, sync};
use rand::{RngExt, SeedableRng};

const CHUNK: usize = 256 * 1024;
const LINKS: usize = 174;

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut big = vec![0u8; 64 << 20];
    rng.fill(&mut big[..]);
    let mut store = BlockStore::new();
    let started = Instant::now();
    let root = build(&big, CHUNK, LINKS, &mut store);
    let built = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let back = read(&root, &store).expect("read");
    let verified = started.elapsed().as_secs_f64();
    assert_eq!(back.len(), big.len());
    println!("64 MiB, {} KiB chunks, {LINKS} links per node: {} blocks", CHUNK / 1024, store.len());
    println!("  chunk and hash (build)   {:>7.0} MB/s", 64.0 * 1.048576 / built);
    println!("  read and verify          {:>7.0} MB/s", 64.0 * 1.048576 / verified);

    let mut file = big[..16 << 20].to_vec();
    let mut theirs = BlockStore::new();
    let first_root = build(&file, CHUNK, LINKS, &mut theirs);
    let mut mine = BlockStore::new();
    sync(&first_root, |c| theirs.get(c).map(<[u8]>::to_vec), &mut mine).expect("first sync");
    let start = 8 << 20;
    let len = (16 << 20) / 100;
    for byte in &mut file[start..start + len] {
        *byte ^= 0xff;
    }
    let new_root = build(&file, CHUNK, LINKS, &mut theirs);
    let stats = sync(&new_root, |c| theirs.get(c).map(<[u8]>::to_vec), &mut mine).expect("second sync");
    println!(
        "16 MiB file, {} KiB changed: sync fetched {} blocks, {} KiB ({:.1}% of the file)",
        len / 1024,
        stats.blocks,
        stats.bytes / 1024,
        100.0 * stats.bytes as f64 / file.len() as f64
    );
}
