//! Streams (solutions/07-streams): varint-length frames, and a yamux session fed the
//! peer's bytes through an in-memory pipe.

use streams_solution::{Flags, FrameType, Header, MAX_FRAME, Mode, MuxError, Session, read_frame, write_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

use super::block_on;
use crate::harness::{MAX_ALLOC, Target};

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "frame",
            about: "streams read_frame, frame after frame, with the default limit and with a 16-byte one",
            seeds: frame_seeds,
            start: || Box::new(frame_one),
            tokens: &[],
            max_len: 4096,
            // A frame under the limit reserves up to 64 KiB before its bytes arrive;
            // the bound is far above that and far below one lying length.
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "yamux",
            about: "streams Session (server, then client) reading the input as the peer's frames; streams accepted and read",
            seeds: yamux_seeds,
            start: || Box::new(yamux_one),
            tokens: &[],
            max_len: 4096,
            // Each session sets aside its pipe and a 256 KiB window per stream, and
            // an input of 4 KiB can open a few hundred streams.
            max_alloc: MAX_ALLOC,
        },
    ]
}

fn frame_seeds() -> Vec<Vec<u8>> {
    let payloads: [&[u8]; 5] = [b"", b"hello", &[0x42; 127], &[0x17; 128], &[0x99; 300]];
    block_on("writing the seed frames", async {
        let mut all = Vec::new();
        let mut seeds = Vec::new();
        for p in payloads {
            let mut one = Vec::new();
            write_frame(&mut one, p).await.expect("a seed frame");
            all.extend_from_slice(&one);
            seeds.push(one);
        }
        seeds.push(all);
        seeds
    })
}

fn frame_one(input: &[u8]) -> bool {
    block_on("reading frames", async {
        let mut clean = false;
        for max in [MAX_FRAME, 16] {
            let mut reader = input;
            loop {
                match read_frame(&mut reader, max).await {
                    Ok(Some(frame)) => {
                        assert!(frame.len() <= max, "a frame of {} bytes passed a limit of {max}", frame.len())
                    }
                    Ok(None) => {
                        clean |= max == MAX_FRAME;
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        clean
    })
}

fn h(kind: FrameType, flags: Flags, id: u32, length: u32) -> [u8; 12] {
    Header::new(kind, flags, id, length).encode()
}

/// Conversations a peer may start: opening streams of either parity (so that both a
/// server and a client session see some as the peer's own), data, window updates,
/// pings, FIN, RST and GoAway.
fn yamux_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for first in [1u32, 2] {
        let second = first + 2;
        let mut v = Vec::new();
        v.extend(h(FrameType::WindowUpdate, Flags::SYN, first, 0));
        v.extend(h(FrameType::Data, Flags::NONE, first, 5));
        v.extend(b"hello");
        v.extend(h(FrameType::WindowUpdate, Flags::NONE, first, 1 << 20));
        v.extend(h(FrameType::Ping, Flags::SYN, 0, 42));
        v.extend(h(FrameType::Data, Flags::SYN, second, 3));
        v.extend(b"abc");
        v.extend(h(FrameType::Data, Flags::FIN, first, 0));
        v.extend(h(FrameType::WindowUpdate, Flags::RST, second, 0));
        v.extend(h(FrameType::GoAway, Flags::NONE, 0, 0));
        seeds.push(v);
        // Answers to the stream this side opens (1 for a client, 2 for a server).
        let mut v = Vec::new();
        v.extend(h(FrameType::WindowUpdate, Flags::ACK, first, 0));
        v.extend(h(FrameType::WindowUpdate, Flags::NONE, first, 256 * 1024));
        v.extend(h(FrameType::Data, Flags::NONE, first, 4));
        v.extend(b"pong");
        v.extend(h(FrameType::Ping, Flags::ACK, 0, 0));
        v.extend(h(FrameType::Data, Flags::FIN, first, 0));
        seeds.push(v);
    }
    // Many opens in a row, and a long data frame.
    let mut v = Vec::new();
    for i in 0..40u32 {
        v.extend(h(FrameType::WindowUpdate, Flags::SYN, 2 * i + 1, 0));
    }
    v.extend(h(FrameType::Data, Flags::NONE, 1, 1000));
    v.extend([0x61; 1000]);
    seeds.push(v);
    seeds
}

/// Whether the input's first frame opens (SYN) a stream whose id is this side's to
/// choose: odd for a client, even for a server, or 0, and the whole frame (a Data
/// frame's body too) is in the input. The spec's parity rule is what keeps a remote
/// open from taking over a local stream; nothing before the first frame can end the
/// session, so its verdict must be a protocol error.
fn opens_a_stream_of_ours(input: &[u8], mode: Mode) -> bool {
    let Some(head) = input.first_chunk::<12>() else {
        return false;
    };
    let Ok(header) = Header::decode(head) else {
        return false;
    };
    let ours = match mode {
        Mode::Client => header.stream_id % 2 == 1,
        Mode::Server => header.stream_id % 2 == 0,
    };
    let complete = header.kind != FrameType::Data || input.len() as u64 >= 12 + u64::from(header.length);
    matches!(header.kind, FrameType::Data | FrameType::WindowUpdate)
        && complete
        && header.flags.contains(Flags::SYN)
        && (ours || header.stream_id == 0)
}

fn yamux_one(input: &[u8]) -> bool {
    let mut followed = false;
    for mode in [Mode::Server, Mode::Client] {
        followed |= block_on("a yamux session", async {
            let (mut peer, ours) = duplex(1 << 20);
            let session = Session::new(ours, mode);
            // One stream of our own, with a little to send: the peer's window updates
            // and resets then have a stream to act on.
            let mut mine = session.open_stream().await.ok();
            if let Some(s) = mine.as_mut() {
                let _ = s.write_all(b"from this side").await;
            }
            peer.write_all(input).await.expect("the pipe holds every input");
            let _ = peer.shutdown().await;
            let mut accepted = Vec::new();
            while let Some(s) = session.accept_stream().await {
                accepted.push(s);
            }
            for mut s in accepted.into_iter().chain(mine) {
                let mut rest = Vec::new();
                let _ = s.read_to_end(&mut rest).await;
            }
            let ended = session.ended();
            assert!(ended.is_some(), "the connection is gone but the session has not ended");
            if opens_a_stream_of_ours(input, mode) {
                assert!(
                    matches!(ended, Some(MuxError::Protocol(_))),
                    "the peer opened a stream with an id of this side's parity, and the session ended with {ended:?}"
                );
            }
            // Accepted: the session followed the input to its end without calling it
            // a protocol error.
            !matches!(ended, Some(MuxError::Protocol(_)))
        });
    }
    followed
}
