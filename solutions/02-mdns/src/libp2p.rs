//! libp2p's mDNS, by hand: the one query and the one response of the libp2p spec
//! (<https://github.com/libp2p/specs/blob/master/discovery/mdns.md>), encoded and decoded
//! on the DNS wire format of RFC 1035 §4.1 with the multicast rules of RFC 6762.
//!
//! A querier asks `_p2p._udp.local PTR`. A responder answers with one PTR record from
//! the service name to a random name of its own (`<peer-name>._p2p._udp.local`), and, in
//! the additional section, one TXT record per listen address, each holding one string
//! `dnsaddr=/ip4/…/tcp/…/p2p/<peer id>`. No SRV and no A records: the multiaddr carries
//! the address, the port and the peer id at once.
//!
//! Everything that comes off the network is checked before it is used: every length and
//! offset against the end of the packet, compression pointers only backwards (so no
//! loop), labels of at most 63 bytes, names of at most 255, record counts that the
//! packet can actually hold, TXT strings inside their record.

use std::net::{IpAddr, SocketAddr};

/// The service name every libp2p peer queries and answers for.
pub const SERVICE_NAME: &str = "_p2p._udp.local";

/// The largest mDNS message, in bytes: RFC 6762 §17 allows 9000 bytes including the IP
/// and UDP headers, which take 28 bytes over IPv4.
pub const MAX_PACKET: usize = 9000 - 28;

/// How many records (questions, answers, authorities and additionals together) a
/// message may count. A full 8972-byte response of rust-libp2p holds about 30.
pub const MAX_RECORDS: usize = 256;

/// DNS type PTR (RFC 1035 §3.2.2).
const TYPE_PTR: u16 = 12;
/// DNS type TXT.
const TYPE_TXT: u16 = 16;
/// DNS type ANY: a question of this type asks for every record of the name.
const TYPE_ANY: u16 = 255;
/// Class IN.
const CLASS_IN: u16 = 1;
/// The top bit of a record's class in mDNS: "cache flush", for records only one
/// responder owns (RFC 6762 §10.2). The TXT records are ours alone; the PTR is shared.
const CACHE_FLUSH: u16 = 0x8000;
/// QR (a response) and AA (authoritative), as every mDNS response sets them.
const FLAGS_RESPONSE: u16 = 0x8400;
/// The TXT key of a listen address.
const DNSADDR: &str = "dnsaddr=";

/// A decoded libp2p mDNS message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A query with a question for [`SERVICE_NAME`] (type PTR or ANY): to be answered.
    Query {
        /// The query's id.
        id: u16,
    },
    /// A response: the peers its PTR records for [`SERVICE_NAME`] announce (none if
    /// it carries no such record).
    Response(Vec<Found>),
    /// A well-formed query for other names: not for us.
    Other,
}

/// A peer announced in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Its peer id, in base58 as it appears after `/p2p/`.
    pub peer_id: String,
    /// Its TCP listen addresses, in the order of the records.
    pub addrs: Vec<SocketAddr>,
    /// The PTR record's time to live, in seconds: 0 is a goodbye.
    pub ttl: u32,
}

/// What is wrong with a packet or with what was asked to be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Libp2pError {
    /// A field runs past the end of the packet.
    #[error("{what} needs the packet to reach byte {need}, but it is {len} bytes long")]
    Truncated {
        /// The field.
        what: &'static str,
        /// The byte offset the field would end at.
        need: usize,
        /// The packet's length.
        len: usize,
    },
    /// The packet is over [`MAX_PACKET`].
    #[error("the packet is {0} bytes, over mDNS's limit of {MAX_PACKET}")]
    TooLarge(usize),
    /// The header counts more records than [`MAX_RECORDS`], or than the packet can hold.
    #[error("the header counts {count} records, which {len} bytes cannot hold (nor more than {MAX_RECORDS})")]
    TooManyRecords {
        /// Questions, answers, authorities and additionals, together.
        count: usize,
        /// The packet's length.
        len: usize,
    },
    /// A compression pointer points at or past the end of the packet.
    #[error("the compression pointer at byte {at} points to byte {target}, past the end of the packet")]
    PointerOutOfRange {
        /// Where the pointer is.
        at: usize,
        /// Where it points.
        target: usize,
    },
    /// A compression pointer does not point before the labels it follows: it could loop.
    #[error(
        "the compression pointer at byte {at} points to byte {target}, not before byte {start} where this part of the name begins: a pointer may only go back, or names could loop"
    )]
    PointerLoop {
        /// Where the pointer is.
        at: usize,
        /// Where it points.
        target: usize,
        /// Where the labels before the pointer began.
        start: usize,
    },
    /// A length byte over 63 that is not a compression pointer.
    #[error(
        "the label at byte {at} starts with 0x{byte:02x}: a label is at most 63 bytes (0x3f), and 0xc0 marks a pointer"
    )]
    LabelTooLong {
        /// Where the length byte is.
        at: usize,
        /// The length byte.
        byte: u8,
    },
    /// A name longer than 255 bytes on the wire.
    #[error("the name at byte {at} is longer than 255 bytes")]
    NameTooLong {
        /// Where the name starts.
        at: usize,
    },
    /// A record's data does not match its type.
    #[error("the record at byte {at}: {what}")]
    BadRecord {
        /// Where the record starts.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A peer name that cannot be one DNS label of letters and digits.
    #[error("`{0}` cannot be a peer name: 1 to 63 ASCII letters and digits")]
    PeerName(String),
    /// A peer id that is not base58 text.
    #[error("`{0}` is not a peer id: 1 to 255 characters of the base58 alphabet")]
    PeerId(String),
    /// A TXT string over 255 bytes.
    #[error("a TXT string of {0} bytes: a character-string holds at most 255")]
    TxtTooLong(usize),
}

/// The query for every libp2p peer: the 12-byte header (this `id`, flags 0, one
/// question, no records) and one question, `_p2p._udp.local` type PTR class IN, the
/// name in uncompressed labels. 33 bytes.
pub fn encode_query(id: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(33);
    header(&mut out, id, 0, [1, 0, 0, 0]);
    push_name(&mut out, SERVICE_NAME);
    push_u16(&mut out, TYPE_PTR);
    push_u16(&mut out, CLASS_IN);
    out
}

/// The multiaddr text of a TCP listen address and a peer id:
/// `/ip4/A/tcp/P/p2p/ID` or `/ip6/A/tcp/P/p2p/ID` (the IPv6 address in its shortest form).
pub fn multiaddr(addr: SocketAddr, peer_id: &str) -> String {
    let proto = if addr.is_ipv4() { "ip4" } else { "ip6" };
    format!("/{proto}/{}/tcp/{}/p2p/{peer_id}", addr.ip(), addr.port())
}

/// The TCP address and peer id of a multiaddr text of exactly the form
/// `/ip4/A/tcp/P/p2p/ID` or `/ip6/A/tcp/P/p2p/ID`; `None` for any other form (QUIC,
/// DNS names, relays…), which a peer may announce and we cannot dial over TCP.
pub fn parse_multiaddr(text: &str) -> Option<(SocketAddr, String)> {
    let parts: Vec<&str> = text.split('/').collect();
    let ["", proto, ip, "tcp", port, "p2p", id] = parts.as_slice() else { return None };
    let ip: IpAddr = match *proto {
        "ip4" => IpAddr::V4(ip.parse().ok()?),
        "ip6" => IpAddr::V6(ip.parse().ok()?),
        _ => return None,
    };
    let port: u16 = port.parse().ok()?;
    valid_peer_id(id).then(|| (SocketAddr::new(ip, port), id.to_string()))
}

/// The response announcing `peer_id` at `addrs`: header (id 0, as RFC 6762 §18.1 asks of
/// multicast responses; flags 0x8400, QR and AA; no question; one answer; one
/// additional record per address), then the answer `_p2p._udp.local PTR
/// <peer_name>._p2p._udp.local` (class IN, `ttl` seconds), then for each address a
/// record `<peer_name>._p2p._udp.local TXT` (class IN with the cache-flush bit, 0x8001,
/// `ttl` seconds) holding the one string `dnsaddr=` + [`multiaddr`]. Names uncompressed.
///
/// Errors: [`Libp2pError::PeerName`] for a peer name that is not 1 to 63 ASCII letters
/// and digits, [`Libp2pError::PeerId`] for a peer id that is not base58,
/// [`Libp2pError::TxtTooLong`] for a string over 255 bytes, and
/// [`Libp2pError::TooLarge`] for a message over [`MAX_PACKET`].
pub fn encode_response(peer_name: &str, peer_id: &str, addrs: &[SocketAddr], ttl: u32) -> Result<Vec<u8>, Libp2pError> {
    if peer_name.is_empty() || peer_name.len() > 63 || !peer_name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Libp2pError::PeerName(peer_name.to_string()));
    }
    if !valid_peer_id(peer_id) {
        return Err(Libp2pError::PeerId(peer_id.to_string()));
    }
    if addrs.len() + 1 > MAX_RECORDS {
        return Err(Libp2pError::TooManyRecords { count: addrs.len() + 1, len: MAX_PACKET });
    }
    let instance = format!("{peer_name}.{SERVICE_NAME}");
    let mut out = Vec::new();
    header(&mut out, 0, FLAGS_RESPONSE, [0, 1, 0, addrs.len() as u16]);
    push_name(&mut out, SERVICE_NAME);
    push_u16(&mut out, TYPE_PTR);
    push_u16(&mut out, CLASS_IN);
    push_u32(&mut out, ttl);
    let mut target = Vec::new();
    push_name(&mut target, &instance);
    push_u16(&mut out, target.len() as u16);
    out.extend_from_slice(&target);
    for addr in addrs {
        let text = format!("{DNSADDR}{}", multiaddr(*addr, peer_id));
        if text.len() > 255 {
            return Err(Libp2pError::TxtTooLong(text.len()));
        }
        out.extend_from_slice(&target);
        push_u16(&mut out, TYPE_TXT);
        push_u16(&mut out, CLASS_IN | CACHE_FLUSH);
        push_u32(&mut out, ttl);
        push_u16(&mut out, text.len() as u16 + 1);
        out.push(text.len() as u8);
        out.extend_from_slice(text.as_bytes());
    }
    if out.len() > MAX_PACKET {
        return Err(Libp2pError::TooLarge(out.len()));
    }
    Ok(out)
}

/// Reads one mDNS message. A query (QR clear) is [`Message::Query`] if one of its
/// questions is [`SERVICE_NAME`] (compared without regard to ASCII case) of type PTR or
/// ANY, otherwise [`Message::Other`]. A response (QR set) is [`Message::Response`] with
/// one [`Found`] per answer `_p2p._udp.local PTR <target>` whose TXT records for
/// `<target>` (in the answer or additional section) hold `dnsaddr=` strings: the peer id
/// is the first one's `/p2p/` suffix, addresses under another peer id are dropped, and
/// so are multiaddrs [`parse_multiaddr`] does not read. A PTR with no usable address
/// announces nothing. Compressed names are followed; records of other names and types
/// are skipped.
///
/// Errors, before anything is trusted: [`Libp2pError::TooLarge`], [`Libp2pError::Truncated`],
/// [`Libp2pError::TooManyRecords`], [`Libp2pError::PointerOutOfRange`],
/// [`Libp2pError::PointerLoop`], [`Libp2pError::LabelTooLong`],
/// [`Libp2pError::NameTooLong`], and [`Libp2pError::BadRecord`] for a PTR whose name
/// overruns its data or TXT strings that do not exactly fill theirs.
pub fn decode(packet: &[u8]) -> Result<Message, Libp2pError> {
    let len = packet.len();
    if len > MAX_PACKET {
        return Err(Libp2pError::TooLarge(len));
    }
    let mut r = Reader { packet, pos: 0 };
    let id = r.u16("the header")?;
    let flags = r.u16("the header")?;
    let mut counts = [0usize; 4];
    for count in &mut counts {
        *count = r.u16("the header")? as usize;
    }
    let [questions, answers, authorities, additionals] = counts;
    let count = questions + answers + authorities + additionals;
    // The smallest question is 5 bytes (a root name, type, class), the smallest record 11.
    let least = 12 + questions * 5 + (count - questions) * 11;
    if count > MAX_RECORDS || least > len {
        return Err(Libp2pError::TooManyRecords { count, len });
    }
    let mut asked = false;
    for _ in 0..questions {
        let name = r.name()?;
        let ty = r.u16("a question's type")?;
        let _class = r.u16("a question's class")?;
        asked |= same_name(&name, SERVICE_NAME) && (ty == TYPE_PTR || ty == TYPE_ANY);
    }
    let mut ptrs: Vec<(String, u32)> = Vec::new();
    let mut txts: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for _ in 0..answers + authorities + additionals {
        let at = r.pos;
        let name = r.name()?;
        let ty = r.u16("a record's type")?;
        let _class = r.u16("a record's class")?;
        let ttl = r.u32("a record's TTL")?;
        let rdlen = r.u16("a record's data length")? as usize;
        let start = r.pos;
        let end = start + rdlen;
        if end > len {
            return Err(Libp2pError::Truncated { what: "a record's data", need: end, len });
        }
        match ty {
            TYPE_PTR => {
                let target = r.name()?;
                if r.pos > end {
                    return Err(Libp2pError::BadRecord { at, what: "the PTR's name runs past the record's data" });
                }
                if same_name(&name, SERVICE_NAME) {
                    ptrs.push((target, ttl));
                }
            }
            TYPE_TXT => {
                let mut strings = Vec::new();
                let mut p = start;
                while p < end {
                    let n = packet[p] as usize;
                    if p + 1 + n > end {
                        return Err(Libp2pError::BadRecord { at, what: "a TXT string runs past the record's data" });
                    }
                    strings.push(packet[p + 1..p + 1 + n].to_vec());
                    p += 1 + n;
                }
                txts.push((name, strings));
            }
            _ => {}
        }
        r.pos = end;
    }
    if flags & 0x8000 == 0 {
        return Ok(if asked { Message::Query { id } } else { Message::Other });
    }
    let mut found = Vec::new();
    for (target, ttl) in ptrs {
        let mut peer: Option<String> = None;
        let mut addrs = Vec::new();
        for (_, strings) in txts.iter().filter(|(name, _)| name.eq_ignore_ascii_case(&target)) {
            for s in strings {
                let Some(text) = s.strip_prefix(DNSADDR.as_bytes()) else { continue };
                let Some((addr, id)) = std::str::from_utf8(text).ok().and_then(parse_multiaddr) else { continue };
                match &peer {
                    Some(p) if *p != id => continue,
                    Some(_) => {}
                    None => peer = Some(id),
                }
                addrs.push(addr);
            }
        }
        if let Some(peer_id) = peer {
            found.push(Found { peer_id, addrs, ttl });
        }
    }
    Ok(Message::Response(found))
}

/// A random peer name for [`encode_response`]: 32 to 63 lower-case letters and digits,
/// as the spec asks (random, so that it says nothing about the peer, and short enough
/// for one label whatever the peer id). Drawn from the standard library's randomly keyed
/// hasher, which is random enough for a name that only has to be unique on a LAN.
pub fn random_peer_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let state = std::collections::hash_map::RandomState::new();
    let draw = |i: u64| {
        let mut h = state.build_hasher();
        h.write_u64(i);
        h.finish()
    };
    let len = 32 + (draw(u64::MAX) % 32) as usize;
    (0..len as u64).map(|i| ALPHABET[(draw(i) % ALPHABET.len() as u64) as usize] as char).collect()
}

/// Whether `id` looks like a base58btc peer id (libp2p's text form of the multihash).
fn valid_peer_id(id: &str) -> bool {
    const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    !id.is_empty() && id.len() <= 255 && id.chars().all(|c| BASE58.contains(c))
}

/// Whether a decoded name (labels joined by dots) is `expected`, ignoring ASCII case.
fn same_name(name: &str, expected: &str) -> bool {
    name.eq_ignore_ascii_case(expected)
}

fn header(out: &mut Vec<u8>, id: u16, flags: u16, counts: [u16; 4]) {
    push_u16(out, id);
    push_u16(out, flags);
    for count in counts {
        push_u16(out, count);
    }
}

/// A name as uncompressed labels and the root's zero byte. Callers pass names whose
/// labels are 1 to 63 bytes.
fn push_name(out: &mut Vec<u8>, name: &str) {
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn push_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// A cursor over a packet that checks every read against its end.
struct Reader<'a> {
    packet: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], Libp2pError> {
        let need = self.pos + n;
        let bytes =
            self.packet.get(self.pos..need).ok_or(Libp2pError::Truncated { what, need, len: self.packet.len() })?;
        self.pos = need;
        Ok(bytes)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, Libp2pError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Libp2pError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A name at the cursor, its labels joined by dots, following compression pointers
    /// (RFC 1035 §4.1.4). The cursor ends after the name's bytes here: after its zero
    /// byte, or after its first pointer. Each pointer must point before the first byte of
    /// the labels it ends, so every jump goes strictly back and the walk ends.
    fn name(&mut self) -> Result<String, Libp2pError> {
        let packet = self.packet;
        let len = packet.len();
        let begin = self.pos;
        let mut labels: Vec<String> = Vec::new();
        let mut wire = 1; // the root's zero byte
        let mut p = self.pos;
        let mut segment = self.pos;
        let mut resume: Option<usize> = None;
        loop {
            let byte = *packet.get(p).ok_or(Libp2pError::Truncated { what: "a name", need: p + 1, len })?;
            match byte {
                0 => {
                    self.pos = resume.unwrap_or(p + 1);
                    return Ok(labels.join("."));
                }
                1..=63 => {
                    let n = byte as usize;
                    let label = packet.get(p + 1..p + 1 + n).ok_or(Libp2pError::Truncated {
                        what: "a label",
                        need: p + 1 + n,
                        len,
                    })?;
                    wire += 1 + n;
                    if wire > 255 {
                        return Err(Libp2pError::NameTooLong { at: begin });
                    }
                    labels.push(String::from_utf8_lossy(label).into_owned());
                    p += 1 + n;
                }
                0xc0..=0xff => {
                    let low = *packet.get(p + 1).ok_or(Libp2pError::Truncated {
                        what: "a compression pointer",
                        need: p + 2,
                        len,
                    })?;
                    let target = ((byte as usize & 0x3f) << 8) | low as usize;
                    if target >= len {
                        return Err(Libp2pError::PointerOutOfRange { at: p, target });
                    }
                    if target >= segment {
                        return Err(Libp2pError::PointerLoop { at: p, target, start: segment });
                    }
                    resume.get_or_insert(p + 2);
                    segment = target;
                    p = target;
                }
                _ => return Err(Libp2pError::LabelTooLong { at: p, byte }),
            }
        }
    }
}
