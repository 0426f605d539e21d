//! The checks of the swarm exercise, run against your crate (`swarm`).
//!
//! `cargo verify check swarm` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/06-swarm/tests/swarm.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use swarm as subject;
#[cfg(feature = "reference")]
use swarm_solution as subject;
#[allow(unused_imports)]
use swarm_solution as reference;

mod checks;
