//! `cargo verify watch` when the learner saves while a check is running: the result
//! on screen must be for the code as it is now, not as it was when the check began.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let count = |needle: &str| lines.lock().unwrap().iter().filter(|l| l.contains(needle)).count();
    let wait_for = |needle: &str, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while count(needle) < n {
            assert!(Instant::now() < deadline, "waited for {needle:?} ×{n}: {:?}", lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("Checking fixture", 1);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        count("Watching exercises/99-fixture/src"),
        0,
        "the save must land mid-check: {:?}",
        lines.lock().unwrap()
    );
    sb.write_lib(SOLVED);
    // No further save: the watcher must check again by itself, and show the new code's result.
    wait_for("Checking fixture", 2);
    wait_for("fixture is done", 1);
    let _ = child.kill();
    let _ = child.wait();
    let text = lines.lock().unwrap().join("\n");
    assert!(text.contains("saved while the check ran"), "{text}");
}
