//! The checks of the log exercise, run against your crate (`append_log`).
//!
//! `cargo verify check log` runs them step by step. The same checks run against the
//! reference solution in `solutions/12-log`: they are the specification. Read them,
//! but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/12-log/tests/log.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use append_log as subject;
#[cfg(feature = "reference")]
use append_log_solution as subject;
use append_log_solution as reference;

mod checks;
