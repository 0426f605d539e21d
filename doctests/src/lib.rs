//! Every Rust snippet in the book, compiled and run as a doc test.
//!
//! Each chapter is included as the documentation of an empty item, so `cargo test`
//! (which runs doc tests) compiles each ```` ```rust ```` block of the book against the
//! reference crates. mdBook's hidden-line syntax (`# `) is rustdoc's too, so the book
//! shows only the lines that matter while the test sees a whole program.

/// Adds one book page as a doc-tested item. The item only exists under `cfg(doctest)`,
/// so the crate itself stays empty.
macro_rules! chapter {
    ($name:ident, $path:literal) => {
        #[cfg(doctest)]
        #[doc = include_str!($path)]
        pub struct $name;
    };
}

// Every page of book/SUMMARY.md, so a Rust snippet added to any page is compiled.
chapter!(Introduction, "../../book/introduction.md");
chapter!(WhyP2p, "../../book/why-p2p.md");
chapter!(WhyRust, "../../book/why-rust.md");
chapter!(Basics, "../../book/basics.md");
chapter!(Goal, "../../book/goal.md");
chapter!(Cap, "../../book/cap.md");
chapter!(Roles, "../../book/roles.md");
chapter!(Kit, "../../book/kit.md");
chapter!(KitSimulator, "../../book/kit/simulator.md");
chapter!(Identity, "../../book/identity.md");
chapter!(Discovery, "../../book/discovery.md");
chapter!(DiscoveryMdns, "../../book/discovery/mdns.md");
chapter!(DiscoveryRendezvous, "../../book/discovery/rendezvous.md");
chapter!(DiscoveryDht, "../../book/discovery/dht.md");
chapter!(DiscoveryDhtMaintenance, "../../book/discovery/dht-maintenance.md");
chapter!(DiscoveryNat, "../../book/discovery/nat.md");
chapter!(DiscoveryRelay, "../../book/discovery/relay.md");
chapter!(DiscoveryIdentify, "../../book/discovery/identify.md");
chapter!(Topology, "../../book/topology.md");
chapter!(TopologyFailureDetection, "../../book/topology/failure-detection.md");
chapter!(Streams, "../../book/streams.md");
chapter!(StreamsResources, "../../book/streams/resources.md");
chapter!(Protocol, "../../book/protocol.md");
chapter!(Transports, "../../book/transports.md");
chapter!(Interop, "../../book/interop.md");
chapter!(Pubsub, "../../book/pubsub.md");
chapter!(PubsubGossip, "../../book/pubsub/gossip.md");
chapter!(PubsubSecureGossip, "../../book/pubsub/secure-gossip.md");
chapter!(PubsubGossipsub, "../../book/pubsub/gossipsub.md");
chapter!(DataStructures, "../../book/data-structures.md");
chapter!(DataStructuresLog, "../../book/data-structures/log.md");
chapter!(DataStructuresHypercoreTree, "../../book/data-structures/hypercore-tree.md");
chapter!(DataStructuresAntiEntropy, "../../book/data-structures/anti-entropy.md");
chapter!(DataStructuresMerkleDag, "../../book/data-structures/merkle-dag.md");
chapter!(DataStructuresBitswap, "../../book/data-structures/bitswap.md");
chapter!(DataStructuresCrdt, "../../book/data-structures/crdt.md");
chapter!(DataStructuresCrdtDepth, "../../book/data-structures/crdt-depth.md");
chapter!(Survey, "../../book/survey.md");
chapter!(Capstone, "../../book/capstone.md");
chapter!(Instructors, "../../book/instructors.md");
chapter!(InstructorsSchedule, "../../book/instructors/schedule.md");
chapter!(InstructorsRoom, "../../book/instructors/room.md");
chapter!(InstructorsQuality, "../../book/instructors/quality.md");
chapter!(Glossary, "../../book/glossary.md");
chapter!(References, "../../book/references.md");
