//! The iterative lookup: ask the closest nodes you know for closer ones, α at a time,
//! until the k closest you have heard of have all answered.

use std::collections::BTreeMap;

use crate::id::Id;
use crate::krpc::Contact;
use crate::table::K;

/// Queries in flight at once (the Kademlia paper's α, and BEP 5's usual choice).
pub const ALPHA: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    InFlight,
    Responded,
    Failed,
}

#[derive(Clone, Debug)]
struct Candidate {
    contact: Contact,
    state: State,
    /// Hops from the seeds: the seeds are 1, nodes they named 2, and so on.
    depth: u32,
}

/// One lookup for `target`, as a sans-IO state machine: [`Lookup::next_queries`]
/// says whom to ask; feed back [`Lookup::on_response`] or [`Lookup::on_failure`];
/// when [`Lookup::is_done`], [`Lookup::closest`] is the answer.
#[derive(Clone, Debug)]
pub struct Lookup {
    target: Id,
    own: Id,
    /// Every node heard of, by distance to the target.
    candidates: BTreeMap<Id, Candidate>,
    in_flight: usize,
    queries: u32,
}

impl Lookup {
    /// A lookup of `target` by the node `own` (never a candidate), starting from
    /// `seeds` (the closest nodes of its routing table).
    pub fn new(target: Id, own: Id, seeds: &[Contact]) -> Lookup {
        let mut lookup = Lookup { target, own, candidates: BTreeMap::new(), in_flight: 0, queries: 0 };
        lookup.add(seeds, 1);
        lookup
    }

    /// The id looked up.
    pub fn target(&self) -> Id {
        self.target
    }

    fn add(&mut self, contacts: &[Contact], depth: u32) {
        for contact in contacts {
            if contact.id != self.own {
                self.candidates.entry(contact.id.distance(&self.target)).or_insert(Candidate {
                    contact: *contact,
                    state: State::Waiting,
                    depth,
                });
            }
        }
    }

    /// The k closest candidates that have not failed.
    fn best(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.values().filter(|c| c.state != State::Failed).take(K)
    }

    /// The nodes to query now: the closest not yet asked among the k closest live
    /// candidates, keeping at most α in flight. They count as in flight from here.
    pub fn next_queries(&mut self) -> Vec<Contact> {
        let room = ALPHA.saturating_sub(self.in_flight);
        let picked: Vec<Id> = self
            .candidates
            .iter()
            .filter(|(_, c)| c.state != State::Failed)
            .take(K)
            .filter(|(_, c)| c.state == State::Waiting)
            .take(room)
            .map(|(d, _)| *d)
            .collect();
        picked
            .iter()
            .map(|d| {
                let candidate = self.candidates.get_mut(d).expect("picked from the map");
                candidate.state = State::InFlight;
                self.in_flight += 1;
                self.queries += 1;
                candidate.contact
            })
            .collect()
    }

    fn in_flight_mut(&mut self, id: &Id) -> Option<&mut Candidate> {
        self.candidates.get_mut(&id.distance(&self.target)).filter(|c| c.state == State::InFlight)
    }

    /// `from` answered, naming `nodes` (closer ones, it hopes).
    pub fn on_response(&mut self, from: &Id, nodes: &[Contact]) {
        let Some(candidate) = self.in_flight_mut(from) else { return };
        candidate.state = State::Responded;
        let depth = candidate.depth + 1;
        self.in_flight -= 1;
        self.add(nodes, depth);
    }

    /// `from` did not answer in time (or answered with an error).
    pub fn on_failure(&mut self, from: &Id) {
        if let Some(candidate) = self.in_flight_mut(from) {
            candidate.state = State::Failed;
            self.in_flight -= 1;
        }
    }

    /// Whether the k closest live candidates have all answered (or there is nobody
    /// left to ask and nothing in flight).
    pub fn is_done(&self) -> bool {
        self.best().all(|c| c.state == State::Responded)
    }

    /// The answer: up to k nodes that answered, closest to the target first.
    pub fn closest(&self) -> Vec<Contact> {
        self.best().filter(|c| c.state == State::Responded).map(|c| c.contact).collect()
    }

    /// The number of hops the lookup needed: the largest depth among the k closest
    /// nodes that answered.
    pub fn rounds(&self) -> u32 {
        self.best().filter(|c| c.state == State::Responded).map(|c| c.depth).max().unwrap_or(0)
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u32 {
        self.queries
    }
}
