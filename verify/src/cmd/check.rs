//! `cargo verify check [NAME]`: build and run one exercise's checks, step by step.

use std::process::ExitCode;

use verify::checks::{Report, StepOutcome, StepResult};
use verify::{Exercise, libtest, style};

use crate::app::{App, Seeds};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise, e.g. `identity` or `01-identity` (default: the one you worked on
    /// last, else the first one not done).
    name: Option<String>,
    /// Print the result as JSON (steps, outcomes, messages, figures) for scripts and
    /// for comparing figures across a room.
    #[arg(long)]
    json: bool,
    /// Run every simulated step again under N more seeds, and say per step how many
    /// passed and which seed replays the first failure.
    #[arg(long, value_name = "N", conflicts_with = "seed")]
    seeds: Option<u32>,
    /// Replay one run exactly: every simulated step under seed S.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let Some(exercise) = app.pick(args.name.as_deref())? else {
        println!("{}", style::green("Every exercise is done: nothing left to check."));
        return Ok(ExitCode::SUCCESS);
    };
    let seeds = Seeds { replay: args.seed, sweep: args.seeds.unwrap_or(0) };
    let done = if args.json {
        let report = app.check(exercise, seeds)?;
        let mut json = to_json(exercise, &report);
        json["audit"] = serde_json::to_value(audit(app, exercise))?;
        println!("{}", serde_json::to_string_pretty(&json)?);
        report.done()
    } else {
        check_and_print(app, exercise, seeds)?
    };
    Ok(if done { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The report as JSON: what `--json` prints.
fn to_json(exercise: &Exercise, report: &Report) -> serde_json::Value {
    match report {
        Report::BuildFailed { errors, cargo } => serde_json::json!({
            "name": exercise.name,
            "done": false,
            "built": false,
            "errors": errors.iter().map(|e| style::strip_ansi(e)).collect::<Vec<_>>(),
            "needs_network": needs_network(cargo),
        }),
        Report::Ran { steps, elapsed } => serde_json::json!({
            "name": exercise.name,
            "done": report.done(),
            "built": true,
            "seconds": elapsed.as_secs_f64(),
            "steps": steps.iter().map(|r| {
                let (outcome, message) = match &r.outcome {
                    StepOutcome::Passed => ("passed", None),
                    StepOutcome::Failed(m) => ("failed", Some(style::strip_ansi(m))),
                    StepOutcome::Unfinished(m) => ("unfinished", Some(style::strip_ansi(m))),
                };
                serde_json::json!({
                    "number": r.step.number,
                    "function": r.step.function,
                    "description": r.step.description,
                    "outcome": outcome,
                    "message": message,
                    "figures": r.figures,
                    "seeded": r.seeded,
                    "sweep": r.sweep,
                    "traces": r.traces,
                })
            }).collect::<Vec<_>>(),
        }),
    }
}

/// When cargo failed because it could not download a crate, the crate it named (or
/// `"?"`): the learner needs the network once, not a fix to their code.
pub fn needs_network(cargo: &str) -> Option<String> {
    const SIGNS: [&str; 8] = [
        "failed to download",
        "you're using offline mode",
        "attempting to make an HTTP request, but --offline was specified",
        "Unable to update registry",
        "failed to query replaced source registry",
        "Couldn't resolve host",
        "failed to get `",
        "download of ",
    ];
    cargo.lines().find(|l| SIGNS.iter().any(|s| l.contains(s)))?;
    let crate_name = cargo.lines().find_map(|l| {
        let rest = l.split("failed to download ").nth(1)?;
        Some(rest.trim().trim_matches('`').to_string())
    });
    Some(crate_name.unwrap_or_else(|| "?".into()))
}

/// Checks `exercise` (under `seeds`) and prints what a learner needs; returns whether
/// it is done.
pub fn check_and_print(app: &App, exercise: &Exercise, seeds: Seeds) -> anyhow::Result<bool> {
    let Seeds { replay: seed, sweep } = seeds;
    println!(
        "{} {} ({}) — {}",
        style::bold("Checking"),
        style::bold(&exercise.name),
        app.rel(exercise.crate_dir(app.mode)),
        exercise.meta.title
    );
    app.warn_edited_checks(exercise);
    if let Some(seed) = seed {
        println!(
            "{}",
            style::dim(&format!("Replaying seed {seed} in every simulated step (progress is not recorded)."))
        );
    }
    if sweep > 0 {
        println!(
            "{}",
            style::dim(&format!(
                "Then every simulated step again under seeds 1 to {sweep} (progress is not recorded)."
            ))
        );
    }
    let report = app.check(exercise, seeds)?;
    print_report(app, exercise, &report);
    print_audit(app, exercise);
    Ok(report.done())
}

/// Says what the audit of `exercise`'s crate found, if anything, after a check.
pub fn print_audit(app: &App, exercise: &Exercise) {
    let findings = audit(app, exercise);
    if findings.is_empty() {
        return;
    }
    // Each thing found once, at its first place.
    let mut firsts: Vec<&verify::audit::Finding> = Vec::new();
    for f in &findings {
        if !firsts.iter().any(|seen| seen.what == f.what) {
            firsts.push(f);
        }
    }
    let places: Vec<String> = firsts
        .iter()
        .map(|f| if f.line > 0 { format!("{} ({}:{})", f.what, f.file, f.line) } else { f.what.clone() })
        .collect();
    eprintln!(
        "{} the audit found {} in this crate ({} place{} in all): the exercises never need these, so a \
         result from this crate is marked (`--json` lists every place; the room marks your row when you share).",
        style::yellow("⚠"),
        places.join(", "),
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
}

/// The audit of `exercise`'s crate (see `verify::audit`), with `tests/ edited` and
/// `Cargo.toml edited` when those differ from the pristine ones.
pub fn audit(app: &App, exercise: &Exercise) -> Vec<verify::audit::Finding> {
    let dir = exercise.crate_dir(app.mode);
    let mut findings = verify::audit::scan(dir);
    // The checks, and the manifest (a new dependency can run code at build time or
    // before `main`), as the handbook shipped them?
    for (path, what) in [("tests", "tests/ edited"), ("Cargo.toml", "Cargo.toml edited")] {
        if app.git.state(&dir.join(path)) == verify::pristine::State::Modified {
            findings.push(verify::audit::Finding { what: what.into(), file: path.into(), line: 0 });
        }
    }
    findings
}

/// How many lines of a failure message to show for the step to fix next.
const MESSAGE_LINES: usize = 20;
/// How many for each later failing step: enough for the assertion's own message
/// and its values; the location is always shown too (`libtest::cut` keeps it).
const LATER_MESSAGE_LINES: usize = 6;
/// How many compiler errors to show in full.
const ERRORS_SHOWN: usize = 3;

pub fn print_report(app: &App, exercise: &Exercise, report: &Report) {
    match report {
        Report::BuildFailed { errors, cargo } if errors.is_empty() && needs_network(cargo).is_some() => {
            let what = needs_network(cargo).unwrap_or_default();
            println!();
            println!("{}", style::red("✗ Cargo needs the network once, and could not reach it."));
            println!();
            if what != "?" {
                println!("  It could not download {what}.");
            }
            println!("  Your code was not built, so nothing is wrong with it. Once you are online, run");
            println!("      cargo verify setup");
            println!("  It downloads and builds everything every exercise needs (a few minutes, once);");
            println!("  after that, everything works offline.");
            let tail: Vec<&str> = cargo.lines().rev().take(4).collect();
            println!("{}", style::dim(&tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
        }
        Report::BuildFailed { errors, cargo } => {
            println!();
            println!("{}", style::red("✗ The code does not compile yet."));
            println!();
            for error in errors.iter().take(ERRORS_SHOWN) {
                println!("{error}\n");
            }
            if errors.len() > ERRORS_SHOWN {
                println!(
                    "… and {} more errors; fix the first ones first, the rest often follow.",
                    errors.len() - ERRORS_SHOWN
                );
            }
            if errors.is_empty() {
                // Not a compiler error: cargo itself failed (a bad Cargo.toml, no network
                // for a new dependency, …). Its last lines say why.
                let tail: Vec<&str> = cargo.lines().rev().take(15).collect();
                println!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
            println!("Build it yourself with: cargo test -p {} --no-run", exercise.package(app.mode));
        }
        Report::Ran { steps, elapsed } => {
            println!();
            let mut first_failure = true;
            for result in steps {
                let label = format!("{}. {}", result.step.number, result.step.description);
                match &result.outcome {
                    StepOutcome::Passed => println!("  {} {label}", style::green("✓")),
                    StepOutcome::Failed(message) | StepOutcome::Unfinished(message) => {
                        println!("  {} {label}", style::red("✗"));
                        let message = style::strip_ansi(message);
                        let shown =
                            libtest::cut(&message, if first_failure { MESSAGE_LINES } else { LATER_MESSAGE_LINES });
                        for line in shown.lines() {
                            println!("      {}", style::dim(line));
                        }
                        first_failure = false;
                    }
                }
                for file in &result.traces {
                    println!("      {} {}", style::dim("picture of the run:"), app.rel(file));
                }
                if let Some(sweep) = &result.sweep {
                    let tally = format!("{} of {} seeds pass", sweep.passed, sweep.runs);
                    let tally = if sweep.passed == sweep.runs { style::green(&tally) } else { style::red(&tally) };
                    match &sweep.first_failure {
                        Some((seed, _)) => println!(
                            "      {} {tally}; replay the first failure: cargo verify check {} --seed {seed}",
                            style::dim("seeds:"),
                            exercise.name
                        ),
                        None => println!("      {} {tally}", style::dim("seeds:")),
                    }
                }
                if !result.figures.is_empty() {
                    let figures: Vec<String> =
                        result.figures.iter().map(|f| format!("{} {}", f.label, f.value)).collect();
                    println!("      {} {}", style::dim("measured:"), figures.join(" · "));
                }
            }
            let passed = report.passed().len();
            println!();
            if report.done() {
                println!(
                    "{} all {} steps pass ({:.1} s).",
                    style::green(&format!("✓ {} is done:", exercise.name)),
                    steps.len(),
                    elapsed.as_secs_f64()
                );
                if app.mode == verify::Mode::Exercises {
                    println!("  Compare with the reference: cargo verify solution {}", exercise.name);
                    println!("  Then move on: cargo verify");
                }
            } else {
                println!("{passed} of {} steps pass ({:.1} s).", steps.len(), elapsed.as_secs_f64());
                if let Some(note) = follow_on_note(steps) {
                    println!("  {note}");
                }
                println!(
                    "  Stuck? cargo verify hint {}    The checks: {}/",
                    exercise.name,
                    app.rel(&exercise.checks_dir())
                );
            }
        }
    }
}

/// When some steps pass and more than one fails: which failing step to start with. A
/// later step runs code that earlier steps check, so its failure may only echo an
/// earlier one (a codec bug shows up again as a node that "sends nothing"). Nothing when
/// no step passes yet (every step fails at its stub; the order is plain) or when one
/// step fails.
pub fn follow_on_note(steps: &[StepResult]) -> Option<String> {
    let failing: Vec<u32> = steps.iter().filter(|r| r.outcome != StepOutcome::Passed).map(|r| r.step.number).collect();
    let passed = steps.len() - failing.len();
    match failing[..] {
        [first, _, ..] if passed > 0 => Some(format!(
            "Start with step {first}: later steps use what earlier ones check, so a failure after it may only \
             follow from it."
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verify::steps::Step;

    fn result(number: u32, passed: bool) -> StepResult {
        StepResult {
            step: Step { number, function: format!("step_{number}_x"), description: String::new() },
            outcome: if passed { StepOutcome::Passed } else { StepOutcome::Failed("no".into()) },
            figures: Vec::new(),
            seeded: false,
            sweep: None,
            traces: Vec::new(),
        }
    }

    #[test]
    fn the_note_names_the_first_failing_step_only_when_it_helps() {
        let run = |passes: &[bool]| {
            let steps: Vec<StepResult> = passes.iter().enumerate().map(|(i, p)| result(i as u32 + 1, *p)).collect();
            follow_on_note(&steps)
        };
        let note = run(&[true, false, true, false]).expect("a passing step and two failing ones");
        assert!(note.starts_with("Start with step 2:"), "{note}");
        assert_eq!(run(&[false, false, false]), None, "nothing passes yet: every step is at its stub");
        assert_eq!(run(&[true, true, false]), None, "one failing step needs no pointer");
        assert_eq!(run(&[true, true]), None);
    }
}
