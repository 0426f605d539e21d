//! Kademlia, as BitTorrent's mainline DHT runs it (BEP 5): 160-bit ids, the XOR
//! metric, k-buckets of 8 with ping-before-evict, iterative lookups with α = 3
//! queries in flight, and announce / get_peers with tokens. Messages are KRPC:
//! bencoded dictionaries, byte for byte as BEP 5 shows them.
//!
//! The node is sans-IO ([`kit::Node`]): the checks run it by the thousand in the kit's
//! simulator, where node `n<i>` has the address `10.x.y.z:6881` ([`node::addr_of`]).

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
