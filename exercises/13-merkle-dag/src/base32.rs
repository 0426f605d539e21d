//! Base32 as RFC 4648 §6 defines it, in lower case and without padding: the alphabet
//! `a`–`z`, `2`–`7`, five bits per character. It is the default text form of CIDv1
//! because it is case-insensitive and safe in DNS names and URLs.

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    // TODO (step 2): a bit buffer: emit the top 5 bits whenever there are 5; pad the last group with zeros
    todo!()
}

/// Decodes lower-case, unpadded base32. `None` for a character outside the alphabet,
/// or a length no byte string encodes to.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    // TODO (step 2): the mirror; None for a character outside ALPHABET or leftover bits that are not zero (or 5 or more)
    todo!()
}
