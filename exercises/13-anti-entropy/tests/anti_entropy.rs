//! The checks of the anti-entropy exercise, run against your crate (`anti_entropy`).
//!
//! `cargo verify check anti-entropy` runs them step by step. The same checks run
//! against the reference solution: they are the specification. Read them, but do not
//! edit them.

use anti_entropy as subject;
use anti_entropy_solution as reference;

mod checks;
