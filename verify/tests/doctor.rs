//! `cargo verify doctor` on this machine and on machines made to fail: network
//! namespaces the test creates, where an nftables rule blocks multicast the way a
//! locked-down laptop or a guest wifi does. The namespaces use loopback and
//! 198.18.0.0/15 (RFC 2544's benchmarking range) only, and are removed whatever
//! happens.

mod common;

use std::process::Command as StdCommand;

use common::*;
use serde_json::Value;

/// Runs `verify doctor --json` (in namespace `netns` when given) and returns the
/// report's lines by name, with the exit status.
fn doctor(netns: Option<&str>, extra: &[&str]) -> (Option<i32>, Value) {
    let bin = assert_cmd::cargo::cargo_bin("verify");
    let state = tempfile::tempdir().unwrap();
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = StdCommand::new("ip");
            c.args(["netns", "exec", ns]).arg(&bin);
            c
        }
        None => StdCommand::new(&bin),
    };
    cmd.current_dir(repo_root())
        .args(["doctor", "--json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env("VERIFY_STATE_DIR", state.path())
        .env("VERIFY_NO_SETUP", "1");
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("doctor --json must print JSON ({e}):\n{text}\n{}", String::from_utf8_lossy(&out.stderr))
    });
    // What `share` sends to the room is the report saved beside the progress.
    let saved: Value = serde_json::from_slice(&std::fs::read(state.path().join("doctor.json")).unwrap()).unwrap();
    assert_eq!(saved, report, "the saved report is the printed one");
    (out.status.code(), report)
}

fn line<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["lines"].as_array().unwrap().iter().find(|l| l["name"] == name).unwrap_or_else(|| panic!("no {name} line"))
}

#[test]
fn every_line_is_there_and_a_line_that_is_not_green_says_its_fix() {
    let (_, report) = doctor(None, &[]);
    let names: Vec<&str> = report["lines"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["rust", "disk", "offline", "mdns-loopback", "mdns-lan", "tcp-loopback", "tcp-lan", "os"]);
    for l in report["lines"].as_array().unwrap() {
        let status = l["status"].as_str().unwrap();
        assert!(["pass", "skip", "warn", "fail"].contains(&status), "{l}");
        if status == "warn" || status == "fail" {
            assert!(l["fix"].as_str().is_some_and(|f| f.len() > 10), "a {status} line says its fix: {l}");
        }
    }
    assert_eq!(line(&report, "rust")["status"], "pass", "this machine's Rust builds the handbook");
    assert_eq!(line(&report, "tcp-loopback")["status"], "pass");
    // Without --lan the doctor sends nothing beyond loopback.
    assert_eq!(line(&report, "mdns-lan")["status"], "skip");
    assert_eq!(line(&report, "tcp-lan")["status"], "skip");
}

#[test]
fn the_human_report_names_each_line_and_the_fix() {
    let out = verify_at(&repo_root())
        .env("VERIFY_STATE_DIR", tempfile::tempdir().unwrap().path())
        .arg("doctor")
        .output()
        .unwrap();
    let text = stdout(&out);
    for name in ["rust", "disk", "offline", "mdns-loopback", "tcp-loopback", "os"] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert!(text.contains("--lan"), "the skipped LAN lines say how to run them:\n{text}");
}

/// The namespace tests: Linux only (network namespaces and nftables are Linux's);
/// on macOS and Windows they are not compiled, and the two tests above still run.
#[cfg(target_os = "linux")]
mod namespaces {
    use super::*;

    /// Namespaces need root and `ip`/`nft`; under CI their absence is a failure.
    fn namespaces_available() -> bool {
        let ok = |tool: &str, flag: &str| StdCommand::new(tool).arg(flag).output().is_ok_and(|o| o.status.success());
        let root = unsafe { libc::geteuid() } == 0;
        let have = root && ok("ip", "-V") && ok("nft", "--version");
        if !have {
            assert!(
                std::env::var_os("CI").is_none(),
                "under CI this test needs root, ip and nft (.ci/run installs them)"
            );
            eprintln!("skipped: needs root, ip (iproute2) and nft (nftables)");
        }
        have
    }

    /// A namespace removed when dropped, whatever the test did.
    struct Netns(String);

    impl Netns {
        fn new(tag: &str) -> Netns {
            let name = format!("vdoc-{tag}-{}", std::process::id());
            run(&["ip", "netns", "add", &name]);
            let ns = Netns(name);
            ns.exec(&["ip", "link", "set", "lo", "up"]);
            ns
        }
        fn exec(&self, args: &[&str]) {
            let mut all = vec!["ip", "netns", "exec", &self.0];
            all.extend_from_slice(args);
            run(&all);
        }
        /// Drops every multicast datagram this namespace sends, as a locked-down
        /// machine or a guest wifi does.
        fn block_multicast(&self) {
            let rules = "table inet doctor_test {\n  chain out {\n    type filter hook output priority 0;\n    \
                         ip daddr 224.0.0.0/4 drop;\n    ip6 daddr ff00::/8 drop;\n  }\n}\n";
            let mut child = StdCommand::new("ip")
                .args(["netns", "exec", &self.0, "nft", "-f", "-"])
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), rules.as_bytes()).unwrap();
            assert!(child.wait().unwrap().success(), "nft rule");
        }
    }

    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = StdCommand::new("ip").args(["netns", "del", &self.0]).status();
        }
    }

    fn run(args: &[&str]) {
        let status = StdCommand::new(args[0]).args(&args[1..]).status().unwrap();
        assert!(status.success(), "{args:?}");
    }

    #[test]
    fn a_machine_whose_loopback_drops_multicast_fails_mdns_with_the_way_around_it() {
        if !namespaces_available() {
            return;
        }
        let ns = Netns::new("lo");
        let (code, report) = doctor(Some(&ns.0), &[]);
        assert_eq!(
            line(&report, "mdns-loopback")["status"],
            "pass",
            "multicast on the namespace's loopback works: {report}"
        );
        assert_ne!(code, Some(2), "{report}");

        ns.block_multicast();
        let (code, report) = doctor(Some(&ns.0), &[]);
        let mdns = line(&report, "mdns-loopback");
        assert_eq!(mdns["status"], "fail", "{report}");
        let fix = mdns["fix"].as_str().unwrap();
        assert!(
            fix.contains("--peer") && fix.contains("--rendezvous"),
            "the fix names the chat's way around mDNS: {fix}"
        );
        assert_eq!(line(&report, "tcp-loopback")["status"], "pass", "only multicast is blocked: {report}");
        assert_eq!(code, Some(1), "a failing line fails the command");
    }

    #[test]
    fn with_lan_a_network_that_drops_multicast_fails_mdns_lan_but_connections_arrive() {
        if !namespaces_available() {
            return;
        }
        // Two namespaces joined by a veth pair on 198.18.0.0/24: the doctor's "LAN".
        let a = Netns::new("lana");
        let b = Netns::new("lanb");
        let (va, vb) = (format!("vda{}", std::process::id() % 100_000), format!("vdb{}", std::process::id() % 100_000));
        run(&["ip", "link", "add", &va, "netns", &a.0, "type", "veth", "peer", "name", &vb, "netns", &b.0]);
        a.exec(&["ip", "addr", "add", "198.18.0.1/24", "dev", &va]);
        a.exec(&["ip", "link", "set", &va, "up"]);
        // The route the doctor's "which address do I have" looks up; nothing is sent on it.
        a.exec(&["ip", "route", "add", "default", "via", "198.18.0.2"]);
        b.exec(&["ip", "addr", "add", "198.18.0.2/24", "dev", &vb]);
        b.exec(&["ip", "link", "set", &vb, "up"]);

        let (_, report) = doctor(Some(&a.0), &["--lan"]);
        assert_eq!(line(&report, "mdns-lan")["status"], "pass", "{report}");
        let tcp = line(&report, "tcp-lan");
        assert_eq!(tcp["status"], "pass", "{report}");
        assert!(tcp["found"].as_str().unwrap().contains("198.18.0.1"), "the LAN address is the veth's: {tcp}");

        a.block_multicast();
        let (code, report) = doctor(Some(&a.0), &["--lan"]);
        let mdns = line(&report, "mdns-lan");
        assert_eq!(mdns["status"], "fail", "{report}");
        assert!(mdns["fix"].as_str().unwrap().contains("--rendezvous"), "{mdns}");
        assert_eq!(line(&report, "tcp-lan")["status"], "pass", "{report}");
        assert_eq!(code, Some(1));
    }
}
