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
    let mut out = Vec::with_capacity(2);
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a varint from the start of `bytes`: the value and how many bytes it took
/// (what follows is not read). [`VarintError::Truncated`] if the bytes end inside it;
/// [`VarintError::Invalid`] if it runs past 9 bytes or is not the shortest encoding of
/// its value, since a second spelling of one number would be a second CID for the
/// same content.
pub fn decode(bytes: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate() {
        if i == 9 {
            return Err(VarintError::Invalid);
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A final zero byte after others is a longer encoding of a smaller number.
            if byte == 0 && i > 0 {
                return Err(VarintError::Invalid);
            }
            return Ok((value, i + 1));
        }
    }
    Err(VarintError::Truncated)
}
