//! Base32 as RFC 4648 §6 defines it, in lower case and without padding: the alphabet
//! `a`–`z`, `2`–`7`, five bits per character. It is the default text form of CIDv1
//! because it is case-insensitive and safe in DNS names and URLs.

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes `bytes`: eight characters per five bytes, the last group padded with zero
/// bits, no `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    // TODO (step 2)
    todo!()
}

/// Decodes lower-case, unpadded base32: the inverse of [`encode`]. `None` for a
/// character outside the alphabet (upper case included), a length no byte string
/// encodes to, or padding bits that are not zero: each byte string has exactly one
/// text form.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    // TODO (step 2)
    todo!()
}
