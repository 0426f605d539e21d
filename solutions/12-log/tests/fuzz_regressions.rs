//! Inputs the fuzzer (`cargo run -p fuzz -- --target log-file`) found, kept as tests.
//!
//! Both cut intact records before `LogFile::open` learned to look for a signed record
//! after the damage (src/store.rs, `signed_record_follows`): a bad record used to be
//! taken for a torn tail by its two length fields alone, so damage over a record's head
//! that made both claim to run past the end cut every intact record after it.

use append_log_solution::{LogFile, StoreError, Writer};

const SECRET: [u8; 32] = [0x2b; 32];

/// Five records in a file, and where each record starts.
fn five_records(path: &std::path::Path) -> (Vec<u8>, Vec<usize>) {
    let mut writer = Writer::new(SECRET);
    let (mut log, _) = LogFile::open(path, writer.author()).unwrap();
    let mut starts = Vec::new();
    for payload in [&b"first"[..], b"", &[0xee; 300], b"fourth", b"last"] {
        starts.push(std::fs::metadata(path).unwrap().len() as usize);
        log.append(&writer.append(payload).unwrap()).unwrap();
    }
    (std::fs::read(path).unwrap(), starts)
}

/// Garbage over the head of a record in the middle of the file (here 80 bytes of 0xff,
/// as a bad sector would leave): both its record length and its entry's payload length
/// then claim to run past the end, as a torn append's would, but two intact, signed
/// records follow it. Cutting there drops acknowledged entries; it is corruption.
#[test]
fn garbage_over_a_record_head_in_the_middle_is_corrupt_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let (mut bytes, starts) = five_records(&path);
    let third = starts[2];
    bytes[third..third + 80].fill(0xff);
    std::fs::write(&path, &bytes).unwrap();
    let author = Writer::new(SECRET).author();
    match LogFile::open(&path, author) {
        Err(StoreError::Corrupt { offset, .. }) => assert_eq!(offset, third as u64),
        Ok((log, cut)) => panic!(
            "open kept {} entries and cut {cut} bytes as a torn tail; records 4 and 5 after the damage are intact",
            log.entries().len()
        ),
        Err(other) => panic!("expected Corrupt, got {other}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "a corrupt file is left as it was");
}

/// The same damage over the first record: open cut the whole file, on the disk too
/// (`set_len(0)`), and returned an empty log, destroying five acknowledged entries.
#[test]
fn garbage_over_the_first_record_head_does_not_empty_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let (mut bytes, _) = five_records(&path);
    bytes[..80].fill(0xff);
    std::fs::write(&path, &bytes).unwrap();
    let author = Writer::new(SECRET).author();
    let opened = LogFile::open(&path, author);
    assert!(matches!(opened, Err(StoreError::Corrupt { offset: 0, .. })), "expected Corrupt at offset 0");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "a corrupt file is left as it was");
}
