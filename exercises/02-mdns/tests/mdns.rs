//! The checks of the mdns exercise, run against your crate (`mdns`).
//!
//! `cargo verify check mdns` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use mdns as subject;
use mdns_solution as reference;

mod checks;
