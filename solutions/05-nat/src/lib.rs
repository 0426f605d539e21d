//! Getting two peers behind NATs connected: hole punching, assisted by a rendezvous
//! server that tells each peer where the other appears from, and a relay for the
//! pairs of NATs that no punching gets through.
//!
//! The peer, the relay and the server are ordinary [`kit::Node`]s, each named by its
//! socket address. The checks run them on [`kit::nat`] (datagrams, NATs of the four
//! classic types, simulated time); the same nodes run on real UDP sockets with
//! [`kit::udp`] (the reference's `tests/udp.rs` does it on loopback).
//!
//! - [`direct_possible`]: which pairs of NAT types can be punched through.
//! - [`wire`]: the messages (JSON datagrams) and [`Msg`], the nodes' message type.
//! - [`server`]: the rendezvous server (given).
//! - [`relay`]: a relay that forwards only between the two peers of a session.
//! - [`peer`]: a peer that registers, punches, and falls back to the relay.
//!
//! In the exercise crate each function marked `// TODO (step N)` is a `todo!` stub to
//! write until `cargo verify check nat` passes; the steps are the checks': first
//! [`direct_possible`] (step 1), then the relay (step 2), then the peer: punching
//! between cone NATs (step 3), every pair with the relay as the fallback (step 4),
//! and working with the reference's peers (step 5).
//!
//! # Steps
//!
//! `cargo verify check nat` runs these five steps, in this order; each names the files
//! it asks you to change (or, for a step that adds no code, the ones it exercises):
//!
//! 1. Which pairs of NAT types can be punched through, for all 16 ordered pairs —
//!    `src/lib.rs`
//! 2. The relay forwards between the two peers of a session once both joined, and for
//!    nobody else — `src/relay.rs`
//! 3. Two of your peers behind cone NATs punch through and greet each other directly —
//!    `src/peer.rs`
//! 4. Every pair of NAT types, your peers on both sides: direct where theory allows,
//!    relayed otherwise — `src/peer.rs`
//! 5. Your peer with the reference's, each dialling, and your relay between reference
//!    peers — `src/peer.rs`

pub mod peer;
pub mod relay;
pub mod server;
pub mod wire;

pub use kit::nat::NatKind;
pub use peer::{Connection, Path, Peer, Timer};
pub use relay::Relay;
pub use server::Server;
pub use wire::{Msg, Wire};

/// Whether two peers behind NATs of kinds `a` and `b` can reach each other directly
/// by punching: each sends to the address the rendezvous server saw the other at,
/// and accepts the other's packets from wherever they arrive.
///
/// This is the theory the peers' outcomes are checked against: for each of the 16
/// ordered pairs, think through which port each NAT gives the punch to the other, and
/// which packets each lets in (the chapter's table of behaviours, RFC 4787's terms).
pub fn direct_possible(a: NatKind, b: NatKind) -> bool {
    // It fails only when one side is symmetric (a new, unguessable port for each
    // destination, so the address the server saw is not the one the other peer will
    // see) and the other side filters by port (port-restricted or symmetric), so it
    // only lets in the port it sent to, which is never the port the packets come from.
    use NatKind::{PortRestricted, Symmetric};
    !matches!((a, b), (Symmetric, PortRestricted | Symmetric) | (PortRestricted, Symmetric))
}
