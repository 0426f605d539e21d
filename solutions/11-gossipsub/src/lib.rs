//! Gossipsub v1.1, libp2p's pubsub router, as a sans-IO node on the kit: the RPC's
//! protobuf by hand, StrictSign, the mesh with its heartbeat, GRAFT and PRUNE with
//! backoff, fanout, IHAVE and IWANT from a message cache, a seen cache, flood publishing,
//! validation results and a peer score with the v1.1 defences.
//!
//! The modules follow the chapter (`book/pubsub/gossipsub.md`):
//!
//! - [`proto`]: the RPC frame and its protobuf encoding.
//! - [`sign`]: StrictSign: signing, verifying, message ids.
//! - [`config`]: the router's parameters (the spec's defaults) and validation results.
//! - [`node`]: the router.
//!
//! Keys come from the identity chapter (its reference crate, re-exported as
//! `gossipsub::identity`; the learner's version is `exercises/01-identity/src`):
//! `Keypair::from_secret_bytes`, `Keypair::sign`, `Keypair::public` and
//! `Keypair::peer_id` in `keys.rs`, `PublicKey::verify`, `PublicKey::to_bytes` and
//! `Signature::from_bytes` / `to_bytes` in `keys.rs`, and `PeerId::to_bytes`,
//! `PeerId::from_bytes` and `PeerId::public_key` in `peer_id.rs`.
//!
//! # Steps
//!
//! `cargo verify check gossipsub` runs these eleven steps, in this order; each names
//! the files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The RPC frame's bytes: fields in order, every length bounded, unknown fields
//!    skipped — `src/proto.rs`
//! 2. StrictSign: the signature covers "libp2p-pubsub:" and the message; from, seqno
//!    and signature are required — `src/sign.rs`
//! 3. Joining, publishing and receiving: announce, flood your own, deliver each message
//!    once, forward to the mesh — `src/node.rs`
//! 4. The mesh: GRAFT and PRUNE, kept between D_lo and D_hi on heartbeat; the heartbeat
//!    never GRAFTs a peer during its backoff — `src/node.rs`
//! 5. Fanout: publishing to a topic you are not in goes to D peers, the same ones,
//!    until the fanout TTL ends — `src/node.rs`
//! 6. Gossip: IHAVE the last mcache_gossip heartbeats' ids to D_lazy peers outside the
//!    mesh; IWANT answered from the cache — `src/node.rs`
//! 7. Validation and score: invalid messages and GRAFT during backoff cost score; a low
//!    score shuts a peer out step by step — `src/node.rs`
//! 8. Rooms of 10, 50 and 200: every line reaches every node once, for far fewer
//!    messages than flooding — `src/node.rs`
//! 9. Attackers in a room: a liar (forged and tampered messages), a GRAFT spammer
//!    (GRAFT during backoff) and an IWANT flooder — `src/node.rs`
//! 10. Three nodes, meshed, two messages published: every order of delivery and
//!     heartbeat delivers each message once on every node — `src/node.rs`
//! 11. Peers come and go: PeerUp sends your subscriptions, PeerDown frees the peer but
//!     keeps a bad score, Take drains, a peer's topics are bounded — `src/node.rs`

pub mod config;
pub mod node;
pub mod proto;
pub mod sign;

pub use config::{Config, Key, Validation, accept_all};
pub use node::{Delivered, GossipsubNode, Msg, Status, Timer, hex};
pub use proto::{Control, DecodeError, Graft, IHave, IWant, MAX_FRAME, Message, Prune, Rpc, SubOpts};
pub use sign::{SIGNING_PREFIX, SignError, message_id, sign, signed_bytes, verify};

/// The identity types this exercise signs with.
pub use identity_solution as identity;
