//! What travels on each yamux substream of a chat connection, and its limits.
//!
//! After TCP, `/noise`, the Noise XX handshake and `/yamux/1.0.0` (the handshake
//! chapter's `upgrade`), every conversation is a substream of its own, named in one
//! multistream-select round (libp2p's way, so a libp2p node can talk to a chat peer):
//!
//! | protocol | what | frames |
//! |---|---|---|
//! | [`PUSH`] | a new line, as a secure-gossip `Envelope` signed by its author, whose payload is the log entry | one JSON envelope per frame |
//! | [`SYNC`] | anti-entropy: `Have` (a frontier) and `Entries` (what the other lacks) | one JSON chat `Msg` per frame |
//! | [`SWARM`] | the swarm exercise's messages: `Connect`, `Accept`, `Refuse`, `Close`, `Ping`, `Pong` | one JSON swarm `Msg` per frame |
//! | [`MESHSUB`] | libp2p gossipsub v1.1: subscriptions, messages, GRAFT/PRUNE, IHAVE/IWANT | one RPC protobuf per frame (unsigned varint length first, at most [`MAX_MESHSUB_FRAME`]) |
//! | [`PING`] | libp2p ping: 32 bytes echoed | raw |
//! | [`IDENTIFY`] | libp2p identify: who we are, what we speak | one varint-prefixed protobuf, then FIN |
//!
//! Frames are the streams chapter's length-prefixed frames, read with a maximum per
//! protocol, so no peer can make this side set aside more than that for one message.

use std::net::SocketAddr;

/// A new line, pushed by its author and forwarded once by everyone who stores it.
pub const PUSH: &str = "/p2p-handbook/chat/push/1.0.0";
/// Anti-entropy between neighbours.
pub const SYNC: &str = "/p2p-handbook/chat/sync/1.0.0";
/// The swarm's connection management.
pub const SWARM: &str = "/p2p-handbook/swarm/1.0.0";
/// libp2p gossipsub v1.1 (<https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md>):
/// each side sends its RPCs on a substream it opened itself and reads the other
/// side's on the substream the other opened. Not `/meshsub/1.2.0`: this peer does
/// not do v1.2's IDONTWANT, so it must not claim it.
pub const MESHSUB: &str = "/meshsub/1.1.0";
/// Gossipsub v1.0, accepted when the other side proposes it (the RPC is the same).
pub const MESHSUB_V10: &str = "/meshsub/1.0.0";
pub use ping_identify::{IDENTIFY, Identify, PING};

/// Every protocol this peer answers on a substream, in the order identify lists them.
pub const PROTOCOLS: [&str; 6] = [PUSH, SYNC, SWARM, MESHSUB, PING, IDENTIFY];

/// What this peer accepts when the other side opens a substream: [`PROTOCOLS`] and
/// gossipsub v1.0 (not listed in identify, which names the version this peer prefers).
pub const ANSWERED: [&str; 7] = [PUSH, SYNC, SWARM, MESHSUB, MESHSUB_V10, PING, IDENTIFY];

/// The largest gossipsub RPC frame: rust-libp2p's default `max_transmit_size`, and the
/// gossipsub part's own bound on what it decodes.
pub const MAX_MESHSUB_FRAME: usize = 65_536;

/// The largest push frame: an envelope carries at most secure gossip's 1 KiB payload,
/// which JSON (bytes as numbers) makes at most about four times larger, plus the key and
/// the signature.
pub const MAX_PUSH_FRAME: usize = 8 * 1024;
/// The largest sync frame: a batch of 64 entries (the node's batch) of up to 1 KiB of
/// payload each, as JSON numbers: about 300 KiB. 1 MiB leaves room and still bounds a
/// liar's announced length.
pub const MAX_SYNC_FRAME: usize = 1024 * 1024;
/// The largest swarm frame: its messages are a few bytes.
pub const MAX_SWARM_FRAME: usize = 1024;
/// The agent this peer reports in identify.
pub const AGENT: &str = concat!("p2p-handbook-chat/", env!("CARGO_PKG_VERSION"));

/// The nick in another chat peer's agent version, if it is one (at most 32 bytes).
pub fn nick_of_agent(agent: &str) -> Option<String> {
    let rest = agent.strip_prefix("p2p-handbook-chat/")?;
    let (_, nick) = rest.split_once(" (")?;
    let nick = nick.strip_suffix(')')?;
    (!nick.is_empty() && nick.len() <= 32 && !nick.chars().any(char::is_control)).then(|| nick.to_string())
}

/// What identify says about this peer (the interop suite's reference node says the same
/// six fields): the `PublicKey` protobuf of `key`, the address it listens on, the
/// address it sees the other side at, and the nick in the agent after the program's
/// name, `p2p-handbook-chat/0.1.0 (ada)`, so that the member list has a name before the
/// first line arrives (a claim, like every nick).
pub fn identify(key: &[u8; 32], listen: SocketAddr, observed: SocketAddr, nick: &str) -> Identify {
    Identify {
        protocol_version: "/ipfs/0.1.0".into(),
        agent_version: format!("{AGENT} ({nick})"),
        public_key: ping_identify::ed25519_public_key(key),
        listen_addrs: vec![ping_identify::multiaddr(listen)],
        observed_addr: ping_identify::multiaddr(observed),
        protocols: PROTOCOLS.iter().map(|p| p.to_string()).collect(),
    }
}
