//! Gossip among peers that do not trust each other: every message is signed by its
//! author, and every forwarder checks it before passing it on.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check secure-gossip` passes; the steps are the checks'.
//! The modules follow the chapter (`book/content-routing/secure-gossip.md`):
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

pub mod envelope;
pub mod guard;
pub mod node;

pub use envelope::{Envelope, MAX_PAYLOAD, Reject};
pub use guard::{AUTHOR_BURST, AUTHOR_RATE, Guard, MAX_AUTHORS, WINDOW};
pub use node::{MAX_BATCH, Msg, SecureNode, Timer};

/// The identity types this exercise signs with.
pub use identity_solution as identity;
