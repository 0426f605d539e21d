//! The basics exercise's checks, run against the reference solution itself.

use basics_solution as reference;
use basics_solution as subject;

#[path = "../../../exercises/00-basics/tests/checks/mod.rs"]
mod checks;
