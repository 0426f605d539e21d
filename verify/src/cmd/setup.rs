//! `cargo verify setup`: download and build everything the workshop needs, once, so
//! that the rest of the day works offline.
//!
//! Workshop wifi is at its worst when forty laptops fetch crates at the same minute.
//! So the first `cargo verify` on a clone does this by itself (and `setup` does it
//! on purpose): fetch every crate `Cargo.lock` names, then build the reference
//! solutions and their checks, which compiles every dependency any exercise's checks
//! use. After that, an exercise's first check compiles only the exercise itself, and
//! nothing needs the network. Cargo's own progress is shown throughout: a learner
//! sees what is happening, never a silent minute.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use verify::{Mode, progress, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Prepare again even if this clone was prepared already.
    #[arg(long)]
    force: bool,
}

/// What the runner remembers of a finished setup: which lockfile it prepared.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Prepared {
    lockfile: String,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    if !args.force && !needed(app) {
        println!(
            "{} this clone is prepared: every crate is downloaded and built, and the exercises work offline.",
            style::green("✓")
        );
        println!("  (`cargo verify setup --force` prepares it again.)");
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if prepare(app)? { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Whether this clone still needs preparing: never prepared, or its `Cargo.lock`
/// changed since (a `git pull` that brought new crates). Cheap: one small file hashed.
pub fn needed(app: &App) -> bool {
    let Some(lockfile) = lock_hash(&app.ws.root) else { return false };
    let marker = marker(app);
    let prepared: Option<Prepared> = std::fs::read(&marker).ok().and_then(|b| serde_json::from_slice(&b).ok());
    prepared.is_none_or(|p| p.lockfile != lockfile)
}

/// Fetches and builds everything; returns whether it all worked. Failures are
/// explained here (the network, or a build), so the caller only reports the outcome.
pub fn prepare(app: &App) -> anyhow::Result<bool> {
    let started = Instant::now();
    println!("{}", style::bold("Preparing the workshop (once): downloading and building what every exercise needs."));
    println!("{}", style::dim("This takes a few minutes the first time; afterwards everything works offline."));
    println!();
    println!("{}", style::bold("1/2 Downloading every crate in Cargo.lock"));
    if !cargo(app, &["fetch", "--locked"])? {
        println!();
        println!("{}", style::red("✗ Some crates could not be downloaded."));
        println!("  The network is needed once, for this step. When you are online again, run");
        println!("      cargo verify setup");
        println!("  (On a workshop room without internet, ask the instructor for the room kit.)");
        return Ok(false);
    }
    println!();
    println!("{}", style::bold("2/2 Building the reference solutions and their checks (every dependency, once)"));
    let mut build = vec!["test".to_string(), "--no-run".into(), "--locked".into()];
    for exercise in &app.ws.exercises {
        build.push("--package".into());
        build.push(exercise.package(Mode::Solutions));
    }
    let build: Vec<&str> = build.iter().map(String::as_str).collect();
    if !cargo(app, &build)? {
        println!();
        println!("{}", style::red("✗ The build failed (see cargo's message above)."));
        println!("  The downloads are done, so this is not the network. If it says a crate is missing");
        println!("  in offline mode, run `cargo verify setup` once online; otherwise please tell the instructor.");
        return Ok(false);
    }
    let lockfile = lock_hash(&app.ws.root).unwrap_or_default();
    progress::save_json(&marker(app), &Prepared { lockfile }).context("could not record that setup finished")?;
    println!();
    println!(
        "{} prepared in {:.0} s. From now on the exercises build and check offline.",
        style::green("✓ Ready:"),
        started.elapsed().as_secs_f64()
    );
    println!();
    Ok(true)
}

/// Runs cargo in the handbook's root with its output on the learner's terminal.
fn cargo(app: &App, args: &[&str]) -> anyhow::Result<bool> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&app.ws.root)
        .args(args)
        .status()
        .context("could not start cargo; is Rust installed (rustup.rs)?")?;
    Ok(status.success())
}

fn marker(app: &App) -> std::path::PathBuf {
    app.ws.state_dir.join("setup.json")
}

fn lock_hash(root: &Path) -> Option<String> {
    let bytes = std::fs::read(root.join("Cargo.lock")).ok()?;
    Some(hex::encode(Sha256::digest(&bytes)))
}
