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

/// Why bytes are not a node this crate wrote. Every length in the input is checked
/// against the bytes that remain before it is used, so a hostile length (say
/// `0xffff_ffff_ffff_ffff`) is an error here, never an overflow or a huge allocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The input ends inside an item.
    #[error("not a DAG node: cut short")]
    Truncated,
    /// A length or count claims more bytes than the input has left.
    #[error("not a DAG node: a length of {claimed} with only {remaining} bytes left")]
    TooLong {
        /// The length the input claims.
        claimed: u64,
        /// The bytes left after its head.
        remaining: usize,
    },
    /// A head of another CBOR major type than the structure needs here.
    #[error("not a DAG node: expected CBOR major type {expected}, found {found}")]
    MajorType {
        /// The major type the structure needs.
        expected: u8,
        /// The one the input has.
        found: u8,
    },
    /// An indefinite length or a reserved additional-information value (28–31), which
    /// DAG-CBOR forbids.
    #[error("not a DAG node: indefinite or reserved length")]
    Indefinite,
    /// Not a map of two pairs.
    #[error("not a DAG node: expected {0}")]
    Shape(&'static str),
    /// A map key other than `Size` then `Links`, the only order DAG-CBOR allows.
    #[error("not a DAG node: expected the key {0:?}")]
    Key(&'static str),
    /// A link that is not tag 42 over `00` and a CID this crate reads.
    #[error("not a DAG node: bad link: {0}")]
    Link(String),
    /// Bytes after the node.
    #[error("not a DAG node: bytes after the node")]
    Trailing,
    /// The same content, encoded differently than [`encode`] would (a long form of a
    /// small integer, say): DAG-CBOR allows one encoding per value.
    #[error("not a DAG node: not the canonical DAG-CBOR encoding")]
    NotCanonical,
}

/// The DAG-CBOR bytes of a node with `links` and `size` bytes of data below it.
pub fn encode(links: &[Cid], size: u64) -> Vec<u8> {
    // TODO (step 5)
    todo!()
}

/// Reads a node written by [`encode`]: its links and size. Anything else is an error,
/// including a non-canonical encoding of the same content. The bytes come from peers
/// nobody trusts, so no input may panic, overflow or make it allocate more than the
/// input's own length: each [`NodeError`] says what was wrong.
pub fn decode(bytes: &[u8]) -> Result<(Vec<Cid>, u64), NodeError> {
    // TODO (step 5)
    todo!()
}

/// A CBOR head: major type in the top 3 bits, then the value in its shortest form.
fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    // TODO (step 5)
    todo!()
}

fn text(out: &mut Vec<u8>, s: &str) {
    // TODO (step 5)
    todo!()
}

/// A cursor over untrusted bytes. Every method checks what is left before it reads, with
/// no addition that could overflow: a length off the wire is compared with the bytes
/// remaining, never added to the position first.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// The bytes not read yet.
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, NodeError> {
        let b = *self.bytes.get(self.at).ok_or(NodeError::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], NodeError> {
        if n > self.remaining() {
            return Err(NodeError::Truncated);
        }
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(slice)
    }

    /// A head of major type `major`; returns its value.
    fn head(&mut self, major: u8) -> Result<u64, NodeError> {
        let first = self.byte()?;
        if first >> 5 != major {
            return Err(NodeError::MajorType { expected: major, found: first >> 5 });
        }
        Ok(match first & 31 {
            n @ 0..=23 => u64::from(n),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.array()?)),
            26 => u64::from(u32::from_be_bytes(self.array()?)),
            27 => u64::from_be_bytes(self.array()?),
            _ => return Err(NodeError::Indefinite),
        })
    }

    /// A head of major type `major` whose value counts bytes or items still to come: it
    /// can be no more than what is left, since each takes at least one byte.
    fn length(&mut self, major: u8) -> Result<usize, NodeError> {
        let claimed = self.head(major)?;
        let remaining = self.remaining();
        match usize::try_from(claimed) {
            Ok(n) if n <= remaining => Ok(n),
            _ => Err(NodeError::TooLong { claimed, remaining }),
        }
    }

    /// The next `N` bytes, for a fixed-width big-endian integer.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], NodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn expect_text(&mut self, s: &'static str) -> Result<(), NodeError> {
        let len = self.length(3)?;
        if self.take(len)? != s.as_bytes() {
            return Err(NodeError::Key(s));
        }
        Ok(())
    }
}
