//! The wire protocol: one JSON object per line, each with an `op`.
//!
//! ```text
//! → {"op":"register","topic":"chat","peer":"12D3KooW…","addrs":["127.0.0.1:4001"],"ttl":60}
//! ← {"op":"registered","ttl":60}
//! → {"op":"discover","topic":"chat","cookie":0,"limit":100}
//! ← {"op":"peers","peers":[{"peer":"12D3KooW…","addrs":["127.0.0.1:4001"],"ttl":59}],"cookie":1}
//! → {"op":"subscribe","topic":"chat"}
//! ← {"op":"subscribed"}
//! ← {"op":"arrived","topic":"chat","registration":{"peer":"…","addrs":["…"],"ttl":60}}
//! → {"op":"vote"}
//! ← {"op":"error","code":"unknown_op","message":"unknown op `vote`"}
//! ```

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest line either side accepts, newline included. A longer one is refused
/// without being buffered whole.
pub const MAX_FRAME: usize = 64 * 1024;
/// The longest a registration may live, in seconds (72 hours, as in libp2p rendezvous).
pub const MAX_TTL: u64 = 72 * 60 * 60;
/// The TTL when a register request gives none (2 hours, as in libp2p rendezvous).
pub const DEFAULT_TTL: u64 = 2 * 60 * 60;
/// The most registrations one discover returns.
pub const MAX_LIMIT: usize = 1000;

/// A request from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Be listed under `topic` as `peer`, reachable at `addrs`, for `ttl` seconds.
    /// Registering again replaces the earlier registration.
    Register {
        topic: String,
        peer: String,
        addrs: Vec<String>,
        #[serde(default = "default_ttl")]
        ttl: u64,
    },
    /// Stop being listed.
    Unregister { topic: String, peer: String },
    /// The registrations of `topic` newer than `cookie` (0: all), at most `limit`.
    Discover {
        topic: String,
        #[serde(default)]
        cookie: u64,
        #[serde(default = "default_limit")]
        limit: usize,
    },
    /// From now on, push an `arrived` message for every registration under `topic`.
    Subscribe { topic: String },
}

fn default_ttl() -> u64 {
    DEFAULT_TTL
}

fn default_limit() -> usize {
    100
}

/// One peer listed under a topic. `ttl` is the seconds it has left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub peer: String,
    pub addrs: Vec<String>,
    pub ttl: u64,
}

/// A reply from the server, or a message it pushes to a subscriber.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Reply {
    Registered {
        ttl: u64,
    },
    Unregistered,
    /// Registrations in the order they were made; pass `cookie` to the next discover
    /// to get only newer ones.
    Peers {
        peers: Vec<Registration>,
        cookie: u64,
    },
    Subscribed,
    Arrived {
        topic: String,
        registration: Registration,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// What was wrong with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a JSON object with a string `op`.
    Malformed,
    /// A line longer than [`MAX_FRAME`].
    TooLarge,
    /// An `op` the server does not know.
    UnknownOp,
    /// A known op with missing, extra or mistyped fields, or values out of range.
    Invalid,
}

/// Why a line is not a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// Not JSON, not an object, or no string `op`: nothing to go on.
    #[error("not a JSON object with a string `op`: {0}")]
    Malformed(String),
    /// An `op` not in [`OPS`]: perhaps a newer client, so it is told which op.
    #[error("unknown op `{0}`")]
    UnknownOp(String),
    /// A known op whose fields are missing, extra or of the wrong type.
    #[error("invalid `{op}` request: {reason}")]
    Invalid { op: String, reason: String },
}

impl ProtoError {
    /// The code to put in the error reply.
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtoError::Malformed(_) => ErrorCode::Malformed,
            ProtoError::UnknownOp(_) => ErrorCode::UnknownOp,
            ProtoError::Invalid { .. } => ErrorCode::Invalid,
        }
    }
}

/// The ops a server knows.
pub const OPS: [&str; 4] = ["register", "unregister", "discover", "subscribe"];

/// Parses one line from a client (without its newline), telling apart what is not
/// JSON at all, an op nobody knows, and a known op with bad fields, so that the error
/// reply can say which ([`ProtoError::code`]). Any bytes at all may arrive here: none
/// may panic.
pub fn parse_request(line: &[u8]) -> Result<Request, ProtoError> {
    // TODO (step 2)
    todo!()
}

/// One frame read from a peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A line, without its newline.
    Line(Vec<u8>),
    /// A line longer than the limit; its bytes were read and dropped up to the
    /// newline, so the next frame starts clean.
    TooLarge,
    /// The peer closed the connection (a partial last line is dropped).
    Closed,
}

/// Reads the next newline-terminated line, holding at most `max` bytes of it in
/// memory.
pub async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Frame> {
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Frame::Closed);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if !too_large {
            if line.len() + chunk.len() >= max {
                too_large = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(if too_large { Frame::TooLarge } else { Frame::Line(line) });
        }
    }
}

/// A message as one line: JSON and a newline.
pub fn to_line<T: Serialize>(message: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).expect("our messages always serialize");
    line.push(b'\n');
    line
}
