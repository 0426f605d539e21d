//! The checks of the dht exercise, run against your crate (`dht`).
//!
//! `cargo verify check dht` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use dht as subject;
use dht_solution as reference;

mod checks;
