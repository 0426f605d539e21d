//! What the runner remembers between runs: check results and hint counters.
//!
//! The progress file is a cache, derived from check results and keyed by a hash of
//! everything that could change them, so an unchanged exercise is never checked twice
//! and `cargo verify` answers at once. Being a cache, it may be lost: a file that
//! cannot be read is ignored (with a note) and rebuilt by the next checks. Every
//! write goes to a temporary file first and is then renamed over the old one, so a
//! crash or Ctrl-C mid-write never leaves half a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::exercise::Exercise;
use crate::workspace::{Mode, Workspace};

/// The cached result for one exercise.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// The fingerprint of the sources the result belongs to.
    pub hash: String,
    /// The step functions that passed.
    pub passed: Vec<String>,
    /// How many steps there were.
    pub steps_total: usize,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Progress {
    version: u32,
    exercises: BTreeMap<String, Entry>,
}

const VERSION: u32 = 1;

/// The progress cache of one mode (the solutions keep a separate one, so checking
/// them never marks a learner's exercise done).
pub struct Store {
    path: PathBuf,
}

impl Store {
    pub fn new(ws: &Workspace, mode: Mode) -> Store {
        let file = match mode {
            Mode::Exercises => "progress.json",
            Mode::Solutions => "progress-solutions.json",
        };
        Store { path: ws.state_dir.join(file) }
    }

    /// All cached entries. A missing file is an empty cache; an unreadable one is
    /// reported through `warn` and treated as empty.
    pub fn load(&self, warn: &mut dyn FnMut(String)) -> BTreeMap<String, Entry> {
        match load_json::<Progress>(&self.path) {
            Ok(Some(p)) if p.version == VERSION => p.exercises,
            Ok(Some(_)) | Ok(None) => BTreeMap::new(),
            Err(e) => {
                warn(format!("the progress cache {} was unreadable ({e}); rebuilding it", self.path.display()));
                BTreeMap::new()
            }
        }
    }

    /// Records one exercise's entry, keeping the others as they are on disk now (so
    /// two runners at once lose at most each other's latest result, never the file).
    pub fn put(&self, name: &str, entry: Entry) -> std::io::Result<()> {
        let mut exercises = self.load(&mut |_| {});
        exercises.insert(name.to_string(), entry);
        save_json(&self.path, &Progress { version: VERSION, exercises })
    }
}

/// How many hints of each exercise the learner has seen.
pub struct Hints {
    path: PathBuf,
}

impl Hints {
    pub fn new(ws: &Workspace) -> Hints {
        Hints { path: ws.state_dir.join("hints.json") }
    }

    pub fn seen(&self, name: &str) -> usize {
        load_json::<BTreeMap<String, usize>>(&self.path).ok().flatten().and_then(|m| m.get(name).copied()).unwrap_or(0)
    }

    pub fn set_seen(&self, name: &str, seen: usize) -> std::io::Result<()> {
        let mut map = load_json::<BTreeMap<String, usize>>(&self.path).ok().flatten().unwrap_or_default();
        map.insert(name.to_string(), seen);
        save_json(&self.path, &map)
    }
}

/// Reads a JSON file: `Ok(None)` if it does not exist, `Err` if it is unreadable.
fn load_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub use verify_meta::state::save_json;

/// A fingerprint of everything a check result depends on: the exercise crate, its
/// solution, the kit and the runner's own version. Build output is skipped.
pub fn fingerprint(ws: &Workspace, exercise: &Exercise, mode: Mode) -> String {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(if mode == Mode::Exercises { b"e" } else { b"s" });
    for dir in [&exercise.dir, &exercise.solution_dir, &ws.root.join("kit")] {
        let files = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0 || !(name.starts_with('.') || name == "target")
            })
            .flatten()
            .filter(|e| !e.file_type().is_dir());
        for file in files.map(walkdir::DirEntry::into_path) {
            if let Ok(bytes) = std::fs::read(&file) {
                hasher.update(ws.rel(&file).to_string_lossy().as_bytes());
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
        }
    }
    hex::encode(hasher.finalize())
}
