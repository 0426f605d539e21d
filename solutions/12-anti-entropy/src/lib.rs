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

pub mod node;
pub mod replica;

pub use node::{Msg, ReplicaNode, Timer};
pub use replica::{Frontier, Replica};

/// The log types this exercise replicates.
pub use append_log_solution as log;
