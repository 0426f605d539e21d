//! `cargo verify check [NAME]`: build and run one exercise's checks, step by step.

use std::process::ExitCode;

use verify::checks::{Report, StepOutcome};
use verify::{Exercise, libtest, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise, e.g. `identity` or `01-identity` (default: the first one not done).
    name: Option<String>,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let Some(exercise) = app.pick(args.name.as_deref())? else {
        println!("{}", style::green("Every exercise is done: nothing left to check."));
        return Ok(ExitCode::SUCCESS);
    };
    let done = check_and_print(app, exercise)?;
    Ok(if done { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Checks `exercise` and prints what a learner needs; returns whether it is done.
pub fn check_and_print(app: &App, exercise: &Exercise) -> anyhow::Result<bool> {
    println!(
        "{} {} ({}) — {}",
        style::bold("Checking"),
        style::bold(&exercise.name),
        app.rel(exercise.crate_dir(app.mode)),
        exercise.meta.title
    );
    app.warn_edited_checks(exercise);
    let report = app.check(exercise)?;
    print_report(app, exercise, &report);
    Ok(report.done())
}

/// How many lines of a failure message to show for the step to fix next.
const MESSAGE_LINES: usize = 20;
/// How many compiler errors to show in full.
const ERRORS_SHOWN: usize = 3;

pub fn print_report(app: &App, exercise: &Exercise, report: &Report) {
    match report {
        Report::BuildFailed { errors, cargo } => {
            println!();
            println!("{}", style::red("✗ The code does not compile yet."));
            println!();
            for error in errors.iter().take(ERRORS_SHOWN) {
                println!("{error}\n");
            }
            if errors.len() > ERRORS_SHOWN {
                println!("… and {} more errors; fix the first ones first, the rest often follow.", errors.len() - ERRORS_SHOWN);
            }
            if errors.is_empty() {
                // Not a compiler error: cargo itself failed (a bad Cargo.toml, no network
                // for a new dependency, …). Its last lines say why.
                let tail: Vec<&str> = cargo.lines().rev().take(15).collect();
                println!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
            println!(
                "Build it yourself with: cargo test -p {} --no-run",
                exercise.package(app.mode)
            );
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
                        let shown = if first_failure {
                            libtest::cut(&message, MESSAGE_LINES)
                        } else {
                            message.lines().next().unwrap_or("").to_string()
                        };
                        for line in shown.lines() {
                            println!("      {}", style::dim(line));
                        }
                        first_failure = false;
                    }
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
                println!(
                    "  Stuck? cargo verify hint {}    The checks: {}/",
                    exercise.name,
                    app.rel(&exercise.checks_dir())
                );
            }
        }
    }
}
