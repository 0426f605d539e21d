//! The reference yamux (`solutions/07-streams`) against the `yamux` crate, side by side
//! in one run, over loopback TCP.
//!
//!     cargo run --release --manifest-path interop/Cargo.toml --example yamux_bench
//!
//! Each run moves 256 MiB from a client to a server over one TCP connection, on one
//! stream and then split over eight streams at once, in writes of 64 KiB; the figure is
//! the best of three runs, in MB/s (10^6 bytes per second), from the first write to
//! the server having read every byte. Both ends of a run are the same implementation.

use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use interop::crate_yamux::{CrateSession, Mode};
use streams_solution as reference;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOTAL: usize = 256 << 20;
const WRITE: usize = 64 << 10;
const RUNS: usize = 3;

async fn connected() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (client, server) = tokio::join!(TcpStream::connect(listener.local_addr().unwrap()), listener.accept());
    let (client, server) = (client.unwrap(), server.unwrap().0);
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (client, server)
}

async fn reference_run(streams: usize) -> Duration {
    let (client, server) = connected().await;
    let (client, server) = (reference::Session::client(client), reference::Session::server(server));
    let reader = tokio::spawn(async move {
        let mut readers = Vec::new();
        for _ in 0..streams {
            let mut s = server.accept_stream().await.unwrap();
            readers.push(tokio::spawn(async move {
                let mut buf = vec![0u8; WRITE];
                let mut n = 0;
                loop {
                    match s.read(&mut buf).await.unwrap() {
                        0 => return n,
                        k => n += k,
                    }
                }
            }));
        }
        let mut total = 0;
        for r in readers {
            total += r.await.unwrap();
        }
        (total, server)
    });
    let started = Instant::now();
    let chunk = vec![7u8; WRITE];
    let mut writers = Vec::new();
    for _ in 0..streams {
        let mut s = client.open_stream().await.unwrap();
        let chunk = chunk.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..TOTAL / streams / WRITE {
                s.write_all(&chunk).await.unwrap();
            }
            s.shutdown().await.unwrap();
            s
        }));
    }
    let mut keep = Vec::new();
    for w in writers {
        keep.push(w.await.unwrap());
    }
    let (total, _server) = reader.await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(total, TOTAL);
    elapsed
}

async fn crate_run(streams: usize) -> Duration {
    let (client, server) = connected().await;
    let (client, mut server) = (CrateSession::new(client, Mode::Client), CrateSession::new(server, Mode::Server));
    let reader = tokio::spawn(async move {
        let mut readers = Vec::new();
        for _ in 0..streams {
            let mut s = server.accept().await.unwrap();
            readers.push(tokio::spawn(async move {
                let mut buf = vec![0u8; WRITE];
                let mut n = 0;
                loop {
                    match s.read(&mut buf).await.unwrap() {
                        0 => return (n, s),
                        k => n += k,
                    }
                }
            }));
        }
        let mut total = 0;
        let mut keep = Vec::new();
        for r in readers {
            let (n, s) = r.await.unwrap();
            total += n;
            keep.push(s);
        }
        (total, server, keep)
    });
    let started = Instant::now();
    let chunk = vec![7u8; WRITE];
    let mut writers = Vec::new();
    for _ in 0..streams {
        let mut s = client.open().await.unwrap();
        let chunk = chunk.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..TOTAL / streams / WRITE {
                s.write_all(&chunk).await.unwrap();
            }
            s.close().await.unwrap();
            s
        }));
    }
    let mut keep = Vec::new();
    for w in writers {
        keep.push(w.await.unwrap());
    }
    let (total, _server, _streams) = reader.await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(total, TOTAL);
    elapsed
}

fn mb_per_s(best: Duration) -> f64 {
    TOTAL as f64 / best.as_secs_f64() / 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("yamux over loopback TCP, {} MiB per run in {} KiB writes, best of {RUNS}", TOTAL >> 20, WRITE >> 10);
    println!("{:<10} {:>14} {:>14} {:>8}", "streams", "reference MB/s", "crate MB/s", "ratio");
    for streams in [1, 8] {
        let mut ours = Duration::MAX;
        let mut theirs = Duration::MAX;
        for _ in 0..RUNS {
            ours = ours.min(reference_run(streams).await);
            theirs = theirs.min(crate_run(streams).await);
        }
        let (ours, theirs) = (mb_per_s(ours), mb_per_s(theirs));
        println!("{streams:<10} {ours:>14.0} {theirs:>14.0} {:>7.2}x", ours / theirs);
        println!("figure: yamux {streams} stream(s), reference: {ours:.0} MB/s");
        println!("figure: yamux {streams} stream(s), yamux crate: {theirs:.0} MB/s");
    }
}
