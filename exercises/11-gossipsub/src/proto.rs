//! The pubsub RPC, libp2p's protobuf, read and written by hand as the Noise payload
//! was in the handshake chapter. The schema is the pubsub spec's `rpc.proto`
//! (<https://github.com/libp2p/specs/blob/master/pubsub/README.md#the-rpc>) with
//! gossipsub's control messages
//! (<https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#protobuf>):
//!
//! ```text
//! message RPC {
//!     repeated SubOpts subscriptions = 1;   // SubOpts: optional bool subscribe = 1;
//!     repeated Message publish = 2;         //          optional string topicid = 2;
//!     optional ControlMessage control = 3;
//! }
//! message Message {
//!     optional bytes from = 1;  optional bytes data = 2;  optional bytes seqno = 3;
//!     required string topic = 4;  optional bytes signature = 5;  optional bytes key = 6;
//! }
//! message ControlMessage {
//!     repeated ControlIHave ihave = 1;      // optional string topicID = 1; repeated bytes messageIDs = 2;
//!     repeated ControlIWant iwant = 2;      // repeated bytes messageIDs = 1;
//!     repeated ControlGraft graft = 3;      // optional string topicID = 1;
//!     repeated ControlPrune prune = 4;      // optional string topicID = 1; repeated PeerInfo peers = 2;
//! }                                         // optional uint64 backoff = 3;
//! ```
//!
//! Writers put fields in field-number order and leave out what is absent (`None`, an
//! empty list, a control message with nothing in it), as rust-libp2p does, so the
//! bytes are the same on both sides: a signature covers them. Readers accept fields in
//! any order, skip the ones they do not know (field numbers and wire types they have no
//! use for, such as PRUNE's peer exchange or v1.2's IDONTWANT), and check every varint
//! and length against the bytes that are left: a frame comes from a peer that has
//! proven nothing.

/// The largest RPC frame a node reads or writes: 64 KiB, rust-libp2p's default
/// `max_transmit_size`.
pub const MAX_FRAME: usize = 65_536;

/// Why bytes are not an RPC (or a message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A varint, a length or a fixed-size value runs past the end of the bytes.
    Truncated,
    /// A varint of more than ten bytes, or one that does not fit 64 bits.
    Varint,
    /// Wire types 3 and 4 (groups) and 6 and 7 (undefined).
    WireType(u8),
    /// A known field with another wire type than its schema's.
    FieldType(u64),
    /// A topic that is not UTF-8.
    Utf8,
    /// More than [`MAX_FRAME`] bytes.
    TooLarge,
}

/// A pubsub message: what an author publishes, signed, and what every forwarder passes
/// on unchanged. `None` is a field left out of the encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Message {
    /// Field 1: the author's peer id, 38 bytes for an Ed25519 key.
    pub from: Option<Vec<u8>>,
    /// Field 2: the content.
    pub data: Option<Vec<u8>>,
    /// Field 3: the author's sequence number, 8 bytes big-endian.
    pub seqno: Option<Vec<u8>>,
    /// Field 4: the topic.
    pub topic: String,
    /// Field 5: the author's signature (see `sign`).
    pub signature: Option<Vec<u8>>,
    /// Field 6: the author's public key, left out when the peer id inlines it.
    pub key: Option<Vec<u8>>,
}

/// A subscription change: `subscribe` true to join `topic`, false to leave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubOpts {
    /// Field 1 (bool): join or leave.
    pub subscribe: bool,
    /// Field 2: the topic.
    pub topic: String,
}

/// "I have these messages of `topic`" (field 1 of the control message).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IHave {
    /// Field 1.
    pub topic: String,
    /// Field 2, repeated: message ids.
    pub ids: Vec<Vec<u8>>,
}

/// "Send me these messages" (field 2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IWant {
    /// Field 1, repeated: message ids.
    pub ids: Vec<Vec<u8>>,
}

/// "Add me to your mesh of `topic`" (field 3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graft {
    /// Field 1.
    pub topic: String,
}

/// "You are out of my mesh of `topic`" (field 4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prune {
    /// Field 1.
    pub topic: String,
    /// Field 3: seconds before the pruned peer may GRAFT again (v1.1).
    pub backoff: Option<u64>,
}

/// The control message: gossipsub's part of the RPC (field 3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Control {
    /// Field 1.
    pub ihave: Vec<IHave>,
    /// Field 2.
    pub iwant: Vec<IWant>,
    /// Field 3.
    pub graft: Vec<Graft>,
    /// Field 4.
    pub prune: Vec<Prune>,
}

impl Control {
    /// Whether it carries nothing (and is left out of the RPC).
    pub fn is_empty(&self) -> bool {
        self.ihave.is_empty() && self.iwant.is_empty() && self.graft.is_empty() && self.prune.is_empty()
    }
}

/// One RPC frame: what peers send each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rpc {
    /// Field 1.
    pub subscriptions: Vec<SubOpts>,
    /// Field 2.
    pub publish: Vec<Message>,
    /// Field 3, left out when empty.
    pub control: Control,
}

/// Appends `n` as a varint: seven bits per byte, least significant group first, the
/// top bit set on every byte but the last.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads one varint from the front of `bytes`: its value and how many bytes it took.
pub fn get_varint(bytes: &[u8]) -> Result<(u64, usize), DecodeError> {
    let mut n = 0u64;
    for (i, &byte) in bytes.iter().enumerate() {
        if i == 9 && byte > 1 {
            return Err(DecodeError::Varint);
        }
        n |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((n, i + 1));
        }
    }
    Err(DecodeError::Truncated)
}

/// Appends a length-delimited field: its key (field number << 3 | 2), the length as a
/// varint, the bytes.
pub fn put_bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl Message {
    /// The protobuf bytes of the message: its fields in number order, each present
    /// field written (an empty `Some` too), the topic always.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let optional = [(1, &self.from), (2, &self.data), (3, &self.seqno)];
        for (field, value) in optional {
            // TODO (step 1)
            todo!()
        }
        put_bytes_field(&mut out, 4, self.topic.as_bytes());
        for (field, value) in [(5, &self.signature), (6, &self.key)] {
            if let Some(bytes) = value {
                put_bytes_field(&mut out, field, bytes);
            }
        }
        out
    }

    /// Reads a message, skipping unknown fields; a field sent twice keeps its last
    /// value. A missing topic reads as empty.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        // TODO (step 1)
        todo!()
    }
}

impl Rpc {
    /// The protobuf bytes of the frame: subscriptions, messages, then the control
    /// message if it carries anything.
    pub fn encode(&self) -> Vec<u8> {
        // TODO (step 1)
        todo!()
    }

    /// Reads a frame of at most [`MAX_FRAME`] bytes ([`DecodeError::TooLarge`]
    /// otherwise, before anything is read), skipping unknown fields at every level.
    pub fn decode(bytes: &[u8]) -> Result<Rpc, DecodeError> {
        // TODO (step 1)
        todo!()
    }
}
