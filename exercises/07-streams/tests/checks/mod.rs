//! The streams exercise's checks: frames (layout, partial reads, bad input, both
//! transports), then substreams (ordering, concurrency, interop, flow control, a peer
//! that breaks the protocol).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, duplex};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::subject::{FrameError, MAX_FRAME, Mux, Role, WINDOW, read_frame, write_frame};
use crate::reference;

const WAIT: Duration = Duration::from_secs(5);

/// A connected pair of TCP streams on loopback.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (a.unwrap(), b.unwrap().0)
}

/// Frames round-trip and carry an unsigned varint length, to the reference and back
#[tokio::test]
async fn step_1_frames() {
    let (mut a, mut b) = duplex(1 << 20);
    let sizes = [0usize, 1, 127, 128, 300, 100_000];
    for &n in &sizes {
        write_frame(&mut a, &vec![n as u8; n]).await.expect("write");
    }
    for &n in &sizes {
        assert_eq!(read_frame(&mut b, MAX_FRAME).await.expect("read"), Some(vec![n as u8; n]), "frame of {n} bytes");
    }
    // The layout: varint(300) = ac 02, then the bytes.
    let mut raw = Vec::new();
    write_frame(&mut raw, &[7u8; 300]).await.unwrap();
    assert_eq!(raw[..2], [0xac, 0x02], "a 300-byte frame starts with the varint ac 02");
    assert_eq!(raw.len(), 302);
    // Interop: your frames read by the reference, the reference's by you.
    let (mut a, mut b) = duplex(1 << 16);
    write_frame(&mut a, b"mine").await.unwrap();
    reference::write_frame(&mut a, b"theirs").await.unwrap();
    drop(a);
    assert_eq!(reference::read_frame(&mut b, MAX_FRAME).await.unwrap(), Some(b"mine".to_vec()));
    assert_eq!(read_frame(&mut b, MAX_FRAME).await.unwrap(), Some(b"theirs".to_vec()));
    assert!(matches!(read_frame(&mut b, MAX_FRAME).await, Ok(None)), "a clean end between frames is Ok(None)");
}

/// Frames arrive whole however the bytes are split, over duplex and over TCP
#[tokio::test]
async fn step_2_partial_reads() {
    async fn dribble<W: AsyncWrite + Unpin>(mut w: W, bytes: Vec<u8>) {
        for chunk in bytes.chunks(3) {
            w.write_all(chunk).await.unwrap();
            w.flush().await.unwrap();
            tokio::task::yield_now().await;
        }
    }
    let mut encoded = Vec::new();
    for n in [5usize, 200, 1000] {
        reference::write_frame(&mut encoded, &vec![n as u8; n]).await.unwrap();
    }
    async fn read_three<R: AsyncRead + Unpin>(mut r: R) {
        for n in [5usize, 200, 1000] {
            let frame = timeout(WAIT, read_frame(&mut r, MAX_FRAME)).await.expect("in time").expect("read");
            assert_eq!(frame, Some(vec![n as u8; n]), "a frame of {n} bytes sent 3 bytes at a time");
        }
    }
    let (a, b) = duplex(8);
    tokio::join!(dribble(a, encoded.clone()), read_three(b));
    let (a, b) = tcp_pair().await;
    tokio::join!(dribble(a, encoded), read_three(b));
}

/// Oversized, truncated and malformed frames are clear errors, never a panic or a huge allocation
#[tokio::test]
async fn step_3_bad_frames() {
    let read = |bytes: Vec<u8>| async move { read_frame(&mut bytes.as_slice(), 1024).await };
    // A length of 4 GiB: refused from the length alone.
    assert!(matches!(read(vec![0x80, 0x80, 0x80, 0x80, 0x10]).await, Err(FrameError::TooLarge { len: 4_294_967_296, max: 1024 })));
    assert!(matches!(read(vec![0x81, 0x08]).await, Err(FrameError::TooLarge { len: 1025, .. })), "one byte over the limit");
    assert!(matches!(read(vec![0x05, b'a', b'b']).await, Err(FrameError::Truncated)), "2 of 5 bytes, then the end");
    assert!(matches!(read(vec![0x80]).await, Err(FrameError::Truncated)), "the end inside the length");
    assert!(matches!(read(vec![0xff; 12]).await, Err(FrameError::BadLength)), "a varint of more than 9 bytes");
    let mut sink = Vec::new();
    let err = write_frame(&mut sink, &vec![0u8; MAX_FRAME + 1]).await.expect_err("over MAX_FRAME");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(sink.is_empty(), "a refused frame writes nothing");
}

/// Substreams: opened, accepted, written, read in order and closed, many at once
#[tokio::test]
async fn step_4_substreams() {
    let (a, b) = duplex(1 << 16);
    let (dialer, listener) = (Mux::new(a, Role::Dialer), Mux::new(b, Role::Listener));
    let mut s = dialer.open().await.expect("open");
    s.write(b"hello").await.unwrap();
    let mut t = timeout(WAIT, listener.accept()).await.expect("in time").expect("a substream");
    assert_eq!(t.read().await.unwrap(), Some(b"hello".to_vec()));
    t.write(b"hi back").await.unwrap();
    t.close().await.unwrap();
    assert_eq!(s.read().await.unwrap(), Some(b"hi back".to_vec()));
    assert_eq!(timeout(WAIT, s.read()).await.expect("in time").unwrap(), None, "after Close, reads end");
    assert_eq!((s.id() % 2, t.id()), (1, s.id()), "the dialer's substreams have odd ids");
    let mine = listener.open().await.unwrap();
    assert_eq!(mine.id() % 2, 0, "the listener's substreams have even ids");

    // Ten substreams at once, each with its own ordered data.
    let mut writers = Vec::new();
    for i in 0..10u8 {
        let mut s = dialer.open().await.unwrap();
        writers.push(tokio::spawn(async move {
            for k in 0..20u8 {
                s.write(&[i, k]).await.unwrap();
            }
            s.close().await.unwrap();
        }));
    }
    for _ in 0..10 {
        let mut t = timeout(WAIT, listener.accept()).await.expect("in time").expect("a substream");
        let mut got = Vec::new();
        while let Some(chunk) = timeout(WAIT, t.read()).await.expect("in time").unwrap() {
            got.extend(chunk);
        }
        let i = got[0];
        let expected: Vec<u8> = (0..20u8).flat_map(|k| [i, k]).collect();
        assert_eq!(got, expected, "substream {i} got its own bytes, in order");
    }
    for w in writers {
        w.await.unwrap();
    }
}

async fn echo_one(mux: &Mux) {
    let mut t = timeout(WAIT, mux.accept()).await.expect("in time").expect("a substream");
    while let Some(chunk) = t.read().await.unwrap() {
        t.write(&chunk).await.unwrap();
    }
    t.close().await.unwrap();
}

/// Your multiplexer talks to the reference's, in both roles, over TCP
#[tokio::test]
async fn step_5_interop() {
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Mux::new(a, Role::Dialer), reference::Mux::new(b, reference::Role::Listener));
    let mut s = mine.open().await.unwrap();
    let echo = async {
        let mut t = timeout(WAIT, theirs.accept()).await.expect("in time").expect("a substream");
        while let Some(chunk) = t.read().await.unwrap() {
            t.write(&chunk).await.unwrap();
        }
        t.close().await.unwrap();
    };
    let talk = async {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        s.write(&data).await.unwrap();
        s.close().await.unwrap();
        let mut back = Vec::new();
        while let Some(chunk) = timeout(WAIT, s.read()).await.expect("in time").unwrap() {
            back.extend(chunk);
        }
        assert_eq!(back, data, "100 kB through the reference and back");
    };
    tokio::join!(echo, talk);

    let (a, b) = tcp_pair().await;
    let (theirs, mine) = (reference::Mux::new(a, reference::Role::Dialer), Mux::new(b, Role::Listener));
    let mut s = theirs.open().await.unwrap();
    let talk = async {
        s.write(b"ping").await.unwrap();
        s.close().await.unwrap();
        assert_eq!(timeout(WAIT, s.read()).await.expect("in time").unwrap(), Some(b"ping".to_vec()));
    };
    tokio::join!(echo_one(&mine), talk);
}

/// Flow control: a writer waits when its reader is behind, and other substreams keep flowing
#[tokio::test]
async fn step_6_backpressure() {
    let (a, b) = tcp_pair().await;
    let (dialer, listener) = (Mux::new(a, Role::Dialer), Mux::new(b, Role::Listener));
    let mut slow = dialer.open().await.unwrap();
    let big = vec![1u8; 4 * WINDOW as usize];
    let writer = tokio::spawn(async move {
        slow.write(&big).await.unwrap();
        slow.close().await.unwrap();
    });
    let mut slow_in = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "4 windows' worth was written while the reader read nothing: the writer must wait for window updates");

    // Another substream is not held up by the stalled one.
    let mut quick = dialer.open().await.unwrap();
    quick.write(b"still moving").await.unwrap();
    let mut quick_in = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert_eq!(timeout(WAIT, quick_in.read()).await.expect("not blocked behind the stalled substream").unwrap(), Some(b"still moving".to_vec()));

    let mut total = 0;
    while let Some(chunk) = timeout(WAIT, slow_in.read()).await.expect("in time").unwrap() {
        total += chunk.len();
    }
    assert_eq!(total, 4 * WINDOW as usize, "once read, everything arrives");
    timeout(WAIT, writer).await.expect("the writer finishes once the reader catches up").unwrap();
}

/// A peer that breaks the protocol gets the connection closed, not a panic or unbounded memory
#[tokio::test]
async fn step_7_protocol_violations() {
    for (what, messages) in [
        ("data for a substream never opened", vec![vec![0x05, 1, b'x']]),
        ("an unknown message kind", vec![vec![0x01, 0], vec![0x01, 9]]),
        ("data beyond the window", {
            let mut m = vec![vec![0x01, 0]];
            for _ in 0..(WINDOW as usize / 16_000 + 2) {
                let mut d = vec![0x01, 1];
                d.extend(vec![0u8; 16_000]);
                m.push(d);
            }
            m
        }),
    ] {
        let (mut raw, b) = duplex(1 << 22);
        let listener = Mux::new(b, Role::Listener);
        for m in &messages {
            reference::write_frame(&mut raw, m).await.unwrap();
        }
        // Nothing is read (so the window cannot reopen): accept must report the
        // connection closed.
        let ended = timeout(WAIT, async {
            let mut held = Vec::new();
            while let Some(s) = listener.accept().await {
                held.push(s);
            }
        })
        .await;
        assert!(ended.is_ok(), "{what}: the connection must be closed");
        drop(raw);
    }
}
