//! Broadcast by gossip, as a sans-IO node: every value a client broadcasts to any
//! node reaches every node, through partitions, with few messages and low latency.
//!
//! This is your crate: `src/node.rs` still calls `todo!()`. The messages
//! (`src/messages.rs`) are given: they are Maelstrom's `broadcast` workload's, so the
//! node you write also runs under Maelstrom itself (`src/main.rs`). The chapter is
//! `book/content-routing/gossip.md`; `cargo verify check gossip` checks your work.

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod messages;
pub mod node;

pub use messages::Msg;
pub use node::{BroadcastNode, Timer};
