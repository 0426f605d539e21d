//! Broadcast by gossip, as a sans-IO node: every value a client broadcasts to any
//! node reaches every node, through partitions, with few messages and low latency.
//!
//! The setting is Fly.io's Gossip Glomers challenge 3 on Jepsen's Maelstrom, and the
//! messages are Maelstrom's `broadcast` workload's, so the same node also runs under
//! Maelstrom itself (see `src/main.rs`). The chapter is
//! `book/content-routing/gossip.md`.

pub mod messages;
pub mod node;

pub use messages::Msg;
pub use node::{BroadcastNode, Timer};
