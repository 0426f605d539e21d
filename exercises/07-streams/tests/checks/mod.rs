//! The streams exercise's checks: frames (layout, partial reads, bad input), then yamux
//! (the header, opening and accepting, data and windows, half-close and reset, ping and
//! go-away, a hostile peer), your crate against the reference both ways over loopback
//! TCP, and against a raw socket that speaks the bytes of HashiCorp's yamux spec.md
//! (github.com/hashicorp/yamux): the expected headers below are computed by hand from it.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, duplex};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::reference;
use crate::subject::{
    Flags, FrameError, FrameType, Header, HeaderError, INITIAL_WINDOW, MAX_FRAME, MAX_PENDING_ACCEPTS,
    MAX_STREAM_WINDOW, MuxError, Session, Stream, read_frame, write_frame,
};

const WAIT: Duration = Duration::from_secs(10);

/// Counts what this thread allocates, so that a check can say how much memory an input
/// cost. `#[tokio::test]` runs a test and every task it spawns on one thread.
mod memory {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    pub struct Counting;

    fn allocated(n: usize) {
        let _ = LARGEST.try_with(|c| c.set(c.get().max(n)));
        let _ = LIVE.try_with(|c| c.set(c.get() + n as isize));
    }

    fn freed(n: usize) {
        let _ = LIVE.try_with(|c| c.set(c.get() - n as isize));
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            allocated(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            allocated(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            freed(layout.size());
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            freed(layout.size());
            allocated(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// Forgets the largest allocation seen so far on this thread.
    pub fn reset_largest() {
        LARGEST.with(|c| c.set(0));
    }

    /// The largest single allocation on this thread since [`reset_largest`].
    pub fn largest() -> usize {
        LARGEST.with(|c| c.get())
    }

    /// Bytes allocated and not freed on this thread.
    pub fn live() -> isize {
        LIVE.with(|c| c.get())
    }
}

/// A connected pair of TCP streams on loopback.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (a.unwrap(), b.unwrap().0)
}

// The spec's numbers, written out here so that the checks do not trust either crate.
const DATA: u8 = 0;
const WINDOW_UPDATE: u8 = 1;
const PING: u8 = 2;
const GO_AWAY: u8 = 3;
const SYN: u16 = 0x1;
const ACK: u16 = 0x2;
const FIN: u16 = 0x4;
const RST: u16 = 0x8;

/// A header as the spec lays it out: version 0, type, flags, stream id, length, all
/// big-endian.
fn hdr(kind: u8, flags: u16, id: u32, length: u32) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[1] = kind;
    h[2..4].copy_from_slice(&flags.to_be_bytes());
    h[4..8].copy_from_slice(&id.to_be_bytes());
    h[8..12].copy_from_slice(&length.to_be_bytes());
    h
}

/// One frame as a raw peer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    kind: u8,
    flags: u16,
    id: u32,
    length: u32,
    body: Vec<u8>,
}

/// Reads one frame as the spec lays it out; `None` when the connection ends.
async fn next_frame<R: AsyncRead + Unpin>(r: &mut R) -> Option<Frame> {
    let mut h = [0u8; 12];
    r.read_exact(&mut h).await.ok()?;
    assert_eq!(h[0], 0, "every header starts with version 0: got {h:02x?}");
    let kind = h[1];
    let flags = u16::from_be_bytes([h[2], h[3]]);
    let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let length = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    let mut body = Vec::new();
    if kind == DATA {
        assert!(length <= 16 << 20, "a data frame of {length} bytes");
        body = vec![0u8; length as usize];
        r.read_exact(&mut body).await.ok()?;
    }
    Some(Frame { kind, flags, id, length, body })
}

/// A peer that speaks yamux byte by byte, to see exactly what your session sends and
/// to send it what no well-behaved implementation would.
struct Raw {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl Raw {
    fn new(tcp: TcpStream) -> Raw {
        let (r, w) = tcp.into_split();
        Raw { r: BufReader::with_capacity(1 << 16, r), w }
    }

    async fn send(&mut self, kind: u8, flags: u16, id: u32, length: u32) {
        let header = hdr(kind, flags, id, length);
        if let Err(e) = self.w.write_all(&header).await {
            self.closed("", &header, e).await;
        }
    }

    async fn send_data(&mut self, flags: u16, id: u32, body: &[u8]) {
        let header = hdr(DATA, flags, id, body.len() as u32);
        let mut frame = header.to_vec();
        frame.extend_from_slice(body);
        if let Err(e) = self.w.write_all(&frame).await {
            self.closed("", &header, e).await;
        }
    }

    /// The peer could not send a frame: your session had closed the connection. Says
    /// with which GoAway, if any.
    async fn closed(&mut self, after: &str, header: &[u8; 12], e: std::io::Error) -> ! {
        let mut go_away = None;
        let _ = timeout(Duration::from_secs(1), async {
            while let Some(f) = self.try_next().await {
                if f.kind == GO_AWAY {
                    go_away = Some(f.length);
                }
            }
        })
        .await;
        let why = match go_away {
            Some(code) => format!("after a GoAway with code {code}"),
            None => "without a GoAway".to_string(),
        };
        panic!(
            "{after}{}the peer could not send the frame {header:02x?} ({e}): your session had closed the connection, {why}",
            if after.is_empty() { "" } else { ": " }
        );
    }

    /// The next frame; `None` when the connection ends. Panics after WAIT.
    async fn next(&mut self) -> Option<Frame> {
        timeout(WAIT, self.try_next()).await.expect("a frame from your session in time")
    }

    async fn try_next(&mut self) -> Option<Frame> {
        next_frame(&mut self.r).await
    }

    /// Reads frames until one matches, or the connection ends (`None`).
    async fn until(&mut self, what: &str, matches: impl Fn(&Frame) -> bool) -> Option<Frame> {
        timeout(WAIT, async {
            while let Some(f) = self.try_next().await {
                if matches(&f) {
                    return Some(f);
                }
            }
            None
        })
        .await
        .unwrap_or_else(|_| panic!("waited for {what}, but your session sent nothing more"))
    }

    /// Sends a Ping and reads until its answer; returns the frames your session sent
    /// before it. A session handles frames in order, so by then it has handled every
    /// frame sent before the Ping, and what it answered to them came first.
    async fn ping_barrier(&mut self, opaque: u32, after: &str) -> Vec<Frame> {
        let ping = hdr(PING, SYN, 0, opaque);
        if let Err(e) = self.w.write_all(&ping).await {
            self.closed(after, &ping, e).await;
        }
        let mut seen = Vec::new();
        let answered = timeout(WAIT, async {
            while let Some(f) = self.try_next().await {
                if f.kind == PING && f.flags & ACK != 0 && f.length == opaque {
                    return true;
                }
                seen.push(f);
            }
            false
        })
        .await;
        match answered {
            Ok(true) => seen,
            Ok(false) => panic!("{after}, your session closed the connection; it sent {seen:?} before the end"),
            Err(_) => panic!("{after}, your session did not answer a Ping in {} s; it sent {seen:?}", WAIT.as_secs()),
        }
    }

    /// Reads until the GoAway your session must send, and returns its code.
    async fn go_away_code(&mut self, what: &str) -> u32 {
        match self.until(&format!("a GoAway ({what})"), |f| f.kind == GO_AWAY).await {
            Some(f) => {
                assert_eq!(f.id, 0, "GoAway is on stream 0");
                f.length
            }
            None => panic!("{what}: your session closed the connection without a GoAway"),
        }
    }
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
        let got = read_frame(&mut b, MAX_FRAME)
            .await
            .unwrap_or_else(|e| panic!("reading back the frame of {n} bytes your write_frame wrote: {e}"));
        let len = got.as_ref().map(Vec::len);
        assert!(
            got == Some(vec![n as u8; n]),
            "the frame of {n} bytes your write_frame wrote read back as {len:?} bytes: the length is an unsigned \
             varint, seven bits a byte, low bits first, the top bit (0x80) set on every byte but the last (128 is 80 01)"
        );
    }
    // The layout: varint(300) = ac 02, then the bytes.
    let mut raw = Vec::new();
    write_frame(&mut raw, &[7u8; 300]).await.unwrap();
    assert_eq!(format!("{:02x} {:02x}", raw[0], raw[1]), "ac 02", "a 300-byte frame starts with the varint ac 02");
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
            let frame = timeout(WAIT, read_frame(&mut r, MAX_FRAME))
                .await
                .unwrap_or_else(|_| {
                    panic!("waited {} s for a frame of {n} bytes sent 3 bytes at a time", WAIT.as_secs())
                })
                .unwrap_or_else(|e| {
                    panic!(
                        "a frame of {n} bytes sent 3 bytes at a time: {e}. One read() returns what has arrived so far, \
                         not the whole frame: read until you have the length's bytes (read_exact, or take(len))"
                    )
                });
            let len = frame.as_ref().map(Vec::len);
            assert!(
                frame == Some(vec![n as u8; n]),
                "a frame of {n} bytes sent 3 bytes at a time read as {len:?} bytes"
            );
        }
    }
    let (a, b) = duplex(8);
    tokio::join!(dribble(a, encoded.clone()), read_three(b));
    let (a, b) = tcp_pair().await;
    tokio::join!(dribble(a, encoded), read_three(b));
}

/// Oversized, truncated and malformed frames are clear errors, never a panic or a buffer sized by the header alone
#[tokio::test]
async fn step_3_bad_frames() {
    let read = |bytes: Vec<u8>| async move { read_frame(&mut bytes.as_slice(), 1024).await };
    // A length of 4 GiB: refused from the length alone.
    let huge = read(vec![0x80, 0x80, 0x80, 0x80, 0x10]).await;
    assert!(
        matches!(huge, Err(FrameError::TooLarge { len: 4_294_967_296, max: 1024 })),
        "a header announcing 4 GiB with a limit of 1024 must be TooLarge {{ len: 4294967296, max: 1024 }} from the \
         length alone, before reading or allocating anything; got {huge:?}"
    );
    assert!(
        matches!(read(vec![0x81, 0x08]).await, Err(FrameError::TooLarge { len: 1025, .. })),
        "one byte over the limit"
    );
    let exact = read([vec![0x80, 0x08], vec![7; 1024]].concat()).await;
    assert_eq!(
        exact.as_ref().ok().and_then(Option::as_ref).map(Vec::len),
        Some(1024),
        "a frame of exactly the limit (1024 bytes, header 80 08) is allowed: only a longer one is TooLarge; got {:?}",
        exact.map(|frame| frame.map(|bytes| bytes.len()))
    );
    assert!(matches!(read(vec![0x05, b'a', b'b']).await, Err(FrameError::Truncated)), "2 of 5 bytes, then the end");
    assert!(matches!(read(vec![0x80]).await, Err(FrameError::Truncated)), "the end inside the length");
    assert!(matches!(read(vec![0xff; 12]).await, Err(FrameError::BadLength)), "a varint of more than 9 bytes");
    let mut sink = Vec::new();
    let err = write_frame(&mut sink, &vec![0u8; MAX_FRAME + 1]).await.expect_err("over MAX_FRAME");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(sink.is_empty(), "a refused frame writes nothing");
    let mut fits = Vec::new();
    write_frame(&mut fits, &vec![0u8; MAX_FRAME]).await.expect("a frame of exactly MAX_FRAME (1 MiB) bytes is allowed");
    assert_eq!(
        (format!("{:02x} {:02x} {:02x}", fits[0], fits[1], fits[2]), fits.len()),
        ("80 80 40".to_string(), 3 + MAX_FRAME),
        "MAX_FRAME (1 MiB) bytes framed: the varint 80 80 40, then the bytes"
    );

    // Under a generous limit, a peer announces 64 MiB (the varint 80 80 80 20) and sends
    // 3 bytes: what the reader sets aside must follow the bytes, not the announcement.
    let announced = [0x80u8, 0x80, 0x80, 0x20, b'a', b'b', b'c'];
    memory::reset_largest();
    let result = read_frame(&mut &announced[..], 1 << 30).await;
    let largest = memory::largest();
    assert!(matches!(result, Err(FrameError::Truncated)), "64 MiB announced, 3 bytes sent: Truncated, got {result:?}");
    assert!(
        largest <= 1 << 20,
        "a 4-byte header made the reader allocate {largest} bytes at once (at most 1 MiB before the bytes arrive)"
    );
}

/// The 12-byte yamux header: encoded and decoded as spec.md lays it out, checked against hand-computed bytes
#[tokio::test]
async fn step_4_header() {
    #[rustfmt::skip]
    let vectors: [(Header, [u8; 12]); 8] = [
        // A data frame of 5 bytes on stream 1.
        (Header::new(FrameType::Data, Flags::NONE, 1, 5), [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05]),
        // Opening stream 1: a window update with SYN and no increase.
        (Header::new(FrameType::WindowUpdate, Flags::SYN, 1, 0), [0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]),
        // Accepting stream 2 and granting 256 KiB more (0x00040000).
        (Header::new(FrameType::WindowUpdate, Flags::ACK, 2, 262_144), [0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00]),
        // A ping and its answer, with the opaque value 0xdeadbeef.
        (Header::new(FrameType::Ping, Flags::SYN, 0, 0xdead_beef), [0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef]),
        (Header::new(FrameType::Ping, Flags::ACK, 0, 0xdead_beef), [0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef]),
        // GoAway with the protocol-error code.
        (Header::new(FrameType::GoAway, Flags::NONE, 0, 1), [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]),
        // FIN on stream 0x01020304: the byte order shows.
        (Header::new(FrameType::Data, Flags::FIN, 0x0102_0304, 0), [0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00]),
        // SYN and RST together on stream 3 (flags 0x0009).
        (Header::new(FrameType::WindowUpdate, Flags::SYN | Flags::RST, 3, 0), [0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00]),
    ];
    for (header, bytes) in &vectors {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
        assert_eq!(
            hex(&header.encode()),
            hex(bytes),
            "encoding {header:?}: version (1 byte), type (1), flags (2), stream id (4), length (4), every field \
             big-endian (network order)"
        );
        assert_eq!(Header::decode(bytes), Ok(*header), "decoding {bytes:02x?}");
    }
    assert!(Flags::SYN.contains(Flags::SYN) && !Flags::SYN.contains(Flags::ACK));
    assert!((Flags::SYN | Flags::FIN).contains(Flags::FIN));
    assert_eq!(
        Header::decode(&hdr(DATA, 0, 1, 0).with_version(1)),
        Err(HeaderError::Version(1)),
        "version 1 is not yamux 0"
    );
    assert_eq!(Header::decode(&hdr(4, 0, 1, 0)), Err(HeaderError::Type(4)), "there is no type 4");
    assert_eq!(Header::decode(&hdr(0xff, 0, 1, 0)), Err(HeaderError::Type(0xff)));

    // Your headers and the reference's are the same bytes, for every field value.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (kind, flags, id, length) = ((x % 4) as u8, (x >> 8) as u16 & 0xf, (x >> 16) as u32, (x >> 32) as u32);
        let bytes = hdr(kind, flags, id, length);
        let theirs = reference::Header::decode(&bytes).unwrap().encode();
        let mine = Header::decode(&bytes).expect("a valid header").encode();
        assert_eq!(mine, theirs, "header {bytes:02x?}");
        assert_eq!(mine, bytes);
    }
}

/// `hdr` with another version byte.
trait WithVersion {
    fn with_version(self, version: u8) -> [u8; 12];
}
impl WithVersion for [u8; 12] {
    fn with_version(mut self, version: u8) -> [u8; 12] {
        self[0] = version;
        self
    }
}

/// Opening and accepting: SYN and ACK, odd ids for the client and even for the server, with the reference both ways
#[tokio::test]
async fn step_5_open_accept() {
    // Against a raw peer: what your client sends when it opens streams.
    let (a, b) = tcp_pair().await;
    let client = Session::client(a);
    let mut raw = Raw::new(b);
    let first = client.open_stream().await.expect("open a stream");
    let syn = raw.next().await.expect("a frame for the new stream");
    assert!(syn.kind == DATA || syn.kind == WINDOW_UPDATE, "a stream opens with Data or WindowUpdate: {syn:?}");
    assert!(syn.flags & SYN != 0, "the first frame of a stream carries SYN: {syn:?}");
    assert_eq!((syn.id, first.id()), (1, 1), "the client's first stream is 1");
    let second = client.open_stream().await.unwrap();
    let syn = raw.next().await.unwrap();
    assert_eq!((syn.id, second.id(), syn.flags & SYN), (3, 3, SYN), "then 3: clients use odd ids");
    // The raw server opens stream 2; your client accepts it and answers ACK.
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    let accepted = timeout(WAIT, client.accept_stream()).await.expect("accepted in time").expect("a stream");
    assert_eq!(accepted.id(), 2);
    let ack = raw.until("an ACK for stream 2", |f| f.id == 2).await.expect("an ACK");
    assert!(ack.flags & ACK != 0 && (ack.kind == DATA || ack.kind == WINDOW_UPDATE), "accepting answers ACK: {ack:?}");
    drop((first, second, accepted));

    // Your client and the reference server, then the reference client and your server.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let s = mine.open_stream().await.expect("open a stream");
    let t = timeout(WAIT, theirs.accept_stream()).await.expect("the reference accepts in time").expect("a stream");
    assert_eq!((s.id(), t.id()), (1, 1), "your client's stream 1, accepted by the reference");
    let t2 = theirs.open_stream().await.unwrap();
    let s2 = timeout(WAIT, mine.accept_stream()).await.expect("you accept in time").expect("the reference's stream");
    assert_eq!((t2.id(), s2.id()), (2, 2), "the reference server's stream 2, accepted by your client");
    let (a, b) = tcp_pair().await;
    let (theirs, mine) = (reference::Session::client(a), Session::server(b));
    let t = theirs.open_stream().await.unwrap();
    let s = timeout(WAIT, mine.accept_stream()).await.expect("you accept in time").expect("a stream");
    assert_eq!((t.id(), s.id()), (1, 1), "the reference client's stream 1, accepted by your server");
    let s2 = mine.open_stream().await.expect("open a stream");
    let t2 = timeout(WAIT, theirs.accept_stream()).await.expect("the reference accepts in time").expect("a stream");
    assert_eq!((s2.id(), t2.id()), (2, 2), "your server's first stream is 2, accepted by the reference");

    // Both sides open five streams at the same moment: ten distinct streams.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    // (Held, not dropped: a stream dropped before either side closed it is reset.)
    let (mut held, mut opened, mut accepted) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let (s, t) = (mine.open_stream().await.unwrap(), theirs.open_stream().await.unwrap());
        opened.extend([s.id(), t.id()]);
        held.push((s, t));
    }
    for _ in 0..5 {
        let t = timeout(WAIT, theirs.accept_stream()).await.unwrap().expect("one of your streams");
        let s = timeout(WAIT, mine.accept_stream()).await.unwrap().expect("one of the reference's streams");
        accepted.extend([t.id(), s.id()]);
    }
    opened.sort();
    accepted.sort();
    assert_eq!(
        opened,
        (1..=10).collect::<Vec<u32>>(),
        "ids 1, 3, 5, 7, 9 for the client and 2, 4, 6, 8, 10 for the server"
    );
    assert_eq!(accepted, opened, "every stream opened on one side is accepted on the other");

    // Two tasks wait in accept_stream at the same time, then two streams arrive: each
    // task gets one. A session that keeps only one waiting task's waker (or the first
    // of several) leaves the other asleep with a stream ready for it.
    let (a, b) = tcp_pair().await;
    let mine = std::sync::Arc::new(Session::client(a));
    let mut raw = Raw::new(b);
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let mine = mine.clone();
            tokio::spawn(async move { mine.accept_stream().await })
        })
        .collect();
    // Time for both tasks to start waiting (loopback and one thread: far less than this).
    tokio::time::sleep(Duration::from_millis(100)).await;
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    raw.send(WINDOW_UPDATE, SYN, 4, 0).await;
    let mut ids = Vec::new();
    for task in waiting {
        let stream = timeout(WAIT, task).await.unwrap_or_else(|_| {
            panic!(
                "two tasks waited in accept_stream and the peer opened streams 2 and 4, but after {} s only {} of \
                 the tasks had one: remember the waker of every task that waits (a list, one entry per task), \
                 and wake them all when a stream arrives",
                WAIT.as_secs(),
                ids.len()
            )
        });
        ids.push(stream.expect("the task ran").expect("a stream").id());
    }
    ids.sort();
    assert_eq!(ids, [2, 4], "two tasks waiting in accept_stream, streams 2 and 4 opened: one each");
}

/// Echoes the first `n` bytes of a stream back, and returns the stream: held, not
/// dropped, because dropping a stream nobody closed resets it.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut t: S, n: usize) -> S {
    let mut buf = vec![0u8; 32 * 1024];
    let mut done = 0;
    while done < n {
        let got = t.read(&mut buf).await.expect("the echo reads");
        assert!(got > 0, "the stream ended after {done} of {n} bytes");
        t.write_all(&buf[..got]).await.expect("the echo writes");
        done += got;
    }
    t
}

/// Writes `data` and reads as many bytes back, at the same time; returns what came back.
async fn there_and_back<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, data: &[u8]) -> Vec<u8> {
    let (mut r, mut w) = tokio::io::split(s);
    let mut back = vec![0u8; data.len()];
    let send = async { w.write_all(data).await.expect("write") };
    let receive = async { r.read_exact(&mut back).await.expect("read back") };
    timeout(WAIT, async { tokio::join!(send, receive) }).await.unwrap_or_else(|_| {
        panic!(
            "waited {} s for {} bytes to go there and back, and the writer stopped. A stream may send at most its \
             window (256 KiB to start) until the reader gives it back: the reader must send a WindowUpdate as it \
             consumes what it read (at half the window, say), and the writer must wait for it, not drop the bytes",
            WAIT.as_secs(),
            data.len()
        )
    });
    back
}

/// Data and windows: a megabyte through each side, a writer that waits for its reader, a window that grows when the reader keeps up, and data beyond the window refused
#[tokio::test]
async fn step_6_data_and_windows() {
    let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();

    // 1 MiB (four windows) from your client through the reference's echo and back.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let mut s = mine.open_stream().await.unwrap();
    let echoing = async { echo(timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap(), data.len()).await };
    let (_held, back) = tokio::join!(echoing, there_and_back(&mut s, &data));
    assert!(back == data, "1 MiB through the reference and back, in order");

    // The same from the reference's client through your echo.
    let (a, b) = tcp_pair().await;
    let (theirs, mine) = (reference::Session::client(a), Session::server(b));
    let mut s = theirs.open_stream().await.unwrap();
    let echoing = async { echo(timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap(), data.len()).await };
    let (_held, back) = tokio::join!(echoing, there_and_back(&mut s, &data));
    assert!(back == data, "1 MiB through your echo and back, in order");

    // Backpressure: your writer waits while the reference's reader reads nothing, and
    // another stream keeps flowing.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let mut slow = mine.open_stream().await.unwrap();
    let big = vec![1u8; 4 * INITIAL_WINDOW as usize];
    let writer = tokio::spawn(async move {
        slow.write_all(&big).await.unwrap();
        slow
    });
    let mut slow_in = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writer.is_finished(),
        "1 MiB was written while the reader read nothing: a writer must wait for window updates"
    );
    let mut quick = mine.open_stream().await.unwrap();
    quick.write_all(b"still moving").await.unwrap();
    let mut quick_in = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    let mut got = [0u8; 12];
    timeout(WAIT, quick_in.read_exact(&mut got)).await.expect("not blocked behind the stalled stream").unwrap();
    assert_eq!(&got, b"still moving");
    let mut all = vec![0u8; 4 * INITIAL_WINDOW as usize];
    timeout(WAIT, slow_in.read_exact(&mut all)).await.expect("once read, everything arrives").unwrap();
    let _slow = timeout(WAIT, writer).await.expect("the writer finishes once the reader catches up").unwrap();

    // Against a raw sender that sends exactly as much as your window allows: your reader
    // reads as fast as the bytes come, so the window must grow past 256 KiB.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    let mut t = timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap();
    let total = 8usize << 20;
    let reading = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        while got < total {
            match t.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    });
    let (mut credit, mut sent, mut largest_credit) = (u64::from(INITIAL_WINDOW), 0usize, 0u64);
    let chunk = vec![9u8; 64 * 1024];
    while sent < total {
        if credit == 0 {
            let frame = raw.next().await.expect("your session stopped granting window before 8 MiB were read");
            if frame.kind == PING && frame.flags & SYN != 0 {
                // Answered, for a session that measures the round trip to size its windows.
                raw.send(PING, ACK, 0, frame.length).await;
            }
            if frame.id == 2 && frame.kind == WINDOW_UPDATE {
                assert_eq!(frame.flags & RST, 0, "stream 2 was reset");
                credit += u64::from(frame.length);
                largest_credit = largest_credit.max(credit);
            }
            continue;
        }
        let n = (credit as usize).min(chunk.len()).min(total - sent);
        raw.send_data(0, 2, &chunk[..n]).await;
        credit -= n as u64;
        sent += n;
    }
    assert_eq!(timeout(WAIT, reading).await.unwrap().unwrap(), total, "your stream read all 8 MiB");
    assert!(
        largest_credit > u64::from(INITIAL_WINDOW),
        "the reader kept up, but the window never grew: at most {largest_credit} bytes of credit at once"
    );

    // Data beyond the window: the sender broke the protocol.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    let _unread = timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap();
    let window = vec![0u8; INITIAL_WINDOW as usize];
    raw.send_data(0, 2, &window).await;
    raw.send_data(0, 2, b"!").await;
    assert_eq!(
        raw.go_away_code("one byte beyond the window").await,
        1,
        "data beyond the window is a protocol error (GoAway 1)"
    );

    // The header alone says how many bytes follow: a frame announcing more than the
    // window is refused before its body arrives, so no memory is ever promised to it.
    // A new stream may open with a whole window of data in its SYN frame, not a byte more.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send_data(SYN, 2, &window).await;
    let mut full = timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap();
    let mut got = vec![0u8; window.len()];
    timeout(WAIT, full.read_exact(&mut got)).await.expect("a SYN with a whole window of data is allowed").unwrap();
    for (what, flags, id, length) in [
        ("on stream 2, whose window is 0 until its reader reads", 0, 2, 1),
        ("opening stream 4 (SYN) with a window and a byte", SYN, 4, INITIAL_WINDOW + 1),
    ] {
        let (a, b) = tcp_pair().await;
        let mine = Session::client(a);
        let mut raw = Raw::new(b);
        raw.send_data(SYN, 2, &window).await;
        let _unread = timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap();
        raw.send(DATA, flags, id, length).await;
        let code = timeout(Duration::from_secs(2), raw.go_away_code("a data header beyond the window")).await;
        assert_eq!(
            code.ok(),
            Some(1),
            "a Data header with length {length} {what}, and no body yet: your session must refuse it from the \
             header alone with GoAway 1 (protocol error), not wait for bytes it has no window for"
        );
    }

    // A reader that takes one byte at a time while the peer sends all the window allows:
    // the window given back may cover only what the reader took, never bytes still
    // waiting unread, or the peer fills this side's memory however slowly it reads.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    let mut t = timeout(WAIT, mine.accept_stream()).await.unwrap().unwrap();
    let chunk = vec![3u8; 64 * 1024];
    let (mut credit, mut sent, mut read) = (INITIAL_WINDOW as usize, 0usize, 0usize);
    for _ in 0..100 {
        while credit > 0 {
            let n = credit.min(chunk.len());
            raw.send_data(0, 2, &chunk[..n]).await;
            (credit, sent) = (credit - n, sent + n);
        }
        // Time for the session to take in what was sent (loopback: far less than this).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut one = [0u8; 1];
        timeout(WAIT, t.read_exact(&mut one)).await.expect("a byte that was sent arrives").unwrap();
        read += 1;
        assert!(
            sent - read <= MAX_STREAM_WINDOW as usize,
            "the reader has read {read} bytes one at a time, yet your session let the peer send {sent}: it gave back \
             window for bytes it still holds unread, so {} bytes wait in its memory (at most MAX_STREAM_WINDOW, \
             {MAX_STREAM_WINDOW}). The window given back covers only what the reader took out",
            sent - read
        );
        let update = raw.until("a window update", |f| f.id == 2 && f.kind == WINDOW_UPDATE && f.length > 0);
        match timeout(Duration::from_millis(300), update).await {
            Ok(Some(frame)) => {
                assert!(
                    frame.length >= INITIAL_WINDOW / 2,
                    "the reader had read {read} byte(s), one at a time, and your session gave the peer {} bytes of \
                     window back: a WindowUpdate for every small read costs the connection a frame per read. Give \
                     the window back once half of it ({} bytes) has been consumed, all of it in one update",
                    frame.length,
                    INITIAL_WINDOW / 2
                );
                credit += frame.length as usize;
            }
            Ok(None) | Err(_) => break,
        }
    }
}

/// Half-close (FIN) and reset (RST) both ways, and a lost connection is an error on every stream, never a clean end
#[tokio::test]
async fn step_7_close_and_reset() {
    use std::io::ErrorKind;

    // FIN: a request, its end, a reply on the same stream, its end.
    for your_side_opens in [true, false] {
        let (a, b) = tcp_pair().await;
        let (mine, theirs) = (Session::client(a), reference::Session::server(b));
        let exchange = async {
            if your_side_opens {
                let mut s = mine.open_stream().await.unwrap();
                s.write_all(b"request").await.unwrap();
                s.shutdown().await.unwrap();
                let err = s.write_all(b"more").await.expect_err("writing after your own FIN");
                assert_eq!(err.kind(), ErrorKind::BrokenPipe, "writing after shutdown is BrokenPipe");
                let mut t = theirs.accept_stream().await.unwrap();
                let mut req = Vec::new();
                t.read_to_end(&mut req).await.unwrap();
                assert_eq!(req, b"request", "the reference read your request to its end (FIN)");
                t.write_all(b"reply").await.unwrap();
                t.shutdown().await.unwrap();
                let mut reply = Vec::new();
                s.read_to_end(&mut reply).await.unwrap();
                assert_eq!(reply, b"reply", "after your FIN, the other direction still works");
            } else {
                let mut s = theirs.open_stream().await.unwrap();
                s.write_all(b"request").await.unwrap();
                s.shutdown().await.unwrap();
                let mut t = mine.accept_stream().await.unwrap();
                let mut req = Vec::new();
                t.read_to_end(&mut req).await.unwrap();
                assert_eq!(req, b"request", "you read the reference's request to its end (FIN)");
                t.write_all(b"reply").await.unwrap();
                t.shutdown().await.unwrap();
                let mut reply = Vec::new();
                s.read_to_end(&mut reply).await.unwrap();
                assert_eq!(reply, b"reply");
            }
        };
        timeout(WAIT, exchange).await.expect(
            "waited 10 s for a request and its reply on one stream, half-closed: after the peer's FIN, reads must end \
             (read returns 0) once the bytes before it are read, while this side can still write",
        );
    }

    // RST from the reference: your reads and writes fail with ConnectionReset.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let mut s = mine.open_stream().await.unwrap();
    s.write_all(b"x").await.unwrap();
    let mut t = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    t.reset();
    let mut buf = [0u8; 8];
    let read = timeout(WAIT, s.read(&mut buf)).await.expect("in time");
    assert_eq!(read.map_err(|e| e.kind()), Err(ErrorKind::ConnectionReset), "a read after the peer's RST");
    let write = s.write_all(b"y").await;
    assert_eq!(write.map_err(|e| e.kind()), Err(ErrorKind::ConnectionReset), "a write after the peer's RST");
    // And yours reaches the reference.
    let mut s = mine.open_stream().await.unwrap();
    s.write_all(b"x").await.unwrap();
    let mut t = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    t.read_exact(&mut buf[..1]).await.unwrap();
    s.reset();
    let read = timeout(WAIT, t.read(&mut buf)).await.expect("in time");
    assert_eq!(read.map_err(|e| e.kind()), Err(ErrorKind::ConnectionReset), "the reference reads your RST");
    // Dropping a stream that neither side closed resets it too.
    let s = mine.open_stream().await.unwrap();
    let mut t = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    drop(s);
    let read = timeout(WAIT, t.read(&mut buf)).await.expect("in time");
    assert!(read.is_err(), "a stream dropped without shutdown is reset, not ended cleanly: {read:?}");

    // The connection dies under three open streams: every one of them errs; a stream
    // the peer had finished (FIN) still reads its clean end.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut s = mine.open_stream().await.unwrap();
        s.write_all(b"hi").await.unwrap();
        open.push(s);
    }
    let mut finished = mine.open_stream().await.unwrap();
    raw.until("stream 7's SYN", |f| f.id == 7).await.unwrap();
    raw.send(WINDOW_UPDATE, ACK, 1, 0).await;
    raw.send_data(0, 1, b"part").await;
    raw.send_data(FIN, 7, b"all").await;
    let mut part = [0u8; 4];
    timeout(WAIT, open[0].read_exact(&mut part)).await.unwrap().unwrap();
    drop(raw);
    for s in &mut open {
        let mut rest = Vec::new();
        let read = timeout(WAIT, s.read_to_end(&mut rest)).await.expect("a read must end when the connection does");
        assert!(
            read.is_err(),
            "stream {}: the connection was lost, but the read ended cleanly (Ok): a cut transfer would look complete",
            s.id()
        );
        let write = timeout(WAIT, s.write_all(b"more")).await.expect("a write must end when the connection does");
        assert!(write.is_err(), "stream {}: writing after the connection was lost succeeded", s.id());
    }
    let mut all = Vec::new();
    timeout(WAIT, finished.read_to_end(&mut all)).await.unwrap().expect("a stream the peer had finished ends cleanly");
    assert_eq!(all, b"all");

    // Frames for streams your side finished with. Your streams 1 and 3 send a request,
    // half-close (FIN) and are dropped; stream 5 stays open.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    for _ in 0..2 {
        let mut s = mine.open_stream().await.unwrap();
        s.write_all(b"request").await.unwrap();
        s.shutdown().await.unwrap();
    }
    let mut live = mine.open_stream().await.unwrap();
    raw.until("stream 5's SYN", |f| f.id == 5).await.expect("stream 5's SYN");
    // The peer is still reading what you sent on stream 1: it gives window back, then
    // closes its side. On stream 3 it answers with data nobody will read. And it opens
    // streams 2 and 4, then resets 2 before you accept it.
    raw.send(WINDOW_UPDATE, 0, 1, INITIAL_WINDOW / 2).await;
    raw.send_data(FIN, 1, b"").await;
    raw.send_data(0, 3, b"late").await;
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    raw.send(WINDOW_UPDATE, SYN, 4, 0).await;
    raw.send(WINDOW_UPDATE, RST, 2, 0).await;
    let answered = echo_barrier(&mut raw, &mut live, b"echo", "after frames for your dropped streams 1 and 3").await;
    if let Some(f) = answered.iter().find(|f| f.id == 1 && f.flags & RST != 0) {
        panic!(
            "the peer gave window back on stream 1 and sent its FIN (hex {:02x?}) after you had half-closed and \
             dropped the stream, and your session answered with RST: {f:?}. The peer may still be reading what you \
             sent, and a RST makes it throw away what it has not read. Answer only data for a dropped stream with RST",
            hdr(DATA, FIN, 1, 0)
        );
    }
    assert!(
        answered.iter().any(|f| f.id == 3 && f.flags & RST != 0),
        "the peer sent 4 bytes on stream 3 after you had half-closed and dropped it, and your session did not answer \
         with RST (it sent {answered:?}): nobody will read those bytes, and without a RST the peer's writer waits for \
         window forever. Skip the bytes, answer RST, and go on"
    );
    let accepted = timeout(WAIT, mine.accept_stream())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the peer opened streams 2 and 4 and reset 2 before you accepted it, and accept_stream waited {} s: \
                 it must hand out stream 4 (forget the reset stream, and only that one)",
                WAIT.as_secs()
            )
        })
        .expect("stream 4");
    assert_eq!(
        accepted.id(),
        4,
        "the peer opened streams 2 and 4 and reset 2 before you accepted it: accept_stream hands out 4, not a stream \
         the peer has already reset"
    );
    // A FIN, then a RST with no body, both as Data frames: no violation.
    raw.send_data(FIN, 4, b"bye").await;
    raw.send_data(RST, 4, b"").await;
    echo_barrier(
        &mut raw,
        &mut live,
        b"more",
        "after the peer's FIN and then its RST on stream 4 (Data frames, the RST with no body)",
    )
    .await;
}

/// Sends `tag` on your open stream `live`, waits until your side has read it and sent it
/// back, and returns what your session sent before that echo. A session handles frames
/// in order, so by then it has handled every frame the peer sent before `tag`, and what
/// it answered to them came first.
async fn echo_barrier(raw: &mut Raw, live: &mut Stream, tag: &[u8], after: &str) -> Vec<Frame> {
    let id = live.id();
    raw.send_data(0, id, tag).await;
    let mut got = vec![0u8; tag.len()];
    match timeout(WAIT, live.read_exact(&mut got)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!(
            "{after}, your open stream {id} failed to read what the peer sent on it: {e}. The session must go on"
        ),
        Err(_) => panic!("{after}, your open stream {id} did not get what the peer sent on it in {} s", WAIT.as_secs()),
    }
    live.write_all(&got).await.unwrap_or_else(|e| panic!("{after}, writing on your open stream {id}: {e}"));
    let mut seen = Vec::new();
    let echoed = timeout(WAIT, async {
        while let Some(f) = raw.try_next().await {
            if f.id == id && f.kind == DATA && f.body == tag {
                return true;
            }
            seen.push(f);
        }
        false
    })
    .await;
    match echoed {
        Ok(true) => seen,
        _ => panic!("{after}, the echo on your open stream {id} never reached the peer; your session sent {seen:?}"),
    }
}

/// Ping (SYN answered by ACK with the same value) and GoAway (normal: no new streams; an error code: the session ends)
#[tokio::test]
async fn step_8_ping_and_go_away() {
    // Pings between your session and the reference's, both ways.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let rtt = timeout(WAIT, mine.ping())
        .await
        .expect(
            "waited 10 s for the reference to answer your Ping: send a Ping with SYN on stream 0, and complete when \
             the Ping with ACK and the same opaque value arrives",
        )
        .expect("a round-trip time");
    assert!(rtt < WAIT);
    timeout(WAIT, theirs.ping())
        .await
        .expect(
            "waited 10 s for your session to answer the reference's Ping: a Ping with SYN is answered at once with a \
             Ping with ACK carrying the same opaque value (in the length field)",
        )
        .expect("your session answers pings");
    // Two pings in flight at once: each completes when the ACK with its own value comes.
    let both = timeout(WAIT, async { tokio::join!(mine.ping(), mine.ping()) }).await.expect(
        "waited 10 s for two pings sent at once: give each ping its own opaque value, and keep every ping waiting \
         until the ACK with its value arrives",
    );
    assert!(
        both.0.is_ok() && both.1.is_ok(),
        "two pings sent at once, both answered by the reference, yet your session gave {both:?}: a new ping must not \
         drop the pings still waiting for their answers"
    );
    drop((mine, theirs));

    // A raw ping: the answer is ACK with the very same opaque value.
    let (a, b) = tcp_pair().await;
    let mine = Session::server(a);
    let mut raw = Raw::new(b);
    raw.send(PING, SYN, 0, 0xdead_beef).await;
    let pong = raw.until("a Ping", |f| f.kind == PING).await.expect("an answer to the ping");
    assert_eq!(
        hdr(pong.kind, pong.flags, pong.id, pong.length),
        hdr(PING, ACK, 0, 0xdead_beef),
        "the answer to a ping"
    );
    // Your ping, answered by hand.
    let pinging = async { timeout(WAIT, mine.ping()).await.expect("in time").expect("answered") };
    let answering = async {
        let ping = raw.until("your Ping", |f| f.kind == PING).await.expect("your ping");
        assert_eq!((ping.flags, ping.id), (SYN, 0), "a ping is SYN on stream 0");
        raw.send(PING, ACK, 0, ping.length).await;
    };
    tokio::join!(pinging, answering);

    // Your GoAway: exactly twelve bytes, and later streams are refused (RST).
    mine.go_away().await.expect("go away");
    let bye = raw.until("your GoAway", |f| f.kind == GO_AWAY).await.expect("a GoAway");
    assert_eq!(hdr(bye.kind, bye.flags, bye.id, bye.length), hdr(GO_AWAY, 0, 0, 0), "GoAway, normal termination");
    raw.send(WINDOW_UPDATE, SYN, 1, 0).await;
    let refused = raw.until("an answer to the SYN", |f| f.id == 1).await.expect("an answer");
    assert!(refused.flags & RST != 0, "after your GoAway, a new stream is refused with RST: {refused:?}");

    // The peer's normal GoAway: no new streams from your side, the open ones carry on.
    let (a, b) = tcp_pair().await;
    let (mine, theirs) = (Session::client(a), reference::Session::server(b));
    let mut s = mine.open_stream().await.unwrap();
    let mut t = timeout(WAIT, theirs.accept_stream()).await.unwrap().unwrap();
    theirs.go_away().await.unwrap();
    let refused = timeout(WAIT, async {
        loop {
            match mine.open_stream().await {
                Err(e) => return e,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .expect(
        "after the peer's GoAway (normal termination), open_stream must fail with RemoteGoAway, but for 10 s it kept \
         opening streams: remember the peer's GoAway and refuse every new stream after it",
    );
    assert_eq!(refused, MuxError::RemoteGoAway, "after the peer's GoAway");
    s.write_all(b"still here").await.unwrap();
    let mut got = [0u8; 10];
    timeout(WAIT, t.read_exact(&mut got)).await.unwrap().unwrap();
    assert_eq!(&got, b"still here", "a GoAway leaves open streams open");

    // A GoAway with an error code ends the session: open streams err, accept ends.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    let mut s = mine.open_stream().await.unwrap();
    raw.send(GO_AWAY, 0, 0, 2).await;
    let mut buf = [0u8; 4];
    let read = timeout(WAIT, s.read(&mut buf)).await.expect("a read must end after GoAway 2");
    assert!(read.is_err(), "GoAway with the internal-error code ends the session: {read:?}");
    assert!(timeout(WAIT, mine.accept_stream()).await.expect("in time").is_none(), "no more streams to accept");
    assert_eq!(mine.ended(), Some(MuxError::RemoteError(2)), "Session::ended after the peer's GoAway with code 2");

    // Handles: the session lives while any handle does. Dropping the Session refuses the
    // streams still waiting to be accepted (RST) and leaves the open ones working;
    // dropping the last handle says GoAway (normal) and closes the connection.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    let mut opened = mine.open_stream().await.unwrap();
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    let mut accepted = timeout(WAIT, mine.accept_stream()).await.unwrap().expect("stream 2");
    raw.send(WINDOW_UPDATE, SYN, 4, 0).await;
    raw.ping_barrier(1, "after the peer opened stream 4").await;
    drop(mine);
    let answered = raw.ping_barrier(2, "after your Session handle was dropped, with streams 1 and 2 still held").await;
    assert!(
        answered.iter().any(|f| f.id == 4 && f.flags & RST != 0),
        "your Session handle was dropped while the peer's stream 4 waited to be accepted, and your session did not \
         refuse it (RST; it sent {answered:?}): nobody can accept it any more, and the peer would wait for it forever"
    );
    let mut got = [0u8; 3];
    raw.send_data(0, 2, b"two").await;
    let read = timeout(WAIT, accepted.read_exact(&mut got)).await;
    assert!(
        matches!(read, Ok(Ok(_))) && &got == b"two",
        "after the Session handle was dropped, the accepted stream 2 must still read what the peer sends: the \
         session lives while any of its handles (the Session, every Stream) does; got {read:?}"
    );
    drop(accepted);
    raw.send_data(0, 1, b"one").await;
    let read = timeout(WAIT, opened.read_exact(&mut got)).await;
    assert!(
        matches!(read, Ok(Ok(_))) && &got == b"one",
        "after the Session handle and stream 2 were dropped, stream 1 must still read what the peer sends: the \
         session lives while any of its handles does; got {read:?}"
    );
    drop(opened);
    let code = raw.go_away_code("every handle of your session dropped").await;
    assert_eq!(code, 0, "the last handle dropped: GoAway with the normal code (0)");
    let end = timeout(WAIT, async { while raw.try_next().await.is_some() {} }).await;
    assert!(end.is_ok(), "after its GoAway, your session must close the connection (the peer read no end for 10 s)");
}

/// A hostile peer: window overflow, stream ids of the wrong parity or in use, a flood of SYNs, bad headers: GoAway or RST, bounded memory, never a panic
#[tokio::test]
async fn step_9_hostile_peer() {
    // Two window updates that together pass 2^32 - 1.
    for increase in [1u32 << 31, u32::MAX] {
        let (a, b) = tcp_pair().await;
        let mine = Session::client(a);
        let mut raw = Raw::new(b);
        let mut s = mine.open_stream().await.unwrap();
        raw.send(WINDOW_UPDATE, ACK, 1, increase).await;
        raw.send(WINDOW_UPDATE, 0, 1, increase).await;
        let code = raw.go_away_code("a window over 2^32 - 1").await;
        assert_eq!(code, 1, "two window updates of {increase}: a protocol error");
        let mut buf = [0u8; 1];
        let read = timeout(WAIT, s.read(&mut buf)).await.expect("the stream ends with the session");
        assert!(read.is_err(), "after the violation the stream errs: {read:?}");
        assert!(mine.open_stream().await.is_err(), "and the session takes no new streams");
        let ended = mine.ended();
        assert!(
            matches!(ended, Some(MuxError::Protocol(_))),
            "Session::ended after the peer broke the protocol must be Some(MuxError::Protocol(why)); got {ended:?}"
        );
    }

    // A stream this side forgot may have had any window up to MAX_STREAM_WINDOW: a Data
    // frame of exactly that much for it is skipped, and the session goes on. No window is
    // ever larger, so a frame one byte longer is a violation from its header alone.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 2, 0).await;
    drop(timeout(WAIT, mine.accept_stream()).await.unwrap().expect("stream 2"));
    let after = "after a Data frame of exactly MAX_STREAM_WINDOW bytes for the stream you dropped (no violation: \
                 skip its bytes)";
    let header = hdr(DATA, 0, 2, MAX_STREAM_WINDOW);
    let frame = [&header[..], &vec![0u8; MAX_STREAM_WINDOW as usize]].concat();
    if let Err(e) = raw.w.write_all(&frame).await {
        raw.closed(after, &header, e).await;
    }
    let answered = raw.ping_barrier(1, after).await;
    assert!(
        !answered.iter().any(|f| f.kind == GO_AWAY),
        "a Data frame of exactly MAX_STREAM_WINDOW ({MAX_STREAM_WINDOW}) bytes for a stream you dropped is no \
         violation (its window may have grown that far): skip it; your session sent {answered:?}"
    );
    raw.send(DATA, 0, 2, MAX_STREAM_WINDOW + 1).await;
    let code = timeout(Duration::from_secs(2), raw.go_away_code("a data header larger than any window")).await;
    assert_eq!(
        code.ok(),
        Some(1),
        "a Data header with length MAX_STREAM_WINDOW + 1 ({}, hex {:02x?}) for a stream you dropped: no window is \
         that large, so refuse it from the header alone with GoAway 1, not wait for its bytes",
        MAX_STREAM_WINDOW + 1,
        hdr(DATA, 0, 2, MAX_STREAM_WINDOW + 1)
    );

    // A SYN with your own parity, on the id of your open stream: never a hijack.
    let (a, b) = tcp_pair().await;
    let mine = Session::client(a);
    let mut raw = Raw::new(b);
    let mut s = mine.open_stream().await.unwrap();
    raw.send_data(SYN, 1, b"evil").await;
    assert_eq!(
        raw.go_away_code("a SYN for stream 1 from the server").await,
        1,
        "a SYN with the client's parity is a protocol error"
    );
    let mut buf = [0u8; 4];
    let read = timeout(WAIT, s.read(&mut buf)).await.expect("in time");
    assert!(read.is_err(), "your stream 1 read the intruder's bytes: {read:?}");
    // An odd id the client never used is not the server's either.
    let (a, b) = tcp_pair().await;
    let _mine = Session::client(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 5, 0).await;
    assert_eq!(raw.go_away_code("a SYN with an odd id from the server").await, 1);
    // A second SYN for a stream id in use.
    let (a, b) = tcp_pair().await;
    let _mine = Session::server(a);
    let mut raw = Raw::new(b);
    raw.send(WINDOW_UPDATE, SYN, 1, 0).await;
    raw.send(WINDOW_UPDATE, SYN, 1, 0).await;
    assert_eq!(raw.go_away_code("stream 1 opened twice").await, 1, "a SYN for an id in use is a protocol error");
    // Headers that are not yamux.
    for (what, bad) in [("version 1", hdr(DATA, 0, 1, 0).with_version(1)), ("type 7", hdr(7, 0, 0, 0))] {
        let (a, b) = tcp_pair().await;
        let _mine = Session::server(a);
        let mut raw = Raw::new(b);
        raw.w.write_all(&bad).await.unwrap();
        assert_eq!(raw.go_away_code(what).await, 1, "{what}: a protocol error");
    }

    // 500,000 SYNs that nobody accepts (6 MB on the wire).
    let (a, b) = tcp_pair().await;
    let before = memory::live();
    let mine = Session::client(a);
    let (r, mut w) = b.into_split();
    const FLOOD: u32 = 500_000;
    let flooding = async move {
        let mut batch = Vec::with_capacity(12 * 1000);
        for i in 0..FLOOD {
            batch.extend_from_slice(&hdr(WINDOW_UPDATE, SYN, 2 * i + 2, 0));
            if batch.len() == batch.capacity() {
                w.write_all(&batch).await.unwrap();
                batch.clear();
            }
        }
        w.write_all(&batch).await.unwrap();
        // A ping at the end: its answer means every SYN before it was handled.
        w.write_all(&hdr(PING, SYN, 0, 7)).await.unwrap();
        w
    };
    let counting = async {
        let mut r = BufReader::with_capacity(1 << 16, r);
        let (mut resets, mut went_away) = (0u32, false);
        loop {
            let Some(f) =
                timeout(Duration::from_secs(60), next_frame(&mut r)).await.expect("the flood handled within 60 s")
            else {
                break;
            };
            match f.kind {
                PING if f.flags & ACK != 0 => break,
                GO_AWAY => {
                    went_away = true;
                    break;
                }
                _ if f.flags & RST != 0 => resets += 1,
                _ => {}
            }
        }
        (resets, went_away)
    };
    let (_w, (resets, went_away)) = tokio::join!(flooding, counting);
    let grown = memory::live() - before;
    let mut accepted = 0;
    if !went_away {
        while let Ok(Some(_s)) = timeout(Duration::from_millis(200), mine.accept_stream()).await {
            accepted += 1;
            if accepted > MAX_PENDING_ACCEPTS {
                break;
            }
        }
    }
    kit::figure("SYN flood: refused with RST", resets);
    kit::figure("SYN flood: waiting to be accepted", accepted);
    kit::figure("SYN flood: memory grown (bytes)", grown);
    assert!(
        accepted <= MAX_PENDING_ACCEPTS,
        "more streams were waiting to be accepted than MAX_PENDING_ACCEPTS ({MAX_PENDING_ACCEPTS})"
    );
    assert!(
        went_away || resets as usize + accepted >= FLOOD as usize,
        "500,000 SYNs: {resets} refused with RST and {accepted} waiting; the rest were neither refused nor kept"
    );
    assert!(grown < 16 << 20, "500,000 unaccepted SYNs grew memory by {grown} bytes (at most 16 MiB)");

    // 200,000 pings from a peer that reads none of the answers, over a pipe that holds
    // 4 KiB each way: once about a thousand answers wait, your session must stop
    // reading (the peer's writes then wait), not queue 2.4 MB of answers. Once the peer
    // reads, every ping is answered, in order.
    const PINGS: u32 = 200_000;
    let mut pings = Vec::with_capacity(12 * PINGS as usize);
    for i in 0..PINGS {
        pings.extend_from_slice(&hdr(PING, SYN, 0, i));
    }
    let (peer, ours) = duplex(4096);
    let (mut peer_read, mut peer_write) = tokio::io::split(peer);
    let before = memory::live();
    let mine = Session::server(ours);
    let flood = tokio::spawn(async move {
        let _ = peer_write.write_all(&pings).await;
        peer_write
    });
    // Time to take in far more than a thousand pings (a correct session then waits).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let grown = memory::live() - before;
    kit::figure("ping flood, answers unread: memory grown (bytes)", grown);
    assert!(
        !flood.is_finished() && grown < 1 << 20,
        "a peer sent {PINGS} pings and read none of the answers: your session {} and grew memory by {grown} bytes. \
         Stop reading while about a thousand answers wait unsent (the peer's writes then wait, and TCP slows it \
         down), rather than queueing answers without bound",
        if flood.is_finished() { "took in all 2.4 MB of them" } else { "kept reading" }
    );
    let mut next = 0u32;
    let answered = timeout(WAIT, async {
        while next < PINGS {
            let Some(f) = next_frame(&mut peer_read).await else { break };
            if f.kind == PING {
                assert_eq!((f.flags, f.length), (ACK, next), "the answers to the pings, in order");
                next += 1;
            }
        }
    })
    .await;
    assert!(
        answered.is_ok() && next == PINGS,
        "once the peer reads, every one of its {PINGS} pings is answered; {next} were"
    );
    drop((mine, timeout(WAIT, flood).await));
}
