//! The capstone: a chat that every laptop in the room joins with no server.
//!
//! Each participant writes its lines into its own signed, hash-chained log (the log
//! chapter), named by its Ed25519 identity (the identity chapter). A new line is pushed
//! at once to every peer, and every few hundred milliseconds each node runs a round of
//! anti-entropy with a random peer (the anti-entropy chapter), which repairs whatever
//! the push missed: a partition, a sleeping laptop, a lost message. Every node shows
//! the same lines in the same order, because the order is a function of the lines
//! alone: Lamport clocks, then author, then sequence number.
//!
//! - [`line`]: what one chat line carries, and the order every node shows.
//! - [`node`]: the chat as a sans-IO [`kit::Node`]: in the simulator, and over TCP.
//! - `main.rs`: the program for the room (solutions/15-chat/src/app/): the node on Noise,
//!   yamux and the swarm's mesh, found by mDNS or rendezvous, with a terminal interface.

pub mod line;
pub mod node;

pub use line::{Line, Shown, history};
pub use node::{Ban, ChatNode, Msg, Timer};

/// The reference solutions this chapter builds on.
pub use anti_entropy_solution as anti_entropy;
pub use append_log_solution as log;
