//! Glue for the interop suite: what the tests and benchmarks need beside the reference
//! crates and the independent implementations they are checked against.
//!
//! - [`crate_yamux`]: a tokio task driving the `yamux` crate's `Connection` (which is a
//!   poll-based state machine), with a handle to open and accept streams and to close.
//! - [`tap`]: a TCP relay between two peers that parses the yamux frames passing through
//!   it each way, so a test can assert what was said on the wire (a Ping answered, a
//!   GoAway sent) and the book can show the bytes.
//! - [`protocols`]: `/ipfs/ping/1.0.0` and `/ipfs/id/1.0.0` for the reference stack: the
//!   ping echo, and the identify message as a hand-written protobuf.
//! - [`netns`]: two network namespaces on a veth pair, for the mDNS tests.
//! - [`meshsub`]: gossipsub (`/meshsub/1.1.0`) for the reference stack: the RPC
//!   protobuf, StrictSign signing and verification, and a peer that records every RPC
//!   frame each way.
//! - [`gossipsub_node`]: a rust-libp2p gossipsub node (Strict validation, signed
//!   messages) driven by a task, for the gossipsub tests and the vector capture.
//! - [`gossipsub_room`]: rooms of rust-libp2p gossipsub peers, of the handbook's reference
//!   router, or of both, on counted links, with the latency and bytes of each line.

pub mod crate_yamux;
pub mod gossipsub_node;
pub mod gossipsub_room;
pub mod libp2p_node;
pub mod meshsub;
pub mod netns;
pub mod protocols;
pub mod reference_node;
pub mod tap;
