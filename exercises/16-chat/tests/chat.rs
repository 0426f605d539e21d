//! The checks of the capstone, run against your crate (`chat`).
//!
//! `cargo verify check chat` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/16-chat/tests/chat.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use chat as subject;
#[cfg(feature = "reference")]
use chat_solution as subject;
use chat_solution as reference;

mod checks;
