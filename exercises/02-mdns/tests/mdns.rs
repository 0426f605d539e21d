//! The checks of the mdns exercise, run against your crate (`mdns`).
//!
//! `cargo verify check mdns` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/02-mdns/tests/mdns.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use mdns as subject;
#[cfg(feature = "reference")]
use mdns_solution as subject;
use mdns_solution as reference;

mod checks;
