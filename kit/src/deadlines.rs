//! Timers waiting to fire, earliest first: the one timer table of every driver.
//!
//! A driver keeps one table instead of one task (or one sleep) per timer, the shape of
//! quinn's `TimerTable`: it sleeps until [`Deadlines::next`] and then takes what is
//! [due](Deadlines::pop_due). Each timer has a key (a [`TimerId`](crate::TimerId), or a
//! node and a `TimerId` in the simulator) by which it can be [cancelled](Deadlines::cancel)
//! until it fires.
//!
//! Ties are broken by the order timers were inserted: of two timers due at the same
//! time, the one set first fires first. Times are [`Context::now`](crate::Context::now)
//! times, durations since the driver started.
//!
//! ```
//! use std::time::Duration;
//! use kit::deadlines::Deadlines;
//!
//! let ms = Duration::from_millis;
//! let mut timers = Deadlines::new();
//! timers.insert(ms(20), "b", "second");
//! timers.insert(ms(10), "a", "first");
//! timers.insert(ms(20), "c", "third");
//! timers.cancel(&"c");
//! assert_eq!(timers.next(), Some(ms(10)));
//! assert_eq!(timers.pop_due(ms(15)), Some(("a", "first")));
//! assert_eq!(timers.pop_due(ms(15)), None); // "b" is not due yet
//! assert_eq!(timers.pop_due(ms(20)), Some(("b", "second")));
//! assert!(timers.is_empty());
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::time::Duration;

/// Where a timer stands in the table: its deadline, then the order it was inserted.
type Place = (Duration, u64);

/// Timers waiting to fire, each under a key, earliest first. See the
/// [module documentation](self).
#[derive(Clone)]
pub struct Deadlines<K, T> {
    order: BTreeMap<Place, (K, T)>,
    index: HashMap<K, Place>,
    /// How many timers were ever inserted: the next insertion's place among equals.
    seq: u64,
}

impl<K: Copy + Eq + Hash, T> Default for Deadlines<K, T> {
    fn default() -> Deadlines<K, T> {
        Deadlines::new()
    }
}

impl<K: Copy + Eq + Hash, T> Deadlines<K, T> {
    /// An empty table.
    pub fn new() -> Deadlines<K, T> {
        Deadlines { order: BTreeMap::new(), index: HashMap::new(), seq: 0 }
    }

    /// Adds `timer`, due at `at`, under `key`. A timer already under `key` is replaced
    /// (a key names one pending timer).
    pub fn insert(&mut self, at: Duration, key: K, timer: T) {
        self.seq += 1;
        self.insert_ordered(at, self.seq, key, timer);
    }

    /// Adds a timer whose place among timers due at the same time the caller decides:
    /// for the simulator, which orders timers and messages by one counter of its own.
    pub(crate) fn insert_ordered(&mut self, at: Duration, seq: u64, key: K, timer: T) {
        self.cancel(&key);
        self.order.insert((at, seq), (key, timer));
        self.index.insert(key, (at, seq));
    }

    /// Removes the timer under `key`, and returns it, if it has not fired yet.
    pub fn cancel(&mut self, key: &K) -> Option<T> {
        let place = self.index.remove(key)?;
        self.order.remove(&place).map(|(_, timer)| timer)
    }

    /// When the earliest timer is due, if any.
    pub fn next(&self) -> Option<Duration> {
        self.order.first_key_value().map(|((at, _), _)| *at)
    }

    /// The earliest timer's place: its deadline and insertion number.
    pub(crate) fn next_place(&self) -> Option<(Duration, u64)> {
        self.order.first_key_value().map(|(place, _)| *place)
    }

    /// A mark of this moment: [`Deadlines::pop_due_before`] leaves the timers inserted
    /// after it.
    pub fn mark(&self) -> u64 {
        self.seq
    }

    /// Takes out the earliest timer if it is due at `now` (its deadline is `now` or
    /// earlier).
    pub fn pop_due(&mut self, now: Duration) -> Option<(K, T)> {
        self.pop_due_before(now, u64::MAX)
    }

    /// Takes out the earliest timer if it is due at `now` and was inserted before
    /// `mark` ([`Deadlines::mark`]). A timer inserted later with a deadline of `now`
    /// sorts after every older one due by `now`, so this stops at the first new one.
    pub fn pop_due_before(&mut self, now: Duration, mark: u64) -> Option<(K, T)> {
        let (&(at, seq), _) = self.order.first_key_value()?;
        if at > now || seq > mark {
            return None;
        }
        let (key, timer) = self.order.pop_first()?.1;
        self.index.remove(&key);
        Some((key, timer))
    }

    /// Takes out the earliest timer, due or not, with its deadline.
    pub fn pop(&mut self) -> Option<(Duration, K, T)> {
        let ((at, _), (key, timer)) = self.order.pop_first()?;
        self.index.remove(&key);
        Some((at, key, timer))
    }

    /// Keeps only the timers for which `keep` says yes (the simulator drops a crashed
    /// node's timers).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &T) -> bool) {
        let index = &mut self.index;
        self.order.retain(|_, (key, timer)| {
            let kept = keep(key, timer);
            if !kept {
                index.remove(key);
            }
            kept
        });
    }

    /// Whether `key` names a timer that has not fired.
    pub fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// How many timers wait.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no timer waits.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Every waiting timer, earliest first, with its deadline and key.
    pub fn iter(&self) -> impl Iterator<Item = (Duration, &K, &T)> {
        self.order.iter().map(|((at, _), (key, timer))| (*at, key, timer))
    }
}

/// The timers in firing order with their deadlines, without keys or insertion numbers:
/// two tables that will fire the same timers at the same times print the same (the
/// exhaustive search hashes this).
impl<K, T: fmt::Debug> fmt::Debug for Deadlines<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.order.iter().map(|((at, _), (_, timer))| (at, timer))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut timers = Deadlines::new();
        timers.insert(ms(30), 1, 'c');
        timers.insert(ms(10), 2, 'a');
        timers.insert(ms(30), 3, 'd');
        timers.insert(ms(10), 4, 'b');
        let fired: Vec<char> = std::iter::from_fn(|| timers.pop_due(ms(100)).map(|(_, t)| t)).collect();
        assert_eq!(fired, vec!['a', 'b', 'c', 'd']);
    }

    #[test]
    fn cancel_removes_only_its_timer() {
        let mut timers = Deadlines::new();
        timers.insert(ms(10), 1, 'a');
        timers.insert(ms(20), 2, 'b');
        assert_eq!(timers.cancel(&1), Some('a'));
        assert_eq!(timers.cancel(&1), None, "a timer cancels once");
        assert!(!timers.contains(&1));
        assert_eq!(timers.next(), Some(ms(20)));
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn a_key_names_one_timer() {
        let mut timers = Deadlines::new();
        timers.insert(ms(10), 1, 'a');
        timers.insert(ms(50), 1, 'b');
        assert_eq!(timers.len(), 1);
        assert_eq!(timers.pop(), Some((ms(50), 1, 'b')));
    }

    #[test]
    fn the_mark_leaves_later_timers() {
        let mut timers = Deadlines::new();
        timers.insert(ms(10), 1, 'a');
        let mark = timers.mark();
        timers.insert(ms(10), 2, 'b');
        assert_eq!(timers.pop_due_before(ms(10), mark), Some((1, 'a')));
        assert_eq!(timers.pop_due_before(ms(10), mark), None, "b was inserted after the mark");
        assert_eq!(timers.pop_due(ms(10)), Some((2, 'b')));
    }

    #[test]
    fn retain_keeps_the_index_in_step() {
        let mut timers = Deadlines::new();
        for k in 0..6 {
            timers.insert(ms(k), k, k);
        }
        timers.retain(|k, _| k % 2 == 0);
        assert_eq!(timers.len(), 3);
        assert!(!timers.contains(&1) && timers.contains(&2));
        assert_eq!(timers.cancel(&3), None);
        assert_eq!(format!("{timers:?}"), "[(0ns, 0), (2ms, 2), (4ms, 4)]");
    }
}
