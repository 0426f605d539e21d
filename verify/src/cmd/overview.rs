//! `cargo verify`: progress in every exercise, and what to do next.

use std::process::ExitCode;

use verify::style;

use crate::app::{App, State, Status};

pub fn run(app: &App) -> anyhow::Result<ExitCode> {
    let cache = app.cache();
    let statuses = app.ws.exercises.iter().map(|e| app.status(e, &cache, true)).collect::<anyhow::Result<Vec<_>>>()?;
    println!("{}", style::bold(&format!("The P2P Handbook — your progress{}", mode_note(app))));
    println!();
    for status in &statuses {
        println!("{}", row(status));
    }
    let done = statuses.iter().filter(|s| s.state == State::Done).count();
    let steps: usize = statuses.iter().map(|s| s.steps_passed).sum();
    let total: usize = statuses.iter().map(|s| s.steps_total).sum();
    println!();
    println!("{done} of {} exercises done, {steps} of {total} steps.", statuses.len());
    match statuses.iter().find(|s| s.state != State::Done) {
        Some(next) => {
            let e = next.exercise;
            println!();
            println!("{} {}", style::bold("Next:"), e.meta.summary);
            println!("  read   book/{}", e.meta.chapter);
            println!(
                "  edit   {}",
                e.meta
                    .edit
                    .iter()
                    .map(|f| format!("{}/{f}", app.rel(e.crate_dir(app.mode))))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("  check  cargo verify check {}    (or `cargo verify watch`)", e.name);
        }
        None => println!("{}", style::green("Every exercise is done. Well played!")),
    }
    Ok(ExitCode::SUCCESS)
}

fn mode_note(app: &App) -> &'static str {
    match app.mode {
        verify::Mode::Exercises => "",
        verify::Mode::Solutions => " (reference solutions)",
    }
}

/// One line of the overview, e.g.
/// `  ✓ 01 identity        Identity                10/10 [##########] done`.
pub fn row(status: &Status) -> String {
    let e = status.exercise;
    let mark = match status.state {
        State::Done => style::green("✓"),
        State::InProgress => style::yellow("•"),
        State::NotStarted => " ".to_string(),
        State::NotChecked => style::yellow("?"),
    };
    let number = e.dir_name.split('-').next().unwrap_or("");
    format!(
        "  {mark} {number:>2} {:<15} {:<34} {:>3}/{:<3} {} {}",
        e.name,
        truncate(&e.meta.title, 34),
        status.steps_passed,
        status.steps_total,
        style::bar(status.steps_passed, status.steps_total, 10),
        style::dim(status.state.label()),
    )
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}
