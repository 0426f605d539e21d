//! A part marked "yours" is the learner's code running, not the reference under
//! another name. Built with `--features mine-swarm` on the pristine swarm exercise, or
//! `--features mine-log` on the pristine log exercise (every function a `todo!` stub, a
//! broken part by construction), the chat says `swarm: yours` (or `log: yours`), stops
//! at the exercise's first `todo!` stub, and names the part that panicked.
//!
//! Each test needs its feature, so a plain `cargo test` skips them; `.ci/run` runs
//! `cargo test -p chat-app --features mine-swarm --test parts` and the same with
//! `mine-log` and with `mine-gossipsub`.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{WAIT, keys, room};

/// Runs the chat until it stops by itself; returns its stdout and stderr.
fn run_until_it_stops(part: &str) -> (String, String) {
    let (_dir, keys) = keys();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-app"))
        .args(["ada", "--plain", "--no-mdns", "--room", &room("parts"), "--keys"])
        .arg(&keys)
        .stdin(Stdio::piped()) // held open: the program must stop by itself
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chat starts");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the chat built on the pristine {part} exercise kept running: the reference must have run instead");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!status.success(), "the chat on the pristine {part} exercise stopped with an error:\n{out}\n{err}");
    (out, err)
}

#[test]
#[cfg_attr(
    not(feature = "mine-swarm"),
    ignore = "needs --features mine-swarm (CI runs it): the chat on the pristine swarm exercise"
)]
fn a_part_marked_yours_is_the_learners_crate() {
    let (out, err) = run_until_it_stops("swarm");
    assert!(out.contains("swarm: yours"), "the start line names the swarm as the learner's:\n{out}");
    assert!(out.contains("handshake: reference"), "and the others as the reference's:\n{out}");
    assert!(err.contains("exercises/06-swarm/src/"), "the panic is in the swarm exercise's code:\n{err}");
    assert!(err.contains("not yet implemented") && err.contains("a part panicked"), "and says so:\n{err}");
    assert!(err.contains("the swarm part (yours"), "naming the part in the learner's terms:\n{err}");
}

#[test]
#[cfg_attr(
    not(feature = "mine-log"),
    ignore = "needs --features mine-log (CI runs it): the chat on the pristine log exercise"
)]
fn the_log_marked_yours_is_the_learners_log() {
    let (out, err) = run_until_it_stops("log");
    // The program reads its history before it prints the parts: the log is the first
    // part it calls, and the message names it.
    assert!(err.contains("exercises/12-log/src/"), "the panic is in the log exercise's code:\n{out}\n{err}");
    assert!(err.contains("not yet implemented"), "at a todo! stub:\n{err}");
    assert!(
        err.contains("the log part (yours: built from the log exercise) panicked")
            && err.contains("cargo verify check log"),
        "the message names the log part as the learner's, and what to run:\n{err}"
    );
    assert!(err.contains("log: yours") && err.contains("anti-entropy: reference"), "the parts it ran on:\n{err}");
    assert!(!err.contains("the anti-entropy part"), "and no other part is blamed:\n{err}");
}

#[test]
#[cfg_attr(
    not(feature = "mine-gossipsub"),
    ignore = "needs --features mine-gossipsub (CI runs it): the chat on the pristine gossipsub exercise"
)]
fn gossipsub_marked_yours_is_the_learners_router() {
    let (out, err) = run_until_it_stops("gossipsub");
    // The room subscribes its gossipsub node to the room's topic as it starts: the first
    // call into the learner's router, a todo! stub in the pristine exercise.
    assert!(
        err.contains("exercises/11-gossipsub/src/"),
        "the panic is in the gossipsub exercise's code:\n{out}\n{err}"
    );
    assert!(err.contains("not yet implemented"), "at a todo! stub:\n{err}");
    assert!(
        err.contains("the gossipsub part (yours: built from the gossipsub exercise) panicked")
            && err.contains("cargo verify check gossipsub"),
        "the message names the gossipsub part as the learner's, and what to run:\n{err}"
    );
    assert!(err.contains("gossipsub: yours") && err.contains("swarm: reference"), "the parts it ran on:\n{err}");
}
