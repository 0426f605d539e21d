//! The log (solutions/12-log): one entry's bytes, and a whole log file opened after its
//! bytes were changed.

use append_log_solution::{Entry, LogFile, Writer, verify_log};
use identity_solution::Keypair;

use crate::harness::{MAX_ALLOC, Run, Target};

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "log-entry",
            about: "log Entry::from_bytes (re-encodes to the same bytes), verify_signature, and verify_log after re-signing",
            seeds: entry_seeds,
            start: || Box::new(entry_one),
            tokens: &[],
            max_len: 4096,
            max_alloc: MAX_ALLOC,
        },
        Target {
            name: "log-file",
            about: "log LogFile::open of a file holding the input: what it keeps is exactly the records it read",
            seeds: file_seeds,
            start: file_start,
            tokens: &[],
            max_len: 8192,
            // open reads the whole file (8 KiB at most here) and keeps its entries.
            max_alloc: MAX_ALLOC,
        },
    ]
}

/// The author whose log the seeds are.
const SECRET: [u8; 32] = [0x2b; 32];

fn entries() -> Vec<Entry> {
    let mut writer = Writer::new(SECRET);
    [&b"first"[..], b"", &[0xee; 300], b"{\"nick\":\"a\",\"text\":\"b\",\"clock\":1}", b"last"]
        .iter()
        .map(|p| writer.append(p).expect("a seed entry"))
        .collect()
}

fn entry_seeds() -> Vec<Vec<u8>> {
    entries().iter().map(Entry::to_bytes).collect()
}

fn entry_one(input: &[u8]) -> bool {
    let Ok(entry) = Entry::from_bytes(input) else {
        return false;
    };
    assert_eq!(entry.to_bytes(), input, "an entry re-encodes to exactly the bytes it was read from");
    let _ = entry.verify_signature();
    let _ = entry.hash();
    // Re-signed by the seeds' author: the mutated seq, previous and payload now get
    // past the signature to the checks of the chain.
    let key = Keypair::from_secret_bytes(SECRET);
    let mut resigned = entry;
    resigned.author = key.public().to_bytes();
    resigned.signature = key.sign(&resigned.signed_bytes()).to_bytes();
    resigned.verify_signature().expect("an entry the fuzzer signed verifies");
    let mut chain = entries();
    let at = (resigned.seq.min(6) as usize).saturating_sub(1);
    chain.truncate(at);
    chain.push(resigned);
    let _ = verify_log(&key.public().to_bytes(), &chain);
    true
}

fn file_seeds() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("seed.log");
    let author = Keypair::from_secret_bytes(SECRET).public().to_bytes();
    let (mut log, _) = LogFile::open(&path, author).expect("a new log file");
    let mut seeds = vec![];
    for entry in entries() {
        log.append(&entry).expect("a seed append");
        seeds.push(std::fs::read(&path).expect("the seed file"));
    }
    seeds
}

fn file_start() -> Run {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let author = Keypair::from_secret_bytes(SECRET).public().to_bytes();
    Box::new(move |input| {
        let path = dir.path().join("fuzzed.log");
        std::fs::write(&path, input).expect("writing the fuzzed file");
        let Ok((log, cut)) = LogFile::open(&path, author) else {
            return false;
        };
        {
            let kept = (input.len() as u64).checked_sub(cut).expect("open cut more bytes than the file held");
            let on_disk = std::fs::metadata(&path).expect("the file").len();
            assert_eq!(on_disk, kept, "the file keeps exactly what open did not cut");
            let mut records = Vec::new();
            for entry in log.entries() {
                let bytes = entry.to_bytes();
                records.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                records.extend_from_slice(&bytes);
            }
            assert_eq!(records, input[..kept as usize], "the entries kept are exactly the records before the cut");
            if let Some(at) = intact_record(&input[kept as usize..], &author) {
                panic!("open cut {cut} bytes as a torn tail, but an intact signed record starts {at} bytes into them");
            }
        }
        true
    })
}

/// The offset of a whole, validly signed record of `author` in `tail`, if there is one:
/// a torn append leaves a prefix of one record, never a later record intact, so
/// cutting a tail that holds one drops an entry that was acknowledged.
fn intact_record(tail: &[u8], author: &[u8; 32]) -> Option<usize> {
    (1..tail.len()).find(|&at| {
        let Some(len) = tail.get(at..at + 4) else { return false };
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        tail.get(at + 4..)
            .and_then(|rest| rest.get(..len))
            .and_then(|body| Entry::from_bytes(body).ok())
            .is_some_and(|e| e.author == *author && e.verify_signature().is_ok())
    })
}
