//! `cargo verify pack DIR`: an offline room kit, for a workshop room without internet.
//!
//! The kit is a folder to copy onto every laptop (a USB stick, or a file share on the
//! room's network). Inside it:
//!
//! - `vendor/`: the source of every crate `Cargo.lock` names (`cargo vendor --locked`);
//! - `.cargo/config.toml`: tells cargo to take crates from `vendor/` and never from the
//!   network. Cargo reads the config files of every folder above the one it runs in,
//!   so it applies to the handbook clone made *inside* the kit folder, and nothing else
//!   on the laptop;
//! - `p2p-handbook.bundle`: the handbook's git history up to this commit, to clone
//!   from without GitHub;
//! - `book/`: the built book (and its PDF), when `mdbook build` has run;
//! - `README.md`: the steps, for the instructor and the learners.
//!
//! A runner test (`verify/tests/pack.rs`, which CI runs) proves that a fresh clone inside the kit,
//! with the network off and an empty cargo home, gets through `cargo verify setup` and
//! a check.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};
use verify_meta::{Workspace, style};

#[derive(clap::Args, Debug)]
#[command(after_help = "Then copy DIR onto each laptop and follow DIR/README.md. Run it while online, after
`cargo verify setup`; it needs about as much disk as the downloaded crates.")]
pub struct Args {
    /// The folder to write the kit into (created; must be empty or missing).
    dir: PathBuf,
}

/// The cargo config the kit carries. `directory` is relative to the folder that holds
/// `.cargo/`, so the kit works wherever it is copied.
const CARGO_CONFIG: &str = r#"# Written by `cargo verify pack`: the crates come from vendor/ next to this .cargo
# folder, never from the network. Cargo reads this file for every project inside the
# kit's folder (and for nothing else on this laptop).
[source.crates-io]
replace-with = "room-kit"

[source.room-kit]
directory = "vendor"

[net]
offline = true
"#;

pub fn run(ws: &Workspace, args: Args) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    if dir.exists()
        && std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.next().is_some()
    {
        bail!("{} is not empty; give a new folder for the kit", dir.display());
    }
    std::fs::create_dir_all(dir.join(".cargo")).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    if ws.root.starts_with(&dir) {
        bail!("the kit must not contain this handbook: its cargo config would turn this clone offline too");
    }

    println!("{}", style::bold("1/3 Copying the source of every crate in Cargo.lock (cargo vendor)"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(&ws.root)
        .args(["vendor", "--locked", "--versioned-dirs", "--quiet"])
        .arg(dir.join("vendor"))
        .stdout(std::process::Stdio::null())
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("cargo vendor failed (see above); it needs the network, or `cargo verify setup` run before");
    }
    std::fs::write(dir.join(".cargo/config.toml"), CARGO_CONFIG)?;

    println!("{}", style::bold("2/3 Bundling the handbook's git history (git bundle)"));
    let git = |args: &[&str]| Command::new("git").current_dir(&ws.root).args(args).output();
    let head = git(&["rev-parse", "--short", "HEAD"]).context("could not run git")?;
    if !head.status.success() {
        bail!("the handbook is not a git clone; the kit needs its history to clone from");
    }
    let bundle = dir.join("p2p-handbook.bundle");
    let made = Command::new("git")
        .current_dir(&ws.root)
        .args(["bundle", "create", "--quiet"])
        .arg(&bundle)
        .arg("HEAD")
        .status()
        .context("could not run git bundle")?;
    if !made.success() {
        bail!("git bundle failed");
    }
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|o| !o.stdout.is_empty()).unwrap_or(false);

    println!("{}", style::bold("3/3 The book and the instructions"));
    let book = ws.root.join("book-html");
    let with_book = book.join("index.html").exists();
    if with_book {
        copy_dir(&book, &dir.join("book"))?;
    }
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    std::fs::write(dir.join("README.md"), readme(&commit, with_book))?;

    let crates = std::fs::read_dir(dir.join("vendor")).map(|d| d.count()).unwrap_or(0);
    println!();
    println!(
        "{} {} ({} crates, {:.0} MB, handbook at commit {commit}).",
        style::green("✓ The room kit is in"),
        dir.display(),
        crates,
        size(&dir) as f64 / 1e6
    );
    if dirty {
        println!(
            "{} the handbook has uncommitted changes; the kit holds the last commit only.",
            style::yellow("note:")
        );
    }
    println!("  Copy the folder onto each laptop and follow its README.md.");
    Ok(ExitCode::SUCCESS)
}

fn readme(commit: &str, with_book: bool) -> String {
    let book = if with_book {
        "- `book/`: the book, to read offline: open `book/index.html` in a browser\n  (`book/p2p-handbook.pdf` is the same book to print, when CI or `.ci/book-check.py` made it).\n"
    } else {
        ""
    };
    format!(
        r#"# The P2P Handbook: offline room kit

Made by `cargo verify pack` from commit {commit}. With it, a laptop that has Rust
(1.88 or newer) but no internet gets everything the workshop needs.

## What is here

- `vendor/`: the source of every crate the handbook uses.
- `.cargo/config.toml`: makes cargo take crates from `vendor/` and never go online,
  for every project inside this folder (and nothing else on the laptop).
- `p2p-handbook.bundle`: the handbook's git history, to clone without GitHub.
{book}
## On each laptop

1. Copy this whole folder (it must keep its `.cargo/` folder, which is hidden in most
   file browsers) anywhere, e.g. your home folder, and open a terminal inside it.
2. Clone the handbook *inside* the folder, so that the config applies to it:

       git clone p2p-handbook.bundle p2p-handbook
       cd p2p-handbook

   Already have a clone? Move it inside this folder instead (`mv ~/p2p-handbook .`).
3. Prepare it, once (it builds every exercise's dependencies from `vendor/`):

       cargo verify setup

   Then start as usual: `cargo verify`.

Rust itself is not in the kit: install it with rustup before the workshop (an
offline installer for each platform is at <https://forge.rust-lang.org/infra/other-installation-methods.html>).

## Leaving offline mode

Move the clone out of this folder (or delete `.cargo/config.toml` here) and cargo
uses the network again as usual.
"#
    )
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn size(dir: &Path) -> u64 {
    let files = walkdir::WalkDir::new(dir).into_iter().flatten().filter(|e| !e.file_type().is_dir());
    files.map(|e| e.metadata().map_or(0, |m| m.len())).sum()
}
