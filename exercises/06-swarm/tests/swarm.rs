//! The checks of the swarm exercise, run against your crate (`swarm`).
//!
//! `cargo verify check swarm` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use swarm as subject;
#[allow(unused_imports)]
use swarm_solution as reference;

mod checks;
