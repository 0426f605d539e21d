//! Building and running one exercise's checks.
//!
//! Two phases, so each gets the treatment it needs:
//! 1. Build: `cargo test --no-run` with JSON messages, so compiler errors can be shown
//!    on their own (no progress noise) and the test binary's path is known. A build
//!    has no time limit: a cold build may legitimately take minutes.
//! 2. Run: the test binary itself, in its own process group, under the time limit.
//!    If it hangs, the steps that never reported are named; if it crashes (a stack
//!    overflow aborts the whole process), the unreported steps are run again one by
//!    one, so the crash is pinned on the step that causes it.
//!
//! Which steps passed is never read from the test's standard output: the code under
//! test writes there too, and a `println!("test checks::step_1 ... ok")` must not pass
//! a step. The verdicts come from libtest's log file (`--logfile`), a file in a fresh
//! folder of the runner's that only the harness writes to, and libtest's own closing
//! summary must agree with them. Standard output is read only for what a learner
//! should see: each failure's message, and the figures a measuring step prints.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::exercise::Exercise;
use crate::libtest::{self, Outcome};
use crate::process::{self, Ending};
use crate::steps::{self, Step};
use crate::workspace::{Mode, Workspace};

/// How one step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Passed,
    Failed(String),
    /// The step never reported: it hung or crashed the test process.
    Unfinished(String),
}

#[derive(Clone, Debug)]
pub struct StepResult {
    pub step: Step,
    pub outcome: StepOutcome,
    /// What the step measured (`kit::figure` lines), passed or failed.
    pub figures: Vec<Figure>,
    /// Whether the step runs a seeded simulation (it called `kit::seed`).
    pub seeded: bool,
    /// The seed sweep's tally, when one was asked for.
    pub sweep: Option<Sweep>,
    /// Space-time diagrams of the step's simulations (HTML files), written when a
    /// seeded step fails or when asked for with `cargo verify trace`.
    pub traces: Vec<PathBuf>,
}

/// One figure a measuring step printed, e.g. `messages per operation` = `5.7`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// What checking an exercise found.
#[derive(Debug)]
pub enum Report {
    /// The crate (or its checks) did not compile.
    BuildFailed {
        /// The compiler's error messages, rendered as rustc shows them.
        errors: Vec<String>,
        /// Cargo's own output, for failures that are not compiler errors.
        cargo: String,
    },
    /// The checks ran.
    Ran { steps: Vec<StepResult>, elapsed: Duration },
}

impl Report {
    pub fn passed(&self) -> Vec<&Step> {
        match self {
            Report::BuildFailed { .. } => Vec::new(),
            Report::Ran { steps, .. } => {
                steps.iter().filter(|r| r.outcome == StepOutcome::Passed).map(|r| &r.step).collect()
            }
        }
    }

    /// True when every step passed.
    pub fn done(&self) -> bool {
        matches!(self, Report::Ran { steps, .. } if !steps.is_empty()
            && steps.iter().all(|r| r.outcome == StepOutcome::Passed))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("could not start cargo ({0}); is Rust installed (rustup.rs)?")]
    Cargo(std::io::Error),
    #[error("could not read the checks of {0}: {1}")]
    Steps(String, std::io::Error),
    #[error("could not run the checks: {0}")]
    Run(std::io::Error),
    #[error("cargo built the checks but named no test binary for `{0}`")]
    NoBinary(String),
}

/// Settings for a check.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub mode: Mode,
    /// The time limit for running the checks (not for building them).
    pub timeout: Duration,
    /// Ask cargo for coloured diagnostics.
    pub color: bool,
    /// Replay one run: every seeded simulation runs under this seed (`--seed S`).
    pub seed: Option<u64>,
    /// After the ordinary run, run every seeded step again under seeds 1..=N
    /// (`--seeds N`), and report per step how many passed.
    pub sweep: u32,
}

/// What a seed sweep found for one step.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Sweep {
    /// Seeds tried.
    pub runs: u32,
    /// Seeds under which the step passed.
    pub passed: u32,
    /// The first seed it failed under, with the failure.
    pub first_failure: Option<(u64, String)>,
}

/// Builds and runs `exercise`'s checks.
pub fn check(ws: &Workspace, exercise: &Exercise, options: Options) -> Result<Report, CheckError> {
    let steps = steps::scan(&exercise.checks_dir()).map_err(|e| CheckError::Steps(exercise.name.clone(), e))?;
    let binary = match build(ws, exercise, options)? {
        Ok(binary) => binary,
        Err(report) => return Ok(report),
    };
    let started = Instant::now();
    let dir = exercise.crate_dir(options.mode).to_path_buf();
    let scratch = Scratch::new(&ws.state_dir)?;
    let output = run_binary(&binary, &dir, &[], Some(options.timeout), &scratch, options.seed)?;
    let seeded = libtest::seeded(&output.stdout);
    let mut figures = libtest::figures(&output.stdout);
    let mut outcomes = trusted_outcomes(&output);
    let mut unfinished_reason = None;
    match output.ending {
        Ending::TimedOut(limit) => {
            unfinished_reason = Some(format!(
                "did not finish within {} s and was stopped: an endless loop, a deadlock, or \
                 waiting for a message that never comes? (the limit is --timeout)",
                limit.as_secs()
            ));
        }
        Ending::Exited(status) => {
            let missing: Vec<&Step> = steps.iter().filter(|s| !outcomes.keys().any(|n| s.matches(n))).collect();
            if !missing.is_empty() {
                // The process died before every step reported: find out which step
                // kills it by running each missing one alone.
                let crash = describe_exit(status, &output.stderr);
                for step in missing {
                    let remaining = options.timeout.saturating_sub(started.elapsed());
                    let alone = run_binary(
                        &binary,
                        &dir,
                        &[&step.function],
                        Some(remaining.max(Duration::from_secs(1))),
                        &scratch,
                        options.seed,
                    )?;
                    for (name, found) in libtest::figures(&alone.stdout) {
                        figures.entry(name).or_insert(found);
                    }
                    let mut one = trusted_outcomes(&alone);
                    let outcome = one.keys().find(|n| step.matches(n)).cloned().and_then(|n| one.remove(&n));
                    match (outcome, &alone.ending) {
                        (Some(outcome), _) => {
                            outcomes.insert(step.function.clone(), outcome);
                        }
                        (None, Ending::Exited(status)) => {
                            outcomes
                                .insert(step.function.clone(), Outcome::Failed(describe_exit(*status, &alone.stderr)));
                        }
                        (None, Ending::TimedOut(_)) => {
                            unfinished_reason.get_or_insert_with(|| crash.clone());
                        }
                    }
                }
            }
        }
    }
    let results = steps
        .into_iter()
        .map(|step| {
            let unfinished = unfinished_reason.clone().unwrap_or_else(|| "did not run".into());
            let seeded = seeded.iter().any(|n| step.matches(n));
            step_result(step, &outcomes, &figures, unfinished, seeded)
        })
        .collect::<Vec<_>>();
    let mut results = results;
    if options.sweep > 0 {
        sweep(&binary, &dir, &scratch, options, &mut results)?;
    }
    // A failing simulated step is replayed (the same seed gives the same run) with
    // recording on, so the learner gets the picture of what happened.
    let failing: Vec<String> = results
        .iter()
        .filter(|r| r.seeded && r.outcome != StepOutcome::Passed && r.sweep.is_none())
        .map(|r| r.step.function.clone())
        .collect();
    if !failing.is_empty() {
        let names: Vec<&str> = failing.iter().map(String::as_str).collect();
        record_traces(ws, exercise, &binary, &dir, &scratch, options, &names, &mut results)?;
    }
    Ok(Report::Ran { steps: results, elapsed: started.elapsed() })
}

/// Where the diagrams of an exercise's runs go: `target/verify/traces/NAME/`.
pub fn traces_dir(ws: &Workspace, exercise: &Exercise) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| ws.root.join("target"));
    let target = if target.is_absolute() { target } else { ws.root.join(target) };
    target.join("verify").join("traces").join(&exercise.name)
}

/// Runs `steps` once more with every simulation recording itself, collects the
/// diagrams each wrote, and puts each failing step's message in its diagrams.
#[allow(clippy::too_many_arguments)]
fn record_traces(
    ws: &Workspace,
    exercise: &Exercise,
    binary: &PathBuf,
    dir: &PathBuf,
    scratch: &Scratch,
    options: Options,
    steps: &[&str],
    results: &mut [StepResult],
) -> Result<(), CheckError> {
    let traces = traces_dir(ws, exercise);
    for step in steps {
        remove_traces_of(&traces, step);
    }
    std::fs::create_dir_all(&traces).map_err(CheckError::Run)?;
    let mut command_env = vec![("VERIFY_TRACE", traces.clone().into_os_string())];
    if let Some(seed) = options.seed {
        command_env.push(("VERIFY_SEED", seed.to_string().into()));
    }
    run_binary_env(binary, dir, steps, Some(options.timeout), scratch, &command_env)?;
    for result in results.iter_mut().filter(|r| steps.contains(&r.step.function.as_str())) {
        result.traces = traces_of(&traces, &result.step.function);
        mark_failure(result);
    }
    Ok(())
}

/// Puts a failing step's message in its diagrams, where kit left a marker at the
/// moment the step's simulation ended.
fn mark_failure(result: &StepResult) {
    let (StepOutcome::Failed(message) | StepOutcome::Unfinished(message)) = &result.outcome else { return };
    let marker = serde_json::to_string(FAILED_HERE).unwrap_or_default();
    let text = serde_json::to_string(&crate::style::strip_ansi(message)).unwrap_or_default().replace("</", "<\\/");
    for file in &result.traces {
        if let Ok(html) = std::fs::read_to_string(file) {
            let _ = std::fs::write(file, html.replace(&marker, &text));
        }
    }
}

/// kit's marker for the broken invariant in a failing step's diagram (`kit::trace`).
const FAILED_HERE: &str = "(the step failed here: its message is in cargo verify's report)";

/// The diagrams a step's simulations wrote: `STEP-1.html`, `STEP-2.html`, ….
pub fn traces_of(dir: &std::path::Path, step: &str) -> Vec<PathBuf> {
    let prefix = format!("{step}-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.strip_prefix(&prefix)
                    .and_then(|r| r.strip_suffix(".html"))
                    .is_some_and(|k| k.chars().all(|c| c.is_ascii_digit()))
            })
        })
        .collect();
    found.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.trim_end_matches(".html").rsplit('-').next()?.parse::<u32>().ok())
    });
    found
}

fn remove_traces_of(dir: &std::path::Path, step: &str) {
    for file in traces_of(dir, step) {
        let _ = std::fs::remove_file(file);
    }
}

/// Records the simulations of `steps` (all steps if empty) under `seed`, for
/// `cargo verify trace`: returns the check's report with each step's diagrams.
pub fn trace(ws: &Workspace, exercise: &Exercise, options: Options, steps: &[&str]) -> Result<Report, CheckError> {
    let all = steps::scan(&exercise.checks_dir()).map_err(|e| CheckError::Steps(exercise.name.clone(), e))?;
    let binary = match build(ws, exercise, options)? {
        Ok(binary) => binary,
        Err(report) => return Ok(report),
    };
    let started = Instant::now();
    let dir = exercise.crate_dir(options.mode).to_path_buf();
    let scratch = Scratch::new(&ws.state_dir)?;
    let chosen: Vec<String> = if steps.is_empty() {
        all.iter().map(|s| s.function.clone()).collect()
    } else {
        steps.iter().map(|s| s.to_string()).collect()
    };
    let chosen: Vec<&str> = chosen.iter().map(String::as_str).collect();
    let traces = traces_dir(ws, exercise);
    for step in &chosen {
        remove_traces_of(&traces, step);
    }
    std::fs::create_dir_all(&traces).map_err(CheckError::Run)?;
    let mut env = vec![("VERIFY_TRACE", traces.clone().into_os_string())];
    if let Some(seed) = options.seed {
        env.push(("VERIFY_SEED", seed.to_string().into()));
    }
    let run = run_binary_env(&binary, &dir, &chosen, Some(options.timeout), &scratch, &env)?;
    let outcomes = trusted_outcomes(&run);
    let figures = libtest::figures(&run.stdout);
    let mut results: Vec<StepResult> = all
        .into_iter()
        .filter(|s| chosen.contains(&s.function.as_str()))
        .map(|step| step_result(step, &outcomes, &figures, describe_exit_of(&run), true))
        .collect();
    for result in results.iter_mut() {
        result.traces = traces_of(&traces, &result.step.function);
        mark_failure(result);
    }
    Ok(Report::Ran { steps: results, elapsed: started.elapsed() })
}

/// What one step did in a run: its outcome (`unfinished` says why, if it never
/// reported) and the figures it printed.
fn step_result(
    step: Step,
    outcomes: &std::collections::BTreeMap<String, Outcome>,
    figures: &std::collections::BTreeMap<String, Vec<(String, String)>>,
    unfinished: String,
    seeded: bool,
) -> StepResult {
    let outcome = match outcomes.iter().find(|(n, _)| step.matches(n)).map(|(_, o)| o) {
        Some(Outcome::Passed) => StepOutcome::Passed,
        Some(Outcome::Failed(message)) => StepOutcome::Failed(message.clone()),
        Some(Outcome::Ignored) => StepOutcome::Failed("this check is marked #[ignore]".into()),
        None => StepOutcome::Unfinished(unfinished),
    };
    let figures = figures
        .iter()
        .find(|(n, _)| step.matches(n))
        .map(|(_, f)| f.iter().map(|(label, value)| Figure { label: label.clone(), value: value.clone() }).collect())
        .unwrap_or_default();
    StepResult { step, outcome, figures, seeded, sweep: None, traces: Vec::new() }
}

/// Runs the seeded steps again under seeds 1..=N, one test process per seed (libtest
/// spreads the steps of each run over the cores), and folds the tallies into
/// `results`: a step that fails under any seed fails, naming the seed that replays it.
fn sweep(
    binary: &PathBuf,
    dir: &PathBuf,
    scratch: &Scratch,
    options: Options,
    results: &mut [StepResult],
) -> Result<(), CheckError> {
    let names: Vec<String> = results.iter().filter(|r| r.seeded).map(|r| r.step.function.clone()).collect();
    if names.is_empty() {
        return Ok(());
    }
    for r in results.iter_mut().filter(|r| r.seeded) {
        r.sweep = Some(Sweep { runs: 0, passed: 0, first_failure: None });
    }
    let filter: Vec<&str> = names.iter().map(String::as_str).collect();
    for seed in 1..=u64::from(options.sweep) {
        let run = run_binary(binary, dir, &filter, Some(options.timeout), scratch, Some(seed))?;
        let outcomes = trusted_outcomes(&run);
        let timed_out = matches!(run.ending, Ending::TimedOut(_));
        for r in results.iter_mut().filter(|r| r.seeded) {
            let tally = r.sweep.as_mut().expect("set above");
            tally.runs += 1;
            let failure = match outcomes.iter().find(|(n, _)| r.step.matches(n)).map(|(_, o)| o) {
                Some(Outcome::Passed) => None,
                Some(Outcome::Failed(message)) => Some(message.clone()),
                Some(Outcome::Ignored) => Some("marked #[ignore]".to_string()),
                None if timed_out => Some(format!("did not finish within {} s", options.timeout.as_secs())),
                None => Some(describe_exit_of(&run)),
            };
            match failure {
                None => tally.passed += 1,
                Some(message) => {
                    tally.first_failure.get_or_insert((seed, message));
                }
            }
        }
    }
    for r in results.iter_mut() {
        if let Some(Sweep { runs, passed, first_failure: Some((seed, message)) }) = &r.sweep
            && r.outcome == StepOutcome::Passed
        {
            r.outcome = StepOutcome::Failed(format!(
                "passed {passed} of {runs} seeds; under seed {seed} it fails (replay it: --seed {seed}):\n{message}"
            ));
        }
    }
    Ok(())
}

fn describe_exit_of(run: &Run) -> String {
    match run.ending {
        Ending::Exited(status) => describe_exit(status, &run.stderr),
        Ending::TimedOut(limit) => format!("did not finish within {} s", limit.as_secs()),
    }
}

/// Compiles the checks. `Ok(Ok(path))` is the test binary; `Ok(Err(report))` a
/// build failure to show the learner.
fn build(ws: &Workspace, exercise: &Exercise, options: Options) -> Result<Result<PathBuf, Report>, CheckError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&ws.root)
        .args(["test", "--no-run", "--package"])
        .arg(exercise.package(options.mode))
        .args(["--test", &exercise.test_target])
        .arg(if options.color { "--message-format=json-diagnostic-rendered-ansi" } else { "--message-format=json" });
    let output = process::run(command, None).map_err(CheckError::Cargo)?;
    let mut errors = Vec::new();
    let mut binary = None;
    for line in output.stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        match message["reason"].as_str() {
            Some("compiler-message") if message["message"]["level"] == "error" => {
                if let Some(rendered) = message["message"]["rendered"].as_str() {
                    errors.push(rendered.trim_end().to_string());
                }
            }
            Some("compiler-artifact")
                if message["target"]["name"] == exercise.test_target.as_str()
                    && message["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "test")) =>
            {
                binary = message["executable"].as_str().map(PathBuf::from);
            }
            _ => {}
        }
    }
    let success = matches!(output.ending, Ending::Exited(status) if status.success());
    match (success, binary) {
        (true, Some(binary)) => Ok(Ok(binary)),
        (true, None) => Err(CheckError::NoBinary(exercise.test_target.clone())),
        (false, _) => Ok(Err(Report::BuildFailed { errors, cargo: output.stderr })),
    }
}

/// A test run's output together with the verdicts from its log file.
struct Run {
    output: process::Output,
    /// `ok NAME` / `failed NAME` / `ignored NAME` lines, as libtest wrote them.
    log: String,
}

impl std::ops::Deref for Run {
    type Target = process::Output;
    fn deref(&self) -> &process::Output {
        &self.output
    }
}

/// A folder of the runner's own for the log files of one check, removed afterwards.
struct Scratch {
    dir: PathBuf,
    runs: std::cell::Cell<u32>,
}

impl Scratch {
    fn new(state_dir: &std::path::Path) -> Result<Scratch, CheckError> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = state_dir.join("runs").join(format!("{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(CheckError::Run)?;
        Ok(Scratch { dir, runs: std::cell::Cell::new(0) })
    }

    fn next_log(&self) -> PathBuf {
        self.runs.set(self.runs.get() + 1);
        self.dir.join(format!("run-{}.log", self.runs.get()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The outcomes of a run that the runner can trust: a step passed only if libtest's
/// log says so. Failure messages come from standard output (the panic report); a
/// `test … ok` line there counts for nothing. If libtest's closing summary (its last
/// `test result:` line) disagrees with the log, the output was forged or mangled, and
/// no step of the run passes.
fn trusted_outcomes(run: &Run) -> std::collections::BTreeMap<String, Outcome> {
    let printed = libtest::parse(&run.stdout);
    let mut outcomes = libtest::parse_log(&run.log);
    for (name, outcome) in outcomes.iter_mut() {
        if let (Outcome::Failed(message), Some(Outcome::Failed(printed))) = (&mut *outcome, printed.get(name)) {
            *message = printed.clone();
        }
    }
    let passed = outcomes.values().filter(|o| **o == Outcome::Passed).count();
    let exited_cleanly = matches!(run.ending, Ending::Exited(status) if status.success());
    if let Some(summary) = libtest::summary(&run.stdout)
        && exited_cleanly
        && summary.passed != passed
    {
        let forged = "the test output does not agree with the test harness's own record of \
                      it: did the code print libtest's lines itself? Only the harness decides \
                      what passed.";
        for outcome in outcomes.values_mut() {
            *outcome = Outcome::Failed(forged.into());
        }
    }
    outcomes
}

fn run_binary(
    binary: &PathBuf,
    dir: &PathBuf,
    filter: &[&str],
    limit: Option<Duration>,
    scratch: &Scratch,
    seed: Option<u64>,
) -> Result<Run, CheckError> {
    let seed = seed.map(|s| s.to_string());
    let env: Vec<(&str, std::ffi::OsString)> = seed.iter().map(|s| ("VERIFY_SEED", s.into())).collect();
    run_binary_env(binary, dir, filter, limit, scratch, &env)
}

/// [`run_binary`] with extra environment: `VERIFY_SEED` (the seeded simulations
/// read their seed from it, see kit::seed) and `VERIFY_TRACE` (they record
/// themselves into that folder, see kit::trace). Neither leaks in from the learner's
/// shell: only what the runner passes counts.
fn run_binary_env(
    binary: &PathBuf,
    dir: &PathBuf,
    filter: &[&str],
    limit: Option<Duration>,
    scratch: &Scratch,
    env: &[(&str, std::ffi::OsString)],
) -> Result<Run, CheckError> {
    let log = scratch.next_log();
    let mut command = Command::new(binary);
    command.current_dir(dir).env("CARGO_MANIFEST_DIR", dir).args(filter);
    command.env_remove("VERIFY_SEED").env_remove("VERIFY_TRACE");
    for (key, value) in env {
        command.env(key, value);
    }
    // The verdicts go to a file only libtest writes; the successes' output is shown
    // too, so a passing measuring step can show its figures.
    command.arg("--logfile").arg(&log).arg("--show-output");
    // The runner shows each failure's message and location; a backtrace (from a
    // RUST_BACKTRACE=1 many people keep in their shell) would bury them. For one,
    // run the test with `cargo test -p NAME` directly.
    command.env("RUST_BACKTRACE", "0");
    let mut output = process::run(command, limit).map_err(CheckError::Run)?;
    // libtest says `--logfile` is deprecated (its JSON output, the alternative, still
    // needs a nightly compiler); the learner need not read about it.
    output.stderr =
        output.stderr.lines().filter(|l| !l.contains("`--logfile` is deprecated")).map(|l| format!("{l}\n")).collect();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    Ok(Run { output, log })
}

/// Says how a test process ended when it did not report every step.
fn describe_exit(status: std::process::ExitStatus, stderr: &str) -> String {
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
    let detail = if tail.is_empty() { String::new() } else { format!(":\n{}", tail.join("\n")) };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let what = match signal {
                6 => "aborted (SIGABRT: a stack overflow from endless recursion, or a panic while panicking)",
                9 => "was killed (SIGKILL: out of memory?)",
                11 => "crashed (SIGSEGV)",
                _ => "was stopped by a signal",
            };
            return format!("the test process {what}{detail}");
        }
    }
    format!("the test process exited early with {status} (does the code call std::process::exit?){detail}")
}
