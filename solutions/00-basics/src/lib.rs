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
//!
//! # Steps
//!
//! `cargo verify check basics` runs these seven steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. Echo: every line comes back, to each of several clients, even when sent in pieces
//!    — `src/lines.rs`, `src/echo.rs`
//! 2. Your echo client works with the reference server, and the reference client with
//!    yours — `src/echo.rs`
//! 3. Chat: a line goes to every other client, never back to its sender — `src/chat.rs`
//! 4. Chat: a client that leaves mid-line, or sends a 100 KiB line, costs the others
//!    nothing — `src/chat.rs`
//! 5. JSON chat: messages with nicknames are relayed as JSON to everyone else —
//!    `src/json.rs`
//! 6. JSON chat: invalid JSON gets an error to its sender only, and the server keeps
//!    serving — `src/json.rs`
//! 7. Your chat client and server interoperate with the reference ones — `src/json.rs`

pub mod chat;
pub mod echo;
pub mod json;
pub mod lines;

pub use json::{ChatClient, ChatMessage};

/// The longest line a server accepts: 64 KiB. A longer one closes that connection.
pub const MAX_LINE: usize = 64 * 1024;
