//! The runner, end to end, on a sandbox copy of the handbook with a tiny exercise.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn pristine_exercise_fails_every_step_with_a_readable_message() {
    let sb = Sandbox::new();
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✗ 1. Add two numbers."), "{text}");
    assert!(text.contains("not written yet (this function still calls todo!): add a and b"), "{text}");
    assert!(text.contains("at exercises/99-fixture/src/lib.rs:5:5"), "{text}");
    assert!(text.contains("0 of 2 steps pass"), "{text}");
    assert!(!text.contains("RUST_BACKTRACE"), "noise must be cut: {text}");
}

#[test]
fn solved_exercise_passes_and_the_overview_remembers_it() {
    let sb = Sandbox::new();
    sb.write_lib(SOLVED);
    // Accepts the folder name as well as the short name.
    let out = sb.verify().args(["check", "99-fixture"]).output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("fixture is done: all 2 steps pass"), "{}", stdout(&out));

    let out = sb.verify().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json prints JSON");
    let items = list.as_array().expect("a JSON list");
    assert!(items.len() >= 2, "every exercise is listed: {list}");
    for item in items {
        for field in ["name", "chapter", "steps_total", "steps_passed", "state"] {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
    }
    let fixture = items.iter().find(|i| i["name"] == "fixture").unwrap();
    assert_eq!(fixture["state"], "done");
    assert_eq!(fixture["steps_passed"], 2);
    assert_eq!(fixture["steps_total"], 2);

    let out = sb.verify().output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("2/2"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("Checking fixture"), "unchanged: answered from the cache");

    // A hint for a finished exercise is not step 1's first hint again.
    let out = stdout(&sb.verify().args(["hint", "fixture"]).output().unwrap());
    assert!(out.contains("Every step of fixture passes") && !out.contains("first hint"), "{out}");
    let out = stdout(&sb.verify().args(["hint", "fixture", "--step", "1"]).output().unwrap());
    assert!(out.contains("first hint"), "--step still shows a step's hints: {out}");
}

#[test]
fn reference_solutions_pass_with_the_solutions_flag() {
    let sb = Sandbox::new();
    let out = sb.verify().args(["--solutions", "check", "fixture"]).output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    // And checking the solutions never marks the learner's exercise done.
    let out = sb.verify().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixture = list.as_array().unwrap().iter().find(|i| i["name"] == "fixture").unwrap().clone();
    assert_eq!(fixture["state"], "not_started");
}

#[test]
fn progress_within_an_exercise_is_shown_step_by_step() {
    let sb = Sandbox::new();
    sb.write_lib(HALF);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("✓ 1. Add two numbers."), "{text}");
    assert!(text.contains("✗ 2. Greet by name"), "{text}");
    assert!(text.contains("1 of 2 steps pass"), "{text}");
}

#[test]
fn a_hanging_check_is_stopped_with_a_clear_message_and_no_stray_process() {
    let sb = Sandbox::new();
    sb.write_lib(HANG);
    // Build first, so the time measured below is the run, not the compile.
    sb.verify().args(["check", "fixture", "--timeout", "1"]).output().unwrap();
    let started = Instant::now();
    let out = sb.verify().args(["check", "fixture", "--timeout", "2"]).output().unwrap();
    let took = started.elapsed();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✓ 1. Add two numbers."), "{text}");
    assert!(text.contains("did not finish within 2 s"), "{text}");
    assert!(took < Duration::from_secs(30), "the limit was not enforced: {took:?}");
    // The test binary lives in this sandbox's target/debug/deps/ as fixture-<hash>.
    let binary = format!("{}/debug/deps/fixture-", sb.target().display());
    let ps = std::process::Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let stray: Vec<String> = stdout(&ps).lines().filter(|l| l.contains(&binary)).map(String::from).collect();
    assert!(stray.is_empty(), "test processes left running: {stray:?}");
}

#[test]
fn printing_libtests_own_lines_passes_nothing() {
    let sb = Sandbox::new();
    sb.write_lib(CHEAT);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("fixture is done"), "{text}");
    assert!(!text.contains('✓'), "no step passes on printed lines: {text}");
    assert!(text.contains("0 of 2 steps pass"), "{text}");
    assert!(text.contains("exit"), "the early exit is named: {text}");

    sb.write_lib(FORGE);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("✓ 1. Add two numbers."), "{text}");
    assert!(text.contains("✗ 2. Greet by name"), "a forged line does not pass a failing step: {text}");
    assert!(text.contains("1 of 2 steps pass"), "{text}");
    let list: serde_json::Value =
        serde_json::from_slice(&sb.verify().args(["list", "--json"]).output().unwrap().stdout).unwrap();
    let fixture = list.as_array().unwrap().iter().find(|i| i["name"] == "fixture").unwrap().clone();
    assert_eq!(fixture["steps_passed"], 1, "{fixture}");
}

#[test]
fn a_grandchild_that_leaves_the_group_neither_hangs_the_runner_nor_survives() {
    let sb = Sandbox::new();
    sb.write_lib(ESCAPE);
    sb.verify().args(["check", "fixture", "--timeout", "5"]).output().unwrap();
    let started = Instant::now();
    let out = sb.verify().args(["check", "fixture", "--timeout", "5"]).output().unwrap();
    let took = started.elapsed();
    let text = stdout(&out);
    assert!(took < Duration::from_secs(20), "the runner waited for the grandchild's pipes: {took:?}\n{text}");
    assert!(text.contains("fixture is done"), "{text}");
    let ps = std::process::Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let stray: Vec<String> = stdout(&ps).lines().filter(|l| l.trim() == "sleep 611").map(String::from).collect();
    assert!(stray.is_empty(), "the grandchild survived: {stray:?}");
}

#[test]
fn a_crate_that_cannot_be_downloaded_is_not_called_a_compile_error() {
    let sb = Sandbox::new();
    let manifest = sb.exercise().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("[dev-dependencies]", "[dependencies]\nitoa = \"=0.4.2\"\n\n[dev-dependencies]");
    write(&manifest, &text);
    let out =
        sb.verify().args(["check", "fixture"]).env("CARGO_HOME", sb.root.join("empty-cargo-home")).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("does not compile"), "{text}");
    assert!(text.contains("needs the network once"), "{text}");
    assert!(text.contains("cargo verify setup"), "and says what to run: {text}");
}

#[test]
fn a_crash_is_pinned_on_the_step_that_causes_it() {
    let sb = Sandbox::new();
    sb.write_lib(CRASH);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✓ 1. Add two numbers."), "the other steps still count: {text}");
    assert!(text.contains("✗ 2. Greet by name"), "{text}");
    assert!(text.contains("overflow") || text.contains("aborted"), "the crash is explained: {text}");
}

#[test]
fn a_compile_error_is_shown_as_the_compiler_says_it() {
    let sb = Sandbox::new();
    sb.write_lib(BROKEN);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("does not compile"), "{text}");
    assert!(text.contains("error[E0277]"), "the rustc error itself: {text}");
    assert!(text.contains("src/lib.rs:1"), "with its location: {text}");
    assert!(!text.contains("Compiling"), "cargo's progress noise is left out: {text}");
}

#[test]
fn reset_backs_up_the_learners_version_first() {
    let sb = Sandbox::new();
    sb.write_lib(SOLVED);
    write(&sb.exercise().join("src/extra.rs"), "// my notes\n");
    let out = sb.verify().args(["reset", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert_eq!(sb.read("exercises/99-fixture/src/lib.rs"), PRISTINE, "the exercise is pristine again");
    assert!(!sb.exercise().join("src/extra.rs").exists(), "added files are removed");
    let backup = text
        .lines()
        .find_map(|l| l.strip_prefix("Saved your version of fixture to "))
        .expect("reset says where the backup is")
        .trim()
        .to_string();
    assert!(backup.starts_with(".verify/backups/99-fixture-"), "{backup}");
    assert_eq!(sb.read(&format!("{backup}/src/lib.rs")), SOLVED, "the learner's version is kept");
    assert_eq!(sb.read(&format!("{backup}/src/extra.rs")), "// my notes\n");
}

#[test]
fn restore_brings_back_what_reset_saved_and_backs_up_what_it_replaces() {
    let sb = Sandbox::new();
    sb.write_lib(SOLVED);
    let out = sb.verify().args(["reset", "fixture"]).output().unwrap();
    assert!(stdout(&out).contains("cargo verify restore fixture"), "reset says how to undo it: {}", stdout(&out));
    sb.write_lib(HALF);
    let out = sb.verify().args(["restore", "fixture"]).output().unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert_eq!(sb.read("exercises/99-fixture/src/lib.rs"), SOLVED, "the reset version is back");
    let saved = text
        .lines()
        .find_map(|l| l.strip_prefix("Saved what was in exercises/99-fixture to "))
        .expect("restore says where it saved what it replaced")
        .trim()
        .to_string();
    assert_eq!(sb.read(&format!("{saved}/src/lib.rs")), HALF, "what was replaced is kept");
    // And --from restores that one.
    let out = sb.verify().args(["restore", "fixture", "--from", &saved]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.read("exercises/99-fixture/src/lib.rs"), HALF);
}

#[test]
fn the_solution_diff_names_files_by_their_place_in_the_handbook() {
    let sb = Sandbox::new();
    let out = sb.verify().args(["solution", "fixture", "--force", "--diff"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("a/exercises/99-fixture/src/lib.rs"), "{text}");
    assert!(text.contains("b/solutions/99-fixture/src/lib.rs"), "{text}");
    assert!(!text.contains(&sb.root.display().to_string()), "no absolute paths: {text}");
}

#[test]
fn a_corrupt_progress_cache_is_ignored_and_rebuilt() {
    let sb = Sandbox::new();
    write(&sb.root.join(".verify/progress.json"), "{\"version\": 1, \"exercises\": {\"fix");
    let out = sb.verify().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("unreadable"), "{}", stderr(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("still prints JSON");
    let rebuilt: serde_json::Value = serde_json::from_str(&sb.read(".verify/progress.json")).expect("rewritten whole");
    assert_eq!(rebuilt["version"], 1);
}

#[test]
fn hints_come_one_at_a_time() {
    let sb = Sandbox::new();
    let first = stdout(&sb.verify().args(["hint", "fixture"]).output().unwrap());
    assert!(first.contains("first hint") && !first.contains("second hint"), "{first}");
    let second = stdout(&sb.verify().args(["hint", "fixture"]).output().unwrap());
    assert!(second.contains("second hint") && !second.contains("third hint"), "{second}");
    sb.verify().args(["hint", "fixture"]).assert().success();
    let last = stdout(&sb.verify().args(["hint", "fixture"]).output().unwrap());
    assert!(last.contains("third hint") && last.contains("last hint"), "{last}");
}

#[test]
fn the_solution_opens_only_once_done_unless_forced() {
    let sb = Sandbox::new();
    let out = sb.verify().args(["solution", "fixture"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("opens once fixture is done"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("Hello"), "nothing revealed");
    let out = sb.verify().args(["solution", "fixture", "--force"]).output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("format!(\"Hello, {name}!\")"), "{}", stdout(&out));
}

#[test]
fn edited_checks_are_warned_about() {
    let sb = Sandbox::new();
    let checks = sb.exercise().join("tests/checks/mod.rs");
    let edited = std::fs::read_to_string(&checks).unwrap().replace("5, \"2 + 3", "subject::add(2, 3), \"2 + 3");
    write(&checks, &edited);
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    assert!(stderr(&out).contains("warning: the checks in exercises/99-fixture/tests/ differ"), "{}", stderr(&out));
}

#[test]
fn an_unknown_exercise_is_a_clear_error() {
    let sb = Sandbox::new();
    let out = sb.verify().args(["check", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("there is no exercise called `nope`"), "{}", stderr(&out));
    assert!(stderr(&out).contains("fixture"), "and it lists the real ones");
}

#[test]
fn the_overview_shows_untouched_exercises_without_building_and_says_what_next() {
    let sb = Sandbox::new();
    let out = sb.verify().output().unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("your progress"), "{text}");
    assert!(text.contains("Next:"), "{text}");
    assert!(!stderr(&out).contains("Checking"), "pristine exercises are not built: {}", stderr(&out));
    // Once edited, the overview re-checks the exercise.
    sb.write_lib(HALF);
    let out = sb.verify().output().unwrap();
    assert!(stderr(&out).contains("Checking fixture"), "{}", stderr(&out));
    assert!(stdout(&out).contains("1/2"), "{}", stdout(&out));
}

#[test]
fn watch_rechecks_on_save_and_moves_on_when_done() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::mpsc;

    let sb = Sandbox::new();
    // Warm the build so the first check is quick.
    sb.verify().args(["check", "fixture"]).output().unwrap();
    let mut child = spawn_watch(&sb, std::process::Stdio::piped());
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
        }
        panic!("never saw {needle:?}; output:\n{}", seen.join("\n"));
    };
    wait_for("Watching exercises/99-fixture/src");
    sb.write_lib(SOLVED);
    wait_for("fixture is done");
    child.stdin.as_mut().unwrap().write_all(b"q\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "watch did not quit on q");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn watch_checks_once_and_then_once_per_save_never_on_its_own_reads() {
    let sb = Sandbox::new();
    sb.verify().args(["check", "fixture"]).output().unwrap();
    let mut child = spawn_watch(&sb, std::process::Stdio::null());
    let out = Transcript::of(&mut child);
    out.wait_for("Watching exercises/99-fixture/src", 1);
    // Nothing saved: the check's own build and reads must not wake the watcher.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(out.count("Checking fixture"), 1, "re-checked with no save: {:?}", out.lines());
    sb.write_lib(HALF);
    out.wait_for("Watching exercises/99-fixture/src", 2);
    std::thread::sleep(Duration::from_secs(4));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.count("Checking fixture"), 2, "one save, one re-check: {:?}", out.lines());
}

#[test]
fn a_seed_sweep_finds_the_seed_the_default_run_misses_and_replays_it() {
    let sb = Sandbox::new();
    // A seeded check, the way kit::seed works: the runner's seed if it gives one
    // (here used as it is), else the check's own; and a line saying so.
    let checks = r#"use crate::subject;

fn seed(default: u64) -> u64 {
    let seed = std::env::var("VERIFY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    println!("seeded: {seed}");
    seed
}

/// Add numbers drawn from the seed.
#[test]
fn step_1_add() {
    let a = seed(3) as u32;
    assert_eq!(subject::add(a, 1), a + 1, "{a} + 1");
}

/// Greet by name.
#[test]
fn step_2_greet() {
    assert_eq!(subject::greet("Ada"), "Hello, Ada!");
}
"#;
    write(&sb.exercise().join("tests/checks/mod.rs"), checks);
    // Right for every number but 7: the default seed (3) cannot see it.
    sb.write_lib("pub fn add(a: u32, b: u32) -> u32 { if a == 7 { a } else { a + b } }\npub fn greet(name: &str) -> String { format!(\"Hello, {name}!\") }\n");
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    assert!(stdout(&out).contains("fixture is done"), "the default seed passes: {}", stdout(&out));

    let out = sb.verify().args(["check", "fixture", "--seeds", "10"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("9 of 10 seeds pass"), "{text}");
    assert!(text.contains("--seed 7"), "the failing seed is named for replay: {text}");
    assert!(!text.contains("2 of 10"), "the unseeded step is not swept: {text}");

    let out = sb.verify().args(["check", "fixture", "--seed", "7"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("✗ 1. Add numbers drawn from the seed."), "the replay fails the same way: {text}");
    assert!(text.contains("7 + 1"), "{text}");
    // Sweeps and replays do not change the learner's recorded progress.
    let list: serde_json::Value =
        serde_json::from_slice(&sb.verify().args(["list", "--json"]).output().unwrap().stdout).unwrap();
    let fixture = list.as_array().unwrap().iter().find(|i| i["name"] == "fixture").unwrap().clone();
    assert_eq!(fixture["state"], "done", "{fixture}");
}

/// Code in the learner's crate that runs before `main` registers an exit hook that
/// forges the verdict: rewrites libtest's log; also prints a matching summary and
/// exits 0; or forks a child that rewrites the log once the test process is gone; or,
/// with no `unsafe` at all, a step rewrites the log, prints a summary and exits 0.
/// Each is refused (no step passes) and marked (the audit names what it found). A
/// fourth forges every record the runner reads, consistently: no runner can refuse
/// that, and the audit marks it.
#[test]
fn a_verdict_forged_by_an_exit_hook_is_refused_and_marked() {
    let hook: &[&str] = &["link_section", "extern \"C\"", "/proc/self"];
    let variants = [
        ("an exit hook that rewrites the log", include_str!("fixture/exit_hook.rs.txt"), hook),
        ("an exit hook that also prints a summary and exits 0", include_str!("fixture/exit_hook_summary.rs.txt"), hook),
        (
            "a forked child that rewrites the log after the test process exits",
            include_str!("fixture/exit_hook_fork.rs.txt"),
            hook,
        ),
        (
            "a step that rewrites the log, prints a summary and exits 0 mid-run",
            include_str!("fixture/exit_midrun.rs.txt"),
            &["/proc/self", "process::exit"],
        ),
    ];
    let sb = Sandbox::new();
    let mut forged = Vec::new();
    for (what, source, marks) in variants {
        sb.write_lib(source);
        // Several runs: the forked variant is a race, and must lose every time.
        for run in 0..3 {
            let out = sb.verify().args(["check", "fixture"]).output().unwrap();
            let text = stdout(&out);
            eprintln!("{what}, run {run}:\n{text}");
            if out.status.code() != Some(1) || text.contains("fixture is done") || text.contains('✓') {
                forged.push(format!("{what}, run {run}"));
            }
            if !stderr(&out).contains("the audit found")
                || !stderr(&out).contains(&format!("{} (src/lib.rs:", marks[0]))
            {
                forged.push(format!("{what}, run {run}: check does not show the audit: {}", stderr(&out)));
            }
        }
        let out = sb.verify().args(["check", "fixture", "--json"]).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
        if json["done"] != false {
            forged.push(format!("{what}: check --json says done"));
        }
        let audit: Vec<String> = json["audit"]
            .as_array()
            .map(|a| a.iter().map(|f| f["what"].as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default();
        for expected in marks {
            if !audit.iter().any(|a| a.contains(expected)) {
                forged.push(format!("{what}: the audit lacks {expected} ({audit:?})"));
            }
        }
    }
    assert!(forged.is_empty(), "forged verdicts passed or went unmarked: {forged:#?}");

    sb.write_lib(include_str!("fixture/exit_hook_full.rs.txt"));
    let out = sb.verify().args(["check", "fixture", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
    eprintln!("a consistent forgery of every record: done = {}", json["done"]);
    let audit = json["audit"].to_string();
    for expected in ["link_section", "extern \\\"C\\\"", "unsafe", "#[used]"] {
        assert!(audit.contains(expected), "a consistent forgery is not marked with {expected}: {audit}");
    }
    // An honest solution has nothing to report.
    sb.write_lib(SOLVED);
    let out = sb.verify().args(["check", "fixture", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["done"], true, "{json}");
    assert_eq!(json["audit"], serde_json::json!([]), "{json}");
}

/// Whether cargo can still load the sandbox's workspace (every member's manifest).
#[cfg(unix)]
fn workspace_loads(sb: &Sandbox) -> Result<(), String> {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&sb.root)
        .args(["metadata", "--offline", "--no-deps", "--format-version", "1"])
        .output()
        .unwrap();
    if out.status.success() { Ok(()) } else { Err(stderr(&out)) }
}

/// The exercise's own files that must never go missing.
#[cfg(unix)]
fn exercise_is_whole(sb: &Sandbox) -> Result<(), String> {
    for file in ["Cargo.toml", "tests/fixture.rs", "tests/checks/mod.rs", "src/lib.rs"] {
        if !sb.exercise().join(file).is_file() {
            return Err(format!("exercises/99-fixture/{file} is missing"));
        }
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn restore_refuses_symlinks_and_never_breaks_the_workspace() {
    use std::os::unix::fs::symlink;

    let sb = Sandbox::new();
    sb.write_lib(HALF);
    let outside = sb.root.parent().unwrap().join("outside");
    write(&outside.join("secret.txt"), "a file from outside the exercise\n");
    let mut broken = Vec::new();

    // A backup with a folder symlink in it.
    let with_dir_link = sb.root.join("from-dir-link");
    write(&with_dir_link.join("Cargo.toml"), &sb.read("exercises/99-fixture/Cargo.toml"));
    write(&with_dir_link.join("src/lib.rs"), SOLVED);
    write(&with_dir_link.join("tests/fixture.rs"), &sb.read("exercises/99-fixture/tests/fixture.rs"));
    symlink(&outside, with_dir_link.join("tests/checks")).unwrap();
    // A backup whose src/lib.rs is a symlink to a file outside.
    let with_file_link = sb.root.join("from-file-link");
    write(&with_file_link.join("Cargo.toml"), &sb.read("exercises/99-fixture/Cargo.toml"));
    std::fs::create_dir_all(with_file_link.join("src")).unwrap();
    symlink(outside.join("secret.txt"), with_file_link.join("src/lib.rs")).unwrap();
    for (what, dir) in [("a folder symlink", &with_dir_link), ("a file symlink to outside", &with_file_link)] {
        let out = sb.verify().args(["restore", "fixture", "--from"]).arg(dir).output().unwrap();
        let said = format!("{}{}", stdout(&out), stderr(&out));
        eprintln!("{what}: {said}");
        if out.status.success() || !said.contains("symbolic link") {
            broken.push(format!("{what}: not refused with a clear message: {said}"));
        }
        if let Err(e) = exercise_is_whole(&sb).and_then(|()| workspace_loads(&sb)) {
            broken.push(format!("{what}: {e}"));
        }
        if sb.exercise().join("src/lib.rs").exists() && sb.read("exercises/99-fixture/src/lib.rs") != HALF {
            broken.push(format!("{what}: the learner's src/lib.rs changed"));
        }
    }

    // A backup with src/ only: src is restored, the rest of the exercise stays.
    let src_only = sb.root.join("from-src-only");
    write(&src_only.join("src/lib.rs"), SOLVED);
    let out = sb.verify().args(["restore", "fixture", "--from"]).arg(&src_only).output().unwrap();
    eprintln!("src only: {}{}", stdout(&out), stderr(&out));
    if !out.status.success() {
        broken.push(format!("src only: refused: {}", stderr(&out)));
    }
    if let Err(e) = exercise_is_whole(&sb).and_then(|()| workspace_loads(&sb)) {
        broken.push(format!("src only: {e}"));
    }
    if sb.exercise().join("src/lib.rs").exists() && sb.read("exercises/99-fixture/src/lib.rs") != SOLVED {
        broken.push("src only: src/lib.rs was not restored".into());
    }
    assert!(broken.is_empty(), "{broken:#?}");
    let out = sb.verify().args(["check", "fixture"]).output().unwrap();
    assert!(stdout(&out).contains("fixture is done"), "the restored exercise checks: {}", stdout(&out));
}
