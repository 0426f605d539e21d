//! What a log costs on this machine: signing, verifying, and durable appends.
//!
//!     cargo run --release -p append-log-solution --example log_bench
//!
//! Prints entries per second for appending in memory (signing and hashing), for
//! verifying a whole log, and for appending to a file with an fsync per entry (what
//! an acknowledged entry costs), and how long reopening a file takes.

use std::time::Instant;

use append_log_solution::{LogFile, Writer, verify_log};

fn main() {
    let secret = [7u8; 32];
    let payload = vec![b'x'; 100];
    let n = 20_000;

    let started = Instant::now();
    let mut writer = Writer::new(secret);
    let log: Vec<_> = (0..n).map(|_| writer.append(&payload).expect("append")).collect();
    let sign = started.elapsed();

    let started = Instant::now();
    verify_log(&writer.author(), &log).expect("valid");
    let verify = started.elapsed();

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.log");
    let durable = 500;
    let (mut file, _) = LogFile::open(&path, writer.author()).expect("open");
    let started = Instant::now();
    for entry in &log[..durable] {
        file.append(entry).expect("append");
    }
    let fsynced = started.elapsed();
    drop(file);

    let started = Instant::now();
    let (reopened, _) = LogFile::open(&path, writer.author()).expect("reopen");
    let reopen = started.elapsed();
    assert_eq!(reopened.entries().len(), durable);

    let rate = |count: usize, d: std::time::Duration| count as f64 / d.as_secs_f64();
    println!("log benchmark, 100-byte payloads");
    println!("  append in memory (sign + hash)   {:>9.0} entries/s", rate(n, sign));
    println!("  verify a {n}-entry log          {:>9.0} entries/s", rate(n, verify));
    println!("  append to file, fsync each       {:>9.0} entries/s", rate(durable, fsynced));
    println!("  reopen {durable} entries (verify all)    {:>6.1} ms", reopen.as_secs_f64() * 1000.0);
}
