//! The secure-gossip exercise's checks, run against the reference solution itself.

use secure_gossip_solution as reference;
use secure_gossip_solution as subject;

#[path = "../../../exercises/10-secure-gossip/tests/checks/mod.rs"]
mod checks;
