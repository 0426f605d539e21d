//! The server: a task per connection around one shared registry.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::proto::{ErrorCode, Frame, MAX_FRAME, Reply, Request, parse_request, read_frame, to_line};
use crate::registry::Registry;

/// How many messages may wait for one slow connection. A subscriber that falls this
/// far behind is cut off rather than allowed to grow the server's memory.
pub const QUEUE: usize = 1024;

/// How often expired registrations are swept even if nobody asks.
pub const SWEEP: Duration = Duration::from_secs(1);

/// How many connections may be open at once: 4,096. A workshop room is a hundred
/// laptops or so, each with a connection or two; each connection costs a file
/// descriptor, two tasks and their buffers (a few KiB). Beyond the cap a new connection
/// is closed at once, so a flood cannot take every descriptor the process has.
pub const MAX_CONNECTIONS: usize = 4096;

/// How long a connection may go without a complete request, unless it holds a
/// subscription: 30 s. Honest clients send a request and wait for its reply; an idle
/// connection or a slowloris (a request trickled a byte at a time, never finished)
/// only holds a slot, and is closed. A subscriber waits for pushes by design and is
/// exempt; it is bounded by [`MAX_CONNECTIONS`] and cut off when it stops reading.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one write may take: 10 s. A client that stops reading must not keep its
/// connection (and descriptor) open for ever once its queue is full.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How many registrations one connection may make, and how many topics it may
/// subscribe to: 1,000 each. A peer registers itself under a few topics, a tool
/// testing a crowd under a few hundred; a client making more is filling the server's
/// memory, not finding peers.
pub const MAX_PER_CLIENT: usize = 1000;

/// How many registrations the server holds at most: 100,000, a few hundred bytes
/// each, so tens of MiB at worst. Registrations outlive their connection (a peer
/// registers and goes), so the per-client cap alone would not bound them.
pub const MAX_REGISTRATIONS: usize = 100_000;

/// The longest pause between two tries of a failing `accept`.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

struct Shared {
    registry: Mutex<Registry>,
    /// Per topic, the queues of the connections subscribed to it.
    subscribers: Mutex<HashMap<String, Vec<mpsc::Sender<Reply>>>>,
    started: Instant,
}

impl Shared {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }
}

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl ServerHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and drops the open ones.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts serving on `listener` in the background.
pub fn spawn(listener: TcpListener) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        registry: Mutex::new(Registry::new()),
        subscribers: Mutex::new(HashMap::new()),
        started: Instant::now(),
    });
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        let mut sweep = tokio::time::interval(SWEEP);
        // Failed accepts in a row; while they last, accepting pauses.
        let mut failures = 0u32;
        let mut paused_until: Option<Instant> = None;
        loop {
            let resume = paused_until;
            tokio::select! {
                accepted = listener.accept(), if resume.is_none() => match accepted {
                    Ok((stream, _)) => {
                        if failures > 1 {
                            eprintln!("rendezvous: accepting again after {failures} failed accepts");
                        }
                        failures = 0;
                        // Over the cap the stream is dropped, which closes it.
                        if connections.len() < MAX_CONNECTIONS {
                            connections.spawn(connection(stream, shared.clone()));
                        }
                    }
                    // Out of file descriptors, say: that is not a reason to stop serving
                    // everyone else, nor to retry at once (it would fail at once, for as
                    // long as the limit holds). Pause, longer each time, and say so once.
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        if failures == 1 {
                            eprintln!("rendezvous: accept failed: {e}; retrying with a growing pause");
                        }
                        let pause = Duration::from_millis(10).saturating_mul(1 << failures.min(7)).min(MAX_ACCEPT_PAUSE);
                        paused_until = Some(Instant::now() + pause);
                    }
                },
                _ = sleep_until(resume), if resume.is_some() => paused_until = None,
                _ = sweep.tick() => {
                    let now = shared.now();
                    shared.registry.lock().expect("no panics while locked").expire(now);
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(ServerHandle { addr, task })
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What the server remembers about one connection, so that it can bound what the
/// connection may ask for and undo it when the client leaves.
#[derive(Default)]
struct Session {
    /// The (topic, peer) pairs this connection registered.
    registered: HashSet<(String, String)>,
    /// The topics this connection subscribed to.
    subscribed: HashSet<String>,
}

/// Serves one client until it leaves, goes idle for [`IDLE_TIMEOUT`] without a
/// subscription, or stops reading. Replies and pushes go through one queue to a
/// writer task, so a push from another connection never interleaves with a reply.
/// When it ends, everything it held goes with it: its subscriptions' queues (and with
/// them the writer and the socket), so a departed client costs nothing.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Reply>(QUEUE);
    let mut writer = tokio::spawn(async move {
        while let Some(reply) = rx.recv().await {
            match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(&to_line(&reply))).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
    });
    let mut reader = BufReader::new(read);
    let mut session = Session::default();
    let mut writer_done = false;
    loop {
        let idle = if session.subscribed.is_empty() {
            Instant::now() + IDLE_TIMEOUT
        } else {
            Instant::now() + MAX_IDLE_SUBSCRIBED
        };
        let frame = tokio::select! {
            frame = tokio::time::timeout_at(idle, read_frame(&mut reader, MAX_FRAME)) => frame,
            // The writer gave up (the client stopped reading): so do we.
            _ = &mut writer => {
                writer_done = true;
                break;
            }
        };
        let reply = match frame {
            Ok(Ok(Frame::Line(line))) => match parse_request(&line) {
                Ok(request) => handle(request, &shared, &tx, &mut session),
                Err(error) => Reply::Error { code: error.code(), message: error.to_string() },
            },
            Ok(Ok(Frame::TooLarge)) => {
                Reply::Error { code: ErrorCode::TooLarge, message: format!("lines are limited to {MAX_FRAME} bytes") }
            }
            Ok(Ok(Frame::Closed) | Err(_)) | Err(_) => break,
        };
        if tx.send(reply).await.is_err() {
            break;
        }
    }
    // Forget this connection's queues, so its writer (and socket) can end.
    {
        let mut subscribers = shared.subscribers.lock().expect("no panics while locked");
        for topic in &session.subscribed {
            if let Some(queues) = subscribers.get_mut(topic) {
                queues.retain(|queue| !queue.same_channel(&tx));
                if queues.is_empty() {
                    subscribers.remove(topic);
                }
            }
        }
    }
    // The replies already queued still go out, within the write timeout.
    drop(tx);
    if !writer_done {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, &mut writer).await;
        writer.abort();
    }
}

/// How long a subscribed connection may go without a request: no limit worth the
/// name (a day), since it waits for pushes.
const MAX_IDLE_SUBSCRIBED: Duration = Duration::from_secs(24 * 60 * 60);

fn handle(request: Request, shared: &Shared, tx: &mpsc::Sender<Reply>, session: &mut Session) -> Reply {
    let invalid = |message: String| Reply::Error { code: ErrorCode::Invalid, message };
    let now = shared.now();
    match request {
        Request::Register { topic, peer, addrs, ttl } => {
            let key = (topic.clone(), peer.clone());
            if !session.registered.contains(&key) && session.registered.len() >= MAX_PER_CLIENT {
                return invalid(format!("at most {MAX_PER_CLIENT} registrations per connection"));
            }
            let mut registry = shared.registry.lock().expect("no panics while locked");
            if registry.len() >= MAX_REGISTRATIONS {
                registry.expire(now);
                if registry.len() >= MAX_REGISTRATIONS {
                    return invalid(format!(
                        "the server holds {MAX_REGISTRATIONS} registrations, its limit; try later"
                    ));
                }
            }
            let registration = match registry.register(&topic, &peer, &addrs, ttl, now) {
                Ok(registration) => registration,
                Err(e) => return invalid(e.to_string()),
            };
            drop(registry);
            session.registered.insert(key);
            let mut subscribers = shared.subscribers.lock().expect("no panics while locked");
            if let Some(queues) = subscribers.get_mut(&topic) {
                // Push to every subscriber; drop those gone or hopelessly behind.
                queues.retain(|queue| {
                    queue.try_send(Reply::Arrived { topic: topic.clone(), registration: registration.clone() }).is_ok()
                });
            }
            Reply::Registered { ttl }
        }
        Request::Unregister { topic, peer } => {
            shared.registry.lock().expect("no panics while locked").unregister(&topic, &peer);
            session.registered.remove(&(topic, peer));
            Reply::Unregistered
        }
        Request::Discover { topic, cookie, limit } => {
            match shared.registry.lock().expect("no panics while locked").discover(&topic, cookie, limit, now) {
                Ok((peers, cookie)) => Reply::Peers { peers, cookie },
                Err(e) => invalid(e.to_string()),
            }
        }
        Request::Subscribe { topic } => {
            if session.subscribed.contains(&topic) {
                return Reply::Subscribed;
            }
            if session.subscribed.len() >= MAX_PER_CLIENT {
                return invalid(format!("at most {MAX_PER_CLIENT} subscriptions per connection"));
            }
            shared
                .subscribers
                .lock()
                .expect("no panics while locked")
                .entry(topic.clone())
                .or_default()
                .push(tx.clone());
            session.subscribed.insert(topic);
            Reply::Subscribed
        }
    }
}
