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
        *self.available.lock().expect("not poisoned") += n;
        self.notify.notify_one();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Waits for some credit and takes up to `want` bytes of it.
    async fn take(&self, want: u64) -> Option<u64> {
        loop {
            let notified = self.notify.notified();
            {
                let mut available = self.available.lock().expect("not poisoned");
                if *available > 0 {
                    let n = (*available).min(want);
                    *available -= n;
                    return Some(n);
                }
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            notified.await;
        }
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
        let (read, write) = tokio::io::split(io);
        let (out, mut queue) = mpsc::channel::<Vec<u8>>(64);
        let routes: Routes = Arc::default();
        let (incoming_tx, incoming) = mpsc::unbounded_channel();

        tokio::spawn(async move {
            let mut writer = BufWriter::with_capacity(256 << 10, write);
            while let Some(frame) = queue.recv().await {
                if write_frame(&mut writer, &frame).await.is_err() {
                    return;
                }
                // Flush when nothing else is queued: batches frames under load.
                if queue.is_empty() && writer.flush().await.is_err() {
                    return;
                }
            }
            let _ = writer.shutdown().await;
        });

        let reader_routes = routes.clone();
        let reader_out = out.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::with_capacity(256 << 10, read);
            while let Ok(Some(frame)) = read_frame(&mut reader, CHUNK + 16).await {
                if route(&frame, &reader_routes, &reader_out, &incoming_tx).is_err() {
                    break;
                }
            }
            // The connection is over (or broken): end every substream.
            for (_, route) in reader_routes.lock().expect("not poisoned").drain() {
                route.credit.close();
            }
        });

        let first = match role {
            Role::Dialer => 1,
            Role::Listener => 2,
        };
        Mux { next_id: AtomicU64::new(first), out, routes, incoming: tokio::sync::Mutex::new(incoming) }
    }

    /// Opens a new substream.
    pub async fn open(&self) -> std::io::Result<Substream> {
        let id = self.next_id.fetch_add(2, Ordering::Relaxed);
        let substream = new_substream(id, &self.out, &self.routes);
        self.out.send(message(id, OPEN, &[])).await.map_err(|_| closed())?;
        Ok(substream)
    }

    /// Waits for the next substream the other side opens; `None` once the connection
    /// is closed.
    pub async fn accept(&self) -> Option<Substream> {
        self.incoming.lock().await.recv().await
    }
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the connection is closed")
}

fn new_substream(id: u64, out: &mpsc::Sender<Vec<u8>>, routes: &Routes) -> Substream {
    let (tx, inbound) = mpsc::unbounded_channel();
    let credit = Arc::new(Credit::default());
    credit.add(WINDOW);
    let unconsumed = Arc::new(AtomicU64::new(0));
    routes.lock().expect("not poisoned").insert(id, Route { inbound: tx, credit: credit.clone(), unconsumed: unconsumed.clone() });
    Substream { id, out: out.clone(), inbound, credit, unconsumed }
}

/// Handles one received message. An error means the peer broke the protocol.
fn route(
    frame: &[u8],
    routes: &Routes,
    out: &mpsc::Sender<Vec<u8>>,
    incoming: &mpsc::UnboundedSender<Substream>,
) -> Result<(), &'static str> {
    let (id, used) = read_varint(frame).ok_or("a bad stream id")?;
    let (&kind, body) = frame[used..].split_first().ok_or("no message kind")?;
    match kind {
        OPEN => {
            if routes.lock().expect("not poisoned").contains_key(&id) {
                return Err("a substream opened twice");
            }
            let _ = incoming.send(new_substream(id, out, routes));
        }
        DATA => {
            let mut routes = routes.lock().expect("not poisoned");
            let route = routes.get(&id).ok_or("data for an unknown substream")?;
            let total = route.unconsumed.fetch_add(body.len() as u64, Ordering::SeqCst) + body.len() as u64;
            if total > WINDOW {
                return Err("data beyond the flow-control window");
            }
            if route.inbound.send(body.to_vec()).is_err() {
                // The substream was dropped locally; forget it.
                routes.remove(&id);
            }
        }
        CLOSE => {
            // Dropping the sender ends the substream's reads once its data is consumed.
            if let Some(route) = routes.lock().expect("not poisoned").get_mut(&id) {
                let (dead, _) = mpsc::unbounded_channel();
                route.inbound = dead;
            }
        }
        WINDOW_UPDATE => {
            let (n, _) = read_varint(body).ok_or("a bad window update")?;
            if let Some(route) = routes.lock().expect("not poisoned").get(&id) {
                route.credit.add(n);
            }
        }
        _ => return Err("an unknown message kind"),
    }
    Ok(())
}

impl Substream {
    /// The substream's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends `data`, waiting for window updates when the peer's reader is behind.
    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.credit.take(rest.len().min(CHUNK) as u64).await.ok_or_else(closed)? as usize;
            self.out.send(message(self.id, DATA, &rest[..n])).await.map_err(|_| closed())?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// The next chunk of data, in order; `None` once the other side closed the
    /// substream (or the connection ended) and everything was read.
    pub async fn read(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let Some(data) = self.inbound.recv().await else { return Ok(None) };
        // Consumed: give the writer its credit back.
        self.unconsumed.fetch_sub(data.len() as u64, Ordering::SeqCst);
        let _ = self.out.send(message(self.id, WINDOW_UPDATE, &varint(data.len() as u64))).await;
        Ok(Some(data))
    }

    /// Tells the other side no more data will come on this substream.
    pub async fn close(&mut self) -> std::io::Result<()> {
        self.out.send(message(self.id, CLOSE, &[])).await.map_err(|_| closed())
    }
}
