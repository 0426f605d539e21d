//! A sandbox for the runner's tests: a copy of the handbook in a temporary folder,
//! made a git repository (the pristine state), with a tiny `fixture` exercise whose
//! source each test rewrites to play a learner: stuck, half done, done, hanging,
//! crashing, not compiling. The fixture's sources that contain stubs are kept as
//! data files in `tests/fixture/` (they are written into the sandbox, never compiled
//! as part of this crate).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;

/// The handbook this test binary belongs to.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A target folder of the runner tests' own, kept between runs, for a sandbox whose
/// fixture has dependencies (proptest): they compile on a machine's first run only.
/// (Not the workspace's own target/: the sandbox resolves their features without
/// workspace-hack, so they would be other builds there anyway.)
pub fn shared_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-target")
}

/// A `verify` command for the handbook at `root`, with a quiet, colourless output.
pub fn verify_at(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("verify").unwrap();
    cmd.current_dir(root)
        .env("CARGO_TARGET_DIR", shared_target())
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        // Preparing the whole workshop is measured by hand, not in every test.
        .env("VERIFY_NO_SETUP", "1")
        .env_remove("VERIFY_TIMEOUT")
        .env_remove("VERIFY_ROOT")
        .env_remove("VERIFY_STATE_DIR")
        .env_remove("VERIFY_PRISTINE_REV")
        .env_remove("RUST_BACKTRACE");
    cmd
}

pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

pub const PRISTINE: &str = include_str!("../fixture/pristine.rs.txt");

pub const SOLVED: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { a + b }
pub fn greet(name: &str) -> String { format!("Hello, {name}!") }
"#;

pub const HALF: &str = include_str!("../fixture/half.rs.txt");

pub const HANG: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { a + b }
pub fn greet(name: &str) -> String { loop { std::thread::sleep(std::time::Duration::from_millis(50)); } }
"#;

pub const CRASH: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { a + b }
#[allow(unconditional_recursion)]
pub fn greet(name: &str) -> String { let mut s = greet(name); s.push('!'); s }
"#;

pub const BROKEN: &str = include_str!("../fixture/broken.rs.txt");

const CHECKS: &str = r#"use crate::{reference, subject};

/// Add two numbers.
#[test]
fn step_1_add() {
    assert_eq!(subject::add(2, 3), 5, "2 + 3 should be 5");
}

/// Greet by name, as the reference does.
#[test]
fn step_2_greet() {
    assert_eq!(subject::greet("Ada"), reference::greet("Ada"), "the greeting differs from the reference");
}
"#;

const HINTS: &str = r#"[steps]
1 = ["first hint", "second hint", "third hint"]
2 = ["a hint for greeting"]
"#;

/// Plays a learner who tries to pass without solving: prints libtest's own lines
/// and summary straight to standard output, then exits successfully.
pub const CHEAT: &str = r#"
pub fn add(a: u32, b: u32) -> u32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "test checks::step_1_add ... ok");
    let _ = writeln!(out, "test checks::step_2_greet ... ok");
    let _ = writeln!(out, "\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s");
    let _ = out.flush();
    std::process::exit(0)
}
pub fn greet(name: &str) -> String { String::new() }
"#;

/// Solves step 1 honestly, forges step 2's verdict and summary, and fails it.
pub const FORGE: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { a + b }
pub fn greet(name: &str) -> String {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "test checks::step_2_greet ... ok");
    panic!("not solved")
}
"#;

/// Passes, but leaves a grandchild in a session of its own that holds the output
/// pipes open for ten minutes.
pub const ESCAPE: &str = r#"
pub fn add(a: u32, b: u32) -> u32 { a + b }
pub fn greet(name: &str) -> String {
    let _ = std::process::Command::new("setsid").args(["sleep", "611"]).spawn();
    std::thread::sleep(std::time::Duration::from_millis(300));
    format!("Hello, {name}!")
}
"#;

fn fixture_manifest(name: &str, dev: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[package.metadata.handbook]
title = "Fixture"
chapter = "introduction.md"
minutes = 1
summary = "A tiny exercise the runner's tests use."
edit = ["src/lib.rs"]

[dev-dependencies]
{dev}
"#
    )
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new().prefix("verify-sandbox").tempdir().unwrap();
        let root = dir.path().join("handbook");
        copy_tree(&repo_root(), &root);
        let ex = root.join("exercises/99-fixture");
        let sol = root.join("solutions/99-fixture");
        write(
            &ex.join("Cargo.toml"),
            &fixture_manifest("fixture", r#"fixture-solution = { path = "../../solutions/99-fixture" }"#),
        );
        write(&ex.join("src/lib.rs"), PRISTINE);
        write(
            &ex.join("tests/fixture.rs"),
            "use fixture as subject;\nuse fixture_solution as reference;\nmod checks;\n",
        );
        write(&ex.join("tests/checks/mod.rs"), CHECKS);
        write(&root.join("verify/hints/99-fixture.toml"), HINTS);
        write(
            &sol.join("Cargo.toml"),
            &fixture_manifest("fixture-solution", "")
                .replace("[package.metadata.handbook]", "[package.metadata.unused]"),
        );
        write(&sol.join("src/lib.rs"), SOLVED);
        write(
            &sol.join("tests/fixture.rs"),
            "use fixture_solution as subject;\nuse fixture_solution as reference;\n#[path = \"../../../exercises/99-fixture/tests/checks/mod.rs\"]\nmod checks;\n",
        );
        git(&root, &["init", "-q", "-b", "main"]);
        git(&root, &["add", "-A"]);
        git(&root, &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "pristine"]);
        Sandbox { _dir: dir, root }
    }

    /// A `verify` command in the sandbox. Each sandbox has its own target folder:
    /// cargo names a workspace crate's build output by its path relative to the
    /// workspace, so sandboxes sharing one would overwrite each other's fixture
    /// (which has no dependencies, so building it alone costs a second).
    pub fn verify(&self) -> Command {
        let mut cmd = verify_at(&self.root);
        cmd.env("CARGO_TARGET_DIR", self.target());
        cmd
    }

    pub fn target(&self) -> PathBuf {
        self.root.join("target")
    }

    pub fn exercise(&self) -> PathBuf {
        self.root.join("exercises/99-fixture")
    }

    /// Plays the learner: replaces the fixture's source.
    pub fn write_lib(&self, source: &str) {
        write(&self.exercise().join("src/lib.rs"), source);
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn git(root: &Path, args: &[&str]) {
    let status = StdCommand::new("git").arg("-C").arg(root).args(args).status().unwrap();
    assert!(status.success(), "git {args:?} failed");
}

fn copy_tree(from: &Path, to: &Path) {
    // Build output (`target`, and any `target-*` folder a tool made beside it) is
    // never part of the handbook, and copying one that is being written fails.
    let skipped = |e: &walkdir::DirEntry| {
        let name = e.file_name().to_string_lossy();
        e.depth() > 0 && ([".git", ".verify", "book-html"].contains(&name.as_ref()) || name.starts_with("target"))
    };
    for entry in walkdir::WalkDir::new(from).into_iter().filter_entry(|e| !skipped(e)) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Standard output of a finished command, as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `cargo verify watch fixture` in `sb`, its standard output piped for the test to read.
pub fn spawn_watch(sb: &Sandbox, stdin: std::process::Stdio) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("verify"))
        .current_dir(&sb.root)
        .env("CARGO_TARGET_DIR", sb.target())
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        .env("VERIFY_NO_SETUP", "1")
        .args(["watch", "fixture"])
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every line a child prints on its standard output, read as it comes, so a test can
/// count lines and wait for them while the child runs.
pub struct Transcript(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Transcript {
    /// Starts reading `child`'s standard output (which must be piped).
    pub fn of(child: &mut std::process::Child) -> Transcript {
        use std::io::{BufRead, BufReader};
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&lines);
        let stdout = child.stdout.take().expect("the child's stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Transcript(lines)
    }

    /// How many lines so far contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits (two minutes at most, then fails the test) until `n` lines contain `needle`.
    pub fn wait_for(&self, needle: &str, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while self.count(needle) < n {
            assert!(std::time::Instant::now() < deadline, "waited for {needle:?} ×{n}: {:?}", self.lines());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}
