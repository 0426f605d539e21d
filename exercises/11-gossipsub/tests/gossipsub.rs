//! The checks of the gossipsub exercise, run against your crate (`gossipsub`).
//!
//! `cargo verify check gossipsub` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit
//! them.

use gossipsub as subject;
use gossipsub_solution as reference;

mod checks;
