//! Which crate each part of the stack comes from: the reference solution, or (with the
//! cargo feature `mine-NAME`, which `cargo verify chat NICK` turns on for every exercise
//! whose checks all pass) the learner's own crate. Everything else in the program names
//! a part only through these aliases, so each part is written once, in its exercise.

#[cfg(feature = "mine-identity")]
pub use ::identity;
#[cfg(not(feature = "mine-identity"))]
pub use ::identity_solution as identity;

#[cfg(feature = "mine-mdns")]
pub use ::mdns;
#[cfg(not(feature = "mine-mdns"))]
pub use ::mdns_solution as mdns;

#[cfg(feature = "mine-rendezvous")]
pub use ::rendezvous;
#[cfg(not(feature = "mine-rendezvous"))]
pub use ::rendezvous_solution as rendezvous;

#[cfg(feature = "mine-swarm")]
pub use ::swarm;
#[cfg(not(feature = "mine-swarm"))]
pub use ::swarm_solution as swarm;

#[cfg(feature = "mine-streams")]
pub use ::streams;
#[cfg(not(feature = "mine-streams"))]
pub use ::streams_solution as streams;

#[cfg(feature = "mine-handshake")]
pub use ::handshake;
#[cfg(not(feature = "mine-handshake"))]
pub use ::handshake_solution as handshake;

#[cfg(feature = "mine-secure-gossip")]
pub use ::secure_gossip;
#[cfg(not(feature = "mine-secure-gossip"))]
pub use ::secure_gossip_solution as secure_gossip;

/// Each part and whether it is the learner's (`true`) or the reference's, in the order
/// of the stack from the bottom; the chat's own node is the crate the program is built
/// from (`chat` is the learner's, `chat-solution` the reference).
pub const PARTS: [(&str, bool); 8] = [
    ("identity", cfg!(feature = "mine-identity")),
    ("mdns", cfg!(feature = "mine-mdns")),
    ("rendezvous", cfg!(feature = "mine-rendezvous")),
    ("swarm", cfg!(feature = "mine-swarm")),
    ("streams", cfg!(feature = "mine-streams")),
    ("handshake", cfg!(feature = "mine-handshake")),
    ("secure-gossip", cfg!(feature = "mine-secure-gossip")),
    ("chat", crate::LEARNERS_CHAT),
];

/// The line the program prints at start: `identity: yours · mdns: reference · …`.
pub fn summary() -> String {
    PARTS
        .iter()
        .map(|(name, mine)| format!("{name}: {}", if *mine { "yours" } else { "reference" }))
        .collect::<Vec<_>>()
        .join(" · ")
}
