//! The steps a learner reads about are the steps the runner runs. Every exercise's
//! README.md and crate documentation (the `//!` docs of `src/lib.rs`, mirrored in its
//! solution) carry a `Steps` section: a numbered list with one item per step of the
//! checks, in the runner's order and with the runner's numbers, each item holding the
//! step's description as `cargo verify check` prints it and naming, in backticks, the
//! files that step asks the learner to change (every file with a `TODO (step N)` for
//! it; a step that adds no code names the files it exercises). Checked without
//! building anything, like the structure test.
//!
//! After adding, removing or rewording a step, rewrite the lists from the checks with
//! `VERIFY_BLESS=1 cargo test -p verify --test steps_docs`: each item gets its step's
//! description and `TODO` files; a step with no `TODO` keeps the files its item
//! already named, or takes the step before's.

mod common;

use std::path::Path;

use common::repo_root;
use verify::{Exercise, Workspace, steps};

fn workspace() -> Workspace {
    Workspace::discover(&repo_root(), Some(&repo_root())).expect("the handbook's exercises load")
}

/// One item of a `Steps` list: its number and its text, continuation lines joined.
#[derive(Debug, PartialEq, Eq)]
struct Item {
    number: u32,
    text: String,
}

/// The numbered list under the heading `Steps` (any level), up to the next heading.
/// `None` when there is no such heading.
fn step_list(markdown: &str) -> Option<Vec<Item>> {
    let mut found = false;
    let mut items: Vec<Item> = Vec::new();
    for line in markdown.lines() {
        if line.starts_with('#') {
            if found {
                break;
            }
            found = line.trim_start_matches('#').trim() == "Steps";
            continue;
        }
        if !found {
            continue;
        }
        let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let (Ok(number), Some(text)) = (digits.parse(), line[digits.len()..].strip_prefix(". ")) {
            items.push(Item { number, text: text.trim().to_string() });
        } else if line.starts_with("   ")
            && let Some(last) = items.last_mut()
        {
            last.text.push(' ');
            last.text.push_str(line.trim());
        }
    }
    found.then_some(items)
}

/// A crate root's own documentation: its leading `//!` lines, as Markdown.
fn crate_docs(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(l.trim_start_matches("//!")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files an item names in backticks: `src/…`.
fn named_files(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).filter(|t| t.starts_with("src/")).map(str::to_string).collect()
}

/// The files of `exercise` that mark work for step `n` with `TODO (step n)`.
fn todo_files(exercise: &Exercise, n: u32) -> Vec<String> {
    exercise
        .meta
        .edit
        .iter()
        .filter(|file| {
            std::fs::read_to_string(exercise.dir.join(file.as_str())).unwrap_or_default().lines().any(|l| {
                l.split("TODO (step ")
                    .skip(1)
                    .any(|rest| rest.chars().take_while(|c| c.is_ascii_digit()).collect::<String>() == n.to_string())
            })
        })
        .cloned()
        .collect()
}

/// What is wrong with `list` (found in `place`) as the list of `exercise`'s steps.
fn problems(exercise: &Exercise, place: &str, list: Option<Vec<Item>>) -> Vec<String> {
    let Some(list) = list else { return vec![format!("{place} has no `Steps` section")] };
    let steps = steps::scan(&exercise.checks_dir()).expect("the checks can be read");
    let mut found = Vec::new();
    let numbers: Vec<u32> = list.iter().map(|i| i.number).collect();
    let expected: Vec<u32> = steps.iter().map(|s| s.number).collect();
    if numbers != expected {
        found.push(format!("{place} lists steps {numbers:?}, the runner has {expected:?}"));
    }
    for (item, step) in list.iter().zip(&steps) {
        let description = step.description.trim_end_matches('.');
        if !item.text.contains(description) {
            found.push(format!(
                "{place}, item {}: does not say what the runner says of step {}: {description:?}",
                item.number, step.number
            ));
        }
        let named = named_files(&item.text);
        if named.is_empty() {
            found.push(format!("{place}, item {}: names no file (in backticks, `src/…`)", item.number));
        }
        for file in &named {
            if !exercise.dir.join(file).is_file() {
                found.push(format!(
                    "{place}, item {}: names {file}, which {} does not have",
                    item.number, exercise.name
                ));
            }
        }
        for file in todo_files(exercise, step.number) {
            if !named.contains(&file) {
                found.push(format!(
                    "{place}, item {}: leaves out {file}, which has a TODO for step {}",
                    item.number, step.number
                ));
            }
        }
    }
    found
}

fn crate_root(dir: &Path) -> String {
    let lib = dir.join("src/lib.rs");
    let root = if lib.is_file() { lib } else { dir.join("src/main.rs") };
    std::fs::read_to_string(&root).unwrap_or_default()
}

/// `1` → `one`: how the lists' introduction counts steps.
fn in_words(n: usize) -> String {
    const WORDS: [&str; 21] = [
        "no",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    WORDS.get(n).map_or_else(|| n.to_string(), |w| w.to_string())
}

/// `text` broken into lines of at most `width` columns (a word longer than that
/// stands alone), the lines after the first indented by `indent` spaces.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let line = lines.last_mut().expect("never empty");
        let base = line.trim().is_empty();
        if !base && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(" ".repeat(indent));
        } else if !base {
            line.push(' ');
        }
        lines.last_mut().expect("never empty").push_str(word);
    }
    lines
}

/// The `Steps` section as it should read, wrapped at `width`: the introduction and one
/// item per step. A step with no `TODO` keeps the files `old` named for it, if they
/// exist, or takes the previous step's.
fn section(e: &Exercise, heading: &str, width: usize, old: &[Item]) -> Vec<String> {
    let steps = steps::scan(&e.checks_dir()).expect("the checks can be read");
    let intro = format!(
        "`cargo verify check {}` runs these {} steps, in this order; each names the files it asks you to change \
         (or, for a step that adds no code, the ones it exercises):",
        e.name,
        in_words(steps.len())
    );
    let mut out = vec![heading.to_string(), String::new()];
    out.extend(wrap(&intro, width, 0));
    out.push(String::new());
    let mut previous: Vec<String> = Vec::new();
    for step in &steps {
        let mut files = todo_files(e, step.number);
        if files.is_empty() {
            files = old
                .iter()
                .find(|i| i.number == step.number)
                .map(|i| named_files(&i.text))
                .filter(|f| !f.is_empty() && f.iter().all(|f| e.dir.join(f).is_file()))
                .unwrap_or_else(|| previous.clone());
        }
        let named: Vec<String> = files.iter().map(|f| format!("`{f}`")).collect();
        let item = format!("{}. {} — {}", step.number, step.description.trim_end_matches('.'), named.join(", "));
        out.extend(wrap(&item, width, step.number.to_string().len() + 2));
        previous = files;
    }
    out
}

/// `readme` with its `Steps` section rewritten (or added after the block that shows
/// `cargo verify check`, or at the end).
fn blessed_readme(e: &Exercise, readme: &str) -> String {
    let lines: Vec<&str> = readme.lines().collect();
    let new = section(e, "## Steps", 88, &step_list(readme).unwrap_or_default());
    let (start, end) = match lines.iter().position(|l| *l == "## Steps") {
        Some(start) => {
            // The heading, the introduction, then the list: up to the first blank line
            // after the list's first item.
            let first_item = (start..lines.len()).find(|&i| lines[i].starts_with(|c: char| c.is_ascii_digit()));
            let end = first_item
                .map_or(lines.len(), |f| (f..lines.len()).find(|&i| lines[i].is_empty()).unwrap_or(lines.len()));
            (start, end)
        }
        None => {
            let mut at = lines.len();
            let mut open = None;
            for (i, line) in lines.iter().enumerate() {
                if line.starts_with("```") {
                    match open {
                        None => open = Some(i),
                        Some(from) => {
                            if lines[from..i].iter().any(|l| l.contains("cargo verify check")) {
                                at = i + 1;
                                break;
                            }
                            open = None;
                        }
                    }
                }
            }
            (at, at)
        }
    };
    let mut out: Vec<String> = lines[..start].iter().map(|l| l.to_string()).collect();
    if out.last().is_some_and(|l| !l.is_empty()) {
        out.push(String::new());
    }
    out.extend(new);
    let rest: Vec<&str> = lines[end..].iter().copied().skip_while(|l| l.is_empty()).collect();
    if !rest.is_empty() {
        out.push(String::new());
        out.extend(rest.iter().map(|l| l.to_string()));
    }
    out.join("\n") + "\n"
}

/// A crate root with its docs' `Steps` section (always their last) rewritten or added.
fn blessed_root(e: &Exercise, source: &str, old: &[Item]) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let docs_end = lines.iter().position(|l| !l.starts_with("//!")).unwrap_or(lines.len());
    let mut docs: Vec<String> = lines[..docs_end].iter().map(|l| l.to_string()).collect();
    if let Some(at) = docs.iter().position(|l| l == "//! # Steps") {
        docs.truncate(at);
    }
    while docs.last().is_some_and(|l| l == "//!") {
        docs.pop();
    }
    docs.push("//!".into());
    docs.extend(
        section(e, "# Steps", 84, old)
            .into_iter()
            .map(|l| if l.is_empty() { "//!".into() } else { format!("//! {l}") }),
    );
    let mut out = docs;
    out.extend(lines[docs_end..].iter().map(|l| l.to_string()));
    out.join("\n") + if source.ends_with('\n') { "\n" } else { "" }
}

/// Rewrites every exercise's lists (`VERIFY_BLESS=1`).
fn bless(exercises: &[Exercise]) {
    for e in exercises {
        let path = e.dir.join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap_or_default();
        let blessed = blessed_readme(e, &readme);
        if blessed != readme {
            std::fs::write(&path, blessed).unwrap();
        }
        let old = step_list(&crate_docs(&crate_root(&e.dir))).unwrap_or_default();
        for dir in [&e.dir, &e.solution_dir] {
            let lib = dir.join("src/lib.rs");
            let path = if lib.is_file() { lib } else { dir.join("src/main.rs") };
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let blessed = blessed_root(e, &source, &old);
            if blessed != source {
                std::fs::write(&path, blessed).unwrap();
            }
        }
    }
}

#[test]
fn every_readme_and_crate_doc_lists_the_runners_steps_and_their_files() {
    let ws = workspace();
    if std::env::var_os("VERIFY_BLESS").is_some() {
        bless(&ws.exercises);
    }
    let mut found = Vec::new();
    for e in &ws.exercises {
        let readme = std::fs::read_to_string(e.dir.join("README.md")).unwrap_or_default();
        found.extend(problems(e, &format!("{}/README.md", e.dir_name), step_list(&readme)));
        let stub = step_list(&crate_docs(&crate_root(&e.dir)));
        let solution = step_list(&crate_docs(&crate_root(&e.solution_dir)));
        if stub != solution {
            found.push(format!("the crate docs' Steps of {0} and of its solution differ", e.dir_name));
        }
        found.extend(problems(e, &format!("{}/src/lib.rs's crate docs", e.dir_name), stub));
    }
    assert!(
        found.is_empty(),
        "{} problems (VERIFY_BLESS=1 cargo test -p verify --test steps_docs rewrites the lists from the checks):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_list_reader_reads_items_continuations_and_files() {
    let text = "# Title\n\n## Steps\n\n1. Add two numbers — `src/lib.rs`\n2. Greet by name,\n   as the reference \
                does — `src/greet.rs`\n\n## After\n\n3. not a step\n";
    let list = step_list(text).unwrap();
    assert_eq!(
        list,
        vec![
            Item { number: 1, text: "Add two numbers — `src/lib.rs`".into() },
            Item { number: 2, text: "Greet by name, as the reference does — `src/greet.rs`".into() },
        ]
    );
    assert_eq!(named_files(&list[1].text), vec!["src/greet.rs".to_string()]);
    assert_eq!(step_list("# Title\n\n1. a list, but under no Steps heading\n"), None);
    assert_eq!(crate_docs("//! One.\n//!\n//! # Steps\n#![allow(x)]\n//! not docs"), "One.\n\n# Steps");
}
