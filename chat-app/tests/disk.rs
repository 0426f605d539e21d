//! The history on disk: a peer killed and restarted with the same key shows its history
//! and writes again after its last line; a torn tail (a kill in the middle of an append)
//! is cut as the log chapter teaches; a damaged own log is set aside, and the peer waits
//! for the room instead of forking its log.

mod common;

use std::io::Write;
use std::path::PathBuf;

use append_log_solution::LogFile;
use common::{Proc, WAIT, keys, room};

/// The own log file of a process: KEYS/PEER-ID/AUTHOR.log, the only log in its folder
/// while it has talked to no one.
fn own_log(keys: &std::path::Path, proc: &Proc) -> (PathBuf, [u8; 32]) {
    let dir = keys.join(&proc.id);
    let path = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} holds the history: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "log"))
        .expect("a log file");
    let hex = path.file_stem().unwrap().to_str().unwrap().to_string();
    let author: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    (path, author.try_into().unwrap())
}

#[test]
fn a_restarted_peer_resumes_its_log_from_disk() {
    let (_dir, keys) = keys();
    let room = room("disk");
    let mut ann = Proc::start("ann", &room, &keys, &["--no-mdns"]);
    for text in ["one", "two", "three"] {
        ann.say(text);
        ann.shown(text, WAIT).expect("a line said alone is shown");
    }
    ann.kill();
    let (path, author) = own_log(&keys, &ann);
    let (file, _) = LogFile::open(&path, author).expect("the log file opens");
    assert_eq!(file.entries().len(), 3, "every line said is on disk before anyone sees it");
    drop(file);
    // A kill in the middle of the next append: a length and part of a record.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[0x00, 0x00, 0x01, 0x00, 1, 2, 3])
        .unwrap();

    let mut ann = Proc::start("ann", &room, &keys, &["--no-mdns"]);
    ann.wait_for(|l| l.starts_with("! ") && l.contains("cut a torn tail of 7 bytes"), WAIT)
        .expect("the torn tail is cut, and the program says so");
    for text in ["one", "two", "three"] {
        ann.shown(text, WAIT).unwrap_or_else(|| panic!("the restarted peer shows {text:?} from its disk"));
    }
    ann.say("four");
    ann.shown("four", WAIT).expect("the restarted peer writes again at once");
    ann.kill();
    let (file, cut) = LogFile::open(&path, author).expect("the log file opens");
    assert_eq!(cut, 0, "nothing torn after a clean append");
    let seqs: Vec<u64> = file.entries().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "the new line continues the log: number 4, not a second number 1");
    drop(file);

    // Damage in the middle of the file: set aside, and the peer waits for the room.
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut ann = Proc::start("ann", &room, &keys, &["--no-mdns"]);
    ann.wait_for(|l| l.starts_with("! ") && l.contains("set aside"), WAIT).expect("a damaged log is set aside");
    ann.say("five");
    ann.wait_for(|l| l.starts_with("! not said: catching up"), WAIT)
        .expect("with its own log lost and no one to ask, the peer refuses to write, saying why");
    assert!(path.with_extension("corrupt").exists(), "the damaged file is kept for inspection");
}
