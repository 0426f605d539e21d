//! `cargo verify hint [NAME]`: the next hint, from least to most revealing.

use std::process::ExitCode;

use verify::progress::Hints;
use verify::style;

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise (default: the first one not done).
    name: Option<String>,
    /// Show the hints already seen again, without revealing a new one.
    #[arg(long)]
    again: bool,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let Some(exercise) = app.pick(args.name.as_deref())? else {
        println!("Every exercise is done: no hints needed.");
        return Ok(ExitCode::SUCCESS);
    };
    let hints = &exercise.meta.hints;
    let store = Hints::new(&app.ws);
    let seen = store.seen(&exercise.name).min(hints.len());
    let show = if args.again { seen.max(1) } else { (seen + 1).min(hints.len()) };
    println!("{} ({} of {})", style::bold(&format!("Hints for {}", exercise.name)), show, hints.len());
    for (i, hint) in hints.iter().enumerate().take(show) {
        let text = format!("{}. {hint}", i + 1);
        if i + 1 == show && show > seen { println!("\n{}", style::bold(&text)) } else { println!("\n{}", style::dim(&text)) }
    }
    println!();
    if show < hints.len() {
        println!("Run it again for the next hint.");
    } else {
        println!(
            "That was the last hint. The chapter is book/{}; the reference solution is one \
             `cargo verify solution {} --force` away, but try once more first.",
            exercise.meta.chapter, exercise.name
        );
    }
    if show > seen {
        store.set_seen(&exercise.name, show)?;
    }
    Ok(ExitCode::SUCCESS)
}
