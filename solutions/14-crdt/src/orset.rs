//! An observed-remove set: a concurrent add wins over a remove.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A unique tag for one add: the replica that added and that replica's counter.
pub type Tag = (ReplicaId, u64);

/// A set in which each add of an element carries a fresh unique tag, and a remove
/// deletes only the tags it has *observed*. An add that happened concurrently with a
/// remove has a tag the remove did not see, so the element stays: add wins.
///
/// Removed tags are kept as tombstones, so the state grows with every add; the
/// "optimised" OR-Set of Bieniusa et al. (2012) replaces them with version vectors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrSet<T: Ord> {
    /// For each element, the tags of its adds.
    adds: BTreeMap<T, BTreeSet<Tag>>,
    /// Tags that have been removed.
    removed: BTreeSet<Tag>,
    /// The last counter used by each replica, so tags stay unique after merges.
    clock: BTreeMap<ReplicaId, u64>,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        OrSet { adds: BTreeMap::new(), removed: BTreeSet::new(), clock: BTreeMap::new() }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// An empty set.
    pub fn new() -> OrSet<T> {
        OrSet::default()
    }

    /// Adds `value` on behalf of `replica`, with a fresh tag, and returns the tag: the
    /// replica and its next counter, one more than the last counter this set has seen
    /// from that replica. Adding an element already present is not a no-op: the new tag
    /// is what lets this add survive a concurrent remove.
    pub fn add(&mut self, replica: ReplicaId, value: T) -> Tag {
        let counter = self.clock.entry(replica).or_default();
        *counter += 1;
        let tag = (replica, *counter);
        self.adds.entry(value).or_default().insert(tag);
        tag
    }

    /// Removes `value`: every tag of it this replica has seen becomes a tombstone.
    pub fn remove(&mut self, value: &T) {
        if let Some(tags) = self.adds.get(value) {
            self.removed.extend(tags.iter().copied());
        }
    }

    /// Whether `value` has an add that was not removed.
    pub fn contains(&self, value: &T) -> bool {
        self.adds.get(value).is_some_and(|tags| tags.iter().any(|t| !self.removed.contains(t)))
    }

    /// The elements, in order: those [`OrSet::contains`] says are present.
    pub fn elements(&self) -> BTreeSet<T> {
        self.adds.keys().filter(|v| self.contains(v)).cloned().collect()
    }

    /// Takes in every add and remove `other` has seen. Afterwards, tags this set makes
    /// are still fresh: none may repeat a tag `other` made.
    pub fn merge(&mut self, other: &OrSet<T>) {
        for (value, tags) in &other.adds {
            self.adds.entry(value.clone()).or_default().extend(tags.iter().copied());
        }
        self.removed.extend(other.removed.iter().copied());
        for (&replica, &counter) in &other.clock {
            let mine = self.clock.entry(replica).or_default();
            *mine = (*mine).max(counter);
        }
    }
}
