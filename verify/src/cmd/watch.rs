//! `cargo verify watch`: re-check the current exercise every time a file under its
//! `src/` is saved, and move on to the next one when it passes.
//!
//! Only writes count. Building an exercise and fingerprinting it read every source
//! file, and inotify reports opens and reads too; a watcher that woke on those would
//! re-check itself for ever. So the watcher keeps only the events a save makes —
//! data written, a file closed after writing, created, renamed or removed — and lets
//! a burst of them (editors write, rename and chmod in one save) settle first.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use verify::{Exercise, style};

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise to start with (default: the one you edited last, else the first
    /// one not done).
    name: Option<String>,
}

/// What wakes the watcher up. (Quitting does not wait for the loop: see `spawn_keys`.)
enum Event {
    /// A file under the watched `src/` was written.
    Saved,
    /// The learner pressed Enter.
    Enter,
    Hint,
    /// The file watcher itself failed: shown, never dropped.
    WatchError(String),
}

/// How long a burst of file events must be quiet before it counts as one save.
const SETTLE: Duration = Duration::from_millis(200);

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    let mut inbox = Inbox { rx, held: Default::default() };
    spawn_keys(tx.clone());
    let files = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let message = match event {
            Ok(event) if is_save(&event) => Event::Saved,
            Ok(_) => return,
            Err(error) => Event::WatchError(error.to_string()),
        };
        let _ = files.send(message);
    })
    .context("cannot watch files on this system")?;

    let mut exercise: Option<&Exercise> = app.pick(args.name.as_deref())?;
    let mut watched: Option<PathBuf> = None;
    while let Some(current) = exercise {
        let src = current.crate_dir(app.mode).join("src");
        if watched.as_ref() != Some(&src) {
            if let Some(old) = watched.take() {
                let _ = watcher.unwatch(&old);
            }
            watcher.watch(&src, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", src.display()))?;
            watched = Some(src.clone());
        }
        clear_screen();
        let done = super::check::check_and_print(app, current, crate::app::Seeds::ORDINARY)?;
        // A save that landed while the check ran is newer than what was just checked:
        // check again at once, or the learner reads a result for code they have
        // already changed. (The check's own reads and builds never reach the inbox:
        // `is_save` keeps writes under `src/` only.)
        if inbox.saved_meanwhile() {
            inbox.settle();
            println!("\n{}", style::dim("You saved while the check ran: checking again."));
            continue;
        }
        if done {
            exercise = app.current(&app.cache())?;
            if let Some(next) = exercise {
                println!(
                    "\n{} Next: {} — read book/{}.",
                    style::green("On to the next exercise."),
                    next.name,
                    next.meta.chapter
                );
                println!("{}", style::dim("Press Enter to start it, or q + Enter to quit."));
                loop {
                    match inbox.recv() {
                        Ok(Event::Enter) => break,
                        Ok(Event::Hint) => println!("{}", style::dim("Press Enter to start the next exercise first.")),
                        Ok(Event::WatchError(e)) => {
                            eprintln!("{} the file watcher failed: {e}", style::yellow("warning:"))
                        }
                        Ok(Event::Saved) => {}
                        Err(_) => return Ok(ExitCode::SUCCESS),
                    }
                }
                continue;
            }
            break;
        }
        println!(
            "\n{}",
            style::dim(&format!(
                "Watching {} — save a file to re-check; Enter to re-check now, h + Enter for a hint, q + Enter to quit.",
                app.rel(&src)
            ))
        );
        loop {
            match inbox.recv() {
                Ok(Event::Saved) => {
                    inbox.settle();
                    break;
                }
                Ok(Event::Enter) => break,
                Ok(Event::Hint) => {
                    println!();
                    super::hint::show(app, current, super::hint::stuck_step(app, current), true)?;
                }
                Ok(Event::WatchError(e)) => {
                    eprintln!(
                        "{} the file watcher failed: {e}. Press Enter to re-check by hand.",
                        style::yellow("warning:")
                    );
                }
                Err(_) => return Ok(ExitCode::SUCCESS),
            }
        }
    }
    println!("\n{}", style::green("Every exercise is done. Well played!"));
    Ok(ExitCode::SUCCESS)
}

/// Whether a file event is part of a save: content written, a file closed after
/// writing, created, renamed or removed. Opens, reads and metadata changes are not,
/// and neither are editors' swap and backup files.
fn is_save(event: &notify::Event) -> bool {
    let kind = matches!(
        event.kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any)
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    );
    kind && event.paths.iter().any(|p| !is_editor_scratch(p))
}

/// `.lib.rs.swp`, `lib.rs~`, `#lib.rs#`, vim's `4913` probe: files editors write
/// beside the real one.
fn is_editor_scratch(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name == "4913"
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
}

/// The watcher's events, with a way to let a burst of saves settle without losing
/// a key pressed in the middle of it.
struct Inbox {
    rx: mpsc::Receiver<Event>,
    held: std::collections::VecDeque<Event>,
}

impl Inbox {
    fn recv(&mut self) -> Result<Event, mpsc::RecvError> {
        match self.held.pop_front() {
            Some(event) => Ok(event),
            None => self.rx.recv(),
        }
    }

    /// Whether a save has arrived that nobody has read yet (without waiting); other
    /// events read on the way are kept for `recv`, in order.
    fn saved_meanwhile(&mut self) -> bool {
        let mut saved = false;
        while let Ok(event) = self.rx.try_recv() {
            match event {
                Event::Saved => saved = true,
                other => self.held.push_back(other),
            }
        }
        saved
    }

    /// Waits until no save has arrived for [`SETTLE`], swallowing the burst; other
    /// events are kept for `recv`, in order.
    fn settle(&mut self) {
        while let Ok(event) = self.rx.recv_timeout(SETTLE) {
            if !matches!(event, Event::Saved) {
                self.held.push_back(event);
            }
        }
        self.held.retain(|e| !matches!(e, Event::Saved));
    }
}

/// Reads commands from the keyboard: `h` for a hint, `q` to quit, Enter to go on or
/// re-check. When standard input is closed (not a terminal), the watcher just keeps
/// watching.
fn spawn_keys(tx: mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            let event = match line.trim() {
                // Quit at once, even in the middle of a build: nothing is written
                // while checking, so there is nothing to finish first.
                "q" | "quit" => verify::process::quit(0),
                "h" | "hint" => Event::Hint,
                _ => Event::Enter,
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
