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
    // TODO (step 3–5)
    todo!()
}

fn handle(request: Request, shared: &Shared, tx: &mpsc::Sender<Reply>) -> Reply {
    // TODO (step 3–5)
    todo!()
}
