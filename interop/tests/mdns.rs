//! mDNS: the reference (`solutions/02-mdns`) against python-zeroconf
//! (<https://github.com/python-zeroconf/python-zeroconf>), on a real link between two
//! network namespaces the test makes itself, so that real multicast crosses a real
//! interface without a packet leaving the machine.
//!
//! ```text
//!   namespace A                                  namespace B
//!   mdns_peer (the reference)  veth 198.18.0.1 ── veth 198.18.0.2  zeroconf_peer.py
//! ```
//!
//! Both ways: each finds the other's announcement (peer, topic, port and address), and
//! each notices the other's goodbye. 198.18.0.0/15 is the benchmarking range of RFC 2544,
//! owned by no one.
//!
//! It needs root (for `ip netns`), `ip`, and a python3 that imports `zeroconf` (Debian's
//! `python3-zeroconf`, or `pip install zeroconf`). Without them it says why and passes,
//! except under CI (`CI` set), whose `.ci/run` installs them: there a skip is a failure.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use interop::netns::{self, Link};

/// How long an announcement or a goodbye may take to arrive. mdns-sd and python-zeroconf
/// each announce within a second of starting, and mdns-sd reports a goodbye one second
/// after it (RFC 6762 §10.1); the margin is for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

const OUR_ADDR: &str = "198.18.0.1";
const THEIR_ADDR: &str = "198.18.0.2";

/// Why this machine cannot run the test, if it cannot; otherwise the python to use.
fn prerequisites() -> Result<String, String> {
    if let Some(why) = netns::unavailable() {
        return Err(why);
    }
    for python in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(python).args(["-c", "import zeroconf"]).output().map(|o| o.status.success());
        if matches!(ok, Ok(true)) {
            return Ok(python.to_string());
        }
    }
    Err("no python3 that imports zeroconf (apt-get install python3-zeroconf, or pip install zeroconf)".into())
}

/// A peer process inside a namespace, its stdout read line by line on a thread.
struct Peer {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Peer {
    fn spawn(name: &'static str, ns: &str, program: &str, args: &[&str]) -> Peer {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Peer { name, child, stdin, lines, seen: Vec::new() }
    }

    /// Waits for a line starting with `prefix`, and returns it.
    fn expect(&mut self, prefix: &str, what: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        panic!("{what}: {} printed no `{prefix}…` within {WAIT:?} (it printed {:?})", self.name, self.seen);
    }

    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").and_then(|()| stdin.flush()).expect("write to the peer");
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn reference_and_python_zeroconf_find_each_other_and_see_goodbyes() {
    let python = match prerequisites() {
        Ok(python) => python,
        Err(why) if std::env::var_os("CI").is_some() => panic!("under CI this test must run, but: {why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let link = Link::new("mdns", OUR_ADDR, THEIR_ADDR);
    let topic = format!("interop-{}", std::process::id());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/zeroconf_peer.py");

    let mut ours = Peer::spawn(
        "the reference",
        &link.a,
        env!("CARGO_BIN_EXE_mdns_peer"),
        &["veth-a", "reference", &topic, "4001"],
    );
    ours.expect("started", "the reference starts");
    let mut theirs =
        Peer::spawn("python-zeroconf", &link.b, &python, &[script, THEIR_ADDR, "zeroconf", &topic, "4002"]);
    theirs.expect("started", "python-zeroconf starts");

    // Both ways: each sees the other's peer, topic, port and address.
    let line = ours.expect("joined zeroconf ", "the reference finds python-zeroconf's announcement");
    assert!(line.starts_with(&format!("joined zeroconf {topic} 4002 ")), "wrong announcement read: {line}");
    assert!(line.split(' ').any(|a| a == THEIR_ADDR), "python-zeroconf's address is missing: {line}");
    let line = theirs.expect("joined reference ", "python-zeroconf finds the reference's announcement");
    assert!(line.starts_with(&format!("joined reference {topic} 4001 ")), "wrong announcement read: {line}");
    assert!(line.split(' ').any(|a| a == OUR_ADDR), "the reference's address is missing: {line}");

    // Goodbyes, both ways: python-zeroconf unregisters and keeps listening...
    theirs.say("bye");
    theirs.expect("unregistered", "python-zeroconf unregisters");
    ours.expect("left zeroconf", "the reference notices python-zeroconf's goodbye");
    // ...then the reference stops, and python-zeroconf hears it go.
    ours.close_stdin();
    ours.expect("stopped", "the reference stops");
    theirs.expect("left reference", "python-zeroconf notices the reference's goodbye");
    theirs.close_stdin();
    theirs.expect("stopped", "python-zeroconf stops");
}
