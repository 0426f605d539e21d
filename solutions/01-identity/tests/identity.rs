//! The identity exercise's checks, run against the reference solution itself: the
//! proof that the checks can be passed.

use identity_solution as reference;
use identity_solution as subject;

#[path = "../../../exercises/01-identity/tests/checks/mod.rs"]
mod checks;
