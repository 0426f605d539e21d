//! The checks of the gossip exercise, run against your crate (`gossip`).
//!
//! `cargo verify check gossip` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use gossip as subject;
use gossip_solution as reference;

mod checks;
