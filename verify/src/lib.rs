//! The handbook's runner, as a library.
//!
//! The `verify` binary (run as `cargo verify`) is a thin layer of subcommands over
//! these modules; the mdBook preprocessor (`verify/mdbook-exercise`) reuses
//! [`exercise`] and [`steps`] so the book and the runner read the same metadata.
//!
//! The modules follow the life of a check:
//! [`workspace`] finds the handbook and its exercises, [`exercise`] reads their
//! metadata, [`steps`] reads the step list out of the checks' source, [`checks`]
//! builds and runs them (through [`process`], which enforces time limits, and
//! [`libtest`], which reads the test harness's output), and [`progress`] remembers
//! the results so an unchanged exercise is never checked twice. [`hints`] reads the
//! hint ladders, which live outside the learner's crate. [`pristine`] asks git
//! what the exercise looked like before the learner touched it.

pub mod audit;
pub mod checks;
pub mod exercise;
pub mod hints;
pub mod libtest;
pub mod mistakes;
pub mod pristine;
pub mod process;
pub mod progress;
pub mod room;
pub mod steps;
pub mod style;
pub mod workspace;

pub use exercise::{Exercise, Meta};
pub use workspace::{Mode, Workspace};
