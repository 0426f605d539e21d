//! Broadcast by gossip, as a sans-IO node: every value a client broadcasts to any
//! node reaches every node, through partitions, with few messages and low latency.
//!
//! The messages (`src/messages.rs`) are Maelstrom's `broadcast` workload's, the setting
//! of Fly.io's Gossip Glomers challenge 3, so the same node also runs under Maelstrom
//! itself (see `src/main.rs`). The chapter is `book/content-routing/gossip.md`. In the
//! exercise crate, `src/node.rs` has a `todo!` stub in each function marked
//! `// TODO (step N)`; the steps are the checks' (`cargo verify check gossip`).

pub mod messages;
pub mod node;

pub use messages::Msg;
pub use node::{BroadcastNode, Timer};
