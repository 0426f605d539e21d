//! `cargo verify solution NAME`: the reference solution, once the exercise is done.

use std::process::{Command, ExitCode};

use verify::style;

use crate::app::{App, State};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise, e.g. `identity`.
    name: String,
    /// Show it even though the exercise is not done yet.
    #[arg(long)]
    force: bool,
    /// Show the differences between your files and the solution's (with git diff).
    #[arg(long)]
    diff: bool,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let exercise = app.ws.find(&args.name)?;
    if !args.force {
        let status = app.status(exercise, &app.cache(), true)?;
        if status.state != State::Done {
            println!(
                "The solution opens once {} is done ({} of {} steps pass now).",
                exercise.name, status.steps_passed, status.steps_total
            );
            println!("Keep going (`cargo verify hint {}` helps), or use --force to look now.", exercise.name);
            return Ok(ExitCode::FAILURE);
        }
    }
    for file in &exercise.meta.edit {
        let mine = exercise.dir.join(file);
        let theirs = exercise.solution_dir.join(file);
        println!("{}", style::bold(&format!("── {} ──", app.rel(&theirs))));
        if args.diff {
            // git prints a readable diff and is on every machine that cloned the
            // handbook; exit status 1 only means "they differ".
            // Paths relative to the root, so the diff reads `a/exercises/…` and
            // `b/solutions/…` rather than the whole path of the clone.
            let status = Command::new("git")
                .current_dir(&app.ws.root)
                .args([
                    "diff",
                    "--no-index",
                    "--ignore-blank-lines",
                    if style::enabled() { "--color=always" } else { "--color=never" },
                    "--",
                ])
                .arg(app.ws.rel(&mine))
                .arg(app.ws.rel(&theirs))
                .status();
            if status.is_err() {
                anyhow::bail!("--diff needs git; without it, leave out --diff to see the whole file");
            }
        } else {
            print!("{}", std::fs::read_to_string(&theirs).unwrap_or_else(|e| format!("(cannot read: {e})\n")));
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
