//! The runner's side of its one interface to the instructor's tools (the
//! `instructor` crate: `cargo verify room`, `share`, `pack`). The tools know the
//! handbook only as the runner describes it ([`instructor::Handbook`]) and a check
//! only as the event the runner emits after it ([`instructor::Checked`]); the
//! runner's core (`app.rs`, `verify::checks`) never names them.

use std::process::ExitCode;

use verify::checks::{Report, StepOutcome};
use verify::{Exercise, Mode, steps};

use crate::app::App;

/// The handbook as the tools see it.
fn handbook(app: &App) -> instructor::Handbook<'_> {
    instructor::Handbook { ws: &app.ws, doctor: crate::cmd::doctor::saved(app).map(|r| r.summary()) }
}

/// Runs one of the tools' commands.
pub fn run(app: &App, command: instructor::Command) -> anyhow::Result<ExitCode> {
    instructor::run(&handbook(app), command)
}

/// Subscribed to the runner's event after every check it records: a learner who
/// shares gets the result sent to the room. Only a learner's own exercises are
/// shared, and the event (with its audit, which asks git) is made only when sharing.
pub fn after_check(app: &App, exercise: &Exercise, report: &Report) {
    if app.mode != Mode::Exercises || !instructor::sharing(&app.ws) {
        return;
    }
    let total = steps::scan(&exercise.checks_dir()).map(|s| s.len()).unwrap_or(0);
    let mut checked = checked(exercise, report, total);
    checked.audit = verify::audit::summary(&crate::cmd::check::audit(app, exercise));
    instructor::after_check(&handbook(app), &checked);
}

/// One check's result as the room shows it: steps passed of `total`, and the first
/// step not passing (step 1 when the crate does not compile).
fn checked(exercise: &Exercise, report: &Report, total: usize) -> instructor::Checked {
    let total = u16::try_from(total).unwrap_or(u16::MAX);
    let (passed, stuck) = match report {
        Report::BuildFailed { .. } => (0, (total > 0).then_some(1)),
        Report::Ran { steps, .. } => {
            let passed = steps.iter().filter(|r| r.outcome == StepOutcome::Passed).count();
            let stuck = steps.iter().find(|r| r.outcome != StepOutcome::Passed).map(|r| r.step.number);
            (u16::try_from(passed).unwrap_or(u16::MAX), stuck.and_then(|n| u16::try_from(n).ok()))
        }
    };
    instructor::Checked { exercise: exercise.name.clone(), passed, total, stuck, audit: Vec::new() }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use verify::checks::StepResult;
    use verify::steps::Step;

    use super::*;

    fn ran(outcomes: &[StepOutcome]) -> Report {
        let steps = outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| StepResult {
                step: Step { number: i as u32 + 1, function: format!("step_{}", i + 1), description: String::new() },
                outcome: outcome.clone(),
                figures: Vec::new(),
                seeded: false,
                sweep: None,
                traces: Vec::new(),
            })
            .collect();
        Report::Ran { steps, elapsed: Duration::ZERO }
    }

    fn exercise() -> Exercise {
        let ws = verify::Workspace::discover(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), None).unwrap();
        ws.exercises.into_iter().next().expect("the handbook has exercises")
    }

    #[test]
    fn the_event_says_steps_passed_and_the_first_step_not_passing() {
        let exercise = exercise();
        let failed = StepOutcome::Failed("no".into());
        let event = checked(&exercise, &ran(&[StepOutcome::Passed, failed.clone(), StepOutcome::Passed]), 3);
        assert_eq!((event.passed, event.total, event.stuck), (2, 3, Some(2)));
        assert_eq!(event.exercise, exercise.name);
        let event = checked(&exercise, &ran(&[StepOutcome::Passed, StepOutcome::Passed]), 2);
        assert_eq!((event.passed, event.stuck), (2, None), "every step passes: stuck nowhere");
        let event = checked(&exercise, &Report::BuildFailed { errors: Vec::new(), cargo: String::new() }, 4);
        assert_eq!(
            (event.passed, event.total, event.stuck),
            (0, 4, Some(1)),
            "a crate that does not compile is stuck at step 1"
        );
    }
}
