//! Gossip among peers that do not trust each other: every message is signed by its
//! author, and every forwarder checks it before passing it on.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!()` to
//! write until `cargo verify check secure-gossip` passes; the steps are the checks'.
//! The modules follow the chapter (`book/pubsub/secure-gossip.md`):
//!
//! - [`envelope`]: a signed message and its exact bytes (step 1), checked for size and
//!   signature (step 2).
//! - [`guard`]: what a node remembers to refuse replays (steps 3–4), and its rate
//!   limit per author in bounded memory (step 5).
//! - [`node`]: flooding gossip that admits only what passes (step 6), against a hostile
//!   peer (step 7) and a flood of fresh keys (step 8).
//!
//! Keys come from the identity chapter (the reference `identity_solution` crate, used
//! as a library).
//!
//! # Steps
//!
//! `cargo verify check secure-gossip` runs these eight steps, in this order; each names
//! the files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The envelope's signed bytes follow the documented layout, and equal the
//!    reference's — `src/envelope.rs`
//! 2. Verification refuses oversized payloads first, then anything not signed by its
//!    author — `src/envelope.rs`
//! 3. The guard admits each message once, in any order within the window, and refuses
//!    older ones — `src/guard.rs`
//! 4. Random arrival orders: your guard gives the reference's verdicts — `src/guard.rs`
//! 5. The guard limits each author's rate, and its memory is bounded: at most
//!    MAX_AUTHORS authors — `src/guard.rs`
//! 6. Honest nodes: every published message is delivered on every node, exactly once —
//!    `src/node.rs`
//! 7. Forgeries, replays and oversized messages from a hostile peer are refused, and
//!    honest messages still arrive once — `src/node.rs`
//! 8. Under a flood of valid messages from fresh keys, honest messages still arrive and
//!    memory stays bounded — `src/node.rs`

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod envelope;
pub mod guard;
pub mod node;

pub use envelope::{Envelope, MAX_PAYLOAD, Reject};
pub use guard::{AUTHOR_BURST, AUTHOR_RATE, Guard, MAX_AUTHORS, WINDOW};
pub use node::{MAX_BATCH, Msg, SecureNode, Timer};

/// The identity types this exercise signs with.
pub use identity_solution as identity;
