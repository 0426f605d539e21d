//! Copying a DAG from a peer that need not be trusted, fetching only what is missing.
//!
//! Start at the root. A block already held is skipped with everything below it: a store
//! only ever holds complete DAGs (they are built or synced whole), so holding a node
//! means holding its subtree. That is the Merkle property doing the work: equal hashes,
//! equal subtrees, so a small change to a large file costs only the changed leaves and
//! the nodes on their paths to the root. Every fetched block is checked against its CID
//! before it is stored, so a lying peer can only fail the sync, never corrupt the
//! store; and blocks are stored only once the whole DAG has arrived and checked out.

use std::collections::HashSet;

use crate::cid::{Cid, RAW};
use crate::dag::{BlockStore, DagError};
use crate::node;

/// What a sync transferred.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Blocks fetched from the peer.
    pub blocks: usize,
    /// Bytes fetched from the peer.
    pub bytes: usize,
}

/// Copies the DAG below `root` into `local`, asking `fetch` for each block `local`
/// lacks (and nothing below a block it holds), each at most once. `fetch` stands for
/// the network: it may return nothing ([`DagError::Missing`]) or wrong bytes
/// ([`DagError::Corrupt`]); either fails the sync, and a failed sync stores nothing.
/// Returns what was fetched.
///
/// Sizes are checked as [`read`](crate::read) checks them, before anything is stored:
/// a node whose size is not the sum of its children's (a block already held counts at
/// the size it has) is [`DagError::Corrupt`], so a store never holds a DAG that lies
/// about its size. Each block is fetched and checked once however many links lead to
/// it, and the leaf bytes fetched never exceed the size the root claims: a peer that
/// sends more is lying, and the sync stops there.
pub fn sync(
    root: &Cid,
    mut fetch: impl FnMut(&Cid) -> Option<Vec<u8>>,
    local: &mut BlockStore,
) -> Result<SyncStats, DagError> {
    // TODO (step 8)
    todo!()
}
