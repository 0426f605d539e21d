//! Reading the output of Rust's test harness (libtest).
//!
//! The stable, human format is what we have (the JSON format needs a nightly
//! compiler). Its shape is steady: one `test NAME ... ok|FAILED|ignored` line per
//! test, then one `---- NAME stdout ----` section per failure holding the panic (and,
//! with `--show-output`, one per success). The code under test can print anything
//! there, so the verdicts are taken from libtest's log file instead ([`parse_log`]);
//! standard output gives messages and figures only.

use std::collections::BTreeMap;

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
    let line = stdout.lines().rev().find(|l| l.starts_with("test result: "))?;
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

/// The start of a seed line (kit's `SEEDED_PREFIX`).
const SEEDED: &str = "seeded: ";

/// The start of a figure line (kit's `FIGURE_PREFIX`).
const FIGURE: &str = "figure: ";

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
pub fn tidy(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut location: Option<String> = None;
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
            let at = at.trim_end_matches(':').trim();
            if location.is_none() {
                location = Some(at.to_string());
            }
            continue;
        }
        lines.push(line.trim_end().to_string());
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if let Some(first) = lines.first_mut()
        && (first == "not yet implemented" || first.starts_with("not yet implemented: "))
    {
        *first = first.replacen("not yet implemented", "not written yet (this function still calls todo!)", 1);
    }
    if let Some(at) = location {
        lines.push(format!("  at {at}"));
    }
    lines.join("\n")
}

/// At most `max` lines of `text`, saying how many were left out.
pub fn cut(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max {
        return text.to_string();
    }
    let mut out = lines[..max].join("\n");
    out.push_str(&format!("\n… {} more lines", lines.len() - max));
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

    #[test]
    fn cuts_long_messages() {
        assert_eq!(cut("a\nb\nc", 2), "a\nb\n… 1 more lines");
        assert_eq!(cut("a\nb", 2), "a\nb");
    }
}
