//! The checks of the streams exercise, run against your crate (`streams`).
//!
//! `cargo verify check streams` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use streams as subject;
use streams_solution as reference;

mod checks;
