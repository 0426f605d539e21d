//! `cargo verify list [--json]`: every exercise, for people or for scripts.

use std::process::ExitCode;

use serde::Serialize;

use crate::app::{App, State};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a JSON list of objects (name, chapter, steps_total, steps_passed, state)
    /// instead of a table.
    #[arg(long)]
    json: bool,
}

/// One exercise as `--json` prints it. Field names are an interface: dashboards
/// read them.
#[derive(Serialize)]
struct Item<'a> {
    name: &'a str,
    dir: String,
    title: &'a str,
    chapter: &'a str,
    minutes: u32,
    steps_total: usize,
    steps_passed: usize,
    state: State,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let cache = app.cache();
    let statuses = app.ws.exercises.iter().map(|e| app.status(e, &cache, false)).collect::<anyhow::Result<Vec<_>>>()?;
    if args.json {
        let items: Vec<Item> = statuses
            .iter()
            .map(|s| Item {
                name: &s.exercise.name,
                dir: app.rel(s.exercise.crate_dir(app.mode)),
                title: &s.exercise.meta.title,
                chapter: &s.exercise.meta.chapter,
                minutes: s.exercise.meta.minutes,
                steps_total: s.steps_total,
                steps_passed: s.steps_passed,
                state: s.state,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        // Columns as wide as their longest entry, so long chapter paths stay aligned.
        let name_w = statuses.iter().map(|s| s.exercise.name.chars().count()).max().unwrap_or(0).max(8);
        let chapter_w = statuses.iter().map(|s| s.exercise.meta.chapter.chars().count()).max().unwrap_or(0).max(7);
        println!("  {:<2} {:<name_w$} {:<chapter_w$} {:>7} {:>5}  state", "#", "exercise", "chapter", "steps", "min");
        for s in &statuses {
            let e = s.exercise;
            println!(
                "  {:<2} {:<name_w$} {:<chapter_w$} {:>3}/{:<3} {:>5}  {}",
                e.dir_name.split('-').next().unwrap_or(""),
                e.name,
                e.meta.chapter,
                s.steps_passed,
                s.steps_total,
                e.meta.minutes,
                s.state.label()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
