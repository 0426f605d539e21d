//! The anti-entropy exercise's checks, run against the reference solution itself.

use anti_entropy_solution as reference;
use anti_entropy_solution as subject;

#[path = "../../../exercises/13-anti-entropy/tests/checks/mod.rs"]
mod checks;
