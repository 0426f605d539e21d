//! A recorded run and its picture: the space-time diagram's data and page.
//!
//! A failing distributed check that says only "n0 is missing 24 values" leaves the
//! learner to imagine the run. Jepsen's Maelstrom draws a Lamport diagram of every
//! run, and DSLabs hands back the failing trace in a visual debugger; the handbook does
//! the same with what its simulator already knows. A [`Trace`] is the run as events —
//! every message with the time it was sent and the time it arrived (or why it did
//! not), every timer, partitions and crashes — and [`Trace::to_html`] turns it into
//! one self-contained HTML file: one column per node, time downwards, each message an
//! arrow labelled with its type (hover for its body, click to pin it), drops marked
//! with a cross, timers as ticks, and the violated invariant at the moment it broke.
//!
//! The two sides share this module: the kit's simulator records a [`Trace`] and, when
//! the runner asked through [`TRACE_VAR`](crate::TRACE_VAR), leaves it as a data record
//! ([`record_name`], JSON); the runner reads the record back, puts the step's failure
//! message in it, and writes the page. So the format is declared once and only the
//! runner writes HTML.
//!
//! The page needs no network (no CDN, no fonts): the data sits in the page as JSON and
//! a little inline script draws it, a window of [`WINDOW`] messages at a time, so a run
//! of a hundred thousand messages still opens and scrolls.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How many messages the page draws at once; the rest is a click away.
pub const WINDOW: usize = 2_000;

/// One thing that happened in a recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What kind of event.
    pub kind: Kind,
    /// When it started: a message's send time, a timer's firing, a note's moment (ms).
    pub sent_ms: f64,
    /// When it ended: a message's arrival or loss; the same as `sent_ms` otherwise.
    pub at_ms: f64,
    /// The node (or client) it happened at, or a message's sender.
    pub from: String,
    /// A message's receiver; empty for timers and notes.
    pub to: String,
    /// A short label: the message's type, the timer, the note.
    pub label: String,
    /// The whole message (or timer), as the code's `Debug` shows it.
    pub body: String,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A message that arrived.
    Delivered,
    /// A message that did not arrive, and why (loss, partition, crash, no such node).
    Dropped { why: String },
    /// A timer that fired.
    Timer,
    /// Anything else worth a line across the diagram: a partition, a heal, a crash.
    Note,
}

/// A recorded run, ready to draw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trace {
    /// What the run was, e.g. `gossip · step 3 · partitions`.
    pub title: String,
    /// The seed that replays it.
    pub seed: Option<u64>,
    /// The columns, in order (servers first; clients share one column).
    pub nodes: Vec<String>,
    /// Everything that happened, in time order.
    pub events: Vec<Event>,
    /// The step's figures (messages per operation, latency, …).
    pub figures: Vec<(String, String)>,
    /// The invariant that broke, and when (ms), if one did.
    pub violation: Option<(f64, String)>,
}

/// The column every client shares: client traffic is part of the picture, but one
/// column per client would bury the nodes.
pub const CLIENTS: &str = "clients";

/// The name of the column an endpoint is drawn in.
pub fn column(name: &str) -> String {
    if name.starts_with('c') && name[1..].chars().all(|c| c.is_ascii_digit()) && name.len() > 1 {
        CLIENTS.to_string()
    } else {
        name.to_string()
    }
}

/// The label of a message or timer from its `Debug` text: the variant or type name.
pub fn label_of(debug: &str) -> String {
    let end = debug.find(|c: char| c == '{' || c == '(' || c.is_whitespace()).unwrap_or(debug.len());
    let label = &debug[..end];
    if label.is_empty() { debug.chars().take(24).collect() } else { label.to_string() }
}

/// A duration in milliseconds, as the page shows times.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Trace {
    /// How many messages arrived: the arrows the page draws.
    pub fn delivered(&self) -> usize {
        self.events.iter().filter(|e| e.kind == Kind::Delivered).count()
    }

    /// The page, whole.
    pub fn to_html(&self) -> String {
        // `</` inside a script element would end it early; JSON escapes it harmlessly.
        let data = serde_json::to_string(self).unwrap_or_else(|_| "{}".into()).replace("</", "<\\/");
        let mut html = String::with_capacity(data.len() + PAGE.len() + 256);
        let title = escape(if self.title.is_empty() { "A recorded run" } else { &self.title });
        let _ = write!(
            html,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
             <meta name=\"viewport\" content=\"width=device-width\">\n<style>{STYLE}</style></head>\n\
             <body data-delivered=\"{delivered}\">\n<h1>{title}</h1>\n<div id=\"summary\"></div>\n\
             <div id=\"controls\"></div>\n<div id=\"detail\">Hover over an arrow to see the message; click to keep it here.</div>\n\
             <div id=\"diagram\"></div>\n<script id=\"trace-data\" type=\"application/json\">{data}</script>\n<script>{PAGE}</script>\n</body></html>\n",
            delivered = self.delivered(),
        );
        html
    }

    /// Writes the page to `path`, making its folder if needed.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.to_html())
    }

    /// The data record the kit leaves for the runner: the trace as JSON.
    pub fn to_record(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Reads a record written by [`Trace::to_record`].
    pub fn from_record(text: &str) -> Result<Trace, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Puts `message` where the kit marked a failing step's end ([`FAILED_HERE`](crate::FAILED_HERE)).
    /// Returns whether there was such a mark.
    pub fn put_failure(&mut self, message: &str) -> bool {
        match &mut self.violation {
            Some((_, text)) if text == crate::FAILED_HERE => {
                *text = message.to_string();
                true
            }
            _ => false,
        }
    }
}

/// The name of the `n`-th data record a test named `step` leaves in the runner's
/// folder (`step_3_partitions-1.json`): the runner draws it as the page of the same
/// name ending in `.html` ([`page_name`]).
pub fn record_name(step: &str, n: u32) -> String {
    format!("{}-{n}.json", file_stem(step))
}

/// The name of the page the runner draws from the record [`record_name`]`(step, n)`.
pub fn page_name(step: &str, n: u32) -> String {
    format!("{}-{n}.html", file_stem(step))
}

/// A test's name as a file name: anything but letters, digits and `_` becomes `-`.
fn file_stem(step: &str) -> String {
    step.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page's style sheet.
const STYLE: &str = include_str!("trace.css");

/// The drawing script: reads the JSON, draws one window of messages as SVG.
const PAGE: &str = include_str!("trace.js");

#[cfg(test)]
mod tests {
    use super::*;

    fn message(from: &str, to: &str, sent: f64, at: f64, body: &str) -> Event {
        Event {
            kind: Kind::Delivered,
            sent_ms: sent,
            at_ms: at,
            from: from.into(),
            to: to.into(),
            label: label_of(body),
            body: body.into(),
        }
    }

    #[test]
    fn labels_columns_and_counts() {
        assert_eq!(label_of("Gossip { messages: [1, 2] }"), "Gossip");
        assert_eq!(label_of("Read"), "Read");
        assert_eq!(label_of("Tick(3)"), "Tick");
        assert_eq!(column("c17"), CLIENTS);
        assert_eq!(column("n3"), "n3");
        assert_eq!(column("carol"), "carol");
        let trace = Trace {
            title: "a <test>".into(),
            nodes: vec!["n0".into(), "n1".into()],
            events: vec![
                message("n0", "n1", 0.0, 10.0, "Gossip { messages: [1] }"),
                Event { kind: Kind::Dropped { why: "partition".into() }, ..message("n1", "n0", 5.0, 5.0, "GossipOk") },
                Event { kind: Kind::Timer, ..message("n0", "", 20.0, 20.0, "Tick") },
            ],
            ..Trace::default()
        };
        assert_eq!(trace.delivered(), 1);
        let html = trace.to_html();
        assert!(html.contains("data-delivered=\"1\""));
        assert!(html.contains("<title>a &lt;test&gt;</title>"));
        assert!(!html.contains("src=") && !html.contains("href=\"http"), "the page fetches nothing");
    }

    #[test]
    fn a_record_reads_back_as_the_same_trace_and_takes_the_failure_message() {
        let mut trace = Trace {
            title: "gossip · step 3".into(),
            seed: Some(7),
            nodes: vec!["n0".into(), "n1".into()],
            events: vec![
                message("n0", "n1", 0.0, 10.0, "Gossip { messages: [1] }"),
                Event { kind: Kind::Dropped { why: "partition".into() }, ..message("n1", "n0", 5.0, 5.0, "GossipOk") },
                Event { kind: Kind::Note, ..message("", "", 6.0, 6.0, "heal") },
            ],
            figures: vec![("recording".into(), "whole".into())],
            violation: Some((12.5, crate::FAILED_HERE.into())),
        };
        let back = Trace::from_record(&trace.to_record()).expect("a record reads back");
        assert_eq!(back.events, trace.events);
        assert_eq!((back.title.as_str(), back.seed, &back.nodes), (trace.title.as_str(), trace.seed, &trace.nodes));
        assert_eq!(back.violation, trace.violation);
        assert!(trace.put_failure("n0 is missing 1 value"));
        assert_eq!(trace.violation, Some((12.5, "n0 is missing 1 value".into())));
        assert!(!trace.put_failure("again"), "only the kit's mark is replaced");
        assert_eq!(record_name("step_3_partitions", 2), "step_3_partitions-2.json");
        assert_eq!(page_name("step 3", 1), "step-3-1.html");
    }

    #[test]
    fn a_body_cannot_end_the_script_early() {
        let trace = Trace {
            nodes: vec!["n0".into()],
            events: vec![message("n0", "n0", 0.0, 1.0, "Text(\"</script><b>\")")],
            ..Trace::default()
        };
        let html = trace.to_html();
        assert_eq!(html.matches("</script>").count(), 2, "only the page's own two script ends");
    }
}
