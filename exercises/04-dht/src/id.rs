//! Node ids and info-hashes: 160-bit numbers, compared by XOR distance.

use std::fmt;

use kit::rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A 160-bit id (a node id, or the info-hash a peer announces under). Ordered as a
/// big-endian number, so comparing two distances compares their values.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Id(pub [u8; 20]);

impl Id {
    /// The number of bits in an id.
    pub const BITS: usize = 160;

    /// The id made of exactly 20 bytes, or `None`.
    pub fn from_slice(bytes: &[u8]) -> Option<Id> {
        bytes.try_into().ok().map(Id)
    }

    /// A uniformly random id.
    pub fn random(rng: &mut impl Rng) -> Id {
        let mut bytes = [0; 20];
        rng.fill(&mut bytes[..]);
        Id(bytes)
    }

    /// The XOR distance between two ids: itself an id, ordered as a number.
    pub fn distance(&self, other: &Id) -> Id {
        // TODO (step 1)
        todo!()
    }

    /// Which k-bucket of this node `other` belongs in: 159 when the first bit
    /// differs (the far half of the id space), 0 when only the last bit differs.
    /// That is the index of the distance's highest set bit. `None` for the node itself.
    pub fn bucket_index(&self, other: &Id) -> Option<usize> {
        // TODO (step 1)
        todo!()
    }

    /// A random id that belongs in bucket `index` of this node: it shares the first
    /// `159 - index` bits with this id and differs in the next one. Used to refresh
    /// a bucket by looking up an id in its range.
    pub fn random_in_bucket(&self, index: usize, rng: &mut impl Rng) -> Id {
        assert!(index < Id::BITS, "bucket index {index} out of range");
        let mut d = Id::random(rng).0;
        let bit = Id::BITS - 1 - index; // position from the most significant bit
        for (i, byte) in d.iter_mut().enumerate() {
            for b in 0..8 {
                let pos = i * 8 + b;
                let mask = 0x80 >> b;
                if pos < bit {
                    *byte &= !mask;
                } else if pos == bit {
                    *byte |= mask;
                }
            }
        }
        self.distance(&Id(d))
    }

    /// The id from 40 hex digits.
    pub fn from_hex(text: &str) -> Option<Id> {
        if text.len() != 40 {
            return None;
        }
        let mut bytes = [0; 20];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Id(bytes))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Eight hex digits tell ids apart in traces.
        write!(f, "{}…", &self.to_string()[..8])
    }
}
