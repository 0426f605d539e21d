//! The handbook's runner, as a library.
//!
//! The `verify` binary (run as `cargo verify`) is a thin layer of subcommands over
//! these modules. What the runner shares with the book's preprocessor and the
//! instructor's tools (finding the handbook, reading its metadata, steps and hints,
//! colours) lives in the `verify-meta` crate and is re-exported here; what it shares
//! with the kit (the environment of a check, the lines the kit prints) lives in
//! `verify-protocol`.
//!
//! The modules follow the life of a check:
//! [`workspace`] finds the handbook and its exercises, [`exercise`] reads their
//! metadata, [`steps`] reads the step list out of the checks' source, [`checks`]
//! builds and runs them (through [`process`], which enforces time limits) and folds
//! what the test process left (read by [`libtest`]) into one verdict per step, and
//! [`progress`] remembers the results so an unchanged exercise is never checked twice.
//! [`hints`] reads the hint ladders, which live outside the learner's crate.
//! [`pristine`] asks git what the exercise looked like before the learner touched it.

pub mod audit;
pub mod checks;
pub mod libtest;
pub mod mistakes;
pub mod pristine;
pub mod process;
pub mod progress;

pub use verify_meta::{Exercise, Meta, Mode, Workspace};
pub use verify_meta::{exercise, hints, steps, style, workspace};
