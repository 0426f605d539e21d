//! `cargo verify chat NICK [-- CHAT OPTIONS]`: the room chat, built from your own parts.
//!
//! The program is the `chat-app` crate. Its `[features]` table is the list of parts it
//! can take from you: `mine-NAME` for the exercise NAME, the log, anti-entropy and the
//! chat node included. For each, the progress cache says whether it is done: every step
//! passed, with the sources unchanged since. Done parts are built from your crate (their
//! features on); the rest from the reference. Nothing is re-checked here: a part changed
//! since its last check counts as the reference's until `cargo verify check NAME` passes
//! again.

use std::path::Path;
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
    /// `--peer HOST:PORT`, `--plain` (see `cargo run -p chat-app -- --help`).
    #[arg(last = true)]
    chat: Vec<String>,
}

/// The program's package, and its manifest under the handbook's root.
pub const PROGRAM: &str = "chat-app";
const MANIFEST: &str = "chat-app/Cargo.toml";

/// The parts the program can take from the learner, `(exercise name, feature)`: the
/// `mine-*` features of its manifest.
pub fn parts(root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = root.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let manifest: toml::Table = text.parse().map_err(|e| anyhow::anyhow!("{} is not TOML: {e}", path.display()))?;
    let features = manifest.get("features").and_then(|f| f.as_table());
    let features = features.ok_or_else(|| anyhow::anyhow!("{} has no [features] table", path.display()))?;
    Ok(features
        .keys()
        .filter_map(|feature| Some((feature.strip_prefix("mine-")?.to_string(), feature.clone())))
        .collect())
}

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
    let mut parts = parts(&app.ws.root)?;
    // In the book's order (the chat node last), whatever order the table has.
    let order = |name: &str| app.ws.find(name).map(|e| e.dir_name.clone()).ok();
    parts.sort_by_key(|(name, _)| order(name));
    for (name, feature) in &parts {
        let yours = mine(name)?;
        if yours {
            features.push(feature.as_str());
        }
        shown.push((name.as_str(), yours));
    }
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
    cargo.current_dir(&app.ws.root).args(["run", "--quiet", "--package", PROGRAM]);
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
