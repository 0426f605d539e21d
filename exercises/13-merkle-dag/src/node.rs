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
    // TODO (step 5): a2, "Size", size, "Links", an array head, then per link: tag 42 and a byte string of 00 ‖ cid
    todo!()
}

/// Reads a node written by [`encode`]: its links and size. Anything else is an error,
/// including a non-canonical encoding of the same content.
pub fn decode(bytes: &[u8]) -> Result<(Vec<Cid>, u64), NodeError> {
    // TODO (step 5): read the same structure back with Reader; refuse anything that does not re-encode to the same bytes
    todo!()
}

/// A CBOR head: major type in the top 3 bits, then the value in its shortest form.
fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    // TODO (step 5): major type in the top 3 bits; the value in the shortest form (< 24 inline, else 24/25/26/27 and 1/2/4/8 bytes)
    todo!()
}

fn text(out: &mut Vec<u8>, s: &str) {

    // TODO (step 5): a major-type-3 head with the length, then the bytes

    todo!()

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
