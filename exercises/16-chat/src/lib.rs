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
//! - The program for the room is another crate, `chat-app` (`chat-app/`): a node of this
//!   crate on Noise, yamux and the swarm's mesh, found by mDNS or rendezvous, with a
//!   terminal interface. `cargo verify chat NICK` runs it on your node once the checks
//!   pass.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check chat` passes; then run
//! `cargo verify chat YOURNAME` in two terminals (and with `-- --lan` in the room).
//!
//! # Steps
//!
//! `cargo verify check chat` runs these sixteen steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The order every node shows: Lamport clock, then author, then sequence number;
//!    unreadable payloads left out — `src/line.rs`
//! 2. One node: Say is acknowledged and shows in History with the node's nick; a line
//!    too long is refused — `src/node.rs`
//! 3. Ten of your nodes, 5% loss: 40 lines reach every node, fast, and every node shows
//!    the same order — `src/node.rs`
//! 4. A partition splits the room; both halves keep talking; after it heals, every node
//!    has every line, and a reply after the heal sorts after what it answers —
//!    `src/node.rs`
//! 5. A room where every third node is the reference's: the same history everywhere —
//!    `src/node.rs`
//! 6. A forger pushes tampered and malformed entries to everyone: none is ever shown,
//!    the room goes on — `src/node.rs`
//! 7. Three of your nodes over real TCP on loopback (the kit's tokio driver): lines
//!    said at each reach all three — `src/node.rs`
//! 8. A signed line with clock u64::MAX (or far ahead of the room) is never shown and
//!    crashes nothing: the room goes on, in order — `src/node.rs`
//! 9. Every interleaving of a room of two, a line said at each, any one message lost:
//!    both show the same history — `src/node.rs`
//! 10. A restarted node with its history on disk writes after its last line at once;
//!     one that lost it writes nothing until a peer has said how far its log goes and
//!     it has caught up — `src/node.rs`
//! 11. A room of eight: one node crashes and restarts with nothing, its user typing at
//!     once; it does not fork its log, nobody goes deaf, and it writes again once
//!     caught up — `src/node.rs`
//! 12. A fork is its author's fault: a peer passing on a forked entry in a batch is not
//!     banned, the batch's other entries are taken, the author is banned with the two
//!     entries as proof, and the ban ends — `src/node.rs`
//! 13. An author forks its log, half the room holding each history; every honest line
//!     still reaches every node (nobody bans the peers that pass the fork on) —
//!     `src/node.rs`
//! 14. Twenty peers on a bounded-degree mesh, cut in two for 10 s while both halves
//!     talk, every peer at full degree in its half: within 10 s of the cut ending the
//!     room is one again, every line everywhere — `src/node.rs`
//! 15. Sixteen peers through 10 s of 15% loss, then 20 s of loss in bursts (each link
//!     down now and then for about a second, 15% of the time in all): every line still
//!     reaches every peer — `src/node.rs`
//! 16. One neighbour sends 1,000 fresh authors' logs: the node takes at most
//!     MAX_NEW_AUTHORS new authors from one peer per NEW_AUTHORS_EVERY and MAX_AUTHORS
//!     in all, blames nobody for the rest, and still takes every line of the authors it
//!     holds — `src/node.rs`

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod line;
pub mod node;

pub use line::{Line, Shown, history};
pub use node::{Ban, ChatNode, Msg, Timer};

/// The reference solutions this chapter builds on.
pub use anti_entropy_solution as anti_entropy;
pub use append_log_solution as log;
