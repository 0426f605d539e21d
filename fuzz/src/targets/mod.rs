//! The targets: one per wire decoder and stateful parser of the reference solutions.
//!
//! Each module covers one solution crate. A target's seeds are valid encodings made by
//! that crate's own encoders, so that mutations land near valid input, where parsers
//! are most likely to trust a length they should have checked. Where a signature or a
//! MAC would stop every mutated input at the first check, the target also *repairs* the
//! mutated input (re-signs it with a key the fuzzer owns) so that the fields behind the
//! signature (sequence numbers, clocks, payload lengths) get fuzzed too.

use std::future::Future;
use std::time::Duration;

use crate::harness::Target;

/// The dictionary of a target whose input is JSON: its structure, and values at the
/// edges of what a field may hold, then the target's own words, if any
/// (`json_tokens![b"\"op\":"]`).
macro_rules! json_tokens {
    ($($extra:expr),* $(,)?) => {
        &[
            b"\"", b"{", b"}", b"[", b"]", b",", b":", b"null", b"true", b"-1", b"1e400", b"0.5", b"\\u0000",
            b"18446744073709551616", $($extra),*
        ]
    };
}

mod chat;
mod dht;
mod handshake;
mod identity;
mod log;
mod merkle_dag;
mod rendezvous;
mod secure_gossip;
mod streams;

/// Every target, in the order a run goes through them.
pub fn all() -> Vec<Target> {
    let mut all = Vec::new();
    all.extend(identity::targets());
    all.extend(rendezvous::targets());
    all.extend(dht::targets());
    all.extend(streams::targets());
    all.extend(handshake::targets());
    all.extend(secure_gossip::targets());
    all.extend(log::targets());
    all.extend(merkle_dag::targets());
    all.extend(chat::targets());
    all
}

/// How long an async target lets one input run before it calls it a hang: 5 s. Every
/// input is at most a few KiB over an in-memory pipe, which takes microseconds.
const ASYNC_LIMIT: Duration = Duration::from_secs(5);

/// A single-threaded tokio runtime with timers: everything an input spawns runs on the
/// fuzzer's own thread, so its allocations and panics are counted for that input.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime")
}

/// Runs `future` on a fresh runtime (so nothing one input spawned outlives it),
/// panicking if it takes longer than [`ASYNC_LIMIT`]: a hang is a bug too.
fn block_on<F: Future>(what: &str, future: F) -> F::Output {
    let rt = runtime();
    let out = rt.block_on(async { tokio::time::timeout(ASYNC_LIMIT, future).await });
    drop(rt);
    out.unwrap_or_else(|_| panic!("{what} did not finish within {} s", ASYNC_LIMIT.as_secs()))
}
