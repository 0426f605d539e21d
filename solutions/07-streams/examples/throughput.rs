//! Framed and multiplexed throughput against a raw TCP copy, in the same run.
//!
//!     cargo run --release -p streams-solution --example throughput
//!
//! Sends 512 MiB over loopback three ways: raw bytes in 64 KiB writes, 64 KiB frames,
//! and one multiplexed substream; prints MB/s and the ratio to raw.

use std::time::Instant;

use streams_solution::{MAX_FRAME, Mux, Role, read_frame, write_frame};
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

async fn muxed() -> f64 {
    let (a, b) = pair().await;
    let (dialer, listener) = (Mux::new(a, Role::Dialer), Mux::new(b, Role::Listener));
    let started = Instant::now();
    let send = async {
        let mut s = dialer.open().await.unwrap();
        let block = vec![7u8; BLOCK];
        for _ in 0..TOTAL / BLOCK {
            s.write(&block).await.unwrap();
        }
        s.close().await.unwrap();
    };
    let receive = async {
        let mut t = listener.accept().await.unwrap();
        let mut got = 0;
        while let Some(chunk) = t.read().await.unwrap() {
            got += chunk.len();
        }
        assert_eq!(got, TOTAL);
    };
    tokio::join!(send, receive);
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mb = TOTAL as f64 / 1e6;
    let r = raw().await;
    let f = framed().await;
    let m = muxed().await;
    println!("512 MiB over loopback TCP");
    println!("  raw copy           {:>7.0} MB/s", mb / r);
    println!("  64 KiB frames      {:>7.0} MB/s  ({:.2} of raw)", mb / f, r / f);
    println!("  one substream      {:>7.0} MB/s  ({:.2} of raw)", mb / m, r / m);
}
