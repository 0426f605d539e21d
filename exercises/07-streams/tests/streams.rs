//! The checks of the streams exercise, run against your crate (`streams`).
//!
//! `cargo verify check streams` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/07-streams/tests/streams.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use streams as subject;
#[cfg(feature = "reference")]
use streams_solution as subject;
use streams_solution as reference;

mod checks;
