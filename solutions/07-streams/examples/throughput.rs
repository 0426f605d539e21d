//! Framed and multiplexed throughput against a raw TCP copy, in the same run.
//!
//!     cargo run --release -p streams-solution --example throughput
//!
//! Sends 512 MiB over loopback TCP four ways: raw bytes in 64 KiB writes, 64 KiB varint
//! frames, one yamux stream, and eight yamux streams at once (64 MiB each); prints MB/s
//! (10^6 bytes per second) and the ratio to the raw copy, and the CPU time the process
//! spent per GB (user and system, from /proc/self/stat on Linux), which a busy machine
//! disturbs less than the wall clock. `ROUNDS=n` repeats the whole
//! run n times; `ONLY=raw|framed|one|eight` runs one case alone (for a profiler).

use std::time::Instant;

use streams_solution::{MAX_FRAME, Session, read_frame, write_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

const TOTAL: usize = 512 << 20;
const BLOCK: usize = 64 << 10;

/// CPU seconds (user + system) this process has used so far, on Linux; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // The fields after the command name (which is in parentheses): utime is the 12th
    // of them and stime the 13th, in clock ticks of 1/100 s.
    let Some(rest) = stat.rsplit(')').next() else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs one case: its wall time and CPU time in seconds.
async fn measure<F: std::future::Future<Output = f64>>(case: F) -> (f64, f64) {
    let cpu = cpu_seconds();
    let wall = case.await;
    (wall, cpu_seconds() - cpu)
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (a.unwrap(), b.unwrap().0)
}

async fn raw() -> f64 {
    let (mut a, mut b) = pair().await;
    let started = Instant::now();
    let send = async {
        let block = vec![7u8; BLOCK];
        for _ in 0..TOTAL / BLOCK {
            a.write_all(&block).await.unwrap();
        }
        a.shutdown().await.unwrap();
    };
    let receive = async {
        let mut buf = vec![0u8; BLOCK];
        let mut got = 0;
        while got < TOTAL {
            got += b.read(&mut buf).await.unwrap();
        }
    };
    tokio::join!(send, receive);
    started.elapsed().as_secs_f64()
}

async fn framed() -> f64 {
    let (a, b) = pair().await;
    let started = Instant::now();
    let send = async {
        let mut w = BufWriter::with_capacity(256 << 10, a);
        let block = vec![7u8; BLOCK];
        for _ in 0..TOTAL / BLOCK {
            write_frame(&mut w, &block).await.unwrap();
        }
        w.shutdown().await.unwrap();
    };
    let receive = async {
        let mut r = BufReader::with_capacity(256 << 10, b);
        let mut got = 0;
        while let Some(frame) = read_frame(&mut r, MAX_FRAME).await.unwrap() {
            got += frame.len();
        }
        assert_eq!(got, TOTAL);
    };
    tokio::join!(send, receive);
    started.elapsed().as_secs_f64()
}

/// `streams` yamux streams at once, each carrying TOTAL / streams bytes, each on its own
/// task (as an application would run them).
async fn yamux(streams: usize) -> f64 {
    let (a, b) = pair().await;
    let (client, server) = (Session::client(a), Session::server(b));
    let each = TOTAL / streams;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..streams {
        let mut s = client.open_stream().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let block = vec![7u8; BLOCK];
            for _ in 0..each / BLOCK {
                s.write_all(&block).await.unwrap();
            }
            s.shutdown().await.unwrap();
            // Keep the stream until the reader is done, so that dropping it resets nothing.
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).await.unwrap();
        }));
    }
    for _ in 0..streams {
        let mut t = server.accept_stream().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; BLOCK];
            let mut got = 0;
            loop {
                let n = t.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got += n;
            }
            assert_eq!(got, each);
            t.shutdown().await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    let mb = TOTAL as f64 / 1e6;
    println!(
        "512 MiB over loopback TCP ({} worker threads)",
        tokio::runtime::Handle::current().metrics().num_workers()
    );
    let only = std::env::var("ONLY").unwrap_or_default();
    let gb = TOTAL as f64 / 1e9;
    let line = |label: &str, (wall, cpu): (f64, f64), raw: Option<f64>| {
        let ratio = raw.map(|r| format!("  ({:.2} of raw)", r / wall)).unwrap_or_default();
        println!("  {label:<20} {:>6.0} MB/s  {:>5.2} CPU s per GB{ratio}", mb / wall, cpu / gb);
    };
    if !only.is_empty() {
        // One case alone, for a profiler: ONLY=raw, framed, one or eight.
        let result = match only.as_str() {
            "raw" => measure(raw()).await,
            "framed" => measure(framed()).await,
            "one" => measure(yamux(1)).await,
            _ => measure(yamux(8)).await,
        };
        line(&only, result, None);
        return;
    }
    for _ in 0..rounds {
        let r = measure(raw()).await;
        line("raw copy", r, None);
        line("64 KiB varint frames", measure(framed()).await, Some(r.0));
        line("yamux, one stream", measure(yamux(1)).await, Some(r.0));
        line("yamux, eight streams", measure(yamux(8)).await, Some(r.0));
    }
}
