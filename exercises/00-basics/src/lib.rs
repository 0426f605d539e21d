//! The networking every later chapter assumes, with tokio: an echo server and client,
//! a chat server that relays each line to everyone else, and structured JSON messages
//! with nicknames. The chapter is `book/basics.md`.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check basics` passes.
//!
//! 1. [`echo`]: accept connections, one task each, and send back every line.
//! 2. [`chat`]: relay each line to every other client through a broadcast channel.
//! 3. [`json`]: the same relay with JSON messages, refusing what does not parse.

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod chat;
pub mod echo;
pub mod json;
pub mod lines;

pub use json::{ChatClient, ChatMessage};

/// The longest line a server accepts: 64 KiB. A longer one closes that connection.
pub const MAX_LINE: usize = 64 * 1024;
