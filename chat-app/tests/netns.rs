//! The room on workshop day, on one machine: twenty chat programs, each in a network
//! namespace of its own on one bridge (addresses in 198.18.0.0/15), finding each other by
//! real mDNS with `--lan`, every namespace dropping 5% of the packets it receives
//! (nftables: `numgen random mod 100 < 5 drop`). Every line must reach every peer; a late
//! joiner must get the whole history; the room is cut in two and must heal; five peers are killed and restarted with their keys
//! and must write again without leaving anyone deaf. It prints discovery, delivery p50 and
//! p99, the time to heal, neighbour drops, and CPU and memory per peer.
//!
//! It needs root, `ip` and `nft`, and takes a minute or two, so a plain `cargo test` skips
//! it; `.ci/run` runs it in the test build (add `--release` for the book's figures):
//!
//!     cargo test -p chat-app --test netns -- --ignored --nocapture
//!
//! The namespaces are removed whatever happens (also when the test fails), and any left
//! by an earlier run that was killed are removed first. `CHAT_NETNS_PEERS` (default 20)
//! and `CHAT_NETNS_LOSS` (percent, default 5) try larger rooms and worse networks.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Peers in the room, unless `CHAT_NETNS_PEERS` says otherwise.
fn peers() -> usize {
    std::env::var("CHAT_NETNS_PEERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

/// Percent of received packets dropped in every namespace, unless `CHAT_NETNS_LOSS` says
/// otherwise.
fn loss() -> u32 {
    std::env::var("CHAT_NETNS_LOSS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}
/// Peers killed and restarted.
const RESTARTS: usize = 5;
/// The longest any one wait takes before the test fails.
const WAIT: Duration = Duration::from_secs(30);
/// The whole test, at most.
const BUDGET: Duration = Duration::from_secs(280);
/// What every namespace and interface of this test is named after.
const PREFIX: &str = "chatroom";

fn run(args: &[&str]) {
    let status = Command::new(args[0]).args(&args[1..]).status().unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(status.success(), "{args:?} failed: {status}");
}

fn nft(ns: &str, rules: &str) {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft runs");
    child.stdin.take().unwrap().write_all(rules.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "nft in {ns} refused:\n{rules}");
}

/// The namespaces: a hub holding the bridge, and one per peer. Removed on drop.
struct Net {
    tag: String,
    hub: String,
    peers: usize,
}

impl Net {
    fn new() -> Net {
        // Namespaces left by an earlier run that was killed before it could clean up.
        let listed = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list");
        for line in String::from_utf8_lossy(&listed.stdout).lines() {
            if let Some(name) = line.split_whitespace().next().filter(|n| n.starts_with(PREFIX)) {
                let _ = Command::new("ip").args(["netns", "del", name]).status();
            }
        }
        let tag = format!("{}", std::process::id() % 10_000);
        let net = Net { hub: format!("{PREFIX}{tag}-hub"), tag, peers: peers() };
        run(&["ip", "netns", "add", &net.hub]);
        run(&["ip", "-n", &net.hub, "link", "set", "lo", "up"]);
        for bridge in ["br0", "br1"] {
            run(&["ip", "-n", &net.hub, "link", "add", bridge, "type", "bridge"]);
            run(&["ip", "-n", &net.hub, "link", "set", bridge, "up"]);
        }
        for i in 0..net.peers {
            let (ns, inside, outside) = (net.ns(i), format!("cr{}v{i}", net.tag), net.port(i));
            run(&["ip", "netns", "add", &ns]);
            run(&[
                "ip", "link", "add", &inside, "netns", &ns, "type", "veth", "peer", "name", &outside, "netns", &net.hub,
            ]);
            run(&["ip", "-n", &net.hub, "link", "set", &outside, "master", "br0", "up"]);
            run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
            run(&["ip", "-n", &ns, "link", "set", &inside, "name", "eth0"]);
            let addr = format!("198.18.{}.{}/15", i / 200, i % 200 + 1);
            run(&["ip", "-n", &ns, "addr", "add", &addr, "dev", "eth0"]);
            run(&["ip", "-n", &ns, "link", "set", "eth0", "up", "multicast", "on"]);
            let rules = format!(
                "table inet loss {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    \
                 iifname \"lo\" accept\n    numgen random mod 100 < {} drop\n  }}\n}}\n",
                loss()
            );
            nft(&ns, &rules);
        }
        net
    }

    fn ns(&self, i: usize) -> String {
        format!("{PREFIX}{}-{i}", self.tag)
    }

    /// Peer `i`'s port on the bridge, in the hub.
    fn port(&self, i: usize) -> String {
        format!("cr{}h{i}", self.tag)
    }

    /// Moves the ports of `peers` to bridge `to`: two bridges, two rooms.
    fn attach(&self, peers: std::ops::Range<usize>, to: &str) {
        for i in peers {
            run(&["ip", "-n", &self.hub, "link", "set", &self.port(i), "master", to]);
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for i in 0..self.peers {
            let _ = Command::new("ip").args(["netns", "del", &self.ns(i)]).status();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.hub]).status();
    }
}

/// A chat program in a namespace, its output read line by line with the time each came.
struct Peer {
    nick: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    started: Instant,
}

impl Peer {
    fn start(ns: &str, nick: &str, room: &str, keys: &Path) -> Peer {
        let started = Instant::now();
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_chat-app"), nick, "--plain", "--lan", "--room", room])
            .arg("--keys")
            .arg(keys)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the chat starts");
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        Peer { nick: nick.into(), stdin: child.stdin.take(), child, lines, started }
    }

    fn say(&mut self, text: &str) -> Instant {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{text}").expect("the chat reads its input");
        stdin.flush().unwrap();
        Instant::now()
    }

    fn first(&self, pred: impl Fn(&str) -> bool) -> Option<Instant> {
        self.lines.lock().unwrap().iter().find(|(_, l)| pred(l)).map(|(t, _)| *t)
    }

    fn shown(&self, text: &str) -> Option<Instant> {
        let suffix = format!("> {text}");
        self.first(|l| l.starts_with('<') && l.ends_with(&suffix))
    }

    fn count(&self, pred: impl Fn(&str) -> bool) -> usize {
        self.lines.lock().unwrap().iter().filter(|(_, l)| pred(l)).count()
    }

    /// CPU seconds used and resident memory in MiB, from /proc.
    fn usage(&self) -> Option<(f64, f64)> {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let rss_kib: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
        Some((ticks / 100.0, rss_kib / 1024.0))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `done` holds, at most [`WAIT`]; returns whether it did.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// The moment the last of `peers` showed `text`, if all did.
fn everywhere(peers: &[Peer], text: &str) -> Option<Instant> {
    peers.iter().map(|p| p.shown(text)).collect::<Option<Vec<_>>>()?.into_iter().max()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[test]
#[ignore = "twenty chat programs in network namespaces: needs root, ip and nft (.ci/run runs it)"]
fn twenty_peers_in_namespaces_with_loss_a_cut_and_restarts() {
    let began = Instant::now();
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    assert!(is_root, "the namespace room needs root (ip netns, nft)");
    let net = Net::new();
    let n = net.peers;
    kit::figure("peers, and percent of packets each drops", format!("{n}, {}%", loss()));
    let dirs: Vec<tempfile::TempDir> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    let room = format!("netns-{}", std::process::id());
    let nicks: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
    // The last peer joins late, once the room has talked.
    let mut peers: Vec<Peer> = (0..n - 1).map(|i| Peer::start(&net.ns(i), &nicks[i], &room, dirs[i].path())).collect();

    // Discovery: start to first neighbour.
    assert!(
        wait_until(|| peers.iter().all(|p| p.first(|l| l.starts_with("* joined")).is_some())),
        "within {WAIT:?} some peer found no neighbour"
    );
    let mut discovery: Vec<Duration> =
        peers.iter().map(|p| p.first(|l| l.starts_with("* joined")).unwrap() - p.started).collect();
    discovery.sort();
    kit::figure("discovery (start to first neighbour), median", ms(percentile(&discovery, 0.5)));
    kit::figure("discovery, slowest", ms(discovery[n - 2]));
    std::thread::sleep(Duration::from_secs(3));

    // Delivery: two lines from every peer, one every 100 ms.
    let mut delivery = Vec::new();
    let mut typed = Vec::new();
    for round in 0..2 {
        for (i, peer) in peers.iter_mut().enumerate() {
            let text = format!("line {round} from {}", nicks[i]);
            typed.push((peer.say(&text), text));
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    for (at, text) in &typed {
        assert!(wait_until(|| everywhere(&peers, text).is_some()), "{text:?} did not reach every peer");
        delivery.push(everywhere(&peers, text).unwrap() - *at);
    }
    delivery.sort();
    kit::figure("delivery (typed to shown on every peer), p50 of two lines per peer", ms(percentile(&delivery, 0.5)));
    kit::figure("delivery, p99", ms(percentile(&delivery, 0.99)));
    let left_before_cut: usize = peers.iter().map(|p| p.count(|l| l.starts_with("* left"))).sum();
    kit::figure("neighbour drops while the room talked", left_before_cut);
    assert!(percentile(&delivery, 0.99) <= Duration::from_secs(2), "delivery p99 over 2 s: {delivery:?}");

    // A late joiner gets the whole history.
    let late = Peer::start(&net.ns(n - 1), &nicks[n - 1], &room, dirs[n - 1].path());
    assert!(
        wait_until(|| typed.iter().all(|(_, t)| late.shown(t).is_some())),
        "the late joiner lacks some of the {} lines said before it came",
        typed.len()
    );
    let whole = typed.iter().map(|(_, t)| late.shown(t).unwrap()).max().unwrap() - late.started;
    kit::figure("late joiner: start to the whole history shown", ms(whole));
    peers.push(late);

    // The cut: two bridges, each half talks, then one bridge again.
    net.attach(n / 2..n, "br1");
    std::thread::sleep(Duration::from_secs(6));
    let mut cut_lines = Vec::new();
    for (i, peer) in peers.iter_mut().enumerate() {
        let text = format!("during the cut from {}", nicks[i]);
        peer.say(&text);
        cut_lines.push(text);
    }
    std::thread::sleep(Duration::from_secs(2));
    net.attach(n / 2..n, "br0");
    let healed_at = Instant::now();
    assert!(
        wait_until(|| cut_lines.iter().all(|t| everywhere(&peers, t).is_some())),
        "{WAIT:?} after the cut ended, some peer still lacks a line said during it: the room did not heal"
    );
    let healed = cut_lines.iter().map(|t| everywhere(&peers, t).unwrap()).max().unwrap() - healed_at;
    kit::figure("cut ended to every line said during it on every peer", ms(healed));
    assert!(healed <= Duration::from_secs(10), "the cut room took {healed:?} to heal");

    // Restarts: five peers killed and started again with their keys, typing at once.
    for i in 0..RESTARTS {
        peers[i].kill();
        peers[i] = Peer::start(&net.ns(i), &nicks[i], &room, dirs[i].path());
        let text = format!("back again, {}", nicks[i]);
        peers[i].say(&text);
        assert!(
            wait_until(|| everywhere(&peers, &text).is_some()),
            "{} restarted and typed at once: its line did not reach everyone ({:?})",
            nicks[i],
            peers[i]
                .lines
                .lock()
                .unwrap()
                .iter()
                .map(|(_, l)| l.clone())
                .filter(|l| l.starts_with('!'))
                .collect::<Vec<_>>()
        );
    }
    // Nobody is deaf: a last line from every peer reaches every peer.
    let finals: Vec<String> = (0..n).map(|i| format!("last word from {}", nicks[i])).collect();
    for (peer, text) in peers.iter_mut().zip(&finals) {
        peer.say(text);
    }
    let deaf: Vec<&str> = peers
        .iter()
        .filter(|p| !wait_until(|| finals.iter().all(|t| p.shown(t).is_some())))
        .map(|p| p.nick.as_str())
        .collect();
    kit::figure("deaf peers after 5 restarts", deaf.len());
    assert!(deaf.is_empty(), "peers that do not hear everyone after the restarts: {deaf:?}");
    let refused: usize = peers.iter().map(|p| p.count(|l| l.starts_with("! not said"))).sum();
    kit::figure("lines refused after a restart", refused);

    let drops: usize = peers.iter().map(|p| p.count(|l| l.starts_with("* left"))).sum();
    kit::figure("neighbour drops in all (the cut and the restarts included)", drops);
    let usage: Vec<(f64, f64)> = peers.iter().filter_map(Peer::usage).collect();
    let elapsed = began.elapsed().as_secs_f64();
    let cpu: Vec<f64> = usage.iter().map(|(s, _)| 100.0 * s / elapsed).collect();
    let rss: Vec<f64> = usage.iter().map(|(_, m)| *m).collect();
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    kit::figure("CPU per peer, mean and max (% of one core)", format!("{:.1} / {:.1}", mean(&cpu), max(&cpu)));
    kit::figure("memory per peer, mean and max (MiB resident)", format!("{:.1} / {:.1}", mean(&rss), max(&rss)));
    kit::figure("this test", format!("{:.0} s", elapsed));
    assert!(began.elapsed() < BUDGET, "the namespace room took {:?}", began.elapsed());
    drop(peers);
    drop(net);
}
