//! rust-libp2p's chat example, as it ships (`src/bin/libp2p_chat/main.rs`), in the room
//! with the handbook's chat (`chat-app NICK --plain --lan --room test-net`), each program
//! in a network namespace of its own on one bridge, finding the others by libp2p's mDNS
//! (<https://github.com/libp2p/specs/blob/master/discovery/mdns.md>) and talking on the
//! gossipsub topic `test-net`
//! (<https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md>).
//! No address is given by hand; nothing leaves the machine (198.18.0.0/15, RFC 2544's
//! benchmarking range, on interfaces the test makes and deletes).
//!
//! ```text
//!     namespace 0        namespace 1   …   namespace n-1
//!        eth0 ─────────────── eth0 ───────── eth0          one bridge, in a hub namespace
//! ```
//!
//! - `two_examples_chat`: the harness alone, two copies of the example.
//! - `the_example_and_the_handbook_chat_both_ways`: the example and one chat (issue 23,
//!   item 4a): lines cross both ways, and the chat shows each once, with the example's
//!   peer id.
//! - `the_example_and_the_handbook_keep_talking`: the same two in a conversation of
//!   15 s, longer than the chat's grace for an idle connection and the example's
//!   heartbeat: no line is lost.
//! - `a_mixed_room_of_three_chats_and_two_examples`: every line said by any of the five
//!   reaches the other four (item 4b), with the latency of each to each receiver.
//! - `a_mixed_room_keeps_talking_and_what_a_line_costs_on_the_wire`: the five in a
//!   15 s conversation, then the latency of a line from a handbook peer beside one
//!   from a libp2p peer, and the frames and bytes each costs on the wire (item 5).
//!
//! Each prints its figures (`cargo test --manifest-path interop/Cargo.toml --test
//! room_libp2p -- --nocapture`). They need root (for `ip netns`) and `ip`; without them
//! they say why and pass, except under CI (`CI` set), where a skip is a failure. The
//! tests run one at a time (a lock), so that one room's processes do not slow another's
//! figures. They draw no randomness of their own: each program makes its own key.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interop::netns::{self, ip};

/// The room's topic: rust-libp2p's example hard-codes it.
const ROOM: &str = "test-net";
/// The longest any one wait takes before the test fails. rust-libp2p's mDNS queries at
/// start, then after 0.5 s, 1 s, 2 s…; the margin is for a loaded machine.
const WAIT: Duration = Duration::from_secs(30);
/// How often a peer that has not yet been heard says another probe line.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// What every namespace and interface of these tests is named after.
const PREFIX: &str = "hbroom";

/// A conversation: longer than any grace period a program gives a connection (the
/// chat's is 5 s) and than the example's heartbeat (10 s), every peer saying a line
/// every [`TURN`].
const CONVERSATION: Duration = Duration::from_secs(15);
const TURN: Duration = Duration::from_millis(500);

/// One room at a time.
static ONE_ROOM: Mutex<()> = Mutex::new(());

/// Whether the test can run here; under CI it must.
fn can_run() -> bool {
    match netns::unavailable() {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("under CI this test must run, but: {why}"),
        Some(why) => {
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// A hub namespace holding a bridge, and `n` namespaces each with one `eth0` on it at
/// 198.18.1.(i+1)/24, a multicast route by that interface. All deleted on drop.
struct Net {
    tag: String,
    hub: String,
    n: usize,
}

impl Net {
    fn new(n: usize) -> Net {
        remove_leftovers();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let tag = format!("{}x{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let net = Net { hub: format!("{PREFIX}-{tag}-hub"), tag, n };
        ip(&["netns", "add", &net.hub]);
        ip(&["-n", &net.hub, "link", "set", "lo", "up"]);
        ip(&["-n", &net.hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &net.hub, "link", "set", "br0", "up"]);
        for i in 0..n {
            let ns = net.ns(i);
            ip(&["netns", "add", &ns]);
            let outside = format!("port{i}");
            ip(&["link", "add", "eth0", "netns", &ns, "type", "veth", "peer", "name", &outside, "netns", &net.hub]);
            ip(&["-n", &net.hub, "link", "set", &outside, "master", "br0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&["-n", &ns, "addr", "add", &format!("{}/24", net.addr(i)), "dev", "eth0"]);
            ip(&["-n", &ns, "link", "set", "eth0", "up", "multicast", "on"]);
            // Multicast leaves by this interface, whatever socket options a library sets.
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
        }
        net
    }

    fn ns(&self, i: usize) -> String {
        format!("{PREFIX}-{}-{i}", self.tag)
    }

    fn addr(&self, i: usize) -> String {
        format!("198.18.1.{}", i + 1)
    }

    /// Frames and bytes sent by every namespace's `eth0` so far (`/proc/net/dev`, which
    /// is per namespace).
    fn sent(&self) -> (u64, u64) {
        let mut total = (0, 0);
        for i in 0..self.n {
            let out = Command::new("ip").args(["netns", "exec", &self.ns(i), "cat", "/proc/net/dev"]).output();
            let text = String::from_utf8_lossy(&out.expect("read /proc/net/dev").stdout).into_owned();
            let line = text.lines().find(|l| l.trim_start().starts_with("eth0:")).expect("eth0 in /proc/net/dev");
            let fields: Vec<u64> =
                line.split_once(':').unwrap().1.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
            // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit.
            total.0 += fields[9];
            total.1 += fields[8];
        }
        total
    }
}

impl Drop for Net {
    /// Deleting a namespace ends the sockets in it and deletes its end of the veth pair.
    fn drop(&mut self) {
        for i in 0..self.n {
            let _ = Command::new("ip").args(["netns", "del", &self.ns(i)]).status();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.hub]).status();
    }
}

/// Namespaces left by a run of these tests that was killed before it could clean up:
/// those whose process is gone.
fn remove_leftovers() {
    let listed = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list");
    for name in String::from_utf8_lossy(&listed.stdout).lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(rest) = name.strip_prefix(&format!("{PREFIX}-")) else { continue };
        let pid = rest.split('x').next().unwrap_or("");
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

/// Which program a peer runs.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// rust-libp2p's chat example.
    Example,
    /// The handbook's room chat.
    Chat,
}

/// A program in a namespace, its output read line by line with the time each came.
struct Peer {
    name: String,
    kind: Kind,
    id: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    errors: Arc<Mutex<Vec<(Instant, String)>>>,
    started: Instant,
    /// The key directory of a chat, removed on drop.
    keys: Option<PathBuf>,
}

/// Reads `from` line by line into `into`, each with the moment it came.
fn collect(from: impl std::io::Read + Send + 'static, into: Arc<Mutex<Vec<(Instant, String)>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            into.lock().unwrap().push((Instant::now(), line));
        }
    });
}

impl Peer {
    fn spawn(name: &str, kind: Kind, ns: &str, program: &Path, args: &[&str], keys: Option<PathBuf>) -> Peer {
        let started = Instant::now();
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args)
            // The example logs to standard output when RUST_LOG asks: not here.
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} ({}): {e}", program.display()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), lines.clone());
        let errors = Arc::new(Mutex::new(Vec::new()));
        collect(child.stderr.take().unwrap(), errors.clone());
        let stdin = child.stdin.take();
        let mut peer = Peer { name: name.into(), kind, id: String::new(), child, stdin, lines, errors, started, keys };
        peer.id = match kind {
            Kind::Example => peer.wait_for("Local peer id: ", "the example starts"),
            Kind::Chat => {
                let rest = peer.wait_for(&format!("{name} is "), "the chat starts");
                rest.split(',').next().unwrap_or("").to_string()
            }
        };
        assert!(peer.id.starts_with("12D3KooW"), "{name}'s peer id: {:?}", peer.id);
        peer
    }

    fn example(name: &str, ns: &str) -> Peer {
        Peer::spawn(name, Kind::Example, ns, Path::new(env!("CARGO_BIN_EXE_libp2p_chat")), &[], None)
    }

    fn chat(name: &str, ns: &str, program: &Path) -> Peer {
        let keys = std::env::temp_dir().join(format!("{PREFIX}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&keys);
        let dir = keys.to_str().expect("a UTF-8 temporary directory").to_string();
        let args = [name, "--plain", "--lan", "--room", ROOM, "--keys", &dir];
        Peer::spawn(name, Kind::Chat, ns, program, &args, Some(keys))
    }

    fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().map(|(_, l)| l.clone()).collect()
    }

    /// What went wrong, for a failure message: its last lines of output and of errors.
    fn story(&self) -> String {
        let out = self.output();
        let err: Vec<String> = self.errors.lock().unwrap().iter().map(|(_, l)| l.clone()).collect();
        let tail = |v: &[String]| v[v.len().saturating_sub(12)..].join("\n    ");
        format!(
            "{} ({:?}, {}):\n  stdout (last {} of {}):\n    {}\n  stderr:\n    {}",
            self.name,
            self.kind,
            self.id,
            out.len().min(12),
            out.len(),
            tail(&out),
            tail(&err)
        )
    }

    /// The rest of the first line starting with `prefix`, waited for at most [`WAIT`].
    fn wait_for(&mut self, prefix: &str, what: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.lines.lock().unwrap().iter().find_map(|(_, l)| l.strip_prefix(prefix).map(str::to_string));
            if let Some(rest) = found {
                return rest;
            }
            if Instant::now() >= deadline || matches!(self.child.try_wait(), Ok(Some(_))) {
                panic!("{what}: no `{prefix}…` line within {WAIT:?}\n{}", self.story());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn say(&mut self, text: &str) -> Instant {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{text}").and_then(|()| stdin.flush()).unwrap_or_else(|e| panic!("{}: {e}", self.story()));
        Instant::now()
    }

    /// When this peer showed `text` said by `author`, if it has. The example prints
    /// `Got message: 'TEXT' with id: …` (the peer it names is the one that passed the
    /// message on, not the author); the chat prints `<nick short-id> TEXT` for a
    /// handbook peer's line and `<short-id> TEXT` for a libp2p peer's, the short id
    /// being the six characters after `12D3KooW`.
    fn shown(&self, text: &str, author: &Peer) -> Option<Instant> {
        let lines = self.lines.lock().unwrap();
        match self.kind {
            Kind::Example => {
                let prefix = format!("Got message: '{text}' with id: ");
                lines.iter().find(|(_, l)| l.starts_with(&prefix)).map(|(t, _)| *t)
            }
            Kind::Chat => {
                let suffix = format!("> {text}");
                let who = format!("{}> ", short(&author.id));
                lines
                    .iter()
                    .find(|(_, l)| {
                        l.starts_with('<') && l.ends_with(&suffix) && l[..l.len() - text.len()].ends_with(&who)
                    })
                    .map(|(t, _)| *t)
            }
        }
    }

    /// When this peer first printed a line containing `needle`, if it has.
    fn first_mention(&self, needle: &str) -> Option<Instant> {
        self.lines.lock().unwrap().iter().find(|(_, l)| l.contains(needle)).map(|(t, _)| *t)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(keys) = &self.keys {
            let _ = std::fs::remove_dir_all(keys);
        }
    }
}

/// The chat's short form of a peer id (chat-app's `room::short`).
fn short(peer: &str) -> &str {
    let rest = peer.strip_prefix("12D3KooW").unwrap_or(peer);
    &rest[..rest.len().min(6)]
}

/// The handbook's chat program, built from the root workspace as `cargo verify chat`
/// would run it (the interop workspace does not hold it), or the one named by
/// `INTEROP_CHAT_APP` (a release build, say) if that is set.
fn chat_app() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_chat_app).clone()
}

fn build_chat_app() -> PathBuf {
    if let Some(path) = std::env::var_os("INTEROP_CHAT_APP") {
        println!("the chat program: {} (INTEROP_CHAT_APP)", Path::new(&path).display());
        return path.into();
    }
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--locked", "-p", "chat-app", "--bin", "chat-app", "--message-format=json-render-diagnostics"])
        .args(["--manifest-path", manifest])
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build for chat-app");
    assert!(out.status.success(), "cargo build -p chat-app failed: {}", out.status);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "chat-app")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names chat-app's executable")
}

/// Until every peer has shown a line from every other: each peer that some other has
/// not heard yet says a fresh probe line every [`PROBE_EVERY`] (a line said before the
/// gossipsub link is up is lost to that peer, by design of both programs). Returns,
/// per (speaker, hearer), the time from the later of the two starts to the first probe
/// shown: discovery, connection, subscription and one line.
fn until_all_hear(peers: &mut [Peer]) -> Vec<Vec<Duration>> {
    let n = peers.len();
    let mut said: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut heard: Vec<Vec<Option<Instant>>> = vec![vec![None; n]; n];
    let deadline = Instant::now() + WAIT;
    let mut round = 0;
    loop {
        for s in 0..n {
            for h in 0..n {
                if h == s || heard[s][h].is_some() {
                    continue;
                }
                heard[s][h] = said[s].iter().filter_map(|t| peers[h].shown(t, &peers[s])).min();
            }
        }
        let deaf: Vec<(usize, usize)> = (0..n)
            .flat_map(|s| (0..n).map(move |h| (s, h)))
            .filter(|&(s, h)| s != h && heard[s][h].is_none())
            .collect();
        if deaf.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let pairs: Vec<String> =
                deaf.iter().map(|&(s, h)| format!("{} → {}", peers[s].name, peers[h].name)).collect();
            let stories: Vec<String> = peers.iter().map(Peer::story).collect();
            panic!(
                "within {WAIT:?} of probing, these lines never crossed (speaker → hearer): {}\n\n{}",
                pairs.join(", "),
                stories.join("\n\n")
            );
        }
        for s in 0..n {
            if deaf.iter().any(|&(d, _)| d == s) {
                let text = format!("probe {round} from {}", peers[s].name);
                peers[s].say(&text);
                said[s].push(text);
            }
        }
        round += 1;
        std::thread::sleep(PROBE_EVERY);
    }
    (0..n)
        .map(|s| {
            (0..n)
                .map(|h| match heard[s][h] {
                    Some(at) => at.saturating_duration_since(peers[s].started.max(peers[h].started)),
                    None => Duration::ZERO,
                })
                .collect()
        })
        .collect()
}

/// The TCP connections of namespace `ns` on the bridge, watched every 10 ms for
/// `how_long` (`ss` inside the namespace): when each was first seen established, its
/// local address and its remote one.
fn watch_connections(ns: String, how_long: Duration) -> std::thread::JoinHandle<Vec<(Instant, String, String)>> {
    std::thread::spawn(move || {
        let mut seen: Vec<(Instant, String, String)> = Vec::new();
        let end = Instant::now() + how_long;
        while Instant::now() < end {
            let out = Command::new("ip").args(["netns", "exec", &ns, "ss", "-tnH", "state", "established"]).output();
            let now = Instant::now();
            for line in out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default().lines() {
                // Recv-Q Send-Q Local:Port Peer:Port
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.len() >= 4
                    && fields[2].starts_with("198.18.")
                    && !seen.iter().any(|(_, l, r)| l == fields[2] && r == fields[3])
                {
                    seen.push((now, fields[2].to_string(), fields[3].to_string()));
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        seen
    })
}

/// Says `text` at `speaker` and waits until every other peer shows it; returns the
/// latency to each of them (`None` for the speaker).
fn line_to_all(peers: &mut [Peer], speaker: usize, text: &str) -> Vec<Option<Duration>> {
    let at = peers[speaker].say(text);
    let deadline = Instant::now() + WAIT;
    loop {
        let shown: Vec<Option<Option<Instant>>> = (0..peers.len())
            .map(|h| if h == speaker { None } else { Some(peers[h].shown(text, &peers[speaker])) })
            .collect();
        if shown.iter().flatten().all(Option::is_some) {
            return shown.into_iter().map(|s| s.map(|t| t.unwrap().saturating_duration_since(at))).collect();
        }
        if Instant::now() >= deadline {
            let missing: Vec<&str> = shown
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s, Some(None)))
                .map(|(h, _)| peers[h].name.as_str())
                .collect();
            let stories: Vec<String> = peers.iter().map(Peer::story).collect();
            panic!(
                "{:?} said by {} did not reach {} within {WAIT:?}\n\n{}",
                text,
                peers[speaker].name,
                missing.join(", "),
                stories.join("\n\n")
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// When `hearer` printed the peer id of `found` (the example says `mDNS discovered a
/// new peer: ID`), from the later of the two starts.
fn discovery(hearer: &Peer, found: &Peer) -> Option<Duration> {
    let at = match hearer.kind {
        Kind::Example => hearer.first_mention(&format!("mDNS discovered a new peer: {}", found.id)),
        // The chat prints a libp2p peer only when it says something (`<id> text`);
        // a handbook peer when it joins (`* joined nick id`).
        Kind::Chat => hearer
            .lines
            .lock()
            .unwrap()
            .iter()
            .find(|(_, l)| l.starts_with("* joined") && l.ends_with(short(&found.id)))
            .map(|(t, _)| *t),
    };
    at.map(|t| t.saturating_duration_since(hearer.started.max(found.started)))
}

fn print_discovery(peers: &[Peer], hearer: usize, found: usize) {
    let figure = match discovery(&peers[hearer], &peers[found]) {
        Some(d) => ms(d),
        None => "(not printed)".into(),
    };
    println!("  {} discovered {} (mDNS) after {figure}", peers[hearer].name, peers[found].name);
}

#[test]
fn two_examples_chat() {
    if !can_run() {
        return;
    }
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(2);
    let mut peers = vec![Peer::example("example-a", &net.ns(0)), Peer::example("example-b", &net.ns(1))];
    let first = until_all_hear(&mut peers);
    println!("two copies of rust-libp2p's chat example, one bridge:");
    print_discovery(&peers, 0, 1);
    print_discovery(&peers, 1, 0);
    println!("  start to first line across: a → b {}, b → a {}", ms(first[0][1]), ms(first[1][0]));
    for (s, h) in [(0, 1), (1, 0)] {
        let text = format!("hello from {}", peers[s].name);
        let latency = line_to_all(&mut peers, s, &text)[h].unwrap();
        println!("  line {} → {}: {}", peers[s].name, peers[h].name, ms(latency));
    }
    drop(peers);
    drop(net);
}

/// How many times `peer` printed `text` as a line of the room.
fn times_shown(peer: &Peer, text: &str) -> usize {
    let suffix = format!("> {text}");
    peer.output().iter().filter(|l| l.starts_with('<') && l.ends_with(&suffix)).count()
}

/// A conversation of [`CONVERSATION`]: every [`TURN`] each peer says a line, without
/// waiting; then every line must reach every other peer. A line said while two peers
/// have no link is lost to them (neither program resends), so this fails if a
/// connection drops while the room talks. Returns the latencies by kinds.
fn conversation(peers: &mut [Peer]) -> Vec<((Kind, Kind), Duration)> {
    let n = peers.len();
    let began = Instant::now();
    let mut said: Vec<(usize, String, Instant)> = Vec::new();
    let mut turn = 0;
    while began.elapsed() < CONVERSATION {
        for (s, peer) in peers.iter_mut().enumerate() {
            let text = format!("turn {turn} from {}", peer.name);
            let at = peer.say(&text);
            said.push((s, text, at));
        }
        turn += 1;
        std::thread::sleep(TURN);
    }
    let missing = |peers: &[Peer]| -> Vec<String> {
        said.iter()
            .flat_map(|(s, text, at)| (0..n).map(move |h| (*s, h, text, *at)))
            .filter(|&(s, h, text, _)| s != h && peers[h].shown(text, &peers[s]).is_none())
            .map(|(_, h, text, at)| format!("{text:?} (said at {}) at {}", ms(at - began), peers[h].name))
            .collect()
    };
    let deadline = Instant::now() + WAIT;
    while !missing(peers).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let lost = missing(peers);
    if !lost.is_empty() {
        let stories: Vec<String> = peers.iter().map(Peer::story).collect();
        panic!(
            "a conversation of {} ({} lines, one per peer every {}): {} deliveries of {} never happened: {}\n\n{}",
            ms(CONVERSATION),
            said.len(),
            ms(TURN),
            lost.len(),
            said.len() * (n - 1),
            lost.join(", "),
            stories.join("\n\n")
        );
    }
    let mut by_kinds = Vec::new();
    for (s, text, at) in &said {
        for h in (0..n).filter(|h| h != s) {
            let latency = peers[h].shown(text, &peers[*s]).unwrap().saturating_duration_since(*at);
            by_kinds.push(((peers[*s].kind, peers[h].kind), latency));
            if peers[h].kind == Kind::Chat {
                let times = times_shown(&peers[h], text);
                assert_eq!(times, 1, "{} showed {text:?} {times} times\n{}", peers[h].name, peers[h].story());
            }
        }
    }
    println!(
        "  a conversation of {}, each peer saying a line every {}: all {} lines reached every peer",
        ms(CONVERSATION),
        ms(TURN),
        said.len()
    );
    by_kinds
}

/// The example and one chat in a room of two, past the first line each way.
fn example_and_chat(net: &Net, program: &Path) -> Vec<Peer> {
    // The chat first, so that the example's first mDNS query finds it listening.
    let chat = Peer::chat("handbook", &net.ns(0), program);
    let chat_port =
        chat.output().iter().find_map(|l| l.rsplit_once("listening on 0.0.0.0:").map(|(_, p)| p.to_string()));
    let chat_port = chat_port.unwrap_or_else(|| panic!("the chat's listening port\n{}", chat.story()));
    let connections = watch_connections(net.ns(0), Duration::from_secs(3));
    let mut peers = vec![chat, Peer::example("example", &net.ns(1))];
    let first = until_all_hear(&mut peers);
    println!("rust-libp2p's chat example and the handbook's chat, one bridge:");
    print_discovery(&peers, 1, 0);
    print_discovery(&peers, 0, 1);
    // Who dialled whom shows who found whom first: the chat says a libp2p node joined
    // only once identify has failed on a connection, so its side of discovery is seen
    // as the connection it opens.
    for (at, local, remote) in connections.join().expect("the connection watch") {
        let opener = if local.ends_with(&format!(":{chat_port}")) { "the example" } else { "the chat" };
        println!(
            "  TCP connection {local} ↔ {remote} opened by {opener}, first seen (ss every 10 ms) {} after the example started",
            ms(at.saturating_duration_since(peers[1].started))
        );
    }
    println!(
        "  start to first line across (probing every {}): handbook → example {}, example → handbook {}",
        ms(PROBE_EVERY),
        ms(first[0][1]),
        ms(first[1][0])
    );
    peers
}

#[test]
fn the_example_and_the_handbook_chat_both_ways() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(2);
    let mut peers = example_and_chat(&net, &program);
    for (s, h) in [(0, 1), (1, 0)] {
        let latencies: Vec<Duration> = (0..5)
            .map(|i| {
                let text = format!("line {i} from {}", peers[s].name);
                line_to_all(&mut peers, s, &text)[h].unwrap()
            })
            .collect();
        println!(
            "  line {} → {}, median of 5: {} (all: {})",
            peers[s].name,
            peers[h].name,
            ms(median(latencies.clone())),
            latencies.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
        );
    }
    for i in 0..5 {
        let text = format!("line {i} from example");
        let times = times_shown(&peers[0], &text);
        assert_eq!(times, 1, "the chat showed {text:?} {times} times\n{}", peers[0].story());
    }
    drop(peers);
    drop(net);
}

#[test]
fn the_example_and_the_handbook_keep_talking() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(2);
    let mut peers = example_and_chat(&net, &program);
    let by_kinds = conversation(&mut peers);
    print_by_kinds(&by_kinds);
    drop(peers);
    drop(net);
}

/// Three chats (`hb0`…`hb2`) and two examples (`ex0`, `ex1`), each in its own
/// namespace on one bridge, past the first line between every pair.
fn mixed_room(net: &Net, program: &Path) -> Vec<Peer> {
    let began = Instant::now();
    let mut peers: Vec<Peer> = (0..3).map(|i| Peer::chat(&format!("hb{i}"), &net.ns(i), program)).collect();
    peers.extend((0..2).map(|i| Peer::example(&format!("ex{i}"), &net.ns(3 + i))));
    let first = until_all_hear(&mut peers);
    println!("a mixed room: three handbook chats (hb*) and two rust-libp2p examples (ex*), one bridge");
    let slowest = first.iter().flatten().max().unwrap();
    println!("  slowest pair's first line across: {} after the later of the two started", ms(*slowest));
    println!("  all five heard each other {} after the first started", ms(began.elapsed()));
    peers
}

/// Every peer says one line at once; each must reach the other four, and a chat shows
/// each line once. Prints the latency of each line to each receiver, and returns them
/// by the kinds of speaker and receiver.
fn round(peers: &mut [Peer], label: &str) -> Vec<((Kind, Kind), Duration)> {
    let n = peers.len();
    let texts: Vec<String> = (0..n).map(|s| format!("{label} from {}", peers[s].name)).collect();
    let said: Vec<Instant> = (0..n).map(|s| peers[s].say(&texts[s])).collect();
    let deadline = Instant::now() + WAIT;
    let all_shown =
        |peers: &[Peer]| (0..n).all(|s| (0..n).all(|h| h == s || peers[h].shown(&texts[s], &peers[s]).is_some()));
    while !all_shown(peers) {
        if Instant::now() >= deadline {
            let missing: Vec<String> = (0..n)
                .flat_map(|s| (0..n).map(move |h| (s, h)))
                .filter(|&(s, h)| s != h && peers[h].shown(&texts[s], &peers[s]).is_none())
                .map(|(s, h)| format!("{:?} at {}", texts[s], peers[h].name))
                .collect();
            let stories: Vec<String> = peers.iter().map(Peer::story).collect();
            panic!("lines missing after {WAIT:?}: {}\n\n{}", missing.join(", "), stories.join("\n\n"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut by_kinds = Vec::new();
    for s in 0..n {
        let mut row = Vec::new();
        for h in (0..n).filter(|&h| h != s) {
            let latency = peers[h].shown(&texts[s], &peers[s]).unwrap().saturating_duration_since(said[s]);
            row.push(format!("{} {}", peers[h].name, ms(latency)));
            by_kinds.push(((peers[s].kind, peers[h].kind), latency));
            if peers[h].kind == Kind::Chat {
                let times = times_shown(&peers[h], &texts[s]);
                assert_eq!(times, 1, "{} showed {:?} {times} times\n{}", peers[h].name, texts[s], peers[h].story());
            }
        }
        println!("    {:<22} → {}", texts[s], row.join(", "));
    }
    by_kinds
}

fn print_by_kinds(by_kinds: &[((Kind, Kind), Duration)]) {
    println!("  median latency by speaker and receiver (typed to printed):");
    for from in [Kind::Chat, Kind::Example] {
        for to in [Kind::Chat, Kind::Example] {
            let v: Vec<Duration> = by_kinds.iter().filter(|(k, _)| *k == (from, to)).map(|(_, d)| *d).collect();
            if v.is_empty() {
                continue;
            }
            println!("    {from:?} → {to:?}: {} ({} deliveries)", ms(median(v.clone())), v.len());
        }
    }
}

#[test]
fn a_mixed_room_of_three_chats_and_two_examples() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(5);
    let mut peers = mixed_room(&net, &program);
    println!("  latency of each line to each receiver, all five saying one line at once:");
    let mut by_kinds = round(&mut peers, "round 0");
    by_kinds.extend(round(&mut peers, "round 1"));
    print_by_kinds(&by_kinds);
    drop(peers);
    drop(net);
}

#[test]
fn a_mixed_room_keeps_talking_and_what_a_line_costs_on_the_wire() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let began = Instant::now();
    let net = Net::new(5);
    let mut peers = mixed_room(&net, &program);
    let by_kinds = conversation(&mut peers);
    print_by_kinds(&by_kinds);

    // What one line costs on the wire: packets (Ethernet frames) and bytes sent by all
    // five namespaces in a window with a burst of lines from one peer (50 ms apart),
    // less those of an idle window of the same length just before (mDNS, pings,
    // heartbeats and the chats' anti-entropy go on in both), per line. Bursts from a
    // chat and from an example take turns.
    const WINDOW: Duration = Duration::from_millis(1000);
    const WINDOWS: u64 = 4;
    const BURST: u64 = 5;
    let kinds = [Kind::Chat, Kind::Example];
    let mut line = [(0, 0); 2];
    let mut idle = [(0, 0); 2];
    for w in 0..WINDOWS {
        for (k, kind) in kinds.iter().enumerate() {
            let speaker = peers.iter().position(|p| p.kind == *kind).unwrap();
            let before = net.sent();
            std::thread::sleep(WINDOW);
            let quiet = net.sent();
            let at = Instant::now();
            let texts: Vec<String> =
                (0..BURST).map(|b| format!("measured {w}.{b} from {}", peers[speaker].name)).collect();
            for text in &texts {
                peers[speaker].say(text);
                std::thread::sleep(Duration::from_millis(50));
            }
            for text in &texts {
                // Already said: waits until every other peer shows it.
                let n = peers.len();
                let deadline = Instant::now() + WAIT;
                while (0..n).any(|h| h != speaker && peers[h].shown(text, &peers[speaker]).is_none()) {
                    assert!(Instant::now() < deadline, "{text:?} did not reach every peer within {WAIT:?}");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            std::thread::sleep(WINDOW.saturating_sub(at.elapsed()));
            let after = net.sent();
            idle[k] = (idle[k].0 + quiet.0 - before.0, idle[k].1 + quiet.1 - before.1);
            line[k] = (line[k].0 + after.0 - quiet.0, line[k].1 + after.1 - quiet.1);
        }
    }
    let lines = WINDOWS * BURST;
    for (k, kind) in kinds.iter().enumerate() {
        let ((frames, bytes), (idle_frames, idle_bytes)) = (line[k], idle[k]);
        println!(
            "  on the wire for one line from {}, all five namespaces: about {} frames, {} bytes \
             ({lines} lines in {WINDOWS} windows of {}: {} frames, {} bytes a window; idle windows: {} frames, {} bytes)",
            match kind {
                Kind::Chat => "a handbook chat",
                Kind::Example => "a rust-libp2p example",
            },
            (frames as i64 - idle_frames as i64) / lines as i64,
            (bytes as i64 - idle_bytes as i64) / lines as i64,
            ms(WINDOW),
            frames / WINDOWS,
            bytes / WINDOWS,
            idle_frames / WINDOWS,
            idle_bytes / WINDOWS
        );
    }
    println!("  this test, the chat's build left out: {}", ms(began.elapsed()));
    drop(peers);
    drop(net);
}
