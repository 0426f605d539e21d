//! The offline room kit, proven the way a room without internet uses it: `cargo verify
//! pack` writes the kit, a fresh clone is made from the kit's bundle inside it, and with
//! the network off (`CARGO_NET_OFFLINE=true`) and an empty cargo home (so nothing can
//! come from this machine's download cache) the clone gets through `cargo verify setup`
//! and a check of one exercise.
//!
//! Cost: setup builds every reference solution and its checks, so the first run builds
//! every dependency once more, in a target folder of its own
//! (`target/tmp/pack-offline/target`; not the workspace's, whose lock the outer `cargo
//! test` holds, and whose artifacts would be overwritten). Debug info is turned off
//! there, which roughly halves that build without touching what is proven (offline,
//! empty home, vendored sources). The kit and the clone keep the same paths from run
//! to run, so a second run rebuilds only the workspace's own crates.
//!
//! That build is most of what a plain `cargo test` would cost, so the test is
//! `#[ignore]`d there and CI runs it on its own, after `cargo test`:
//! `cargo test -p verify --test pack -- --ignored`. It cannot reuse the workspace's
//! target folder: crates built from `vendor/` are other crates to cargo, which is the
//! point of the proof.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Cargo in the clone as a learner's laptop would run it: the network off, a cargo
/// home with nothing in it, none of this test's own cargo settings.
fn cargo_in(clone: &Path, home: &Path, target: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        if key.starts_with("CARGO_") || key.starts_with("VERIFY_") || key == "RUSTFLAGS" || key == "RUST_BACKTRACE" {
            cmd.env_remove(&key);
        }
    }
    cmd.current_dir(clone)
        .args(args)
        .env("CARGO_HOME", home)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_PROFILE_TEST_DEBUG", "0")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
#[ignore = "builds every dependency a second time; CI runs it: cargo test -p verify --test pack -- --ignored"]
fn a_fresh_clone_inside_the_kit_prepares_and_checks_offline() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pack-offline");
    let kit = base.join("kit");
    let home = base.join("cargo-home");
    let target = base.join("target");
    for dir in [&kit, &home] {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::fs::create_dir_all(&home).unwrap();

    // The instructor's side: the kit, made offline too (CI fetched every crate before).
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(["pack"])
        .arg(&kit)
        .env("VERIFY_ROOT", repo_root())
        .env("VERIFY_NO_SETUP", "1")
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "pack failed:\n{}", text(&out));
    eprintln!("pack: {:.1} s", started.elapsed().as_secs_f64());
    for file in [".cargo/config.toml", "README.md", "p2p-handbook.bundle", "vendor"] {
        assert!(kit.join(file).exists(), "the kit lacks {file}");
    }
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    let registry_crates = lock.matches("source = \"registry+").count();
    let vendored = std::fs::read_dir(kit.join("vendor")).unwrap().count();
    assert_eq!(vendored, registry_crates, "every crate from the registry is in vendor/");

    // The learner's side: clone from the bundle, inside the kit.
    let clone = kit.join("p2p-handbook");
    let out = Command::new("git")
        .arg("clone")
        .arg("--quiet")
        .arg(kit.join("p2p-handbook.bundle"))
        .arg(&clone)
        .output()
        .unwrap();
    assert!(out.status.success(), "git clone from the bundle failed:\n{}", text(&out));

    let started = Instant::now();
    let out = cargo_in(&clone, &home, &target, &["verify", "setup"]);
    let setup = text(&out);
    assert!(out.status.success() && setup.contains("Ready"), "setup failed offline:\n{setup}");
    eprintln!("setup, offline: {:.0} s", started.elapsed().as_secs_f64());

    let out = cargo_in(&clone, &home, &target, &["verify", "--solutions", "check", "identity"]);
    assert!(out.status.success() && text(&out).contains("identity is done"), "check failed offline:\n{}", text(&out));

    // The learner's own exercise builds too, and fails as shipped, for its code, not
    // for want of a network.
    let out = cargo_in(&clone, &home, &target, &["verify", "check", "identity"]);
    let check = text(&out);
    assert!(!out.status.success() && check.contains("steps pass") && !check.contains("network"), "{check}");
    let home_is_empty = std::fs::read_dir(&home).unwrap().all(|e| {
        let name = e.unwrap().file_name();
        name != "registry" && name != "git"
    });
    assert!(home_is_empty, "nothing was downloaded into the cargo home");
}
