//! Latency figures the way distributed-systems challenges report them.
//!
//! Fly.io's Gossip Glomers (run on Jepsen's Maelstrom) judge a broadcast protocol by
//! messages per operation and by the median and maximum time an update takes to
//! reach every node. [`Summary`] holds those percentiles; [`Report`] adds the
//! message counts.

use std::fmt;
use std::time::Duration;

/// Percentiles of a set of durations (nearest-rank method).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The 50th percentile.
    pub median: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The largest sample.
    pub max: Duration,
}

impl Summary {
    /// Summarises `samples` (in any order). No samples give all zeros.
    pub fn of(samples: &[Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        Summary {
            count: sorted.len(),
            median: percentile(&sorted, 50.0),
            p99: percentile(&sorted, 99.0),
            max: *sorted.last().expect("not empty"),
        }
    }
}

/// The nearest-rank percentile of sorted, non-empty samples: the smallest sample
/// with at least `p` percent of the samples at or below it.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "median {} ms, p99 {} ms, max {} ms",
            self.median.as_millis(),
            self.p99.as_millis(),
            self.max.as_millis()
        )
    }
}

/// What a simulation cost and how fast updates spread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Operations clients sent to the servers.
    pub client_ops: u64,
    /// Messages one server sent another (sent, whether or not they arrived).
    pub server_messages: u64,
    /// Messages that arrived (to servers and clients).
    pub delivered: u64,
    /// Messages lost: to loss, partitions, or a crashed receiver.
    pub dropped: u64,
    /// Tracked keys that never reached every live node.
    pub incomplete: usize,
    /// How long tracked keys took to reach every live node.
    pub latency: Summary,
}

impl Report {
    /// Messages between servers per client operation: the cost of the protocol.
    pub fn messages_per_op(&self) -> f64 {
        if self.client_ops == 0 { 0.0 } else { self.server_messages as f64 / self.client_ops as f64 }
    }

    /// Prints the report's figures with [`figure`] (messages per operation, the
    /// latency percentiles, what was dropped), so a measuring check shows them
    /// whether it passes or fails.
    pub fn print_figures(&self) {
        figure("operations", self.client_ops);
        figure("messages per operation", format!("{:.1}", self.messages_per_op()));
        figure("latency median", format!("{} ms", self.latency.median.as_millis()));
        figure("latency p99", format!("{} ms", self.latency.p99.as_millis()));
        figure("latency max", format!("{} ms", self.latency.max.as_millis()));
        if self.dropped > 0 {
            figure("messages dropped", self.dropped);
        }
        if self.incomplete > 0 {
            figure("updates that never reached every node", self.incomplete);
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ops, {} server messages ({:.1} per op), {} dropped; latency to every node: {}",
            self.client_ops,
            self.server_messages,
            self.messages_per_op(),
            self.dropped,
            self.latency
        )?;
        if self.incomplete > 0 {
            write!(f, "; {} never reached every node", self.incomplete)?;
        }
        Ok(())
    }
}

/// Prints one figure of a measuring check, such as messages per operation or a
/// latency percentile, as a line `figure: LABEL: VALUE` on the check's output.
/// Printing the same label again updates the figure (the runner keeps the latest).
///
/// The runner (`cargo verify check`) collects these lines from every step, passed or
/// failed, shows them under the step and puts them in `--json`, so a learner sees
/// what their code measured and a room can compare. Call it before asserting, so a
/// failing step shows its figures too.
pub fn figure(label: &str, value: impl fmt::Display) {
    println!("{FIGURE_PREFIX}{label}: {value}");
}

/// The start of a figure line; the runner looks for it (declared once, in
/// `verify-protocol`, for both sides).
pub use verify_protocol::FIGURE_PREFIX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let s = Summary::of(&ms);
        assert_eq!(
            (s.count, s.median, s.p99, s.max),
            (100, Duration::from_millis(50), Duration::from_millis(99), Duration::from_millis(100))
        );
        let one = Summary::of(&[Duration::from_millis(7)]);
        assert_eq!(
            (one.median, one.p99, one.max),
            (Duration::from_millis(7), Duration::from_millis(7), Duration::from_millis(7))
        );
        assert_eq!(Summary::of(&[]), Summary::default());
    }
}
