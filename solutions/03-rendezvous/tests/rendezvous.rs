//! The rendezvous exercise's checks, run against the reference solution itself.

use rendezvous_solution as reference;
use rendezvous_solution as subject;

#[path = "../../../exercises/03-rendezvous/tests/checks/mod.rs"]
mod checks;
