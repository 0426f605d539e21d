//! The basics exercise's checks, in the order to make them pass: echo, relay chat,
//! JSON chat. Every check talks over real TCP on 127.0.0.1, and your server is tested
//! with the reference client and the reverse.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::{reference, subject};

const WAIT: Duration = Duration::from_secs(5);

/// Starts `serve` on an ephemeral loopback port; returns where it listens.
async fn start<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind on loopback");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    addr
}

/// A raw client: writes bytes, reads lines.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Raw {
        let (read, writer) = TcpStream::connect(addr).await.expect("connect").into_split();
        Raw { reader: BufReader::new(read), writer }
    }

    async fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).await.expect("write");
    }

    /// The next line, or None if none arrives within `wait` (or the connection closed).
    async fn line_within(&mut self, wait: Duration) -> Option<String> {
        let mut line = String::new();
        match timeout(wait, self.reader.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => Some(line.trim_end_matches(['\n', '\r']).to_string()),
            _ => None,
        }
    }

    async fn line(&mut self) -> String {
        self.line_within(WAIT).await.expect(
            "no line arrived within 5 s: every line ends with \\n, a server serves every client at once and \
             answers every line of a connection, and a connection stays open after bad input",
        )
    }
}

/// Waits until the relay server has every client in its room: client 0 sends `probe`
/// until each other client has received it, then the extra copies are drained. (A
/// connection is accepted a moment after `connect` returns; a line sent before that
/// would not reach it.)
async fn all_in_the_room(clients: &mut [Raw], probe: &str) {
    let mut arrived = vec![false; clients.len()];
    arrived[0] = true;
    for _ in 0..50 {
        clients[0].send(probe).await;
        for (i, client) in clients.iter_mut().enumerate().skip(1) {
            if !arrived[i] && client.line_within(Duration::from_millis(100)).await.is_some() {
                arrived[i] = true;
            }
        }
        if arrived.iter().all(|a| *a) {
            break;
        }
    }
    assert!(arrived.iter().all(|a| *a), "the server never relayed a line to every client");
    for client in clients.iter_mut() {
        while client.line_within(Duration::from_millis(100)).await.is_some() {}
    }
}

/// Echo: every line comes back, to each of several clients, even when sent in pieces
#[tokio::test]
async fn step_1_echo_server() {
    let addr = start(subject::echo::serve).await;
    let mut a = Raw::connect(addr).await;
    let mut b = Raw::connect(addr).await;
    a.send("hello\n").await;
    b.send("world\nsecond line\n").await;
    assert_eq!(a.line().await, "hello");
    assert_eq!(b.line().await, "world");
    assert_eq!(b.line().await, "second line", "two lines in one write are two lines");
    // One line in three writes: TCP is a byte stream, not a message stream.
    a.send("pie").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.send("ces of a ").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.send("line\n").await;
    assert_eq!(a.line().await, "pieces of a line");
}

/// Your echo client works with the reference server, and the reference client with yours
#[tokio::test]
async fn step_2_echo_client() {
    let theirs = start(reference::echo::serve).await;
    let asked = timeout(WAIT, subject::echo::ask(theirs, "ping"))
        .await
        .expect("your ask() got no reply within 5 s: send the line with its \\n, then read one line back");
    assert_eq!(asked.expect("ask"), "ping");
    let mine = start(subject::echo::serve).await;
    assert_eq!(timeout(WAIT, reference::echo::ask(mine, "pong")).await.expect("in time").expect("ask"), "pong");
}

/// Chat: a line goes to every other client, never back to its sender
#[tokio::test]
async fn step_3_chat_relay() {
    let addr = start(subject::chat::serve).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Raw::connect(addr).await);
    }
    all_in_the_room(&mut clients, "probe\n").await;
    let rule = "a line goes to every other client, never back to its sender";
    clients[0].send("hi from 0\n").await;
    assert_eq!(clients[1].line().await, "hi from 0", "{rule}");
    assert_eq!(clients[2].line().await, "hi from 0", "{rule}");
    clients[2].send("and from 2\n").await;
    assert_eq!(clients[0].line().await, "and from 2", "{rule}");
    assert_eq!(clients[1].line().await, "and from 2", "{rule}");
    assert_eq!(
        clients[2].line_within(Duration::from_millis(300)).await,
        None,
        "a client's own line must not come back to it"
    );
}

/// Chat: a client that leaves mid-line, or sends a 100 KiB line, costs the others nothing
#[tokio::test]
async fn step_4_chat_survives_bad_clients() {
    let addr = start(subject::chat::serve).await;
    let mut room = vec![Raw::connect(addr).await, Raw::connect(addr).await];
    all_in_the_room(&mut room, "probe\n").await;
    let (mut a, mut b) = (room.remove(0), room.remove(0));
    let mut leaver = Raw::connect(addr).await;
    let mut hog = Raw::connect(addr).await;
    leaver.send("half a li").await;
    drop(leaver);
    hog.writer.write_all(&vec![b'x'; 100 * 1024]).await.ok();
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.send("still here?\n").await;
    assert_eq!(
        b.line().await,
        "still here?",
        "the others keep chatting, and a line cut off by its sender's leaving is never relayed"
    );
    assert_eq!(b.line_within(Duration::from_millis(300)).await, None, "the unfinished line is never relayed");
    // The server still accepts new clients.
    let mut room = vec![b, Raw::connect(addr).await, a];
    all_in_the_room(&mut room, "probe\n").await;
    room[0].send("welcome\n").await;
    assert_eq!(room[1].line().await, "welcome");
    assert_eq!(room[2].line().await, "welcome");
}

/// JSON chat: messages with nicknames are relayed as JSON to everyone else
#[tokio::test]
async fn step_5_json_chat() {
    let addr = start(subject::json::serve).await;
    let mut room = vec![Raw::connect(addr).await, Raw::connect(addr).await, Raw::connect(addr).await];
    all_in_the_room(&mut room, "{\"nick\":\"probe\",\"text\":\"probe\"}\n").await;
    let (mut a, mut b, mut c) = (room.remove(0), room.remove(0), room.remove(0));
    a.send("{\"nick\": \"alice\",   \"text\": \"hello, room\"}\n").await;
    for client in [&mut b, &mut c] {
        let line = client.line().await;
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
        assert_eq!(value, serde_json::json!({"nick": "alice", "text": "hello, room"}));
    }
    assert_eq!(a.line_within(Duration::from_millis(300)).await, None, "not back to the sender");
}

/// JSON chat: invalid JSON gets an error to its sender only, and the server keeps serving
#[tokio::test]
async fn step_6_json_errors() {
    let addr = start(subject::json::serve).await;
    let mut room = vec![Raw::connect(addr).await, Raw::connect(addr).await];
    all_in_the_room(&mut room, "{\"nick\":\"probe\",\"text\":\"probe\"}\n").await;
    let (mut a, mut b) = (room.remove(0), room.remove(0));
    for bad in ["this is not json\n", "{\"nick\": \"alice\"}\n", "{\"nick\": 7, \"text\": \"x\"}\n"] {
        a.send(bad).await;
        let reply = a.line_within(WAIT).await.unwrap_or_else(|| {
            panic!(
                "no reply to {bad:?} within 5 s: invalid input gets {{\"error\": \"...\"}} back, to its sender, and \
                 the connection stays open"
            )
        });
        let value: serde_json::Value =
            serde_json::from_str(&reply).unwrap_or_else(|e| panic!("the reply to {bad:?} is not JSON: {e}"));
        assert!(
            value.get("error").and_then(|e| e.as_str()).is_some(),
            "the reply to {bad:?} must be {{\"error\": \"...\"}}, was {reply}"
        );
    }
    assert_eq!(b.line_within(Duration::from_millis(300)).await, None, "nothing invalid reaches the others");
    a.send("{\"nick\":\"alice\",\"text\":\"sorry\"}\n").await;
    assert!(b.line().await.contains("sorry"), "the same connection keeps working after an error");
}

/// Your chat client and server interoperate with the reference ones
#[tokio::test]
async fn step_7_chat_client() {
    let theirs = start(reference::json::serve).await;
    let mut alice = subject::ChatClient::connect(theirs, "alice").await.expect("connect");
    let mut bob = reference::ChatClient::connect(theirs, "bob").await.expect("connect");
    // Until bob is in the room, alice's lines do not reach him: say hi until one does.
    let mut got = None;
    for _ in 0..50 {
        alice.send("hi bob").await.expect("send");
        if let Ok(message) = timeout(Duration::from_millis(100), bob.recv()).await {
            got = Some(message.expect("recv"));
            break;
        }
    }
    let got = got
        .expect("bob never received alice's message: your client sends each message as one JSON line, ending with \\n");
    while timeout(Duration::from_millis(100), bob.recv()).await.is_ok() {}
    assert_eq!((got.nick.as_str(), got.text.as_str()), ("alice", "hi bob"));
    bob.send("hi alice").await.expect("send");
    let got = timeout(WAIT, alice.recv()).await.expect("in time").expect("recv");
    assert_eq!((got.nick.as_str(), got.text.as_str()), ("bob", "hi alice"));

    let mine = start(subject::json::serve).await;
    let mut carol = reference::ChatClient::connect(mine, "carol").await.expect("connect");
    let mut dave = reference::ChatClient::connect(mine, "dave").await.expect("connect");
    let mut got = None;
    for _ in 0..50 {
        carol.send("on your server").await.expect("send");
        if let Ok(message) = timeout(Duration::from_millis(100), dave.recv()).await {
            got = Some(message.expect("recv"));
            break;
        }
    }
    let got = got.expect("dave never received carol's message on your server");
    assert_eq!(got.text, "on your server");
}
