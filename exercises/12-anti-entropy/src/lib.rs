//! Anti-entropy: peers that compare what they hold and pull what they lack, so every
//! replica of a set of append-only logs converges, whatever the network lost.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check anti-entropy` passes.
//!
//! The logs are the previous chapter's (the reference `append_log_solution` crate,
//! used here as a library). The modules follow the chapter
//! (`book/data-structures/anti-entropy.md`):
//!
//! 1. [`replica`]: the state: a frontier, the delta another replica lacks, and
//!    verified receiving.
//! 2. [`node`]: the protocol as a sans-IO [`kit::Node`]: posting, periodic sync with a
//!    random peer, answering frontiers with entries.

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod node;
pub mod replica;

pub use node::{Msg, ReplicaNode, Timer};
pub use replica::{Frontier, Replica};

/// The log types this exercise replicates.
pub use append_log_solution as log;
