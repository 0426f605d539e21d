//! The Merkle DAG exercise's checks, run against the reference solution itself.

use merkle_dag_solution as reference;
use merkle_dag_solution as subject;

#[path = "../../../exercises/14-merkle-dag/tests/checks/mod.rs"]
mod checks;
