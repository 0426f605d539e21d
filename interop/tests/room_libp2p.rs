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
//!   item 4a).
//! - `a_mixed_room_of_three_chats_and_two_examples`: every line said by any of the five
//!   reaches the other four (item 4b), with the latency of a line from a handbook peer
//!   beside a line from a libp2p peer, and the frames and bytes each costs on the wire
//!   (item 5).
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
/// would run it (the interop workspace does not hold it).
fn chat_app() -> PathBuf {
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
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// When `hearer` printed the peer id of `found` (the example says `mDNS discovered a
/// new peer: ID`), from the later of the two starts.
fn discovery(hearer: &Peer, found: &Peer) -> Option<Duration> {
    let needle = match hearer.kind {
        Kind::Example => format!("mDNS discovered a new peer: {}", found.id),
        Kind::Chat => short(&found.id).to_string(),
    };
    hearer.first_mention(&needle).map(|t| t.saturating_duration_since(hearer.started.max(found.started)))
}

fn print_discovery(peers: &[Peer], hearer: usize, found: usize) {
    let figure = match discovery(&peers[hearer], &peers[found]) {
        Some(d) => ms(d),
        None => "(printed nowhere)".into(),
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

#[test]
#[ignore = "chat-app does not speak libp2p's mDNS yet (issue 23, item 2): it cannot find the example"]
fn the_example_and_the_handbook_chat_both_ways() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(2);
    // The chat first, so that the example's first mDNS query finds it listening.
    let mut peers = vec![Peer::chat("handbook", &net.ns(0), &program), Peer::example("example", &net.ns(1))];
    let first = until_all_hear(&mut peers);
    println!("rust-libp2p's chat example and the handbook's chat, one bridge:");
    print_discovery(&peers, 1, 0);
    print_discovery(&peers, 0, 1);
    println!(
        "  start to first line across: handbook → example {}, example → handbook {}",
        ms(first[0][1]),
        ms(first[1][0])
    );
    for (s, h) in [(0, 1), (1, 0)] {
        let latencies: Vec<Duration> = (0..5)
            .map(|i| {
                let text = format!("line {i} from {}", peers[s].name);
                let latency = line_to_all(&mut peers, s, &text)[h].unwrap();
                std::thread::sleep(Duration::from_millis(100));
                latency
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
        assert_eq!(times_shown(&peers[0], &text), 1, "the chat showed {text:?} more than once\n{}", peers[0].story());
    }
    drop(peers);
    drop(net);
}

#[test]
#[ignore = "chat-app does not speak libp2p's mDNS yet (issue 23, item 2): it cannot find the examples"]
fn a_mixed_room_of_three_chats_and_two_examples() {
    if !can_run() {
        return;
    }
    let program = chat_app();
    let _one = ONE_ROOM.lock().unwrap_or_else(|e| e.into_inner());
    let net = Net::new(5);
    let mut peers: Vec<Peer> = (0..3).map(|i| Peer::chat(&format!("hb{i}"), &net.ns(i), &program)).collect();
    peers.extend((0..2).map(|i| Peer::example(&format!("ex{i}"), &net.ns(3 + i))));
    let n = peers.len();
    let began = Instant::now();
    let first = until_all_hear(&mut peers);
    println!("a mixed room: three handbook chats (hb*) and two rust-libp2p examples (ex*), one bridge");
    let slowest = first.iter().flatten().max().unwrap();
    println!("  every peer heard every other {} after the last start (slowest pair)", ms(*slowest));
    println!("  all five hear each other after {}", ms(began.elapsed()));

    // Every line from every peer reaches the other four: two rounds.
    let mut by_kinds: Vec<((Kind, Kind), Duration)> = Vec::new();
    println!("  latency of each line to each receiver:");
    for round in 0..2 {
        for s in 0..n {
            let text = format!("round {round} from {}", peers[s].name);
            let latencies = line_to_all(&mut peers, s, &text);
            let row: Vec<String> =
                (0..n).filter_map(|h| latencies[h].map(|d| format!("{} {}", peers[h].name, ms(d)))).collect();
            println!("    {text:<18} → {}", row.join(", "));
            for h in (0..n).filter(|&h| h != s) {
                by_kinds.push(((peers[s].kind, peers[h].kind), latencies[h].unwrap()));
                if peers[h].kind == Kind::Chat {
                    let times = times_shown(&peers[h], &text);
                    assert_eq!(times, 1, "{} showed {text:?} {times} times\n{}", peers[h].name, peers[h].story());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    println!("  median latency by sender and receiver:");
    for from in [Kind::Chat, Kind::Example] {
        for to in [Kind::Chat, Kind::Example] {
            let v: Vec<Duration> = by_kinds.iter().filter(|(k, _)| *k == (from, to)).map(|(_, d)| *d).collect();
            println!("    {from:?} → {to:?}: {} ({} deliveries)", ms(median(v.clone())), v.len());
        }
    }

    // What one line costs on the wire: frames and bytes sent by all five namespaces in
    // a window with one line, minus an idle window of the same length just before.
    const WINDOW: Duration = Duration::from_millis(1500);
    for kind in [Kind::Chat, Kind::Example] {
        let speaker = peers.iter().position(|p| p.kind == kind).unwrap();
        let (mut frames, mut bytes, mut idle_frames, mut idle_bytes) = (0i64, 0i64, 0i64, 0i64);
        const LINES: usize = 3;
        for i in 0..LINES {
            let before = net.sent();
            std::thread::sleep(WINDOW);
            let idle = net.sent();
            let at = Instant::now();
            let text = format!("measured {i} from {}", peers[speaker].name);
            line_to_all(&mut peers, speaker, &text);
            std::thread::sleep(WINDOW.saturating_sub(at.elapsed()));
            let after = net.sent();
            idle_frames += (idle.0 - before.0) as i64;
            idle_bytes += (idle.1 - before.1) as i64;
            frames += (after.0 - idle.0) as i64;
            bytes += (after.1 - idle.1) as i64;
        }
        let l = LINES as i64;
        println!(
            "  on the wire per line from {} ({kind:?}), all links: {} frames, {} bytes \
             (windows of {} with the line: {} frames, {} bytes; idle: {} frames, {} bytes)",
            peers[speaker].name,
            (frames - idle_frames) / l,
            (bytes - idle_bytes) / l,
            ms(WINDOW),
            frames / l,
            bytes / l,
            idle_frames / l,
            idle_bytes / l
        );
    }
    drop(peers);
    drop(net);
}
