//! `cargo verify`: the handbook's runner.
//!
//! One module per subcommand under `cmd/`; errors bubble up with context to `main`,
//! which prints them in one place.

mod app;
mod cmd;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Check your exercises of The P2P Handbook, step by step.
///
/// With no command: your progress in every exercise and what to do next.
#[derive(Parser, Debug)]
#[command(name = "cargo verify", version, after_help = AFTER_HELP)]
struct Cli {
    /// Work on the reference solutions (solutions/) instead of the exercises.
    #[arg(long, global = true)]
    solutions: bool,

    /// Time limit for running one exercise's checks, in seconds (building is not
    /// limited).
    #[arg(long, global = true, env = "VERIFY_TIMEOUT", default_value_t = 60, value_name = "SECS")]
    timeout: u64,

    /// The handbook's folder (default: found from the current folder upwards).
    #[arg(long, global = true, env = "VERIFY_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

const AFTER_HELP: &str = "Examples:
  cargo verify                     progress of every exercise (the first run prepares everything)
  cargo verify setup               download and build everything once, to work offline
  cargo verify doctor              what will fail on this laptop, and the fix (--lan in the room)
  cargo verify check identity      check one exercise (or: 01-identity)
  cargo verify watch               re-check on every save
  cargo verify hint                the next hint for the current exercise";

#[derive(Subcommand, Debug)]
enum Command {
    /// Show every exercise as a table, or as JSON for scripts and dashboards.
    List(cmd::list::Args),
    /// Build and run one exercise's checks, step by step.
    Check(cmd::check::Args),
    /// Re-check the current exercise whenever you save a file under its src/.
    Watch(cmd::watch::Args),
    /// Show the next hint, from least to most revealing.
    Hint(cmd::hint::Args),
    /// Restore an exercise to its pristine state, after backing up your version.
    Reset(cmd::reset::Args),
    /// Bring back a backed-up version of an exercise (the latest, or --from DIR).
    Restore(cmd::restore::Args),
    /// Download and build everything the exercises need, once, so the day works offline.
    Setup(cmd::setup::Args),
    /// Check this laptop before the workshop: Rust, disk, offline readiness, multicast, firewall.
    Doctor(cmd::doctor::Args),
    /// Show the reference solution (once the exercise is done, or with --force).
    Solution(cmd::solution::Args),
    /// Record a run of an exercise's simulated steps as space-time diagrams (HTML).
    Trace(cmd::trace::Args),
    /// share, room and pack: the instructor's tools (the `instructor` crate).
    #[command(flatten)]
    Tools(instructor::Command),
    /// For the handbook's developers: try the catalogue of typical mistakes on copies of the reference.
    #[command(hide = true)]
    Mistakes(cmd::mistakes::Args),
    /// The room chat, built from every part whose exercise you finished (the rest the reference's).
    Chat(cmd::chat::Args),
}

fn main() -> ExitCode {
    // `cargo verify hint | head` closes the pipe early: end quietly, as other
    // command-line tools do, rather than panic on the next print.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    verify::process::install_interrupt_handler();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{} {error:#}", verify::style::red("error:"));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut app = app::App::new(cli.root.as_deref(), cli.solutions, cli.timeout)?;
    // The one subscriber to the runner's event after a check: sharing with the room.
    app.subscribe(tools::after_check);
    match cli.command {
        None => {
            // The first `cargo verify` on a clone prepares the whole workshop, so that
            // the rest of the day works offline (VERIFY_NO_SETUP skips it, for tests).
            if std::env::var_os("VERIFY_NO_SETUP").is_none() && cmd::setup::needed(&app) && !cmd::setup::prepare(&app)?
            {
                return Ok(ExitCode::FAILURE);
            }
            cmd::overview::run(&app)
        }
        Some(Command::List(args)) => cmd::list::run(&app, args),
        Some(Command::Check(args)) => cmd::check::run(&app, args),
        Some(Command::Watch(args)) => cmd::watch::run(&app, args),
        Some(Command::Hint(args)) => cmd::hint::run(&app, args),
        Some(Command::Reset(args)) => cmd::reset::run(&app, args),
        Some(Command::Restore(args)) => cmd::restore::run(&app, args),
        Some(Command::Setup(args)) => cmd::setup::run(&app, args),
        Some(Command::Doctor(args)) => cmd::doctor::run(&app, args),
        Some(Command::Solution(args)) => cmd::solution::run(&app, args),
        Some(Command::Trace(args)) => cmd::trace::run(&app, args),
        Some(Command::Tools(command)) => tools::run(&app, command),
        Some(Command::Chat(args)) => cmd::chat::run(&app, args),
        Some(Command::Mistakes(args)) => cmd::mistakes::run(&app, args),
    }
}
