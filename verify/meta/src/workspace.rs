//! Finding the handbook on disk, and which copy of each exercise we look at.

use std::path::{Path, PathBuf};

use crate::exercise::{self, Exercise, ExerciseError};

/// Which crates the runner checks.
///
/// Learners check `exercises/`; instructors and CI check `solutions/` with
/// `--solutions`, which runs the very same checks against the reference crates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Exercises,
    Solutions,
}

impl Mode {
    /// A word for messages: "exercise" or "solution".
    pub fn noun(self) -> &'static str {
        match self {
            Mode::Exercises => "exercise",
            Mode::Solutions => "solution",
        }
    }
}

/// The handbook checkout: its root folder and the exercises in book order.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
    /// Where the runner keeps its cache, hint counters and backups.
    pub state_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "could not find the handbook: no folder above {0} has both a Cargo.toml and an \
         exercises/ folder. Run cargo verify inside your clone of the handbook."
    )]
    NotFound(PathBuf),
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Exercise(#[from] ExerciseError),
    #[error("there is no exercise called `{name}`. The exercises are: {known}")]
    UnknownExercise { name: String, known: String },
}

impl Workspace {
    /// Finds the handbook from `start` upwards (or at `root` if given) and reads every
    /// exercise's metadata. This reads a few small files and runs nothing, so it is
    /// cheap enough to do on every command.
    pub fn discover(start: &Path, root: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        let root = match root {
            Some(root) => root.to_path_buf(),
            None => find_root(start).ok_or_else(|| WorkspaceError::NotFound(start.into()))?,
        };
        let exercises = exercise::load_all(&root)?;
        let state_dir = std::env::var_os("VERIFY_STATE_DIR").map(PathBuf::from).unwrap_or_else(|| root.join(".verify"));
        Ok(Workspace { root, exercises, state_dir })
    }

    /// Looks an exercise up by its short name (`identity`) or folder name
    /// (`01-identity`).
    pub fn find(&self, name: &str) -> Result<&Exercise, WorkspaceError> {
        let name = name.trim_end_matches('/');
        let name = name.rsplit('/').next().unwrap_or(name);
        self.exercises.iter().find(|e| e.name == name || e.dir_name == name).ok_or_else(|| {
            WorkspaceError::UnknownExercise {
                name: name.to_string(),
                known: self.exercises.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", "),
            }
        })
    }

    /// The path of `path` relative to the root, for messages.
    pub fn rel<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// The nearest folder at or above `start` holding both `Cargo.toml` and `exercises/`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("exercises").is_dir())
        .map(Path::to_path_buf)
}
