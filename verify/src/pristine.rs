//! What an exercise looked like before the learner touched it, according to git.
//!
//! The handbook is used from a git clone, so git already knows the pristine version
//! of every file: no second copy of the exercises is shipped. The reference point is
//! the upstream branch the learner cloned (`origin/HEAD`, then `origin/main`), so a
//! learner who commits their own work still gets the pristine exercise back; a
//! checkout without a remote falls back to `HEAD`. `VERIFY_PRISTINE_REV` overrides it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Whether a folder still matches its pristine version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pristine,
    Modified,
    /// Not a git checkout, or git is missing.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum PristineError {
    #[error(
        "cannot find the pristine exercise: this folder is not a git checkout (or git is \
         not installed). Your files are untouched."
    )]
    NoGit,
    #[error("git failed: {0}")]
    Git(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The git view of the handbook checkout.
pub struct Git {
    root: PathBuf,
    rev: OnceLock<Option<String>>,
}

impl Git {
    pub fn new(root: &Path) -> Git {
        Git { root: root.to_path_buf(), rev: OnceLock::new() }
    }

    /// The revision holding the pristine exercises, if there is one.
    pub fn rev(&self) -> Option<&str> {
        self.rev
            .get_or_init(|| {
                if let Ok(rev) = std::env::var("VERIFY_PRISTINE_REV") {
                    return Some(rev);
                }
                ["origin/HEAD", "origin/main", "HEAD"]
                    .into_iter()
                    .find(|rev| {
                        self.git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
                            .is_some_and(|(ok, _)| ok)
                    })
                    .map(String::from)
            })
            .as_deref()
    }

    /// Whether `path` (a file or folder) matches the pristine revision, counting
    /// files the learner added.
    pub fn state(&self, path: &Path) -> State {
        let Some(rev) = self.rev() else { return State::Unknown };
        let path = path.to_string_lossy();
        match self.git(&["diff", "--quiet", rev, "--", &path]) {
            None => State::Unknown,
            Some((false, _)) => State::Modified,
            Some((true, _)) => match self.git(&["ls-files", "--others", "--exclude-standard", "--", &path]) {
                Some((true, out)) if out.trim().is_empty() => State::Pristine,
                Some((true, _)) => State::Modified,
                _ => State::Unknown,
            },
        }
    }

    /// Puts the folder `dir` back as it is in the pristine revision: files are
    /// restored, files the learner added are removed. The caller backs up first.
    pub fn restore(&self, dir: &Path) -> Result<(), PristineError> {
        let rev = self.rev().ok_or(PristineError::NoGit)?;
        let spec = dir.to_string_lossy();
        let (ok, listed) = self.git(&["ls-tree", "-r", "--name-only", rev, "--", &spec]).ok_or(PristineError::NoGit)?;
        if !ok || listed.trim().is_empty() {
            return Err(PristineError::Git(format!("{spec} is not in {rev}")));
        }
        let keep: std::collections::HashSet<PathBuf> = listed.lines().map(|l| self.root.join(l)).collect();
        remove_extra(dir, &keep)?;
        match self.git(&["restore", "--source", rev, "--worktree", "--", &spec]) {
            Some((true, _)) => Ok(()),
            Some((false, err)) => Err(PristineError::Git(err)),
            None => Err(PristineError::NoGit),
        }
    }

    /// The pristine contents of one file, if it exists in the pristine revision.
    pub fn show(&self, file: &Path) -> Option<String> {
        let rel = file.strip_prefix(&self.root).ok()?;
        let (ok, text) = self.git(&["show", &format!("{}:{}", self.rev()?, rel.to_string_lossy())])?;
        ok.then_some(text)
    }

    /// Runs git in the root; `None` when git cannot run at all.
    fn git(&self, args: &[&str]) -> Option<(bool, String)> {
        let out = Command::new("git").arg("-C").arg(&self.root).args(args).stdin(Stdio::null()).output().ok()?;
        if !out.status.success() && out.status.code() != Some(1) {
            // 1 is "differs" for diff --quiet; anything else is a failure to run.
            let err = String::from_utf8_lossy(&out.stderr);
            if err.contains("not a git repository") {
                return None;
            }
        }
        let text = if out.status.success() { &out.stdout } else { &out.stderr };
        Some((out.status.success(), String::from_utf8_lossy(text).into_owned()))
    }
}

/// Removes files under `dir` that are not in `keep` (skipping build output).
fn remove_extra(dir: &Path, keep: &std::collections::HashSet<PathBuf>) -> Result<(), PristineError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PristineError::Io { path: dir.into(), source })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            remove_extra(&path, keep)?;
            if std::fs::read_dir(&path).map(|mut d| d.next().is_none()).unwrap_or(false) {
                let _ = std::fs::remove_dir(&path);
            }
        } else if !keep.contains(&path) {
            std::fs::remove_file(&path).map_err(|source| PristineError::Io { path: path.clone(), source })?;
        }
    }
    Ok(())
}
