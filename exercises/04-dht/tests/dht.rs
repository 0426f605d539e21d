//! The checks of the dht exercise, run against your crate (`dht`).
//!
//! `cargo verify check dht` runs them step by step. The same checks run against the
//! reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/04-dht/tests/dht.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use dht as subject;
#[cfg(feature = "reference")]
use dht_solution as subject;
use dht_solution as reference;

mod checks;
