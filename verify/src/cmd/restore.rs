//! `cargo verify restore NAME`: bring back a version that `reset` (or an earlier
//! `restore`) backed up. What it replaces is backed up first, so a restore can be
//! undone by another restore.
//!
//! A restore never leaves the workspace unloadable. The backup is checked first
//! (plain files and folders only: a symbolic link is refused, so nothing from outside
//! the backup is read into the exercise), the new tree is built beside the handbook's
//! members (in the workspace root, where no member glob reaches), and only a complete
//! tree is swapped in, with one atomic exchange on Linux. Whatever the backup lacks at
//! its top level (`Cargo.toml`, `tests/`, the README) is kept from the current
//! exercise, so a backup of `src/` alone restores `src/` alone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use verify::style;

use crate::app::App;
use crate::cmd::reset::backup;

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
                std::fs::symlink_metadata(dir.join("src")).is_ok_and(|m| m.is_dir()),
                "{} is not a backup of an exercise (it has no src/ folder). Nothing was changed.",
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
    if let Err(problem) = plain_tree(&from) {
        anyhow::bail!("cannot restore {} from {}: {problem}. Nothing was changed.", exercise.name, from.display());
    }
    same_package(dir, &from)?;
    let saved = backup(app, exercise)?;
    let kept = swap_in(&app.ws.root, dir, &from).with_context(|| {
        format!(
            "could not restore {} from {}; the exercise is as it was (and a copy is in {})",
            app.rel(dir),
            from.display(),
            app.rel(&saved)
        )
    })?;
    println!("Saved what was in {} to {}", app.rel(dir), style::bold(&app.rel(&saved)));
    println!("Restored {} from {}", app.rel(dir), style::bold(&app.rel(&from)));
    if !kept.is_empty() {
        println!(
            "  The backup has no {}: kept the current one{}.",
            kept.join(", "),
            if kept.len() == 1 { "" } else { "s" }
        );
    }
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

/// Whether `from` holds plain files and folders only; else the first path that is
/// something else, and why that is refused.
fn plain_tree(from: &Path) -> Result<(), String> {
    let mut stack = vec![from.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
                return Err(format!(
                    "{} is a symbolic link (to {target}). A restore copies plain files and folders only, so \
                     that nothing from outside the backup comes into the exercise: replace the link with the \
                     file or folder itself, or remove it",
                    path.display()
                ));
            }
            if kind.is_dir() {
                if entry.file_name() != "target" {
                    stack.push(path);
                }
            } else if !kind.is_file() {
                return Err(format!("{} is neither a file nor a folder", path.display()));
            }
        }
    }
    Ok(())
}

/// A backup's `Cargo.toml`, if it has one, must name the same package: another one
/// would make two members of one name, and cargo would load no workspace at all.
fn same_package(dir: &Path, from: &Path) -> anyhow::Result<()> {
    let name = |manifest: &Path| -> Option<String> {
        let table = std::fs::read_to_string(manifest).ok()?.parse::<toml::Table>().ok()?;
        table.get("package")?.get("name")?.as_str().map(String::from)
    };
    let theirs = from.join("Cargo.toml");
    if !theirs.exists() {
        return Ok(());
    }
    let (ours, theirs) = (name(&dir.join("Cargo.toml")), name(&theirs));
    anyhow::ensure!(
        theirs.is_some() && theirs == ours,
        "the Cargo.toml in {} names the package {}, not {}: it is not a backup of this exercise. Nothing was changed.",
        from.display(),
        theirs.as_deref().unwrap_or("(none: it does not parse)"),
        ours.as_deref().unwrap_or("?")
    );
    Ok(())
}

/// Builds what `dir` should hold in a folder of its own under `root` (the workspace
/// root: outside every member glob, on the same file system), and swaps it in only
/// once complete. Returns the top-level entries kept from the current `dir` because
/// `from` lacks them.
fn swap_in(root: &Path, dir: &Path, from: &Path) -> std::io::Result<Vec<String>> {
    let leaf = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = root.join(format!(".verify-restoring-{leaf}-{}", std::process::id()));
    if std::fs::symlink_metadata(&staging).is_ok() {
        std::fs::remove_dir_all(&staging)?;
    }
    let built = build_beside(dir, from, &staging);
    let kept = match built {
        Ok(kept) => kept,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if let Err(e) = exchange(dir, &staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    // `staging` now holds the old tree (already backed up). Its build output, if it
    // had one, stays with the exercise.
    let old_target = staging.join("target");
    if old_target.is_dir() {
        let _ = std::fs::rename(&old_target, dir.join("target"));
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(kept)
}

fn build_beside(dir: &Path, from: &Path, staging: &Path) -> std::io::Result<Vec<String>> {
    copy_plain(from, staging)?;
    let mut kept = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name == "target" || std::fs::symlink_metadata(staging.join(&name)).is_ok() {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_plain(&entry.path(), &staging.join(&name))?;
        } else if kind.is_file() {
            copy_file(&entry.path(), &staging.join(&name))?;
        } else {
            continue;
        }
        let mut shown = name.to_string_lossy().into_owned();
        if kind.is_dir() {
            shown.push('/');
        }
        kept.push(shown);
    }
    Ok(kept)
}

/// Copies the plain files and folders of `from` to `to` (build output aside),
/// never following a symbolic link.
pub(crate) fn copy_plain(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            if entry.file_name() != "target" {
                copy_plain(&entry.path(), &target)?;
            }
        } else if kind.is_file() {
            copy_file(&entry.path(), &target)?;
        } else {
            return Err(std::io::Error::other(format!("{} is not a plain file", entry.path().display())));
        }
    }
    Ok(())
}

/// Copies one plain file, refusing to open it through a symbolic link (one that
/// replaced the file after [`plain_tree`] looked) and keeping its permissions.
fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut source = options.open(from)?;
    let metadata = source.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other(format!("{} is not a plain file", from.display())));
    }
    let mut target = std::fs::File::create_new(to)?;
    std::io::copy(&mut source, &mut target)?;
    target.set_permissions(metadata.permissions())
}

/// Puts `new` at `dir` and what was at `dir` at `new`: one atomic exchange where the
/// system has one (Linux `renameat2(RENAME_EXCHANGE)`), else two renames back to back.
fn exchange(dir: &Path, new: &Path) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
    {
        use std::os::unix::ffi::OsStrExt;
        let a = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
        let b = std::ffi::CString::new(new.as_os_str().as_bytes())?;
        // SAFETY: both are NUL-terminated paths that live across the call.
        let done =
            unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
        if done == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        // Only a file system without the exchange falls back to two renames.
        if !matches!(error.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)) {
            return Err(error);
        }
    }
    let aside = new.with_extension("old");
    std::fs::rename(dir, &aside)?;
    if let Err(e) = std::fs::rename(new, dir) {
        let _ = std::fs::rename(&aside, dir);
        return Err(e);
    }
    std::fs::rename(&aside, new)
}
