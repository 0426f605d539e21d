//! KRPC (BEP 5): the DHT's messages, one bencoded dictionary per UDP packet.
//!
//! Every message has `t` (a transaction id the reply echoes) and `y`: `q` for a query
//! (method in `q`, arguments in `a`), `r` for a response (values in `r`), `e` for an
//! error (`[code, message]` in `e`). A query may also carry `ro = 1` (BEP 43): its
//! sender is a read-only node, which asks but does not answer.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::bencode::{self, BencodeError, Value};
use crate::id::Id;

/// A node as the DHT knows it: its id and where it listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Contact {
    pub id: Id,
    pub addr: SocketAddrV4,
}

/// One KRPC message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The transaction id: chosen by the querier, echoed in the reply. BEP 5 leaves
    /// its length to the querier (its examples use 2 bytes, mainline and libtorrent
    /// send 4), so a reply echoes whatever came.
    pub t: Vec<u8>,
    pub body: Body,
    /// `ro = 1` in the top-level dictionary (BEP 43): the sender is a read-only node
    /// (behind a NAT, on a phone) that sends queries but answers none, so it must not
    /// enter anyone's routing table. Absent, or `ro = 0`, is `false`.
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Query(Query),
    Response(Response),
    /// 201 generic, 202 server, 203 protocol (a bad token, a malformed packet),
    /// 204 method unknown.
    Error {
        code: i64,
        message: String,
    },
}

/// The four queries of BEP 5. `id` is always the querying node's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    Ping {
        id: Id,
    },
    FindNode {
        id: Id,
        target: Id,
    },
    GetPeers {
        id: Id,
        info_hash: Id,
    },
    /// `implied_port`: use the port the packet came from instead of `port`.
    AnnouncePeer {
        id: Id,
        info_hash: Id,
        port: u16,
        token: Vec<u8>,
        implied_port: bool,
    },
}

/// A response. Which fields are present depends on the query it answers (the
/// querier knows which from the transaction id): `id` always; `nodes` for
/// find_node and get_peers; `token` and `values` for get_peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub id: Id,
    pub nodes: Option<Vec<Contact>>,
    pub values: Option<Vec<SocketAddrV4>>,
    pub token: Option<Vec<u8>>,
}

impl Response {
    /// A response carrying only the responder's id (ping, announce_peer).
    pub fn id(id: Id) -> Response {
        Response { id, nodes: None, values: None, token: None }
    }
}

/// Why bytes are not a KRPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KrpcError {
    #[error("not bencoded: {0}")]
    Bencode(#[from] BencodeError),
    #[error("a KRPC message is a dictionary")]
    NotADictionary,
    #[error("the key `{0}` is missing")]
    Missing(&'static str),
    #[error("the key `{0}` has the wrong type or length")]
    Invalid(&'static str),
    #[error("unknown message type (y = {0:?})")]
    UnknownType(String),
    #[error("unknown method `{0}`")]
    UnknownMethod(String),
}

/// Compact node info: 26 bytes per node, the 20-byte id then the IPv4 address and
/// port in network byte order.
pub fn encode_nodes(nodes: &[Contact]) -> Vec<u8> {
    // TODO (step 3)
    todo!()
}

/// Reads compact node info; `None` unless the length is a multiple of 26.
pub fn decode_nodes(bytes: &[u8]) -> Option<Vec<Contact>> {
    // TODO (step 3)
    todo!()
}

/// Compact peer info: 6 bytes, the IPv4 address then the port, network byte order.
pub fn encode_addr(addr: &SocketAddrV4) -> [u8; 6] {
    // TODO (step 3)
    todo!()
}

/// Reads compact peer info; `None` unless exactly 6 bytes.
pub fn decode_addr(bytes: &[u8]) -> Option<SocketAddrV4> {
    // TODO (step 3)
    todo!()
}

type Dict = BTreeMap<Vec<u8>, Value>;

/// The transaction id of a message that may not otherwise parse (an unknown
/// method, a missing argument), so an error reply can still carry it.
pub fn transaction_id(input: &[u8]) -> Option<Vec<u8>> {
    match bencode::decode(input).ok()? {
        Value::Dict(top) => match top.get(b"t".as_slice())? {
            Value::Bytes(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn bytes(value: impl Into<Vec<u8>>) -> Value {
    Value::Bytes(value.into())
}

impl Message {
    /// The message's bencoded bytes (dictionary keys in sorted order, as bencode
    /// requires), with `ro = 1` at the top level when `read_only` and no `ro` key
    /// otherwise.
    pub fn encode(&self) -> Vec<u8> {
        // TODO (step 3; `ro`: step 9)
        todo!()
    }

    /// Reads a message. Keys it does not know (such as `v`, the client version, or
    /// `ip`, BEP 42's view of the querier's address) are ignored, as BEP 5 asks; `ro`
    /// is read-only when it is a non-zero integer.
    pub fn decode(input: &[u8]) -> Result<Message, KrpcError> {
        // TODO (step 3; `ro`: step 9)
        todo!()
    }
}

fn get<'a>(dict: &'a Dict, key: &'static str) -> Result<&'a Value, KrpcError> {
    dict.get(key.as_bytes()).ok_or(KrpcError::Missing(key))
}

fn get_bytes<'a>(dict: &'a Dict, key: &'static str) -> Result<&'a [u8], KrpcError> {
    match get(dict, key)? {
        Value::Bytes(b) => Ok(b),
        _ => Err(KrpcError::Invalid(key)),
    }
}

fn get_dict<'a>(dict: &'a Dict, key: &'static str) -> Result<&'a Dict, KrpcError> {
    match get(dict, key)? {
        Value::Dict(d) => Ok(d),
        _ => Err(KrpcError::Invalid(key)),
    }
}

fn get_int(dict: &Dict, key: &'static str) -> Result<i64, KrpcError> {
    match get(dict, key)? {
        Value::Int(n) => Ok(*n),
        _ => Err(KrpcError::Invalid(key)),
    }
}

fn get_id(dict: &Dict, key: &'static str) -> Result<Id, KrpcError> {
    Id::from_slice(get_bytes(dict, key)?).ok_or(KrpcError::Invalid(key))
}
