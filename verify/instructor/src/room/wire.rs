//! The datagram a learner's runner sends to the room: one signed progress report.
//!
//! ```text
//! {"v":1,"room":"<16 hex>","key":"<64 hex>","body":"<the report, as JSON text>","sig":"<128 hex>"}
//! ```
//!
//! The body is carried as a string, and the signature covers exactly those bytes
//! (after a domain label and the room tag), so the room verifies what was signed
//! without re-encoding anything. `room` is a tag derived from the room code, never the
//! code itself, so a datagram overheard on the network does not give the code away.
//!
//! What is in a report is all that leaves a learner's laptop: a display name, a
//! sequence number, and per exercise the steps passed, the step failing first, and
//! how long ago that began and the last check ran. No code, no paths, no host names.

use identity_solution::{Keypair, PublicKey, Signature};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest datagram the room reads. A report costs about 115 bytes per exercise
/// (its envelope about 300 more), so one that lists every exercise of the handbook is
/// about 2 KiB; anything beyond this is refused unread, so a flood of big datagrams
/// costs the room one bounded buffer.
pub const MAX_DATAGRAM: usize = 8 * 1024;
/// The longest display name, in characters: enough for "Firstname L.", short
/// enough for the table's first column.
pub const MAX_NAME: usize = 32;
/// The most exercises one report may list: several times the handbook's count, so
/// new chapters fit without a change to the wire.
pub const MAX_EXERCISES: usize = 64;
/// The longest exercise name accepted on the wire.
pub const MAX_EXERCISE_NAME: usize = 40;
/// The most audit phrases one exercise may carry, and the longest phrase.
pub const MAX_AUDIT: usize = 16;
pub const MAX_AUDIT_PHRASE: usize = 24;
/// The longest doctor summary (`fail: mdns-loopback, tcp-loopback; warn: disk`).
pub const MAX_DOCTOR: usize = 120;

/// Signed before the room tag and the body, so that a signature made for a room
/// report can never be replayed as a signature over anything else.
const DOMAIN: &[u8] = b"p2p-handbook room report v1\0";

/// The tag of a room code: the first 8 bytes of SHA-256 over a label and the code,
/// as 16 hex digits. Datagrams and the mDNS announcement carry the tag; the code
/// stays in the instructor's head and on the whiteboard.
pub fn room_tag(code: &str) -> String {
    let digest =
        Sha256::new().chain_update(b"p2p-handbook room code\0").chain_update(code.trim().as_bytes()).finalize();
    hex::encode(&digest[..8])
}

/// One learner's progress, as their runner last saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The display name the learner chose with `cargo verify share NAME`.
    pub name: String,
    /// Grows with every report from this key (milliseconds since 1970 or one more
    /// than the last, whichever is larger), so the room drops a replayed old report.
    pub seq: u64,
    /// One entry per exercise the runner has checked.
    pub exercises: Vec<Progress>,
    /// The one-line summary of the learner's last `cargo verify doctor` (`ok`, or the
    /// lines that fail and warn), so the instructor sees who cannot do mDNS before the
    /// chapter that needs it; left out when the learner never ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<String>,
}

/// Where a learner stands in one exercise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// The exercise's short name, e.g. `identity`.
    pub exercise: String,
    /// Steps passed at the last check.
    pub passed: u16,
    /// Steps in all.
    pub total: u16,
    /// The first step that did not pass at the last check (none when done).
    pub stuck: Option<u16>,
    /// For how long that step has been the one failing first, in seconds. A duration,
    /// not a time of day, so laptops whose clocks disagree still agree on it.
    pub stuck_secs: u64,
    /// How long ago the last check of this exercise ran, in seconds.
    pub checked_secs_ago: u64,
    /// What the runner's audit of the learner's crate found (`unsafe`, `link_section`,
    /// …; see the runner's `verify::audit`), as short phrases; left out when nothing was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<String>,
}

/// The envelope: who signed which body for which room.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    v: u8,
    room: String,
    key: String,
    body: String,
    sig: String,
}

/// Why a datagram was refused. Every refusal is counted by the room, by kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Bigger than [`MAX_DATAGRAM`].
    #[error("oversized datagram")]
    Oversized,
    /// Not an envelope with a well-formed report inside.
    #[error("malformed: {0}")]
    Malformed(String),
    /// Signed for another room (another room code).
    #[error("for another room")]
    OtherRoom,
    /// The signature does not match the key and the body.
    #[error("forged: the signature does not match")]
    Forged,
    /// Not newer than the last report accepted from this key.
    #[error("replayed or out of order")]
    Replayed,
    /// The name belongs to another key already.
    #[error("the name {0:?} belongs to another key")]
    NameTaken(String),
    /// The room holds as many learners as it allows.
    #[error("the room is full")]
    Full,
    /// The sending address already has as many rows as one address may have.
    #[error("too many learners from one address")]
    Crowded,
}

/// Signs `report` for the room tagged `room` and returns the datagram to send.
pub fn seal(keypair: &Keypair, room: &str, report: &Report) -> Vec<u8> {
    let body = serde_json::to_string(report).expect("a report always serializes");
    let sig = keypair.sign(&signed_bytes(room, &body));
    let envelope = Envelope {
        v: 1,
        room: room.to_string(),
        key: hex::encode(keypair.public().to_bytes()),
        body,
        sig: hex::encode(sig.to_bytes()),
    };
    serde_json::to_vec(&envelope).expect("an envelope always serializes")
}

/// Checks a datagram for the room tagged `room`: size, shape, room, signature and
/// the report's own limits, in that order (cheap checks first, the signature only
/// for datagrams meant for this room). Returns the signer's key and the report.
pub fn open(datagram: &[u8], room: &str) -> Result<([u8; 32], Report), Refusal> {
    if datagram.len() > MAX_DATAGRAM {
        return Err(Refusal::Oversized);
    }
    let malformed = |what: &str| Refusal::Malformed(what.to_string());
    let envelope: Envelope = serde_json::from_slice(datagram).map_err(|_| malformed("not a report envelope"))?;
    if envelope.v != 1 {
        return Err(malformed("unknown version"));
    }
    if envelope.room != room {
        return Err(Refusal::OtherRoom);
    }
    let mut key = [0u8; 32];
    hex::decode_to_slice(&envelope.key, &mut key).map_err(|_| malformed("key is not 64 hex digits"))?;
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&envelope.sig, &mut sig).map_err(|_| malformed("signature is not 128 hex digits"))?;
    let public = PublicKey::from_bytes(key).map_err(|_| Refusal::Forged)?;
    public.verify(&signed_bytes(room, &envelope.body), &Signature::from_bytes(sig)).map_err(|_| Refusal::Forged)?;
    let report: Report = serde_json::from_str(&envelope.body).map_err(|_| malformed("the body is not a report"))?;
    validate(&report)?;
    Ok((key, report))
}

/// The limits a report must keep, checked after the signature (a signed report
/// that breaks them comes from a runner that is not this one, and is refused all
/// the same).
fn validate(report: &Report) -> Result<(), Refusal> {
    let malformed = |what: &str| Err(Refusal::Malformed(what.to_string()));
    if !valid_name(&report.name) {
        return malformed("the name is empty, too long or has control characters");
    }
    if report.exercises.len() > MAX_EXERCISES {
        return malformed("too many exercises");
    }
    if report.doctor.as_ref().is_some_and(|d| {
        d.is_empty() || d.chars().count() > MAX_DOCTOR || d.chars().any(|c| c.is_control() || invisible(c))
    }) {
        return malformed("a bad doctor summary");
    }
    for p in &report.exercises {
        if p.exercise.is_empty() || p.exercise.len() > MAX_EXERCISE_NAME || p.exercise.chars().any(char::is_control) {
            return malformed("a bad exercise name");
        }
        if p.passed > p.total || p.stuck.is_some_and(|s| s == 0 || s > p.total) {
            return malformed("steps out of range");
        }
        if p.audit.len() > MAX_AUDIT
            || p.audit.iter().any(|a| a.is_empty() || a.chars().count() > MAX_AUDIT_PHRASE || a.chars().any(invisible))
        {
            return malformed("a bad audit");
        }
    }
    Ok(())
}

/// Whether `name` can be shown: 1 to [`MAX_NAME`] characters, no control characters,
/// no spaces at either end.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME).contains(&n) && !name.chars().any(char::is_control) && name.trim() == name
}

/// A name as the room shows it: without control, bidi and invisible characters
/// (zero-width spaces and joiners, U+202E RIGHT-TO-LEFT OVERRIDE and the other
/// embedding, override and isolate controls, soft hyphens, variation selectors, tags),
/// with every run of spaces of any kind made one plain space, trimmed. Two names
/// that differ only in such characters are the same name. Letters from other scripts
/// that look like Latin ones (Cyrillic А for A) are kept: the room shows every name
/// beside its key's short form, which tells them apart.
pub fn display_name(name: &str) -> String {
    let mut shown = String::with_capacity(name.len());
    for c in name.chars().filter(|c| !invisible(*c)) {
        if c.is_whitespace() {
            if !shown.ends_with(' ') {
                shown.push(' ');
            }
        } else {
            shown.push(c);
        }
    }
    shown.trim().to_string()
}

/// Control, format and invisible characters (the Unicode `Cc` and `Cf` categories
/// that can appear in a name, and the fillers that render as nothing).
fn invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

fn signed_bytes(room: &str, body: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(DOMAIN.len() + room.len() + 1 + body.len());
    bytes.extend_from_slice(DOMAIN);
    bytes.extend_from_slice(room.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            name: "Ana".into(),
            seq: 1,
            exercises: vec![Progress {
                exercise: "identity".into(),
                passed: 2,
                total: 5,
                stuck: Some(3),
                stuck_secs: 60,
                checked_secs_ago: 5,
                audit: Vec::new(),
            }],
            doctor: Some("fail: mdns-loopback".into()),
        }
    }

    #[test]
    fn a_sealed_report_opens_in_its_room_only() {
        let key = Keypair::generate();
        let room = room_tag("blue-otter");
        let datagram = seal(&key, &room, &report());
        let (signer, opened) = open(&datagram, &room).unwrap();
        assert_eq!(signer, key.public().to_bytes());
        assert_eq!(opened, report());
        assert_eq!(open(&datagram, &room_tag("red-fox")), Err(Refusal::OtherRoom));
    }

    #[test]
    fn a_changed_body_is_forged() {
        let key = Keypair::generate();
        let room = room_tag("blue-otter");
        let datagram = String::from_utf8(seal(&key, &room, &report())).unwrap();
        let tampered = datagram.replace(r#"\"passed\":2"#, r#"\"passed\":5"#);
        assert_ne!(tampered, datagram);
        assert_eq!(open(tampered.as_bytes(), &room), Err(Refusal::Forged));
    }

    #[test]
    fn garbage_and_giants_are_refused() {
        let room = room_tag("x");
        assert!(matches!(open(b"hello", &room), Err(Refusal::Malformed(_))));
        assert_eq!(open(&vec![b' '; MAX_DATAGRAM + 1], &room), Err(Refusal::Oversized));
        let key = Keypair::generate();
        let mut bad = report();
        bad.exercises[0].passed = 9;
        assert!(matches!(open(&seal(&key, &room, &bad), &room), Err(Refusal::Malformed(_))));
        bad = report();
        bad.name = "x".repeat(MAX_NAME + 1);
        assert!(matches!(open(&seal(&key, &room, &bad), &room), Err(Refusal::Malformed(_))));
        bad = report();
        bad.exercises[0].audit = vec!["x".repeat(MAX_AUDIT_PHRASE + 1)];
        assert!(matches!(open(&seal(&key, &room, &bad), &room), Err(Refusal::Malformed(_))));
        for doctor in ["".to_string(), "x".repeat(MAX_DOCTOR + 1), "ok\u{202E}liaf".into(), "ok\nfail".into()] {
            bad = report();
            bad.doctor = Some(doctor);
            assert!(matches!(open(&seal(&key, &room, &bad), &room), Err(Refusal::Malformed(_))), "{:?}", bad.doctor);
        }
    }

    #[test]
    fn a_clean_report_carries_no_audit_field() {
        let body = serde_json::to_string(&report()).unwrap();
        assert!(!body.contains("audit"), "{body}");
        let mut flagged = report();
        flagged.exercises[0].audit = vec!["unsafe".into()];
        let room = room_tag("x");
        let (_, opened) = open(&seal(&Keypair::generate(), &room, &flagged), &room).unwrap();
        assert_eq!(opened.exercises[0].audit, ["unsafe"]);
    }

    #[test]
    fn display_names_lose_invisible_and_bidi_characters() {
        assert_eq!(display_name("Ana\u{200B}"), "Ana");
        assert_eq!(display_name("A\u{200D}na\u{FEFF}"), "Ana");
        assert_eq!(display_name("Ana\u{202E}61/61 enod"), "Ana61/61 enod");
        assert_eq!(display_name("Ana\u{2066}B\u{2069}"), "AnaB");
        assert_eq!(display_name(" Ana \u{00A0}\u{2003} B "), "Ana B");
        // A Cyrillic A stays: it is a letter, told apart by the key beside it.
        assert_eq!(display_name("\u{0410}na"), "\u{0410}na");
        assert_ne!(display_name("\u{0410}na"), display_name("Ana"));
        assert_eq!(display_name("\u{200B}\u{202E}"), "");
    }
}
