//! Gossip among peers that do not trust each other: every message is signed by its
//! author, and every forwarder checks it before passing it on.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check secure-gossip` passes.
//!
//! The modules follow the chapter (`book/content-routing/secure-gossip.md`):
//!
//! 1. [`envelope`]: a signed message and its exact bytes, checked for size and
//!    signature.
//! 2. [`guard`]: what a node remembers to refuse replays, in bounded memory.
//! 3. [`node`]: flooding gossip that admits only what passes, with a rate limit per
//!    neighbour.
//!
//! Keys come from the identity chapter (the reference `identity_solution` crate, used
//! as a library).

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
