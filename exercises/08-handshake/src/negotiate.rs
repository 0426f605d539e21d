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
    // TODO (step 1): varint(text length + 1), the text, a newline
    todo!()
}

/// Reads exactly one message. `None` if the bytes are not one well-formed message.
pub fn decode(bytes: &[u8]) -> Option<String> {
    // TODO (step 1): exactly one well-formed message, or None
    todo!()
}
