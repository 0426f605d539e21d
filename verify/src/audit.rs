//! What in a learner's crate could reach past the checks: an audit, not a verdict.
//!
//! Code inside the test process can forge its own result (see the threat model at the
//! top of [`crate::checks`]): the runner makes every cheap forgery fail, and this module
//! makes a deliberate one visible. It lists the places in the exercise's library source
//! (`src/`, without `src/main.rs` and `src/bin/`, which the checks never link) that use
//! what a forgery needs and an exercise never does: `unsafe`, a linker section, a
//! foreign function, an exit hook, the process's own `/proc` entry; and a build script,
//! which runs arbitrary code when the crate compiles; and `#[path]` and `include!`,
//! which bring in code from outside `src/`. `cargo verify check --json` and
//! `cargo verify share` carry the list, and the room marks a row that has one.
//!
//! It is a plain text search, so it can be fooled by code that builds these words at
//! compile time (a macro from a dependency, say); and a finding is a reason to look, not
//! proof of cheating.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One place worth a look.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was found, as a short phrase (`unsafe`, `link_section`, `build.rs`, …).
    pub what: String,
    /// The file, relative to the exercise's folder.
    pub file: String,
    /// The line (1-based; 0 for a finding about a whole file).
    pub line: usize,
}

/// What the audit looks for: the text, and the phrase a finding reports. Words are
/// matched whole (`unsafe` is not found in `unsafely`).
const SIGNS: &[(&str, &str)] = &[
    ("unsafe", "unsafe"),
    ("link_section", "link_section"),
    ("#[used]", "#[used]"),
    ("used(linker)", "#[used]"),
    ("extern \"", "extern \"C\""),
    ("no_mangle", "no_mangle"),
    ("export_name", "export_name"),
    ("/proc/self", "/proc/self"),
    ("/proc/", "/proc/"),
    ("atexit", "atexit"),
    ("at_exit", "atexit"),
    ("process::exit", "process::exit"),
    ("libc::", "libc::"),
    (".init_array", ".init_array"),
    (".fini_array", ".init_array"),
    (".ctors", ".init_array"),
    ("#[ctor", "ctor"),
    ("ctor::", "ctor"),
    ("asm!", "asm!"),
    // Code from outside src/, where this search does not look.
    ("#[path", "#[path]"),
    ("include!", "include!"),
];

/// The most of one source file read (bytes): sources are small, and a huge one is
/// itself worth a look.
const MAX_FILE: u64 = 4 << 20;

/// The most findings reported: enough to see what is going on.
pub const MAX_FINDINGS: usize = 32;

/// Audits the crate in `dir` (an exercise's folder).
pub fn scan(dir: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    if dir.join("build.rs").exists() || manifest_names_a_build_script(dir) {
        findings.push(Finding { what: "build.rs".into(), file: "build.rs".into(), line: 0 });
    }
    for file in sources(&dir.join("src")) {
        let rel = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        if rel == "src/main.rs" || rel.starts_with("src/bin/") {
            continue;
        }
        if std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink()) {
            findings.push(Finding { what: "symbolic link".into(), file: rel, line: 0 });
            continue;
        }
        let mut text = String::new();
        let read = std::fs::File::open(&file).and_then(|f| f.take(MAX_FILE).read_to_string(&mut text));
        if read.is_err() {
            findings.push(Finding { what: "unreadable source".into(), file: rel, line: 0 });
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let mut seen: Vec<&str> = Vec::new();
            for (needle, what) in SIGNS {
                if !seen.contains(what) && contains_word(line, needle) {
                    // `/proc/self` is reported as such, not again as `/proc/`.
                    if *what == "/proc/" && seen.contains(&"/proc/self") {
                        continue;
                    }
                    seen.push(what);
                    findings.push(Finding { what: (*what).into(), file: rel.clone(), line: number + 1 });
                }
            }
        }
    }
    findings.truncate(MAX_FINDINGS);
    findings
}

/// The distinct phrases of `findings`, in first-found order: what the room shows.
pub fn summary(findings: &[Finding]) -> Vec<String> {
    let mut phrases: Vec<String> = Vec::new();
    for f in findings {
        if !phrases.contains(&f.what) {
            phrases.push(f.what.clone());
        }
    }
    phrases
}

fn manifest_names_a_build_script(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { return false };
    let Ok(manifest) = text.parse::<toml::Table>() else { return false };
    manifest.get("package").and_then(|p| p.get("build")).is_some_and(|b| b.as_bool() != Some(false))
}

/// Every `.rs` file under `dir`, and every symbolic link (none is followed), in order.
fn sources(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.path_is_symlink() || e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Whether `needle` occurs in `line` with no identifier character glued to either end
/// (when that end of the needle is itself an identifier character).
fn contains_word(line: &str, needle: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let starts_ident = needle.chars().next().is_some_and(ident);
    let ends_ident = needle.chars().last().is_some_and(ident);
    line.match_indices(needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + needle.len()..].chars().next();
        let glued_before = starts_ident && before.is_some_and(ident);
        let glued_after = ends_ident && after.is_some_and(ident);
        !glued_before && !glued_after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_a_forgery_needs_and_nothing_in_plain_code() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/bin")).unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "pub fn add(a: u32, b: u32) -> u32 { a + b }\n// vectors, unsafely\n#[used]\n#[unsafe(link_section = \".init_array\")]\nstatic X: extern \"C\" fn() = f;\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() { std::process::exit(2) }\n").unwrap();
        std::fs::write(dir.path().join("build.rs"), "fn main() {}\n").unwrap();
        let found = scan(dir.path());
        assert_eq!(summary(&found), ["build.rs", "#[used]", "unsafe", "link_section", ".init_array", "extern \"C\""]);
        assert_eq!(found[1], Finding { what: "#[used]".into(), file: "src/lib.rs".into(), line: 3 });
        std::fs::write(dir.path().join("src/lib.rs"), "pub fn add(a: u32, b: u32) -> u32 { a + b }\n").unwrap();
        std::fs::remove_file(dir.path().join("build.rs")).unwrap();
        assert_eq!(scan(dir.path()), []);
    }

    /// No exercise and no reference solution of this handbook is marked: a mark means
    /// the learner added something.
    #[test]
    fn the_handbooks_own_crates_are_not_marked() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut scanned = 0;
        for kind in ["exercises", "solutions"] {
            for entry in std::fs::read_dir(root.join(kind)).unwrap().flatten() {
                if entry.path().join("Cargo.toml").is_file() {
                    assert_eq!(scan(&entry.path()), [], "{}", entry.path().display());
                    scanned += 1;
                }
            }
        }
        assert!(scanned >= 2, "found no crates under {}", root.display());
    }
}
