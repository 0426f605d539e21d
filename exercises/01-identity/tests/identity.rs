//! The checks of the identity exercise, run against your crate (`identity`).
//!
//! `cargo verify check identity` runs them step by step. The same checks run against
//! the reference solution in `solutions/01-identity`, so they are the specification:
//! read them, but do not edit them.

use identity as subject;
use identity_solution as reference;

mod checks;
