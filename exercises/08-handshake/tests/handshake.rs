//! The checks of the handshake exercise, run against your crate (`handshake`).
//!
//! `cargo verify check handshake` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/08-handshake/tests/handshake.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use handshake as subject;
#[cfg(feature = "reference")]
use handshake_solution as subject;
use handshake_solution as reference;

mod checks;
