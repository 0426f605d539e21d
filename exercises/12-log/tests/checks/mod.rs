//! The log exercise's checks, in the order to make them pass.
//!
//! `subject` is the crate under test; `reference` is the reference solution. Logs are
//! deterministic (Ed25519 signatures are), so your entries must equal the reference's
//! byte for byte, and each side must accept the other's logs and files.

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::{reference, subject};

/// RFC 8032 §7.1 test 1: a published Ed25519 secret key and its public key.
const SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// RFC 8032 §7.1 test 2's secret key: another author.
const OTHER_SECRET: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

fn key(hex_text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).expect("valid hex");
    out
}

fn payloads(n: usize) -> Vec<Vec<u8>> {
    (1..=n).map(|i| format!("message {i}").into_bytes()).collect()
}

/// A log of `n` entries written by the learner's writer with the RFC 8032 key.
fn my_log(n: usize) -> Vec<subject::Entry> {
    let mut writer = subject::Writer::new(key(SECRET));
    payloads(n).iter().map(|p| writer.append(p).expect("append")).collect()
}

/// The same log, from the reference writer.
fn their_log(n: usize) -> Vec<reference::Entry> {
    let mut writer = reference::Writer::new(key(SECRET));
    payloads(n).iter().map(|p| writer.append(p).expect("append")).collect()
}

fn to_reference(entry: &subject::Entry) -> reference::Entry {
    reference::Entry::from_bytes(&entry.to_bytes()).expect("the reference reads your entry bytes")
}

/// Signs `entry` as the RFC 8032 test 1 author, whatever its fields say (to build
/// entries that are validly signed but wrong in another way).
fn resign(mut entry: reference::Entry) -> subject::Entry {
    use ed25519_dalek::Signer;
    let signing = ed25519_dalek::SigningKey::from_bytes(&key(SECRET));
    entry.signature = signing.sign(&entry.signed_bytes()).to_bytes();
    subject::Entry::from_bytes(&entry.to_bytes()).expect("valid layout")
}

/// An entry's bytes follow the documented layout, and read back
#[test]
fn step_1_entry_bytes() {
    let entry = subject::Entry {
        author: [0xaa; 32],
        seq: 0x0102030405060708,
        previous: [0xbb; 32],
        payload: b"hi".to_vec(),
        signature: [0xcc; 64],
    };
    let bytes = entry.to_bytes();
    assert_eq!(
        bytes.len(),
        32 + 8 + 32 + 4 + 2 + 64,
        "author (32), seq (8), previous (32), the payload length (4: a u32, though seq is a u64), the payload (2 here), \
         the signature (64)"
    );
    assert_eq!(bytes[..32], [0xaa; 32], "bytes 0..32: the author");
    assert_eq!(
        hex::encode(&bytes[32..40]),
        "0102030405060708",
        "bytes 32..40: seq 0x0102030405060708, big-endian (most significant byte first)"
    );
    assert_eq!(bytes[40..72], [0xbb; 32], "bytes 40..72: previous");
    assert_eq!(hex::encode(&bytes[72..76]), "00000002", "bytes 72..76: the payload length, a big-endian u32");
    assert_eq!(&bytes[76..78], b"hi", "then the payload");
    assert_eq!(bytes[78..], [0xcc; 64], "then the signature");
    assert_eq!(subject::Entry::from_bytes(&bytes), Ok(entry.clone()), "from_bytes must read back what to_bytes wrote");

    let signed = entry.signed_bytes();
    assert!(signed.starts_with(b"p2p-handbook log entry v1\0"), "the signed bytes start with the domain string");
    assert_eq!(signed[26..], bytes[..78], "then every field except the signature");
}

/// The first entry: seq 1, previous all zeros, signed, byte-equal to the reference's
#[test]
fn step_2_first_entry() {
    let mut writer = subject::Writer::new(key(SECRET));
    assert_eq!(hex::encode(writer.author()), PUBLIC, "author() is the Ed25519 public key of the secret");
    let first = writer.append(b"hello, log").expect("append");
    assert_eq!(first.seq, 1, "the first entry has seq 1 (sequence numbers count from 1; 0 means no entry yet)");
    assert_eq!(hex::encode(first.previous), hex::encode([0; 32]), "the first entry's previous is 32 zero bytes");
    assert_eq!(first.payload, b"hello, log");
    assert_eq!(to_reference(&first).verify_signature(), Ok(()), "the reference does not accept your signature");
    let theirs = reference::Writer::new(key(SECRET)).append(b"hello, log").expect("append");
    assert_eq!(
        hex::encode(first.to_bytes()),
        hex::encode(theirs.to_bytes()),
        "your first entry differs from the reference's"
    );
    assert_eq!(first.verify_signature(), Ok(()), "verify_signature rejects a valid entry");
}

/// Each entry links to the SHA-256 of the one before, and the chain equals the reference's
#[test]
fn step_3_hash_chain() {
    let log = my_log(4);
    for (i, entry) in log.iter().enumerate() {
        let expected: [u8; 32] = Sha256::digest(entry.to_bytes()).into();
        assert_eq!(
            hex::encode(entry.hash()),
            hex::encode(expected),
            "hash() is SHA-256 of to_bytes(), the whole entry with its signature"
        );
        assert_eq!(entry.seq, i as u64 + 1, "sequence numbers count from 1");
        if i > 0 {
            assert_eq!(entry.previous, log[i - 1].hash(), "entry {} must link to the hash of entry {}", i + 1, i);
        }
    }
    let theirs = their_log(4);
    for (mine, theirs) in log.iter().zip(&theirs) {
        assert_eq!(mine.to_bytes(), theirs.to_bytes(), "entry {} differs from the reference's", mine.seq);
    }

    // A writer resumed from the last entry continues the same chain.
    let mut resumed = subject::Writer::resume(key(SECRET), &log[3]).expect("resume from my own entry");
    let fifth = resumed.append(b"message 5").expect("append");
    assert_eq!(fifth.to_bytes(), their_log(5)[4].to_bytes(), "a resumed writer must continue the chain exactly");
    let stranger = subject::Writer::resume(key(OTHER_SECRET), &log[3]);
    assert!(
        matches!(stranger, Err(subject::LogError::WrongAuthor { seq: 4 })),
        "resuming another author's log must fail"
    );
}

/// A valid log verifies, whoever wrote it
#[test]
fn step_4_verify_log() {
    let author = key(PUBLIC);
    assert_eq!(subject::verify_log(&author, &my_log(5)), Ok(()), "your own log does not verify");
    assert_eq!(subject::verify_log(&author, &[]), Ok(()), "an empty log is valid");
    let theirs: Vec<subject::Entry> =
        their_log(5).iter().map(|e| subject::Entry::from_bytes(&e.to_bytes()).expect("valid")).collect();
    assert_eq!(subject::verify_log(&author, &theirs), Ok(()), "the reference's log does not verify with your code");
    let mine: Vec<reference::Entry> = my_log(5).iter().map(to_reference).collect();
    assert_eq!(reference::verify_log(&author, &mine), Ok(()), "the reference rejects your log");
}

/// Tampering, other authors, gaps, reordering and broken links are each rejected precisely
#[test]
fn step_5_verify_rejects() {
    use subject::LogError as E;
    let author = key(PUBLIC);
    let log = my_log(4);

    let mut tampered = log.clone();
    tampered[2].payload = b"message 3, edited".to_vec();
    assert_eq!(subject::verify_log(&author, &tampered), Err(E::BadSignature { seq: 3 }), "a changed payload");

    let other = key(&hex::encode(subject::Writer::new(key(OTHER_SECRET)).author()));
    assert_eq!(
        subject::verify_log(&other, &log),
        Err(E::WrongAuthor { seq: 1 }),
        "a log checked against another author"
    );

    let gap = [log[0].clone(), log[2].clone()];
    assert_eq!(subject::verify_log(&author, &gap), Err(E::Gap { expected: 2, found: 3 }), "a missing entry");
    let swapped = [log[0].clone(), log[2].clone(), log[1].clone()];
    assert_eq!(subject::verify_log(&author, &swapped), Err(E::Gap { expected: 2, found: 3 }), "reordered entries");
    assert_eq!(subject::verify_log(&author, &log[1..]), Err(E::Gap { expected: 1, found: 2 }), "a log must start at 1");

    // Validly signed, but linking to the wrong predecessor.
    let mut wrong_link = to_reference(&log[2]);
    wrong_link.previous = log[0].hash();
    let broken = [log[0].clone(), log[1].clone(), resign(wrong_link)];
    assert_eq!(subject::verify_log(&author, &broken), Err(E::BrokenChain { seq: 3 }), "entry 3 links to entry 1");
    let mut first = to_reference(&log[0]);
    first.previous = [1; 32];
    assert_eq!(
        subject::verify_log(&author, &[resign(first)]),
        Err(E::BrokenChain { seq: 1 }),
        "entry 1 must link to zeros"
    );
}

/// A suffix verifies from a trusted point, and a fork is recognised
#[test]
fn step_6_suffix_and_fork() {
    use subject::LogError as E;
    let author = key(PUBLIC);
    let log = my_log(6);
    let anchor = Some((3, log[2].hash()));
    assert_eq!(subject::verify_suffix(&author, anchor, &log[3..]), Ok(()), "entries 4..6 after a trusted entry 3");
    assert_eq!(
        subject::verify_suffix(&author, Some((3, log[1].hash())), &log[3..]),
        Err(E::BrokenChain { seq: 4 }),
        "entry 4 does not follow from entry 2's hash"
    );
    assert_eq!(
        subject::verify_suffix(&author, Some((2, log[1].hash())), &log[3..]),
        Err(E::Gap { expected: 3, found: 4 })
    );
    assert_eq!(subject::verify_suffix(&author, None, &log), Ok(()), "None means from the start");

    // The author writes two different entries 2: a fork, and the pair proves it.
    let mut other_branch = subject::Writer::resume(key(SECRET), &log[0]).expect("resume");
    let forked = other_branch.append(b"a different second message").expect("append");
    assert!(subject::find_fork(&log[1], &forked), "two valid entries 2 by one author are a fork");
    assert!(!subject::find_fork(&log[1], &log[1].clone()), "an entry and itself are not a fork");
    assert!(!subject::find_fork(&log[1], &log[2]), "different sequence numbers are not a fork");
    let someone_else = subject::Writer::new(key(OTHER_SECRET)).append(b"x").expect("append");
    assert!(!subject::find_fork(&log[0], &someone_else), "entries of two authors are not a fork");
    let mut unsigned = forked.clone();
    unsigned.signature = [0; 64];
    assert!(!subject::find_fork(&log[1], &unsigned), "an invalid signature proves nothing");
}

/// Malformed bytes and oversized payloads are refused with a clear error
#[test]
fn step_7_bad_input() {
    let bytes = my_log(1)[0].to_bytes();
    for (what, input) in [
        ("empty", Vec::new()),
        ("cut short", bytes[..bytes.len() - 1].to_vec()),
        ("a byte too many", [&bytes[..], &[0]].concat()),
    ] {
        assert!(
            matches!(subject::Entry::from_bytes(&input), Err(subject::LogError::Malformed { .. })),
            "{what}: must be Malformed"
        );
    }
    let mut huge = bytes.clone();
    huge[72..76].copy_from_slice(&(70_000u32).to_be_bytes());
    huge.resize(76 + 70_000 + 64, 0);
    assert!(
        matches!(subject::Entry::from_bytes(&huge), Err(subject::LogError::Malformed { .. })),
        "a payload over MAX_PAYLOAD must be Malformed, even when the bytes are all there"
    );
    assert_eq!(subject::MAX_PAYLOAD, 65_536);
    let mut writer = subject::Writer::new(key(SECRET));
    assert_eq!(
        writer.append(&vec![0; subject::MAX_PAYLOAD + 1]).map(|_| ()),
        Err(subject::LogError::PayloadTooLarge { len: subject::MAX_PAYLOAD + 1 }),
        "Writer::append must refuse a payload over MAX_PAYLOAD before signing it"
    );
    let full = writer.append(&vec![7; subject::MAX_PAYLOAD]).expect("exactly MAX_PAYLOAD is allowed");
    assert_eq!(full.seq, 1, "a refused append must not use up a sequence number");
    assert!(
        subject::Entry::from_bytes(&full.to_bytes()).is_ok_and(|read| read == full),
        "an entry whose payload is exactly MAX_PAYLOAD bytes is allowed: from_bytes must read it back"
    );
    let empty = writer.append(b"").expect("an empty payload is allowed");
    assert_eq!(
        subject::Entry::from_bytes(&empty.to_bytes()),
        Ok(empty),
        "an entry with an empty payload is the smallest there is (76 + 64 = 140 bytes): from_bytes must read it back"
    );
}

/// The log file keeps entries across reopening, in the shared record format
#[test]
fn step_8_log_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("alice.log");
    let author = key(PUBLIC);
    let log = my_log(5);
    {
        let (mut file, cut) = subject::LogFile::open(&path, author).expect("create a new log file");
        assert_eq!(cut, 0);
        assert!(file.entries().is_empty());
        let mut previous_bytes = Vec::new();
        for entry in &log {
            file.append(entry).expect("append");
            let now = std::fs::read(&path).expect("readable");
            assert!(now.starts_with(&previous_bytes), "appending changed bytes already in the file");
            previous_bytes = now;
        }
        let err = file.append(&log[1]);
        assert!(
            matches!(err, Err(subject::StoreError::Invalid(_))),
            "appending an entry that does not continue the log must fail"
        );
    }
    let expected: Vec<u8> = log
        .iter()
        .flat_map(|e| {
            let bytes = e.to_bytes();
            [(bytes.len() as u32).to_be_bytes().to_vec(), bytes].concat()
        })
        .collect();
    assert_eq!(
        std::fs::read(&path).expect("readable"),
        expected,
        "the file is the records [len u32 BE][entry bytes], nothing else"
    );

    let (reopened, cut) = subject::LogFile::open(&path, author).expect("reopen");
    assert_eq!((reopened.entries(), cut), (&log[..], 0), "reopening gives back every entry");
    let (theirs, _) = reference::LogFile::open(&path, author).expect("the reference opens your file");
    assert_eq!(theirs.entries().len(), 5);
}

/// A torn write at the tail is cut off on open; corruption before it is an error
#[test]
fn step_9_torn_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let author = key(PUBLIC);
    let log = their_log(5);
    let mut full = Vec::new();
    let mut ends = Vec::new();
    for entry in &log {
        let bytes = entry.to_bytes();
        full.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        full.extend_from_slice(&bytes);
        ends.push(full.len());
    }
    // A crash anywhere inside the last record's write.
    for cut_at in (ends[3] + 1..ends[4]).step_by(7).chain([ends[4] - 1]) {
        let path = dir.path().join(format!("torn-{cut_at}.log"));
        std::fs::write(&path, &full[..cut_at]).expect("write");
        let (mut file, cut) = subject::LogFile::open(&path, author)
            .unwrap_or_else(|e| panic!("a file torn at byte {cut_at} must open, not fail: {e}"));
        assert_eq!(file.entries().len(), 4, "torn at byte {cut_at}: the 4 complete entries survive");
        assert_eq!(cut, (cut_at - ends[3]) as u64, "torn at byte {cut_at}: the bytes cut off");
        assert_eq!(
            std::fs::metadata(&path).expect("exists").len(),
            ends[3] as u64,
            "the torn tail is truncated on disk"
        );
        let fifth = subject::Entry::from_bytes(&log[4].to_bytes()).expect("valid");
        file.append(&fifth).expect("appending after recovery works");
        assert_eq!(std::fs::read(&path).expect("readable"), full, "after recovery and a new append the file is whole");
    }
    // A sector of garbage written over the last record.
    let path = dir.path().join("garbled.log");
    let mut garbled = full.clone();
    let start = ends[3] + 20;
    garbled[start..start + 30].fill(0x5a);
    std::fs::write(&path, &garbled).expect("write");
    let (file, _) = subject::LogFile::open(&path, author).expect("a garbled last record is a torn write");
    assert_eq!(file.entries().len(), 4);

    // Damage in the middle is not a torn write: refuse, and change nothing.
    let path = dir.path().join("corrupt.log");
    let mut corrupt = full.clone();
    corrupt[ends[1] + 50] ^= 0x01;
    std::fs::write(&path, &corrupt).expect("write");
    let result = subject::LogFile::open(&path, author);
    assert!(
        matches!(&result, Err(subject::StoreError::Corrupt { offset, .. }) if *offset == ends[1] as u64),
        "a damaged entry 3 followed by more entries must fail with Corrupt at its offset ({}), got {:?}",
        ends[1],
        result.as_ref().err()
    );
    assert_eq!(
        std::fs::read(&path).expect("readable"),
        corrupt,
        "a corrupt file must be left untouched for inspection"
    );

    // A crash during the very first append: part of one record and nothing before it.
    let path = dir.path().join("first.log");
    let torn = ends[0] / 2;
    std::fs::write(&path, &full[..torn]).expect("write");
    let (file, cut) = subject::LogFile::open(&path, author).unwrap_or_else(|e| {
        panic!("a file holding only the first {torn} bytes of entry 1 must open empty, not fail: {e}")
    });
    assert_eq!((file.entries().len(), cut), (0, torn as u64), "a torn first record: no entries, all its bytes cut");

    // A whole last record whose own length, or whose entry's payload length, says it
    // ends a byte before the file does: more data follows it, so it is not a torn append.
    for (what, field) in [("its record length", ends[3]), ("its entry's payload length", ends[3] + 4 + 72)] {
        let mut shorter = full.clone();
        let value = u32::from_be_bytes(shorter[field..field + 4].try_into().expect("4 bytes"));
        shorter[field..field + 4].copy_from_slice(&(value - 1).to_be_bytes());
        let path = dir.path().join("shorter.log");
        std::fs::write(&path, &shorter).expect("write");
        let result = subject::LogFile::open(&path, author);
        assert!(
            matches!(&result, Err(subject::StoreError::Corrupt { offset, .. }) if *offset == ends[3] as u64),
            "entry 5 with {what} one smaller ends a byte before the file does: a torn append runs to the end of the \
             file or past it, so this is damage and must fail with Corrupt at its offset ({}); got {:?}",
            ends[3],
            result.as_ref().map(|(file, cut)| (file.entries().len(), *cut))
        );
    }

    // Garbage over the head of entry 4 makes both of its lengths claim to run past the
    // end of the file, as a torn append's would; the intact entry 5 after it (as large as
    // an entry gets) proves it is not the tail.
    let mut writer = reference::Writer::new(key(SECRET));
    let mut big = Vec::new();
    let mut big_ends = Vec::new();
    for payload in [b"one".to_vec(), b"two".to_vec(), b"three".to_vec(), b"four".to_vec(), vec![5; 65_536]] {
        let bytes = writer.append(&payload).expect("append").to_bytes();
        big.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        big.extend_from_slice(&bytes);
        big_ends.push(big.len());
    }
    let path = dir.path().join("big.log");
    std::fs::write(&path, &big).expect("write");
    let (file, cut) = subject::LogFile::open(&path, author).expect("a log whose last entry has a 64 KiB payload opens");
    assert_eq!((file.entries().len(), cut), (5, 0), "a record of an entry with a MAX_PAYLOAD payload is valid");
    drop(file);
    big[big_ends[2]..big_ends[2] + 80].fill(0xff);
    std::fs::write(&path, &big).expect("write");
    let result = subject::LogFile::open(&path, author);
    assert!(
        matches!(&result, Err(subject::StoreError::Corrupt { offset, .. }) if *offset == big_ends[2] as u64),
        "entry 4's first 80 bytes overwritten with ff: both its lengths run past the end as a torn append's would, \
         but a whole record signed by this author follows it (entry 5), so cutting would drop an acknowledged \
         entry: Corrupt at its offset ({}); got {:?}",
        big_ends[2],
        result.as_ref().map(|(file, cut)| (file.entries().len(), *cut))
    );
}

/// Any single flipped bit on disk keeps every intact entry or refuses to open: never a silent cut
#[test]
fn step_10_every_bit_flip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let author = key(PUBLIC);
    let log = their_log(5);
    let mut full = Vec::new();
    let mut starts = Vec::new();
    for entry in &log {
        starts.push(full.len());
        let bytes = entry.to_bytes();
        full.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        full.extend_from_slice(&bytes);
    }
    // Opening a torn file syncs the cut to the disk, so the flips run on a few threads:
    // the time is the disk's, not the CPU's.
    let bits: Vec<usize> = (0..full.len() * 8).collect();
    let (kept, refused) = std::thread::scope(|scope| {
        let workers: Vec<_> = bits
            .chunks(bits.len().div_ceil(8))
            .enumerate()
            .map(|(worker, bits)| {
                let (full, starts, log, dir) = (&full, &starts, &log, &dir);
                scope.spawn(move || {
                    let path = dir.path().join(format!("flipped-{worker}.log"));
                    let (mut kept, mut refused) = (0, 0);
                    for &bit in bits {
                        let mut flipped = full.clone();
                        flipped[bit / 8] ^= 1 << (bit % 8);
                        // The record the flipped bit is in: every other record is intact.
                        let record = starts.iter().rposition(|&s| s <= bit / 8).expect("inside a record");
                        std::fs::write(&path, &flipped).expect("write");
                        match subject::LogFile::open(&path, author) {
                            Ok((file, _)) => {
                                // Keeping every intact record means losing only the damaged
                                // one, and only a last record can be lost without losing the
                                // intact ones after it.
                                assert_eq!(
                                    (record, file.entries().len()),
                                    (log.len() - 1, log.len() - 1),
                                    "bit {bit} flipped (byte {} of record {}): opening must keep all {} intact entries or refuse with Corrupt, but it kept {}",
                                    bit / 8 - starts[record],
                                    record + 1,
                                    log.len() - 1,
                                    file.entries().len()
                                );
                                kept += 1;
                            }
                            Err(subject::StoreError::Corrupt { .. }) => {
                                assert_eq!(std::fs::read(&path).expect("readable"), flipped, "bit {bit} flipped: a refused file must be left untouched");
                                refused += 1;
                            }
                            Err(e) => panic!("bit {bit} flipped: expected Corrupt or a torn tail cut off, got {e}"),
                        }
                    }
                    (kept, refused)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert!(
        kept > 0 && refused > 0,
        "flips in the last record are torn tails ({kept} opened), flips before it are corruption ({refused} refused)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random logs are byte-equal to the reference's, and verify on both sides
    #[test]
    fn step_11_random_logs_match_the_reference(messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..12)) {
        let mut mine = subject::Writer::new(key(SECRET));
        let mut theirs = reference::Writer::new(key(SECRET));
        let mut log = Vec::new();
        for message in &messages {
            let entry = mine.append(message).expect("append");
            prop_assert_eq!(entry.to_bytes(), theirs.append(message).expect("append").to_bytes());
            log.push(entry);
        }
        prop_assert_eq!(subject::verify_log(&key(PUBLIC), &log), Ok(()));
    }
}
