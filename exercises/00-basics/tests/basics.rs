//! The checks of the basics exercise, run against your crate (`basics`).
//!
//! `cargo verify check basics` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/00-basics/tests/basics.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use basics as subject;
#[cfg(feature = "reference")]
use basics_solution as subject;
use basics_solution as reference;

mod checks;
