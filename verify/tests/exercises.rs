//! The project's promise about its exercises, checked through the runner exactly as
//! a learner and an instructor use it: every pristine exercise fails EVERY step (so
//! no step can pass on stubs), and every reference solution passes every step.

mod common;

use common::*;

fn exercise_names() -> Vec<String> {
    let ws = verify::Workspace::discover(&repo_root(), Some(&repo_root())).unwrap();
    assert!(!ws.exercises.is_empty(), "the handbook has exercises");
    ws.exercises.into_iter().map(|e| e.name).collect()
}

/// Runs the real handbook's runner, with a private state folder so the developer's
/// own progress is untouched.
fn verify(state: &tempfile::TempDir) -> assert_cmd::Command {
    let mut cmd = verify_at(&repo_root());
    cmd.env("VERIFY_STATE_DIR", state.path());
    cmd
}

#[test]
fn every_reference_solution_passes_every_step() {
    let state = tempfile::tempdir().unwrap();
    for name in exercise_names() {
        let out = verify(&state).args(["--solutions", "check", &name, "--timeout", "300"]).output().unwrap();
        let text = stdout(&out);
        assert!(out.status.success(), "the solution of {name} must pass:\n{text}\n{}", stderr(&out));
        assert!(text.contains(&format!("{name} is done")), "{text}");
    }
}

#[test]
fn every_pristine_exercise_fails_every_step() {
    let state = tempfile::tempdir().unwrap();
    for name in exercise_names() {
        let out = verify(&state).args(["check", &name, "--timeout", "300"]).output().unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "the pristine {name} must fail:\n{text}\n{}", stderr(&out));
        assert!(!text.contains("does not compile"), "the pristine {name} must compile:\n{text}");
        assert!(text.contains("\n0 of "), "no step of the pristine {name} may pass on stubs:\n{text}");
        assert!(!text.contains('✓'), "{text}");
    }
}
