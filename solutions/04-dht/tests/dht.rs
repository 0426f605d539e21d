//! The dht exercise's checks, run against the reference solution itself.

use dht_solution as reference;
use dht_solution as subject;

#[path = "../../../exercises/04-dht/tests/checks/mod.rs"]
mod checks;
