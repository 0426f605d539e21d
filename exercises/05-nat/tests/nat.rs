//! The checks of the nat exercise, run against your crate (`nat`).
//!
//! `cargo verify check nat` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use nat as subject;
use nat_solution as reference;

mod checks;
