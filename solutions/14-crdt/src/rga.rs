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
    /// The new character is anchored after the visible character now before `index`
    /// (at the start for 0). Its id takes the next counter of the Lamport clock (one
    /// more than the largest counter seen from any replica), so it sorts after every
    /// character its replica had seen; the reference numbers the same way, and step 8
    /// compares the texts.
    ///
    /// # Panics
    /// If `index` is beyond the end of the text.
    pub fn insert(&mut self, replica: ReplicaId, index: usize, ch: char) -> RgaId {
        let visible = self.visible_ids();
        assert!(index <= visible.len(), "insert at {index} in a text of {} characters", visible.len());
        let after = if index == 0 { None } else { Some(visible[index - 1]) };
        self.clock += 1;
        let id = (self.clock, replica);
        self.chars.insert(id, Char { after, ch, deleted: false });
        id
    }

    /// Deletes the character at `index` of the visible text. It stays as a tombstone:
    /// other characters, here or on replicas not merged yet, may be anchored after it.
    ///
    /// # Panics
    /// If there is no character at `index`.
    pub fn delete(&mut self, index: usize) {
        let id = self.visible_ids()[index];
        self.chars.get_mut(&id).expect("visible ids exist").deleted = true;
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.order().into_iter().filter_map(|id| (!self.chars[&id].deleted).then_some(self.chars[&id].ch)).collect()
    }

    /// Takes in every insertion and deletion `other` has seen: a character deleted on
    /// either side is deleted, and the clock has seen what both had seen.
    pub fn merge(&mut self, other: &Rga) {
        for (id, c) in &other.chars {
            let mine = self.chars.entry(*id).or_insert_with(|| c.clone());
            mine.deleted |= c.deleted;
        }
        self.clock = self.clock.max(other.clock);
    }

    /// The ids of the visible characters, in text order.
    fn visible_ids(&self) -> Vec<RgaId> {
        self.order().into_iter().filter(|id| !self.chars[id].deleted).collect()
    }

    /// Every id, in text order: depth first from the start, larger ids first among
    /// characters inserted after the same one.
    fn order(&self) -> Vec<RgaId> {
        let mut children: BTreeMap<Option<RgaId>, Vec<RgaId>> = BTreeMap::new();
        for (id, c) in &self.chars {
            children.entry(c.after).or_default().push(*id);
        }
        let mut out = Vec::with_capacity(self.chars.len());
        let mut stack: Vec<RgaId> = children.get(&None).cloned().unwrap_or_default();
        // `children` lists ids in ascending order; popping from the end visits the
        // largest first.
        while let Some(id) = stack.pop() {
            out.push(id);
            if let Some(kids) = children.get(&Some(id)) {
                stack.extend(kids.iter().copied());
            }
        }
        out
    }
}
