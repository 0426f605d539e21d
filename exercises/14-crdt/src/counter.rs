//! Counters that only grow, and counters that grow and shrink.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A grow-only counter: one count per replica. A replica only ever increments its
/// own entry; merging takes the larger count of each replica (a replica's count only
/// grows, so the larger one has seen more); the value is the sum.
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

/// A counter that can also go down: two grow-only counters, one of increments and one
/// of decrements. (A single per-replica count that went up and down could not be
/// merged by taking the maximum.)
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
