//! A last-writer-wins register.

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// One value; of two concurrent writes, the one with the larger timestamp wins, and on
/// equal timestamps the one from the larger replica id, so every replica picks the
/// same winner. Writes that lose are silently dropped: that is the price of a register.
///
/// Timestamps come from the caller (a clock, or better a Lamport clock). A replica must
/// never write twice with the same timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LwwRegister<T> {
    // The value, with the (timestamp, replica) that wrote it; `None` before any write.
    entry: Option<(u64, ReplicaId, T)>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        LwwRegister { entry: None }
    }
}

impl<T: Clone> LwwRegister<T> {
    /// An empty register.
    pub fn new() -> LwwRegister<T> {
        LwwRegister::default()
    }

    /// Writes `value` at `timestamp` from `replica`, unless the register already holds
    /// a later write (by the type's rule: timestamp first, replica id on a tie).
    pub fn set(&mut self, value: T, timestamp: u64, replica: ReplicaId) {
        if self.entry.as_ref().is_none_or(|(t, r, _)| (timestamp, replica) > (*t, *r)) {
            self.entry = Some((timestamp, replica, value));
        }
    }

    /// The value of the winning write, if any.
    pub fn get(&self) -> Option<&T> {
        self.entry.as_ref().map(|(_, _, v)| v)
    }

    /// The (timestamp, replica) of the winning write, if any.
    pub fn stamp(&self) -> Option<(u64, ReplicaId)> {
        self.entry.as_ref().map(|(t, r, _)| (*t, *r))
    }

    /// Keeps the later of the two writes, by the same rule as [`LwwRegister::set`]. An
    /// empty register loses to any write.
    pub fn merge(&mut self, other: &LwwRegister<T>) {
        if let Some((t, r, v)) = &other.entry {
            self.set(v.clone(), *t, *r);
        }
    }
}
