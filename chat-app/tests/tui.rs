//! The full-screen interface, driven in tmux as a person would use it: type a line,
//! read the history and the member list off the screen, see a member leave.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Proc, WAIT, keys, room};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until the screen of `session` satisfies `pred`; returns it.
fn screen_until(session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let screen = tmux(&["capture-pane", "-t", session, "-p"]);
        if pred(&screen) {
            return screen;
        }
        assert!(Instant::now() < deadline, "the screen never showed {what}:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn the_terminal_interface_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // .ci/run installs tmux: under CI a missing tmux is a failure, never a quiet skip.
        assert!(std::env::var_os("CI").is_none(), "tmux is not installed, and CI must test the interface");
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux); the interface was not tested");
        return;
    }
    let room = room("tui");
    let (_a, amy_keys) = keys();
    let (_z, zed_keys) = keys();
    let mut zed = Proc::start("zed", &room, &zed_keys, &[]);
    let session = Session(format!("chat-tui-{}", std::process::id()));
    let command = format!("{} amy --room {room} --keys {}", env!("CARGO_BIN_EXE_chat-app"), amy_keys.display());
    // A fixed size, so that the layout is what the assertions expect.
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "120", "-y", "30", &command]);
    zed.wait_for(|l| l.starts_with("* joined"), WAIT).expect("zed meets amy");
    // Before zed says anything, its nick is on the member list (from identify).
    screen_until(&session.0, "zed on the member list", |s| s.contains("● zed"));
    zed.say("hi from zed");
    screen_until(&session.0, "zed's line", |s| s.contains("<zed ") && s.contains("> hi from zed"));

    tmux(&["send-keys", "-t", &session.0, "hello from amy", "Enter"]);
    let screen = screen_until(&session.0, "amy's line and zed connected", |s| {
        s.contains("<amy ") && s.contains("> hello from amy") && s.contains("● zed")
    });
    assert!(screen.contains("members 1/1"), "the member list counts zed, connected:\n{screen}");
    assert!(screen.contains("zed") && screen.contains("joined"), "zed's arrival is shown:\n{screen}");
    assert!(zed.shown("hello from amy", WAIT).is_some(), "what amy typed reached zed");

    // zed leaves: the list shows it unconnected and the side panel says so.
    zed.leave();
    let screen = screen_until(&session.0, "zed gone", |s| s.contains("○ zed") && s.contains(" left"));
    assert!(screen.contains("members 0/1"), "{screen}");

    // Esc leaves the interface and the program.
    tmux(&["send-keys", "-t", &session.0, "Escape"]);
    let deadline = Instant::now() + WAIT;
    while tmux(&["list-sessions"]).contains(&session.0) {
        assert!(Instant::now() < deadline, "Esc did not end the program");
        std::thread::sleep(Duration::from_millis(50));
    }
}
