//! Which crate each part of the program comes from: the reference solution, or (with
//! the cargo feature `mine-NAME`, which `cargo verify chat NICK` turns on for every
//! exercise whose checks all pass) the learner's own crate. Everything else in the
//! program names a part only through these aliases, so each part is written once, in
//! its exercise.
//!
//! The list of parts is the `[features]` table of this crate's `Cargo.toml`; the one
//! invocation of the `parts!` macro below names the two crates of each (a test checks that it
//! covers every feature, and the runner reads the table itself).
//!
//! The chat node is built on the reference log and anti-entropy (the chat exercise
//! builds on them), so the learner's log and anti-entropy run in the program around
//! it: the history on disk ([`crate::room::Disk`]) is kept in the log's files and read
//! with its decoder, and is a replica of the anti-entropy chapter whose frontier says
//! what the files lack and which verifies every entry before it is written. Entries
//! cross between the node and those parts as the log chapter's bytes.

/// One alias per part, `feature => alias: learner's crate | reference crate`, and
/// [`PARTS`] in the same order.
macro_rules! parts {
    ($($feature:literal => $alias:ident: $mine:ident | $reference:ident,)*) => {
        $(
            #[cfg(feature = $feature)]
            pub use ::$mine as $alias;
            #[cfg(not(feature = $feature))]
            pub use ::$reference as $alias;
        )*

        /// Each part's feature and whether it is on (the part is the learner's), in the
        /// order of the stack from the bottom, the chat node last.
        pub const PARTS: &[(&str, bool)] = &[$(($feature, cfg!(feature = $feature))),*];
    };
}

parts! {
    "mine-identity" => identity: identity | identity_solution,
    "mine-mdns" => mdns: mdns | mdns_solution,
    "mine-rendezvous" => rendezvous: rendezvous | rendezvous_solution,
    "mine-swarm" => swarm: swarm | swarm_solution,
    "mine-streams" => streams: streams | streams_solution,
    "mine-handshake" => handshake: handshake | handshake_solution,
    "mine-secure-gossip" => secure_gossip: secure_gossip | secure_gossip_solution,
    "mine-gossipsub" => gossipsub: gossipsub | gossipsub_solution,
    "mine-log" => log: append_log | append_log_solution,
    "mine-anti-entropy" => anti_entropy: anti_entropy | anti_entropy_solution,
    "mine-chat" => chat: chat | chat_solution,
}

/// A part's name: its feature without `mine-` (the exercise's name, as
/// `cargo verify check NAME` takes it).
pub fn name(feature: &str) -> &str {
    feature.strip_prefix("mine-").unwrap_or(feature)
}

/// The line the program prints at start: `identity: yours · mdns: reference · …`.
pub fn summary() -> String {
    PARTS
        .iter()
        .map(|(feature, mine)| format!("{}: {}", name(feature), if *mine { "yours" } else { "reference" }))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The part whose exercise holds `file` (a panic's location), if it is a learner's
/// crate built in: `exercises/12-log/src/store.rs` is the log's.
pub fn of_file(file: &str) -> Option<&'static str> {
    let path = file.replace('\\', "/");
    let (_, rest) = path.split_once("exercises/")?;
    let dir = rest.split('/').next()?;
    let exercise = dir.split_once('-').map_or(dir, |(_, name)| name);
    PARTS.iter().map(|(feature, _)| name(feature)).find(|part| *part == exercise)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts list is written once, in Cargo.toml's `[features]`: the aliases above
    /// must cover exactly those features, in the same order.
    #[test]
    fn the_aliases_cover_every_feature_of_the_manifest() {
        let manifest: toml::Table = include_str!("../Cargo.toml").parse().expect("chat-app's Cargo.toml is TOML");
        let features = manifest["features"].as_table().expect("a [features] table");
        let mut declared: Vec<&str> = features.keys().map(String::as_str).filter(|f| f.starts_with("mine-")).collect();
        let mut here: Vec<&str> = PARTS.iter().map(|(f, _)| *f).collect();
        declared.sort();
        here.sort();
        assert_eq!(
            here, declared,
            "src/parts.rs's parts! names the features of Cargo.toml's [features], no more, no fewer"
        );
        for (feature, _) in PARTS {
            let exercise = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises"))
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().split_once('-').is_some_and(|(_, n)| n == name(feature)));
            assert!(exercise, "{feature}: no exercise exercises/NN-{} to take the part from", name(feature));
        }
    }

    #[test]
    fn a_panic_in_an_exercise_names_its_part() {
        assert_eq!(of_file("exercises/12-log/src/store.rs"), Some("log"));
        assert_eq!(of_file("/home/ada/p2p/exercises/10-secure-gossip/src/guard.rs"), Some("secure-gossip"));
        assert_eq!(of_file("exercises/04-dht/src/lib.rs"), None, "the DHT is no part of the chat");
        assert_eq!(of_file("solutions/12-log/src/store.rs"), None);
    }
}
