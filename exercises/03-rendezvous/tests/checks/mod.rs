//! The rendezvous exercise's checks, in the order to make them pass: the registry,
//! parsing untrusted lines, your server with the reference client, bad input,
//! subscriptions and expiry, what a departed or greedy client may cost, then your
//! client with the reference server.
//!
//! Everything runs on loopback, on ports the system picks.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::reference;
use crate::subject;

const WAIT: Duration = Duration::from_secs(5);
const S: fn(u64) -> Duration = Duration::from_secs;

fn addrs(port: u16) -> Vec<String> {
    vec![format!("127.0.0.1:{port}")]
}

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port")
}

/// The peers' names in a list of registrations.
fn names(peers: &[subject::Registration]) -> Vec<&str> {
    peers.iter().map(|r| r.peer.as_str()).collect()
}

fn ref_names(peers: &[reference::Registration]) -> Vec<&str> {
    peers.iter().map(|r| r.peer.as_str()).collect()
}

/// The registry: register, replace, unregister, TTLs, expiry and pagination
#[test]
fn step_1_registry() {
    use subject::{Registry, RegistryError};
    let mut r = Registry::new();
    let t0 = Duration::ZERO;
    let a = r.register("chat", "alice", &addrs(1), 60, t0).expect("register alice");
    assert_eq!((a.peer.as_str(), a.ttl), ("alice", 60));
    r.register("chat", "bob", &addrs(2), 10, t0).unwrap();
    r.register("files", "carol", &addrs(3), 60, t0).unwrap();
    let (peers, cookie) = r.discover("chat", 0, 100, t0).unwrap();
    assert_eq!(names(&peers), ["alice", "bob"], "discover lists a topic's peers, oldest first, and only that topic's");
    assert_eq!(peers[1].addrs, addrs(2));
    let (newer, same) = r.discover("chat", cookie, 100, t0).unwrap();
    assert!(newer.is_empty(), "with the cookie, nothing new");
    assert_eq!(same, cookie, "nothing new: the cookie stays");
    r.register("chat", "dave", &addrs(4), 60, S(1)).unwrap();
    let (newer, _) = r.discover("chat", cookie, 100, S(1)).unwrap();
    assert_eq!(names(&newer), ["dave"], "with the cookie, only registrations made since");
    // Registering again replaces (and counts as new).
    r.register("chat", "alice", &addrs(9), 60, S(2)).unwrap();
    let (peers, _) = r.discover("chat", 0, 100, S(2)).unwrap();
    assert_eq!(
        names(&peers),
        ["bob", "dave", "alice"],
        "a peer registered twice is listed once, as its latest registration"
    );
    assert_eq!(peers[2].addrs, addrs(9));
    // TTLs count down and expire.
    let (peers, _) = r.discover("chat", 0, 100, Duration::from_millis(9500)).unwrap();
    let bob = peers.iter().find(|p| p.peer == "bob").expect("bob has 0.5 s left");
    assert_eq!(bob.ttl, 1, "the ttl left is rounded up: 0.5 s left is 1");
    let (peers, _) = r.discover("chat", 0, 100, S(10)).unwrap();
    assert_eq!(names(&peers), ["dave", "alice"], "bob registered for 10 s at 0: gone at 10 s");
    assert!(r.unregister("chat", "dave"));
    assert!(!r.unregister("chat", "dave"), "unregistering twice: nothing there the second time");
    assert_eq!(r.expire(S(1000)), 2, "expire(now) drops alice and carol");
    assert!(r.is_empty());
    // Pages.
    for i in 0..25 {
        r.register("big", &format!("p{i:02}"), &addrs(i), 60, S(1000)).unwrap();
    }
    let (mut all, mut cookie) = (Vec::new(), 0);
    loop {
        let (page, next) = r.discover("big", cookie, 10, S(1000)).unwrap();
        assert!(page.len() <= 10, "a page holds at most `limit`");
        if page.is_empty() {
            break;
        }
        all.extend(page);
        cookie = next;
    }
    assert_eq!(all.len(), 25, "pages with the cookie cover every registration once");
    assert_eq!(
        all.iter().map(|p| p.peer.clone()).collect::<Vec<_>>(),
        (0..25).map(|i| format!("p{i:02}")).collect::<Vec<_>>()
    );
    // Refusals.
    assert_eq!(r.register("chat", "x", &addrs(1), 0, t0), Err(RegistryError::Ttl(0)), "a ttl of 0 is refused");
    assert_eq!(
        r.register("chat", "x", &addrs(1), 72 * 3600 + 1, t0),
        Err(RegistryError::Ttl(72 * 3600 + 1)),
        "a ttl over MAX_TTL (72 h) is refused"
    );
    assert_eq!(r.register("", "x", &addrs(1), 60, t0), Err(RegistryError::Name), "an empty topic is refused");
    assert_eq!(
        r.register("chat", &"x".repeat(256), &addrs(1), 60, t0),
        Err(RegistryError::Name),
        "a peer name over MAX_NAME (255) bytes is refused"
    );
    assert_eq!(
        r.register("chat", "x", &vec!["a:1".to_string(); 17], 60, t0),
        Err(RegistryError::TooManyAddrs),
        "more than MAX_ADDRS (16) addresses are refused"
    );
    assert_eq!(r.discover("chat", 0, 0, t0), Err(RegistryError::Limit(0)), "a limit of 0 is refused");
    assert_eq!(
        r.discover("chat", 0, 1001, t0),
        Err(RegistryError::Limit(1001)),
        "a limit over MAX_LIMIT (1000) is refused"
    );
}

/// Parsing untrusted lines: requests, and malformed input, unknown ops and bad fields told apart
#[test]
fn step_2_parse() {
    use subject::proto::parse_request;
    use subject::{ErrorCode, ProtoError, Request};
    assert_eq!(
        parse_request(br#"{"op":"register","topic":"chat","peer":"alice","addrs":["127.0.0.1:1"],"ttl":30}"#),
        Ok(Request::Register { topic: "chat".into(), peer: "alice".into(), addrs: addrs(1), ttl: 30 })
    );
    assert_eq!(
        parse_request(br#"{"op":"register","topic":"chat","peer":"alice","addrs":[]}"#),
        Ok(Request::Register { topic: "chat".into(), peer: "alice".into(), addrs: vec![], ttl: 7200 }),
        "the ttl defaults to 2 hours"
    );
    assert_eq!(
        parse_request(br#"{"op":"discover","topic":"chat"}"#),
        Ok(Request::Discover { topic: "chat".into(), cookie: 0, limit: 100 }),
        "cookie defaults to 0, limit to 100"
    );
    assert_eq!(parse_request(br#"{"topic":"t","op":"subscribe"}"#), Ok(Request::Subscribe { topic: "t".into() }));
    assert_eq!(
        parse_request(br#"{"op":"unregister","topic":"t","peer":"p"}"#),
        Ok(Request::Unregister { topic: "t".into(), peer: "p".into() })
    );
    let cases: [(&[u8], ErrorCode); 9] = [
        (b"", ErrorCode::Malformed),
        (b"hello", ErrorCode::Malformed),
        (b"[1,2,3]", ErrorCode::Malformed),
        (b"{\"op\":42}", ErrorCode::Malformed),
        (b"{\"topic\":\"t\"}", ErrorCode::Malformed),
        (b"\xff\xfe{", ErrorCode::Malformed),
        (b"{\"op\":\"vote\"}", ErrorCode::UnknownOp),
        (b"{\"op\":\"register\",\"topic\":\"t\"}", ErrorCode::Invalid),
        (b"{\"op\":\"discover\",\"topic\":\"t\",\"limit\":\"ten\"}", ErrorCode::Invalid),
    ];
    for (line, code) in cases {
        match parse_request(line) {
            Err(e) => assert_eq!(
                e.code(),
                code,
                "{:?} is {code:?}: malformed when not a JSON object with a string op, unknown_op for an op that is \
                 none of the four, invalid for bad or missing fields; yours says: {e}",
                String::from_utf8_lossy(line)
            ),
            Ok(r) => panic!("{:?} must be refused as {code:?}, got {r:?}", String::from_utf8_lossy(line)),
        }
    }
    match parse_request(b"{\"op\":\"vote\"}") {
        Err(ProtoError::UnknownOp(op)) => assert_eq!(op, "vote"),
        other => panic!("an unknown op names itself, got {other:?}"),
    }
    assert!(
        matches!(parse_request(br#"{"op":"subscribe","topic":"t","extra":1}"#), Err(ProtoError::Invalid { .. })),
        "unknown fields are refused"
    );
}

/// Your server with the reference client: register, discover across connections, pages, unregister
#[tokio::test]
async fn step_3_server() {
    let server = subject::spawn(listener().await).expect("spawn your server");
    let mut alice = reference::Client::connect(server.addr()).await.expect("connect");
    let mut bob = reference::Client::connect(server.addr()).await.expect("connect");
    assert_eq!(
        timeout(WAIT, alice.register("chat", "alice", &addrs(1), 60)).await.expect("in time").expect("register"),
        60
    );
    assert_eq!(
        timeout(WAIT, bob.register("chat", "bob", &addrs(2), 60)).await.expect("in time").expect("register"),
        60
    );
    let (peers, cookie) = timeout(WAIT, alice.discover("chat", 0, 100)).await.expect("in time").expect("discover");
    assert_eq!(ref_names(&peers), ["alice", "bob"], "each connection sees the others' registrations");
    assert!(cookie > 0);
    let (peers, _) = bob.discover("chat", cookie, 100).await.expect("discover");
    assert!(peers.is_empty(), "nothing newer than the cookie");
    for i in 0..30 {
        bob.register("many", &format!("p{i}"), &addrs(i), 60).await.expect("register");
    }
    assert_eq!(alice.discover_all("many").await.expect("discover all").len(), 30, "pages of 100 then an empty one");
    let (page, _) = alice.discover("many", 0, 7).await.expect("discover");
    assert_eq!(page.len(), 7, "limit is respected");
    bob.unregister("chat", "bob").await.expect("unregister");
    let (peers, _) = alice.discover("chat", 0, 100).await.expect("discover");
    assert_eq!(ref_names(&peers), ["alice"]);
    match alice.register("chat", "alice", &addrs(1), 0).await {
        Err(reference::ClientError::Server { code: reference::ErrorCode::Invalid, .. }) => {}
        other => panic!("a ttl of 0 gets an `invalid` error reply, got {other:?}"),
    }
    // The connection is still usable after an error.
    assert_eq!(alice.register("chat", "alice", &addrs(1), 5).await.expect("register after an error"), 5);
}

/// A raw connection, to send what no client would.
struct Raw {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: std::net::SocketAddr) -> Raw {
        let (read, writer) = TcpStream::connect(addr).await.expect("connect").into_split();
        Raw { reader: BufReader::new(read), writer }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("send");
    }

    async fn reply(&mut self) -> serde_json::Value {
        let mut line = String::new();
        let n = timeout(WAIT, self.reader.read_line(&mut line)).await.expect("a reply in time").expect("read");
        assert!(
            n > 0,
            "the server closed the connection instead of replying: a bad line gets an error reply, and the \
             connection keeps serving"
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("the reply is not JSON ({e}): {line:?}"))
    }
}

/// Bad input: malformed, oversized, unknown, half-sent; each gets its error and the server keeps serving
#[tokio::test]
async fn step_4_bad_input() {
    let server = subject::spawn(listener().await).expect("spawn your server");
    let mut raw = Raw::connect(server.addr()).await;
    let bad: [(&[u8], &str); 5] = [
        (b"this is not json\n", "malformed"),
        (b"{\"op\":\"vote\",\"topic\":\"chat\"}\n", "unknown_op"),
        (b"{\"op\":\"register\",\"topic\":\"chat\"}\n", "invalid"),
        (b"\x00\x01\x02\xff\n", "malformed"),
        (b"{\"op\":\"register\",\"topic\":\"chat\",\"peer\":\"p\",\"addrs\":[],\"ttl\":999999999}\n", "invalid"),
    ];
    for (line, code) in bad {
        raw.send(line).await;
        let reply = raw.reply().await;
        assert_eq!(reply["op"], "error", "{:?} gets an error reply, got {reply}", String::from_utf8_lossy(line));
        assert_eq!(reply["code"], code, "{:?}: {reply}", String::from_utf8_lossy(line));
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "an error says what was wrong: {reply}");
    }
    // 100 KiB in one line, over the 64 KiB limit.
    let mut huge = br#"{"op":"register","topic":"chat","peer":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 100 * 1024));
    huge.extend_from_slice(b"\",\"addrs\":[]}\n");
    raw.send(&huge).await;
    let reply = raw.reply().await;
    assert_eq!(
        (reply["op"].as_str(), reply["code"].as_str()),
        (Some("error"), Some("too_large")),
        "a line over MAX_FRAME (64 KiB) gets a too_large error, and the rest of that line is skipped: {reply}"
    );
    // The same connection still works.
    raw.send(b"{\"op\":\"discover\",\"topic\":\"chat\"}\n").await;
    assert_eq!(raw.reply().await["op"], "peers", "after bad input the connection keeps working");
    // A client that leaves in the middle of a line, and one that leaves at once.
    let mut quitter = Raw::connect(server.addr()).await;
    quitter.send(b"{\"op\":\"regis").await;
    drop(quitter);
    drop(TcpStream::connect(server.addr()).await.expect("connect"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fresh = reference::Client::connect(server.addr()).await.expect("the server still accepts connections");
    assert_eq!(fresh.register("chat", "eve", &addrs(5), 60).await.expect("and serves them"), 60);
    raw.send(b"{\"op\":\"discover\",\"topic\":\"chat\"}\n").await;
    let reply = raw.reply().await;
    assert_eq!(reply["peers"][0]["peer"], "eve", "{reply}");
}

/// Subscriptions push arrivals; registrations disappear when their TTL runs out
#[tokio::test]
async fn step_5_subscribe_and_expire() {
    let server = subject::spawn(listener().await).expect("spawn your server");
    let watcher = reference::Client::connect(server.addr()).await.expect("connect");
    let mut arrivals = timeout(WAIT, watcher.subscribe("chat")).await.expect("in time").expect("subscribe");
    let other = reference::Client::connect(server.addr()).await.expect("connect");
    let mut other_arrivals = other.subscribe("files").await.expect("subscribe");
    let mut peer = reference::Client::connect(server.addr()).await.expect("connect");
    peer.register("chat", "alice", &addrs(1), 1).await.expect("register");
    peer.register("chat", "bob", &addrs(2), 60).await.expect("register");
    let first = timeout(WAIT, arrivals.next()).await.expect("an arrival in time").expect("arrived");
    let second = timeout(WAIT, arrivals.next()).await.expect("an arrival in time").expect("arrived");
    assert_eq!((first.peer.as_str(), second.peer.as_str()), ("alice", "bob"), "arrivals in order");
    assert_eq!(first.addrs, addrs(1));
    assert!(
        timeout(Duration::from_millis(200), other_arrivals.next()).await.is_err(),
        "a subscriber to another topic hears nothing"
    );
    // alice registered for 1 s.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (peers, _) = peer.discover("chat", 0, 100).await.expect("discover");
    assert_eq!(ref_names(&peers), ["bob"], "alice's registration expired after its 1 s TTL");
}

/// The descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Clients that leave leave nothing behind, and one client cannot make the server hold without bound
#[tokio::test]
async fn step_6_limits() {
    let server = subject::spawn(listener().await).expect("spawn your server");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = open_fds();
    // 400 subscribers, each to a topic of its own where nothing is ever pushed, who leave.
    for i in 0..400 {
        let client = reference::Client::connect(server.addr()).await.expect("connect");
        let subscription =
            timeout(WAIT, client.subscribe(&format!("alone-{i}"))).await.expect("in time").expect("subscribe");
        drop(subscription);
    }
    let mut after = open_fds();
    for _ in 0..100 {
        if after < before + 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = open_fds();
    }
    // Other steps run alongside and hold a few descriptors of their own.
    assert!(
        after < before + 100,
        "400 subscribers came and left, and {} more descriptors are still open: free everything a connection holds (its subscriptions too) when its client leaves",
        after.saturating_sub(before)
    );
    let cap = subject::server::MAX_PER_CLIENT;
    let mut greedy = reference::Client::connect(server.addr()).await.expect("connect");
    for i in 0..cap {
        greedy
            .register("greedy", &format!("p{i}"), &addrs(1), 60)
            .await
            .unwrap_or_else(|e| panic!("registration {} of {cap} on one connection: {e}", i + 1));
    }
    match greedy.register("greedy", "one-too-many", &addrs(1), 60).await {
        Err(reference::ClientError::Server { code: reference::ErrorCode::Invalid, .. }) => {}
        other => panic!(
            "registration {} on one connection is over MAX_PER_CLIENT and gets an `invalid` error, got {other:?}",
            cap + 1
        ),
    }
    assert_eq!(
        greedy.register("greedy", "p0", &addrs(2), 30).await.expect("renewing a registration is not a new one"),
        30
    );
}

/// Your client with the reference server: register, discover, pages, subscribe, and errors as ClientError::Server
#[tokio::test]
async fn step_7_client() {
    let server = reference::spawn(listener().await).expect("spawn the reference server");
    let mut alice = timeout(WAIT, subject::Client::connect(server.addr())).await.expect("in time").expect("connect");
    let watcher = subject::Client::connect(server.addr()).await.expect("connect");
    let silent = "no reply from the reference server within 5 s: does each request end with a newline (one JSON \
                  object per line), and is it written to the socket?";
    let mut arrivals = timeout(WAIT, watcher.subscribe("chat")).await.expect(silent).expect("subscribe");
    assert_eq!(
        timeout(WAIT, alice.register("chat", "alice", &addrs(1), 30)).await.expect(silent).expect("register"),
        30
    );
    let arrived = timeout(WAIT, arrivals.next()).await.expect("an arrival in time").expect("arrived");
    assert_eq!((arrived.peer.as_str(), arrived.ttl), ("alice", 30));
    for i in 0..250 {
        alice.register("crowd", &format!("p{i}"), &addrs(i), 60).await.expect("register");
    }
    let (page, cookie) = alice.discover("crowd", 0, 100).await.expect("discover");
    assert_eq!(page.len(), 100);
    let (page2, _) = alice.discover("crowd", cookie, 100).await.expect("discover");
    assert_eq!(page2[0].peer, "p100", "the cookie picks up where the last page ended");
    let all = alice.discover_all("crowd").await.expect("discover_all");
    assert_eq!(all.len(), 250, "discover_all follows the cookie to the end");
    alice.unregister("crowd", "p0").await.expect("unregister");
    assert_eq!(alice.discover_all("crowd").await.expect("discover_all").len(), 249);
    match alice.discover("crowd", 0, 5000).await {
        Err(subject::ClientError::Server { code: subject::ErrorCode::Invalid, message }) => {
            assert!(!message.is_empty())
        }
        other => panic!(
            "a limit of 5000 is refused by the server: ClientError::Server {{ code: Invalid, .. }}, got {other:?}"
        ),
    }
    // A server that answers nonsense is a protocol error, not a panic.
    let fake = listener().await;
    let addr = fake.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = fake.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
        stream.write_all(b"{\"op\":\"mystery\"}\n").await.unwrap();
    });
    let mut confused = subject::Client::connect(addr).await.expect("connect");
    match timeout(WAIT, confused.register("t", "p", &addrs(1), 60)).await.expect("in time") {
        Err(subject::ClientError::Protocol(_)) => {}
        other => panic!("an unexpected reply is ClientError::Protocol, got {other:?}"),
    }
}
