//! The nat exercise's checks, run against the reference solution itself.

use nat_solution as reference;
use nat_solution as subject;

#[path = "../../../exercises/05-nat/tests/checks/mod.rs"]
mod checks;
