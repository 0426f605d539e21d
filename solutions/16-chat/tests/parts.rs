//! A part marked "yours" is the learner's code running, not the reference under
//! another name: built with `--features mine-swarm` on the pristine swarm exercise
//! (every function a `todo!` stub, a broken part by construction), the chat says
//! `swarm: yours` and stops at the exercise's first `todo!` stub.
//!
//! It needs the feature, so a plain `cargo test` skips it; `.ci/run` runs
//! `cargo test -p chat-solution --features mine-swarm --test parts`.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{WAIT, keys, room};

#[test]
#[cfg_attr(
    not(feature = "mine-swarm"),
    ignore = "needs --features mine-swarm (CI runs it): the chat on the pristine swarm exercise"
)]
fn a_part_marked_yours_is_the_learners_crate() {
    let (_dir, keys) = keys();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-solution"))
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
            panic!("the chat built on the pristine swarm exercise kept running: the reference must have run instead");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(out.contains("swarm: yours"), "the start line names the swarm as the learner's:\n{out}");
    assert!(out.contains("handshake: reference"), "and the others as the reference's:\n{out}");
    assert!(!status.success(), "the chat stopped with an error");
    assert!(err.contains("exercises/06-swarm/src/"), "the panic is in the swarm exercise's code:\n{err}");
    assert!(err.contains("not yet implemented") && err.contains("a part panicked"), "and says so:\n{err}");
}
