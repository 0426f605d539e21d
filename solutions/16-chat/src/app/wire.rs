//! What travels on each yamux substream of a chat connection, and its limits.
//!
//! After TCP, `/noise`, the Noise XX handshake and `/yamux/1.0.0` (the handshake
//! chapter's `upgrade`), every conversation is a substream of its own, named in one
//! multistream-select round (libp2p's way, so a libp2p node can talk to a chat peer):
//!
//! | protocol | what | frames |
//! |---|---|---|
//! | [`PUSH`] | a new line, as a secure-gossip `Envelope` signed by its author, whose payload is the log entry | one JSON envelope per frame |
//! | [`SYNC`] | anti-entropy: `Have` (a frontier) and `Entries` (what the other lacks) | one JSON chat `Msg` per frame |
//! | [`SWARM`] | the swarm exercise's messages: `Connect`, `Accept`, `Refuse`, `Close`, `Ping`, `Pong` | one JSON swarm `Msg` per frame |
//! | [`PING`] | libp2p ping: 32 bytes echoed | raw |
//! | [`IDENTIFY`] | libp2p identify: who we are, what we speak | one varint-prefixed protobuf, then FIN |
//!
//! Frames are the streams chapter's length-prefixed frames, read with a maximum per
//! protocol, so no peer can make this side set aside more than that for one message.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A new line, pushed by its author and forwarded once by everyone who stores it.
pub const PUSH: &str = "/p2p-handbook/chat/push/1.0.0";
/// Anti-entropy between neighbours.
pub const SYNC: &str = "/p2p-handbook/chat/sync/1.0.0";
/// The swarm's connection management.
pub const SWARM: &str = "/p2p-handbook/swarm/1.0.0";
/// libp2p ping (<https://github.com/libp2p/specs/blob/master/ping/ping.md>).
pub const PING: &str = "/ipfs/ping/1.0.0";
/// libp2p identify (<https://github.com/libp2p/specs/blob/master/identify/README.md>).
pub const IDENTIFY: &str = "/ipfs/id/1.0.0";

/// Every protocol this peer answers on a substream, in the order identify lists them.
pub const PROTOCOLS: [&str; 5] = [PUSH, SYNC, SWARM, PING, IDENTIFY];

/// The largest push frame: an envelope carries at most secure gossip's 1 KiB payload,
/// which JSON (bytes as numbers) makes at most about four times larger, plus the key and
/// the signature.
pub const MAX_PUSH_FRAME: usize = 8 * 1024;
/// The largest sync frame: a batch of 64 entries (the node's batch) of up to 1 KiB of
/// payload each, as JSON numbers: about 300 KiB. 1 MiB leaves room and still bounds a
/// liar's announced length.
pub const MAX_SYNC_FRAME: usize = 1024 * 1024;
/// The largest swarm frame: its messages are a few bytes.
pub const MAX_SWARM_FRAME: usize = 1024;
/// The agent this peer reports in identify.
pub const AGENT: &str = concat!("p2p-handbook-chat/", env!("CARGO_PKG_VERSION"));

/// Answers pings on `stream` until the peer closes it: every 32 bytes read are written
/// back (the peer keeps one stream open for all its pings).
pub async fn serve_ping<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> std::io::Result<()> {
    let mut payload = [0u8; 32];
    loop {
        match stream.read_exact(&mut payload).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        stream.write_all(&payload).await?;
        stream.flush().await?;
    }
}

/// What identify says about this peer. Encoded by hand: six protobuf fields, the same
/// as the interop suite's reference node (`interop/src/protocols.rs`).
pub struct Identify {
    /// Field 1: the libp2p `PublicKey` protobuf, `08 01 12 20 ‖ key` for Ed25519.
    pub public_key: Vec<u8>,
    /// Field 2: the address this peer listens on.
    pub listen: SocketAddr,
    /// Field 4: the address this peer sees the other side at.
    pub observed: SocketAddr,
    /// The nick, carried in field 6 after the agent: `p2p-handbook-chat/0.1.0 (ada)`,
    /// so that the member list has a name before the first line arrives. A claim, like
    /// every nick.
    pub nick: String,
}

/// The largest identify message read: rust-libp2p's own limit is 4 KiB.
pub const MAX_IDENTIFY: usize = 4096;

/// The nick in another chat peer's agent version, if it is one (at most 32 bytes).
pub fn nick_of_agent(agent: &str) -> Option<String> {
    let rest = agent.strip_prefix("p2p-handbook-chat/")?;
    let (_, nick) = rest.split_once(" (")?;
    let nick = nick.strip_suffix(')')?;
    (!nick.is_empty() && nick.len() <= 32 && !nick.chars().any(char::is_control)).then(|| nick.to_string())
}

/// Asks the peer who it is on `stream` (already negotiated as [`IDENTIFY`]): reads one
/// varint-prefixed identify message of at most [`MAX_IDENTIFY`] bytes and returns its
/// agent version (field 6).
pub async fn ask_identify<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
    let mut len = 0usize;
    for i in 0..3 {
        let byte = stream.read_u8().await?;
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            break;
        }
        if i == 2 {
            return Err(bad("an identify length of more than 3 bytes"));
        }
    }
    if len > MAX_IDENTIFY {
        return Err(bad("an identify message over 4 KiB"));
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await?;
    let mut at = 0;
    let read_varint = |at: &mut usize| -> std::io::Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *body.get(*at).ok_or_else(|| bad("a cut identify message"))?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("a varint over 64 bits"))
    };
    while at < body.len() {
        let key = read_varint(&mut at)?;
        match key & 7 {
            0 => {
                read_varint(&mut at)?;
            }
            2 => {
                let len = usize::try_from(read_varint(&mut at)?).map_err(|_| bad("a field too long"))?;
                let end = at.checked_add(len).filter(|&e| e <= body.len()).ok_or_else(|| bad("a cut field"))?;
                if key >> 3 == 6 {
                    return String::from_utf8(body[at..end].to_vec()).map_err(|_| bad("an agent that is not UTF-8"));
                }
                at = end;
            }
            _ => return Err(bad("an identify field of an unknown wire type")),
        }
    }
    Ok(String::new())
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A length-delimited protobuf field (wire type 2).
fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The binary multiaddr of a TCP address: `04` ‖ IPv4 or `29` ‖ IPv6, then `06` ‖ port.
pub fn multiaddr(addr: SocketAddr) -> Vec<u8> {
    let mut out = Vec::new();
    match addr {
        SocketAddr::V4(a) => {
            out.push(0x04);
            out.extend(a.ip().octets());
        }
        SocketAddr::V6(a) => {
            out.push(0x29);
            out.extend(a.ip().octets());
        }
    }
    out.push(0x06);
    out.extend(addr.port().to_be_bytes());
    out
}

impl Identify {
    /// The protobuf bytes, without the length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        field(&mut out, 5, b"/ipfs/0.1.0");
        field(&mut out, 6, format!("{AGENT} ({})", self.nick).as_bytes());
        field(&mut out, 1, &self.public_key);
        field(&mut out, 2, &multiaddr(self.listen));
        field(&mut out, 4, &multiaddr(self.observed));
        for protocol in PROTOCOLS {
            field(&mut out, 3, protocol.as_bytes());
        }
        out
    }

    /// Writes the message as identify's listener does: varint length, the message, FIN.
    pub async fn send<S: AsyncWrite + Unpin>(&self, stream: &mut S) -> std::io::Result<()> {
        let body = self.encode();
        let mut framed = Vec::with_capacity(body.len() + 2);
        varint(&mut framed, body.len() as u64);
        framed.extend(body);
        stream.write_all(&framed).await?;
        stream.shutdown().await
    }
}
