//! The checks of the identity exercise, run against your crate (`identity`).
//!
//! `cargo verify check identity` runs them step by step. The same checks run against
//! the reference solution in `solutions/01-identity`, so they are the specification:
//! read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/01-identity/tests/identity.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use identity as subject;
#[cfg(feature = "reference")]
use identity_solution as subject;
use identity_solution as reference;

mod checks;
