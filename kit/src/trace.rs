//! Recording a simulation for its space-time diagram: the kit's half.
//!
//! A [`Trace`] is a run as events: every message with the time it was sent and the
//! time it arrived (or why it did not), every timer, partitions and crashes. The
//! simulators fill one through a [`Recorder`] as they run. The format, and the page
//! that draws it ([`Trace::to_html`]), are declared once in `verify-protocol`, which
//! the runner shares: the kit records, the runner draws.
//!
//! A simulation records when someone asked: a test that installed a [`set_sink`] on
//! its thread, the runner through [`TRACE_VAR`], or the simulation's own
//! `Sim::record(true)`. When it ends (also when its step fails and the panic unwinds
//! through it) it hands the finished trace to [`hand_over`], which gives it to this
//! thread's sink, or else leaves it in the runner's folder as a data record
//! ([`record_name`], JSON). The runner reads the records, puts each failing step's
//! message where the kit marked the step's end ([`FAILED_HERE`]), and writes the HTML.
//! The kit writes no page.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::time::Duration;

pub use verify_protocol::trace::{CLIENTS, Event, Kind, Trace, WINDOW, column, label_of, ms, page_name, record_name};

/// The environment variable through which the runner asks every simulation of a
/// check to record itself and leave its record in a folder (declared once, in
/// `verify-protocol`, for both sides).
pub use verify_protocol::TRACE_VAR;

/// At most this many events are kept (a 1,000-node DHT run sends far more); the
/// diagram then says it was cut short.
pub const MAX_EVENTS: usize = 200_000;

/// The text that stands for the broken invariant in a failing step's trace, until
/// the runner, which has the step's failure message, puts the message in its place.
pub use verify_protocol::FAILED_HERE;

/// Collects a simulation's events as they happen (the simulators call it).
#[derive(Debug, Default)]
pub struct Recorder {
    events: Vec<Event>,
    truncated: bool,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records one event; endpoints are put in their columns ([`column()`]).
    pub fn push(&mut self, kind: Kind, sent: Duration, at: Duration, from: &str, to: &str, body: String) {
        if self.events.len() >= MAX_EVENTS {
            self.truncated = true;
            return;
        }
        let label = if kind == Kind::Note { body.clone() } else { label_of(&body) };
        let (from, to) = (
            if from.is_empty() { String::new() } else { column(from) },
            if to.is_empty() { String::new() } else { column(to) },
        );
        self.events.push(Event { kind, sent_ms: ms(sent), at_ms: ms(at), from, to, label, body });
    }

    /// The events so far as a [`Trace`] with `nodes` as its columns (plus the
    /// clients' column if a client took part).
    pub fn trace(&self, title: &str, seed: Option<u64>, mut nodes: Vec<String>) -> Trace {
        if self.events.iter().any(|e| e.from == CLIENTS || e.to == CLIENTS) {
            nodes.push(CLIENTS.to_string());
        }
        let mut events = self.events.clone();
        events.sort_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms));
        let mut figures = Vec::new();
        if self.truncated {
            figures.push(("recording".to_string(), format!("cut short after the first {MAX_EVENTS} events")));
        }
        Trace { title: title.to_string(), seed, nodes, events, figures, violation: None }
    }
}

/// What receives the finished traces of this thread's simulations.
type Sink = Box<dyn FnMut(Trace)>;

thread_local! {
    /// This thread's sink, if a test installed one.
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
    /// How many traces this thread has handed over: a step may run several
    /// simulations, and each gets its own number (and record).
    static HANDED: Cell<u32> = const { Cell::new(0) };
}

/// Gives every trace this thread's simulations finish from now on to `sink`
/// (instead of the runner's folder), until [`take_sink`]. Simulations made while a
/// sink is installed record themselves.
pub fn set_sink(sink: impl FnMut(Trace) + 'static) {
    SINK.with(|s| *s.borrow_mut() = Some(Box::new(sink)));
}

/// Removes this thread's sink; returns whether there was one.
pub fn take_sink() -> bool {
    SINK.with(|s| s.borrow_mut().take().is_some())
}

/// Whether someone asked for this thread's simulations to record themselves: a sink
/// on this thread, or the runner through [`TRACE_VAR`].
pub fn asked() -> bool {
    SINK.with(|s| s.borrow().is_some()) || std::env::var_os(TRACE_VAR).is_some()
}

/// Hands a simulation's finished `trace` to whoever asked ([`asked`]); nobody asked,
/// it is dropped. An untitled trace is titled after the test (the step) that ran it
/// and its number in that test; `failed_at` marks where a failing step's simulation
/// ended. Never fails: a diagram must not fail a check, so a record that cannot be
/// written is reported on standard error.
pub fn hand_over(mut trace: Trace, failed_at: Option<Duration>) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("run").rsplit("::").next().unwrap_or("run").to_string();
    let n = HANDED.with(|h| {
        h.set(h.get() + 1);
        h.get()
    });
    if trace.title.is_empty() {
        trace.title = format!("{test} · simulation {n}");
    }
    if let Some(at) = failed_at {
        trace.violation = Some((ms(at), FAILED_HERE.to_string()));
    }
    // The sink is taken out while it runs, so a sink that drops a simulation of its
    // own cannot borrow it twice (during a panic that would abort the process).
    if let Some(mut sink) = SINK.with(|s| s.borrow_mut().take()) {
        sink(trace);
        SINK.with(|s| {
            let mut slot = s.borrow_mut();
            if slot.is_none() {
                *slot = Some(sink);
            }
        });
        return;
    }
    let Some(dir) = std::env::var_os(TRACE_VAR).map(PathBuf::from) else { return };
    let path = dir.join(record_name(&test, n));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, trace.to_record())) {
        eprintln!("could not leave the trace record {}: {e}", path.display());
    }
}
