//! Anti-entropy: peers that compare what they hold and pull what they lack, so every
//! replica of a set of append-only logs converges, whatever the network lost.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check anti-entropy` passes; the steps are the checks'.
//! The logs are the previous chapter's (the reference `append_log_solution` crate,
//! used here as a library). The modules follow the chapter
//! (`book/data-structures/anti-entropy.md`):
//!
//! - [`replica`]: the state: a frontier (step 1), the delta another replica lacks
//!   (steps 2–3, with the digest), and verified receiving (step 4).
//! - [`node`]: the protocol as a sans-IO [`kit::Node`]: periodic sync with a random
//!   peer, answering frontiers with entries (step 5), through loss and partitions
//!   (step 6), against a lying peer (step 7), with traffic that follows the delta
//!   (step 8).
//!
//! # Steps
//!
//! `cargo verify check anti-entropy` runs these nine steps, in this order; each names
//! the files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The frontier is the highest sequence number held per author — `src/replica.rs`
//! 2. The delta another replica lacks: everything after its frontier, in order, bounded
//!    — `src/replica.rs`
//! 3. Random frontiers: your delta equals the reference's — `src/replica.rs`
//! 4. Receiving verifies: duplicates are skipped, and a bad entry is refused with the
//!    entries before it kept — `src/replica.rs`
//! 5. Two nodes exchange frontiers and end up with the same logs — `src/node.rs`
//! 6. Six nodes converge through 20% loss and a partition, losing no acknowledged entry
//!    — `src/node.rs`
//! 7. A peer that sends forged entries: honest nodes store nothing forged and stop
//!    listening to it — `src/node.rs`
//! 8. Once in sync, new entries cost traffic in proportion to the new entries, not to
//!    the logs — `src/node.rs`
//! 9. Every interleaving of two replicas, with any one message lost: once the network
//!    behaves, they hold the same logs — `src/node.rs`, `src/replica.rs`

pub mod node;
pub mod replica;

pub use node::{Msg, ReplicaNode, Timer};
pub use replica::{Frontier, Replica};

/// The log types this exercise replicates.
pub use append_log_solution as log;
