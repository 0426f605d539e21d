//! The hint ladders: one per step of each exercise, kept out of the learner's crate.
//!
//! A hint read by accident is a lesson lost, so hints do not sit in the exercise's
//! own `Cargo.toml` (a file a learner opens early) but in one folder the runner owns,
//! `verify/hints/NN-name.toml`, the way rustlings keeps its hints in one manifest.
//! The runner (`cargo verify hint`, the watcher) and the book's exercise box both read
//! them from here. Each step has its own ladder, from a nudge about the idea, to the
//! data structure, to the API names, to the near-answer, so a hint always speaks to
//! the step the learner is stuck on.
//!
//! ```toml
//! [steps]
//! 1 = ["a nudge about the idea", "the data structure", "the API names", "the near-answer"]
//! 2 = ["…"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The hint ladders of one exercise, by step number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ladders {
    steps: BTreeMap<u32, Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    #[error("could not read the hints {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the hints {path} are not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    steps: BTreeMap<String, Vec<String>>,
}

/// Where the hints of the exercise in folder `dir_name` live.
pub fn path(root: &Path, dir_name: &str) -> PathBuf {
    root.join("verify").join("hints").join(format!("{dir_name}.toml"))
}

impl Ladders {
    /// Reads the hints of the exercise in folder `dir_name`. A missing file is no
    /// hints at all (the project's own tests insist every step has some).
    pub fn load(root: &Path, dir_name: &str) -> Result<Ladders, HintsError> {
        let path = path(root, dir_name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ladders::default()),
            Err(source) => return Err(HintsError::Io { path, source }),
        };
        Ladders::parse(&text).map_err(|message| HintsError::Invalid { path, message })
    }

    /// Parses the text of a hints file.
    pub fn parse(text: &str) -> Result<Ladders, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut steps = BTreeMap::new();
        for (key, hints) in file.steps {
            let number: u32 = key.parse().map_err(|_| format!("`{key}` is not a step number"))?;
            if hints.iter().any(|h| h.trim().is_empty()) {
                return Err(format!("step {number} has an empty hint"));
            }
            steps.insert(number, hints);
        }
        Ok(Ladders { steps })
    }

    /// The ladder for step `number`, gentlest first (empty if it has none).
    pub fn step(&self, number: u32) -> &[String] {
        self.steps.get(&number).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The step numbers that have hints.
    pub fn numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.steps.keys().copied()
    }

    /// How many hints there are in all.
    pub fn total(&self) -> usize {
        self.steps.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_ladder_per_step() {
        let ladders = Ladders::parse("[steps]\n1 = [\"idea\", \"answer\"]\n3 = [\"only\"]\n").unwrap();
        assert_eq!(ladders.step(1), ["idea", "answer"]);
        assert_eq!(ladders.step(2), [] as [&str; 0]);
        assert_eq!(ladders.numbers().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(ladders.total(), 3);
    }

    #[test]
    fn refuses_what_is_not_a_step() {
        assert!(Ladders::parse("[steps]\nfirst = [\"x\"]\n").unwrap_err().contains("not a step number"));
        assert!(Ladders::parse("[steps]\n1 = [\" \"]\n").unwrap_err().contains("empty hint"));
        assert!(Ladders::parse("hints = [\"x\"]\n").is_err());
    }
}
