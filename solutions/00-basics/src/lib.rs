//! The networking every later chapter assumes, with tokio: an echo server and client,
//! a chat server that relays each line to everyone else, and structured JSON messages
//! with nicknames. The chapter is `book/basics.md`.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check basics` passes; the steps are the checks'.
//!
//! - [`lines`]: read one line with a length limit; every server uses it (step 1).
//! - [`echo`]: an echo server and its client (steps 1–2).
//! - [`chat`]: relay each line to every other client, and survive bad clients (steps 3–4).
//! - [`json`]: the same relay with JSON messages, refusing what does not parse, and a
//!   client for it (steps 5–7).

pub mod chat;
pub mod echo;
pub mod json;
pub mod lines;

pub use json::{ChatClient, ChatMessage};

/// The longest line a server accepts: 64 KiB. A longer one closes that connection.
pub const MAX_LINE: usize = 64 * 1024;
