//! Reading the output of Rust's test harness (libtest).
//!
//! The stable, human format is what we have (the JSON format needs a nightly
//! compiler). Its shape is steady: one `test NAME ... ok|FAILED|ignored` line per
//! test, then one `---- NAME stdout ----` section per failure holding the panic (and,
//! with `--show-output`, one per success). The code under test can print anything
//! there, so the verdicts are taken from libtest's log file instead ([`parse_log`]);
//! standard output gives messages and figures only.

use std::collections::BTreeMap;

// The lines the kit prints for the runner (declared once, for both, in verify-protocol).
use verify_protocol::{FIGURE_PREFIX as FIGURE, SEEDED_PREFIX as SEEDED};

/// The outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Failed, with the message cut to what a learner needs.
    Failed(String),
    Ignored,
}

/// Every test the harness reported, by name.
pub fn parse(stdout: &str) -> BTreeMap<String, Outcome> {
    let mut outcomes = BTreeMap::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else { continue };
        let Some((name, result)) = rest.rsplit_once(" ... ") else { continue };
        let outcome = match result.trim() {
            "ok" => Outcome::Passed,
            "FAILED" => Outcome::Failed(String::new()),
            r if r.starts_with("ignored") => Outcome::Ignored,
            _ => continue,
        };
        outcomes.insert(name.trim().to_string(), outcome);
    }
    for (name, text) in failure_sections(stdout) {
        if let Some(Outcome::Failed(message)) = outcomes.get_mut(&name) {
            *message = tidy(&text);
        }
    }
    outcomes
}

/// The verdicts of libtest's log file (`--logfile`): one `ok NAME`, `failed NAME`
/// (or `failed NAME` after a message) or `ignored NAME` line per test that finished.
pub fn parse_log(log: &str) -> BTreeMap<String, Outcome> {
    let mut outcomes = BTreeMap::new();
    for line in log.lines() {
        let Some((verdict, name)) = line.split_once(' ') else { continue };
        let outcome = match verdict {
            "ok" => Outcome::Passed,
            "ignored" => Outcome::Ignored,
            v if v.starts_with("failed") => Outcome::Failed(String::new()),
            _ => continue,
        };
        // `failed (time out) NAME` and the like: the name is the last word.
        let name = name.rsplit(' ').next().unwrap_or(name);
        outcomes.insert(name.trim().to_string(), outcome);
    }
    outcomes
}

/// The counts in libtest's closing `test result:` line (the last one printed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
}

pub fn summary(stdout: &str) -> Option<Summary> {
    summaries(stdout).pop()
}

/// Every `test result:` line, in order. One test binary prints exactly one; more
/// means something else printed one too.
pub fn summaries(stdout: &str) -> Vec<Summary> {
    stdout.lines().filter(|l| l.starts_with("test result: ")).filter_map(summary_of).collect()
}

fn summary_of(line: &str) -> Option<Summary> {
    let count = |what: &str| -> Option<usize> {
        line.split(';').find_map(|part| part.trim().strip_suffix(what)?.trim().rsplit(' ').next()?.parse().ok())
    };
    Some(Summary { passed: count(" passed")?, failed: count(" failed")? })
}

/// The figures (`figure: LABEL: VALUE` lines, printed by `kit::figure`) in each
/// test's output section, in the order first printed. A figure printed again (a
/// running count, say) keeps its place and takes the latest value.
pub fn figures(stdout: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut figures = BTreeMap::new();
    for (name, text) in sections(stdout) {
        let mut found: Vec<(String, String)> = Vec::new();
        for (label, value) in text.lines().filter_map(|l| l.strip_prefix(FIGURE)).filter_map(|f| f.rsplit_once(": ")) {
            let (label, value) = (label.trim().to_string(), value.trim().to_string());
            match found.iter_mut().find(|(l, _)| *l == label) {
                Some(slot) => slot.1 = value,
                None => found.push((label, value)),
            }
        }
        if !found.is_empty() {
            figures.insert(name, found);
        }
    }
    figures
}

/// The tests whose output says they ran a seeded simulation (`seeded: …`, printed
/// by `kit::seed`): the ones a seed sweep repeats.
pub fn seeded(stdout: &str) -> Vec<String> {
    sections(stdout)
        .into_iter()
        .filter(|(_, text)| text.lines().any(|l| l.starts_with(SEEDED)))
        .map(|(name, _)| name)
        .collect()
}

/// The `---- NAME stdout ----` sections: what each test printed (the failing ones,
/// and with `--show-output` the passing ones too).
fn failure_sections(stdout: &str) -> Vec<(String, String)> {
    sections(stdout)
}

fn sections(stdout: &str) -> Vec<(String, String)> {
    let mut sections = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("---- ").and_then(|l| l.strip_suffix(" stdout ----")) {
            sections.extend(current.take());
            current = Some((name.to_string(), String::new()));
        } else if line == "failures:" || line == "successes:" || line.starts_with("test result: ") {
            sections.extend(current.take());
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    sections.extend(current);
    sections
}

/// Turns a raw panic report into a message for a learner:
///
/// ```text
/// thread 'checks::step_2' panicked at src/lib.rs:40:5:
/// not yet implemented: sign the message
/// note: run with `RUST_BACKTRACE=1` ...
/// ```
/// becomes
/// ```text
/// not yet implemented: sign the message
///   at src/lib.rs:40:5
/// ```
///
/// The message comes first and the location last, so a cut message keeps both
/// (see [`cut`]). A failed property (proptest) is folded by [`fold_property`].
pub fn tidy(raw: &str) -> String {
    let mut printed: Vec<String> = Vec::new();
    let mut panics: Vec<Panic> = Vec::new();
    for line in raw.lines() {
        if line.starts_with("note: run with `RUST_BACKTRACE")
            || line.starts_with("stack backtrace:")
            || line.starts_with(FIGURE)
            || line.starts_with(SEEDED)
        {
            continue;
        }
        // `thread 'name' panicked at …`, or in recent Rust versions `thread 'name' (id) panicked at …`.
        if let Some(rest) = line.strip_prefix("thread '")
            && let Some((_, at)) = rest.split_once(" panicked at ")
        {
            panics.push(Panic { location: at.trim_end_matches(':').trim().to_string(), message: Vec::new() });
            continue;
        }
        match panics.last_mut() {
            Some(panic) => panic.message.push(line.trim_end().to_string()),
            None => printed.push(line.trim_end().to_string()),
        }
    }
    let (mut lines, location) = match fold_property(&panics) {
        Some(folded) => folded,
        None => {
            let location = panics.first().map(|p| p.location.clone());
            printed.extend(panics.into_iter().flat_map(|p| p.message));
            (printed, location)
        }
    };
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if let Some(first) = lines.first_mut()
        && (first == "not yet implemented" || first.starts_with("not yet implemented: "))
    {
        *first = first.replacen("not yet implemented", UNWRITTEN, 1);
    }
    if let Some(at) = location {
        lines.push(format!("{AT}{at}"));
    }
    lines.join("\n")
}

/// Whether a tidied message is the panic of code still to be written (a `todo!` or
/// `unimplemented!` stub), not a wrong answer.
pub fn unwritten(message: &str) -> bool {
    let first = message.lines().next().unwrap_or("");
    first.starts_with(UNWRITTEN) || first == "not implemented" || first.starts_with("not implemented: ")
}

/// What the panic of a `todo!` stub says once tidied.
const UNWRITTEN: &str = "not written yet (this function still calls todo!)";

/// How a location line starts in a tidied message.
const AT: &str = "  at ";

/// One panic in a test's output: where, and what it said.
struct Panic {
    location: String,
    message: Vec<String>,
}

/// A failed property test, as proptest reports it: its last panic says
///
/// ```text
/// Test failed: assertion failed: `(left == right)`
///   left: `1`,
///  right: `2`: commutative: a ⊔ b = b ⊔ a at tests/checks/mod.rs:183.
/// minimal failing input: a = [
///     Inc(
///         1,
///     ),
/// ], b = []
///         successes: 0
/// ```
///
/// and every case that failed while it searched for the smallest input panicked
/// before it (when the case itself panicked: a `todo!` stub, an overflow). Folded, the
/// law's name comes first, then the values, the smallest input on one line, and
/// where it broke: the assertion's line, or for a panicking case the place it
/// panicked (proptest keeps only the panic's text).
fn fold_property(panics: &[Panic]) -> Option<(Vec<String>, Option<String>)> {
    let last = panics.last()?;
    let text = last.message.join("\n");
    let body = text.strip_prefix("Test failed: ")?;
    let (why, rest) = body.split_once("\nminimal failing input: ").unwrap_or((body, ""));
    let why = why.strip_suffix('.').unwrap_or(why);
    let input: Vec<&str> = rest.lines().take_while(|l| !l.starts_with("\tsuccesses:")).collect();
    let (why, asserted_at) = split_location(why);
    let location = asserted_at
        .map(str::to_string)
        .or_else(|| panics.len().checked_sub(2).map(|i| panics[i].location.clone()))
        .unwrap_or_else(|| last.location.clone());
    let mut lines = property_assertion(why);
    if !input.is_empty() {
        lines.push(format!("minimal failing input: {}", compact_debug(&input.join("\n"))));
    }
    Some((lines, Some(location)))
}

/// `message at path/to/file.rs:42` → (`message`, `path/to/file.rs:42`): where a
/// `prop_assert!` put its location.
fn split_location(why: &str) -> (&str, Option<&str>) {
    if let Some((message, at)) = why.rsplit_once(" at ")
        && let Some((file, line)) = at.rsplit_once(':')
        && file.ends_with(".rs")
        && !line.is_empty()
        && line.chars().all(|c| c.is_ascii_digit())
    {
        return (message, Some(at));
    }
    (why, None)
}

/// A `prop_assert_eq!` failure, said the way `assert_eq!` says it, so the law's
/// name is on the first line: `assertion `left == right` failed: LAW`, then the
/// two values.
fn property_assertion(why: &str) -> Vec<String> {
    let parsed = why.strip_prefix("assertion failed: `(left == right)`").and_then(|rest| {
        let (left, right) = rest.split_once("\n right: `")?;
        let left = left.trim_start().strip_prefix("left: `")?.trim_end().strip_suffix("`,")?;
        let (right, law) = match right.rsplit_once("`: ") {
            Some((right, law)) => (right, Some(law)),
            None => (right.strip_suffix('`')?, None),
        };
        Some((left, right, law))
    });
    match parsed {
        Some((left, right, law)) => {
            let head = match law {
                Some(law) => format!("assertion `left == right` failed: {law}"),
                None => "assertion `left == right` failed".to_string(),
            };
            vec![head, format!("  left: {left}"), format!(" right: {right}")]
        }
        None => why.lines().map(str::to_string).collect(),
    }
}

/// A value printed with `{:#?}` (one field a line), put back on one line:
/// `[\n    Inc(\n        1,\n    ),\n]` → `[Inc(1)]`.
fn compact_debug(pretty: &str) -> String {
    let mut out = String::new();
    for line in pretty.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with([')', ']', '}']) {
            if out.ends_with(',') {
                out.pop();
            }
            if line.starts_with('}') {
                out.push(' ');
            }
        } else if !out.is_empty() && !out.ends_with(['(', '[']) {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// At most `max` lines of `text`, saying how many were left out. A tidied
/// message's location (its last line, `  at …`) is always kept.
pub fn cut(text: &str, max: usize) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let location = lines.last().filter(|l| l.starts_with(AT)).copied();
    if location.is_some() {
        lines.pop();
    }
    if lines.len() <= max {
        return text.to_string();
    }
    let mut out = lines[..max].join("\n");
    out.push_str(&format!("\n… {} more lines", lines.len() - max));
    if let Some(at) = location {
        out.push('\n');
        out.push_str(at);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "
running 3 tests
test checks::step_1_keys ... ok
test checks::step_3_seal ... ignored, slow
test checks::step_2_sign ... FAILED

failures:

---- checks::step_2_sign stdout ----

thread 'checks::step_2_sign' panicked at exercises/01-identity/src/lib.rs:40:5:
not yet implemented: sign the message
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    checks::step_2_sign

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out
";

    #[test]
    fn reads_outcomes_and_tidies_panics() {
        let outcomes = parse(OUTPUT);
        assert_eq!(outcomes["checks::step_1_keys"], Outcome::Passed);
        assert_eq!(outcomes["checks::step_3_seal"], Outcome::Ignored);
        assert_eq!(
            outcomes["checks::step_2_sign"],
            Outcome::Failed(
                "not written yet (this function still calls todo!): sign the message\n  at exercises/01-identity/src/lib.rs:40:5".into()
            )
        );
    }

    #[test]
    fn keeps_assertion_details() {
        let raw = "thread 't' (4242) panicked at tests/checks/mod.rs:9:5:\nassertion `left == right` failed: ids differ\n  left: 1\n right: 2\n";
        assert_eq!(
            tidy(raw),
            "assertion `left == right` failed: ids differ\n  left: 1\n right: 2\n  at tests/checks/mod.rs:9:5"
        );
    }

    #[test]
    fn verdicts_come_from_the_log_and_figures_from_any_section() {
        let log = "ok checks::step_1_keys\nignored checks::step_3_seal\nfailed checks::step_2_sign\n";
        let outcomes = parse_log(log);
        assert_eq!(outcomes["checks::step_1_keys"], Outcome::Passed);
        assert_eq!(outcomes["checks::step_2_sign"], Outcome::Failed(String::new()));
        assert_eq!(outcomes["checks::step_3_seal"], Outcome::Ignored);
        let out = "successes:\n\n---- checks::step_1 stdout ----\nfigure: messages per operation: 4.2\nfigure: messages per operation: 5.7\nother\n\nsuccesses:\n    checks::step_1\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n";
        assert_eq!(figures(out)["checks::step_1"], vec![("messages per operation".to_string(), "5.7".to_string())]);
        assert_eq!(summary(out), Some(Summary { passed: 1, failed: 0 }));
        assert_eq!(summary(OUTPUT), Some(Summary { passed: 1, failed: 1 }));
    }

    /// Recorded from the crdt checks (RUST_BACKTRACE=0) against a G-Counter whose
    /// merge adds instead of taking the maximum: step 5 (a property whose law fails)
    /// and step 7 (the count overflows). Step 6 is the pristine step 5's report (each
    /// failing case's panic printed before proptest's own), with the cases' panics
    /// made overflows: a property whose case panics in the learner's code.
    const RECORDED: &str = "
running 3 tests
test checks::step_5_merge_laws ... FAILED
test checks::step_7_convergence ... FAILED
test checks::step_6_matches_the_reference ... FAILED

failures:

---- checks::step_5_merge_laws stdout ----

thread 'checks::step_5_merge_laws' (14075) panicked at exercises/15-crdt/tests/checks/mod.rs:193:1:
Test failed: assertion failed: `(left == right)` \n  left: `Values { g_counter: 2, pn_counter: 2, lww_register: None, or_set: {} }`, \n right: `Values { g_counter: 1, pn_counter: 1, lww_register: None, or_set: {} }`: idempotent: a ⊔ a = a at exercises/15-crdt/tests/checks/mod.rs:206.
minimal failing input: a = [
    Inc(
        1,
    ),
], b = [], c = []
\tsuccesses: 0
\tlocal rejects: 0
\tglobal rejects: 0

note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- checks::step_7_convergence stdout ----
seeded: default
seeded: default

thread 'checks::step_7_convergence' (14076) panicked at src/counter.rs:37:13:
attempt to add with overflow

---- checks::step_6_matches_the_reference stdout ----

thread 'checks::step_6_matches_the_reference' (14504) panicked at exercises/15-crdt/src/orset.rs:62:9:
not yet implemented
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

thread 'checks::step_6_matches_the_reference' (14504) panicked at exercises/15-crdt/src/register.rs:35:9:
attempt to add with overflow

thread 'checks::step_6_matches_the_reference' (14504) panicked at exercises/15-crdt/src/counter.rs:38:9:
attempt to add with overflow

thread 'checks::step_6_matches_the_reference' (14504) panicked at exercises/15-crdt/tests/checks/mod.rs:193:1:
Test failed: attempt to add with overflow.
minimal failing input: histories = [
    [],
    [
        Inc(
            18446744073709551615,
        ),
    ],
    [],
], order = [2, 1, 0]
\tsuccesses: 0
\tlocal rejects: 0
\tglobal rejects: 0



failures:
    checks::step_5_merge_laws
    checks::step_7_convergence
    checks::step_6_matches_the_reference

test result: FAILED. 0 passed; 3 failed; 0 ignored; 0 measured; 6 filtered out; finished in 0.01s
";

    #[test]
    fn every_failure_keeps_its_message_and_location_and_a_property_its_law_and_input() {
        let outcomes = parse(RECORDED);
        let Outcome::Failed(law) = &outcomes["checks::step_5_merge_laws"] else { panic!("step 5 failed") };
        assert_eq!(
            law,
            "assertion `left == right` failed: idempotent: a ⊔ a = a\n\
             \x20 left: Values { g_counter: 2, pn_counter: 2, lww_register: None, or_set: {} }\n\
             \x20right: Values { g_counter: 1, pn_counter: 1, lww_register: None, or_set: {} }\n\
             minimal failing input: a = [Inc(1)], b = [], c = []\n\
             \x20 at exercises/15-crdt/tests/checks/mod.rs:206"
        );
        assert_eq!(
            outcomes["checks::step_7_convergence"],
            Outcome::Failed("attempt to add with overflow\n  at src/counter.rs:37:13".into())
        );
        // A case that panicked: proptest keeps only the text; the place comes from the
        // panic of the last (the smallest) failing case.
        assert_eq!(
            outcomes["checks::step_6_matches_the_reference"],
            Outcome::Failed(
                "attempt to add with overflow\n\
                 minimal failing input: histories = [[], [Inc(18446744073709551615)], []], order = [2, 1, 0]\n\
                 \x20 at exercises/15-crdt/src/counter.rs:38:9"
                    .into()
            )
        );
        // Cut for a later failing step, the law and the location stay.
        assert_eq!(
            cut(law, 1),
            "assertion `left == right` failed: idempotent: a ⊔ a = a\n… 3 more lines\n  at exercises/15-crdt/tests/checks/mod.rs:206"
        );
    }

    #[test]
    fn a_pristine_property_says_which_todo_it_hit() {
        let raw = "\nthread 't' (1) panicked at src/orset.rs:62:9:\nnot yet implemented\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 't' (1) panicked at src/counter.rs:38:9:\nnot yet implemented\n\nthread 't' (1) panicked at tests/checks/mod.rs:193:1:\nTest failed: not yet implemented.\nminimal failing input: a = [], b = [], c = []\n\tsuccesses: 0\n\tlocal rejects: 0\n\tglobal rejects: 0\n";
        assert_eq!(
            tidy(raw),
            "not written yet (this function still calls todo!)\nminimal failing input: a = [], b = [], c = []\n  at src/counter.rs:38:9"
        );
        assert_eq!(compact_debug("Values {\n    g: 1,\n    s: {\n        2,\n    },\n}"), "Values { g: 1, s: { 2 } }");
        assert!(unwritten(&tidy(raw)), "a todo! stub is code still to be written");
        assert!(!unwritten("assertion `left == right` failed\n  at src/lib.rs:1:1"));
    }

    #[test]
    fn cuts_long_messages() {
        assert_eq!(cut("a\nb\nc", 2), "a\nb\n… 1 more lines");
        assert_eq!(cut("a\nb", 2), "a\nb");
    }
}
