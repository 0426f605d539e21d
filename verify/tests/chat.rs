//! `cargo verify chat NICK`: which parts it takes from the learner, read from the
//! progress cache of the real handbook (in a state folder of the test's own, through
//! `VERIFY_STATE_DIR`), shown with `--dry-run` so that nothing is built.

use std::path::Path;

use verify::progress::{self, Entry, Store};
use verify::{Mode, Workspace, steps};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Records `name` in the cache at `state` as done (every step passed), with the hash of
/// its sources now, or a stale one.
fn mark_done(state: &Path, name: &str, current: bool) {
    let mut ws = Workspace::discover(root(), Some(root())).unwrap();
    ws.state_dir = state.to_path_buf();
    let exercise = ws.find(name).unwrap();
    let steps: Vec<String> = steps::scan(&exercise.checks_dir()).unwrap().into_iter().map(|s| s.function).collect();
    let hash = if current { progress::fingerprint(&ws, exercise, Mode::Exercises) } else { "stale".into() };
    let entry = Entry { hash, steps_total: steps.len(), passed: steps };
    Store::new(&ws, Mode::Exercises).put(name, entry).unwrap();
}

fn dry_run(state: &Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
        .current_dir(root())
        .env("VERIFY_STATE_DIR", state)
        .env("NO_COLOR", "1")
        .env("VERIFY_NO_SETUP", "1")
        .args(["chat", "ada", "--dry-run", "--", "--lan"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn done_parts_are_the_learners_and_the_rest_the_references() {
    let state = tempfile::tempdir().unwrap();
    mark_done(state.path(), "swarm", true);
    mark_done(state.path(), "handshake", true);
    mark_done(state.path(), "streams", false); // its sources changed since: not counted
    let out = dry_run(state.path());
    assert!(out.contains("swarm: yours") && out.contains("handshake: yours"), "{out}");
    assert!(out.contains("streams: reference") && out.contains("identity: reference"), "{out}");
    assert!(out.contains("chat: reference"), "{out}");
    let command = out.lines().last().unwrap();
    assert!(command.contains("--package chat-app --features mine-swarm,mine-handshake -- ada --lan"), "{command}");
}

#[test]
fn a_done_capstone_runs_the_learners_node_log_and_anti_entropy() {
    let state = tempfile::tempdir().unwrap();
    for name in ["log", "anti-entropy", "chat"] {
        mark_done(state.path(), name, true);
    }
    let out = dry_run(state.path());
    assert!(out.contains("chat: yours") && out.contains("swarm: reference"), "{out}");
    assert!(out.contains("log: yours") && out.contains("anti-entropy: yours"), "{out}");
    let command = out.lines().last().unwrap();
    assert!(
        command.contains("--package chat-app --features mine-log,mine-anti-entropy,mine-chat -- ada --lan"),
        "{command}"
    );
}

/// The parts list is written once, in chat-app's `[features]`: the runner shows exactly
/// those parts, and with every exercise done turns on every one of them.
#[test]
fn the_runners_parts_are_the_programs_features() {
    let manifest: toml::Table = std::fs::read_to_string(root().join("chat-app/Cargo.toml")).unwrap().parse().unwrap();
    let features: Vec<String> =
        manifest["features"].as_table().unwrap().keys().filter(|f| f.starts_with("mine-")).cloned().collect();
    assert!(features.len() >= 10, "identity to the chat node: {features:?}");
    let state = tempfile::tempdir().unwrap();
    for feature in &features {
        mark_done(state.path(), &feature["mine-".len()..], true);
    }
    let out = dry_run(state.path());
    let shown: Vec<&str> = out.lines().next().unwrap().split(" · ").collect();
    let mut expected: Vec<String> = features.iter().map(|f| format!("{}: yours", &f["mine-".len()..])).collect();
    let mut got: Vec<String> = shown.iter().map(|s| s.to_string()).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "every part the program declares, each the learner's:\n{out}");
    assert!(shown.last() == Some(&"chat: yours"), "the chat node last, in the book's order: {shown:?}");
    let command = out.lines().last().unwrap();
    let on = command.split("--features ").nth(1).and_then(|r| r.split(' ').next()).unwrap_or_default();
    let mut on: Vec<&str> = on.split(',').collect();
    let mut features: Vec<&str> = features.iter().map(String::as_str).collect();
    on.sort();
    features.sort();
    assert_eq!(on, features, "every feature turned on: {command}");
}
