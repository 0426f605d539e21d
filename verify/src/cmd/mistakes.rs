//! `cargo verify mistakes [NAME] [MISTAKE]`: for the handbook's developers, every
//! typical mistake of the catalogue (`verify/mistakes/NN-name.toml`) tried on a copy of
//! the reference, and whether the checks name it (see `verify::mistakes`).

use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context as _;
use verify::mistakes::{self, Trial};
use verify::{Exercise, Workspace, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// One exercise (default: every exercise with a catalogue).
    name: Option<String>,
    /// One mistake of that exercise, by its name.
    mistake: Option<String>,
    /// Exercises tried at the same time, each by a runner process of its own (cargo
    /// builds one at a time; the checks run side by side). Processes, not threads: a
    /// runner adopts and reaps every orphan below it, and two trials in one process
    /// would reap each other's children.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// First check that the unpatched reference, in the learner's place, passes every step.
    #[arg(long)]
    baseline: bool,
    /// Only read the catalogues and check that every edit applies (no build).
    #[arg(long)]
    lint: bool,
    /// Print every trial's whole first failing message, not only its first lines.
    #[arg(long)]
    verbose: bool,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let chosen: Vec<&Exercise> = match &args.name {
        Some(name) => vec![app.ws.find(name)?],
        None => app.ws.exercises.iter().collect(),
    };
    let mut work = Vec::new();
    let mut problems = Vec::new();
    let mut uncovered = Vec::new();
    for exercise in chosen {
        match mistakes::load(&app.ws.root, &exercise.dir_name)? {
            None => uncovered.push(exercise.name.clone()),
            Some(catalogue) => {
                problems.extend(mistakes::lint(exercise, &catalogue));
                let list: Vec<_> = catalogue
                    .mistakes
                    .into_iter()
                    .filter(|m| args.mistake.as_ref().is_none_or(|n| *n == m.name))
                    .collect();
                if args.mistake.is_some() && list.is_empty() {
                    anyhow::bail!("{} has no mistake called {:?}", exercise.name, args.mistake.unwrap_or_default());
                }
                work.push((exercise.dir_name.clone(), list));
            }
        }
    }
    for p in &problems {
        println!("{} {p}", style::red("✗"));
    }
    if args.lint || !problems.is_empty() {
        let total: usize = work.iter().map(|(_, l)| l.len()).sum();
        println!("{total} mistakes in {} catalogues; {} problems.", work.len(), problems.len());
        return Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }

    let started = Instant::now();
    let scratch = mistakes::prepare_scratch(&app.ws.root).context("cannot prepare the scratch handbook")?;
    if args.jobs > 1 && work.len() > 1 {
        return in_processes(app, &args, &work, started);
    }
    let scratch = Workspace::discover(&scratch, Some(&scratch))?;
    println!("{}", style::dim(&format!("Trying the mistakes in {}", scratch.root.display())));
    let mut results: Vec<Trial> = Vec::new();
    let timeout = app.timeout;
    for (dir_name, list) in &work {
        let Some(exercise) = scratch.exercises.iter().find(|e| e.dir_name == *dir_name) else { continue };
        if args.baseline {
            let t = mistakes::trial(&scratch, exercise, None, timeout);
            print_trial(&t, args.verbose);
            results.push(t);
        }
        for m in list {
            let t = mistakes::trial(&scratch, exercise, Some(m), timeout);
            print_trial(&t, args.verbose);
            results.push(t);
        }
        // Leave the scratch exercise as the reference, so that the next run starts
        // from a crate that already built.
        let _ = mistakes::place(exercise, &[]);
    }
    println!();
    println!("| exercise | mistakes | caught | seconds | seconds per mistake |");
    println!("|---|---:|---:|---:|---:|");
    let mut names: Vec<&str> = results.iter().map(|t| t.exercise.as_str()).collect();
    names.dedup();
    for name in names {
        let of: Vec<&Trial> = results.iter().filter(|t| t.exercise == name && t.mistake != BASELINE).collect();
        let seconds: f64 = of.iter().map(|t| t.elapsed.as_secs_f64()).sum();
        println!(
            "| {name} | {} | {} | {seconds:.0} | {:.1} |",
            of.len(),
            of.iter().filter(|t| t.caught).count(),
            seconds / of.len().max(1) as f64
        );
    }
    let missed: Vec<&Trial> = results.iter().filter(|t| !t.caught).collect();
    let tried = results.iter().filter(|t| t.mistake != BASELINE).count();
    println!();
    println!(
        "{} of {tried} mistakes caught as expected, in {:.0} s{}.",
        tried - missed.iter().filter(|t| t.mistake != BASELINE).count(),
        started.elapsed().as_secs_f64(),
        if uncovered.is_empty() || args.name.is_some() {
            String::new()
        } else {
            format!("; no catalogue yet: {}", uncovered.join(", "))
        }
    );
    Ok(if missed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

const BASELINE: &str = "(the reference itself)";

/// Tries each exercise's catalogue in a runner process of its own, `args.jobs` at a
/// time, and prints each one's report whole when it ends (so two never interleave).
/// The scratch handbook is prepared once, before: the processes only read it.
fn in_processes(
    app: &App,
    args: &Args,
    work: &[(String, Vec<mistakes::Mistake>)],
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the runner's own program")?;
    let queue = Mutex::new(work.iter().map(|(dir_name, _)| dir_name.clone()));
    let failed: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..args.jobs {
            s.spawn(|| {
                loop {
                    let Some(dir_name) = queue.lock().unwrap().next() else { break };
                    let mut command = Command::new(&exe);
                    command
                        .arg("--root")
                        .arg(&app.ws.root)
                        .arg("--timeout")
                        .arg(app.timeout.as_secs().to_string())
                        .args(["mistakes", &dir_name])
                        .args(args.baseline.then_some("--baseline"))
                        .args(args.verbose.then_some("--verbose"))
                        .stdin(Stdio::null());
                    let output = command.output();
                    // One lock for the print, so each report comes out whole.
                    let mut failed = failed.lock().unwrap();
                    match output {
                        Ok(out) => {
                            print!("{}", String::from_utf8_lossy(&out.stdout));
                            eprint!("{}", String::from_utf8_lossy(&out.stderr));
                            if !out.status.success() {
                                failed.push(dir_name);
                            }
                        }
                        Err(e) => {
                            println!("{} {dir_name}: could not start a runner ({e})", style::red("✗"));
                            failed.push(dir_name);
                        }
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    println!();
    println!(
        "{} of {} catalogues caught every mistake as expected, in {:.0} s{}.",
        work.len() - failed.len(),
        work.len(),
        started.elapsed().as_secs_f64(),
        if failed.is_empty() { String::new() } else { format!("; not: {}", failed.join(", ")) }
    );
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_trial(t: &Trial, verbose: bool) {
    let mark = if t.caught { style::green("✓") } else { style::red("✗") };
    let secs = t.elapsed.as_secs_f64();
    match &t.first_failure {
        Ok((step, message)) => {
            println!("{mark} {} {}: step {step} fails first ({secs:.1} s)", t.exercise, t.mistake);
            let lines: Vec<&str> = message.lines().collect();
            let shown = if verbose || !t.caught { lines.len() } else { lines.len().min(3) };
            for line in &lines[..shown] {
                let line: String = if line.chars().count() > 400 {
                    line.chars().take(400).chain(" …".chars()).collect()
                } else {
                    line.to_string()
                };
                println!("      {}", style::dim(&line));
            }
            if !t.caught {
                let want = t.step.map(|s| format!("step {s} ")).unwrap_or_default();
                println!("      expected {want}with {:?}", t.expect);
            }
        }
        Err(why) => println!("{mark} {} {}: {why} ({secs:.1} s)", t.exercise, t.mistake),
    }
}
