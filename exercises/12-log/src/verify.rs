//! Checking a log without trusting whoever sent it.

use crate::entry::{Entry, Hash, LogError};

/// Checks a whole log of `author`, from entry 1: every entry is by `author`, is
/// signed, has the next sequence number, and links to the hash of the one before.
pub fn verify_log(author: &[u8; 32], entries: &[Entry]) -> Result<(), LogError> {
    // TODO (step 4)
    todo!()
}

/// Checks entries that continue a log from a point already trusted: `after` is the
/// sequence number and hash of the last entry the reader holds (`None`: from the
/// start). This is what a peer does when it receives "everything after 41".
///
/// The first problem found is the error, and each entry is checked in this order:
/// its author ([`LogError::WrongAuthor`]), its sequence number ([`LogError::Gap`]), its
/// link to the entry before ([`LogError::BrokenChain`]), then its signature
/// ([`LogError::BadSignature`]). The cheap checks come first, so junk costs no
/// signature check; the signature comes last because it is the one that proves the
/// author wrote it.
pub fn verify_suffix(author: &[u8; 32], after: Option<(u64, Hash)>, entries: &[Entry]) -> Result<(), LogError> {
    // TODO (step 4)
    // TODO (step 5)
    todo!()
}

/// Whether `a` and `b` prove that their author forked the log: both validly signed
/// by the same author, with the same sequence number, yet different. The pair is
/// the proof; anyone can check it.
pub fn find_fork(a: &Entry, b: &Entry) -> bool {
    // TODO (step 6)
    todo!()
}
