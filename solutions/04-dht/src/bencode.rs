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
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

fn encode_into(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Int(n) => out.extend_from_slice(format!("i{n}e").as_bytes()),
        Value::Bytes(bytes) => encode_bytes(bytes, out),
        Value::List(items) => {
            out.push(b'l');
            for item in items {
                encode_into(item, out);
            }
            out.push(b'e');
        }
        Value::Dict(entries) => {
            out.push(b'd');
            for (key, item) in entries {
                encode_bytes(key, out);
                encode_into(item, out);
            }
            out.push(b'e');
        }
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(bytes);
}

/// Decodes exactly one value that fills all of `input`. Rejects anything that is
/// not the value's one canonical encoding, and never panics.
pub fn decode(input: &[u8]) -> Result<Value, BencodeError> {
    let mut parser = Parser { input, pos: 0 };
    let value = parser.value(0)?;
    if parser.pos != input.len() {
        return Err(BencodeError::TrailingBytes { at: parser.pos, extra: input.len() - parser.pos });
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Result<u8, BencodeError> {
        self.input.get(self.pos).copied().ok_or(BencodeError::UnexpectedEnd)
    }

    fn value(&mut self, depth: usize) -> Result<Value, BencodeError> {
        match self.peek()? {
            b'i' => {
                self.pos += 1;
                let n = self.integer(b'e')?;
                Ok(Value::Int(n))
            }
            b'0'..=b'9' => Ok(Value::Bytes(self.bytes()?)),
            b'l' | b'd' if depth >= MAX_DEPTH => Err(BencodeError::TooDeep { at: self.pos }),
            b'l' => {
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek()? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Ok(Value::List(items))
            }
            b'd' => {
                self.pos += 1;
                let mut entries = BTreeMap::new();
                let mut last: Option<Vec<u8>> = None;
                while self.peek()? != b'e' {
                    let at = self.pos;
                    if !self.peek()?.is_ascii_digit() {
                        return Err(BencodeError::UnexpectedByte { at, byte: self.peek()? });
                    }
                    let key = self.bytes()?;
                    if last.as_ref().is_some_and(|last| *last >= key) {
                        return Err(BencodeError::UnsortedKeys { at });
                    }
                    let item = self.value(depth + 1)?;
                    last = Some(key.clone());
                    entries.insert(key, item);
                }
                self.pos += 1;
                Ok(Value::Dict(entries))
            }
            byte => Err(BencodeError::UnexpectedByte { at: self.pos, byte }),
        }
    }

    /// Digits (with an optional `-`) up to `end`, which is consumed.
    fn integer(&mut self, end: u8) -> Result<i64, BencodeError> {
        let start = self.pos;
        let stop =
            self.input[start..].iter().position(|&b| b == end).map(|i| start + i).ok_or(BencodeError::UnexpectedEnd)?;
        let text = &self.input[start..stop];
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        let canonical = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits == b"0" || digits[0] != b'0')
            && !(text[0] == b'-' && digits == b"0");
        let invalid = BencodeError::InvalidInteger { at: start };
        if !canonical {
            return Err(invalid);
        }
        let n = std::str::from_utf8(text).ok().and_then(|t| t.parse().ok()).ok_or(invalid)?;
        self.pos = stop + 1;
        Ok(n)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, BencodeError> {
        let at = self.pos;
        let len = self.integer(b':')?;
        let len = usize::try_from(len).map_err(|_| BencodeError::InvalidInteger { at })?;
        let end =
            self.pos.checked_add(len).filter(|&end| end <= self.input.len()).ok_or(BencodeError::UnexpectedEnd)?;
        let bytes = self.input[self.pos..end].to_vec();
        self.pos = end;
        Ok(bytes)
    }
}
