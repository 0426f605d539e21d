//! A rendezvous point: a server that peers register with under a topic, for a while,
//! and ask for the other peers of that topic — the job of mafintosh's signalhub and of
//! the libp2p rendezvous protocol. Newline-delimited JSON over TCP.
//!
//! - [`proto`]: the messages, the frame limit, and parsing untrusted lines.
//! - [`registry`]: the state, with TTLs and pagination, as a plain data structure.
//! - [`server`]: the tokio server: one task per connection, pushes to subscribers.
//! - [`client`]: the client.

pub mod client;
pub mod proto;
pub mod registry;
pub mod server;

pub use client::{Client, ClientError, Subscription};
pub use proto::{ErrorCode, ProtoError, Registration, Reply, Request};
pub use registry::{Registry, RegistryError};
pub use server::{ServerHandle, spawn};
