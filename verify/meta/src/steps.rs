//! The steps of an exercise, read from the source of its checks.
//!
//! A step is a test function named `step_N_what` whose first `///` line describes
//! it. Reading them from the source (instead of asking the compiled test binary)
//! means the overview and the book know every step without building anything.

use std::path::Path;

/// One step: a check a learner makes pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The step's number, `N` in `step_N_what`.
    pub number: u32,
    /// The test function's name, e.g. `step_2_sign_and_verify`.
    pub function: String,
    /// The first line of its doc comment, or its name in words.
    pub description: String,
}

impl Step {
    /// Whether a libtest name (`checks::step_2_sign`) is this step.
    pub fn matches(&self, test_name: &str) -> bool {
        test_name.rsplit("::").next() == Some(self.function.as_str())
    }
}

/// Every step in the `.rs` files under `checks_dir`, ordered by number.
pub fn scan(checks_dir: &Path) -> std::io::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut stack = vec![checks_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                steps.extend(scan_source(&std::fs::read_to_string(&path)?));
            }
        }
    }
    steps.sort_by(|a, b| (a.number, &a.function).cmp(&(b.number, &b.function)));
    Ok(steps)
}

/// The steps defined in one source file.
pub fn scan_source(source: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut doc: Option<String> = None;
    for line in source.lines() {
        let line = line.trim();
        if let Some(text) = line.strip_prefix("///") {
            // Keep only the first line of a doc comment.
            doc.get_or_insert_with(|| text.trim().to_string());
        } else if line.starts_with("#[") || line.is_empty() {
            // Attributes (#[test], #[tokio::test]) sit between the doc and the fn.
        } else if let Some(step) = step_fn(line) {
            let description = doc.take().filter(|d| !d.is_empty()).unwrap_or_else(|| {
                let words = step.1.splitn(3, '_').nth(2).unwrap_or("").replace('_', " ");
                let mut c = words.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
            });
            steps.push(Step { number: step.0, function: step.1, description });
        } else {
            doc = None;
        }
    }
    steps
}

/// `fn step_3_parse(...)`, `async fn step_3_parse()` or `pub fn …` → (3, "step_3_parse").
fn step_fn(line: &str) -> Option<(u32, String)> {
    let rest = line.strip_prefix("pub ").unwrap_or(line);
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let rest = rest.strip_prefix("fn ")?;
    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    let number = name.strip_prefix("step_")?.split('_').next()?.parse().ok()?;
    Some((number, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_steps_docs_and_order() {
        let source = r#"
use crate::subject;

/// Generate a keypair.
/// More words the runner ignores.
#[test]
fn step_2_generate() {}

#[tokio::test]
async fn step_10_network() {}

/// Helper, not a step.
fn helper() {}

/// Sign a message.
#[test]
fn step_1_sign_message() {}
"#;
        let steps = scan_source(source);
        let got: Vec<_> = steps.iter().map(|s| (s.number, s.description.as_str())).collect();
        assert_eq!(got, vec![(2, "Generate a keypair."), (10, "Network"), (1, "Sign a message.")]);
        assert!(steps[0].matches("checks::step_2_generate"));
        assert!(!steps[0].matches("checks::step_2_generated"));
    }
}
