//! `cargo verify restore NAME`: bring back a version that `reset` (or an earlier
//! `restore`) backed up. What it replaces is backed up first, so a restore can be
//! undone by another restore.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use verify::style;

use crate::app::App;
use crate::cmd::reset::{backup, copy_tree};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise to restore, e.g. `identity` or `01-identity`.
    name: String,
    /// The backup to restore (a folder under .verify/backups/); default: the latest.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// List the backups of this exercise instead of restoring one.
    #[arg(long)]
    list: bool,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let exercise = app.ws.find(&args.name)?;
    let base = app.ws.state_dir.join("backups");
    let mut backups = backups_of(&base, &exercise.dir_name);
    if args.list {
        if backups.is_empty() {
            println!("No backups of {} yet (`cargo verify reset {}` makes one).", exercise.name, exercise.name);
        }
        for b in &backups {
            println!("{}", app.rel(b));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let from = match args.from {
        Some(dir) => {
            let dir = if dir.is_absolute() { dir } else { std::env::current_dir()?.join(dir) };
            anyhow::ensure!(
                dir.join("src").is_dir(),
                "{} is not a backup of an exercise (it has no src/ folder)",
                dir.display()
            );
            dir
        }
        None => backups.pop().with_context(|| {
            format!(
                "there is no backup of {} to restore: `cargo verify reset {}` makes one",
                exercise.name, exercise.name
            )
        })?,
    };
    let dir = exercise.crate_dir(app.mode);
    let saved = backup(app, exercise)?;
    replace_tree(dir, &from).with_context(|| {
        format!(
            "could not restore {} from {} (what was there is safe in {})",
            app.rel(dir),
            from.display(),
            app.rel(&saved)
        )
    })?;
    println!("Saved what was in {} to {}", app.rel(dir), style::bold(&app.rel(&saved)));
    println!("Restored {} from {}", app.rel(dir), style::bold(&app.rel(&from)));
    println!("  Check it: cargo verify check {}", exercise.name);
    Ok(ExitCode::SUCCESS)
}

/// The backups of one exercise, oldest first (their names sort by time).
fn backups_of(base: &Path, dir_name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(base) else { return Vec::new() };
    let prefix = format!("{dir_name}-");
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix(&prefix)?.to_string();
            // `2026-12-01-101500` or `2026-12-01-101500-2`: sort by time, then counter.
            let (time, n) = match stamp.get(17..) {
                Some(rest) => (stamp[..17].to_string(), rest.trim_start_matches('-').parse::<u32>().unwrap_or(0)),
                None => (stamp.clone(), 0),
            };
            Some((format!("{time}-{n:06}"), e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// Makes `dir` hold exactly what `from` holds (its build output aside).
fn replace_tree(dir: &Path, from: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    copy_tree(from, dir)
}
