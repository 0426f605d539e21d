//! The capstone's checks, run against the reference solution itself.

use chat_solution as reference;
use chat_solution as subject;

#[path = "../../../exercises/16-chat/tests/checks/mod.rs"]
mod checks;
