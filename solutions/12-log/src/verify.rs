//! Checking a log without trusting whoever sent it.

use crate::entry::{Entry, Hash, LogError};

/// Checks a whole log of `author`, from entry 1: every entry is by `author`, is
/// signed, has the next sequence number, and links to the hash of the one before.
pub fn verify_log(author: &[u8; 32], entries: &[Entry]) -> Result<(), LogError> {
    verify_suffix(author, None, entries)
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
    let (mut seq, mut previous) = after.unwrap_or((0, [0; 32]));
    for entry in entries {
        // The cheap checks first, the signature last.
        if entry.author != *author {
            return Err(LogError::WrongAuthor { seq: entry.seq });
        }
        let next = seq.saturating_add(1);
        if entry.seq != next {
            return Err(LogError::Gap { expected: next, found: entry.seq });
        }
        if entry.previous != previous {
            return Err(LogError::BrokenChain { seq: entry.seq });
        }
        entry.verify_signature()?;
        seq = entry.seq;
        previous = entry.hash();
    }
    Ok(())
}

/// Whether `a` and `b` prove that their author forked the log: both validly signed
/// by the same author, with the same sequence number, yet different. The pair is
/// the proof; anyone can check it.
pub fn find_fork(a: &Entry, b: &Entry) -> bool {
    a.author == b.author && a.seq == b.seq && a != b && a.verify_signature().is_ok() && b.verify_signature().is_ok()
}
