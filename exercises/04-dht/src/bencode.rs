//! Bencoding (BEP 3): the wire format of BitTorrent and its DHT.
//!
//! Four kinds of value: integers `i42e`, byte strings `4:spam`, lists `l…e` and
//! dictionaries `d…e` whose keys are byte strings in sorted order. Every value has
//! exactly one encoding, so the same message always has the same bytes.

use std::collections::BTreeMap;

/// A bencoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    /// A `BTreeMap` keeps the keys sorted, as the encoding requires.
    Dict(BTreeMap<Vec<u8>, Value>),
}

/// How deeply lists and dictionaries may nest. KRPC needs 3; the limit keeps a
/// hostile `llllll…` from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// Why bytes are not one valid bencoded value. `at` is the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BencodeError {
    #[error("the input ends in the middle of a value")]
    UnexpectedEnd,
    #[error("unexpected byte {byte:#04x} at offset {at}")]
    UnexpectedByte { at: usize, byte: u8 },
    #[error("invalid integer at offset {at} (empty, -0, a leading zero, or out of range)")]
    InvalidInteger { at: usize },
    #[error("dictionary keys out of order or repeated at offset {at}")]
    UnsortedKeys { at: usize },
    #[error("nested deeper than {MAX_DEPTH} levels at offset {at}")]
    TooDeep { at: usize },
    #[error("{extra} bytes after the value, at offset {at}")]
    TrailingBytes { at: usize, extra: usize },
}

/// Encodes `value`.
pub fn encode(value: &Value) -> Vec<u8> {
    // TODO (step 2)
    todo!()
}

/// Decodes exactly one value that fills all of `input`. Rejects anything that is
/// not the value's one canonical encoding, and never panics.
pub fn decode(input: &[u8]) -> Result<Value, BencodeError> {
    // TODO (step 2)
    todo!()
}
