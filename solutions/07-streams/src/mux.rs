//! yamux: many streams over one connection, each with its own flow-control window.
//!
//! This is HashiCorp's yamux (`spec.md` in github.com/hashicorp/yamux), the multiplexer
//! libp2p negotiates as `/yamux/1.0.0`. Every frame is a 12-byte [`Header`] and, for
//! Data, `length` bytes:
//!
//! - **Opening.** A stream opens with a WindowUpdate (or Data) frame carrying SYN and a
//!   new id; the other side answers with ACK when it accepts the stream, or RST when it
//!   refuses it. The client (the side that dialled) uses odd ids, the server even ones,
//!   and id 0 means the session: the two sides can open streams at the same moment and
//!   never pick the same id.
//! - **Windows.** Each side may send at most its window of a stream's bytes that the
//!   other side has not granted again; a window starts at [`INITIAL_WINDOW`] (256 KiB).
//!   When the reader has consumed half of its window, it sends a WindowUpdate that gives
//!   the writer that credit back. A writer without credit waits, so a slow reader slows
//!   its writer down instead of making the receiver buffer without bound, and a stalled
//!   stream holds up no other.
//! - **Growth.** When an update is due and the reader had to wait for data since the
//!   previous one, the window, not the reader, is what limits the stream: the update
//!   doubles the window, up to [`MAX_STREAM_WINDOW`].
//! - **Closing.** FIN half-closes: "I will send no more". RST resets a stream at once.
//! - **Session.** Ping (SYN, answered by ACK with the same opaque value) measures the
//!   round trip; GoAway says "no new streams" (code 0) or ends the session on an error
//!   (1, the peer broke the protocol; 2, an internal error).
//!
//! A peer that breaks the protocol (data beyond the window, a window over 2³² − 1, a
//! stream id of the wrong parity or already in use, a bad header) gets a GoAway with the
//! protocol-error code, and the session ends. When the session ends for any reason but
//! an orderly one, every open stream reads an error, never a clean end of stream: a
//! truncated transfer must not look complete.
//!
//! Two tasks drive a session: one reads frames and applies them to the shared state,
//! one writes the frames that streams and the reader queue. [`Session`] and [`Stream`]
//! are handles on that state; when the last of them is dropped, the session says
//! GoAway and closes the connection.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::sync::{Notify, oneshot};

use crate::header::{Flags, FrameType, GO_AWAY_NORMAL, GO_AWAY_PROTOCOL_ERROR, HEADER_LEN, Header, HeaderError};

/// Every stream's receive window at its start, each way: 256 KiB, as the spec says.
/// Both sides assume it without saying it.
pub const INITIAL_WINDOW: u32 = 256 * 1024;

/// The largest a stream's receive window grows to: 16 MiB. It bounds what one stream
/// can make this side buffer when its reader stops reading.
pub const MAX_STREAM_WINDOW: u32 = 16 * 1024 * 1024;

/// Inbound streams waiting for [`Session::accept_stream`]: at most 256 (HashiCorp's
/// default accept backlog). Without a cap, a peer could open streams faster than the
/// application accepts them and grow this side's memory without bound; a SYN beyond it
/// is refused with RST. With their 256 KiB initial windows, waiting streams can make
/// this side hold at most 64 MiB.
pub const MAX_PENDING_ACCEPTS: usize = 256;

/// The largest Data frame this side sends: 64 KiB, so that streams sharing the
/// connection take turns in pieces no longer than about 30 µs of a 2 GB/s link.
const MAX_DATA_FRAME: usize = 64 * 1024;

/// Bytes queued for the connection beyond which writers wait: 1 MiB. Windows bound what
/// each stream queues; this bounds the sum over all of them.
const MAX_QUEUED_BYTES: usize = 1024 * 1024;

/// Answers (pongs, refusals with RST, resets) queued beyond which the reader stops
/// reading: 1,024. A peer that sends pings or SYNs without reading the answers is then
/// slowed down by TCP instead of filling this side's memory. Window updates do not
/// count: they come from this side's readers, at most two per window per stream.
const MAX_QUEUED_ANSWERS: usize = 1024;

/// How long an ended session keeps trying to deliver its last frames (its GoAway) to a
/// peer that does not read them: 5 s. Without a bound, such a peer would keep the
/// session's writer task and its buffers alive for as long as it keeps the connection.
const CLOSE_LINGER: Duration = Duration::from_secs(5);

/// Which end of the connection this is: it decides the parity of stream ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The side that dialled: odd stream ids.
    Client,
    /// The side that accepted the connection: even stream ids.
    Server,
}

/// Why a session or a stream cannot go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MuxError {
    /// The connection underneath ended or failed.
    #[error("the connection was lost")]
    ConnectionLost,
    /// The peer broke the protocol; this side sent GoAway with the protocol-error code.
    #[error("the peer broke the yamux protocol: {0}")]
    Protocol(&'static str),
    /// The peer ended the session with a GoAway error code (1, 2, or another).
    #[error("the peer ended the session with GoAway code {0}")]
    RemoteError(u32),
    /// The peer sent GoAway: it accepts no new streams.
    #[error("the peer accepts no new streams (GoAway)")]
    RemoteGoAway,
    /// This side closed the session.
    #[error("the session is closed")]
    Closed,
    /// The stream was reset (RST), by the peer or by this side.
    #[error("the stream was reset")]
    Reset,
    /// Writing after this side half-closed the stream.
    #[error("the stream is closed for writing")]
    WriteClosed,
    /// Every stream id of this side's parity has been used.
    #[error("no stream ids left")]
    StreamsExhausted,
}

impl From<MuxError> for io::Error {
    fn from(e: MuxError) -> io::Error {
        let kind = match e {
            MuxError::Reset => io::ErrorKind::ConnectionReset,
            MuxError::RemoteGoAway => io::ErrorKind::ConnectionRefused,
            MuxError::WriteClosed => io::ErrorKind::BrokenPipe,
            MuxError::StreamsExhausted => io::ErrorKind::Other,
            MuxError::ConnectionLost | MuxError::Protocol(_) | MuxError::RemoteError(_) | MuxError::Closed => {
                io::ErrorKind::ConnectionAborted
            }
        };
        io::Error::new(kind, e)
    }
}

/// A yamux session over one connection. Create it with [`Session::client`] on the side
/// that dialled and [`Session::server`] on the other, inside a tokio runtime.
pub struct Session {
    shared: Arc<Shared>,
}

/// One stream of a session: an ordered, flow-controlled byte stream, read and written
/// with tokio's `AsyncRead` and `AsyncWrite`. `shutdown()` half-closes it (FIN);
/// dropping it before either side closed it resets it (RST).
pub struct Stream {
    id: u32,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("Session")
            .field("mode", &st.mode)
            .field("streams", &st.streams.len())
            .field("pending", &st.pending.len())
            .field("accepting", &st.accept_wakers.len())
            .field("pings", &st.pings.len())
            .field("queued_bytes", &st.out.len())
            .field("ended", &st.ended)
            .finish()
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("id", &self.id).finish()
    }
}

/// What the handles and the two tasks share.
struct Shared {
    state: Mutex<State>,
    /// Something was queued for the writer (or the session ended).
    wake_writer: Notify,
    /// The writer drained the queue (for the reader's backpressure).
    space: Notify,
    /// Every handle is gone: the reader stops.
    stop_reader: Notify,
}

/// The session's state, behind one lock.
struct State {
    mode: Mode,
    /// The id of the next stream this side opens; `None` once they are used up.
    next_id: Option<u32>,
    streams: HashMap<u32, StreamState>,
    /// Inbound streams not yet accepted, oldest first.
    pending: VecDeque<u32>,
    accept_wakers: Vec<Waker>,
    /// Whether the `Session` handle still exists (someone may accept).
    acceptor: bool,
    /// Frames for the writer, back to back in one buffer, with room left for each
    /// header; the headers, and where each goes, are in `out_headers` (the writer
    /// encodes them there). One buffer, reused, rather than one allocation per frame.
    out: Vec<u8>,
    out_headers: Vec<(usize, Header)>,
    /// Pings, GoAways and resets in `out`: the frames a flood from the peer makes.
    out_answers: usize,
    /// Streams waiting for room in `out`.
    write_wakers: Vec<Waker>,
    /// Pings sent and not yet answered, by opaque value.
    pings: HashMap<u32, oneshot::Sender<()>>,
    next_ping: u32,
    local_go_away: bool,
    remote_go_away: bool,
    /// Why the session ended, once it has.
    ended: Option<MuxError>,
    /// Live `Session` and `Stream` handles.
    handles: usize,
}

/// One stream's state.
struct StreamState {
    /// False while an inbound stream waits in `pending`.
    accepted: bool,
    /// Received and not yet read.
    recv: Received,
    /// Bytes the peer may still send before our next update.
    recv_window: u32,
    /// The window this side grants: `recv.len() + recv_window <= max_window` always.
    max_window: u32,
    /// The reader found nothing to read since the last update.
    reader_waited: bool,
    /// Bytes this side may still send.
    send_window: u32,
    local_fin: bool,
    remote_fin: bool,
    reset: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// Bytes received on a stream and not yet read, in one ring buffer that keeps its
/// capacity (at most the stream's window) from one frame to the next.
#[derive(Default)]
struct Received {
    bytes: VecDeque<u8>,
}

impl Received {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn clear(&mut self) {
        self.bytes = VecDeque::new();
    }

    /// Moves as much as fits into `buf`.
    fn take_into(&mut self, buf: &mut ReadBuf<'_>) {
        let n = buf.remaining().min(self.bytes.len());
        let (front, back) = self.bytes.as_slices();
        let from_front = n.min(front.len());
        buf.put_slice(&front[..from_front]);
        buf.put_slice(&back[..n - from_front]);
        self.bytes.drain(..n);
    }
}

impl StreamState {
    fn new(accepted: bool) -> StreamState {
        StreamState {
            accepted,
            recv: Received::default(),
            recv_window: INITIAL_WINDOW,
            max_window: INITIAL_WINDOW,
            reader_waited: false,
            send_window: INITIAL_WINDOW,
            local_fin: false,
            remote_fin: false,
            reset: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn wake(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }
}

/// Adds a waker to a list, once: a task that polls again (a `select!` loop that makes a
/// new future each time round) must not grow the list. The data pointer names the task:
/// `will_wake` alone misses tokio's borrowed and owned wakers of one task.
fn remember(wakers: &mut Vec<Waker>, waker: &Waker) {
    if !wakers.iter().any(|w| w.will_wake(waker) || w.data() == waker.data()) {
        wakers.push(waker.clone());
    }
}

impl Shared {
    /// The state. A panic elsewhere never makes the session unusable: the lock's data
    /// is consistent between statements, so a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// Queues one frame for the writer.
    fn queue(&mut self, header: Header, body: &[u8]) {
        if matches!(header.kind, FrameType::Ping | FrameType::GoAway) || header.flags.contains(Flags::RST) {
            self.out_answers += 1;
        }
        let at = self.out.len();
        self.out.resize(at + HEADER_LEN, 0);
        self.out.extend_from_slice(body);
        self.out_headers.push((at, header));
    }

    /// Ends the session (the first reason wins) and wakes everyone who waits on it.
    fn end(&mut self, why: MuxError) {
        if self.ended.is_some() {
            return;
        }
        self.ended = Some(why);
        for s in self.streams.values_mut() {
            s.wake();
        }
        for w in self.accept_wakers.drain(..).chain(self.write_wakers.drain(..)) {
            w.wake();
        }
        // Dropping the senders fails every ping still waiting.
        self.pings.clear();
    }

    /// The peer broke the protocol: tell it why (GoAway, protocol error) and end.
    fn violation(&mut self, why: &'static str) {
        if self.ended.is_none() {
            self.queue(Header::new(FrameType::GoAway, Flags::NONE, 0, GO_AWAY_PROTOCOL_ERROR), &[]);
        }
        self.end(MuxError::Protocol(why));
    }

    /// One handle fewer; the last one closes the session.
    fn release(&mut self) {
        self.handles = self.handles.saturating_sub(1);
        if self.handles == 0 && self.ended.is_none() {
            self.queue(Header::new(FrameType::GoAway, Flags::NONE, 0, GO_AWAY_NORMAL), &[]);
            self.end(MuxError::Closed);
        }
    }

    /// Whether an inbound SYN with this id is ours by parity (so not the peer's to use).
    fn is_local_id(&self, id: u32) -> bool {
        match self.mode {
            Mode::Client => !id.is_multiple_of(2),
            Mode::Server => id.is_multiple_of(2),
        }
    }

    /// Called with a Data header before its body is read: may the peer send these
    /// bytes? `Ok(true)`: read them for the stream; `Ok(false)`: read and discard them
    /// (a stream this side no longer knows); `Err`: a violation.
    fn admit_data(&self, header: &Header) -> Result<bool, &'static str> {
        if header.length > MAX_STREAM_WINDOW {
            return Err("a data frame larger than any window");
        }
        if header.flags.contains(Flags::SYN) && !self.streams.contains_key(&header.stream_id) {
            // A new stream: its window is the initial one.
            return if header.length > INITIAL_WINDOW { Err("data beyond the window") } else { Ok(true) };
        }
        match self.streams.get(&header.stream_id) {
            Some(s) if header.length > s.recv_window => Err("data beyond the window"),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Applies one frame from the peer. An error is a protocol violation.
    fn on_frame(&mut self, header: Header, body: &[u8]) -> Result<(), &'static str> {
        match header.kind {
            FrameType::Ping => {
                if header.flags.contains(Flags::SYN) {
                    self.queue(Header::new(FrameType::Ping, Flags::ACK, 0, header.length), &[]);
                } else if header.flags.contains(Flags::ACK)
                    && let Some(answer) = self.pings.remove(&header.length)
                {
                    let _ = answer.send(());
                }
                Ok(())
            }
            FrameType::GoAway => {
                if header.length == GO_AWAY_NORMAL {
                    self.remote_go_away = true;
                } else {
                    self.end(MuxError::RemoteError(header.length));
                }
                Ok(())
            }
            FrameType::Data | FrameType::WindowUpdate => self.on_stream_frame(header, body),
        }
    }

    /// A Data or WindowUpdate frame: SYN first, then the window or the bytes, then FIN
    /// and RST.
    fn on_stream_frame(&mut self, header: Header, body: &[u8]) -> Result<(), &'static str> {
        let id = header.stream_id;
        if id == 0 {
            return Err("a stream frame on stream 0");
        }
        if header.flags.contains(Flags::SYN) && !self.on_syn(id)? {
            return Ok(());
        }
        let Some(s) = self.streams.get_mut(&id) else {
            // A stream this side forgot (dropped or refused): tell the writer to stop.
            if header.kind == FrameType::Data && header.length > 0 && !header.flags.contains(Flags::RST) {
                self.queue(Header::new(FrameType::WindowUpdate, Flags::RST, id, 0), &[]);
            }
            return Ok(());
        };
        match header.kind {
            FrameType::WindowUpdate => {
                s.send_window = s.send_window.checked_add(header.length).ok_or("a window over 2^32 - 1")?;
                if let Some(w) = s.write_waker.take() {
                    w.wake();
                }
            }
            _ if !body.is_empty() => {
                if s.remote_fin {
                    return Err("data after FIN");
                }
                // admit_data checked the length against the window already.
                s.recv_window = s.recv_window.checked_sub(body.len() as u32).ok_or("data beyond the window")?;
                if !s.reset {
                    s.recv.push(body);
                }
                if let Some(w) = s.read_waker.take() {
                    w.wake();
                }
            }
            _ => {}
        }
        if header.flags.contains(Flags::FIN) {
            s.remote_fin = true;
            s.wake();
        }
        if header.flags.contains(Flags::RST) {
            s.reset = true;
            s.wake();
            if !s.accepted {
                // Nobody holds it yet: forget it now.
                self.streams.remove(&id);
                self.pending.retain(|&p| p != id);
            }
        }
        Ok(())
    }

    /// A SYN: a new inbound stream. `Ok(false)` if it was refused with RST.
    fn on_syn(&mut self, id: u32) -> Result<bool, &'static str> {
        if self.is_local_id(id) {
            return Err("a SYN with a stream id of our parity");
        }
        if self.streams.contains_key(&id) {
            return Err("a SYN for a stream id in use");
        }
        if self.local_go_away || !self.acceptor || self.pending.len() >= MAX_PENDING_ACCEPTS {
            self.queue(Header::new(FrameType::WindowUpdate, Flags::RST, id, 0), &[]);
            return Ok(false);
        }
        self.streams.insert(id, StreamState::new(false));
        self.pending.push_back(id);
        for w in self.accept_wakers.drain(..) {
            w.wake();
        }
        Ok(true)
    }
}

impl Session {
    /// A session for the side that dialled the connection (odd stream ids).
    pub fn client<T>(io: T) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + 'static,
    {
        Session::new(io, Mode::Client)
    }

    /// A session for the side that accepted the connection (even stream ids).
    pub fn server<T>(io: T) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + 'static,
    {
        Session::new(io, Mode::Server)
    }

    /// Starts yamux over `io` in the given mode. Must be called inside a tokio runtime:
    /// it spawns the session's reader and writer tasks.
    pub fn new<T>(io: T, mode: Mode) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + 'static,
    {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                mode,
                next_id: Some(match mode {
                    Mode::Client => 1,
                    Mode::Server => 2,
                }),
                streams: HashMap::new(),
                pending: VecDeque::new(),
                accept_wakers: Vec::new(),
                acceptor: true,
                out: Vec::new(),
                out_headers: Vec::new(),
                out_answers: 0,
                write_wakers: Vec::new(),
                pings: HashMap::new(),
                next_ping: 0,
                local_go_away: false,
                remote_go_away: false,
                ended: None,
                handles: 1,
            }),
            wake_writer: Notify::new(),
            space: Notify::new(),
            stop_reader: Notify::new(),
        });
        let (read, write) = tokio::io::split(io);
        tokio::spawn(write_loop(shared.clone(), write));
        tokio::spawn(read_loop(shared.clone(), read));
        Session { shared }
    }

    /// Opens a new stream: sends its SYN at once, so the peer learns of it before the
    /// first byte. Data may be written right away, before the peer's ACK. Fails once
    /// the session has ended, or when the peer said GoAway.
    pub async fn open_stream(&self) -> Result<Stream, MuxError> {
        let mut st = self.shared.lock();
        if let Some(why) = &st.ended {
            return Err(why.clone());
        }
        if st.remote_go_away {
            return Err(MuxError::RemoteGoAway);
        }
        let id = st.next_id.ok_or(MuxError::StreamsExhausted)?;
        st.next_id = id.checked_add(2);
        st.streams.insert(id, StreamState::new(true));
        st.handles += 1;
        st.queue(Header::new(FrameType::WindowUpdate, Flags::SYN, id, 0), &[]);
        drop(st);
        self.shared.wake_writer.notify_one();
        Ok(Stream { id, shared: self.shared.clone() })
    }

    /// The next stream the peer opened, acknowledged (ACK) as it is handed out; `None`
    /// once the session has ended and no opened stream is left to accept.
    pub async fn accept_stream(&self) -> Option<Stream> {
        std::future::poll_fn(|cx| {
            let mut st = self.shared.lock();
            let st = &mut *st;
            while let Some(id) = st.pending.pop_front() {
                let Some(s) = st.streams.get_mut(&id) else { continue };
                if s.accepted {
                    continue;
                }
                s.accepted = true;
                st.handles += 1;
                if st.ended.is_none() {
                    st.queue(Header::new(FrameType::WindowUpdate, Flags::ACK, id, 0), &[]);
                }
                self.shared.wake_writer.notify_one();
                return Poll::Ready(Some(Stream { id, shared: self.shared.clone() }));
            }
            if st.ended.is_some() {
                return Poll::Ready(None);
            }
            remember(&mut st.accept_wakers, cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Sends a Ping and waits for its answer (an ACK with the same opaque value): the
    /// round-trip time over the session. Fails if the session ends first. A ping given
    /// up on (its future dropped, say by a timeout) is forgotten, so a peer that never
    /// answers costs nothing that grows.
    pub async fn ping(&self) -> Result<Duration, MuxError> {
        let (answer, answered) = oneshot::channel();
        {
            let mut st = self.shared.lock();
            if let Some(why) = &st.ended {
                return Err(why.clone());
            }
            // Forget pings whose callers gave up waiting (a timeout dropped them).
            st.pings.retain(|_, waiting| !waiting.is_closed());
            let opaque = st.next_ping;
            st.next_ping = st.next_ping.wrapping_add(1);
            st.pings.insert(opaque, answer);
            st.queue(Header::new(FrameType::Ping, Flags::SYN, 0, opaque), &[]);
        }
        self.shared.wake_writer.notify_one();
        let started = Instant::now();
        match answered.await {
            Ok(()) => Ok(started.elapsed()),
            Err(_) => Err(self.shared.lock().ended.clone().unwrap_or(MuxError::Closed)),
        }
    }

    /// Sends GoAway with the normal code: this side accepts no new streams (later SYNs
    /// are refused with RST), while the streams already open carry on.
    pub async fn go_away(&self) -> Result<(), MuxError> {
        let mut st = self.shared.lock();
        if let Some(why) = &st.ended {
            return Err(why.clone());
        }
        if !st.local_go_away {
            st.local_go_away = true;
            st.queue(Header::new(FrameType::GoAway, Flags::NONE, 0, GO_AWAY_NORMAL), &[]);
        }
        drop(st);
        self.shared.wake_writer.notify_one();
        Ok(())
    }

    /// Why the session ended, once it has: the connection was lost, a side broke the
    /// protocol or went away, or every handle was dropped.
    pub fn ended(&self) -> Option<MuxError> {
        self.shared.lock().ended.clone()
    }
}

impl Drop for Session {
    /// Nobody can accept any more: refuse the streams still waiting (RST), and close the
    /// session if no stream is left.
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.acceptor = false;
        let pending: Vec<u32> = st.pending.drain(..).collect();
        for id in pending {
            if st.streams.get(&id).is_some_and(|s| !s.accepted) {
                st.streams.remove(&id);
                if st.ended.is_none() {
                    st.queue(Header::new(FrameType::WindowUpdate, Flags::RST, id, 0), &[]);
                }
            }
        }
        st.release();
        let closing = st.handles == 0;
        drop(st);
        self.shared.wake_writer.notify_one();
        if closing {
            self.shared.stop_reader.notify_one();
        }
    }
}

/// Writes what the handles and the reader queue, in order, flushing whenever the queue
/// runs dry. Ends (shutting the connection's write side down) once the session has
/// ended and everything queued is written.
async fn write_loop<W: AsyncWrite + Unpin>(shared: Arc<Shared>, mut writer: W) {
    // Swapped with the state's queue: everything queued leaves in one write.
    let mut batch = Vec::new();
    let mut headers = Vec::new();
    loop {
        let (ended, finished) = {
            let mut st = shared.lock();
            std::mem::swap(&mut st.out, &mut batch);
            std::mem::swap(&mut st.out_headers, &mut headers);
            st.out_answers = 0;
            for w in st.write_wakers.drain(..) {
                w.wake();
            }
            (st.ended.is_some(), st.ended.is_some() && batch.is_empty())
        };
        shared.space.notify_one();
        if finished {
            let _ = tokio::time::timeout(CLOSE_LINGER, writer.shutdown()).await;
            return;
        }
        if batch.is_empty() {
            shared.wake_writer.notified().await;
            continue;
        }
        for (at, header) in headers.drain(..) {
            batch[at..at + HEADER_LEN].copy_from_slice(&header.encode());
        }
        let written = write_batch(&shared, &mut writer, &batch, ended).await;
        if written.is_err() {
            shared.lock().end(MuxError::ConnectionLost);
            shared.space.notify_one();
            return;
        }
        // Keep the buffer's capacity while frames flow; give it back when they trickle.
        if batch.len() < MAX_DATA_FRAME {
            batch.shrink_to(MAX_DATA_FRAME);
        }
        batch.clear();
    }
}

/// Writes one batch. Once the session has ended (before or during the write), the peer
/// gets [`CLOSE_LINGER`] to take the rest.
async fn write_batch<W: AsyncWrite + Unpin>(
    shared: &Shared,
    writer: &mut W,
    batch: &[u8],
    ended: bool,
) -> io::Result<()> {
    let write = async {
        writer.write_all(batch).await?;
        writer.flush().await
    };
    let mut write = std::pin::pin!(write);
    if !ended {
        loop {
            tokio::select! {
                done = &mut write => return done,
                // Frames queued meanwhile wait for the next batch; an end starts the linger.
                _ = shared.wake_writer.notified() => {
                    if shared.lock().ended.is_some() {
                        break;
                    }
                }
            }
        }
    }
    tokio::time::timeout(CLOSE_LINGER, &mut write).await.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

/// Why the reader stopped.
enum Stop {
    /// The connection ended or failed.
    Lost,
    /// The peer broke the protocol.
    Violation(&'static str),
}

/// Reads frames and applies them until the connection ends, the peer breaks the
/// protocol, or every handle is dropped.
async fn read_loop<R: AsyncRead + Unpin>(shared: Arc<Shared>, read: R) {
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    // One body buffer for every frame, rather than an allocation per frame.
    let mut body = Vec::new();
    let stop = loop {
        let frame = tokio::select! {
            biased;
            _ = shared.stop_reader.notified() => return,
            frame = read_frame(&mut reader, &shared, &mut body) => frame,
        };
        let header = match frame {
            Ok(header) => header,
            Err(stop) => break stop,
        };
        {
            let mut st = shared.lock();
            if st.ended.is_some() {
                return;
            }
            if let Err(why) = st.on_frame(header, &body) {
                break Stop::Violation(why);
            }
        }
        // A frame larger than ours may have grown the buffer: keep at most one of ours.
        body.shrink_to(MAX_DATA_FRAME);
        shared.wake_writer.notify_one();
        // Backpressure: a peer that does not read our answers stops being read.
        loop {
            let space = shared.space.notified();
            {
                let st = shared.lock();
                if st.out_answers < MAX_QUEUED_ANSWERS || st.ended.is_some() {
                    break;
                }
            }
            space.await;
        }
    };
    {
        let mut st = shared.lock();
        match stop {
            Stop::Lost => st.end(MuxError::ConnectionLost),
            Stop::Violation(why) => st.violation(why),
        }
    }
    shared.wake_writer.notify_one();
}

/// Reads one frame: the header, then (for Data) its body into `body`, once the window
/// allows it.
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, shared: &Shared, body: &mut Vec<u8>) -> Result<Header, Stop> {
    body.clear();
    let mut head = [0u8; HEADER_LEN];
    reader.read_exact(&mut head).await.map_err(|_| Stop::Lost)?;
    let header = Header::decode(&head).map_err(|e| {
        Stop::Violation(match e {
            HeaderError::Version(_) => "a version other than 0",
            HeaderError::Type(_) => "an unknown frame type",
        })
    })?;
    if header.kind != FrameType::Data || header.length == 0 {
        return Ok(header);
    }
    let keep = shared.lock().admit_data(&header).map_err(Stop::Violation)?;
    let len = u64::from(header.length);
    if keep {
        // admit_data compared the length with the window this side granted: the memory
        // was promised, so it can be set aside at once.
        body.reserve_exact(header.length as usize);
        let mut frame = (&mut *reader).take(len);
        while (body.len() as u64) < len {
            if frame.read_buf(body).await.map_err(|_| Stop::Lost)? == 0 {
                return Err(Stop::Lost);
            }
        }
    } else {
        let skipped =
            tokio::io::copy(&mut (&mut *reader).take(len), &mut tokio::io::sink()).await.map_err(|_| Stop::Lost)?;
        if skipped != len {
            return Err(Stop::Lost);
        }
    }
    Ok(header)
}

impl Stream {
    /// The stream's id: odd if the client opened it, even if the server did.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Resets the stream (RST): both directions end at once, here and at the peer,
    /// whose reads and writes then fail with `ConnectionReset`.
    pub fn reset(&mut self) {
        {
            let mut guard = self.shared.lock();
            let st = &mut *guard;
            let live = st.ended.is_none();
            if let Some(s) = st.streams.get_mut(&self.id)
                && !s.reset
            {
                s.reset = true;
                s.recv.clear();
                s.wake();
                if live {
                    st.queue(Header::new(FrameType::WindowUpdate, Flags::RST, self.id, 0), &[]);
                }
            }
        }
        self.shared.wake_writer.notify_one();
    }
}

impl AsyncRead for Stream {
    /// Bytes in order; a clean end (0 bytes) only after the peer's FIN. Reading gives
    /// the peer its window back, half a window at a time (doubled when this reader has
    /// been waiting on the window). Fails with `ConnectionReset` after a reset (what was
    /// not read yet goes with it, as in HashiCorp's implementation), and with
    /// `ConnectionAborted` if the session ended before the FIN.
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.lock();
        let st = &mut *st;
        let ended = st.ended.clone();
        let Some(s) = st.streams.get_mut(&self.id) else {
            return Poll::Ready(Err(MuxError::Reset.into()));
        };
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if s.reset {
            return Poll::Ready(Err(MuxError::Reset.into()));
        }
        if !s.recv.is_empty() {
            s.recv.take_into(buf);
            // Give the window back once half of it has been consumed.
            let consumed = s.max_window.saturating_sub(s.recv.len() as u32).saturating_sub(s.recv_window);
            if !s.remote_fin && ended.is_none() && consumed >= s.max_window / 2 {
                if s.reader_waited {
                    s.max_window = s.max_window.saturating_mul(2).min(MAX_STREAM_WINDOW);
                }
                s.reader_waited = false;
                let delta = s.max_window.saturating_sub(s.recv.len() as u32).saturating_sub(s.recv_window);
                s.recv_window += delta;
                st.queue(Header::new(FrameType::WindowUpdate, Flags::NONE, self.id, delta), &[]);
                self.shared.wake_writer.notify_one();
            }
            return Poll::Ready(Ok(()));
        }
        if s.remote_fin {
            return Poll::Ready(Ok(()));
        }
        if let Some(why) = ended {
            return Poll::Ready(Err(why.into()));
        }
        s.reader_waited = true;
        s.read_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl AsyncWrite for Stream {
    /// Queues up to one Data frame of `buf` (at most the send window); waits while the
    /// window is empty or the connection's queue is full.
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut st = self.shared.lock();
        let st = &mut *st;
        let ended = st.ended.clone();
        let queue_full = st.out.len() >= MAX_QUEUED_BYTES;
        let Some(s) = st.streams.get_mut(&self.id) else {
            return Poll::Ready(Err(MuxError::Reset.into()));
        };
        if s.reset {
            return Poll::Ready(Err(MuxError::Reset.into()));
        }
        if s.local_fin {
            return Poll::Ready(Err(MuxError::WriteClosed.into()));
        }
        if let Some(why) = ended {
            return Poll::Ready(Err(why.into()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if s.send_window == 0 {
            s.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if queue_full {
            remember(&mut st.write_wakers, cx.waker());
            return Poll::Pending;
        }
        let n = buf.len().min(s.send_window as usize).min(MAX_DATA_FRAME);
        s.send_window -= n as u32;
        st.queue(Header::new(FrameType::Data, Flags::NONE, self.id, n as u32), &buf[..n]);
        self.shared.wake_writer.notify_one();
        Poll::Ready(Ok(n))
    }

    /// Frames are written by the session's writer task as soon as it can: nothing to do.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Half-closes the stream (FIN): the peer reads to the end, and may still write.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.lock();
        let st = &mut *st;
        let ended = st.ended.clone();
        let Some(s) = st.streams.get_mut(&self.id) else {
            return Poll::Ready(Err(MuxError::Reset.into()));
        };
        if s.local_fin {
            return Poll::Ready(Ok(()));
        }
        if s.reset {
            return Poll::Ready(Err(MuxError::Reset.into()));
        }
        if let Some(why) = ended {
            return Poll::Ready(Err(why.into()));
        }
        s.local_fin = true;
        st.queue(Header::new(FrameType::Data, Flags::FIN, self.id, 0), &[]);
        self.shared.wake_writer.notify_one();
        Poll::Ready(Ok(()))
    }
}

impl Drop for Stream {
    /// Forgets the stream. Not half-closed by either side: RST. Half-closed by the peer
    /// only: FIN, which closes it for good. Half-closed by this side: nothing more (data
    /// the peer still sends is answered with RST).
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        if let Some(s) = st.streams.remove(&self.id)
            && !s.reset
            && st.ended.is_none()
        {
            match (s.local_fin, s.remote_fin) {
                (false, false) => st.queue(Header::new(FrameType::WindowUpdate, Flags::RST, self.id, 0), &[]),
                (false, true) => st.queue(Header::new(FrameType::Data, Flags::FIN, self.id, 0), &[]),
                (true, _) => {}
            }
        }
        st.release();
        let closing = st.handles == 0;
        drop(st);
        self.shared.wake_writer.notify_one();
        if closing {
            self.shared.stop_reader.notify_one();
        }
    }
}
