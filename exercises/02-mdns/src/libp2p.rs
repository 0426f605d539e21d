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

// The private constants below are the numbers of RFC 1035 and RFC 6762 you need; the
// helpers (a cursor that checks every read, a name writer) are yours to design.

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
    // TODO (step 6)
    todo!()
}

/// The multiaddr text of a TCP listen address and a peer id:
/// `/ip4/A/tcp/P/p2p/ID` or `/ip6/A/tcp/P/p2p/ID` (the IPv6 address in its shortest form).
pub fn multiaddr(addr: SocketAddr, peer_id: &str) -> String {
    // TODO (step 6)
    todo!()
}

/// The TCP address and peer id of a multiaddr text of exactly the form
/// `/ip4/A/tcp/P/p2p/ID` or `/ip6/A/tcp/P/p2p/ID`; `None` for any other form (QUIC,
/// DNS names, relays…), which a peer may announce and we cannot dial over TCP.
pub fn parse_multiaddr(text: &str) -> Option<(SocketAddr, String)> {
    // TODO (step 7)
    todo!()
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
    // TODO (step 6)
    todo!()
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
    // TODO (step 7): queries, and the peers of a response
    // TODO (step 8): every length, offset, pointer and count checked
    todo!()
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
