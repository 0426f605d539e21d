//! The mistake catalogue (`verify/mistakes/NN-name.toml`) is sound without building
//! anything: every mistake's edits apply to its reference solution (each `find` once),
//! every expectation is long enough to name a rule and is not one of the words that
//! name none (`Decrypt`, `Elapsed`, `left == right`, …), every named step exists, and
//! names are unique. Running the catalogue itself, which builds a crate per mistake,
//! is `cargo verify mistakes` (CI runs it).

mod common;

use common::repo_root;
use verify::{Workspace, mistakes};

#[test]
fn every_catalogue_applies_and_names_rules() {
    let ws = Workspace::discover(&repo_root(), Some(&repo_root())).expect("the handbook's exercises load");
    let mut problems = Vec::new();
    let mut total = 0;
    for exercise in &ws.exercises {
        let catalogue = mistakes::load(&ws.root, &exercise.dir_name).expect("a catalogue that parses");
        if let Some(catalogue) = catalogue {
            total += catalogue.mistakes.len();
            problems.extend(mistakes::lint(exercise, &catalogue));
        }
    }
    assert!(total > 0, "the handbook has a mistake catalogue");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_edit_must_find_its_text_exactly_once() {
    let edit = |find: &str| mistakes::Edit { file: "src/x.rs".into(), find: find.into(), replace: "Y".into() };
    assert_eq!(mistakes::apply("a b c", &edit("b")), Ok("a Y c".into()));
    assert!(mistakes::apply("a b b", &edit("b")).unwrap_err().contains("2 times"));
    assert!(mistakes::apply("a c", &edit("b")).unwrap_err().contains("not there"));
}
