//! Two libp2p protocols for the reference stack, each spoken on a yamux stream after a
//! multistream-select round names it: `/ipfs/ping/1.0.0` and `/ipfs/id/1.0.0`. They are
//! the handbook's `ping-identify` crate, the same code the room chat speaks, so the
//! tests against rust-libp2p here check the chat's side protocols too.

use tokio::io::AsyncRead;

pub use ping_identify::{
    IDENTIFY, Identify, IdentifyError, MAX_IDENTIFY, PING, PING_SIZE, multiaddr, ping, send_identify, serve_ping,
};

/// Reads one length-prefixed identify message, as identify's dialer does.
pub async fn receive_identify<S: AsyncRead + Unpin>(stream: &mut S) -> anyhow::Result<Identify> {
    Ok(ping_identify::receive_identify(stream).await?)
}
