//! The checks of the Merkle DAG exercise, run against your crate (`merkle_dag`).
//!
//! `cargo verify check merkle-dag` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.

use merkle_dag as subject;
use merkle_dag_solution as reference;

mod checks;
