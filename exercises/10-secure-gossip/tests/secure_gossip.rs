//! The checks of the secure-gossip exercise, run against your crate (`secure_gossip`).
//!
//! `cargo verify check secure-gossip` runs them step by step. The same checks run
//! against the reference solution: they are the specification. Read them, but do not
//! edit them.

use secure_gossip as subject;
use secure_gossip_solution as reference;

mod checks;
