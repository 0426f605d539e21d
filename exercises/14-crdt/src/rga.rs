//! A replicated growable array (RGA), for text that several people edit at once.
//!
//! Each character gets a unique id, (counter, replica), and is inserted *after* an
//! existing character (or at the start). The text is the tree of "inserted after"
//! links, read depth first, with the children of a character in descending id order:
//! of two characters inserted at the same place concurrently, the one with the larger
//! id comes first, on every replica. A deleted character stays as a tombstone (other
//! characters may be anchored to it) and is only hidden. Roh et al., "Replicated
//! abstract data types", JPDC 2011, describe it; the counters are Lamport clocks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A character's id: (Lamport counter, replica). Ordered by counter, then replica.
pub type RgaId = (u64, ReplicaId);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Char {
    after: Option<RgaId>,
    ch: char,
    deleted: bool,
}

/// A text that merges concurrent insertions and deletions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rga {
    chars: BTreeMap<RgaId, Char>,
    /// The largest counter seen, from any replica.
    clock: u64,
}

impl Rga {
    /// An empty text.
    pub fn new() -> Rga {
        Rga::default()
    }

    /// Inserts `ch` so that it becomes the character at `index` of the visible text
    /// (0 inserts at the start; the text's length appends), on behalf of `replica`.
    /// Returns the new character's id.
    ///
    /// # Panics
    /// If `index` is beyond the end of the text.
    pub fn insert(&mut self, replica: ReplicaId, index: usize, ch: char) -> RgaId {
        // TODO (step 8): after the visible character at index − 1 (or at the start); id = (clock + 1, replica)
        todo!()
    }

    /// Deletes the character at `index` of the visible text.
    ///
    /// # Panics
    /// If there is no character at `index`.
    pub fn delete(&mut self, index: usize) {
        // TODO (step 8): mark the visible character at index as deleted (it stays as a tombstone)
        todo!()
    }

    /// The visible text.
    pub fn text(&self) -> String {
        // TODO (step 8)
        todo!()
    }

    /// Takes in every insertion and deletion `other` has seen.
    pub fn merge(&mut self, other: &Rga) {
        // TODO (step 8): union of characters, deleted flags ORed, the larger clock
        todo!()
    }

    fn visible_ids(&self) -> Vec<RgaId> {
        // TODO (step 8): the ids in order(), without the deleted ones
        todo!()
    }

    /// Every id, in text order: depth first from the start, larger ids first among
    /// characters inserted after the same one.
    fn order(&self) -> Vec<RgaId> {
        // TODO (step 8): depth first from the start, larger ids first among siblings
        todo!()
    }
}
