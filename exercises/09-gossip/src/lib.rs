//! Broadcast by gossip, as a sans-IO node: every value a client broadcasts to any
//! node reaches every node, through partitions, with few messages and low latency.
//!
//! The messages (`src/messages.rs`) are Maelstrom's `broadcast` workload's, the setting
//! of Fly.io's Gossip Glomers challenge 3, so the same node also runs under Maelstrom
//! itself (see `src/main.rs`). The chapter is `book/pubsub/gossip.md`. In the
//! exercise crate, `src/node.rs` has a `todo!()` in each function marked
//! `// TODO (step N)`; the steps are the checks' (`cargo verify check gossip`).
//!
//! # Steps
//!
//! `cargo verify check gossip` runs these six steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. One node answers Topology, Broadcast and Read — `src/node.rs`
//! 2. Five nodes: every value reaches every node, once — `src/node.rs`
//! 3. Values broadcast during a partition reach every node once it heals —
//!    `src/node.rs`
//! 4. Gossip Glomers 3d: under 30 messages per operation, median latency under 400 ms,
//!    max under 600 ms — `src/node.rs`
//! 5. Gossip Glomers 3e: under 20 messages per operation, median latency under 1 s, max
//!    under 2 s — `src/node.rs`
//! 6. Every interleaving of two nodes, with any one message lost: no value some node
//!    learned is lost for good — `src/node.rs`

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod messages;
pub mod node;

pub use messages::Msg;
pub use node::{BroadcastNode, Timer};
