//! A run with several failing steps, end to end: each explains itself in the human
//! output, not only the first. The sandbox's fixture exercise gets checks with two
//! plain assertions, a property (proptest) and a bare overflow, and a learner's
//! crate that fails all four.

mod common;

use common::*;

const CHECKS: &str = include_str!("fixture/explains_checks.rs.txt");
const LEARNER: &str = include_str!("fixture/explains_lib.rs.txt");

#[test]
fn every_failing_step_shows_its_message_and_location_and_a_property_its_law() {
    let sb = Sandbox::new();
    let manifest = sb.exercise().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("[dev-dependencies]", "[dev-dependencies]\nproptest.workspace = true");
    write(&manifest, &text);
    write(&sb.exercise().join("tests/checks/mod.rs"), CHECKS);
    sb.write_lib(LEARNER);
    // proptest and its dependencies are built into a target folder that outlives the
    // sandbox, so only the first run on a machine builds them (the fixture itself, at
    // a new path each time, is rebuilt: it costs a second). No other sandbox uses it.
    let out = sb.verify().env("CARGO_TARGET_DIR", shared_target()).args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("0 of 4 steps pass"), "{text}");
    // The first and the second failing step: each its assertion's message and place.
    let checks = "at exercises/99-fixture/tests/checks/mod.rs:";
    let step = |n: usize| -> &str {
        let start = text.find(&format!("✗ {n}.")).unwrap_or_else(|| panic!("step {n} failed: {text}"));
        let after = start + '✗'.len_utf8();
        let end = text[after..].find('✗').map_or(text.len(), |e| after + e);
        &text[start..end]
    };
    assert!(step(1).contains("2 + 3 should be 5"), "{text}");
    assert!(step(1).contains(&format!("{checks}8:")), "{text}");
    assert!(step(2).contains("the greeting differs from the reference"), "{text}");
    assert!(step(2).contains("left: \"Hi Ada\""), "the values too: {text}");
    assert!(step(2).contains(&format!("{checks}14:")), "{text}");
    // The property: its law, the smallest input, and the assertion's line.
    assert!(step(3).contains("assertion `left == right` failed: commutative: a + b = b + a"), "{text}");
    assert!(step(3).contains("minimal failing input: a = 0, b = 1"), "{text}");
    assert!(step(3).contains(&format!("{checks}23\n")), "the prop_assert's line: {text}");
    assert!(!step(3).contains("successes:"), "proptest's tallies are noise: {text}");
    // A bare overflow says where it happened, in the learner's code.
    assert!(step(4).contains("attempt to multiply with overflow"), "{text}");
    assert!(step(4).contains("at exercises/99-fixture/src/lib.rs:2:"), "{text}");
}

/// libtest prints a failure's message only in its closing report, and a run stopped
/// at `--timeout` never gets there: a step that failed before a later one hung still
/// shows its own message, and the hanging step says it did not finish.
#[test]
fn a_failed_step_keeps_its_message_when_a_later_step_hangs() {
    let sb = Sandbox::new();
    sb.write_lib(include_str!("fixture/fail_then_hang.rs.txt"));
    let out = sb.verify().args(["check", "fixture", "--timeout", "3"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("0 of 2 steps pass"), "{text}");
    let (one, two) = text.split_once("✗ 2.").unwrap_or_else(|| panic!("step 2 failed: {text}"));
    let one = &one[one.find("✗ 1.").unwrap_or_else(|| panic!("step 1 failed: {text}"))..];
    assert!(one.contains("2 + 3 should be 5"), "step 1's own message: {text}");
    assert!(one.contains("left: 6"), "and its values: {text}");
    assert!(one.contains("at exercises/99-fixture/tests/checks/mod.rs:"), "and its place: {text}");
    assert!(two.contains("did not finish within 3 s"), "{text}");
}
