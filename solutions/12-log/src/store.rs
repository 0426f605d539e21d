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
        let io = |source| StoreError::Io { path: path.to_path_buf(), source };
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;

        let mut entries: Vec<Entry> = Vec::new();
        let mut offset = 0usize;
        while offset < bytes.len() {
            match record(&bytes[offset..], author, entries.last()) {
                Ok((entry, size)) => {
                    entries.push(entry);
                    offset += size;
                }
                Err(reason) => {
                    // Torn only if this bad record is the last thing in the file: by
                    // both its lengths, and with no intact record of ours after it.
                    if !reaches_end(&bytes[offset..]) || signed_record_follows(&bytes[offset + 1..], author) {
                        return Err(StoreError::Corrupt { path: path.to_path_buf(), offset: offset as u64, reason });
                    }
                    file.set_len(offset as u64).map_err(io)?;
                    file.sync_all().map_err(io)?;
                    let cut = (bytes.len() - offset) as u64;
                    return Ok((LogFile { path: path.to_path_buf(), file, author, entries }, cut));
                }
            }
        }
        Ok((LogFile { path: path.to_path_buf(), file, author, entries }, 0))
    }

    /// Appends `entry`, which must continue the log, and returns only once it is on
    /// the disk: an acknowledged entry survives a crash.
    pub fn append(&mut self, entry: &Entry) -> Result<(), StoreError> {
        let last = self.entries.last().map(|e| (e.seq, e.hash()));
        verify_suffix(&self.author, last, std::slice::from_ref(entry))?;
        let bytes = entry.to_bytes();
        let mut record = Vec::with_capacity(4 + bytes.len());
        record.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        record.extend_from_slice(&bytes);
        // One write of the whole record, then fsync: a crash leaves at worst a torn
        // tail, which the next open cuts off.
        let io = |source| StoreError::Io { path: self.path.clone(), source };
        self.file.write_all(&record).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.entries.push(entry.clone());
        Ok(())
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// Reads the record at the start of `bytes`: the entry and the record's size, or why
/// it is not a valid continuation of the log.
fn record(bytes: &[u8], author: [u8; 32], last: Option<&Entry>) -> Result<(Entry, usize), String> {
    let Some(len) = bytes.get(..4) else { return Err("a record length cut short".into()) };
    let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    if len > MAX_PAYLOAD + 200 {
        return Err(format!("a record length of {len} bytes is impossible"));
    }
    let Some(body) = bytes.get(4..4 + len) else { return Err("a record cut short".into()) };
    let entry = Entry::from_bytes(body).map_err(|e| e.to_string())?;
    let anchor = last.map(|e| (e.seq, e.hash()));
    verify_suffix(&author, anchor, std::slice::from_ref(&entry)).map_err(|e| e.to_string())?;
    Ok((entry, 4 + len))
}

/// Whether a record signed by `author` starts anywhere in `bytes`. Damage over a
/// record's head (a bad sector, a block of garbage) can make both of its lengths claim
/// to run past the end of the file, as a torn append's would; an intact, signed
/// record after it proves that it is not the tail, and cutting there would throw that
/// record away. A torn append never leaves a whole signed record behind it, so this
/// costs nothing on the common path (it scans only the cut bytes, at most one record).
fn signed_record_follows(bytes: &[u8], author: [u8; 32]) -> bool {
    (0..bytes.len()).any(|at| {
        let Some(len) = bytes.get(at..at + 4) else { return false };
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        if len > MAX_PAYLOAD + 200 {
            return false;
        }
        let Some(body) = bytes.get(at + 4..at + 4 + len) else { return false };
        Entry::from_bytes(body).is_ok_and(|entry| entry.author == author && entry.verify_signature().is_ok())
    })
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
    let rest = bytes.len() as u64;
    let u32_at =
        |at: usize| bytes.get(at..at + 4).map(|b| u64::from(u32::from_be_bytes(b.try_into().expect("4 bytes"))));
    let Some(len) = u32_at(0) else { return true };
    if 4 + len < rest {
        return false;
    }
    // The entry's payload length sits 72 bytes into the entry (see `entry`).
    match u32_at(4 + 72) {
        None => true,
        Some(payload) => 4 + 76 + payload + 64 >= rest,
    }
}
