//! The checks of the anti-entropy exercise, run against your crate (`anti_entropy`).
//!
//! `cargo verify check anti-entropy` runs them step by step. The same checks run
//! against the reference solution: they are the specification. Read them, but do not
//! edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/13-anti-entropy/tests/anti_entropy.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use anti_entropy as subject;
#[cfg(feature = "reference")]
use anti_entropy_solution as subject;
use anti_entropy_solution as reference;

mod checks;
