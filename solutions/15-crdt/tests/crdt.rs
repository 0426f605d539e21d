//! The CRDT exercise's checks, run against the reference solution itself.

use crdt_solution as reference;
use crdt_solution as subject;

#[path = "../../../exercises/15-crdt/tests/checks/mod.rs"]
mod checks;
