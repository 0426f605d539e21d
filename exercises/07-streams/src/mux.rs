//! Substreams over one connection, with flow control per substream.
//!
//! Every frame (see [`crate::frame`]) carries one message:
//!
//! ```text
//! varint(stream id) ‖ kind ‖ body
//! kind 0 Open          a new substream (no body)
//! kind 1 Data          body: up to 64 KiB of the substream's bytes
//! kind 2 Close         the sender will send no more on this substream
//! kind 3 WindowUpdate  body: varint(n), the receiver has consumed n more bytes
//! ```
//!
//! The dialer numbers its substreams 1, 3, 5, …, the listener 2, 4, 6, …, so the two never
//! pick the same id. Each side may have at most [`WINDOW`] bytes of a substream in flight
//! that the other side's reader has not consumed yet: a writer waits for window updates,
//! so a slow reader slows its writer down (backpressure) instead of making the receiving
//! side buffer without bound, and a stalled substream does not hold up the others. A peer
//! that sends beyond the window, or sends a malformed message, breaks the protocol, and
//! the connection is closed.
//!
//! The connection is driven by two tasks: one reads frames and routes them to
//! substreams; one writes the frames that substreams queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::{Notify, mpsc};

use crate::frame::{read_frame, write_frame};

/// The flow-control window of each substream, each way: 256 KiB.
pub const WINDOW: u64 = 256 * 1024;
/// The largest Data body: 64 KiB.
const CHUNK: usize = 64 * 1024;

const OPEN: u8 = 0;
const DATA: u8 = 1;
const CLOSE: u8 = 2;
const WINDOW_UPDATE: u8 = 3;

/// Which end of the connection this is: it decides the parity of substream ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The side that opened the connection: odd ids.
    Dialer,
    /// The side that accepted it: even ids.
    Listener,
}

/// Send credit shared by a substream and the connection's reader.
#[derive(Default)]
struct Credit {
    available: Mutex<u64>,
    notify: Notify,
    closed: std::sync::atomic::AtomicBool,
}

impl Credit {
    fn add(&self, n: u64) {
        // TODO (step 6): add n to the credit and wake a waiting writer
        todo!()
    }

    fn close(&self) {

        // TODO (step 6): mark closed and wake a waiting writer

        todo!()

    }

    /// Waits for some credit and takes up to `want` bytes of it.
    async fn take(&self, want: u64) -> Option<u64> {
        // TODO (step 6): wait until some credit is available (or closed: None), take up to `want`
        todo!()
    }
}

/// What the reader keeps per substream.
struct Route {
    inbound: mpsc::UnboundedSender<Vec<u8>>,
    credit: Arc<Credit>,
    /// Bytes received and not yet consumed by the substream's reader.
    unconsumed: Arc<AtomicU64>,
}

type Routes = Arc<Mutex<HashMap<u64, Route>>>;

/// A multiplexed connection.
pub struct Mux {
    next_id: AtomicU64,
    out: mpsc::Sender<Vec<u8>>,
    routes: Routes,
    incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<Substream>>,
}

/// One substream: an ordered, flow-controlled byte channel inside the connection.
pub struct Substream {
    id: u64,
    out: mpsc::Sender<Vec<u8>>,
    inbound: mpsc::UnboundedReceiver<Vec<u8>>,
    credit: Arc<Credit>,
    unconsumed: Arc<AtomicU64>,
}

fn message(id: u64, kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = varint(id);
    m.push(kind);
    m.extend_from_slice(body);
    m
}

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

impl Mux {
    /// Starts multiplexing over `io`. Must be called inside a tokio runtime.
    pub fn new<T>(io: T, role: Role) -> Mux
    where
        T: AsyncRead + AsyncWrite + Send + 'static,
    {
        // TODO (step 4): split io; spawn a writer task (frames from the queue) and a reader task (route each frame; on the end or a violation, close every substream)
        todo!()
    }

    /// Opens a new substream.
    pub async fn open(&self) -> std::io::Result<Substream> {
        // TODO (step 4): the next id of this role (odd for the dialer, even for the listener); register it; send Open
        todo!()
    }

    /// Waits for the next substream the other side opens; `None` once the connection
    /// is closed.
    pub async fn accept(&self) -> Option<Substream> {
        // TODO (step 4)
        todo!()
    }
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the connection is closed")
}

fn new_substream(id: u64, out: &mpsc::Sender<Vec<u8>>, routes: &Routes) -> Substream {

    // TODO (step 4): register a route (inbound channel, credit of WINDOW, unconsumed counter) and return the Substream

    todo!()

}

/// Handles one received message. An error means the peer broke the protocol.
fn route(
    frame: &[u8],
    routes: &Routes,
    out: &mpsc::Sender<Vec<u8>>,
    incoming: &mpsc::UnboundedSender<Substream>,
) -> Result<(), &'static str> {
    // TODO (step 4): Open, Data (step 7: unknown substream or beyond WINDOW is an error), Close, WindowUpdate; unknown kinds are errors
    todo!()
}

impl Substream {
    /// The substream's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends `data`, waiting for window updates when the peer's reader is behind.
    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        // TODO (step 4): in Data messages of at most CHUNK bytes, each after taking credit (step 6)
        todo!()
    }

    /// The next chunk of data, in order; `None` once the other side closed the
    /// substream (or the connection ended) and everything was read.
    pub async fn read(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        // TODO (step 4): the next chunk; then give its length back to the writer with a WindowUpdate
        todo!()
    }

    /// Tells the other side no more data will come on this substream.
    pub async fn close(&mut self) -> std::io::Result<()> {
        // TODO (step 4): send Close
        todo!()
    }
}
