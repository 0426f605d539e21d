//! Counters that only grow, and counters that grow and shrink.

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A grow-only counter, copied on every replica. Each copy counts the increments made
/// on it, and copies exchange their state and merge it. The value of a copy is the
/// total of every increment it has seen, made here or merged in: a merge must neither
/// lose an increment nor count one twice, however often and in whatever order copies
/// are merged (merging a copy that has seen nothing new changes nothing).
///
/// The state is yours to design (step 1); the checks use only the methods below.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GCounter {
    // TODO (step 1): the fields are yours to choose. The placeholder only keeps the
    // stub compiling: replace it.
    placeholder: (),
}

impl GCounter {
    /// A counter at zero.
    pub fn new() -> GCounter {
        GCounter::default()
    }

    /// Adds `by` on behalf of `replica`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        // TODO (step 1)
        todo!()
    }

    /// The total over all replicas.
    pub fn value(&self) -> u64 {
        // TODO (step 1)
        todo!()
    }

    /// Takes in everything `other` has seen.
    pub fn merge(&mut self, other: &GCounter) {
        // TODO (step 1)
        todo!()
    }
}

/// A counter that can also go down, with the promise of [`GCounter`] for both
/// directions: the value of a copy is every increment minus every decrement it has
/// seen, made here or merged in, each counted exactly once whatever the order and the
/// number of merges.
///
/// The state is yours to design (step 2); the checks use only the methods below.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnCounter {
    // TODO (step 2): the fields are yours to choose. The placeholder only keeps the
    // stub compiling: replace it.
    placeholder: (),
}

impl PnCounter {
    /// A counter at zero.
    pub fn new() -> PnCounter {
        PnCounter::default()
    }

    /// Adds `by` on behalf of `replica`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        // TODO (step 2)
        todo!()
    }

    /// Subtracts `by` on behalf of `replica`.
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) {
        // TODO (step 2)
        todo!()
    }

    /// Increments minus decrements (negative when there were more decrements).
    pub fn value(&self) -> i64 {
        // TODO (step 2)
        todo!()
    }

    /// Takes in everything `other` has seen.
    pub fn merge(&mut self, other: &PnCounter) {
        // TODO (step 2)
        todo!()
    }
}
