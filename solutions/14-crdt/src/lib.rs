//! Conflict-free replicated data types, state-based: each replica updates its own copy,
//! and any two copies merge into one that reflects both, whatever the order and however
//! often states are exchanged.
//!
//! Every type here has a `merge` that is commutative, associative and idempotent (a
//! join of a semilattice), so gossip and anti-entropy can deliver states in any order,
//! any number of times, and replicas that have seen the same updates hold the same
//! value. The modules follow the chapter (`book/data-structures/crdt.md`); in the
//! exercise crate each function marked `// TODO (step N)` is a `todo!` stub to write
//! until `cargo verify check crdt` passes, and the steps are the checks':
//!
//! - [`counter`]: G-Counter (step 1) and PN-Counter (step 2).
//! - [`register`]: a last-writer-wins register with a deterministic tie-break (step 3).
//! - [`orset`]: an observed-remove set, where a concurrent add wins over a remove
//!   (step 4).
//! - Steps 5–7 check those four together: the merge laws, agreement with the
//!   reference, and convergence over a lossy, partitioned network.
//! - [`rga`]: a replicated growable array, for collaborative text (step 8).

pub mod counter;
pub mod orset;
pub mod register;
pub mod rga;

pub use counter::{GCounter, PnCounter};
pub use orset::{OrSet, Tag};
pub use register::LwwRegister;
pub use rga::{Rga, RgaId};

/// Names a replica. Every replica must have its own: the types use it to keep each
/// replica's updates apart and to break ties.
pub type ReplicaId = u64;
