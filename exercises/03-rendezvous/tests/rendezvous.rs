//! The checks of the rendezvous exercise, run against your crate (`rendezvous`).
//!
//! `cargo verify check rendezvous` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/03-rendezvous/tests/rendezvous.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use rendezvous as subject;
#[cfg(feature = "reference")]
use rendezvous_solution as subject;
use rendezvous_solution as reference;

mod checks;
