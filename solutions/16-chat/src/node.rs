//! The chat node: eager push for speed, anti-entropy for completeness.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anti_entropy_solution::{Frontier, Replica};
use append_log_solution::{Entry, LogError, Writer};
use kit::rand::RngExt;
use kit::{Context, Node, NodeId};
use serde::{Deserialize, Serialize};

use crate::line::{Line, Shown, history};

/// The longest line, in bytes of text.
pub const MAX_TEXT: usize = 1000;

/// How far ahead of this node's clock (the highest clock it has accepted or written) a
/// received line's clock may be. An honest author's clock is one more than the highest
/// it had seen when it wrote, so honest clocks grow by one per line: a line can be
/// ahead of ours only by the lines we have not seen yet, and in a room that is far less
/// than a thousand. A larger lead is inflation: a line signed with clock `u64::MAX`
/// would sort after every line for ever and make the next `clock + 1` overflow. Such a
/// line is refused *for now* (not stored, the sender not blamed, since an honest peer
/// may only be passing it on); anti-entropy offers it again, and it is taken once our
/// clock has come within reach, which honest histories always allow, because their
/// clocks have no gaps larger than one.
pub const MAX_CLOCK_LEAD: u64 = 1_000;

/// How long a ban lasts. A peer that sent bytes that are not a validly signed entry, and
/// an author that signed two different entries for one place in its log, are ignored
/// this long; then they are judged afresh. No ban is for ever: a peer may have been
/// broken for a while, and a ban that never ends cannot be undone by anyone.
pub const BAN_FOR: Duration = Duration::from_secs(60);

/// Authors (other than this node) whose logs a node holds at most. A key costs nothing,
/// so without a bound one neighbour could make a node hold as many logs as it cares to
/// sign; a workshop room has about sixty authors. Past the bound an entry of an author
/// not held is refused (not stored, nobody blamed); authors held keep being taken.
pub const MAX_AUTHORS: usize = 1024;

/// Authors not held yet that one peer may introduce per [`NEW_AUTHORS_EVERY`]: enough
/// for a newcomer to take a whole room's history from one neighbour at once, few enough
/// that one neighbour takes [`MAX_AUTHORS`] / 128 = 8 windows to fill the table. An
/// entry over the budget is refused, not stored, and the peer is not blamed: an honest
/// peer passes on whatever authors it took, an attacker's included. Entries of authors
/// held never count against it, and neither does the peer's own key (its peer id names
/// it), so a neighbour that passed on an attacker's authors is still heard itself.
pub const MAX_NEW_AUTHORS: usize = 128;

/// The window of [`MAX_NEW_AUTHORS`].
pub const NEW_AUTHORS_EVERY: Duration = Duration::from_secs(60);

/// Entries of one author's log a node holds at most (its own log is never bounded): a
/// day of a busy room is a few thousand lines in all.
pub const MAX_ENTRIES_PER_AUTHOR: usize = 10_000;

/// Bytes of other authors' entries (as received) a node holds in all before it refuses
/// more: 32 MiB, where a day of a room is about a megabyte. Past it, an author is still
/// taken up to its share, [`AUTHOR_SHARE`], so that a few authors with huge logs cannot
/// silence the others: the node holds at most twice this.
pub const MAX_HELD_BYTES: usize = 32 * 1024 * 1024;

/// The bytes every author may hold even when [`MAX_HELD_BYTES`] is reached: an equal
/// share of it among [`MAX_AUTHORS`] (32 KiB, about 170 short lines).
pub const AUTHOR_SHARE: usize = MAX_HELD_BYTES / MAX_AUTHORS;

/// What nodes and clients (the terminal, the checks) send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Client: say `text` in the room.
    Say { text: String },
    /// The line is in the node's log as number `seq`.
    SayOk { seq: u64 },
    /// The line was refused (too long, or the node has not resumed its own log yet).
    SayError { reason: String },
    /// Client: what does the room look like from here?
    History,
    /// Every line, in order, and a digest of the logs held (equal digests, equal logs).
    HistoryOk { lines: Vec<Shown>, digest: [u8; 32] },
    /// Anti-entropy: for each author, the highest sequence number held.
    Have { frontier: Vec<([u8; 32], u64)> },
    /// Entries, each as its bytes: pushed when written, or sent to fill a gap.
    Entries { entries: Vec<Vec<u8>> },
}

/// Time for a round of anti-entropy with a random peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Run a round of anti-entropy.
    Sync,
}

/// Someone this node ignores for a while, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ban {
    /// A peer sent bytes that are not an entry, or an entry its author did not sign: an
    /// honest peer verifies before it passes anything on, so the fault is the peer's.
    Peer {
        /// The peer.
        peer: NodeId,
        /// Until when (the node's clock, [`Context::now`]).
        until: Duration,
    },
    /// An author signed two different histories: the two entries are the proof, and
    /// anyone can check it. The peers that passed them on did nothing wrong.
    Author {
        /// The author's key.
        author: [u8; 32],
        /// The entry this node held, and the one that contradicts it: the same sequence
        /// number, or the next one linking to another entry than the one held.
        proof: Box<(Entry, Entry)>,
        /// Until when.
        until: Duration,
    },
}

/// Two entries of one author that cannot both be in its log.
type Proof = Box<(Entry, Entry)>;

/// The secret key, kept to resume the writer; its `Debug` prints nothing of it.
#[derive(Clone)]
struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A participant in the room. (`Clone` and `Debug` let the checks search every
/// interleaving of a small room: keep your fields to types that have both.)
#[derive(Clone, Debug)]
pub struct ChatNode {
    replica: Replica,
    secret: Secret,
    /// Writes this node's lines; it continues from the last line of its own log held.
    writer: Writer,
    /// The sequence number of the last entry `writer` wrote or resumed from.
    written: u64,
    /// Whether this node may have written lines it does not hold: it writes nothing until
    /// a peer has told it how far its own log goes and it has caught up to that.
    resuming: bool,
    /// The highest sequence number of this node's own log that a peer said it holds
    /// (`None`: no peer has said anything yet).
    heard_own: Option<u64>,
    nick: String,
    /// The Lamport clock: the largest clock seen or written.
    clock: u64,
    interval: Duration,
    batch: usize,
    bad_peers: BTreeMap<NodeId, Duration>,
    forked: BTreeMap<[u8; 32], (Proof, Duration)>,
    /// Per peer, the start of its current [`NEW_AUTHORS_EVERY`] window and the authors
    /// it introduced in it (only peers whose window is running are kept).
    introduced: BTreeMap<NodeId, (Duration, usize)>,
    /// Bytes of other authors' entries held, in all and by author (see
    /// [`MAX_HELD_BYTES`]).
    held_bytes: usize,
    held_by: BTreeMap<[u8; 32], usize>,
}

impl ChatNode {
    /// A node for `nick`, writing with the Ed25519 secret key `secret`, running
    /// anti-entropy every `interval`. For a key that has written nothing yet: it writes
    /// at once, starting its log at line 1.
    pub fn new(secret: [u8; 32], nick: &str, interval: Duration) -> ChatNode {
        ChatNode {
            replica: Replica::new(secret),
            secret: Secret(secret),
            writer: Writer::new(secret),
            written: 0,
            resuming: false,
            heard_own: None,
            nick: nick.to_string(),
            clock: 0,
            interval,
            batch: 64,
            bad_peers: BTreeMap::new(),
            forked: BTreeMap::new(),
            introduced: BTreeMap::new(),
            held_bytes: 0,
            held_by: BTreeMap::new(),
        }
    }

    /// A node for a key that may have written lines before and holds none of them (its
    /// history on disk was lost): it writes nothing until it has resumed its own log from
    /// the room. A line written at once would start the log again at 1, a second history
    /// for the same places, which every peer holding the first must refuse.
    pub fn restarted(secret: [u8; 32], nick: &str, interval: Duration) -> ChatNode {
        ChatNode { resuming: true, ..ChatNode::new(secret, nick, interval) }
    }

    /// A node resumed from its history on disk: `entries` are what it held (its own log
    /// and the others', each log in order), taken as if received. Its own log is held
    /// whole, since every line it wrote reached its disk before any peer, so it writes at
    /// once, after its last line. Entries that do not verify are left out.
    pub fn resume(secret: [u8; 32], nick: &str, interval: Duration, entries: &[Entry]) -> ChatNode {
        let mut node = ChatNode::new(secret, nick, interval);
        for entry in entries {
            let size = entry.to_bytes().len();
            if node.refused(entry, size) {
                continue;
            }
            if node.replica.receive(std::slice::from_ref(entry)).is_ok_and(|n| n > 0) {
                node.held(entry, size);
                if let Some(line) = Line::from_payload(&entry.payload) {
                    node.clock = node.clock.max(line.clock);
                }
            }
        }
        node.catch_up_writer();
        node
    }

    /// This node's author key.
    pub fn author(&self) -> [u8; 32] {
        self.replica.author()
    }

    /// Whether the node is still waiting to resume its own log (see
    /// [`ChatNode::restarted`]).
    pub fn resuming(&self) -> bool {
        self.resuming
    }

    /// Every log held, by author: what a program keeps on disk.
    pub fn logs(&self) -> &BTreeMap<[u8; 32], Vec<Entry>> {
        self.replica.logs()
    }

    /// The bans in force at `now`.
    pub fn bans(&self, now: Duration) -> Vec<Ban> {
        let peers = self
            .bad_peers
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(peer, until)| Ban::Peer { peer: peer.clone(), until: *until });
        let authors = self
            .forked
            .iter()
            .filter(|(_, (_, until))| *until > now)
            .map(|(author, (proof, until))| Ban::Author { author: *author, proof: proof.clone(), until: *until });
        peers.chain(authors).collect()
    }

    /// Tells a new neighbour what this node holds, at once instead of at a random later
    /// round: it answers with what we lack, and we with what it lacks.
    pub fn greet(&self, ctx: &mut Context<Msg, Timer>, peer: NodeId) {
        self.send_have(ctx, peer);
    }

    fn banned_peer(&self, peer: &NodeId, now: Duration) -> bool {
        self.bad_peers.get(peer).is_some_and(|until| *until > now)
    }

    fn banned_author(&self, author: &[u8; 32], now: Duration) -> bool {
        self.forked.get(author).is_some_and(|(_, until)| *until > now)
    }

    /// The writer continues after the last line of our own log held.
    fn catch_up_writer(&mut self) {
        let last = self.replica.logs().get(&self.author()).and_then(|log| log.last()).cloned();
        if let Some(last) = last
            && last.seq > self.written
            && let Ok(writer) = Writer::resume(self.secret.0, &last)
        {
            self.writer = writer;
            self.written = last.seq;
        }
    }

    /// Ends the wait of a restarted node once a peer has told how far its own log goes
    /// and it holds that much.
    fn check_resumed(&mut self) {
        let Some(heard) = self.heard_own.filter(|_| self.resuming) else { return };
        let held = self.replica.frontier().get(&self.author()).copied().unwrap_or(0);
        if held >= heard {
            self.resuming = false;
            self.catch_up_writer();
        }
    }

    /// Writes `text` as the next line: its clock is one more than any seen (saturating,
    /// so no clock can overflow). A text over [`MAX_TEXT`] bytes gets `SayError` and
    /// changes nothing, and so does any line while the node is resuming its own log.
    /// Otherwise the line goes into this node's own log, is pushed at once to every peer
    /// not banned (the push is what makes a line fast; anti-entropy only repairs), is
    /// observed under its [`key`], and the client gets `SayOk` with the entry's sequence
    /// number.
    fn say(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, text: String) {
        if text.len() > MAX_TEXT {
            ctx.send(from, Msg::SayError { reason: format!("a line is at most {MAX_TEXT} bytes") });
            return;
        }
        if self.resuming {
            let reason = "catching up: this key may have written lines that are not here yet, and a line \
                          written now would fork its log; waiting for a neighbour to say how far it goes";
            ctx.send(from, Msg::SayError { reason: reason.into() });
            return;
        }
        self.catch_up_writer();
        self.clock = self.clock.saturating_add(1);
        let line = Line { nick: self.nick.clone(), text, clock: self.clock };
        let entry = match self.writer.append(&line.to_payload()) {
            Ok(entry) => entry,
            Err(e) => return ctx.send(from, Msg::SayError { reason: e.to_string() }),
        };
        if let Err(e) = self.replica.receive(std::slice::from_ref(&entry)) {
            return ctx.send(from, Msg::SayError { reason: e.to_string() });
        }
        self.written = entry.seq;
        ctx.observe(key(&entry));
        let push = Msg::Entries { entries: vec![entry.to_bytes()] };
        let now = ctx.now();
        for peer in ctx.peers().to_vec() {
            if !self.banned_peer(&peer, now) {
                ctx.send(peer, push.clone());
            }
        }
        ctx.send(from, Msg::SayOk { seq: entry.seq });
    }

    /// Tells `to` what this node holds: its frontier, the highest sequence number of
    /// each author's log.
    fn send_have(&self, ctx: &mut Context<Msg, Timer>, to: NodeId) {
        ctx.send(to, Msg::Have { frontier: self.replica.frontier().into_iter().collect() });
    }

    /// A peer's frontier: send what it lacks; if it has what we lack, say so. A
    /// restarted node learns from it how far its own log goes.
    fn on_have(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, theirs: Frontier) {
        let missing = self.replica.missing_for(&theirs, self.batch);
        if !missing.is_empty() {
            ctx.send(from.clone(), Msg::Entries { entries: missing.iter().map(Entry::to_bytes).collect() });
        }
        let mine = self.replica.frontier();
        if theirs.iter().any(|(author, seq)| mine.get(author).copied().unwrap_or(0) < *seq) {
            self.send_have(ctx, from.clone());
        }
        if !from.is_client() {
            let said = theirs.get(&self.author()).copied().unwrap_or(0);
            self.heard_own = Some(self.heard_own.unwrap_or(0).max(said));
            self.check_resumed();
        }
    }

    /// Entries from a peer, each judged on its own, so one bad entry never costs the
    /// others of its batch. A valid new entry is stored and moves the clock forward. A gap
    /// (a push that overtook an earlier line, or a line missed in a partition) asks the
    /// sender for the rest. An entry validly signed by its author that contradicts what
    /// is held is the *author's* fault: the pair is kept as the proof and the author is
    /// banned for [`BAN_FOR`]; the peer that passed it on is not blamed. Bytes that are not
    /// an entry, or an entry its author did not sign, ban the sender. A line whose clock
    /// is more than [`MAX_CLOCK_LEAD`] ahead of ours is not stored yet, and neither is
    /// anything after it in its author's log; nothing it carries can crash the node.
    ///
    /// What one peer can make the node store is bounded: an author not held yet is taken
    /// only while fewer than [`MAX_AUTHORS`] are held and the sender has introduced fewer
    /// than [`MAX_NEW_AUTHORS`] in its current [`NEW_AUTHORS_EVERY`], an author's log
    /// grows to [`MAX_ENTRIES_PER_AUTHOR`], and all other authors' entries to
    /// [`MAX_HELD_BYTES`] (beyond which each author still has its [`AUTHOR_SHARE`]). An
    /// entry past a bound is refused like a line too far ahead:
    /// not stored, the rest of its author's log in the batch skipped, the sender not
    /// blamed, and a batch that stored nothing because of it asks for no more (the sender
    /// would offer the same entries again).
    fn on_entries(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, raw: Vec<Vec<u8>>) {
        let now = ctx.now();
        let mut sender_bad = false;
        let mut gap = false;
        let (mut stored, mut refused) = (0, 0);
        self.introduced.retain(|_, (since, _)| now < *since + NEW_AUTHORS_EVERY);
        // Authors whose later entries in this batch cannot be taken.
        let mut skip = BTreeSet::new();
        for bytes in &raw {
            let Ok(entry) = Entry::from_bytes(bytes) else {
                sender_bad = true;
                continue;
            };
            if skip.contains(&entry.author) || self.banned_author(&entry.author, now) {
                continue;
            }
            let line = Line::from_payload(&entry.payload);
            if line.as_ref().is_some_and(|line| line.clock > self.clock.saturating_add(MAX_CLOCK_LEAD)) {
                skip.insert(entry.author);
                continue;
            }
            let new_author = entry.author != self.author() && !self.replica.logs().contains_key(&entry.author);
            let over_budget = new_author
                && self.introduced.get(&from).is_some_and(|(_, n)| *n >= MAX_NEW_AUTHORS)
                && !writes_as(&from, &entry.author);
            if over_budget || self.refused(&entry, bytes.len()) {
                skip.insert(entry.author);
                refused += 1;
                continue;
            }
            if let Some(held) = self.contradicted(&entry) {
                skip.insert(entry.author);
                if entry.verify_signature().is_ok() {
                    self.forked.insert(entry.author, (Box::new((held, entry)), now + BAN_FOR));
                } else {
                    sender_bad = true;
                }
                continue;
            }
            match self.replica.receive(std::slice::from_ref(&entry)) {
                Ok(0) => {}
                Ok(_) => {
                    stored += 1;
                    self.held(&entry, bytes.len());
                    if new_author && !writes_as(&from, &entry.author) {
                        self.introduced.entry(from.clone()).or_insert((now, 0)).1 += 1;
                    }
                    ctx.observe(key(&entry));
                    if let Some(line) = line {
                        self.clock = self.clock.max(line.clock);
                    }
                }
                Err(LogError::Gap { .. }) => {
                    skip.insert(entry.author);
                    gap = true;
                }
                Err(_) => {
                    skip.insert(entry.author);
                    sender_bad = true;
                }
            }
        }
        if sender_bad {
            self.bad_peers.insert(from.clone(), now + BAN_FOR);
        } else if (gap || raw.len() >= self.batch) && (stored > 0 || refused == 0) {
            self.send_have(ctx, from);
        }
        self.check_resumed();
    }

    /// Whether a bound refuses `entry` (of `size` bytes as received), whatever peer sent
    /// it: [`MAX_AUTHORS`], [`MAX_ENTRIES_PER_AUTHOR`] or [`MAX_HELD_BYTES`]. This node's
    /// own log is never refused.
    fn refused(&self, entry: &Entry, size: usize) -> bool {
        let me = self.author();
        if entry.author == me {
            return false;
        }
        let logs = self.replica.logs();
        let others = logs.len() - usize::from(logs.contains_key(&me));
        match logs.get(&entry.author) {
            None if others >= MAX_AUTHORS => true,
            Some(log) if log.len() >= MAX_ENTRIES_PER_AUTHOR && entry.seq as usize > log.len() => true,
            _ => {
                self.held_bytes + size > MAX_HELD_BYTES
                    && self.held_by.get(&entry.author).copied().unwrap_or(0) + size > AUTHOR_SHARE
            }
        }
    }

    /// Counts a new entry stored against [`MAX_HELD_BYTES`] (this node's own are free).
    fn held(&mut self, entry: &Entry, size: usize) {
        if entry.author != self.author() {
            self.held_bytes += size;
            *self.held_by.entry(entry.author).or_insert(0) += size;
        }
    }

    /// The entry held that `entry` contradicts, if any: a different entry at the same
    /// place, or (for the next place) one that does not link to the last entry held.
    fn contradicted(&self, entry: &Entry) -> Option<Entry> {
        let log = self.replica.logs().get(&entry.author)?;
        let at = entry.seq.checked_sub(1)? as usize;
        if let Some(held) = log.get(at) {
            return (held != entry).then(|| held.clone());
        }
        let last = log.last()?;
        (at == log.len() && entry.previous != last.hash()).then(|| last.clone())
    }
}

/// Whether `author` is `peer`'s own key (the peer's id is the key's peer id): a peer's
/// own log is always taken from it, whatever authors it has introduced.
fn writes_as(peer: &NodeId, author: &[u8; 32]) -> bool {
    identity_solution::PublicKey::from_bytes(*author).is_ok_and(|key| key.peer_id().to_string() == peer.as_str())
}

/// The name under which the simulator tracks a line's spread.
pub fn key(entry: &Entry) -> String {
    let author: String = entry.author[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{author}:{}", entry.seq)
}

impl Node for ChatNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<Msg, Timer>) {
        ctx.set_timer(self.interval, Timer::Sync);
    }

    /// Nothing from a banned peer is read. `Say` and `History` come from clients (the
    /// terminal) and are answered to them; `Have` and `Entries` from peers.
    fn on_message(&mut self, ctx: &mut Context<Msg, Timer>, from: NodeId, message: Msg) {
        if self.banned_peer(&from, ctx.now()) {
            return;
        }
        match message {
            Msg::Say { text } => self.say(ctx, from, text),
            Msg::History => {
                let reply = Msg::HistoryOk { lines: history(self.replica.logs()), digest: self.replica.digest() };
                ctx.send(from, reply);
            }
            Msg::Have { frontier } => self.on_have(ctx, from, frontier.into_iter().collect()),
            Msg::Entries { entries } => self.on_entries(ctx, from, entries),
            Msg::SayOk { .. } | Msg::SayError { .. } | Msg::HistoryOk { .. } => {}
        }
    }

    /// A round of anti-entropy: `Have` to one peer chosen at random among those not
    /// banned, then the next round in `interval`.
    fn on_timer(&mut self, ctx: &mut Context<Msg, Timer>, Timer::Sync: Timer) {
        let now = ctx.now();
        let peers: Vec<NodeId> = ctx.peers().iter().filter(|p| !self.banned_peer(p, now)).cloned().collect();
        if !peers.is_empty() {
            let peer = peers[ctx.rng().random_range(0..peers.len())].clone();
            self.send_have(ctx, peer);
        }
        ctx.set_timer(self.interval, Timer::Sync);
    }
}
