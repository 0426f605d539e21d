//! The reference yamux under input no honest peer sends, beyond what the exercise's
//! steps check: mutated and random frames (no panic in any task, the session always
//! ends or answers), frames for streams it has forgotten, and an application that polls
//! without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use streams_solution::{Flags, FrameType, Header, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn h(kind: FrameType, flags: Flags, id: u32, length: u32) -> [u8; 12] {
    Header::new(kind, flags, id, length).encode()
}

/// A small xorshift generator: the inputs are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A valid conversation to mutate: open, data, window, ping, FIN, RST, GoAway.
fn valid_frames() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(h(FrameType::WindowUpdate, Flags::SYN, 1, 0));
    v.extend(h(FrameType::Data, Flags::NONE, 1, 5));
    v.extend(b"hello");
    v.extend(h(FrameType::WindowUpdate, Flags::NONE, 1, 1 << 20));
    v.extend(h(FrameType::Ping, Flags::SYN, 0, 42));
    v.extend(h(FrameType::Data, Flags::SYN, 3, 3));
    v.extend(b"abc");
    v.extend(h(FrameType::Data, Flags::FIN, 1, 0));
    v.extend(h(FrameType::WindowUpdate, Flags::RST, 3, 0));
    v.extend(h(FrameType::GoAway, Flags::NONE, 0, 0));
    v
}

#[tokio::test(flavor = "current_thread")]
async fn mutated_and_random_input_never_panics_and_always_ends() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = valid_frames();
    for round in 0..2_000 {
        let mut input = valid.clone();
        if round % 4 == 3 {
            // Pure noise.
            input = (0..(rng.next() % 200) as usize).map(|_| rng.next() as u8).collect();
        } else {
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % input.len();
                input[at] = rng.next() as u8;
            }
        }
        let (mut peer, ours) = duplex(1 << 20);
        let session = Session::server(ours);
        let mut accepted = Vec::new();
        peer.write_all(&input).await.unwrap();
        drop(peer.shutdown().await);
        // Whatever the input did, the connection is now over: accept must end, and the
        // session must say why.
        timeout(WAIT, async {
            while let Some(s) = session.accept_stream().await {
                accepted.push(s);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("round {round}: the session did not end after input {input:02x?}"));
        for mut s in accepted {
            let mut rest = Vec::new();
            let _ = timeout(WAIT, s.read_to_end(&mut rest)).await.expect("every stream's read ends");
        }
        assert!(session.ended().is_some(), "round {round}: the session ended but says no reason");
        drop(peer);
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a task panicked on hostile input");
}

#[tokio::test]
async fn data_for_a_forgotten_stream_is_answered_with_rst_and_the_session_goes_on() {
    let (mut peer, ours) = duplex(1 << 20);
    let session = Session::server(ours);
    // Stream 1 is opened, then dropped here (RST); its data keeps coming.
    peer.write_all(&h(FrameType::WindowUpdate, Flags::SYN, 1, 0)).await.unwrap();
    let s = timeout(WAIT, session.accept_stream()).await.unwrap().unwrap();
    drop(s);
    peer.write_all(&h(FrameType::Data, Flags::NONE, 1, 4)).await.unwrap();
    peer.write_all(b"late").await.unwrap();
    peer.write_all(&h(FrameType::Ping, Flags::SYN, 0, 9)).await.unwrap();
    let mut seen = Vec::new();
    timeout(WAIT, async {
        loop {
            let mut head = [0u8; 12];
            peer.read_exact(&mut head).await.unwrap();
            let header = Header::decode(&head).unwrap();
            seen.push(header);
            if header.kind == FrameType::Ping {
                break;
            }
        }
    })
    .await
    .expect("the ping answered");
    let resets = seen.iter().filter(|h| h.stream_id == 1 && h.flags.contains(Flags::RST)).count();
    assert_eq!(resets, 2, "one RST when the stream was dropped, one for the late data: {seen:?}");
    assert_eq!(seen.last().map(|h| (h.flags, h.length)), Some((Flags::ACK, 9)));
    assert!(session.ended().is_none());
}

#[tokio::test]
async fn a_select_loop_polling_accept_does_not_grow_the_session() {
    // Ten thousand accept futures made and dropped by one task, as a select! loop does.
    let (_peer, ours) = duplex(1 << 16);
    let session = Session::server(ours);
    for _ in 0..10_000 {
        tokio::select! {
            biased;
            _ = session.accept_stream() => panic!("nobody opened a stream"),
            _ = std::future::ready(()) => {}
        }
    }
    let debug = format!("{session:?}");
    assert!(debug.contains("accepting: 1,"), "one task waits, so one waker is kept: {debug}");
}

#[tokio::test]
async fn pings_a_peer_never_answers_are_forgotten() {
    // The peer reads everything and answers nothing.
    let (mut peer, ours) = duplex(1 << 16);
    tokio::spawn(async move {
        let mut sink = vec![0u8; 4096];
        while peer.read(&mut sink).await.is_ok_and(|n| n > 0) {}
    });
    let session = Session::client(ours);
    for _ in 0..200 {
        assert!(timeout(Duration::from_millis(1), session.ping()).await.is_err(), "nobody answers");
    }
    let debug = format!("{session:?}");
    assert!(debug.contains("pings: 1,") || debug.contains("pings: 0,"), "200 abandoned pings: {debug}");
}

#[tokio::test]
async fn a_peer_that_pings_without_reading_is_no_longer_read() {
    // A 4 KiB pipe each way: nothing is buffered out of sight.
    let (peer, ours) = duplex(4096);
    let session = Session::server(ours);
    let (mut peer_read, mut peer_write) = tokio::io::split(peer);
    const PINGS: u32 = 200_000;
    let flood = tokio::spawn(async move {
        let mut batch = Vec::new();
        for i in 0..PINGS {
            batch.extend_from_slice(&h(FrameType::Ping, Flags::SYN, 0, i));
        }
        peer_write.write_all(&batch).await.unwrap();
        peer_write
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!flood.is_finished(), "2.4 MB of pings went in while nobody read the answers");
    let debug = format!("{session:?}");
    let queued: usize = debug
        .split("queued_bytes: ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        queued <= 12 * 1100,
        "{queued} bytes of answers queued while the peer read none (at most about 1,024 answers)"
    );
    // Once the peer reads, every ping is answered, in order.
    let mut next = 0u32;
    timeout(WAIT, async {
        while next < PINGS {
            let mut head = [0u8; 12];
            peer_read.read_exact(&mut head).await.unwrap();
            let pong = Header::decode(&head).unwrap();
            assert_eq!((pong.kind, pong.flags, pong.length), (FrameType::Ping, Flags::ACK, next));
            next += 1;
        }
    })
    .await
    .expect("every ping answered once the peer reads");
    timeout(WAIT, flood).await.unwrap().unwrap();
}
