//! The room chat, on your node (`src/line.rs` and `src/node.rs`).
//!
//!     cargo run -p chat -- NICK [--lan] [--rendezvous HOST:PORT] [--peer HOST:PORT]... [--plain]
//!
//! `--help` says the rest. Everything around the node (the stack under the room,
//! finding the room, the terminal) is the reference's program, included from
//! `solutions/16-chat/src/app/`: one copy for both. `cargo verify chat NICK` runs it with
//! every part whose exercise you finished taken from your own crate.

/// The chat crate whose node this program runs.
use chat as chat_lib;

/// Whether the chat node is the learner's.
const LEARNERS_CHAT: bool = true;

#[path = "../../../solutions/16-chat/src/app/mod.rs"]
mod app;

#[tokio::main]
async fn main() {
    if let Err(e) = app::main().await {
        eprintln!("chat: {e:#}");
        std::process::exit(1);
    }
}
