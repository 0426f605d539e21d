//! What the runner (`cargo verify`) and the kit agree on, declared once: the
//! environment the runner sets for a check's test process, and the lines the kit
//! prints there for the runner to read. Both sides use these constants, so neither
//! can drift from the other.
//!
//! It also holds the one thing the two hand each other as data: a recorded
//! simulation ([`trace`]), which the kit records and the runner draws.
//!
//! This crate depends only on serde and serde_json, which the kit (built into every
//! exercise) and the runner (which must start fast on a fresh clone) both use anyway.

pub mod trace;

/// The environment variable the runner sets to choose the run: every seeded
/// simulation of a check derives its seed from it (`cargo verify check --seed S`,
/// and each run of `--seeds N`).
pub const SEED_VAR: &str = "VERIFY_SEED";

/// The environment variable through which the runner asks every simulation of a
/// check to record itself and leave its record ([`trace::record_name`]) in the
/// folder it names; the runner draws the diagrams.
pub const TRACE_VAR: &str = "VERIFY_TRACE";

/// The start of the line a seeded check prints, so the runner knows which steps a
/// seed sweep should repeat.
pub const SEEDED_PREFIX: &str = "seeded: ";

/// The start of a figure line (`figure: LABEL: VALUE`), which the runner shows
/// beside the step that printed it.
pub const FIGURE_PREFIX: &str = "figure: ";

/// The text that stands for the broken invariant in a failing step's diagram, until
/// the runner, which has the step's failure message, puts the message in its place.
pub const FAILED_HERE: &str = "(the step failed here: its message is in cargo verify's report)";
