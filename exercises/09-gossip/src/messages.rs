//! The messages of Maelstrom's `broadcast` workload, plus the gossip between nodes.
//!
//! Serialised as Maelstrom expects: a `type` field in snake case, the other fields
//! beside it (`{"type": "broadcast", "message": 7}`).

use std::collections::BTreeMap;

use kit::NodeId;
use serde::{Deserialize, Serialize};

/// Everything clients and nodes send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Client: a suggested neighbourhood for each node. Nodes may ignore it.
    Topology { topology: BTreeMap<NodeId, Vec<NodeId>> },
    /// The answer to `Topology`.
    TopologyOk,
    /// Client: make `message` known to every node.
    Broadcast { message: u64 },
    /// The answer to `Broadcast`: this node has the value and will pass it on.
    BroadcastOk,
    /// Client: which values do you know?
    Read,
    /// The answer to `Read`: every value this node knows, in ascending order, once each.
    ReadOk { messages: Vec<u64> },
    /// Node to node: values the sender knows and believes the receiver may not.
    Gossip { messages: Vec<u64> },
    /// Node to node: the receiver of a `Gossip` now knows these values.
    GossipOk { messages: Vec<u64> },
}
