//! A replicated growable array (RGA), for text that several people edit at once.
//!
//! Every character gets a unique id, [`RgaId`], and where a character stands in the
//! text is decided by ids alone, so replicas that have seen the same insertions and
//! deletions show the same text, in whatever order they merged them. The design of the
//! state is the exercise's (step 8); what the checks hold it to, on the public API:
//!
//! - On the replica that makes an edit, `insert(r, i, ch)` puts `ch` at index `i` of
//!   the visible text and `delete(i)` takes away the character at `i`.
//! - An inserted character follows its anchor, on every replica and after any merge:
//!   the character that was *visible* just before index `i` when it was typed (for
//!   `i = 0`, the start of the text). A deleted character is never an anchor: typed at
//!   index 1 of `a(b)c`, with `b` deleted, a character follows `a`, not `b`.
//! - Characters typed at the same place concurrently (neither replica had seen the
//!   other's) stand in the same order on every replica: the one with the larger id
//!   first, as in the reference.
//! - A deleted character is hidden, but a replica that has not merged the deletion
//!   may still type next to it, and that character must land where it was typed.
//! - Merging in any order gives the same text, and it is the reference's.
//!
//! Roh et al., "Replicated abstract data types: Building blocks for collaborative
//! applications", JPDC 2011, describe the RGA; the chapter shows how it orders text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// A character's id: (Lamport counter, replica), ordered by counter, then replica.
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
    /// Returns the new character's id, `(counter, replica)`: its counter is the
    /// smallest that is larger than every counter of an id this text has seen, typed
    /// here or merged in. The reference numbers the same way, and step 8 compares the
    /// texts.
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

    /// Deletes the character at `index` of the visible text. A replica that has not
    /// merged the deletion yet may still type next to that character; what it types
    /// must keep its place once the two merge.
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
    /// either side is deleted, and the next id counts past every id of both.
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
