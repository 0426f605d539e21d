//! libp2p's mDNS (<https://github.com/libp2p/specs/blob/master/discovery/mdns.md>): the
//! reference codec (`solutions/02-mdns/src/libp2p.rs`) against rust-libp2p's
//! `mdns::tokio::Behaviour`, on a real link between two network namespaces the test
//! makes itself, so that real multicast crosses a real interface and no packet leaves
//! the machine.
//!
//! ```text
//!   namespace A                                   namespace B
//!   rust-libp2p Swarm + mdns   veth 198.18.0.1 ── veth 198.18.0.2   the handbook's codec
//!                                                                   on 0.0.0.0:5353
//! ```
//!
//! Both ways: rust-libp2p discovers the handbook peer (its peer id and TCP address), and
//! the handbook's querier finds the rust-libp2p node (its peer id and TCP address on the
//! link). 198.18.0.0/15 is the benchmarking range of RFC 2544, owned by no one.
//!
//! It needs root (for `ip netns`) and `ip`. Without them it says why and passes, except
//! under CI (`CI` set), where a skip is a failure.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use interop::netns::{self, Link};

/// How long a discovery may take. rust-libp2p queries as it starts, then after 0.5 s,
/// 1 s, 2 s, 4 s… (its probe back-off); the handbook queries every second. The margin is
/// for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

const LIBP2P_ADDR: &str = "198.18.0.1";
const HANDBOOK_ADDR: &str = "198.18.0.2";

/// Why this machine cannot run the test, if it cannot.
fn prerequisites() -> Result<(), String> {
    if let Some(why) = netns::unavailable() {
        return Err(why);
    }
    Ok(())
}

/// A peer process inside a namespace, its stdout read line by line on a thread.
struct Peer {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<(Instant, String)>,
    seen: Vec<String>,
    /// When the last line `expect` returned was printed.
    at: Instant,
}

impl Peer {
    fn spawn(name: &'static str, ns: &str, args: &[&str]) -> Peer {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_libp2p_mdns_peer")])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Peer { name, child, stdin, lines, seen: Vec::new(), at: Instant::now() }
    }

    /// Waits for a line starting with `prefix`, and returns the rest of it.
    fn expect(&mut self, prefix: &str, what: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line.starts_with(prefix) => {
                    self.at = at;
                    self.seen.push(line.clone());
                    return line[prefix.len()..].to_string();
                }
                Ok((_, line)) => self.seen.push(line),
                Err(_) => break,
            }
        }
        panic!("{what}: {} printed no `{prefix}…` within {WAIT:?} (it printed {:?})", self.name, self.seen);
    }
}

impl Peer {
    /// The rest of a line starting with `prefix`, printed already or awaited.
    fn find(&mut self, prefix: &str, what: &str) -> String {
        match self.seen.iter().find_map(|l| l.strip_prefix(prefix)) {
            Some(rest) => rest.to_string(),
            None => self.expect(prefix, what),
        }
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
fn rust_libp2p_and_the_handbook_find_each_other_by_libp2p_mdns() {
    match prerequisites() {
        Ok(()) => {}
        Err(why) if std::env::var_os("CI").is_some() => panic!("under CI this test must run, but: {why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    }
    let link = Link::new("p2pmdns", LIBP2P_ADDR, HANDBOOK_ADDR);

    // The handbook first, so that rust-libp2p's first query, sent as it starts, meets a
    // responder already listening.
    let mut ours = Peer::spawn("the handbook", &link.b, &["handbook", HANDBOOK_ADDR]);
    let our_id = ours.expect("peer ", "the handbook starts");
    let our_addr = ours.expect("listening ", "the handbook listens on TCP");
    assert!(our_addr.starts_with(&format!("/ip4/{HANDBOOK_ADDR}/tcp/")), "the handbook's address: {our_addr}");
    assert!(our_addr.ends_with(&format!("/p2p/{our_id}")), "the handbook's multiaddr names its peer: {our_addr}");

    let started = Instant::now();
    let mut theirs = Peer::spawn("rust-libp2p", &link.a, &["rust-libp2p"]);
    let their_id = theirs.expect("peer ", "rust-libp2p starts");

    // rust-libp2p's query reaches the handbook, which reads it as a query for
    // `_p2p._udp.local` (and answers it).
    let query = ours.expect("query ", "the handbook hears rust-libp2p's query");

    // rust-libp2p discovers the handbook: its peer id, and its TCP address as a multiaddr.
    let discovered = theirs.expect(&format!("discovered {our_id} "), "rust-libp2p discovers the handbook's peer");
    let theirs_found = theirs.at.saturating_duration_since(started);
    assert_eq!(discovered, our_addr, "rust-libp2p's multiaddr for the handbook's peer");

    // The handbook finds rust-libp2p: its peer id, and its TCP port at its address on the
    // link (rust-libp2p listens on 0.0.0.0, and announces each interface's address).
    let their_port = theirs.find(&format!("listening /ip4/{LIBP2P_ADDR}/tcp/"), "rust-libp2p listens on the link");
    let at_link = format!("found {their_id} {LIBP2P_ADDR}:{their_port}");
    let rest = ours.expect(&at_link, "the handbook's querier finds the rust-libp2p node at its address on the link");
    assert!(rest.is_empty(), "one address per line: {at_link}{rest}");
    let ours_found = ours.at.saturating_duration_since(started);
    // And rust-libp2p answers the handbook's own query (it gives the answer the query's id),
    // not only its own: the handbook's querier works without anyone else asking.
    ours.find("answered ", "rust-libp2p answers the handbook's query (the handbook asks every second)");

    // rust-libp2p's real response reached the handbook and was decoded by it.
    let response = ours.seen.iter().find_map(|l| l.strip_prefix("response ")).expect("a response seen").to_string();
    eprintln!("rust-libp2p's query: {query}");
    eprintln!("rust-libp2p's response: {response}");
    eprintln!(
        "after rust-libp2p's process started: it discovered the handbook in {theirs_found:?}, the handbook found it in {ours_found:?}"
    );
    assert!(!ours.seen.iter().any(|l| l.starts_with("refused ")), "the handbook refused a packet: {:?}", ours.seen);
    drop(ours);
    drop(theirs);
    drop(link);
}
