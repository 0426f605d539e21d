//! Unsigned varints, as multiformats uses them
//! ([spec](https://github.com/multiformats/unsigned-varint)): seven bits per byte, least
//! significant group first, the high bit set on every byte but the last. Small numbers
//! (every code a CID uses) take one byte.

/// Why bytes are not a varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    /// The bytes ended in the middle of a varint.
    #[error("a varint is cut short")]
    Truncated,
    /// More than 9 bytes (63 bits), the multiformats limit, or not minimal.
    #[error("a varint is over 9 bytes or not minimally encoded")]
    Invalid,
}

/// The varint encoding of `value`.
pub fn encode(mut value: u64) -> Vec<u8> {
    // TODO (step 1): seven bits at a time, low group first, high bit on all but the last byte
    todo!()
}

/// Reads a varint from the start of `bytes`: the value and how many bytes it took.
pub fn decode(bytes: &[u8]) -> Result<(u64, usize), VarintError> {
    // TODO (step 1): refuse a varint cut short, over 9 bytes, or not minimal (a final 00 after other bytes)
    todo!()
}
