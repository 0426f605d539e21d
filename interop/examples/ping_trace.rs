//! The first bytes of a libp2p ping, side by side: the reference stack dialling a
//! rust-libp2p node, and a rust-libp2p node dialling another, each through a tap on
//! 127.0.0.1 that keeps what each side sent.
//!
//!     cargo run --manifest-path interop/Cargo.toml --example ping_trace
//!
//! Printed per direction: the plaintext multistream-select messages (an unsigned-varint
//! length, the text, a newline), then the Noise handshake messages and the first
//! encrypted transport messages, each a 2-byte big-endian length and that many bytes.
//! `book/interop.md` shows this output.

use std::net::SocketAddr;
use std::time::Duration;

use identity_solution::Keypair;
use interop::libp2p_node::{Libp2pNode, Seen};
use interop::reference_node::ReferenceNode;
use interop::tap::Tap;

/// How many Noise frames to list per direction after the negotiation.
const FRAMES: usize = 6;

/// `messages` are the Noise handshake messages this side sends: 1 and 3 for the dialer,
/// 2 for the listener.
fn show(label: &str, bytes: &[u8], messages: &[u8]) {
    println!("  {label}:");
    let mut at = 0;
    // Two multistream-select messages: the header and the protocol.
    for _ in 0..2 {
        let Some(&len) = bytes.get(at) else { return };
        let (len, body) = (len as usize, &bytes[at + 1..(at + 1 + len as usize).min(bytes.len())]);
        let hex: Vec<String> = bytes[at..at + 1 + len].iter().map(|b| format!("{b:02x}")).collect();
        println!("    multistream {:<24} {}", format!("{:?}", String::from_utf8_lossy(body).trim_end()), hex.join(" "));
        at += 1 + len;
    }
    for i in 0..FRAMES {
        let Some(head) = bytes.get(at..at + 2) else { return };
        let len = u16::from_be_bytes([head[0], head[1]]) as usize;
        let kind = match messages.get(i) {
            Some(n) => format!("noise message {n}"),
            None => format!("transport ({} plain)", len.saturating_sub(16)),
        };
        let first: Vec<String> = bytes[at..(at + 10).min(bytes.len())].iter().map(|b| format!("{b:02x}")).collect();
        println!("    {kind:<22} {len:>4} bytes   {} …", first.join(" "));
        at += 2 + len;
    }
}

async fn libp2p_listener() -> (Libp2pNode, SocketAddr) {
    let mut node = Libp2pNode::start(Duration::from_secs(3600)).expect("a libp2p node");
    let port = node.listening_port().await.expect("it listens");
    (node, SocketAddr::from(([127, 0, 0, 1], port)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    // The reference's parts dial rust-libp2p and ping it once.
    let (_theirs, addr) = libp2p_listener().await;
    let tap = Tap::start(addr, false).await?;
    let ours = ReferenceNode::dial(tap.addr, Keypair::generate()).await?;
    let rtt = ours.ping(1).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!("the reference dials rust-libp2p (ping answered in {:?})", rtt[0]);
    show("reference (dialer)", &tap.first_bytes(true), &[1, 3]);
    show("rust-libp2p (listener)", &tap.first_bytes(false), &[2]);

    // rust-libp2p dials rust-libp2p and pings it once.
    let (_listener, addr) = libp2p_listener().await;
    let tap = Tap::start(addr, false).await?;
    let mut dialer = Libp2pNode::start(Duration::from_secs(3600))?;
    dialer.listening_port().await?;
    dialer.dial(format!("/ip4/127.0.0.1/tcp/{}", tap.addr.port()).parse()?);
    let rtt = dialer
        .wait_for(Duration::from_secs(10), |s| match s {
            Seen::Pinged(_, result) => Some(result.clone()),
            _ => None,
        })
        .await
        .map_err(|skipped| anyhow::anyhow!("no ping: {skipped:?}"))?
        .map_err(|e| anyhow::anyhow!("ping failed: {e}"))?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!("rust-libp2p dials rust-libp2p (ping answered in {rtt:?})");
    show("rust-libp2p (dialer)", &tap.first_bytes(true), &[1, 3]);
    show("rust-libp2p (listener)", &tap.first_bytes(false), &[2]);
    Ok(())
}
