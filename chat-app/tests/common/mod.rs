//! Chat processes for the tests: the real program (`--plain`), on loopback, each with
//! its own key directory, its output read line by line with the time each line came.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest any one wait in these tests takes before it fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running chat process.
pub struct Proc {
    pub nick: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    pub started: Instant,
    pub listen: SocketAddr,
    pub id: String,
}

/// A fresh room name, so that tests running at once never meet.
pub fn room(name: &str) -> String {
    format!("t-{name}-{}", std::process::id())
}

impl Proc {
    /// Starts `chat-app NICK --plain --room ROOM --keys KEYS EXTRA...` and waits
    /// for it to say who it is and where it listens.
    pub fn start(nick: &str, room: &str, keys: &Path, extra: &[&str]) -> Proc {
        let started = Instant::now();
        // CHAT_BIN runs another build of the program (an older one, to see a test fail).
        let program = std::env::var_os("CHAT_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_chat-app").into());
        let mut child = Command::new(program)
            .args([nick, "--plain", "--room", room, "--keys"])
            .arg(keys)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the chat program starts");
        let stdout = child.stdout.take().expect("piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        let stdin = child.stdin.take();
        let mut proc = Proc {
            nick: nick.into(),
            child,
            stdin,
            lines,
            started,
            listen: "0.0.0.0:0".parse().unwrap(),
            id: String::new(),
        };
        let intro = proc.wait_for(|l| l.contains(" listening on "), WAIT).expect("the chat says where it listens").1;
        // "NICK is ID, listening on ADDR[ (a new key)]"
        let (_, rest) = intro.split_once(" is ").unwrap();
        let (id, rest) = rest.split_once(", listening on ").unwrap();
        proc.id = id.to_string();
        proc.listen = rest.split(' ').next().unwrap().parse().unwrap();
        proc
    }

    /// Types `text` and Enter.
    pub fn say(&mut self, text: &str) -> Instant {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{text}").expect("the chat reads its input");
        stdin.flush().unwrap();
        Instant::now()
    }

    /// The first output line (and when it came) that `pred` accepts, waiting at most
    /// `timeout`.
    pub fn wait_for(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<(Instant, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.lines.lock().unwrap().iter().find(|(_, l)| pred(l)) {
                return Some(found.clone());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// When the chat showed a line whose text is `text`.
    pub fn shown(&self, text: &str, timeout: Duration) -> Option<Instant> {
        let suffix = format!("> {text}");
        self.wait_for(|l| l.starts_with('<') && l.ends_with(&suffix), timeout).map(|(t, _)| t)
    }

    /// Every output line so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().map(|(_, l)| l.clone()).collect()
    }

    /// The texts of the chat lines shown so far, in the order shown.
    pub fn texts(&self) -> Vec<String> {
        self.output()
            .iter()
            .filter(|l| l.starts_with('<'))
            .filter_map(|l| l.split_once("> ").map(|(_, t)| t.to_string()))
            .collect()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its resident memory in KiB, from `/proc/PID/status`.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Kills it at once (no goodbye).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes its input: it leaves, saying goodbye.
    pub fn leave(&mut self) {
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A key directory for a test, removed with it.
pub fn keys() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// Milliseconds, for figures.
pub fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
