//! A rendezvous point: a server that peers register with under a topic, for a while,
//! and ask for the other peers of that topic — the job of mafintosh's signalhub and of
//! the libp2p rendezvous protocol. Newline-delimited JSON over TCP.
//!
//! - [`proto`]: the messages, the frame limit, and parsing untrusted lines.
//! - [`registry`]: the state, with TTLs and pagination, as a plain data structure.
//! - [`server`]: the tokio server: one task per connection, pushes to subscribers.
//! - [`client`]: the client.
//!
//! # Steps
//!
//! `cargo verify check rendezvous` runs these seven steps, in this order; each names
//! the files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. The registry: register, replace, unregister, TTLs, expiry and pagination —
//!    `src/registry.rs`
//! 2. Parsing untrusted lines: requests, and malformed input, unknown ops and bad
//!    fields told apart — `src/proto.rs`
//! 3. Your server with the reference client: register, discover across connections,
//!    pages, unregister — `src/server.rs`
//! 4. Bad input: malformed, oversized, unknown, half-sent; each gets its error and the
//!    server keeps serving — `src/server.rs`
//! 5. Subscriptions push arrivals; registrations disappear when their TTL runs out —
//!    `src/server.rs`
//! 6. Clients that leave leave nothing behind, and one client cannot make the server
//!    hold without bound — `src/server.rs`
//! 7. Your client with the reference server: register, discover, pages, subscribe, and
//!    errors as ClientError::Server — `src/client.rs`

pub mod client;
pub mod proto;
pub mod registry;
pub mod server;

pub use client::{Client, ClientError, Subscription};
pub use proto::{ErrorCode, ProtoError, Registration, Reply, Request};
pub use registry::{Registry, RegistryError};
pub use server::{ServerHandle, spawn};
