//! The checks of the Merkle DAG exercise, run against your crate (`merkle_dag`).
//!
//! `cargo verify check merkle-dag` runs them step by step. The same checks run against
//! the reference solution: they are the specification. Read them, but do not edit them.
//!
//! This one file is the test target of both packages: the reference's manifest names
//! it (`[[test]] path = "../../exercises/14-merkle-dag/tests/merkle_dag.rs"`) and turns on its own
//! `reference` feature, which makes the reference the subject.

#[cfg(not(feature = "reference"))]
use merkle_dag as subject;
#[cfg(feature = "reference")]
use merkle_dag_solution as subject;
use merkle_dag_solution as reference;

mod checks;
