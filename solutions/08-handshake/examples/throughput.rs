//! Encrypted against plaintext throughput over loopback, in the same run.
//!
//!     cargo run --release -p handshake-solution --example throughput
//!
//! 256 MiB in 60 KiB messages: once as plain 2-byte-length frames, once through the
//! Noise session (ChaCha20-Poly1305), and how long a handshake takes.

use std::time::Instant;

use handshake_solution::identity::Keypair;
use handshake_solution::{Role, secure};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

const TOTAL: usize = 256 << 20;
const MESSAGE: usize = 60 << 10;

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (a.unwrap(), b.unwrap().0)
}

async fn plain() -> f64 {
    let (a, b) = pair().await;
    let started = Instant::now();
    let send = async {
        let mut w = BufWriter::with_capacity(256 << 10, a);
        let message = vec![7u8; MESSAGE];
        for _ in 0..TOTAL / MESSAGE {
            w.write_all(&(MESSAGE as u16).to_be_bytes()).await.unwrap();
            w.write_all(&message).await.unwrap();
        }
        w.shutdown().await.unwrap();
    };
    let receive = async {
        let mut r = BufReader::with_capacity(256 << 10, b);
        let mut buf = vec![0u8; MESSAGE];
        for _ in 0..TOTAL / MESSAGE {
            let mut len = [0u8; 2];
            r.read_exact(&mut len).await.unwrap();
            r.read_exact(&mut buf[..u16::from_be_bytes(len) as usize]).await.unwrap();
        }
    };
    tokio::join!(send, receive);
    started.elapsed().as_secs_f64()
}

async fn encrypted() -> (f64, f64) {
    let (a, b) = pair().await;
    let started = Instant::now();
    let (x, y) = tokio::join!(
        secure(a, Role::Initiator, Keypair::generate()),
        secure(b, Role::Responder, Keypair::generate())
    );
    let (mut x, mut y) = (x.unwrap(), y.unwrap());
    let handshake = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let send = async {
        let message = vec![7u8; MESSAGE];
        for _ in 0..TOTAL / MESSAGE {
            x.send(&message).await.unwrap();
        }
    };
    let receive = async {
        for _ in 0..TOTAL / MESSAGE {
            y.recv().await.unwrap().unwrap();
        }
    };
    tokio::join!(send, receive);
    (started.elapsed().as_secs_f64(), handshake)
}

#[tokio::main]
async fn main() {
    let mb = (TOTAL / MESSAGE * MESSAGE) as f64 / 1e6;
    let p = plain().await;
    let (e, handshake) = encrypted().await;
    println!("256 MiB in 60 KiB messages over loopback TCP");
    println!("  plaintext frames   {:>6.0} MB/s", mb / p);
    println!("  Noise session      {:>6.0} MB/s  ({:.2} of plaintext)", mb / e, p / e);
    println!("  one XX handshake   {:>6.2} ms (over loopback, both sides in one process)", handshake * 1000.0);
}
