//! The `dht` tool over real UDP on 127.0.0.1: one node serves, a second announces
//! through it, a third finds the announce. Each is its own process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const INFO_HASH: &str = "0123456789abcdef0123456789abcdef01234567";

/// Kills the serving node when the test ends, however it ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `dht` with `args` to the end (at most 60 s) and returns its output lines.
fn run(args: &[&str]) -> Vec<String> {
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_dht")).args(args).stdout(Stdio::piped()).spawn().expect("start dht");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stdout).lines().map_while(Result::ok).collect();
        let _ = tx.send(lines);
    });
    let lines = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("dht {args:?} did not finish within 60 s")
    });
    let status = child.wait().expect("wait for dht");
    assert!(status.success(), "dht {args:?} failed: {lines:?}");
    lines
}

#[test]
fn announce_and_get_peers_through_a_serving_node() {
    let mut first = Command::new(env!("CARGO_BIN_EXE_dht"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the serving node");
    let mut lines = BufReader::new(first.stdout.take().expect("stdout")).lines();
    let _serving = Serving(first);
    let listening = lines.next().expect("a first line").expect("text");
    let addr = listening.split_whitespace().nth(1).expect("listening ADDR id ID").to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{listening}");

    let announced =
        run(&["--listen", "127.0.0.1:0", "--bootstrap", &addr, "--announce", INFO_HASH, "--port", "7000", "--once"]);
    assert!(
        announced.iter().any(|l| l.starts_with("joined: 1 nodes")),
        "the announcer joins through the serving node: {announced:?}"
    );
    let stored = announced
        .iter()
        .find_map(|l| l.strip_prefix(&format!("announced {INFO_HASH} port 7000 stored ")))
        .expect("an announce line");
    assert!(stored.parse::<usize>().expect("a number") >= 1, "{announced:?}");

    let found = run(&["--listen", "127.0.0.1:0", "--bootstrap", &addr, "--get-peers", INFO_HASH, "--once"]);
    assert!(found.iter().any(|l| l == "peer 127.0.0.1:7000"), "get_peers finds the announce: {found:?}");
}

#[test]
fn help_shows_the_options() {
    let lines = run(&["--help"]);
    let text = lines.join("\n");
    for option in ["--listen", "--bootstrap", "--announce", "--port", "--get-peers", "--once"] {
        assert!(text.contains(option), "--help shows {option}: {text}");
    }
}

#[test]
fn a_bad_info_hash_is_an_error_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_dht"))
        .args(["--listen", "127.0.0.1:0", "--get-peers", "xyz", "--once"])
        .output()
        .expect("run dht");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("40 hex digits"), "{}", String::from_utf8_lossy(&out.stderr));
}
