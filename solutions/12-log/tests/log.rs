//! The log exercise's checks, run against the reference solution itself: the proof
//! that the checks can be passed.

use append_log_solution as reference;
use append_log_solution as subject;

#[path = "../../../exercises/12-log/tests/checks/mod.rs"]
mod checks;
