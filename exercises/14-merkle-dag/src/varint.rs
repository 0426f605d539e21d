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

/// The varint encoding of `value`: the shortest one, so that equal numbers always give
/// equal bytes (and equal hashes).
pub fn encode(mut value: u64) -> Vec<u8> {
    // TODO (step 1)
    todo!()
}

/// Reads a varint from the start of `bytes`: the value and how many bytes it took
/// (what follows is not read). [`VarintError::Truncated`] if the bytes end inside it;
/// [`VarintError::Invalid`] if it runs past 9 bytes or is not the shortest encoding of
/// its value, since a second spelling of one number would be a second CID for the
/// same content.
pub fn decode(bytes: &[u8]) -> Result<(u64, usize), VarintError> {
    // TODO (step 1)
    todo!()
}
