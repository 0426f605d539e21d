//! An observed-remove set: a concurrent add wins over a remove.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A unique tag for one add: the replica that added and that replica's counter.
pub type Tag = (ReplicaId, u64);

/// A set in which an add that happens concurrently with a remove wins.
///
/// The state is yours to design (step 4). What it must do, on the public API alone:
///
/// - After `add(r, x)`, `contains(&x)` holds; after `remove(&x)`, it does not, on this
///   replica, and adding `x` again brings it back.
/// - A remove takes away only the adds this replica has *observed*: an add of `x` that
///   another replica made concurrently (one this replica had not merged when it
///   removed `x`) survives the merge, on both sides. A remove that had observed every
///   add of `x` removes it everywhere.
/// - `merge` is commutative, associative and idempotent (step 5), and the elements
///   equal the reference's after any history (step 6).
/// - The state travels as a message between replicas (steps 7 and 9), so it keeps the
///   derives below.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrSet<T: Ord> {
    // TODO (step 4): the fields are yours to choose. The placeholder only keeps the
    // stub compiling: replace it, and `default` below with it.
    placeholder: std::marker::PhantomData<T>,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        // TODO (step 4): your fields, empty
        OrSet { placeholder: std::marker::PhantomData }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// An empty set.
    pub fn new() -> OrSet<T> {
        OrSet::default()
    }

    /// Adds `value` on behalf of `replica` and returns the add's tag, which names this
    /// add alone: no other add, on any replica, before or after any merge, carries the
    /// same tag, and two copies that have seen the same adds give `replica`'s next add
    /// the same tag (step 4 checks both). Adding an element already present is not a
    /// no-op: the new add is what survives a concurrent remove of the old ones.
    pub fn add(&mut self, replica: ReplicaId, value: T) -> Tag {
        // TODO (step 4)
        todo!()
    }

    /// Removes `value`: every add of it this replica has seen is undone, for good; adds
    /// it has not seen (concurrent ones, merged later) are not.
    pub fn remove(&mut self, value: &T) {
        // TODO (step 4)
        todo!()
    }

    /// Whether `value` has an add that was not removed.
    pub fn contains(&self, value: &T) -> bool {
        // TODO (step 4)
        todo!()
    }

    /// The elements, in order: those [`OrSet::contains`] says are present.
    pub fn elements(&self) -> BTreeSet<T> {
        // TODO (step 4)
        todo!()
    }

    /// Takes in every add and remove `other` has seen. Afterwards, tags this set makes
    /// are still fresh: none may repeat a tag `other` made.
    pub fn merge(&mut self, other: &OrSet<T>) {
        // TODO (step 4)
        todo!()
    }
}
