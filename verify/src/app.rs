//! What every subcommand shares: the workspace, the mode, the cache, the one function
//! that decides where an exercise stands, and the one that checks an exercise
//! ([`App::check`]: the pipeline in `verify::checks`, then progress recorded and the
//! event after a check emitted to whoever subscribed).

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use verify::checks::{self, Options, Report};
use verify::pristine::{self, Git};
use verify::progress::{self, Entry, Store};
use verify::{Exercise, Mode, Workspace, steps, style};

pub struct App {
    pub ws: Workspace,
    pub mode: Mode,
    pub timeout: Duration,
    pub store: Store,
    pub git: Git,
    /// Told about every check recorded as progress (see [`App::subscribe`]).
    subscribers: Vec<AfterCheck>,
}

/// A subscriber to the event the runner emits after every check it records.
pub type AfterCheck = fn(&App, &Exercise, &Report);

/// Which runs of an exercise's checks to make: the ordinary one (the checks' own
/// seeds), one seed replayed, or a sweep of seeds after the ordinary run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seeds {
    /// Replay one run: every seeded simulation under this seed (`--seed S`).
    pub replay: Option<u64>,
    /// Then run every seeded step again under seeds 1..=N (`--seeds N`).
    pub sweep: u32,
}

impl Seeds {
    /// The checks' own seeds: the run recorded as progress.
    pub const ORDINARY: Seeds = Seeds { replay: None, sweep: 0 };
}

/// Where an exercise stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Done,
    InProgress,
    NotStarted,
    /// Edited since its last check, and not re-checked (or no git to tell).
    NotChecked,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Done => "done",
            State::InProgress => "in progress",
            State::NotStarted => "not started",
            State::NotChecked => "not checked",
        }
    }
}

pub struct Status<'a> {
    pub exercise: &'a Exercise,
    pub steps_total: usize,
    pub steps_passed: usize,
    pub state: State,
}

impl App {
    pub fn new(root: Option<&Path>, solutions: bool, timeout: u64) -> anyhow::Result<App> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let ws = Workspace::discover(&cwd, root)?;
        let mode = if solutions { Mode::Solutions } else { Mode::Exercises };
        Ok(App {
            store: Store::new(&ws, mode),
            git: Git::new(&ws.root),
            timeout: Duration::from_secs(timeout.max(1)),
            ws,
            mode,
            subscribers: Vec::new(),
        })
    }

    /// Subscribes `after_check` to the event the runner emits after every check it
    /// records as progress (the instructor's sharing subscribes, in `main.rs`).
    pub fn subscribe(&mut self, after_check: AfterCheck) {
        self.subscribers.push(after_check);
    }

    /// The cached entries, saying (once) if the cache had to be thrown away.
    pub fn cache(&self) -> std::collections::BTreeMap<String, Entry> {
        self.store.load(&mut |warning| eprintln!("{} {warning}", style::yellow("note:")))
    }

    /// Where `exercise` stands. The cache answers when the sources are unchanged;
    /// otherwise git tells whether the exercise is untouched (then it is not started,
    /// without building anything: every pristine exercise fails, and the project's
    /// tests prove it); otherwise, with `recheck`, the checks run now.
    pub fn status<'a>(
        &self,
        exercise: &'a Exercise,
        cache: &std::collections::BTreeMap<String, Entry>,
        recheck: bool,
    ) -> anyhow::Result<Status<'a>> {
        let steps_total = steps::scan(&exercise.checks_dir())
            .with_context(|| format!("cannot read the checks of {}", exercise.name))?
            .len();
        let hash = progress::fingerprint(&self.ws, exercise, self.mode);
        let status = |passed: usize| Status {
            exercise,
            steps_total,
            steps_passed: passed,
            state: if steps_total > 0 && passed >= steps_total {
                State::Done
            } else if passed > 0 {
                State::InProgress
            } else {
                State::NotStarted
            },
        };
        if let Some(entry) = cache.get(&exercise.name).filter(|e| e.hash == hash) {
            return Ok(status(entry.passed.len()));
        }
        if self.mode == Mode::Exercises && self.git.state(exercise.crate_dir(self.mode)) == pristine::State::Pristine {
            let entry = Entry { hash, passed: Vec::new(), steps_total };
            self.store.put(&exercise.name, entry).ok();
            return Ok(status(0));
        }
        if !recheck {
            return Ok(Status { state: State::NotChecked, ..status(0) });
        }
        eprintln!("{}", style::dim(&format!("Checking {} (changed since its last check)…", exercise.name)));
        let report = self.check(exercise, Seeds::ORDINARY)?;
        Ok(status(report.passed().len()))
    }

    /// Builds and runs the checks of `exercise` (the one pipeline, `checks::check`).
    /// Only an ordinary run (the checks' own seeds) is recorded as progress, so that
    /// every learner's progress means the same runs, and only then are the
    /// subscribers told.
    pub fn check(&self, exercise: &Exercise, seeds: Seeds) -> anyhow::Result<Report> {
        let hash = progress::fingerprint(&self.ws, exercise, self.mode);
        let options = Options {
            mode: self.mode,
            timeout: self.timeout,
            color: style::enabled(),
            seed: seeds.replay,
            sweep: seeds.sweep,
            through: None,
        };
        let report = checks::check(&self.ws, exercise, options)?;
        if seeds.replay.is_some() || seeds.sweep > 0 {
            return Ok(report);
        }
        let steps_total = steps::scan(&exercise.checks_dir()).map(|s| s.len()).unwrap_or(0);
        let passed = report.passed().iter().map(|s| s.function.clone()).collect();
        let entry = Entry { hash, passed, steps_total };
        if let Err(e) = self.store.put(&exercise.name, entry) {
            eprintln!("{} could not save progress ({e}); your results are still shown", style::yellow("note:"));
        }
        for after_check in &self.subscribers {
            after_check(self, exercise, &report);
        }
        Ok(report)
    }

    /// The exercise to work on now: of those not done, the one the learner edited
    /// last (by the newest file under its `src/` that git sees changed), else the
    /// first one in book order.
    pub fn current<'a>(
        &'a self,
        cache: &std::collections::BTreeMap<String, Entry>,
    ) -> anyhow::Result<Option<&'a Exercise>> {
        let mut not_done = Vec::new();
        for exercise in &self.ws.exercises {
            if self.status(exercise, cache, false)?.state != State::Done {
                not_done.push(exercise);
            }
        }
        let edited = not_done
            .iter()
            .filter(|e| self.git.state(e.crate_dir(self.mode)) == pristine::State::Modified)
            .max_by_key(|e| newest_change(&e.crate_dir(self.mode).join("src")));
        Ok(edited.or(not_done.first()).copied())
    }

    /// The exercise named, or the current one.
    pub fn pick(&self, name: Option<&str>) -> anyhow::Result<Option<&Exercise>> {
        match name {
            Some(name) => Ok(Some(self.ws.find(name)?)),
            None => self.current(&self.cache()),
        }
    }

    /// Warns when the learner edited an exercise's checks (the spec).
    pub fn warn_edited_checks(&self, exercise: &Exercise) {
        if self.git.state(&exercise.checks_dir()) == pristine::State::Modified {
            eprintln!(
                "{} the checks in {}/ differ from the pristine ones. They are the spec: an \
                 edited check proves nothing. `git restore --source={} {}` puts them back.",
                style::yellow("warning:"),
                self.ws.rel(&exercise.checks_dir()).display(),
                self.git.rev().unwrap_or("HEAD"),
                self.ws.rel(&exercise.checks_dir()).display(),
            );
        }
    }

    /// The path relative to the root, for messages.
    pub fn rel(&self, path: &Path) -> String {
        self.ws.rel(path).display().to_string()
    }
}

/// The time of the newest change to a file under `dir`.
fn newest_change(dir: &Path) -> Option<std::time::SystemTime> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| !m.is_dir())
        .filter_map(|m| m.modified().ok())
        .max()
}
