//! The handshake exercise's checks, run against the reference solution itself.

use handshake_solution as reference;
use handshake_solution as subject;

#[path = "../../../exercises/08-handshake/tests/checks/mod.rs"]
mod checks;
