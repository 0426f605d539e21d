//! The room's state: who is here, where each one stands, and what was refused.
//!
//! Sans-IO: the room's socket loop hands every datagram to [`Board::receive`] with the
//! current time, and asks [`Board::expire`] now and then to forget learners gone
//! quiet. Everything it keeps is bounded: at most [`MAX_LEARNERS`] rows, each with at
//! most one entry per exercise of this handbook, and at most [`MAX_NOTICES`] notices.
//!
//! A datagram makes a row only once it is accepted whole: one refused for any reason
//! (a replay, a name taken, a full room) leaves no row behind. And one address holds
//! at most [`MAX_ROWS_PER_ADDRESS`] rows, so a holder of the room code who makes keys
//! by the hundred fills a handful of rows, not the room.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::wire::{self, Refusal, Report};

/// The most learners one room holds. A large workshop has fifty; the bound is what
/// keeps a flood of freshly made keys from growing the room's memory without end.
pub const MAX_LEARNERS: usize = 200;
/// The most rows one address may hold (an IPv4 address, or an IPv6 /64, which one
/// host may own whole): a laptop, a second laptop, a pair sharing one, and room to
/// spare. Loopback is not limited: it is the room's own laptop. A room whose learners
/// all arrive through one address (a NAT) raises it with `cargo verify room
/// --per-address N`.
pub const MAX_ROWS_PER_ADDRESS: usize = 4;
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
    /// What the learner's runner's audit found in this exercise's crate (`unsafe`,
    /// `link_section`, …): the row is marked while it is not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<String>,
}

impl Cell {
    pub fn done(&self) -> bool {
        self.total > 0 && self.passed >= self.total
    }
}

/// One learner's row.
#[derive(Clone, Debug, Serialize)]
pub struct Learner {
    /// As shown: without invisible and bidi characters (see [`wire::display_name`]).
    pub name: String,
    /// The signing key, as hex; the name is pinned to it.
    pub key: String,
    #[serde(skip)]
    key_bytes: [u8; 32],
    #[serde(skip)]
    seq: u64,
    /// Where the first accepted report came from (its row counts against that address).
    #[serde(skip)]
    source: IpAddr,
    /// When (room clock, seconds) the last report arrived.
    pub last_seen: u64,
    /// By exercise short name.
    pub cells: BTreeMap<String, Cell>,
    /// The summary of the learner's last `cargo verify doctor`, if they ran it.
    pub doctor: Option<String>,
}

impl Learner {
    /// The key's short form shown beside the name, so two names that look alike (an
    /// `A` and a Cyrillic `А`) are told apart.
    pub fn short_key(&self) -> &str {
        &self.key[..8]
    }

    /// What the audits of the learner's exercises found, each phrase once.
    pub fn audit(&self) -> Vec<&str> {
        let mut phrases: Vec<&str> = Vec::new();
        for phrase in self.cells.values().flat_map(|c| c.audit.iter()) {
            if !phrases.contains(&phrase.as_str()) {
                phrases.push(phrase);
            }
        }
        phrases
    }

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
    pub crowded: u64,
}

impl Counts {
    pub fn refused(&self) -> u64 {
        self.oversized
            + self.malformed
            + self.other_room
            + self.forged
            + self.replayed
            + self.name_taken
            + self.full
            + self.crowded
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
    /// The most rows one address may hold ([`MAX_ROWS_PER_ADDRESS`] unless raised).
    pub per_address: usize,
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
            per_address: MAX_ROWS_PER_ADDRESS,
            by_key: HashMap::new(),
        }
    }

    /// Takes one datagram received at `now` (seconds) from this laptop.
    pub fn receive(&mut self, datagram: &[u8], now: u64) -> Result<String, Refusal> {
        self.receive_from(datagram, IpAddr::V4(Ipv4Addr::LOCALHOST), now)
    }

    /// Takes one datagram received at `now` (seconds) from `source`. Returns the
    /// learner's name, or why it was refused; either way it is counted.
    pub fn receive_from(&mut self, datagram: &[u8], source: IpAddr, now: u64) -> Result<String, Refusal> {
        let result = wire::open(datagram, &self.room).and_then(|(key, report)| self.apply(key, report, source, now));
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
            Err(Refusal::Crowded) => counts.crowded += 1,
        }
        result
    }

    /// How many rows came from `source`'s address (its /64, for IPv6).
    fn rows_from(&self, source: IpAddr) -> usize {
        let block = address_block(source);
        self.learners.values().filter(|l| address_block(l.source) == block).count()
    }

    /// Every check first, then every change: a refused report changes nothing.
    fn apply(&mut self, key: [u8; 32], report: Report, source: IpAddr, now: u64) -> Result<String, Refusal> {
        let name = wire::display_name(&report.name);
        if name.is_empty() {
            return Err(Refusal::Malformed("the name is empty without its invisible characters".into()));
        }
        if let Some(owner) = self.learners.get(&name)
            && owner.key_bytes != key
        {
            let notice = format!("another key ({}…) claimed the name {name:?}; refused", &hex::encode(key)[..8]);
            self.notice(notice);
            return Err(Refusal::NameTaken(name));
        }
        // One row per key: a learner who shares again under a new name is renamed.
        let known = self.by_key.get(&key).cloned();
        match known.as_ref().and_then(|old| self.learners.get(old)) {
            Some(row) if report.seq <= row.seq => return Err(Refusal::Replayed),
            Some(_) => {}
            None => {
                // A new row: it must be newer than nothing, fit in the room, and fit
                // in what its address may hold.
                if report.seq == 0 {
                    return Err(Refusal::Replayed);
                }
                if self.learners.len() >= MAX_LEARNERS {
                    return Err(Refusal::Full);
                }
                if !source.is_loopback() && self.rows_from(source) >= self.per_address {
                    return Err(Refusal::Crowded);
                }
            }
        }
        let mut row = match known.and_then(|old| self.learners.remove(&old)) {
            Some(mut row) => {
                if row.name != name {
                    self.notice(format!("{:?} is now called {name:?}", row.name));
                    row.name = name.clone();
                }
                row
            }
            None => Learner {
                name: name.clone(),
                key: hex::encode(key),
                key_bytes: key,
                seq: 0,
                source,
                last_seen: now,
                cells: BTreeMap::new(),
                doctor: None,
            },
        };
        row.seq = report.seq;
        row.last_seen = now;
        row.doctor = report.doctor;
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
            let cell =
                Cell { passed: p.passed.min(total), total, stuck: p.stuck, stuck_since, checked_at, audit: p.audit };
            row.cells.insert(p.exercise, cell);
        }
        self.learners.insert(name.clone(), row);
        self.by_key.insert(key, name.clone());
        Ok(name)
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

/// The block an address belongs to for [`MAX_ROWS_PER_ADDRESS`]: an IPv4 address
/// itself (an IPv4-mapped IPv6 one too), an IPv6 address's /64.
fn address_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
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
                audit: Vec::new(),
            }],
            doctor: None,
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

    #[test]
    fn a_refused_report_leaves_no_row() {
        let mut b = board();
        let room = b.room.clone();
        for i in 0..300 {
            let refused = b.receive(&seal(&Keypair::generate(), &room, &report(&format!("g{i}"), 0, 0)), 5);
            assert_eq!(refused, Err(Refusal::Replayed));
        }
        assert!(b.learners.is_empty() && b.by_key.is_empty());
        assert!(b.receive(&seal(&Keypair::generate(), &room, &report("real", 1, 0)), 5).is_ok());
    }

    #[test]
    fn one_address_holds_a_few_rows_and_loopback_is_not_limited() {
        let mut b = board();
        let room = b.room.clone();
        let lan: IpAddr = "192.0.2.7".parse().unwrap();
        let mut taken = 0;
        for i in 0..50 {
            let datagram = seal(&Keypair::generate(), &room, &report(&format!("k{i}"), 1, 0));
            if b.receive_from(&datagram, lan, 5).is_ok() {
                taken += 1;
            }
        }
        assert_eq!(taken, MAX_ROWS_PER_ADDRESS);
        assert_eq!(b.counts.crowded, 50 - MAX_ROWS_PER_ADDRESS as u64);
        // A learner already in keeps reporting; another address and IPv6 blocks count apart.
        let known = Keypair::generate();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        b.receive_from(&seal(&known, &room, &report("ok", 1, 0)), other, 5).unwrap();
        b.receive_from(&seal(&known, &room, &report("ok", 2, 1)), other, 6).unwrap();
        let v6 = |s: &str| -> IpAddr { s.parse().unwrap() };
        for i in 0..MAX_ROWS_PER_ADDRESS {
            let datagram = seal(&Keypair::generate(), &room, &report(&format!("v{i}"), 1, 0));
            b.receive_from(&datagram, v6(&format!("2001:db8::{i}")), 5).unwrap();
        }
        let datagram = seal(&Keypair::generate(), &room, &report("v-next", 1, 0));
        assert_eq!(b.receive_from(&datagram, v6("2001:db8::ffff"), 5), Err(Refusal::Crowded));
        for i in 0..30 {
            b.receive(&seal(&Keypair::generate(), &room, &report(&format!("lo{i}"), 1, 0)), 5).unwrap();
        }
    }

    #[test]
    fn look_alike_names_are_one_name_or_told_apart_by_key() {
        let mut b = board();
        let room = b.room.clone();
        let (ana, zero_width, rlo, cyrillic) =
            (Keypair::generate(), Keypair::generate(), Keypair::generate(), Keypair::generate());
        b.receive(&seal(&ana, &room, &report("Ana", 1, 2)), 5).unwrap();
        assert_eq!(
            b.receive(&seal(&zero_width, &room, &report("Ana\u{200B}", 1, 5)), 5),
            Err(Refusal::NameTaken("Ana".into()))
        );
        assert_eq!(b.receive(&seal(&rlo, &room, &report("Ana\u{202E}61/61 enod", 1, 5)), 5).unwrap(), "Ana61/61 enod");
        assert_eq!(b.receive(&seal(&cyrillic, &room, &report("\u{0410}na", 1, 5)), 5).unwrap(), "\u{0410}na");
        let shorts: Vec<&str> = b.learners.values().map(Learner::short_key).collect();
        assert_eq!(shorts.len(), 3);
        assert!(shorts.iter().all(|s| s.len() == 8));
        assert_ne!(b.learners["Ana"].short_key(), b.learners["\u{0410}na"].short_key());
    }
}
