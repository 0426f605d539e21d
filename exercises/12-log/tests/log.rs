//! The checks of the log exercise, run against your crate (`append_log`).
//!
//! `cargo verify check log` runs them step by step. The same checks run against the
//! reference solution in `solutions/12-log`: they are the specification. Read them,
//! but do not edit them.

use append_log as subject;
use append_log_solution as reference;

mod checks;
