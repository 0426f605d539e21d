//! The mdns exercise's checks, run against the reference solution itself.

use mdns_solution as reference;
use mdns_solution as subject;

#[path = "../../../exercises/02-mdns/tests/checks/mod.rs"]
mod checks;
