//! The checks of the capstone, run against your crate (`chat`).
//!
//! `cargo verify check chat` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.

use chat as subject;
use chat_solution as reference;

mod checks;
