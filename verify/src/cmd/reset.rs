//! `cargo verify reset NAME`: back up the learner's version, then restore the
//! pristine exercise. Nothing is ever deleted without a copy.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use verify::style;

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The exercise to reset, e.g. `identity` or `01-identity`.
    name: String,
}

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    let exercise = app.ws.find(&args.name)?;
    let dir = exercise.crate_dir(app.mode);
    if app.git.rev().is_none() {
        anyhow::bail!(
            "cannot reset {}: the pristine exercise comes from git, and this folder is not \
             a git checkout. Your files are untouched.",
            exercise.name
        );
    }
    let backup = backup(app, exercise)?;
    app.git.restore(dir).with_context(|| {
        format!("could not restore {} (your version is safe in {})", app.rel(dir), backup.display())
    })?;
    println!("Saved your version of {} to {}", exercise.name, style::bold(&app.rel(&backup)));
    println!("Restored {} to its pristine state.", app.rel(dir));
    println!("  To bring your version back: cargo verify restore {}", exercise.name);
    Ok(ExitCode::SUCCESS)
}

/// Copies the exercise as it is now to a new folder under `.verify/backups/`, and
/// returns that folder.
pub fn backup(app: &App, exercise: &verify::Exercise) -> anyhow::Result<PathBuf> {
    let dir = exercise.crate_dir(app.mode);
    let backup = backup_dir(&app.ws.state_dir.join("backups"), &exercise.dir_name);
    super::restore::copy_plain(dir, &backup)
        .with_context(|| format!("could not back up {} to {}", app.rel(dir), backup.display()))?;
    Ok(backup)
}

/// `.verify/backups/01-identity-2026-11-24-031502`, unique even within one second.
fn backup_dir(base: &Path, dir_name: &str) -> PathBuf {
    let stamp = timestamp(std::time::SystemTime::now());
    let mut path = base.join(format!("{dir_name}-{stamp}"));
    let mut n = 2;
    while path.exists() {
        path = base.join(format!("{dir_name}-{stamp}-{n}"));
        n += 1;
    }
    path
}

/// UTC `YYYY-MM-DD-HHMMSS`, sortable, and safe in a file name on every system.
fn timestamp(time: std::time::SystemTime) -> String {
    let secs = time.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::timestamp;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01-000000");
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_709_210_096)), "2024-02-29-123456");
    }
}
