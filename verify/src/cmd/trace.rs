//! `cargo verify trace NAME [STEP]`: record a run and draw it.
//!
//! Every simulation the step runs records itself, and the runner draws each record
//! as a self-contained HTML space-time diagram under `target/verify/traces/NAME/`
//! (one column per node, time downwards, every message an arrow): the picture of what happened, for a passing
//! run as much as for a failing one. `--seed S` draws the run a sweep found.

use std::process::ExitCode;

use anyhow::Context as _;
use verify::checks::{self, Options, Report, StepOutcome};
use verify::{steps, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise, e.g. `gossip`.
    name: String,
    /// The step: its number (`3`) or its name (`step_3_partitions`); default: every step.
    step: Option<String>,
    /// Record the run under this seed (as `cargo verify check --seed S` replays it).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let exercise = app.ws.find(&args.name)?;
    let all =
        steps::scan(&exercise.checks_dir()).with_context(|| format!("cannot read the checks of {}", exercise.name))?;
    let chosen: Vec<String> = match &args.step {
        None => Vec::new(),
        Some(step) => {
            let found = all
                .iter()
                .find(|s| s.function == *step || step.parse::<u32>().is_ok_and(|n| n == s.number))
                .with_context(|| {
                    format!(
                        "{} has no step {step}; its steps are {}",
                        exercise.name,
                        all.iter().map(|s| s.number.to_string()).collect::<Vec<_>>().join(", ")
                    )
                })?;
            vec![found.function.clone()]
        }
    };
    println!("{} {} ({})", style::bold("Recording"), exercise.name, app.rel(exercise.crate_dir(app.mode)));
    let options = Options {
        mode: app.mode,
        timeout: app.timeout,
        color: style::enabled(),
        seed: args.seed,
        sweep: 0,
        through: None,
    };
    let names: Vec<&str> = chosen.iter().map(String::as_str).collect();
    let report = checks::trace(&app.ws, exercise, options, &names)?;
    let Report::Ran { steps, .. } = &report else {
        super::check::print_report(app, exercise, &report);
        return Ok(ExitCode::FAILURE);
    };
    println!();
    let mut drawn = 0;
    for result in steps {
        let mark = if result.outcome == StepOutcome::Passed { style::green("✓") } else { style::red("✗") };
        println!("  {mark} {}. {}", result.step.number, result.step.description);
        if let StepOutcome::Failed(message) | StepOutcome::Unfinished(message) = &result.outcome {
            println!("      {}", style::dim(style::strip_ansi(message).lines().next().unwrap_or("")));
        }
        if result.traces.is_empty() {
            println!("      {}", style::dim("no simulation to draw in this step"));
        }
        for file in &result.traces {
            drawn += 1;
            let arrows = std::fs::read_to_string(file)
                .ok()
                .and_then(|html| html.split("data-delivered=\"").nth(1)?.split('"').next().map(str::to_string))
                .unwrap_or_else(|| "?".into());
            println!("      {} ({arrows} messages)", app.rel(file));
        }
    }
    println!();
    if drawn == 0 {
        println!("Nothing to draw: these steps run no simulation.");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "Open a file in a browser: nodes are columns, time runs downwards, every message is an arrow (hover for its body)."
    );
    Ok(ExitCode::SUCCESS)
}
