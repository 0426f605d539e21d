//! The room's state: who is here, where each one stands, and what was refused.
//!
//! Sans-IO: the room's socket loop hands every datagram to [`Board::receive`] with the
//! current time, and asks [`Board::expire`] now and then to forget learners gone
//! quiet. Everything it keeps is bounded: at most [`MAX_LEARNERS`] rows, each with at
//! most one entry per exercise of this handbook, and at most [`MAX_NOTICES`] notices.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use super::wire::{self, Refusal, Report};

/// The most learners one room holds. A large workshop has fifty; the bound is what
/// keeps a flood of freshly made keys from growing the room's memory without end.
pub const MAX_LEARNERS: usize = 200;
/// A learner silent for this long (seconds) is forgotten, row and name pin alike:
/// three hours is longer than any lunch, shorter than a workshop day.
pub const LEARNER_TTL_SECS: u64 = 3 * 60 * 60;
/// A learner silent for this long (seconds) is shown as quiet.
pub const QUIET_SECS: u64 = 10 * 60;
/// How many notices (another key claiming a name, …) the board keeps, newest last.
pub const MAX_NOTICES: usize = 20;
/// A step failing first for at least this long (seconds) is marked on the board.
pub const STUCK_MARK_SECS: u64 = 5 * 60;
/// No duration from the wire is believed beyond a day, so a report cannot push a
/// time before the workshop (or overflow a subtraction).
const MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// Where one learner stands in one exercise, in the room's own clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub passed: u16,
    pub total: u16,
    /// The first step not passing, if any.
    pub stuck: Option<u16>,
    /// When (room clock, seconds) that step became the one failing first.
    pub stuck_since: u64,
    /// When (room clock, seconds) the learner last checked this exercise.
    pub checked_at: u64,
}

impl Cell {
    pub fn done(&self) -> bool {
        self.total > 0 && self.passed >= self.total
    }
}

/// One learner's row.
#[derive(Clone, Debug, Serialize)]
pub struct Learner {
    pub name: String,
    /// The signing key, as hex; the name is pinned to it.
    pub key: String,
    #[serde(skip)]
    key_bytes: [u8; 32],
    #[serde(skip)]
    seq: u64,
    /// When (room clock, seconds) the last report arrived.
    pub last_seen: u64,
    /// By exercise short name.
    pub cells: BTreeMap<String, Cell>,
}

impl Learner {
    /// The exercise the learner is on now: of those not done, the one checked last.
    pub fn current(&self) -> Option<(&str, &Cell)> {
        self.cells.iter().filter(|(_, c)| !c.done()).max_by_key(|(_, c)| c.checked_at).map(|(n, c)| (n.as_str(), c))
    }
}

/// How many datagrams were taken, and how many refused for each reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub accepted: u64,
    pub oversized: u64,
    pub malformed: u64,
    pub other_room: u64,
    pub forged: u64,
    pub replayed: u64,
    pub name_taken: u64,
    pub full: u64,
}

impl Counts {
    pub fn refused(&self) -> u64 {
        self.oversized + self.malformed + self.other_room + self.forged + self.replayed + self.name_taken + self.full
    }
}

/// The room.
#[derive(Debug, Serialize)]
pub struct Board {
    /// The room tag reports must carry.
    pub room: String,
    /// The handbook's exercises in book order (short name, steps): the columns.
    pub exercises: Vec<(String, u16)>,
    /// By name.
    pub learners: BTreeMap<String, Learner>,
    pub counts: Counts,
    pub notices: VecDeque<String>,
    #[serde(skip)]
    by_key: HashMap<[u8; 32], String>,
}

/// The step most learners are stuck on right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Common {
    pub exercise: String,
    pub step: u16,
    pub learners: usize,
}

impl Board {
    pub fn new(room: String, exercises: Vec<(String, u16)>) -> Board {
        Board {
            room,
            exercises,
            learners: BTreeMap::new(),
            counts: Counts::default(),
            notices: VecDeque::new(),
            by_key: HashMap::new(),
        }
    }

    /// Takes one datagram received at `now` (seconds). Returns the learner's name,
    /// or why it was refused; either way it is counted.
    pub fn receive(&mut self, datagram: &[u8], now: u64) -> Result<String, Refusal> {
        let result = wire::open(datagram, &self.room).and_then(|(key, report)| self.apply(key, report, now));
        let counts = &mut self.counts;
        match &result {
            Ok(_) => counts.accepted += 1,
            Err(Refusal::Oversized) => counts.oversized += 1,
            Err(Refusal::Malformed(_)) => counts.malformed += 1,
            Err(Refusal::OtherRoom) => counts.other_room += 1,
            Err(Refusal::Forged) => counts.forged += 1,
            Err(Refusal::Replayed) => counts.replayed += 1,
            Err(Refusal::NameTaken(_)) => counts.name_taken += 1,
            Err(Refusal::Full) => counts.full += 1,
        }
        result
    }

    fn apply(&mut self, key: [u8; 32], report: Report, now: u64) -> Result<String, Refusal> {
        if let Some(owner) = self.learners.get(&report.name)
            && owner.key_bytes != key
        {
            let notice =
                format!("another key ({}…) claimed the name {:?}; refused", &hex::encode(key)[..8], report.name);
            self.notice(notice);
            return Err(Refusal::NameTaken(report.name));
        }
        // One row per key: a learner who shares again under a new name is renamed.
        if let Some(old) = self.by_key.get(&key).cloned()
            && old != report.name
        {
            if self.learners.get(&old).is_some_and(|l| report.seq <= l.seq) {
                return Err(Refusal::Replayed);
            }
            self.learners.remove(&old);
            self.notice(format!("{old:?} is now called {:?}", report.name));
        }
        if !self.learners.contains_key(&report.name) && self.learners.len() >= MAX_LEARNERS {
            return Err(Refusal::Full);
        }
        let row = self.learners.entry(report.name.clone()).or_insert_with(|| Learner {
            name: report.name.clone(),
            key: hex::encode(key),
            key_bytes: key,
            seq: 0,
            last_seen: now,
            cells: BTreeMap::new(),
        });
        if report.seq <= row.seq {
            return Err(Refusal::Replayed);
        }
        row.seq = report.seq;
        row.last_seen = now;
        for p in report.exercises {
            // Only the handbook's own exercises become columns; anything else is
            // dropped, so a report cannot grow a row beyond the exercise count.
            let Some((_, steps)) = self.exercises.iter().find(|(n, _)| *n == p.exercise) else {
                continue;
            };
            let total = p.total.min(*steps);
            let stuck_since = now.saturating_sub(p.stuck_secs.min(MAX_AGE_SECS));
            let checked_at = now.saturating_sub(p.checked_secs_ago.min(MAX_AGE_SECS));
            let old = row.cells.get(&p.exercise);
            // Keep the earlier "stuck since" when the same step is still stuck: the
            // room's clock is the one that matters for "stuck for N min".
            let stuck_since = match old {
                Some(c) if c.stuck == p.stuck && p.stuck.is_some() => c.stuck_since.min(stuck_since),
                _ => stuck_since,
            };
            let cell = Cell { passed: p.passed.min(total), total, stuck: p.stuck, stuck_since, checked_at };
            row.cells.insert(p.exercise, cell);
        }
        self.by_key.insert(key, report.name.clone());
        Ok(report.name)
    }

    fn notice(&mut self, text: String) {
        if self.notices.len() >= MAX_NOTICES {
            self.notices.pop_front();
        }
        self.notices.push_back(text);
    }

    /// Forgets learners silent for [`LEARNER_TTL_SECS`], freeing their rows and names.
    pub fn expire(&mut self, now: u64) {
        let gone: Vec<String> = self
            .learners
            .values()
            .filter(|l| now.saturating_sub(l.last_seen) > LEARNER_TTL_SECS)
            .map(|l| l.name.clone())
            .collect();
        for name in gone {
            if let Some(l) = self.learners.remove(&name) {
                self.by_key.remove(&l.key_bytes);
            }
        }
    }

    /// The (exercise, step) most learners are stuck on now, counting each learner's
    /// current exercise only (ties go to the earlier exercise and step).
    pub fn most_common_stuck(&self) -> Option<Common> {
        let mut counts: BTreeMap<(usize, u16), usize> = BTreeMap::new();
        for learner in self.learners.values() {
            if let Some((exercise, cell)) = learner.current()
                && let Some(step) = cell.stuck
                && let Some(order) = self.exercises.iter().position(|(n, _)| n == exercise)
            {
                *counts.entry((order, step)).or_default() += 1;
            }
        }
        let best = counts.iter().map(|(k, v)| (*v, std::cmp::Reverse(*k))).max()?;
        let (order, step) = best.1.0;
        Some(Common { exercise: self.exercises[order].0.clone(), step, learners: best.0 })
    }
}

#[cfg(test)]
mod tests {
    use identity_solution::Keypair;

    use super::*;
    use crate::room::wire::{Progress, room_tag, seal};

    fn board() -> Board {
        Board::new(room_tag("c"), vec![("basics".into(), 4), ("identity".into(), 5)])
    }

    fn report(name: &str, seq: u64, passed: u16) -> Report {
        let stuck = (passed < 5).then_some(passed + 1);
        Report {
            name: name.into(),
            seq,
            exercises: vec![Progress {
                exercise: "identity".into(),
                passed,
                total: 5,
                stuck,
                stuck_secs: 600,
                checked_secs_ago: 0,
            }],
        }
    }

    #[test]
    fn a_name_stays_with_its_first_key() {
        let mut b = board();
        let (ana, eve) = (Keypair::generate(), Keypair::generate());
        assert!(b.receive(&seal(&ana, &b.room.clone(), &report("Ana", 1, 2)), 1000).is_ok());
        let refused = b.receive(&seal(&eve, &b.room.clone(), &report("Ana", 2, 5)), 1001);
        assert_eq!(refused, Err(Refusal::NameTaken("Ana".into())));
        assert_eq!(b.learners["Ana"].cells["identity"].passed, 2);
        assert_eq!(b.counts.name_taken, 1);
        assert_eq!(b.notices.len(), 1);
    }

    #[test]
    fn old_reports_are_replays_and_stuck_time_is_the_rooms() {
        let mut b = board();
        let ana = Keypair::generate();
        let room = b.room.clone();
        b.receive(&seal(&ana, &room, &report("Ana", 5, 2)), 10_000).unwrap();
        assert_eq!(b.receive(&seal(&ana, &room, &report("Ana", 5, 3)), 10_001), Err(Refusal::Replayed));
        assert_eq!(b.learners["Ana"].cells["identity"].stuck_since, 10_000 - 600);
        assert_eq!(b.most_common_stuck(), Some(Common { exercise: "identity".into(), step: 3, learners: 1 }));
        b.expire(10_000 + LEARNER_TTL_SECS + 1);
        assert!(b.learners.is_empty());
    }

    #[test]
    fn the_room_is_bounded() {
        let mut b = board();
        let room = b.room.clone();
        for i in 0..MAX_LEARNERS {
            b.receive(&seal(&Keypair::generate(), &room, &report(&format!("l{i}"), 1, 0)), 5).unwrap();
        }
        assert_eq!(b.receive(&seal(&Keypair::generate(), &room, &report("late", 1, 0)), 5), Err(Refusal::Full));
    }
}
