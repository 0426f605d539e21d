//! The kit: what every exercise of The P2P Handbook builds on.
//!
//! - [`node`]: the sans-IO [`Node`] trait — protocol logic as callbacks that take a
//!   message or a timer and ask a [`Context`] to send messages and set timers.
//! - [`sim`]: a deterministic network simulator that runs many nodes with latency,
//!   jitter, loss, partitions and crashes, and reports messages per operation and
//!   latency percentiles.
//! - [`runtime`]: one node with its context and timers, the run loop every real-time
//!   driver shares (`poll_timeout` / `handle_timeout`), on [`deadlines`], the one
//!   timer table.
//! - [`net`]: a tokio driver that runs the same node over real TCP sockets.
//! - [`udp`]: a tokio driver for nodes whose messages are datagrams, over one UDP
//!   socket.
//! - [`adapter`]: runs a node inside a network of nodes of another type (the
//!   learner's and the reference's in one simulation).
//! - [`nat`]: a packet-level internet with the four classic NAT types, for hole
//!   punching and relays.
//! - [`maelstrom`]: runs the same node under Jepsen's Maelstrom (stdin/stdout JSON).
//! - [`stats`]: the percentiles and the report.

pub mod adapter;
pub mod deadlines;
pub mod maelstrom;
pub mod nat;
pub mod net;
pub mod node;
pub mod runtime;
pub mod search;
pub mod seed;
pub mod sim;
pub mod stats;
pub mod trace;
pub mod udp;

pub use adapter::{Adapter, Either};
pub use node::{Context, Message, Node, NodeId, NodeRng, Requests, TimerId};
pub use runtime::Runtime;
pub use seed::seed;
pub use sim::{ClientMessage, Link, Sim, SimConfig};
pub use stats::{Report, Summary, figure};

/// The `rand` crate, for [`Context::rng`]: `use kit::rand::RngExt;`.
pub use rand;
