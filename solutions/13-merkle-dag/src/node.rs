//! An interior node of the DAG, encoded in DAG-CBOR
//! ([spec](https://ipld.io/specs/codecs/dag-cbor/spec/)).
//!
//! A node is a map with two keys: `Size`, the total bytes of file data below it, and
//! `Links`, the CIDs of its children in order. DAG-CBOR is CBOR
//! ([RFC 8949](https://www.rfc-editor.org/rfc/rfc8949)) with one encoding per value, so
//! that equal data always hashes equal: integers in their shortest form, map keys
//! sorted by length and then bytewise (so `Size` comes before `Links`), and links as
//! CBOR tag 42 around a byte string of `00` followed by the binary CID.
//!
//! ```text
//! a2                     map of 2 pairs
//!   64 53 69 7a 65       "Size" (text of 4 bytes)
//!   1a 00 04 00 00       262144 (unsigned, 4-byte form)
//!   65 4c 69 6e 6b 73    "Links" (text of 5 bytes)
//!   82                   array of 2
//!     d8 2a 58 25 00 …   tag 42, bytes of 37: 00 and a 36-byte CID
//!     d8 2a 58 25 00 …
//! ```

use crate::cid::Cid;

/// Why bytes are not a node this crate wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a DAG node: {0}")]
pub struct NodeError(pub String);

/// The DAG-CBOR bytes of a node with `links` and `size` bytes of data below it.
pub fn encode(links: &[Cid], size: u64) -> Vec<u8> {
    let mut out = vec![0xa2];
    text(&mut out, "Size");
    head(&mut out, 0, size);
    text(&mut out, "Links");
    head(&mut out, 4, links.len() as u64);
    for link in links {
        let mut bytes = vec![0x00];
        bytes.extend(link.to_bytes());
        head(&mut out, 6, 42);
        head(&mut out, 2, bytes.len() as u64);
        out.extend(bytes);
    }
    out
}

/// Reads a node written by [`encode`]: its links and size. Anything else is an error,
/// including a non-canonical encoding of the same content.
pub fn decode(bytes: &[u8]) -> Result<(Vec<Cid>, u64), NodeError> {
    let err = |what: &str| NodeError(what.to_string());
    let mut reader = Reader { bytes, at: 0 };
    if reader.byte()? != 0xa2 {
        return Err(err("expected a map of two pairs"));
    }
    reader.expect_text("Size")?;
    let size = reader.head(0)?;
    reader.expect_text("Links")?;
    let count = reader.head(4)?;
    let mut links = Vec::new();
    for _ in 0..count {
        if reader.head(6)? != 42 {
            return Err(err("a link must be CBOR tag 42"));
        }
        let len = reader.head(2)? as usize;
        let body = reader.take(len)?;
        let (first, cid) = body.split_first().ok_or_else(|| err("an empty link"))?;
        if *first != 0 {
            return Err(err("a link's bytes must start with 00"));
        }
        links.push(Cid::from_bytes(cid).map_err(|e| NodeError(e.to_string()))?);
    }
    if reader.at != bytes.len() {
        return Err(err("bytes after the node"));
    }
    // Canonical or nothing: re-encoding must give the same bytes.
    if encode(&links, size) != bytes {
        return Err(err("not the canonical DAG-CBOR encoding"));
    }
    Ok((links, size))
}

/// A CBOR head: major type in the top 3 bits, then the value in its shortest form.
fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    match value {
        0..=23 => out.push(major | value as u8),
        24..=0xff => out.extend([major | 24, value as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend((value as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend((value as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend(value.to_be_bytes());
        }
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, NodeError> {
        let b = *self.bytes.get(self.at).ok_or_else(|| NodeError("cut short".into()))?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], NodeError> {
        let slice = self.bytes.get(self.at..self.at + n).ok_or_else(|| NodeError("cut short".into()))?;
        self.at += n;
        Ok(slice)
    }

    /// A head of major type `major`; returns its value.
    fn head(&mut self, major: u8) -> Result<u64, NodeError> {
        let first = self.byte()?;
        if first >> 5 != major {
            return Err(NodeError(format!("expected CBOR major type {major}, found {}", first >> 5)));
        }
        Ok(match first & 31 {
            n @ 0..=23 => u64::from(n),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().expect("2"))),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().expect("4"))),
            27 => u64::from_be_bytes(self.take(8)?.try_into().expect("8")),
            _ => return Err(NodeError("indefinite lengths are not DAG-CBOR".into())),
        })
    }

    fn expect_text(&mut self, s: &str) -> Result<(), NodeError> {
        let len = self.head(3)? as usize;
        if self.take(len)? != s.as_bytes() {
            return Err(NodeError(format!("expected the key {s:?}")));
        }
        Ok(())
    }
}
