//! The gossip exercise's checks, run against the reference solution itself.

use gossip_solution as reference;
use gossip_solution as subject;

#[path = "../../../exercises/09-gossip/tests/checks/mod.rs"]
mod checks;
