//! Chunking a file into a balanced Merkle DAG, and reading it back.
//!
//! The file is cut into chunks of `chunk_size` bytes; each chunk is a raw block (a
//! leaf). Leaves are grouped, in order, into DAG-CBOR nodes of at most `max_links`
//! children, those nodes into nodes again, until one node remains: the root. Each level
//! has at most `max_links` times fewer blocks than the one below, so a gigabyte in
//! 256 KiB chunks with 174 links per node (Kubo's defaults) is two levels above the
//! leaves. A file of one chunk is just that leaf.

use std::collections::HashMap;

use crate::cid::{Cid, DAG_CBOR, RAW};
use crate::node;

/// Why a DAG could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DagError {
    /// A block the DAG links to is not in the store.
    #[error("block {0} is missing")]
    Missing(Cid),
    /// A block's bytes do not hash to its CID, or do not decode, or a node's size is
    /// not the sum of its children's.
    #[error("block {cid} is corrupt: {reason}")]
    Corrupt {
        /// The block.
        cid: Cid,
        /// What is wrong.
        reason: String,
    },
    /// The file below `cid` is larger than [`MAX_READ`].
    #[error("the file below {cid} is {size} bytes, more than the {MAX_READ} a read returns")]
    TooLarge {
        /// The root.
        cid: Cid,
        /// Its size, checked against every block below it.
        size: u64,
    },
}

/// The most bytes [`read`] returns (1 GiB). A few blocks that link to one another many
/// times can describe a file of any size, truthfully: the size is checked before any of
/// it is written out, and a larger file is refused instead of filling memory.
pub const MAX_READ: u64 = 1 << 30;

/// Blocks by CID. Storing checks nothing; [`BlockStore::put`] computes the CID, and
/// [`BlockStore::insert_verified`] is for blocks that came from elsewhere.
#[derive(Clone, Debug, Default)]
pub struct BlockStore {
    blocks: HashMap<Cid, Vec<u8>>,
}

impl BlockStore {
    /// An empty store.
    pub fn new() -> BlockStore {
        BlockStore::default()
    }

    /// Stores `bytes` under the CID they hash to with `codec`, and returns it.
    pub fn put(&mut self, codec: u64, bytes: Vec<u8>) -> Cid {
        let cid = Cid::of(codec, &bytes);
        self.blocks.insert(cid, bytes);
        cid
    }

    /// Stores bytes received for `cid`, if they are what `cid` names.
    pub fn insert_verified(&mut self, cid: Cid, bytes: Vec<u8>) -> Result<(), DagError> {
        if !cid.matches(&bytes) {
            return Err(DagError::Corrupt { cid, reason: "its bytes do not hash to its CID".into() });
        }
        self.blocks.insert(cid, bytes);
        Ok(())
    }

    /// The block named `cid`.
    pub fn get(&self, cid: &Cid) -> Option<&[u8]> {
        self.blocks.get(cid).map(Vec::as_slice)
    }

    /// Whether the store holds `cid`.
    pub fn has(&self, cid: &Cid) -> bool {
        self.blocks.contains_key(cid)
    }

    /// How many blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Replaces a block's bytes without any check (for tests of corruption).
    pub fn tamper(&mut self, cid: &Cid, bytes: Vec<u8>) {
        self.blocks.insert(*cid, bytes);
    }
}

/// Chunks `data` into a balanced DAG in `store` and returns the root's CID: leaves of
/// `chunk_size` bytes as [`RAW`] blocks (one empty leaf for empty data), grouped in
/// order into [`DAG_CBOR`] nodes of at most `max_links` children, level by level, until
/// one block is left. The same data and parameters give the same root everywhere.
///
/// # Panics
/// If `chunk_size` is 0 or `max_links` is under 2.
pub fn build(data: &[u8], chunk_size: usize, max_links: usize, store: &mut BlockStore) -> Cid {
    // TODO (step 6)
    todo!()
}

/// Reads the file below `root` back, leaves in order, checking every block against
/// its CID: a block the store lacks is [`DagError::Missing`], one whose bytes do not
/// hash to its CID (or a node that does not decode) [`DagError::Corrupt`]. Wrong data
/// is never returned.
///
/// A node's size is a claim too: it must equal the sum of its children's sizes (a raw
/// leaf's size is its length), or the node is [`DagError::Corrupt`]. Sizes are checked
/// first, visiting each distinct block once however many links lead to it, so the
/// work before any output is bounded by the blocks in the store; then the output is
/// exactly the root's checked size, and one over [`MAX_READ`] is
/// [`DagError::TooLarge`]. Three blocks whose links repeat one child while claiming a
/// size of 1 are refused, not expanded into a hundred megabytes.
pub fn read(root: &Cid, store: &BlockStore) -> Result<Vec<u8>, DagError> {
    // TODO (step 7)
    todo!()
}
