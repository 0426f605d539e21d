//! Rendezvous (solutions/03-rendezvous): the server's line reader and request parser,
//! and every request applied to a registry, as the server would.

use std::time::Duration;

use rendezvous_solution::proto::{Frame, MAX_FRAME, parse_request, read_frame, to_line};
use rendezvous_solution::{Registry, Request};

use rendezvous_solution::Reply;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{ASYNC_LIMIT, block_on};
use crate::harness::{MAX_ALLOC, Target};

/// JSON's structure and edge values (see `json_tokens!`), a line break and the `"op"` key.
const JSON: &[&[u8]] = json_tokens![b"\\n", b"\"op\":"];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "rendezvous",
            about: "rendezvous read_frame (default and 32-byte limit) and parse_request, each request applied to a Registry",
            seeds,
            start: || Box::new(one),
            tokens: JSON,
            max_len: 8192,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "rendezvous-server",
            about: "rendezvous server on 127.0.0.1:0: the input sent by one client, every reply a Reply line",
            seeds,
            start: || Box::new(server_one),
            tokens: JSON,
            max_len: 8192,
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn seeds() -> Vec<Vec<u8>> {
    let requests = [
        Request::Register {
            topic: "chat".into(),
            peer: "12D3KooWpeer".into(),
            addrs: vec!["127.0.0.1:4001".into()],
            ttl: 60,
        },
        Request::Discover { topic: "chat".into(), cookie: 0, limit: 100 },
        Request::Subscribe { topic: "chat".into() },
        Request::Unregister { topic: "chat".into(), peer: "12D3KooWpeer".into() },
    ];
    let mut seeds: Vec<Vec<u8>> = requests.iter().map(to_line).collect();
    seeds.push(requests.iter().flat_map(to_line).collect());
    seeds.push(b"{\"op\":\"vote\"}\nnot json\n{\"op\":\"discover\",\"topic\":\"chat\",\"cookie\":18446744073709551615,\"limit\":1000}\n".to_vec());
    seeds
}

fn one(input: &[u8]) -> bool {
    let mut parsed = false;
    let lines = block_on("reading lines", async {
        let mut lines = Vec::new();
        for max in [MAX_FRAME, 32] {
            let mut reader = input;
            loop {
                match read_frame(&mut reader, max).await {
                    Ok(Frame::Line(line)) => {
                        assert!(line.len() < max, "a line of {} bytes passed a limit of {max}", line.len());
                        if max == MAX_FRAME {
                            lines.push(line);
                        }
                    }
                    Ok(Frame::TooLarge) => {}
                    Ok(Frame::Closed) | Err(_) => break,
                }
            }
        }
        lines
    });
    let mut registry = Registry::new();
    for (i, line) in lines.iter().enumerate() {
        let now = Duration::from_secs(i as u64);
        let request = match parse_request(line) {
            Ok(request) => {
                parsed = true;
                request
            }
            Err(e) => {
                let _ = e.code();
                continue;
            }
        };
        // What the server answers must be a line that parses as JSON again.
        let reply = match request {
            Request::Register { topic, peer, addrs, ttl } => {
                registry.register(&topic, &peer, &addrs, ttl, now).map(|r| to_line(&r)).unwrap_or_default()
            }
            Request::Unregister { topic, peer } => to_line(&registry.unregister(&topic, &peer)),
            Request::Discover { topic, cookie, limit } => {
                registry.discover(&topic, cookie, limit, now).map(|r| to_line(&r)).unwrap_or_default()
            }
            Request::Subscribe { topic } => to_line(&topic),
        };
        if !reply.is_empty() {
            serde_json::from_slice::<serde_json::Value>(&reply).expect("a reply is JSON");
        }
        registry.expire(now);
    }
    parsed
}

/// A fresh server per input (so that a failure replays from its input alone), one
/// client that sends the input and closes its side, and everything the server says
/// until it closes the connection.
fn server_one(input: &[u8]) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let replies = rt.block_on(async {
        tokio::time::timeout(ASYNC_LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
            let server = rendezvous_solution::spawn(listener).expect("the server starts");
            let mut client = TcpStream::connect(server.addr()).await.expect("a connection to the server");
            let (mut read, mut write) = client.split();
            let send = async {
                let _ = write.write_all(input).await;
                let _ = write.shutdown().await;
            };
            let mut replies = Vec::new();
            let receive = read.read_to_end(&mut replies);
            let (_, received) = tokio::join!(send, receive);
            server.stop();
            received.map(|_| replies).unwrap_or_default()
        })
        .await
        .unwrap_or_else(|_| panic!("the server did not answer and close within {} s", ASYNC_LIMIT.as_secs()))
    });
    drop(rt);
    let mut answered = false;
    for line in replies.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let reply: Reply = serde_json::from_slice(line).unwrap_or_else(|e| {
            panic!("the server sent a line that is not a reply ({e}): {}", String::from_utf8_lossy(line))
        });
        answered |= !matches!(reply, Reply::Error { .. });
    }
    answered
}
