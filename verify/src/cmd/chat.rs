//! `cargo verify chat NICK [-- CHAT OPTIONS]`: the room chat, built from your own parts.
//!
//! For every exercise the chat can take from you (see `solutions/16-chat/src/app/parts.rs`),
//! the progress cache says whether it is done: every step passed, with the sources
//! unchanged since. Done parts are built from your crate (the chat's `mine-NAME`
//! features); the rest from the reference. The chat node itself is yours (`-p chat`)
//! once the capstone is done. Nothing is re-checked here: a part changed since its last
//! check counts as the reference's until `cargo verify check NAME` passes again.

use std::process::{Command, ExitCode};

use verify::{Mode, style};

use crate::app::{App, State};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The name you go by in the room.
    nick: String,
    /// Show the parts and the cargo command, without running it.
    #[arg(long)]
    dry_run: bool,
    /// Options for the chat itself, after `--`: `--lan`, `--rendezvous HOST:PORT`,
    /// `--peer HOST:PORT`, `--plain` (see `cargo run -p chat-solution -- --help`).
    #[arg(last = true)]
    chat: Vec<String>,
}

/// The exercises the chat can take from the learner, with the chat's feature for each.
pub const PARTS: [(&str, &str); 7] = [
    ("identity", "mine-identity"),
    ("mdns", "mine-mdns"),
    ("rendezvous", "mine-rendezvous"),
    ("swarm", "mine-swarm"),
    ("streams", "mine-streams"),
    ("handshake", "mine-handshake"),
    ("secure-gossip", "mine-secure-gossip"),
];

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let cache = app.cache();
    let mut features = Vec::new();
    let mut shown = Vec::new();
    let mut stale = Vec::new();
    let mut mine = |name: &str| -> anyhow::Result<bool> {
        if app.mode == Mode::Solutions {
            return Ok(false);
        }
        let status = app.status(app.ws.find(name)?, &cache, false)?;
        if status.state == State::NotChecked {
            stale.push(name.to_string());
        }
        Ok(status.state == State::Done)
    };
    for (name, feature) in PARTS {
        let yours = mine(name)?;
        if yours {
            features.push(feature);
        }
        shown.push((name, yours));
    }
    let chat_is_yours = mine("chat")?;
    shown.push(("chat", chat_is_yours));
    let package = if chat_is_yours { "chat" } else { "chat-solution" };
    let line: Vec<String> = shown
        .iter()
        .map(|(name, yours)| {
            format!("{name}: {}", if *yours { style::green("yours") } else { "reference".to_string() })
        })
        .collect();
    println!("{}", line.join(" · "));
    if !stale.is_empty() {
        println!(
            "{}",
            style::dim(&format!(
                "changed since their last check (so the reference's for now): {}; `cargo verify check NAME` to count them",
                stale.join(", ")
            ))
        );
    }
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(&app.ws.root).args(["run", "--quiet", "--package", package]);
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
    }
    cargo.arg("--").arg(&args.nick).args(&args.chat);
    if args.dry_run {
        let words: Vec<String> = std::iter::once(cargo.get_program())
            .chain(cargo.get_args())
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        println!("{}", words.join(" "));
        return Ok(ExitCode::SUCCESS);
    }
    let status = cargo.status().map_err(|e| anyhow::anyhow!("cannot run cargo: {e}"))?;
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
