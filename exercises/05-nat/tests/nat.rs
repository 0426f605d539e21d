//! The checks of the nat exercise, run against your crate (`nat`).
//!
//! `cargo verify check nat` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/05-nat/tests/nat.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use nat as subject;
#[cfg(feature = "reference")]
use nat_solution as subject;
use nat_solution as reference;

mod checks;
