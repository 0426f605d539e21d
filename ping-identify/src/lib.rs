//! Two libp2p protocols that every libp2p node speaks beside its own, each on a yamux
//! stream after a multistream-select round names it. One copy, used by the room chat
//! (`chat-app`) and by the interop suite's reference node (`interop/`), which checks it
//! against rust-libp2p.
//!
//! - `/ipfs/ping/1.0.0` ([spec](https://github.com/libp2p/specs/blob/master/ping/ping.md)):
//!   the dialer writes 32 random bytes, the listener writes the same 32 back; repeat on
//!   the same stream as often as wanted.
//! - `/ipfs/id/1.0.0` ([spec](https://github.com/libp2p/specs/blob/master/identify/README.md)):
//!   the listener writes one `Identify` protobuf, prefixed by its length as an unsigned
//!   varint, and closes the stream. Encoded and decoded here by hand: six fields.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The ping protocol's name.
pub const PING: &str = "/ipfs/ping/1.0.0";
/// The identify protocol's name.
pub const IDENTIFY: &str = "/ipfs/id/1.0.0";

/// The size of a ping: the spec fixes it.
pub const PING_SIZE: usize = 32;

/// The largest identify message read: rust-libp2p's own limit is 4 KiB
/// (`libp2p-identify`, `MAX_MESSAGE_SIZE_BYTES`); anything longer is refused.
pub const MAX_IDENTIFY: usize = 4096;

/// One ping on `stream`: 32 random bytes out, the same 32 back. Returns the round trip.
pub async fn ping<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> std::io::Result<Duration> {
    let mut payload = [0u8; PING_SIZE];
    rand::fill(&mut payload);
    let started = Instant::now();
    stream.write_all(&payload).await?;
    stream.flush().await?;
    let mut echo = [0u8; PING_SIZE];
    stream.read_exact(&mut echo).await?;
    if echo != payload {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "the ping came back changed"));
    }
    Ok(started.elapsed())
}

/// Answers pings on `stream` until the peer closes it: each 32 bytes read are written
/// back, and `answered` counts them (the peer keeps one stream open for all its pings).
pub async fn serve_ping<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    answered: &AtomicUsize,
) -> std::io::Result<()> {
    let mut payload = [0u8; PING_SIZE];
    loop {
        match stream.read_exact(&mut payload).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        stream.write_all(&payload).await?;
        stream.flush().await?;
        answered.fetch_add(1, Ordering::SeqCst);
    }
}

/// What an identify message says (the fields the handbook uses).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identify {
    /// Field 5, such as `/ipfs/0.1.0`.
    pub protocol_version: String,
    /// Field 6, the implementation's name and version.
    pub agent_version: String,
    /// Field 1, the `PublicKey` protobuf (`08 01 12 20 ‖ key` for Ed25519:
    /// [`ed25519_public_key`]).
    pub public_key: Vec<u8>,
    /// Field 2, repeated: binary multiaddrs the peer listens on ([`multiaddr`]).
    pub listen_addrs: Vec<Vec<u8>>,
    /// Field 4: the binary multiaddr the peer sees the other side at.
    pub observed_addr: Vec<u8>,
    /// Field 3, repeated: the protocols the peer answers.
    pub protocols: Vec<String>,
}

/// Why bytes are not an identify message.
#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    #[error("the identify message is cut short")]
    Truncated,
    #[error("identify field {0} has the wrong wire type")]
    WireType(u64),
    #[error("identify field {0} is not UTF-8")]
    Utf8(u64),
    #[error("an identify length prefix of more than 3 bytes")]
    LongPrefix,
    #[error("an identify message of {0} bytes is over the 4 KiB limit")]
    TooLong(usize),
    #[error("reading identify: {0}")]
    Io(#[from] std::io::Error),
}

/// The libp2p `PublicKey` protobuf of an Ed25519 key: `08 01` (type Ed25519), `12 20`
/// (32 bytes of data), the key
/// ([peer-ids spec](https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md)).
pub fn ed25519_public_key(key: &[u8; 32]) -> Vec<u8> {
    [&[0x08, 0x01, 0x12, 0x20][..], key].concat()
}

/// The binary multiaddr of a TCP address: `04` ‖ 4 bytes for IPv4 or `29` ‖ 16 bytes
/// for IPv6, then `06` ‖ port, big endian (multiaddr's `ip4` is code 4, `ip6` code 41,
/// `tcp` code 6).
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

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, IdentifyError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or(IdentifyError::Truncated)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(IdentifyError::Truncated)
}

/// A length-delimited protobuf field (wire type 2).
fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl Identify {
    /// The protobuf bytes, without the length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        field(&mut out, 5, self.protocol_version.as_bytes());
        field(&mut out, 6, self.agent_version.as_bytes());
        field(&mut out, 1, &self.public_key);
        for addr in &self.listen_addrs {
            field(&mut out, 2, addr);
        }
        field(&mut out, 4, &self.observed_addr);
        for protocol in &self.protocols {
            field(&mut out, 3, protocol.as_bytes());
        }
        out
    }

    /// Reads the protobuf bytes, skipping fields the handbook does not use (such as the
    /// signed peer record, field 8).
    pub fn decode(bytes: &[u8]) -> Result<Identify, IdentifyError> {
        let mut id = Identify::default();
        let mut at = 0;
        while at < bytes.len() {
            let key = read_varint(bytes, &mut at)?;
            let (number, wire) = (key >> 3, key & 7);
            let value = match wire {
                0 => {
                    read_varint(bytes, &mut at)?;
                    continue;
                }
                2 => {
                    let len = usize::try_from(read_varint(bytes, &mut at)?).map_err(|_| IdentifyError::Truncated)?;
                    let end = at.checked_add(len).filter(|&end| end <= bytes.len()).ok_or(IdentifyError::Truncated)?;
                    let value = &bytes[at..end];
                    at = end;
                    value
                }
                _ => return Err(IdentifyError::WireType(number)),
            };
            let text = || String::from_utf8(value.to_vec()).map_err(|_| IdentifyError::Utf8(number));
            match number {
                1 => id.public_key = value.to_vec(),
                2 => id.listen_addrs.push(value.to_vec()),
                3 => id.protocols.push(text()?),
                4 => id.observed_addr = value.to_vec(),
                5 => id.protocol_version = text()?,
                6 => id.agent_version = text()?,
                _ => {}
            }
        }
        Ok(id)
    }
}

/// Writes `identify` as identify's listener does: varint length, the message, then
/// closes the stream for writing.
pub async fn send_identify<S: AsyncWrite + Unpin>(stream: &mut S, identify: &Identify) -> std::io::Result<()> {
    let body = identify.encode();
    let mut framed = Vec::with_capacity(body.len() + 2);
    varint(&mut framed, body.len() as u64);
    framed.extend(body);
    stream.write_all(&framed).await?;
    stream.shutdown().await
}

/// Reads one length-prefixed identify message, as identify's dialer does: a length of
/// more than [`MAX_IDENTIFY`] bytes is refused before anything is set aside for it.
pub async fn receive_identify<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Identify, IdentifyError> {
    let mut prefix = Vec::new();
    let len = loop {
        let byte = stream.read_u8().await?;
        prefix.push(byte);
        if byte & 0x80 == 0 {
            break read_varint(&prefix, &mut 0)?;
        }
        if prefix.len() == 3 {
            return Err(IdentifyError::LongPrefix);
        }
    };
    let len = usize::try_from(len).map_err(|_| IdentifyError::TooLong(usize::MAX))?;
    if len > MAX_IDENTIFY {
        return Err(IdentifyError::TooLong(len));
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await?;
    Identify::decode(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Identify {
        Identify {
            protocol_version: "/ipfs/0.1.0".into(),
            agent_version: "p2p-handbook-chat/0.1.0 (ada)".into(),
            public_key: ed25519_public_key(&[7; 32]),
            listen_addrs: vec![multiaddr("127.0.0.1:4001".parse().unwrap())],
            observed_addr: multiaddr("[::1]:4002".parse().unwrap()),
            protocols: vec![PING.into(), IDENTIFY.into()],
        }
    }

    #[test]
    fn multiaddrs_are_multiaddr_bytes() {
        // /ip4/127.0.0.1/tcp/4001 and /ip6/::1/tcp/4002 (multiaddr's table of codes).
        assert_eq!(multiaddr("127.0.0.1:4001".parse().unwrap()), [0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1]);
        let six = multiaddr("[::1]:4002".parse().unwrap());
        assert_eq!((six[0], six[16], six[17]), (0x29, 1, 0x06), "ip6 code, ::1 ends in 1, then tcp: {six:02x?}");
        assert_eq!(&six[18..], [0x0f, 0xa2]);
    }

    #[test]
    fn identify_round_trips_through_its_bytes() {
        let id = sample();
        assert_eq!(Identify::decode(&id.encode()).unwrap(), id);
    }

    #[test]
    fn cut_and_mistyped_messages_are_refused() {
        let bytes = sample().encode();
        for cut in 1..bytes.len() {
            // Every prefix ends inside a field, or is a whole message with fewer fields.
            if let Ok(id) = Identify::decode(&bytes[..cut]) {
                assert_ne!(id, sample(), "a message cut at {cut} bytes decoded whole");
            }
        }
        assert!(matches!(Identify::decode(&[0x0d, 0, 0, 0, 0]), Err(IdentifyError::WireType(1))), "a fixed32 field 1");
    }

    #[tokio::test]
    async fn identify_and_ping_cross_a_stream() {
        let (mut a, mut b) = tokio::io::duplex(8192);
        let sent = sample();
        let send = tokio::spawn(async move { send_identify(&mut a, &sent).await });
        assert_eq!(receive_identify(&mut b).await.unwrap(), sample());
        send.await.unwrap().unwrap();

        let (mut a, mut b) = tokio::io::duplex(64);
        let answered = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = answered.clone();
        let server = tokio::spawn(async move { serve_ping(&mut b, &counter).await });
        for _ in 0..3 {
            ping(&mut a).await.unwrap();
        }
        drop(a);
        server.await.unwrap().unwrap();
        assert_eq!(answered.load(Ordering::SeqCst), 3, "every ping answered and counted");
    }

    #[tokio::test]
    async fn an_identify_over_4_kib_is_refused_by_its_length() {
        // Length 4097 as a varint: 0x81 0x20.
        let (mut a, mut b) = tokio::io::duplex(64);
        tokio::spawn(async move { a.write_all(&[0x81, 0x20]).await });
        assert!(matches!(receive_identify(&mut b).await, Err(IdentifyError::TooLong(4097))));
    }
}
