//! The checks of the CRDT exercise, run against your crate (`crdt`).
//!
//! `cargo verify check crdt` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use crdt as subject;
use crdt_solution as reference;

mod checks;
