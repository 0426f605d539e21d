//! The room chat, on the reference node.
//!
//!     cargo run -p chat-solution -- NICK [--lan] [--rendezvous HOST:PORT] [--peer HOST:PORT]... [--plain]
//!
//! `--help` says the rest. The program is `app/` (the stack, discovery, the terminal),
//! shared with the exercise's `chat` program, which runs the learner's node instead.

/// The chat crate whose node this program runs.
use chat_solution as chat_lib;

/// Whether the chat node is the learner's.
const LEARNERS_CHAT: bool = false;

mod app;

#[tokio::main]
async fn main() {
    if let Err(e) = app::main().await {
        eprintln!("chat: {e:#}");
        std::process::exit(1);
    }
}
