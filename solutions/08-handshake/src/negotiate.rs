//! multistream-select: how libp2p peers agree on a protocol
//! ([spec](https://github.com/libp2p/specs/blob/master/connections/README.md#protocol-negotiation)).
//!
//! Each message is an unsigned varint length (counting the trailing newline), the UTF-8
//! text, and `\n`. Both sides first send the header `/multistream/1.0.0`. The initiator
//! then proposes a protocol id; the responder echoes it to accept, or answers `na` (not
//! available), and the initiator may propose the next.

/// The header both sides send first.
pub const MULTISTREAM: &str = "/multistream/1.0.0";
/// The refusal.
pub const NOT_AVAILABLE: &str = "na";

/// One message: varint(length of text + 1) ‖ text ‖ `\n`.
pub fn encode(text: &str) -> Vec<u8> {
    let len = text.len() as u64 + 1;
    let mut out = Vec::new();
    let mut n = len;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        out.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
    out
}

/// Reads exactly one message. `None` if the bytes are not one well-formed message.
pub fn decode(bytes: &[u8]) -> Option<String> {
    let mut len = 0u64;
    let mut used = 0;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        len |= u64::from(b & 0x7f) << (7 * i);
        used = i + 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let body = bytes.get(used..)?;
    if body.len() as u64 != len || body.last() != Some(&b'\n') {
        return None;
    }
    String::from_utf8(body[..body.len() - 1].to_vec()).ok()
}
