//! The routing table: one k-bucket per distance range, least recently seen first.

use std::collections::VecDeque;

use crate::id::Id;
use crate::krpc::Contact;

/// Contacts per bucket, and nodes returned by a lookup (BEP 5's K).
pub const K: usize = 8;

/// What [`RoutingTable::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// The contact is new and its bucket had room.
    Added,
    /// The contact was already there: it is now the most recently seen.
    Updated,
    /// The bucket is full. Nothing changed: ping `least_recently_seen`, and only if it
    /// fails to answer, remove it and insert the new contact (Kademlia keeps old,
    /// proven nodes: a node that has been up an hour is likely to stay up another).
    Full { least_recently_seen: Contact },
    /// The contact is this node itself, which the table never holds.
    Own,
}

/// A Kademlia routing table with 160 buckets. Bucket `i` holds nodes whose distance
/// from us has its highest set bit at `i`, distances in [2^i, 2^(i+1)): the far half
/// of the id space shares bucket 159, the farther half of what is left bucket 158,
/// and so on (Kademlia §2.2). This holds what
/// BEP 5's table holds when it splits only the bucket that covers its own id.
#[derive(Clone, Debug)]
pub struct RoutingTable {
    own: Id,
    buckets: Vec<VecDeque<Contact>>,
}

impl RoutingTable {
    /// An empty table for the node `own`.
    pub fn new(own: Id) -> RoutingTable {
        RoutingTable { own, buckets: vec![VecDeque::new(); Id::BITS] }
    }

    /// The id of the node this table belongs to.
    pub fn own_id(&self) -> Id {
        self.own
    }

    /// Bucket `index`, least recently seen first.
    pub fn bucket(&self, index: usize) -> &VecDeque<Contact> {
        &self.buckets[index]
    }

    /// How many contacts the table holds.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(VecDeque::len).sum()
    }

    /// Whether the table holds no contact.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records that `contact` was seen alive (it queried us, or answered).
    pub fn insert(&mut self, contact: Contact) -> Insert {
        let Some(index) = self.own.bucket_index(&contact.id) else { return Insert::Own };
        let bucket = &mut self.buckets[index];
        if let Some(at) = bucket.iter().position(|c| c.id == contact.id) {
            bucket.remove(at);
            bucket.push_back(contact);
            Insert::Updated
        } else if bucket.len() < K {
            bucket.push_back(contact);
            Insert::Added
        } else {
            Insert::Full { least_recently_seen: bucket[0] }
        }
    }

    /// Removes the contact with `id`, if present.
    pub fn remove(&mut self, id: &Id) -> Option<Contact> {
        let bucket = &mut self.buckets[self.own.bucket_index(id)?];
        let at = bucket.iter().position(|c| c.id == *id)?;
        bucket.remove(at)
    }

    /// Whether the table holds `id`.
    pub fn contains(&self, id: &Id) -> bool {
        self.own.bucket_index(id).is_some_and(|i| self.buckets[i].iter().any(|c| c.id == *id))
    }

    /// Up to `n` contacts closest to `target`, closest first.
    pub fn closest(&self, target: &Id, n: usize) -> Vec<Contact> {
        let mut all: Vec<Contact> = self.buckets.iter().flatten().copied().collect();
        all.sort_by_key(|c| c.id.distance(target));
        all.truncate(n);
        all
    }
}
