//! Framed and multiplexed throughput against a raw TCP copy, in the same run.
//!
//!     cargo run --release -p streams-solution --example throughput
//!
//! Sends 512 MiB over loopback TCP four ways: raw bytes in 64 KiB writes, 64 KiB varint
//! frames, one yamux stream, and eight yamux streams at once (64 MiB each); prints MB/s
//! (10^6 bytes per second) and the ratio to the raw copy. `ROUNDS=n` repeats the whole
//! run n times.

use std::time::Instant;

use streams_solution::{MAX_FRAME, Session, read_frame, write_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

const TOTAL: usize = 512 << 20;
const BLOCK: usize = 64 << 10;

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
    println!("512 MiB over loopback TCP ({} worker threads)", tokio::runtime::Handle::current().metrics().num_workers());
    for _ in 0..rounds {
        let r = raw().await;
        let f = framed().await;
        let one = yamux(1).await;
        let eight = yamux(8).await;
        println!("  raw copy             {:>7.0} MB/s", mb / r);
        println!("  64 KiB varint frames {:>7.0} MB/s  ({:.2} of raw)", mb / f, r / f);
        println!("  yamux, one stream    {:>7.0} MB/s  ({:.2} of raw)", mb / one, r / one);
        println!("  yamux, eight streams {:>7.0} MB/s  ({:.2} of raw)", mb / eight, r / eight);
    }
}
