//! The project's promise about its exercises, checked through the runner exactly as
//! a learner and an instructor use it: every pristine exercise fails EVERY step (so
//! no step can pass on stubs), and the runner calls a passing reference done (every
//! reference passing every step is proven by its own test target in `cargo test`).
//!
//! Both proofs are `#[ignore]`d in a plain `cargo test`: the first builds every
//! exercise crate, the second runs four references' checks a second time. CI runs
//! them right after `cargo test` (`cargo test -p verify --test exercises -- --ignored`),
//! in the workspace's own target folder, so every dependency and every reference's
//! checks are reused from the build `cargo test` just made, not built again.

mod common;

use common::*;

fn exercise_names() -> Vec<String> {
    let ws = verify::Workspace::discover(&repo_root(), Some(&repo_root())).unwrap();
    assert!(!ws.exercises.is_empty(), "the handbook has exercises");
    ws.exercises.into_iter().map(|e| e.name).collect()
}

/// Runs the real handbook's runner, with a private state folder so the developer's
/// own progress is untouched, in the workspace's target folder (the parent of the
/// `tmp/` folder cargo gives the tests): cargo builds while no test runs, so the
/// folder's lock is free now, and what `cargo test` built is reused.
fn verify(state: &tempfile::TempDir) -> assert_cmd::Command {
    let mut cmd = verify_at(&repo_root());
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target/tmp has a parent");
    cmd.env("VERIFY_STATE_DIR", state.path()).env("CARGO_TARGET_DIR", target);
    cmd
}

/// Every reference passes its checks already in a plain `cargo test` (each solution's
/// own test target runs them), so running all of them again here would only double the
/// suite's time. What this adds is the runner's side: that `cargo verify` calls a
/// passing crate done. One exercise of each kind of check proves it: plain asserts
/// (basics), property tests (crdt), seeded simulations with pictures (gossip), and
/// sockets with a reference on the other side (streams).
#[test]
#[ignore = "CI runs it after cargo test: cargo test -p verify --test exercises -- --ignored"]
fn the_runner_calls_a_reference_of_each_kind_of_check_done() {
    let state = tempfile::tempdir().unwrap();
    let names = exercise_names();
    for kind in ["basics", "crdt", "gossip", "streams"] {
        assert!(names.iter().any(|n| n == kind), "no exercise named {kind}: update this list");
    }
    for name in ["basics", "crdt", "gossip", "streams"] {
        let out = verify(&state).args(["--solutions", "check", name, "--timeout", "300"]).output().unwrap();
        let text = stdout(&out);
        assert!(out.status.success(), "the solution of {name} must pass:\n{text}\n{}", stderr(&out));
        assert!(text.contains(&format!("{name} is done")), "{text}");
    }
}

#[test]
#[ignore = "CI runs it after cargo test: cargo test -p verify --test exercises -- --ignored"]
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
