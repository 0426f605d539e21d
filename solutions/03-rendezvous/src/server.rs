//! The server: a task per connection around one shared registry.

use std::collections::HashMap;
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
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    // An accept error (out of file descriptors, say) is not a reason
                    // to stop serving everyone else.
                    if let Ok((stream, _)) = accepted {
                        connections.spawn(connection(stream, shared.clone()));
                    }
                }
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

/// Serves one client until it leaves. Replies and pushes go through one queue to a
/// writer task, so a push from another connection never interleaves with a reply.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Reply>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(reply) = rx.recv().await {
            if write.write_all(&to_line(&reply)).await.is_err() {
                break;
            }
        }
    });
    let mut reader = BufReader::new(read);
    loop {
        let reply = match read_frame(&mut reader, MAX_FRAME).await {
            Ok(Frame::Line(line)) => match parse_request(&line) {
                Ok(request) => handle(request, &shared, &tx),
                Err(error) => Reply::Error { code: error.code(), message: error.to_string() },
            },
            Ok(Frame::TooLarge) => {
                Reply::Error { code: ErrorCode::TooLarge, message: format!("lines are limited to {MAX_FRAME} bytes") }
            }
            Ok(Frame::Closed) | Err(_) => break,
        };
        if tx.send(reply).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

fn handle(request: Request, shared: &Shared, tx: &mpsc::Sender<Reply>) -> Reply {
    let invalid = |e: crate::registry::RegistryError| Reply::Error { code: ErrorCode::Invalid, message: e.to_string() };
    let now = shared.now();
    match request {
        Request::Register { topic, peer, addrs, ttl } => {
            let registration = match shared.registry.lock().expect("no panics while locked").register(&topic, &peer, &addrs, ttl, now) {
                Ok(registration) => registration,
                Err(e) => return invalid(e),
            };
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
            Reply::Unregistered
        }
        Request::Discover { topic, cookie, limit } => {
            match shared.registry.lock().expect("no panics while locked").discover(&topic, cookie, limit, now) {
                Ok((peers, cookie)) => Reply::Peers { peers, cookie },
                Err(e) => invalid(e),
            }
        }
        Request::Subscribe { topic } => {
            shared.subscribers.lock().expect("no panics while locked").entry(topic).or_default().push(tx.clone());
            Reply::Subscribed
        }
    }
}
