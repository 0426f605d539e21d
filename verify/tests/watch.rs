//! `cargo verify watch` when the learner saves while a check is running: the result
//! on screen must be for the code as it is now, not as it was when the check began.

mod common;

use std::time::Duration;

use common::*;

/// Passes step 1 only after a few seconds, so that a save lands mid-check.
const SLOW: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { std::thread::sleep(std::time::Duration::from_secs(6)); a + b }
pub fn greet(name: &str) -> String { name.to_string() }
"#;

#[test]
fn a_save_during_a_check_is_checked_again_at_once() {
    let sb = Sandbox::new();
    sb.write_lib(SLOW);
    // Build once beforehand, so the watcher's first check is mostly the slow step.
    sb.verify().args(["check", "fixture"]).output().unwrap();
    let mut child = spawn_watch(&sb, std::process::Stdio::null());
    let out = Transcript::of(&mut child);
    out.wait_for("Checking fixture", 1);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(out.count("Watching exercises/99-fixture/src"), 0, "the save must land mid-check: {:?}", out.lines());
    sb.write_lib(SOLVED);
    // No further save: the watcher must check again by itself, and show the new code's result.
    out.wait_for("Checking fixture", 2);
    out.wait_for("fixture is done", 1);
    let _ = child.kill();
    let _ = child.wait();
    let text = out.lines().join("\n");
    assert!(text.contains("saved while the check ran"), "{text}");
}
