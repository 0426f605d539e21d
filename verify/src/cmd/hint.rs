//! `cargo verify hint [NAME]`: the next hint for the step you are stuck on, from the
//! gentlest to the most revealing.

use std::process::ExitCode;

use verify::progress::Hints;
use verify::{Exercise, steps, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise (default: the one you worked on last, else the first one not done).
    name: Option<String>,
    /// The step to get a hint for (default: the first step that does not pass yet).
    #[arg(long, value_name = "N")]
    step: Option<u32>,
    /// Show the hints already seen again, without revealing a new one.
    #[arg(long)]
    again: bool,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let Some(exercise) = app.pick(args.name.as_deref())? else {
        println!("Every exercise is done: no hints needed.");
        return Ok(ExitCode::SUCCESS);
    };
    let step = match args.step {
        Some(step) => step,
        None if all_passed(app, exercise) => {
            println!(
                "Every step of {name} passes: no hints needed. `cargo verify hint {name} --step N` shows \
                 a step's hints anyway.",
                name = exercise.name
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => stuck_step(app, exercise),
    };
    show(app, exercise, step, !args.again)?;
    Ok(ExitCode::SUCCESS)
}

/// The step a learner is stuck on: the first one the last check did not pass (the
/// first step if the exercise was never checked).
pub fn stuck_step(app: &App, exercise: &Exercise) -> u32 {
    let all = steps::scan(&exercise.checks_dir()).unwrap_or_default();
    let cache = app.cache();
    let passed = cache.get(&exercise.name).map(|e| e.passed.clone()).unwrap_or_default();
    all.iter().find(|s| !passed.contains(&s.function)).or(all.first()).map(|s| s.number).unwrap_or(1)
}

/// Whether the last check of `exercise` passed every step it has.
fn all_passed(app: &App, exercise: &Exercise) -> bool {
    let all = steps::scan(&exercise.checks_dir()).unwrap_or_default();
    let cache = app.cache();
    let passed = cache.get(&exercise.name).map(|e| e.passed.clone()).unwrap_or_default();
    !all.is_empty() && all.iter().all(|s| passed.contains(&s.function))
}

/// Prints the hints of `step` seen so far and, with `reveal`, the next one, and
/// remembers how far the learner got (per step, across runs).
pub fn show(app: &App, exercise: &Exercise, step: u32, reveal: bool) -> anyhow::Result<()> {
    let ladder = exercise.hints.step(step);
    let described = steps::scan(&exercise.checks_dir())
        .unwrap_or_default()
        .into_iter()
        .find(|s| s.number == step)
        .map(|s| s.description)
        .unwrap_or_default();
    println!("{}", style::bold(&format!("Hints for {}, step {step}: {described}", exercise.name)));
    if ladder.is_empty() {
        println!(
            "\nThis step has no hints. Its check in {}/ says exactly what is expected.",
            app.rel(&exercise.checks_dir())
        );
        return Ok(());
    }
    let store = Hints::new(&app.ws);
    let key = format!("{}/{step}", exercise.name);
    let seen = store.seen(&key).min(ladder.len());
    let show = if reveal { (seen + 1).min(ladder.len()) } else { seen.max(1) };
    for (i, hint) in ladder.iter().enumerate().take(show) {
        let text = format!("{}. {hint}", i + 1);
        if i + 1 == show && show > seen {
            println!("\n{}", style::bold(&text))
        } else {
            println!("\n{}", style::dim(&text))
        }
    }
    println!();
    if show < ladder.len() {
        println!("{} of {} hints for this step. Run it again for the next one.", show, ladder.len());
    } else {
        println!(
            "That was the last hint for step {step}. The chapter is book/{}; the reference \
             solution is one `cargo verify solution {} --force` away, but try once more first.",
            exercise.meta.chapter, exercise.name
        );
    }
    if show > seen {
        store.set_seen(&key, show)?;
    }
    Ok(())
}
