//! Counters that only grow, and counters that grow and shrink.

use std::collections::BTreeMap;

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
    counts: BTreeMap<ReplicaId, u64>,
}

impl GCounter {
    /// A counter at zero.
    pub fn new() -> GCounter {
        GCounter::default()
    }

    /// Adds `by` on behalf of `replica`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        *self.counts.entry(replica).or_default() += by;
    }

    /// The total over all replicas.
    pub fn value(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Takes in everything `other` has seen.
    pub fn merge(&mut self, other: &GCounter) {
        for (&replica, &count) in &other.counts {
            let mine = self.counts.entry(replica).or_default();
            *mine = (*mine).max(count);
        }
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
    up: GCounter,
    down: GCounter,
}

impl PnCounter {
    /// A counter at zero.
    pub fn new() -> PnCounter {
        PnCounter::default()
    }

    /// Adds `by` on behalf of `replica`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        self.up.increment(replica, by);
    }

    /// Subtracts `by` on behalf of `replica`.
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) {
        self.down.increment(replica, by);
    }

    /// Increments minus decrements (negative when there were more decrements).
    pub fn value(&self) -> i64 {
        self.up.value() as i64 - self.down.value() as i64
    }

    /// Takes in everything `other` has seen.
    pub fn merge(&mut self, other: &PnCounter) {
        self.up.merge(&other.up);
        self.down.merge(&other.down);
    }
}
