//! The checks of the handshake exercise, run against your crate (`handshake`).
//!
//! `cargo verify check handshake` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.

use handshake as subject;
use handshake_solution as reference;

mod checks;
