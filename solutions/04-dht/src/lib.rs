//! Kademlia, as BitTorrent's mainline DHT runs it (BEP 5): 160-bit ids, the XOR
//! metric, k-buckets of 8 with ping-before-evict, iterative lookups with α = 3
//! queries in flight, and announce / get_peers with tokens. Messages are KRPC:
//! bencoded dictionaries, byte for byte as BEP 5 shows them.
//!
//! The node is sans-IO ([`kit::Node`]): the checks run it by the thousand in the kit's
//! simulator, where node `n<i>` has the address `10.x.y.z:6881` ([`node::addr_of`]).
//!
//! # Steps
//!
//! `cargo verify check dht` runs these thirteen steps, in this order; each names the
//! files it asks you to change (or, for a step that adds no code, the ones it
//! exercises):
//!
//! 1. XOR distance and bucket index, on fixed examples and 1,000 random pairs —
//!    `src/id.rs`
//! 2. Bencode: examples, 500 random values, malformed input rejected with its error —
//!    `src/bencode.rs`
//! 3. KRPC: BEP 5's seven example messages, byte for byte, both ways — `src/krpc.rs`
//! 4. Routing table: k-buckets of 8, least recently seen first, closest() exact —
//!    `src/table.rs`
//! 5. Iterative lookup over 2,000 ids: at most α in flight, the true 8 closest —
//!    `src/lookup.rs`
//! 6. One node answers ping, find_node, get_peers and announce_peer, with tokens —
//!    `src/node.rs`
//! 7. Transaction ids: 4 bytes on each query the node sends; replies echo the querier's
//!    — `src/node.rs`
//! 8. Only nodes that answered enter the table: a querier is pinged first —
//!    `src/node.rs`
//! 9. Read-only nodes (BEP 43, `ro=1`) are answered but never pinged or added —
//!    `src/node.rs`, `src/krpc.rs`
//! 10. Ping before evict: a full bucket keeps a live old contact, replaces a dead one —
//!     `src/node.rs`
//! 11. 1,000 nodes, half yours: 99% of lookups find the true 8 closest — `src/node.rs`,
//!     `src/lookup.rs`, `src/table.rs`
//! 12. After 20% of the nodes leave: 95% of lookups still find the true 8 closest —
//!     `src/node.rs`, `src/lookup.rs`, `src/table.rs`
//! 13. Announce and get_peers across a network of 300 nodes — `src/node.rs`,
//!     `src/lookup.rs`

pub mod bencode;
pub mod id;
pub mod krpc;
pub mod lookup;
pub mod node;
pub mod table;

pub use bencode::{BencodeError, Value};
pub use id::Id;
pub use krpc::{Body, Contact, KrpcError, Message, Query, Response};
pub use lookup::{ALPHA, Lookup};
pub use node::{DhtNode, Msg, Timer};
pub use table::{Insert, K, RoutingTable};
