//! Base32 as RFC 4648 §6 defines it, in lower case and without padding: the alphabet
//! `a`–`z`, `2`–`7`, five bits per character. It is the default text form of CIDv1
//! because it is case-insensitive and safe in DNS names and URLs.

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes `bytes`: eight characters per five bytes, the last group padded with zero
/// bits, no `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes lower-case, unpadded base32: the inverse of [`encode`]. `None` for a
/// character outside the alphabet (upper case included), a length no byte string
/// encodes to, or padding bits that are not zero: each byte string has exactly one
/// text form.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    // Leftover bits must be fewer than 5 (else a whole character was surplus) and zero.
    (bits < 5 && buffer == 0).then_some(out)
}
