//! `cargo verify watch`: re-check the current exercise on every save, and move on to
//! the next one when it passes.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use notify::RecursiveMode;
use notify_debouncer_mini::new_debouncer;
use verify::{Exercise, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise to start with (default: the first one not done).
    name: Option<String>,
}

/// What wakes the watcher up. (Quitting does not wait for the loop: see `spawn_keys`.)
enum Event {
    Saved,
    Hint,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    spawn_keys(tx.clone());
    let files = tx.clone();
    // Editors save in bursts (write, rename, chmod); 200 ms of quiet makes it one event.
    let mut debouncer = new_debouncer(Duration::from_millis(200), move |events: notify_debouncer_mini::DebounceEventResult| {
        if events.is_ok_and(|e| !e.is_empty()) {
            let _ = files.send(Event::Saved);
        }
    })
    .context("cannot watch files on this system")?;

    let mut exercise: Option<&Exercise> = app.pick(args.name.as_deref())?;
    let mut watched: Option<std::path::PathBuf> = None;
    while let Some(current) = exercise {
        let src = current.crate_dir(app.mode).join("src");
        if watched.as_ref() != Some(&src) {
            if let Some(old) = watched.take() {
                let _ = debouncer.watcher().unwatch(&old);
            }
            debouncer.watcher().watch(&src, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", src.display()))?;
            watched = Some(src.clone());
        }
        clear_screen();
        let done = super::check::check_and_print(app, current)?;
        if done {
            exercise = app.current(&app.cache())?;
            if let Some(next) = exercise {
                println!("\n{} Next: {} — read book/{}.", style::green("On to the next exercise."), next.name, next.meta.chapter);
                println!("{}", style::dim("Press Enter to start it, or q + Enter to quit."));
                match rx.recv() {
                    Err(_) => return Ok(ExitCode::SUCCESS),
                    _ => continue,
                }
            }
            break;
        }
        println!("\n{}", style::dim(&format!("Watching {} — save a file to re-check; h + Enter for a hint, q + Enter to quit.", app.rel(&src))));
        loop {
            match rx.recv() {
                Ok(Event::Saved) => break,
                Ok(Event::Hint) => {
                    println!();
                    super::hint::show(app, current, super::hint::stuck_step(app, current), true)?;
                }
                Err(_) => return Ok(ExitCode::SUCCESS),
            }
        }
        // Drain saves that arrived during the check: one re-check covers them.
        while let Ok(Event::Saved) = rx.try_recv() {}
    }
    println!("\n{}", style::green("Every exercise is done. Well played!"));
    Ok(ExitCode::SUCCESS)
}

/// Reads commands from the keyboard: `h` for a hint, `q` to quit, Enter to go on.
/// When standard input is closed (not a terminal), the watcher just keeps watching.
fn spawn_keys(tx: mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            let event = match line.trim() {
                // Quit at once, even in the middle of a build: nothing is written
                // while checking, so there is nothing to finish first.
                "q" | "quit" => verify::process::quit(0),
                "h" | "hint" => Event::Hint,
                _ => Event::Saved,
            };
            if tx.send(event).is_err() {
                return;
            }
            line.clear();
        }
    });
}

fn clear_screen() {
    if style::enabled() {
        print!("\x1b[2J\x1b[H");
    }
}
