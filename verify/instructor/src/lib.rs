//! The instructor's tools: the room's live dashboard (`cargo verify room`), a
//! learner's opt-in sharing with it (`cargo verify share`), and the offline room kit
//! (`cargo verify pack`).
//!
//! They are a crate of their own so that the runner stays a runner: the runner
//! (`verify`) depends on this crate, never the reverse, and everything passes
//! through the one interface below. The runner hands over the handbook it found
//! ([`Handbook`]) and the three commands to run ([`Command`], [`run`]); after each
//! check it records, it emits one event ([`Checked`], [`after_check`]), which
//! sharing turns into a signed datagram to the room. Nothing here builds or runs a
//! check, and the runner's core never names share, room or pack.

use std::process::ExitCode;

pub mod dashboard;
pub mod pack;
pub mod room;
pub mod share;

pub use verify_meta::{Workspace, style};

/// What the tools are told about the handbook: everything they know of the runner.
pub struct Handbook<'a> {
    /// The handbook the runner found: its folder, its state folder (`.verify/`, where
    /// sharing keeps its settings and key) and its exercises in book order.
    pub ws: &'a Workspace,
    /// The last `cargo verify doctor`'s one-line summary, if it ran
    /// (`fail: mdns-loopback; warn: disk`): sharing sends it, so the room sees who
    /// cannot do mDNS before it matters.
    pub doctor: Option<String>,
}

/// The event the runner emits after every check it records as a learner's progress:
/// one exercise's result, as the room shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The exercise's short name (`identity`).
    pub exercise: String,
    /// Steps passed, of `total`.
    pub passed: u16,
    pub total: u16,
    /// The first step that does not pass (1 when the crate does not compile), or none
    /// when every step passes.
    pub stuck: Option<u16>,
    /// What the audit of the learner's crate found, as short phrases
    /// (`unsafe`, `tests/ edited`); empty when nothing was found.
    pub audit: Vec<String>,
}

/// The tools' commands, as `cargo verify` shows them.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Share your progress with the instructor's room (opt-in; name and steps only).
    Share(share::Args),
    /// The instructor's live view of the room: a terminal table and a web page.
    Room(dashboard::Args),
    /// Write an offline room kit: vendored crates, a cargo config, instructions.
    Pack(pack::Args),
}

/// Runs one of the tools' commands.
pub fn run(handbook: &Handbook, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Share(args) => share::run(handbook, args),
        Command::Room(args) => dashboard::run(handbook.ws, args),
        Command::Pack(args) => pack::run(handbook.ws, args),
    }
}

/// Whether the learner shares their progress with a room (`cargo verify share`):
/// the runner asks before it works out a [`Checked`] event nobody would read.
pub fn sharing(ws: &Workspace) -> bool {
    share::settings_path(ws).exists()
}

/// The subscriber to the runner's event: records the result and sends it to the
/// room, if the learner shares. Never fails the check: a problem is one dim line.
pub fn after_check(handbook: &Handbook, checked: &Checked) {
    share::after_check(handbook, checked);
}

/// Seconds since 1970 by this laptop's clock.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
