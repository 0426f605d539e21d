//! The reference yamux (`solutions/07-streams`) against the `yamux` crate, side by side
//! in one run, over loopback TCP.
//!
//!     cargo run --release --manifest-path interop/Cargo.toml --example yamux_bench
//!
//! Each run moves 512 MiB from a client to a server over one TCP connection, on one
//! stream and then split over eight streams at once, in writes of 64 KiB, from the first
//! write to the server having read every byte. Both ends of a run are the same
//! implementation, in this process; the two implementations take turns, seven runs
//! each, and the best run counts. Two figures per run, in MB (10^6 bytes): per second
//! of wall-clock time, and per second of the process's CPU time (user and system, both
//! ends and the kernel's TCP work for them), which other programs on a shared machine
//! disturb far less.

use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use interop::crate_yamux::{CrateSession, Mode};
use streams_solution as reference;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOTAL: usize = 512 << 20;
const WRITE: usize = 64 << 10;
const RUNS: usize = 7;

/// The process's CPU time so far (user + system), from getrusage(2).
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timeval {
        sec: i64,
        usec: i64,
    }
    #[repr(C)]
    struct Rusage {
        user: Timeval,
        system: Timeval,
        rest: [i64; 14],
    }
    unsafe extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    let mut usage = Rusage { user: Timeval { sec: 0, usec: 0 }, system: Timeval { sec: 0, usec: 0 }, rest: [0; 14] };
    // SAFETY: RUSAGE_SELF (0) and a pointer to a struct laid out as Linux's 64-bit rusage.
    let rc = unsafe { getrusage(0, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    let micros = |t: &Timeval| Duration::from_micros((t.sec * 1_000_000 + t.usec) as u64);
    micros(&usage.user) + micros(&usage.system)
}

/// Wall-clock and CPU time of one run.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

async fn measure<F: Future<Output = ()>>(run: F) -> Cost {
    let (wall, cpu) = (Instant::now(), cpu_time());
    run.await;
    Cost { wall: wall.elapsed(), cpu: cpu_time() - cpu }
}

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

fn mb_per_s(time: Duration) -> f64 {
    TOTAL as f64 / time.as_secs_f64() / 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("yamux over loopback TCP, {} MiB per run in {} KiB writes, best of {RUNS} runs", TOTAL >> 20, WRITE >> 10);
    println!("MB per second of wall-clock time [per second of CPU time]");
    println!("{:<10} {:>20} {:>20} {:>16}", "streams", "reference", "yamux crate", "ratio");
    for streams in [1, 8] {
        let (mut ours, mut theirs) = ((Duration::MAX, Duration::MAX), (Duration::MAX, Duration::MAX));
        for _ in 0..RUNS {
            let cost = measure(async { reference_run(streams).await; }).await;
            ours = (ours.0.min(cost.wall), ours.1.min(cost.cpu));
            let cost = measure(async { crate_run(streams).await; }).await;
            theirs = (theirs.0.min(cost.wall), theirs.1.min(cost.cpu));
        }
        let (ours, theirs) = ((mb_per_s(ours.0), mb_per_s(ours.1)), (mb_per_s(theirs.0), mb_per_s(theirs.1)));
        println!(
            "{streams:<10} {:>20} {:>20} {:>16}",
            format!("{:.0} [{:.0}]", ours.0, ours.1),
            format!("{:.0} [{:.0}]", theirs.0, theirs.1),
            format!("{:.2}x [{:.2}x]", ours.0 / theirs.0, ours.1 / theirs.1)
        );
        println!("figure: yamux {streams} stream(s), reference: {:.0} MB/s ({:.0} MB per CPU second)", ours.0, ours.1);
        println!("figure: yamux {streams} stream(s), yamux crate: {:.0} MB/s ({:.0} MB per CPU second)", theirs.0, theirs.1);
    }
}
