//! The checks of the gossipsub exercise, run against your crate (`gossipsub`).
//!
//! `cargo verify check gossipsub` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit
//! them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/11-gossipsub/tests/gossipsub.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use gossipsub as subject;
#[cfg(feature = "reference")]
use gossipsub_solution as subject;
use gossipsub_solution as reference;

mod checks;
