//! The checks of the gossip exercise, run against your crate (`gossip`).
//!
//! `cargo verify check gossip` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/09-gossip/tests/gossip.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use gossip as subject;
#[cfg(feature = "reference")]
use gossip_solution as subject;
use gossip_solution as reference;

mod checks;
