//! A swarm manager as a sans-IO node: which peers to stay connected to.
//!
//! In the exercise crate, `src/node.rs` has a `todo!` stub in each function marked
//! `// TODO (step N)`; the steps are the checks' (`cargo verify check swarm`). The
//! messages, the timer, the constants and the node's fields are given; the rules are
//! yours: two nodes connect (step 1), a simultaneous dial makes one connection
//! (step 2), a small swarm is a full mesh (step 3), a large one keeps bounded degrees
//! (step 4), and the overlay repairs itself under churn (step 5).
//!
//! Connections here are logical: a `Connect` answered by an `Accept` makes two nodes
//! neighbours, `Close` ends it, and pings show a neighbour is still alive. The rules
//! (the chapter is `book/topology.md`):
//!
//! - **one connection per pair**: when two nodes dial each other at the same time, the
//!   dial of the node with the smaller id wins, and both sides know it without talking;
//! - **bounded degree**: dial until [`MIN_DEGREE`] neighbours, accept up to
//!   [`MAX_DEGREE`], refuse beyond;
//! - **repair**: a neighbour silent for [`DEAD_AFTER`] is dropped, and a random known
//!   peer is dialled to replace it (an unstructured overlay);
//! - **small swarms are fully connected**: with at most [`FULL_MESH_UP_TO`] nodes, every
//!   node connects to every other.
//!
//! # Steps
//!
//! `cargo verify check swarm` runs these six steps, in this order; each names the files
//! it asks you to change (or, for a step that adds no code, the ones it exercises):
//!
//! 1. Two nodes become each other's only neighbour — `src/node.rs`
//! 2. When both dial at once, exactly one connection is made, and both agree on it —
//!    `src/node.rs`
//! 3. A small swarm (up to 8 nodes) is fully connected — `src/node.rs`
//! 4. Fifty nodes: degrees stay within bounds and the overlay is connected —
//!    `src/node.rs`
//! 5. Under churn (nodes crashing and coming back), the overlay repairs itself —
//!    `src/node.rs`
//! 6. Thirty nodes cut in two by the network until every link across the cut is dropped
//!    and every node is at its target degree in its half: within 5 s of the cut ending
//!    the overlay is one again (dial the neighbours lost to silence now and then) —
//!    `src/node.rs`

pub mod node;

pub use node::{
    DEAD_AFTER, DIAL_TIMEOUT, FORGET_LOST, FULL_MESH_UP_TO, MAX_DEGREE, MIN_DEGREE, Msg, PING_AFTER, REJOIN, SwarmNode,
    TICK, Timer,
};
