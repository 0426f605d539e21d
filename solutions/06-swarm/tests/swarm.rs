//! The swarm exercise's checks, run against the reference solution itself.

#[allow(unused_imports)]
use swarm_solution as reference;
use swarm_solution as subject;

#[path = "../../../exercises/06-swarm/tests/checks/mod.rs"]
mod checks;
