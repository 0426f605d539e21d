//! The mistake catalogue: the typical mistakes a learner makes in each exercise, each
//! one a small patch to the reference solution, and the proof that the exercise's
//! checks catch it with a message that names what is wrong.
//!
//! A catalogue is `verify/mistakes/NN-name.toml`:
//!
//! ```toml
//! [[mistake]]
//! name = "empty-payload-not-hashed"
//! what = "message 1's empty payload is sent without MixHash"
//! step = 4                       # the first step that must fail (optional)
//! expect = "MixHash of the empty payload"   # a part of that step's message
//! [[mistake.edit]]
//! file = "src/noise.rs"          # in the solution crate
//! find = "out.extend(self.symmetric.encrypt_and_hash(&[])?);"
//! replace = ""
//! ```
//!
//! To try a mistake, the runner copies the handbook into a scratch workspace
//! (`target/mistakes/ws/`, sharing the handbook's target folder, so dependencies are
//! built once), puts the reference solution's `src/` in the place of the learner's
//! exercise there, applies the edits (each `find` must occur exactly once), and runs
//! the exercise's checks exactly as `cargo verify check` does: the patched copy is the
//! learner's crate, the untouched reference its comparison. The mistake is caught when
//! some step fails, the first failing step is `step` (if given), and its message
//! contains `expect`. The learner's own `exercises/` are never touched.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::checks::{self, Options, Report, StepOutcome};
use crate::exercise::Exercise;
use crate::workspace::{Mode, Workspace};

/// The mistakes of one exercise.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "mistake", default)]
    pub mistakes: Vec<Mistake>,
}

/// One typical mistake.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mistake {
    /// A short name, unique in its catalogue (`cargo verify mistakes NAME MISTAKE`).
    pub name: String,
    /// What the learner did, in their words.
    pub what: String,
    /// The step that must be the first to fail, if it matters.
    #[serde(default)]
    pub step: Option<u32>,
    /// A part of the first failing step's message: the words that name the mistake.
    pub expect: String,
    /// The edits to the reference solution that make the mistake.
    #[serde(rename = "edit")]
    pub edits: Vec<Edit>,
}

/// One textual edit of a solution file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The file, relative to the crate (`src/noise.rs`).
    pub file: String,
    /// Text that occurs exactly once in that file.
    pub find: String,
    /// What replaces it.
    pub replace: String,
}

/// Words that name no rule: a message that only says one of these teaches nothing, so
/// no expectation may be one of them.
pub const USELESS: [&str; 8] =
    ["Decrypt", "Elapsed", "left == right", "assertion failed", "unwrap", "panicked", "in time", "Err("];

#[derive(Debug, thiserror::Error)]
pub enum MistakesError {
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the mistake catalogue {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Where the catalogue of the exercise in folder `dir_name` lives.
pub fn path(root: &Path, dir_name: &str) -> PathBuf {
    root.join("verify").join("mistakes").join(format!("{dir_name}.toml"))
}

/// Reads an exercise's catalogue; `None` when it has none.
pub fn load(root: &Path, dir_name: &str) -> Result<Option<Catalogue>, MistakesError> {
    let path = path(root, dir_name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(MistakesError::Io { path, source }),
    };
    toml::from_str(&text).map(Some).map_err(|e| MistakesError::Invalid { path, message: e.to_string() })
}

/// Applies `edit` to `text`: its `find` must occur exactly once.
pub fn apply(text: &str, edit: &Edit) -> Result<String, String> {
    match text.matches(edit.find.as_str()).count() {
        1 => Ok(text.replacen(edit.find.as_str(), &edit.replace, 1)),
        0 => Err(format!("{}: the text to find is not there: {:?}", edit.file, edit.find)),
        n => Err(format!("{}: the text to find occurs {n} times, not once: {:?}", edit.file, edit.find)),
    }
}

/// What is wrong with a catalogue without running anything: edits that do not apply
/// to the solution, expectations that name no rule, steps that do not exist, names
/// used twice. Empty when it is sound.
pub fn lint(exercise: &Exercise, catalogue: &Catalogue) -> Vec<String> {
    let mut problems = Vec::new();
    let steps = crate::steps::scan(&exercise.checks_dir()).map(|s| s.len()).unwrap_or(0);
    let mut names = std::collections::BTreeSet::new();
    for m in &catalogue.mistakes {
        let at = format!("{} mistake `{}`", exercise.dir_name, m.name);
        if !names.insert(m.name.as_str()) {
            problems.push(format!("{at}: the name is used twice"));
        }
        if m.edits.is_empty() {
            problems.push(format!("{at}: no edit"));
        }
        if m.expect.trim().chars().count() < 12 {
            problems.push(format!("{at}: the expectation {:?} is too short to name a rule", m.expect));
        }
        if USELESS.iter().any(|u| m.expect.trim() == *u || m.expect.trim_matches(|c: char| !c.is_alphanumeric()) == *u)
        {
            problems.push(format!("{at}: the expectation {:?} names no rule", m.expect));
        }
        if let Some(step) = m.step
            && (step == 0 || step as usize > steps)
        {
            problems.push(format!("{at}: there is no step {step} (the exercise has {steps})"));
        }
        if let Err(e) = patched(exercise, m) {
            problems.push(format!("{at}: {e}"));
        }
    }
    problems
}

/// The solution's files that `mistake` edits, edited: (path relative to the crate, text).
pub fn patched(exercise: &Exercise, mistake: &Mistake) -> Result<Vec<(String, String)>, String> {
    let mut files: Vec<(String, String)> = Vec::new();
    for edit in &mistake.edits {
        let index = match files.iter().position(|(f, _)| *f == edit.file) {
            Some(i) => i,
            None => {
                let path = exercise.solution_dir.join(&edit.file);
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                files.push((edit.file.clone(), text));
                files.len() - 1
            }
        };
        files[index].1 = apply(&files[index].1, edit)?;
    }
    Ok(files)
}

/// The scratch handbook the mistakes are tried in: a copy of `root` (without its
/// target folder, git and the runner's state) under `target/mistakes/ws`, whose
/// cargo builds into the handbook's own target folder. Files are rewritten only when
/// their content changed, so cargo rebuilds nothing needlessly between runs.
pub fn prepare_scratch(root: &Path) -> std::io::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() { target } else { root.join(target) };
    let scratch = target.join("mistakes").join("ws");
    copy_tree(root, &scratch, true)?;
    // The exercises' own sources are never copied: each trial puts the reference's
    // there, and a second run going on at the same time must not see them replaced.
    let config = std::fs::read_to_string(root.join(".cargo").join("config.toml")).unwrap_or_default();
    let config = format!("{config}\n[build]\ntarget-dir = {:?}\n", target.display().to_string());
    write_if_changed(&scratch.join(".cargo").join("config.toml"), config.as_bytes())?;
    Ok(scratch)
}

const SKIPPED_AT_ROOT: [&str; 5] = ["target", ".git", ".verify", "interop", "book-html"];

fn copy_tree(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        // Build folders (`target`, `target-*`) are skipped wherever they are.
        let build = name.to_str().is_some_and(|n| n == "target" || n.starts_with("target-"));
        if (top && SKIPPED_AT_ROOT.iter().any(|s| name == *s)) || build {
            continue;
        }
        let in_an_exercise = from.parent().and_then(|p| p.file_name()).is_some_and(|p| p == "exercises");
        if in_an_exercise && name == "src" && to.join("src").exists() {
            continue;
        }
        // The handbook is a shared work tree: a file that vanishes while it is copied
        // (an editor's swap file, another tool's scratch) is not an error.
        let copied = match entry.file_type() {
            Ok(kind) if kind.is_dir() => copy_tree(&entry.path(), &to.join(&name), false),
            Ok(kind) if kind.is_file() => {
                std::fs::read(entry.path()).and_then(|bytes| write_if_changed(&to.join(&name), &bytes))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match copied {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

/// Puts the reference solution's `src/`, with `files` replaced, in the place of the
/// exercise's `src/` (of an exercise of the scratch handbook).
pub fn place(exercise: &Exercise, files: &[(String, String)]) -> std::io::Result<()> {
    let src = exercise.dir.join("src");
    if src.exists() {
        std::fs::remove_dir_all(&src)?;
    }
    copy_tree(&exercise.solution_dir.join("src"), &src, false)?;
    // The solution's own tools (`src/bin`, such as the dht's UDP node) need dependencies
    // the exercise crate does not have, and are no part of what the learner writes.
    let tools = src.join("bin");
    if tools.exists() {
        std::fs::remove_dir_all(&tools)?;
    }
    for (file, text) in files {
        std::fs::write(exercise.dir.join(file), text)?;
    }
    // The solution's binaries name their own library `NAME_solution`; in the learner's
    // place that library is `NAME`.
    let own = exercise.package.replace('-', "_");
    rename_crate(&src, &format!("{own}_solution"), &own)
}

fn rename_crate(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(dir) {
        let path = entry?.into_path();
        if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)?;
            let renamed = replace_word(&text, from, to);
            if renamed != text {
                std::fs::write(&path, renamed)?;
            }
        }
    }
    Ok(())
}

/// `text` with every `from` that is a whole identifier replaced by `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        out.push_str(if before.is_some_and(ident) || after.is_some_and(ident) { from } else { to });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// What the checks said about one mistake.
#[derive(Clone, Debug)]
pub struct Trial {
    pub exercise: String,
    pub mistake: String,
    /// The first failing step and its message, or why there is none.
    pub first_failure: Result<(u32, String), String>,
    pub elapsed: Duration,
    /// Caught as the catalogue expects: the right step, the expected words.
    pub caught: bool,
    pub expect: String,
    pub step: Option<u32>,
}

/// Runs the checks of `exercise` in the scratch handbook with `mistake` in the
/// learner's place (`None`: the reference itself, which must pass every step).
pub fn trial(scratch: &Workspace, exercise: &Exercise, mistake: Option<&Mistake>, timeout: Duration) -> Trial {
    let started = Instant::now();
    let (name, expect, step) = match mistake {
        Some(m) => (m.name.clone(), m.expect.clone(), m.step),
        None => ("(the reference itself)".to_string(), String::new(), None),
    };
    // Two runs trying one exercise's mistakes at the same time would place their crates
    // in the same folder and build the same test binary, each judging the other's
    // crate: the second waits for the first's trial to end.
    // The lock is released when the file is closed, at the end of this function.
    let _lock = std::fs::File::create(scratch.root.join(format!(".mistakes-{}.lock", exercise.name))).inspect(|f| {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this function owns and keeps open.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
        }
        #[cfg(not(unix))]
        let _ = f;
    });
    let first_failure = (|| {
        let files = match mistake {
            Some(m) => patched(exercise, m)?,
            None => Vec::new(),
        };
        place(exercise, &files).map_err(|e| format!("could not place the solution: {e}"))?;
        // Only the steps up to the one that must fail first: a later one cannot change
        // which fails first, and some (the DHT's) take minutes.
        let options = Options { mode: Mode::Exercises, timeout, color: false, seed: None, sweep: 0, through: step };
        match checks::check(scratch, exercise, options).map_err(|e| e.to_string())? {
            Report::BuildFailed { errors, cargo } => Err(format!(
                "does not compile: {}",
                errors.first().cloned().unwrap_or_else(|| cargo.lines().rev().take(5).collect::<Vec<_>>().join("\n"))
            )),
            Report::Ran { steps, .. } => Ok(steps.iter().find_map(|r| match &r.outcome {
                StepOutcome::Passed => None,
                StepOutcome::Failed(m) | StepOutcome::Unfinished(m) => {
                    Some((r.step.number, crate::style::strip_ansi(m)))
                }
            })),
        }
    })();
    let first_failure = match first_failure {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err("every step passes".to_string()),
        Err(e) => Err(e),
    };
    let caught = match (&first_failure, mistake) {
        (Ok((number, message)), Some(_)) => step.is_none_or(|s| s == *number) && message.contains(&expect),
        (Err(e), None) => e == "every step passes",
        _ => false,
    };
    Trial {
        exercise: exercise.name.clone(),
        mistake: name,
        first_failure,
        elapsed: started.elapsed(),
        caught,
        expect,
        step,
    }
}
