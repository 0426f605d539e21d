//! A TCP relay that watches what passes: it accepts one connection on 127.0.0.1, dials
//! the target, copies bytes both ways, keeps the first bytes of each direction, and,
//! for a connection that speaks yamux from its first byte, parses every 12-byte header
//! (hashicorp/yamux `spec.md`: version, type, flags, stream id, length).
//!
//! The tests use it to prove what each side said, not only what it did: that the
//! crate's Ping was answered with an ACK carrying the same value, that a reset was a
//! frame with RST, that a GoAway was sent with code 0.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How many bytes of each direction are kept for [`Tap::first_bytes`]: enough for the
/// negotiation and handshake of a libp2p connection (about 1 KiB), bounded so a bulk
/// transfer through the tap costs no memory.
const KEPT_BYTES: usize = 16 * 1024;

/// The four yamux frame types (`spec.md`, "Type").
pub const DATA: u8 = 0;
pub const WINDOW_UPDATE: u8 = 1;
pub const PING: u8 = 2;
pub const GO_AWAY: u8 = 3;
/// The four flags (`spec.md`, "Flags").
pub const SYN: u16 = 1;
pub const ACK: u16 = 2;
pub const FIN: u16 = 4;
pub const RST: u16 = 8;

/// One yamux header seen on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Sent by the side that dialled (through the tap) rather than the one listening.
    pub from_dialer: bool,
    pub version: u8,
    pub kind: u8,
    pub flags: u16,
    pub stream: u32,
    /// Data: the body's length; WindowUpdate: the credit; Ping: the opaque value;
    /// GoAway: the code.
    pub length: u32,
}

impl Frame {
    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag == flag
    }
}

#[derive(Default)]
struct Seen {
    frames: Vec<Frame>,
    bytes: [Vec<u8>; 2],
    broken: Option<String>,
}

/// The relay. Dial [`Tap::addr`] instead of the target.
pub struct Tap {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl Tap {
    /// Listens on an ephemeral port of 127.0.0.1 and relays its first connection to
    /// `target`. `yamux` says whether to parse the bytes as yamux frames.
    pub async fn start(target: SocketAddr, yamux: bool) -> std::io::Result<Tap> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            let Ok((dialer, _)) = listener.accept().await else { return };
            let Ok(listener_side) = TcpStream::connect(target).await else { return };
            let _ = dialer.set_nodelay(true);
            let _ = listener_side.set_nodelay(true);
            let (dr, dw) = dialer.into_split();
            let (lr, lw) = listener_side.into_split();
            let a = tokio::spawn(relay(dr, lw, true, yamux, shared.clone()));
            let b = tokio::spawn(relay(lr, dw, false, yamux, shared));
            let _ = tokio::join!(a, b);
        });
        Ok(Tap { addr, seen })
    }

    /// Every yamux frame seen so far, in the order each direction carried them.
    pub fn frames(&self) -> Vec<Frame> {
        self.seen.lock().expect("tap").frames.clone()
    }

    /// The first bytes (up to 16 KiB) the dialer (`true`) or the listener sent.
    pub fn first_bytes(&self, from_dialer: bool) -> Vec<u8> {
        self.seen.lock().expect("tap").bytes[usize::from(!from_dialer)].clone()
    }

    /// Waits up to `timeout` for a frame matching `what`, and returns it.
    pub async fn wait_for(&self, timeout: Duration, what: impl Fn(&Frame) -> bool) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let seen = self.seen.lock().expect("tap");
                assert!(seen.broken.is_none(), "the tap could not parse the yamux stream: {:?}", seen.broken);
                if let Some(frame) = seen.frames.iter().find(|f| what(f)) {
                    return Some(*frame);
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    from_dialer: bool,
    yamux: bool,
    seen: Arc<Mutex<Seen>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut skip: usize = 0;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut seen = seen.lock().expect("tap");
            let kept = &mut seen.bytes[usize::from(!from_dialer)];
            let room = KEPT_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
            if yamux && seen.broken.is_none() {
                let mut data = &buf[..n];
                // Skip the rest of a Data body first, then parse whole headers.
                let body = skip.min(data.len());
                skip -= body;
                data = &data[body..];
                pending.extend_from_slice(data);
                while skip == 0 && pending.len() >= 12 {
                    let h = &pending[..12];
                    let frame = Frame {
                        from_dialer,
                        version: h[0],
                        kind: h[1],
                        flags: u16::from_be_bytes([h[2], h[3]]),
                        stream: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                        length: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
                    };
                    if frame.version != 0 || frame.kind > GO_AWAY {
                        seen.broken = Some(format!("bad header {h:02x?}"));
                        break;
                    }
                    seen.frames.push(frame);
                    pending.drain(..12);
                    if frame.kind == DATA {
                        let body = (frame.length as usize).min(pending.len());
                        pending.drain(..body);
                        skip = frame.length as usize - body;
                    }
                }
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
