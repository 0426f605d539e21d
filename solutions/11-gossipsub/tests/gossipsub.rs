//! The gossipsub exercise's checks, run against the reference solution itself.

use gossipsub_solution as reference;
use gossipsub_solution as subject;

#[path = "../../../exercises/11-gossipsub/tests/checks/mod.rs"]
mod checks;
