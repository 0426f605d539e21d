//! A rendezvous point: a server that peers register with under a topic, for a while,
//! and ask for the other peers of that topic — the job of mafintosh's signalhub and of
//! the libp2p rendezvous protocol. Newline-delimited JSON over TCP.
//!
//! - [`proto`]: the messages, the frame limit, and parsing untrusted lines.
//! - [`registry`]: the state, with TTLs and pagination, as a plain data structure.
//! - [`server`]: the tokio server: one task per connection, pushes to subscribers.
//! - [`client`]: the client.
//!
//! This is your crate: the functions marked `TODO` still call `todo!()`. Replace
//! each with an implementation until `cargo verify check rendezvous` passes, in step
//! order: the registry (1), `proto::parse_request` (2), the server (3–6), the
//! client (7).

// The stubs leave helpers and imports unused until you write the code that uses
// them; this keeps the compiler's output to what matters meanwhile.
#![allow(dead_code, unused_imports, unused_variables, unused_mut, clippy::ptr_arg)]

pub mod client;
pub mod proto;
pub mod registry;
pub mod server;

pub use client::{Client, ClientError, Subscription};
pub use proto::{ErrorCode, ProtoError, Registration, Reply, Request};
pub use registry::{Registry, RegistryError};
pub use server::{ServerHandle, spawn};
