//! The checks of the CRDT exercise, run against your crate (`crdt`).
//!
//! `cargo verify check crdt` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/15-crdt/tests/crdt.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use crdt as subject;
#[cfg(feature = "reference")]
use crdt_solution as subject;
use crdt_solution as reference;

mod checks;
