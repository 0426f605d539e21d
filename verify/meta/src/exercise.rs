//! An exercise and its metadata.
//!
//! The metadata has one home: the `[package.metadata.handbook]` table of the
//! exercise's own `Cargo.toml`. The runner and the book's exercise box both read it
//! from there, so they cannot disagree. The hints are the one exception: they live
//! outside the learner's crate, in `verify/hints/` (see [`crate::hints`]). It is parsed straight from the TOML
//! (not through `cargo metadata`, which would cost a cargo process on every command).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::hints::{HintsError, Ladders};
use crate::workspace::Mode;

/// What the exercise's `Cargo.toml` says about it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The human title, e.g. "Identity".
    pub title: String,
    /// The book page, relative to `book/`, e.g. `identity.md`.
    pub chapter: String,
    /// Estimated time for a learner, in minutes.
    pub minutes: u32,
    /// One sentence: what the learner builds.
    pub summary: String,
    /// The files the learner edits, relative to the crate.
    pub edit: Vec<String>,
}

/// One exercise, with where its two crates live.
#[derive(Clone, Debug)]
pub struct Exercise {
    /// Short name, e.g. `identity`.
    pub name: String,
    /// Folder name, e.g. `01-identity`; the number gives the book order.
    pub dir_name: String,
    /// `exercises/01-identity`, absolute.
    pub dir: PathBuf,
    /// `solutions/01-identity`, absolute.
    pub solution_dir: PathBuf,
    /// The exercise's package name (the solution's is this plus `-solution`).
    pub package: String,
    /// The integration-test target holding the checks (`tests/<target>.rs`).
    pub test_target: String,
    pub meta: Meta,
    /// The hint ladders, one per step, from `verify/hints/NN-name.toml`.
    pub hints: Ladders,
}

#[derive(Debug, thiserror::Error)]
pub enum ExerciseError {
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path} has no tests/<name>.rs file holding the checks")]
    NoChecks { path: PathBuf },
    #[error(
        "{path} has more than one tests/*.rs file ({targets}); an exercise keeps all its checks in one test target, so the runner builds and runs exactly what it counts"
    )]
    ManyTargets { path: PathBuf, targets: String },
    #[error(transparent)]
    Hints(#[from] HintsError),
}

#[derive(Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    metadata: Option<PackageMetadata>,
}

#[derive(Deserialize)]
struct PackageMetadata {
    handbook: Option<Meta>,
}

impl Exercise {
    /// The crate folder checked in `mode`.
    pub fn crate_dir(&self, mode: Mode) -> &Path {
        match mode {
            Mode::Exercises => &self.dir,
            Mode::Solutions => &self.solution_dir,
        }
    }

    /// The package checked in `mode`.
    pub fn package(&self, mode: Mode) -> String {
        match mode {
            Mode::Exercises => self.package.clone(),
            Mode::Solutions => format!("{}-solution", self.package),
        }
    }

    /// The folder holding the checks; the solution runs the exercise's checks.
    pub fn checks_dir(&self) -> PathBuf {
        self.dir.join("tests")
    }
}

/// Reads every `exercises/NN-name/Cargo.toml`, in folder (= book) order.
pub fn load_all(root: &Path) -> Result<Vec<Exercise>, crate::workspace::WorkspaceError> {
    let dir = root.join("exercises");
    let entries =
        std::fs::read_dir(&dir).map_err(|source| crate::workspace::WorkspaceError::Io { path: dir.clone(), source })?;
    let mut dirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("Cargo.toml").is_file()).collect();
    dirs.sort();
    let mut exercises = Vec::with_capacity(dirs.len());
    for dir in dirs {
        exercises.push(load(root, &dir)?);
    }
    Ok(exercises)
}

/// Reads one exercise folder.
pub fn load(root: &Path, dir: &Path) -> Result<Exercise, ExerciseError> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| ExerciseError::Io { path: path.clone(), source })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| {
        let mut message = e.to_string();
        if message.contains("unknown field `hints`") {
            message.push_str(&format!(
                "\nHints are kept out of the learner's crate: move them to {}",
                crate::hints::path(root, &dir.file_name().unwrap_or_default().to_string_lossy()).display()
            ));
        }
        ExerciseError::Manifest { path: path.clone(), message }
    })?;
    let meta = manifest.package.metadata.and_then(|m| m.handbook).ok_or_else(|| ExerciseError::Manifest {
        path: path.clone(),
        message: "it has no [package.metadata.handbook] table (title, chapter, minutes, \
                      summary, edit; hints live in verify/hints/)"
            .into(),
    })?;
    let dir_name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let name = short_name(&dir_name).to_string();
    Ok(Exercise {
        hints: Ladders::load(root, &dir_name)?,
        test_target: test_target(dir)?,
        solution_dir: root.join("solutions").join(&dir_name),
        package: manifest.package.name,
        dir: dir.to_path_buf(),
        name,
        dir_name,
        meta,
    })
}

/// `01-identity` → `identity`.
pub fn short_name(dir_name: &str) -> &str {
    match dir_name.split_once('-') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => dir_name,
    }
}

/// The one `tests/*.rs` file of the exercise: the test target holding the checks.
/// More than one is refused: the step list is read from every file under `tests/`,
/// so a second target would hold steps the runner never builds.
fn test_target(dir: &Path) -> Result<String, ExerciseError> {
    let tests = dir.join("tests");
    let mut targets: Vec<String> = std::fs::read_dir(&tests)
        .map_err(|_| ExerciseError::NoChecks { path: dir.into() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    targets.sort();
    match targets.len() {
        0 => Err(ExerciseError::NoChecks { path: dir.into() }),
        1 => Ok(targets.remove(0)),
        _ => Err(ExerciseError::ManyTargets { path: dir.into(), targets: targets.join(", ") }),
    }
}
