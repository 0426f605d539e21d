//! Every measured figure in the book names the code that prints it, and that code exists.
//!
//! The convention, for whoever writes a page: next to a measured figure (after its
//! paragraph or table, on a line of its own), an HTML comment that mdBook leaves out of
//! the rendered page,
//!
//! ```text
//! <!-- figure: solutions/07-streams/examples/throughput.rs -->
//! <!-- figure: exercises/09-gossip/tests/checks/mod.rs step_4_glomers_3d -->
//! ```
//!
//! names the file, relative to the repository's root, and optionally the function in it
//! (a test or a check step) that prints the figure. The prose beside it says the machine
//! and build the figure came from (or that it is simulated time, the same anywhere).
//!
//! This test fails when
//! - a named file does not exist, or does not define the named `fn`;
//! - a section (the text between two headings) says "Measured with" or "Measured by", or
//!   runs a benchmark (`cargo run --release … --example NAME`), and has no marker;
//! - such a command names an example that does not exist, or one that no marker in its
//!   section names (`…/examples/NAME.rs`).
//!
//! It only reads files, so it takes milliseconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A `<!-- figure: PATH [FN] -->` marker.
#[derive(Debug, PartialEq, Eq)]
struct Marker {
    /// 1-based line of the page.
    line: usize,
    path: String,
    function: Option<String>,
}

/// A `cargo run … --example NAME` command: the package (`-p NAME`) or the manifest's
/// directory (`--manifest-path DIR/Cargo.toml`), and the example.
#[derive(Debug, PartialEq, Eq)]
struct Command {
    line: usize,
    package: Option<String>,
    manifest_dir: Option<String>,
    example: String,
    release: bool,
}

/// One section of a page: from a heading (or the page's start) to the next heading.
#[derive(Debug, Default)]
struct Section {
    heading: String,
    markers: Vec<Marker>,
    commands: Vec<Command>,
    /// The line of the first "Measured with" / "Measured by", if any.
    measured_at: Option<usize>,
}

const MARKER: &str = "<!-- figure:";

/// Reads a marker from one line, if the line holds one. A malformed marker is an error.
fn marker(line: &str, number: usize) -> Option<Result<Marker, String>> {
    let start = line.find(MARKER)?;
    let rest = &line[start + MARKER.len()..];
    let Some(end) = rest.find("-->") else {
        return Some(Err(format!("line {number}: a figure marker must end on its own line with -->")));
    };
    let mut words = rest[..end].split_whitespace();
    let Some(path) = words.next() else {
        return Some(Err(format!("line {number}: a figure marker names no file")));
    };
    let function = words.next().map(str::to_string);
    if words.next().is_some() {
        return Some(Err(format!("line {number}: a figure marker is `<!-- figure: PATH [FN] -->`, one of each")));
    }
    Some(Ok(Marker { line: number, path: path.to_string(), function }))
}

/// The `cargo run` commands with `--example` in a stretch of text (whitespace, line
/// breaks included, counts as one space; backticks end a command).
fn commands(text: &str, line: usize) -> Vec<Command> {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut found = Vec::new();
    for (at, _) in flat.match_indices("cargo run") {
        let command = &flat[at..];
        let command = &command[..command.find('`').unwrap_or(command.len())];
        let words: Vec<&str> = command.split(' ').collect();
        let after =
            |flag: &str| words.iter().position(|w| *w == flag).and_then(|i| words.get(i + 1)).map(|w| w.to_string());
        let Some(example) = after("--example") else { continue };
        let manifest_dir = after("--manifest-path")
            .map(|m| m.trim_end_matches("Cargo.toml").trim_end_matches('/').to_string())
            .map(|d| if d.is_empty() { ".".to_string() } else { d });
        found.push(Command {
            line,
            package: after("-p").or_else(|| after("--package")),
            manifest_dir,
            example,
            release: words.contains(&"--release"),
        });
    }
    found
}

/// Splits a page into sections, skipping fenced code blocks, and collects the markers,
/// benchmark commands and "Measured" phrases of each.
fn sections(page: &str) -> Result<Vec<Section>, String> {
    let mut out = vec![Section { heading: "(top of the page)".into(), ..Section::default() }];
    let mut in_code = false;
    let mut paragraph = String::new();
    let mut paragraph_line = 1;
    let flush = |out: &mut Vec<Section>, paragraph: &mut String, line: usize| {
        let found = commands(paragraph, line);
        out.last_mut().expect("a section").commands.extend(found);
        paragraph.clear();
    };
    for (i, line) in page.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            flush(&mut out, &mut paragraph, paragraph_line);
            continue;
        }
        if in_code {
            continue;
        }
        if trimmed.starts_with('#') && trimmed.trim_start_matches('#').starts_with(' ') {
            flush(&mut out, &mut paragraph, paragraph_line);
            out.push(Section { heading: trimmed.to_string(), ..Section::default() });
            continue;
        }
        if let Some(m) = marker(line, number) {
            out.last_mut().expect("a section").markers.push(m?);
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, paragraph_line);
            continue;
        }
        if paragraph.is_empty() {
            paragraph_line = number;
        }
        paragraph.push_str(line);
        paragraph.push('\n');
        let section = out.last_mut().expect("a section");
        if section.measured_at.is_none() && (line.contains("Measured with") || line.contains("Measured by")) {
            section.measured_at = Some(number);
        }
    }
    flush(&mut out, &mut paragraph, paragraph_line);
    Ok(out)
}

/// What the check needs to know about the repository.
trait Repo {
    /// The text of a file, by its path from the root; `None` if there is none.
    fn read(&self, path: &str) -> Option<String>;
    /// The directory (from the root) of the workspace package with this name.
    fn package_dir(&self, package: &str) -> Option<String>;
}

/// Whether `source` defines `fn name` (as a whole word).
fn defines(source: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    source.match_indices(&needle).any(|(at, _)| {
        let next = source[at + needle.len()..].chars().next();
        matches!(next, Some('(') | Some('<') | Some(' '))
    })
}

/// Every broken promise of one page, as messages naming the page and line.
fn problems(page_name: &str, page: &str, repo: &dyn Repo) -> Vec<String> {
    let sections = match sections(page) {
        Ok(s) => s,
        Err(e) => return vec![format!("{page_name}: {e}")],
    };
    let mut out = Vec::new();
    for section in &sections {
        for m in &section.markers {
            match repo.read(&m.path) {
                None => out.push(format!(
                    "{page_name}:{}: the figure marker names `{}`, which does not exist (renamed or removed? update the marker and the prose)",
                    m.line, m.path
                )),
                Some(source) => {
                    if let Some(f) = &m.function
                        && !defines(&source, f)
                    {
                        out.push(format!(
                            "{page_name}:{}: the figure marker names `fn {f}` in `{}`, which defines no such function",
                            m.line, m.path
                        ));
                    }
                }
            }
        }
        for c in &section.commands {
            let dir = match (&c.manifest_dir, &c.package) {
                (Some(dir), _) => Some(dir.clone()),
                (None, Some(p)) => repo.package_dir(p),
                (None, None) => Some(".".to_string()),
            };
            let Some(dir) = dir else {
                out.push(format!(
                    "{page_name}:{}: `cargo run -p {}` names a package that no Cargo.toml in the repository defines",
                    c.line,
                    c.package.as_deref().unwrap_or("?")
                ));
                continue;
            };
            let example = if dir == "." {
                format!("examples/{}.rs", c.example)
            } else {
                format!("{dir}/examples/{}.rs", c.example)
            };
            let example_dir = if dir == "." {
                format!("examples/{}/main.rs", c.example)
            } else {
                format!("{dir}/examples/{}/main.rs", c.example)
            };
            if repo.read(&example).is_none() && repo.read(&example_dir).is_none() {
                out.push(format!(
                    "{page_name}:{}: `--example {}` runs `{example}`, which does not exist",
                    c.line, c.example
                ));
            }
            if c.release && !section.markers.iter().any(|m| m.path == example || m.path == example_dir) {
                out.push(format!(
                    "{page_name}:{}: the section {:?} runs the benchmark `{example}` but no `<!-- figure: {example} -->` marker in it names it",
                    c.line, section.heading
                ));
            }
        }
        if let Some(at) = section.measured_at
            && section.markers.is_empty()
        {
            out.push(format!(
                "{page_name}:{at}: the section {:?} reports a measurement but has no `<!-- figure: PATH [FN] -->` marker naming the code that prints it",
                section.heading
            ));
        }
    }
    out
}

/// The repository on disk.
struct Disk {
    root: PathBuf,
    packages: BTreeMap<String, String>,
}

impl Disk {
    fn new(root: &Path) -> Disk {
        let mut packages = BTreeMap::new();
        let skipped = |e: &walkdir::DirEntry| {
            let name = e.file_name().to_string_lossy();
            e.depth() > 0
                && e.file_type().is_dir()
                && (name.starts_with('.') || matches!(name.as_ref(), "target" | "book-html" | "node_modules"))
        };
        for entry in walkdir::WalkDir::new(root).into_iter().filter_entry(|e| !skipped(e)).flatten() {
            if entry.file_name() == "Cargo.toml"
                && let Ok(text) = std::fs::read_to_string(entry.path())
                && let Some(package) = package_name(&text)
            {
                let dir = entry.path().parent().unwrap_or(root);
                let rel = dir.strip_prefix(root).unwrap_or(dir).to_string_lossy().to_string();
                packages.insert(package, if rel.is_empty() { ".".into() } else { rel });
            }
        }
        Disk { root: root.to_path_buf(), packages }
    }
}

/// The `name` of a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

impl Repo for Disk {
    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }
    fn package_dir(&self, package: &str) -> Option<String> {
        self.packages.get(package).cloned()
    }
}

fn pages(dir: &Path) -> Vec<PathBuf> {
    let entries = walkdir::WalkDir::new(dir).into_iter().map(|e| e.expect("book/ is readable"));
    entries.map(walkdir::DirEntry::into_path).filter(|p| p.extension().is_some_and(|e| e == "md")).collect()
}

#[test]
fn every_figure_names_code_that_exists() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let repo = Disk::new(root);
    let mut files = pages(&root.join("book"));
    files.sort();
    assert!(files.len() > 10, "found only {} pages under book/", files.len());
    let mut all = Vec::new();
    let mut markers = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a page is readable");
        markers += text.matches(MARKER).count();
        let name = file.strip_prefix(root).unwrap_or(file).to_string_lossy().to_string();
        all.extend(problems(&name, &text, &repo));
    }
    assert!(
        markers > 10,
        "found only {markers} figure markers in the book: is the convention still `{MARKER} PATH [FN] -->`?"
    );
    assert!(all.is_empty(), "{} broken figure references:\n{}", all.len(), all.join("\n"));
}

/// A repository in memory, for the checks of the checker.
struct Fake(BTreeMap<&'static str, &'static str>);

impl Repo for Fake {
    fn read(&self, path: &str) -> Option<String> {
        self.0.get(path).map(|s| s.to_string())
    }
    fn package_dir(&self, package: &str) -> Option<String> {
        (package == "streams-solution").then(|| "solutions/07-streams".to_string())
    }
}

fn fake() -> Fake {
    Fake(BTreeMap::from([
        ("solutions/07-streams/examples/throughput.rs", "fn main() {}"),
        ("exercises/09-gossip/tests/checks/mod.rs", "#[test]\nfn step_4_glomers_3d() {}\nfn step_40() {}"),
    ]))
}

const GOOD: &str = "# Streams\n\n## Measured\n\nMeasured with `cargo run --release -p\nstreams-solution --example throughput` on a 2-core machine, release build: 930 MB/s.\n\n<!-- figure: solutions/07-streams/examples/throughput.rs -->\n\n## Gossip\n\nMeasured by step 4: 5.7 messages per operation.\n<!-- figure: exercises/09-gossip/tests/checks/mod.rs step_4_glomers_3d -->\n";

#[test]
fn a_page_whose_references_exist_passes() {
    assert_eq!(problems("good.md", GOOD, &fake()), Vec::<String>::new());
}

#[test]
fn a_marker_naming_a_missing_file_fails() {
    let page = GOOD.replace("examples/throughput.rs -->", "examples/gone.rs -->");
    let found = problems("bad.md", &page, &fake());
    assert!(
        found.iter().any(|p| p.contains("`solutions/07-streams/examples/gone.rs`, which does not exist")),
        "{found:?}"
    );
    // The benchmark command in that section is now named by no marker.
    assert!(
        found.iter().any(|p| p.contains("no `<!-- figure: solutions/07-streams/examples/throughput.rs -->`")),
        "{found:?}"
    );
}

#[test]
fn a_marker_naming_a_missing_function_fails() {
    let page = GOOD.replace("step_4_glomers_3d", "step_4_glomers");
    let found = problems("bad.md", &page, &fake());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("bad.md:13:") && found[0].contains("`fn step_4_glomers`"), "{found:?}");
    // A function whose name only starts the same is not the one named.
    assert!(!defines("fn step_40() {}", "step_4"));
    assert!(defines("async fn step_4() {}", "step_4"));
}

#[test]
fn a_command_naming_a_missing_example_fails() {
    let page = GOOD.replace("--example throughput", "--example gone");
    let found = problems("bad.md", &page, &fake());
    assert!(
        found
            .iter()
            .any(|p| p.contains("`--example gone` runs `solutions/07-streams/examples/gone.rs`, which does not exist")),
        "{found:?}"
    );
    let page = GOOD.replace("-p\nstreams-solution", "-p nobody");
    let found = problems("bad.md", &page, &fake());
    assert!(found.iter().any(|p| p.contains("`cargo run -p nobody` names a package")), "{found:?}");
}

#[test]
fn a_measurement_without_a_marker_fails() {
    let page = GOOD.replace("<!-- figure: exercises/09-gossip/tests/checks/mod.rs step_4_glomers_3d -->\n", "");
    let found = problems("bad.md", &page, &fake());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("bad.md:12:") && found[0].contains("\"## Gossip\""), "{found:?}");
}

#[test]
fn code_blocks_and_malformed_markers() {
    // A command inside a fenced block is an example to type, not a figure.
    let page = "# Demo\n\n```sh\ncargo run --release -p streams-solution --example gone\n```\n";
    assert_eq!(problems("demo.md", page, &fake()), Vec::<String>::new());
    let page = "# Demo\n\n<!-- figure: -->\n";
    assert!(problems("demo.md", page, &fake())[0].contains("names no file"));
    let page = "# Demo\n\n<!-- figure: a b c -->\n";
    assert!(problems("demo.md", page, &fake())[0].contains("one of each"));
}
