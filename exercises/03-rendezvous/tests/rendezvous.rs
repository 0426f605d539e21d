//! The checks of the rendezvous exercise, run against your crate (`rendezvous`).
//!
//! `cargo verify check rendezvous` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.

use rendezvous as subject;
use rendezvous_solution as reference;

mod checks;
