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
    // TODO (step 3): the fields are yours to choose. The placeholder only keeps the
    // stub compiling: replace it, and `default` below with it.
    placeholder: std::marker::PhantomData<T>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        // TODO (step 3): your fields, empty
        LwwRegister { placeholder: std::marker::PhantomData }
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
        // TODO (step 3)
        todo!()
    }

    /// The value of the winning write, if any.
    pub fn get(&self) -> Option<&T> {
        // TODO (step 3)
        todo!()
    }

    /// The (timestamp, replica) of the winning write, if any.
    pub fn stamp(&self) -> Option<(u64, ReplicaId)> {
        // TODO (step 3)
        todo!()
    }

    /// Keeps the later of the two writes, by the same rule as [`LwwRegister::set`]. An
    /// empty register loses to any write.
    pub fn merge(&mut self, other: &LwwRegister<T>) {
        // TODO (step 3)
        todo!()
    }
}
