//! Copying a DAG from a peer that need not be trusted, fetching only what is missing.
//!
//! Start at the root. A block already held is skipped with everything below it: a store
//! only ever holds complete DAGs (they are built or synced whole), so holding a node
//! means holding its subtree. That is the Merkle property doing the work: equal hashes,
//! equal subtrees, so a small change to a large file costs only the changed leaves and
//! the nodes on their paths to the root. Every fetched block is checked against its CID
//! before it is stored, so a lying peer can only fail the sync, never corrupt the
//! store; and blocks are stored only once the whole DAG has arrived and checked out.

use std::collections::{HashMap, HashSet};

use crate::cid::{Cid, RAW};
use crate::dag::{BlockStore, DagError, check_sizes};
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
    let mut stats = SyncStats::default();
    let mut fetched: Vec<(Cid, Vec<u8>)> = Vec::new();
    let mut seen: HashSet<Cid> = HashSet::new();
    let mut stack = vec![*root];
    // The size the root claims, once it has arrived, and the leaf bytes fetched so far.
    let mut claim: Option<u64> = None;
    let mut leaf_bytes = 0u64;
    while let Some(cid) = stack.pop() {
        if local.has(&cid) || !seen.insert(cid) {
            continue;
        }
        let bytes = fetch(&cid).ok_or(DagError::Missing(cid))?;
        if !cid.matches(&bytes) {
            return Err(DagError::Corrupt { cid, reason: "the peer sent bytes that do not hash to the CID".into() });
        }
        if cid.codec() == RAW {
            leaf_bytes += bytes.len() as u64;
            if leaf_bytes > *claim.get_or_insert(leaf_bytes) {
                let reason = format!("the root claims {} bytes, and the peer sent more", claim.unwrap_or_default());
                return Err(DagError::Corrupt { cid: *root, reason });
            }
        } else {
            let (links, size) = node::decode(&bytes).map_err(|e| DagError::Corrupt { cid, reason: e.to_string() })?;
            claim.get_or_insert(size);
            stack.extend(links.into_iter().rev());
        }
        stats.blocks += 1;
        stats.bytes += bytes.len();
        fetched.push((cid, bytes));
    }
    let arrived: HashMap<Cid, &[u8]> = fetched.iter().map(|(cid, bytes)| (*cid, bytes.as_slice())).collect();
    let held = |cid: &Cid| {
        let bytes = local.get(cid)?;
        if cid.codec() == RAW { Some(bytes.len() as u64) } else { node::decode(bytes).ok().map(|(_, size)| size) }
    };
    check_sizes(root, |cid| arrived.get(cid).copied(), held)?;
    drop(arrived);
    for (cid, bytes) in fetched {
        local.insert_verified(cid, bytes)?;
    }
    Ok(stats)
}
