//! The yamux frame header: twelve bytes in front of every frame.
//!
//! ```text
//!  byte  0        1        2      3      4  5  6  7    8  9  10 11
//!       version  type     flags (u16)   stream id (u32)  length (u32)
//! ```
//!
//! Every field is big-endian ("network order"). This is the header of HashiCorp's yamux
//! specification (`spec.md` in github.com/hashicorp/yamux), which libp2p uses as
//! `/yamux/1.0.0`: the same bytes are understood by the Go implementation, by the Rust
//! `yamux` crate and by this one.
//!
//! What `length` means depends on the type: for Data, the number of bytes that follow
//! the header; for WindowUpdate, how many more bytes the sender of the update is willing
//! to receive; for Ping, an opaque value echoed back; for GoAway, an error code.

/// The size of a header on the wire.
pub const HEADER_LEN: usize = 12;

/// The only version there is.
pub const VERSION: u8 = 0;

/// GoAway code: the session ends normally.
pub const GO_AWAY_NORMAL: u32 = 0;
/// GoAway code: the other side broke the protocol.
pub const GO_AWAY_PROTOCOL_ERROR: u32 = 1;
/// GoAway code: the sender failed on its own.
pub const GO_AWAY_INTERNAL_ERROR: u32 = 2;

/// The four frame types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// Bytes of a stream (type 0); `length` bytes follow the header.
    Data,
    /// More receive window for a stream (type 1); `length` is the increase.
    WindowUpdate,
    /// A ping on the session (type 2, stream 0); `length` is an opaque value.
    Ping,
    /// The session is ending (type 3, stream 0); `length` is the code.
    GoAway,
}

impl FrameType {
    /// The type's byte on the wire.
    pub fn to_byte(self) -> u8 {
        // TODO (step 4)
        todo!()
    }
}

/// The flags field: a set of [`Flags::SYN`], [`Flags::ACK`], [`Flags::FIN`] and
/// [`Flags::RST`]. Other bits are carried as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u16);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// Opens a stream (on Data or WindowUpdate); asks for an answer (on Ping).
    pub const SYN: Flags = Flags(0x1);
    /// Accepts a stream (on Data or WindowUpdate); answers a ping (on Ping).
    pub const ACK: Flags = Flags(0x2);
    /// Half-closes a stream: the sender will send no more data on it.
    pub const FIN: Flags = Flags(0x4);
    /// Resets a stream at once, in both directions.
    pub const RST: Flags = Flags(0x8);

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        // TODO (step 4)
        todo!()
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// A decoded header (the version is always [`VERSION`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// What the frame is.
    pub kind: FrameType,
    /// Its flags.
    pub flags: Flags,
    /// The stream it is about; 0 for the session (Ping and GoAway).
    pub stream_id: u32,
    /// Its length, window increase, ping value or GoAway code (see the module docs).
    pub length: u32,
}

/// Why twelve bytes are not a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A version other than 0.
    #[error("yamux version {0} is not 0")]
    Version(u8),
    /// A type other than 0 to 3.
    #[error("unknown yamux frame type {0}")]
    Type(u8),
}

impl Header {
    /// A header with these fields.
    pub fn new(kind: FrameType, flags: Flags, stream_id: u32, length: u32) -> Header {
        Header { kind, flags, stream_id, length }
    }

    /// The twelve bytes of this header: version 0, the type, then flags, stream id and
    /// length in big-endian order.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        // TODO (step 4): version, type, then flags, stream id and length, big-endian
        todo!()
    }

    /// Reads a header from its twelve bytes. A version other than 0 and a type other
    /// than 0 to 3 are errors (the peer speaks something else, or lost its framing);
    /// unknown flag bits are kept.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Header, HeaderError> {
        // TODO (step 4): the reverse of encode; Version and Type errors
        todo!()
    }
}
