//! The streams exercise's checks, run against the reference solution itself.

use streams_solution as reference;
use streams_solution as subject;

#[path = "../../../exercises/07-streams/tests/checks/mod.rs"]
mod checks;
