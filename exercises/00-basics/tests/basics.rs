//! The checks of the basics exercise, run against your crate (`basics`).
//!
//! `cargo verify check basics` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use basics as subject;
use basics_solution as reference;

mod checks;
