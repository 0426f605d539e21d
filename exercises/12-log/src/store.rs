//! Keeping a log in an append-only file that survives a crash mid-write.
//!
//! The file is a sequence of records, each a 4-byte big-endian length followed by
//! that many bytes of one entry:
//!
//! ```text
//! [len][entry 1][len][entry 2] … [len][entry n]
//! ```
//!
//! Bytes are only ever added at the end. A crash (or a power cut) during an append
//! can leave a *torn* record at the tail: a length with only part of its entry, or
//! an entry whose bytes never all reached the disk. On open, such a tail is detected
//! (it does not parse, or does not verify, and nothing follows it) and cut off; every
//! entry before it was acknowledged only after reaching the disk, so none is lost.
//! A bad record *followed by more data* is not a torn write but corruption, and
//! opening fails rather than throw away entries that were acknowledged.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::entry::{Entry, LogError, MAX_PAYLOAD};
use crate::verify::verify_suffix;

/// Why a log file could not be opened or appended to.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The operating system refused.
    #[error("{}: {source}", path.display())]
    Io {
        /// The log file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A damaged record before the end of the file.
    #[error("{} is corrupt at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The entry does not continue the log.
    #[error("refused to append: {0}")]
    Invalid(#[from] LogError),
}

/// An open log file of one author, with its entries in memory.
pub struct LogFile {
    path: PathBuf,
    file: File,
    author: [u8; 32],
    entries: Vec<Entry>,
}

impl LogFile {
    /// Opens (or creates) the log of `author` at `path`. Returns the log and how many
    /// bytes of torn tail were cut off (0 after a clean shutdown).
    ///
    /// Every record must parse and continue the log. The first bad record decides: if it
    /// could be a torn append (it is the last thing in the file, see `reaches_end`), it
    /// is cut off, on the disk too, so the next append continues from the entries
    /// before it. If more data follows it, that is [`StoreError::Corrupt`] at its offset,
    /// and the file is left untouched for someone to inspect: never drop acknowledged
    /// entries silently.
    pub fn open(path: &Path, author: [u8; 32]) -> Result<(LogFile, u64), StoreError> {
        // TODO (step 8)
        todo!()
    }

    /// Appends `entry`, which must continue the log, and returns only once it is on
    /// the disk: an acknowledged entry survives a crash.
    pub fn append(&mut self, entry: &Entry) -> Result<(), StoreError> {
        // TODO (step 8)
        todo!()
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// Reads the record at the start of `bytes`: the entry and the record's size, or why
/// it is not a valid continuation of the log.
fn record(bytes: &[u8], author: [u8; 32], last: Option<&Entry>) -> Result<(Entry, usize), String> {
    // TODO (step 8)
    todo!()
}

/// Whether the bad record at the start of `bytes` could be a torn append: the last
/// thing in the file by both of its lengths. A torn write leaves a prefix of one record
/// (or garbage where its bytes never reached the disk), so whatever it claims runs to
/// the end of the file or past it. If either the record's length or, once its header
/// is there, the entry's own payload length says the record ends *before* the file
/// does, then more data follows it: that is corruption, and cutting there would throw
/// away acknowledged entries (a one-bit change in a record's length in the middle of
/// the file makes the record claim to run past the end, but its entry's own length
/// still ends where it always did).
fn reaches_end(bytes: &[u8]) -> bool {
    // TODO (step 9)
    // TODO (step 10)
    todo!()
}
