//! The checks of the secure-gossip exercise, run against your crate (`secure_gossip`).
//!
//! `cargo verify check secure-gossip` runs them step by step. The same checks run
//! against the reference solution: they are the specification. Read them, but do not
//! edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/10-secure-gossip/tests/secure_gossip.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use secure_gossip as subject;
#[cfg(feature = "reference")]
use secure_gossip_solution as subject;
use secure_gossip_solution as reference;

mod checks;
