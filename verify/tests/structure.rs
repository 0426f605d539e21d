//! The shape every exercise promises, checked without building anything: the files
//! to edit exist and say which step each change is for; step numbers in the stubs,
//! the README and the hints all name real steps; every step has a hint; hints stay
//! out of the learner's crate; and a stub says the same as its solution, bodies
//! aside, so `cargo verify solution --diff` shows only what the learner wrote.

mod common;
mod given;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::repo_root;
use verify::{Exercise, Workspace, steps};

fn workspace() -> Workspace {
    Workspace::discover(&repo_root(), Some(&repo_root())).expect("the handbook's exercises load")
}

fn step_numbers(e: &Exercise) -> BTreeSet<u32> {
    steps::scan(&e.checks_dir()).unwrap().iter().map(|s| s.number).collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Every `step N` and `steps N–M` (or `N-M`, `N to M`, `N and M`) in a text.
fn mentioned_steps(text: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let lower = text.to_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("step") {
        rest = &rest[at + 4..];
        let after = rest.strip_prefix('s').unwrap_or(rest);
        let after = after.trim_start_matches([' ', '\u{a0}']);
        let number: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        let Ok(first) = number.parse::<u32>() else { continue };
        found.push(first);
        let tail = &after[number.len()..];
        for sep in ["–", "-", " to ", " and ", "—"] {
            if let Some(more) = tail.strip_prefix(sep) {
                let second: String = more.chars().take_while(|c| c.is_ascii_digit()).collect();
                if let Ok(second) = second.parse::<u32>() {
                    found.push(second);
                }
            }
        }
    }
    found
}

#[test]
fn every_file_to_edit_exists_and_marks_its_steps() {
    for e in &workspace().exercises {
        let steps = step_numbers(e);
        assert!(!steps.is_empty(), "{} has no steps", e.name);
        assert!(!e.meta.edit.is_empty(), "{} names no file to edit", e.name);
        for file in &e.meta.edit {
            let path = e.dir.join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("{} lists {file} to edit, which does not exist", e.name));
            let todos: Vec<u32> = text
                .lines()
                .filter_map(|l| l.split("TODO (step ").nth(1))
                .filter_map(|rest| rest.chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().ok())
                .collect();
            assert!(!todos.is_empty(), "{}/{file} has no `TODO (step N)` marking what to change", e.dir_name);
            for n in todos {
                assert!(
                    steps.contains(&n),
                    "{}/{file} has a TODO for step {n}, but the checks have steps {steps:?}",
                    e.dir_name
                );
            }
        }
    }
}

#[test]
fn step_numbers_in_stubs_readme_and_hints_name_real_steps() {
    for e in &workspace().exercises {
        let steps = step_numbers(e);
        let mut texts: Vec<(String, String)> = rust_files(&e.dir.join("src"))
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        if let Ok(readme) = std::fs::read_to_string(e.dir.join("README.md")) {
            texts.push((format!("{}/README.md", e.dir_name), readme));
        }
        for n in e.hints.numbers() {
            for hint in e.hints.step(n) {
                texts.push((format!("verify/hints/{}.toml, step {n}", e.dir_name), hint.clone()));
            }
        }
        for (place, text) in texts {
            for n in mentioned_steps(&text) {
                assert!(steps.contains(&n), "{place} speaks of step {n}, but {} has steps {steps:?}", e.name);
            }
        }
    }
}

#[test]
fn every_step_has_a_hint_and_every_hint_a_step() {
    for e in &workspace().exercises {
        let steps = step_numbers(e);
        for n in &steps {
            assert!(
                !e.hints.step(*n).is_empty(),
                "step {n} of {} has no hint in verify/hints/{}.toml",
                e.name,
                e.dir_name
            );
        }
        for n in e.hints.numbers() {
            assert!(
                steps.contains(&n),
                "verify/hints/{}.toml has hints for step {n}, which {} does not have",
                e.dir_name,
                e.name
            );
        }
    }
}

#[test]
fn hints_stay_out_of_the_learners_crate() {
    for e in &workspace().exercises {
        let manifest = std::fs::read_to_string(e.dir.join("Cargo.toml")).unwrap();
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with("hints")),
            "{}/Cargo.toml holds hints",
            e.dir_name
        );
    }
}

/// Every item of a stub matches its solution's: given code token for token, an item
/// the learner writes by its docs, attributes and signature (see `given`). So a fix made
/// on one side of given code cannot drift silently, and `cargo verify solution --diff`
/// shows only what the learner wrote.
#[test]
fn stubs_keep_their_solutions_given_code() {
    let ws = workspace();
    let mut drift = Vec::new();
    let (mut given_items, mut learners_items, mut files) = (0, 0, 0);
    for e in &ws.exercises {
        for stub in rust_files(&e.dir.join("src")) {
            let rel = stub.strip_prefix(&e.dir).unwrap();
            let Ok(solution) = std::fs::read_to_string(e.solution_dir.join(rel)) else {
                drift.push(format!(
                    "{}/{} has no twin in {}",
                    e.dir_name,
                    rel.display(),
                    ws.rel(&e.solution_dir).display()
                ));
                continue;
            };
            let root = rel == Path::new("src/lib.rs") || rel == Path::new("src/main.rs");
            // A binary names its own library: `mdns::…` in the stub, `mdns_solution::…` in the solution.
            let library = e.package.replace('-', "_");
            let solution = solution.replace(&format!("{library}_solution"), &library);
            let stub = std::fs::read_to_string(&stub).unwrap();
            let (given, learners) = given::census(&stub, root);
            (given_items, learners_items, files) = (given_items + given, learners_items + learners, files + 1);
            for difference in given::differences(&stub, &solution, root) {
                drift.push(format!("exercises/{}/{}: {difference}", e.dir_name, rel.display()));
            }
        }
    }
    println!(
        "{files} stub files: {given_items} given items compared token by token, {learners_items} of the learner's by signature"
    );
    assert!(
        drift.is_empty(),
        "{} items differ between a stub and its solution (fix the wrong side; given code is kept the same in both):\n{}",
        drift.len(),
        drift.join("\n")
    );
}

#[test]
fn the_step_mention_reader_reads_ranges() {
    assert_eq!(mentioned_steps("Steps 1–3 here, step 7, and steps 4 and 5."), vec![1, 3, 7, 4, 5]);
    assert_eq!(mentioned_steps("no numbers: a stepping stone"), Vec::<u32>::new());
}

/// A doc example rustdoc would run: a fenced block in a `///` or `//!` comment that is
/// not marked as text (or another language).
fn has_doc_example(text: &str) -> bool {
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim_start();
        let Some(doc) = line.strip_prefix("///").or_else(|| line.strip_prefix("//!")) else { continue };
        let Some(info) = doc.trim().strip_prefix("```") else { continue };
        if !inside {
            let info = info.trim();
            let runs = info.is_empty()
                || info.split(',').all(|w| {
                    ["rust", "no_run", "ignore", "should_panic", "compile_fail", "edition2021", "edition2024"]
                        .contains(&w.trim())
                });
            if runs {
                return true;
            }
        }
        inside = !inside;
    }
    false
}

/// Whether a Rust text holds a unit test.
fn has_unit_test(text: &str) -> bool {
    text.contains("#[test]") || text.contains("#[cfg(test)]") || text.contains("#[tokio::test")
}

/// A crate that skips its library's (or a binary's) test build (`test = false`) must
/// have no unit test there, and one that skips its doc examples (`doctest = false`)
/// no doc example: otherwise a test would be written and never run.
#[test]
fn no_test_is_switched_off() {
    let root = repo_root();
    let mut manifests: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| !["target", ".git", "interop", "vendor", "node_modules"].iter().any(|s| e.file_name() == *s))
        .flatten()
        .filter(|e| e.file_name() == "Cargo.toml")
        .map(walkdir::DirEntry::into_path)
        .collect();
    manifests.sort();
    let mut wrong = Vec::new();
    let mut switched_off = 0;
    for manifest in &manifests {
        let dir = manifest.parent().unwrap();
        let named = manifest.strip_prefix(&root).unwrap().display();
        let table: toml::Table = std::fs::read_to_string(manifest).unwrap().parse().unwrap();
        let mut targets: Vec<(&toml::Table, PathBuf)> = Vec::new();
        if let Some(lib) = table.get("lib").and_then(|l| l.as_table()) {
            let path = lib.get("path").and_then(|p| p.as_str()).unwrap_or("src/lib.rs");
            targets.push((lib, dir.join(path)));
        }
        for bin in table.get("bin").and_then(|b| b.as_array()).into_iter().flatten().filter_map(|b| b.as_table()) {
            let path = bin.get("path").and_then(|p| p.as_str()).unwrap_or("src/main.rs");
            targets.push((bin, dir.join(path)));
        }
        for (target, entry) in targets {
            let off = |key: &str| target.get(key).and_then(|v| v.as_bool()) == Some(false);
            if !off("test") && !off("doctest") {
                continue;
            }
            switched_off += 1;
            // The target's own files: the entry, and the folder of modules beside it.
            let files = if entry.file_name().is_some_and(|n| n == "lib.rs" || n == "main.rs") {
                rust_files(entry.parent().unwrap())
                    .into_iter()
                    .filter(|f| !f.starts_with(entry.parent().unwrap().join("bin")) || f == &entry)
                    .collect()
            } else {
                vec![entry.clone()]
            };
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                let at = file.strip_prefix(&root).unwrap().display();
                if off("test") && has_unit_test(&text) {
                    wrong.push(format!("{at} has a unit test, but {named} says test = false"));
                }
                if off("doctest") && has_doc_example(&text) {
                    wrong.push(format!("{at} has a doc example, but {named} says doctest = false"));
                }
            }
        }
    }
    assert!(switched_off > 0, "no manifest switches a test build off: this check reads nothing");
    assert!(wrong.is_empty(), "tests that would never run:\n{}", wrong.join("\n"));
}

#[test]
fn the_doc_example_reader_tells_examples_from_text() {
    assert!(has_doc_example("//! ```\n//! let x = 1;\n//! ```\n"));
    assert!(has_doc_example("/// ```no_run\n/// f();\n/// ```\n"));
    assert!(!has_doc_example("//! ```text\n//! 00 24\n//! ```\n"));
    assert!(!has_doc_example("// ```\n// not a doc comment\n// ```\n"));
    // The closing fence of a text block does not open an example.
    assert!(!has_doc_example("//! ```text\n//! a\n//! ```\n//! words\n"));
    assert!(has_unit_test("#[cfg(test)]\nmod tests {}"));
    assert!(!has_unit_test("fn main() {}"));
}
