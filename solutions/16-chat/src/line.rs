//! One chat line, and the order in which every node shows the lines.

use std::collections::BTreeMap;

use append_log_solution::Entry;
use serde::{Deserialize, Serialize};

/// What an entry of a chat log carries, as JSON in the entry's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The name the author goes by. Anyone can claim any name: the author key
    /// ([`Shown::author`]) is what identifies the writer.
    pub nick: String,
    /// What was said, at most [`crate::node::MAX_TEXT`] bytes.
    pub text: String,
    /// The author's Lamport clock when it wrote the line: larger than the clock of
    /// every line it had seen.
    pub clock: u64,
}

impl Line {
    /// The payload of the entry.
    pub fn to_payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a line always serializes")
    }

    /// The line in a payload, if it is one.
    pub fn from_payload(payload: &[u8]) -> Option<Line> {
        serde_json::from_slice(payload).ok()
    }
}

/// A line as shown on screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// The name the author claims.
    pub nick: String,
    /// What was said.
    pub text: String,
    /// The line's Lamport clock, the first key of the order.
    pub clock: u64,
    /// The author's public key.
    pub author: [u8; 32],
    /// The line's sequence number in its author's log.
    pub seq: u64,
}

/// Every readable line of every log, in the order all nodes agree on: by Lamport
/// clock, then author key, then sequence number. Entries whose payload is not a
/// [`Line`] are left out. A line written after another was seen always comes after
/// it, because its clock is larger; lines written concurrently are ordered by author,
/// the same way everywhere.
pub fn history(logs: &BTreeMap<[u8; 32], Vec<Entry>>) -> Vec<Shown> {
    let mut shown: Vec<Shown> = logs
        .values()
        .flatten()
        .filter_map(|entry| {
            let line = Line::from_payload(&entry.payload)?;
            Some(Shown { nick: line.nick, text: line.text, clock: line.clock, author: entry.author, seq: entry.seq })
        })
        .collect();
    shown.sort_by_key(|s| (s.clock, s.author, s.seq));
    shown
}
