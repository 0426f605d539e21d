//! The room: one task that owns the three sans-IO nodes of a peer and carries out what
//! they ask.
//!
//! Each node lives in a [`kit::Runtime`] for the whole run: one context (so one seeded
//! random stream, and timer handles a node can cancel later), its timers fired by the
//! runtime's one rule. The room's loop is the runtime's: fire what is due by now (each
//! node's timers and the room's own, earliest first), carry out what the nodes asked,
//! then sleep until the earliest deadline or the next event. A node's peers follow the
//! room's rules below and are set before every call.
//!
//! - The **swarm** node (the swarm exercise) decides which peers to be connected to:
//!   every peer found is one of its peers; it dials (`Connect`), accepts up to its
//!   degree bound, pings its neighbours and replaces one that falls silent. Its messages
//!   travel on the [`SWARM`](super::wire::SWARM) substream; a `Connect` to a peer with no
//!   connection yet makes the room dial it.
//! - The **chat** node (this chapter) keeps the logs. Its peers are the swarm's
//!   neighbours. A line it writes is pushed to each of them as a secure-gossip envelope;
//!   an envelope that the guard admits and the chat node stores is forwarded once to
//!   every other neighbour, so a line crosses a mesh of bounded degree at once.
//!   Everything else it says (`Have`, `Entries`) is anti-entropy, on the sync substream.
//!
//! - The **gossipsub** node (the gossipsub exercise) speaks libp2p's pubsub on the
//!   topic named by `--room`, on the [`MESHSUB`](super::wire::MESHSUB) substream of
//!   every connection. Each line said is published there as its plain UTF-8 text, so
//!   that a libp2p node (rust-libp2p's chat example) shows it; a line a libp2p node
//!   publishes is shown with its author's peer id. Between handbook peers the log is
//!   the history: a gossipsub message whose author the chat node holds a log of (or
//!   whose identify lists the swarm's protocol) is not shown again.
//!
//! Connections follow the swarm's rule of one per pair: when two peers dial each other
//! at once, the connection dialled by the smaller peer id is kept by both, without a
//! word. A connection that carries no neighbour for [`GRACE`] is closed, unless its
//! peer is a libp2p node (its identify lacks the swarm's protocol, or it has no
//! identify) subscribed to the room's topic: up to [`MAX_FOREIGN`] of those are kept while they stay subscribed.
//!
//! Message ids differ across the two stacks: the gossipsub part names a message
//! `from ‖ seqno` (the spec's default), rust-libp2p's chat example by a hash of its
//! content. Mesh delivery does not depend on ids (each side forwards what it has not
//! seen by its own ids), and IHAVE/IWANT across the two still works, because each side
//! serves the ids it announced itself.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kit::NodeId;
use kit::deadlines::Deadlines;
use kit::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

use super::conn::{self, Conn, Out};
use super::parts::gossipsub::{Config as GossipConfig, GossipsubNode, Msg as GossipMsg, Rpc};
use super::parts::secure_gossip::{Envelope, Guard, MAX_PAYLOAD, Reject};
use super::parts::swarm;
use crate::parts::anti_entropy::Replica;
use crate::parts::chat::log::Entry;
use crate::parts::chat::{Ban, ChatNode, Line, Msg as ChatMsg, Shown};
use crate::parts::log;
use identity_solution::{Keypair, PeerId, PublicKey};

/// How long a connection may carry no neighbour before it is closed: long enough for a
/// `Connect` and its `Accept`, and for a libp2p node's ping and identify.
pub const GRACE: Duration = Duration::from_secs(5);

/// Peers remembered at most (found by mDNS, rendezvous or by hand, or connected to us).
/// Anyone on the LAN can announce names; past this, a new one takes the place of the
/// unconnected one heard of least recently ([`Heard`](super::discover::Heard)).
pub const MAX_KNOWN: usize = 256;

/// Connections to libp2p nodes (peers whose identify lacks the swarm's protocol, or
/// that refuse identify) kept
/// at once because they are subscribed to the room's gossipsub topic. Past it, such a
/// connection is closed after [`GRACE`] like any other that carries no neighbour.
pub const MAX_FOREIGN: usize = 16;

/// Connections at once, in and out: the swarm's degree bound, with room for dials that
/// cross, and [`MAX_FOREIGN`] for libp2p nodes and strangers that ping.
pub const MAX_CONNS: usize = 2 * swarm::MAX_DEGREE + MAX_FOREIGN;

/// How long a libp2p node whose connection was closed for not being on the room's
/// topic is not dialled again (libp2p's mDNS reports it every few seconds).
pub const FOREIGN_QUIET: Duration = Duration::from_secs(60);

/// What libp2p's mDNS reports as `via`.
pub const LIBP2P_MDNS: &str = "libp2p-mdns";

/// How long a gossipsub line from an author this peer knows nothing of waits for its
/// log entry (a handbook peer's line arrives both ways; the log shows it) before it is
/// shown as a libp2p peer's.
pub const LOG_WAIT: Duration = Duration::from_millis(500);

/// Gossipsub lines waiting for [`LOG_WAIT`] at most; past it the oldest is shown at once.
pub const MAX_WAITING: usize = 256;

/// The longest libp2p line shown, in bytes; the rest is cut.
pub const MAX_LIVE_LINE: usize = 1024;

/// Swarm messages kept for a peer while it is being dialled.
pub const MAX_PENDING: usize = 8;

/// Malformed or refused frames a connection may send before it is closed: a few can be
/// an honest race (a line we already had), a steady stream is an attack.
pub const MAX_STRIKES: u32 = 32;

/// Sync frames a neighbour may send at once, and per second after that. Anti-entropy
/// sends a few per round (every 500 ms) and a few per batch while catching up; a peer
/// that sends `Have` in a loop would make this side compute and send batches without
/// end. Frames over the budget are dropped, which anti-entropy survives: it asks again.
pub const SYNC_BURST: f64 = 100.0;
/// See [`SYNC_BURST`].
pub const SYNC_RATE: f64 = 50.0;

/// After a dial fails, how long before the peer is dialled again.
pub const REDIAL_AFTER: Duration = Duration::from_secs(2);

/// How often the room closes idle connections and redials peers given by hand.
pub const HOUSEKEEPING: Duration = Duration::from_millis(250);

/// The chat node's anti-entropy interval.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// Log files kept open at most: this peer's own and the first others it replicates.
/// Anyone can make new authors (a key is free), so the number of files is bounded; the
/// logs past it live in memory only and come back from the room after a restart.
pub const MAX_LOG_FILES: usize = 512;

/// Entries of other authors' logs written to disk per [`HOUSEKEEPING`] at most.
pub const SAVE_BATCH: usize = 64;

/// The history on disk: the log chapter's `LogFile`, one per author, in a folder of
/// this peer's own (named by its peer id). Every entry this peer writes reaches its file
/// before any peer sees it, so a restarted peer resumes its own log where it stopped.
///
/// The files are the log part's ([`crate::parts::log`]), and what they hold is also a
/// replica of the anti-entropy part ([`crate::parts::anti_entropy`]): its frontier says what the files
/// lack of the chat node's logs, and it verifies every entry before it is written. The
/// chat node's entries cross to both as the log chapter's bytes, so either part can be
/// the learner's while the node is built on the reference log.
pub struct Disk {
    dir: PathBuf,
    files: BTreeMap<[u8; 32], log::LogFile>,
    held: Replica,
    /// Whether this peer's own log was read whole (false: damaged, set aside).
    pub own_intact: bool,
    /// Every entry read, each log in order: what the chat node resumes from.
    pub entries: Vec<Entry>,
    /// What opening found, for the interface: torn tails cut, damaged files set aside.
    pub notes: Vec<String>,
}

/// The disk's replica writes nothing of its own: it only receives what the chat node
/// holds. Its key is a fixed one, never the peer's, so that no entry looks like its own.
const DISK_REPLICA_KEY: [u8; 32] = [0x44; 32];

/// A chat node's entry as the log part reads it (the same bytes, the log chapter's
/// layout).
fn to_file(entry: &Entry) -> Result<log::Entry, String> {
    log::Entry::from_bytes(&entry.to_bytes()).map_err(|e| {
        format!("the log part cannot read entry {} of {} back from its bytes: {e}", entry.seq, hex8(&entry.author))
    })
}

/// A log file's entry as the chat node reads it.
fn to_node(entry: &log::Entry) -> Result<Entry, String> {
    Entry::from_bytes(&entry.to_bytes()).map_err(|e| {
        format!(
            "entry {} of {} as the log part writes it is not the log chapter's layout: {e}",
            entry.seq,
            hex8(&entry.author)
        )
    })
}

fn hex8(author: &[u8; 32]) -> String {
    author[..4].iter().map(|b| format!("{b:02x}")).collect()
}

impl Disk {
    /// Opens (or creates) the folder `dir` for the author `me`, and every log file in it.
    /// A torn tail (a crash during an append) is cut, as the log chapter teaches; a file
    /// damaged before its end is renamed `*.corrupt` and left for someone to inspect, and
    /// its log comes back from the room instead.
    pub fn open(dir: &Path, me: [u8; 32]) -> std::io::Result<Disk> {
        std::fs::create_dir_all(dir)?;
        let mut disk = Disk {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
            held: Replica::new(DISK_REPLICA_KEY),
            own_intact: dir.join(log_name(&me)).exists(),
            entries: Vec::new(),
            notes: Vec::new(),
        };
        let mut authors = vec![me];
        for item in std::fs::read_dir(dir)? {
            let name = item?.file_name().to_string_lossy().into_owned();
            let author = name.strip_suffix(".log").and_then(|hex| {
                let bytes: Vec<u8> = (0..hex.len() / 2)
                    .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect::<Option<_>>()?;
                <[u8; 32]>::try_from(bytes).ok()
            });
            if let Some(author) = author.filter(|a| *a != me) {
                authors.push(author);
            }
        }
        for author in authors.into_iter().take(MAX_LOG_FILES) {
            let path = dir.join(log_name(&author));
            match log::LogFile::open(&path, author) {
                Ok((file, cut)) => {
                    if cut > 0 {
                        disk.notes.push(format!("{}: cut a torn tail of {cut} bytes", path.display()));
                    }
                    let entries = file.entries().iter().map(to_node).collect::<Result<Vec<_>, _>>();
                    let entries = entries.map_err(std::io::Error::other)?;
                    disk.held.receive(&entries).map_err(|e| {
                        std::io::Error::other(format!(
                            "the anti-entropy part refused {} as it is on disk: {e}",
                            path.display()
                        ))
                    })?;
                    disk.entries.extend(entries);
                    disk.files.insert(author, file);
                }
                Err(e) => {
                    if author == me {
                        disk.own_intact = false;
                    }
                    let aside = path.with_extension("corrupt");
                    let _ = std::fs::rename(&path, &aside);
                    disk.notes.push(format!("{e}: set aside as {}; the room has it", aside.display()));
                    if let Ok((file, _)) = log::LogFile::open(&path, author) {
                        disk.files.insert(author, file);
                    }
                }
            }
        }
        Ok(disk)
    }

    /// Appends to the files what the chat node holds beyond them: all of `me`'s own log,
    /// and at most `others` entries of the other logs. Each append waits for the disk, and
    /// only the own log must be there before any peer sees a line (the others come back
    /// from the room after a restart), so a long history caught up at once is written a
    /// batch at a time instead of stalling the room for a sync per entry.
    fn save(&mut self, me: [u8; 32], logs: &BTreeMap<[u8; 32], Vec<Entry>>, others: usize) -> Result<(), String> {
        let mut budget = others;
        let on_disk = self.held.frontier();
        let own = logs.get_key_value(&me).into_iter();
        for (author, log) in own.chain(logs.iter().filter(|(a, _)| **a != me)) {
            let mine = *author == me;
            if !mine && budget == 0 {
                break;
            }
            if !self.files.contains_key(author) {
                if self.files.len() >= MAX_LOG_FILES {
                    continue;
                }
                let (file, _) =
                    log::LogFile::open(&self.dir.join(log_name(author)), *author).map_err(|e| e.to_string())?;
                self.files.insert(*author, file);
            }
            let held = on_disk.get(author).copied().unwrap_or(0);
            let new: Vec<Entry> =
                log.iter().skip(held as usize).take(if mine { usize::MAX } else { budget }).cloned().collect();
            if new.is_empty() {
                continue;
            }
            if !mine {
                budget -= new.len();
            }
            self.held.receive(&new).map_err(|e| {
                format!("the anti-entropy part refused {}'s entries {}.. of the chat node: {e}", hex8(author), held + 1)
            })?;
            let file = self.files.get_mut(author).expect("just opened");
            for entry in &new {
                file.append(&to_file(entry)?).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

fn log_name(author: &[u8; 32]) -> String {
    author.iter().map(|b| format!("{b:02x}")).collect::<String>() + ".log"
}

/// The client id under which the room talks to its own nodes.
fn me_client() -> NodeId {
    NodeId::client(0)
}

/// What a connection delivers.
#[derive(Debug)]
pub enum FromPeer {
    /// An envelope on the push substream.
    Push(Envelope),
    /// Anti-entropy.
    Sync(ChatMsg),
    /// The swarm's messages.
    Swarm(swarm::Msg),
    /// What its identify says: the nick in its agent, if a chat peer's, and whether it
    /// speaks the swarm's protocol (a handbook peer) or not (a libp2p node; also said of
    /// a peer that refuses identify).
    Identified { nick: Option<String>, swarm: bool },
    /// One gossipsub RPC frame.
    Meshsub(Vec<u8>),
    /// Something that breaks the protocol: counted, and too many end the connection.
    Malformed(&'static str),
}

/// Everything that happens to the room.
pub enum Event {
    /// Discovery found `peer` (if it said who it is) at `addr`.
    Found { peer: Option<NodeId>, addr: SocketAddr, via: &'static str },
    /// mDNS heard `peer` say goodbye.
    Lost { peer: NodeId },
    /// A connection finished its upgrade.
    Up(conn::Upgraded),
    /// A dial failed.
    DialFailed { peer: Option<NodeId>, addr: SocketAddr, why: String },
    /// A frame from a connection.
    Peer { peer: NodeId, id: u64, what: FromPeer },
    /// A connection ended.
    Down { peer: NodeId, id: u64, why: String },
    /// The user said something; the answer is the line's sequence number or why not.
    Say { text: String, reply: oneshot::Sender<Result<u64, String>> },
    /// The user leaves.
    Quit,
}

/// A member of the room as the interface shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The peer id.
    pub peer: String,
    /// The nick of its latest line, if any arrived.
    pub nick: Option<String>,
    /// Whether it is one of our neighbours right now.
    pub connected: bool,
}

/// What the room tells the interface.
#[derive(Clone, Debug)]
pub enum Ui {
    /// The whole history, in the order every peer shows.
    History(Vec<Shown>),
    /// Everyone known, and whether connected.
    Members(Vec<Member>),
    /// A neighbour came (`true`) or went.
    Neighbour { peer: String, nick: Option<String>, joined: bool },
    /// Something refused or failed, for the curious.
    Notice(String),
    /// A line a libp2p peer published on the room's gossipsub topic (not in any log:
    /// shown once, as it comes). `nick` is its identify's, if it claims one.
    Live { peer: String, nick: Option<String>, text: String },
}

/// How the chat node starts: on a key that never wrote, on its history from disk, or
/// (its own log lost) waiting to resume it from the room.
pub enum Start {
    /// A new key.
    Fresh,
    /// A key with its history on disk.
    Disk(Disk),
    /// A key whose own log is not on disk (lost or damaged): the chat node writes nothing
    /// until a neighbour has told it how far its log goes and it has caught up.
    Lost(Option<Disk>),
}

/// A timer of the room's own (the nodes' timers are their runtimes').
#[derive(Debug)]
enum Due {
    /// A gossipsub line's [`LOG_WAIT`] is over.
    Waiting,
    Housekeeping,
}

/// Whose timer a deadline is: one of the three nodes' (in its runtime) or the room's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Chat,
    Swarm,
    Gossip,
    Room,
}

/// The seed of one node's random numbers: the peer's seed and the node's name, mixed
/// once (SplitMix64's finaliser over the two), so that the three nodes of a peer draw
/// three different streams for the whole run.
fn node_seed(seed: u64, name: &str) -> u64 {
    let named = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut z = seed.wrapping_add(named.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What the room knows about a peer.
struct Known {
    addr: Option<SocketAddr>,
    /// No dial before this (after a failure).
    quiet_until: Option<Instant>,
}

impl Known {
    /// Whether a dial may go out now: none failed within [`REDIAL_AFTER`].
    fn dialable(&self) -> bool {
        self.quiet_until.is_none_or(|t| t <= Instant::now())
    }
}

/// A live connection, and what the room keeps per connection (freed with it).
struct Live {
    conn: Conn,
    /// Since when it carries no neighbour.
    idle_since: Option<Instant>,
    /// Frames refused so far (see [`MAX_STRIKES`]).
    strikes: u32,
    /// The sync substream's token bucket: tokens, and when last refilled.
    sync_tokens: (f64, Instant),
}

/// The room's state. One task runs [`Room::run`]; nothing else touches it.
pub struct Room {
    keypair: Keypair,
    me: NodeId,
    nick: String,
    /// The nick each author's latest line claims, by peer id (from the history).
    nicks: BTreeMap<String, String>,
    listen: SocketAddr,
    started: Instant,
    /// The chat node, in its runtime for the whole run: one context (one seeded random
    /// stream), its timers fired by the runtime's one rule. Its peers are the connected
    /// neighbours, set before every call.
    chat: Runtime<ChatNode>,
    /// The swarm node; its peers are the known candidates (not libp2p nodes, not probes).
    swarm: Runtime<swarm::SwarmNode>,
    /// The room's own timers, beside the nodes'.
    timers: Deadlines<u64, Due>,
    /// How many room timers were ever set: the next one's key.
    timer_seq: u64,
    known: BTreeMap<NodeId, Known>,
    heard: super::discover::Heard,
    /// Addresses given by hand, dialled until connected.
    pinned: Vec<SocketAddr>,
    dialing: BTreeSet<SocketAddr>,
    conns: BTreeMap<NodeId, Live>,
    next_conn: u64,
    /// The history on disk, if any.
    disk: Option<Disk>,
    /// The bans last shown.
    bans: Vec<String>,
    /// Whether the interface was told the chat node is resuming its log.
    resuming: bool,
    pending: BTreeMap<NodeId, Vec<swarm::Msg>>,
    neighbours: BTreeSet<NodeId>,
    guard: Guard,
    /// The history last sent to the interface, by length and digest.
    shown: (usize, Vec<(u64, [u8; 32], u64)>),
    members: Vec<Member>,
    events: mpsc::Sender<Event>,
    ui: mpsc::UnboundedSender<Ui>,
    /// The gossipsub router, in its runtime; its peers are every connection's peer.
    gossip: Runtime<GossipsubNode>,
    /// The room's gossipsub topic (`--room`).
    topic: String,
    /// The connected peers subscribed to the room's topic, as their frames said (the
    /// gossipsub node bounds each peer's topics itself: `Config::max_topics_per_peer`).
    on_topic: BTreeSet<NodeId>,
    /// Peers whose identify lacks the swarm's protocol (libp2p nodes), with the nick
    /// their agent claims, if any. Never swarm candidates.
    foreign: BTreeMap<NodeId, Option<String>>,
    /// The libp2p nodes connected now whose arrival was told to the user (at most one
    /// per connection, so bounded by [`MAX_CONNS`]): their leaving is told too.
    foreign_here: BTreeSet<NodeId>,
    /// Peers whose identify lists the swarm's protocol: their lines come in logs.
    handbook: BTreeSet<NodeId>,
    /// Peers dialled because libp2p's mDNS found them, not the room's discovery: not swarm
    /// candidates until the room's discovery finds them (see `found`).
    probing: BTreeSet<NodeId>,
    /// Gossipsub lines of unknown authors, waiting for a log entry: (due, author, text).
    waiting: std::collections::VecDeque<(Duration, NodeId, String)>,
}

impl Room {
    /// A room for `keypair` writing as `nick`, listening at `listen`; `events` is the
    /// sender side of the channel [`Room::run`] reads.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        keypair: Keypair,
        nick: &str,
        topic: &str,
        listen: SocketAddr,
        pinned: Vec<SocketAddr>,
        start: Start,
        events: mpsc::Sender<Event>,
        ui: mpsc::UnboundedSender<Ui>,
    ) -> Room {
        let me = NodeId::new(keypair.peer_id().to_string());
        let seed = u64::from_le_bytes(keypair.secret_bytes()[..8].try_into().expect("8 bytes"));
        let secret = keypair.secret_bytes();
        let (chat, disk) = match start {
            Start::Fresh => (ChatNode::new(secret, nick, SYNC_INTERVAL), None),
            Start::Disk(disk) => (ChatNode::resume(secret, nick, SYNC_INTERVAL, &disk.entries), Some(disk)),
            // The others' logs come back from the room with the own one.
            Start::Lost(disk) => (ChatNode::restarted(secret, nick, SYNC_INTERVAL), disk),
        };
        let resuming = chat.resuming();
        if let Some(disk) = &disk {
            for note in &disk.notes {
                let _ = ui.send(Ui::Notice(note.clone()));
            }
        }
        if resuming {
            let _ = ui.send(Ui::Notice(
                "this key's own log is not on disk: catching up from the room before you can write".into(),
            ));
        }
        let runtime_seed = |name| node_seed(seed, name);
        Room {
            gossip: Runtime::new(
                GossipsubNode::new(keypair.clone(), GossipConfig::default()),
                me.clone(),
                Vec::new(),
                runtime_seed("gossipsub"),
            ),
            topic: topic.to_string(),
            on_topic: BTreeSet::new(),
            foreign: BTreeMap::new(),
            foreign_here: BTreeSet::new(),
            handbook: BTreeSet::new(),
            probing: BTreeSet::new(),
            waiting: Default::default(),
            chat: Runtime::new(chat, me.clone(), Vec::new(), runtime_seed("chat")),
            disk,
            bans: Vec::new(),
            resuming,
            keypair,
            me: me.clone(),
            nick: nick.to_string(),
            nicks: BTreeMap::new(),
            listen,
            started: Instant::now(),
            swarm: Runtime::new(swarm::SwarmNode::new(), me.clone(), Vec::new(), runtime_seed("swarm")),
            timers: Deadlines::new(),
            timer_seq: 0,
            known: BTreeMap::new(),
            heard: Default::default(),
            pinned,
            dialing: BTreeSet::new(),
            conns: BTreeMap::new(),
            next_conn: 0,
            pending: BTreeMap::new(),
            neighbours: BTreeSet::new(),
            guard: Guard::new(),
            shown: (0, Vec::new()),
            members: Vec::new(),
            events,
            ui,
        }
    }

    /// This peer's id.
    pub fn me(&self) -> &NodeId {
        &self.me
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// Runs the room until [`Event::Quit`] or until every sender is gone.
    ///
    /// The loop is the runtime's: fire what is due, carry out what the nodes asked,
    /// then sleep until the earliest deadline of the three nodes and the room, or until
    /// an event comes.
    pub async fn run(mut self, mut events: mpsc::Receiver<Event>) {
        self.call_chat(|rt, now| rt.start(now));
        self.call_swarm(|rt, now| rt.start(now));
        self.call_gossip(|rt, now| rt.start(now));
        let topic = self.topic.clone();
        self.call_gossip(|rt, now| rt.handle_message(now, me_client(), GossipMsg::Subscribe { topic }));
        self.set_timer(HOUSEKEEPING, Due::Housekeeping);
        loop {
            self.fire_timers();
            self.refresh_ui();
            self.show_bans();
            let sleep = self.next_deadline().map_or(Duration::from_secs(3600), |at| at.saturating_sub(self.now()));
            tokio::select! {
                event = events.recv() => match event {
                    None | Some(Event::Quit) => break,
                    Some(event) => self.on_event(event),
                },
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        // Tell the neighbours at once, so that they repair without waiting for silence.
        for peer in self.neighbours.clone() {
            self.send_swarm(&peer, swarm::Msg::Close);
        }
        let conns = std::mem::take(&mut self.conns);
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(conns);
    }

    fn set_timer(&mut self, after: Duration, due: Due) {
        let at = self.now().saturating_add(after);
        self.set_timer_at(at, due);
    }

    fn set_timer_at(&mut self, at: Duration, due: Due) {
        self.timer_seq += 1;
        self.timers.insert(at, self.timer_seq, due);
    }

    /// The next deadline of each of the three nodes and of the room.
    fn deadlines(&self) -> [(Owner, Option<Duration>); 4] {
        [
            (Owner::Chat, self.chat.poll_timeout()),
            (Owner::Swarm, self.swarm.poll_timeout()),
            (Owner::Gossip, self.gossip.poll_timeout()),
            (Owner::Room, self.timers.next()),
        ]
    }

    /// The earliest deadline of the three nodes and the room: when the loop wakes.
    fn next_deadline(&self) -> Option<Duration> {
        self.deadlines().into_iter().filter_map(|(_, at)| at).min()
    }

    /// Fires what is due by now, by the runtime's one rule: each of the three nodes and
    /// the room fires every timer of its own due by now (set before this call, in
    /// deadline order), the one with the earliest deadline first. A timer set meanwhile
    /// for now fires at the next turn of the loop, which then does not sleep.
    fn fire_timers(&mut self) {
        let now = self.now();
        let mut fired = Vec::new();
        while let Some((owner, _)) = self
            .deadlines()
            .into_iter()
            .filter(|(owner, at)| !fired.contains(owner) && at.is_some_and(|at| at <= now))
            .min_by_key(|(_, at)| *at)
        {
            fired.push(owner);
            match owner {
                Owner::Chat => {
                    self.call_chat(|rt, now| {
                        rt.handle_timeout(now);
                    });
                }
                Owner::Swarm => self.call_swarm(|rt, now| {
                    rt.handle_timeout(now);
                }),
                Owner::Gossip => self.call_gossip(|rt, now| {
                    rt.handle_timeout(now);
                }),
                Owner::Room => {
                    let mark = self.timers.mark();
                    while let Some((_, due)) = self.timers.pop_due_before(now, mark) {
                        match due {
                            Due::Waiting => self.show_waiting(false),
                            Due::Housekeeping => self.housekeeping(),
                        }
                    }
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Found { peer, addr, via } => self.found(peer, addr, via),
            Event::Lost { peer } => {
                if !self.conns.contains_key(&peer) {
                    self.known.remove(&peer);
                }
            }
            Event::Up(up) => self.up(up),
            Event::DialFailed { peer, addr, why } => {
                self.dialing.remove(&addr);
                // A failed dial of an address the peer has since left (it restarted) says
                // nothing about the dial of its new one.
                let stale = |known: &Known| known.addr.is_some_and(|a| a != addr);
                if let Some(peer) = peer.filter(|p| !self.known.get(p).is_some_and(stale)) {
                    self.pending.remove(&peer);
                    if let Some(known) = self.known.get_mut(&peer) {
                        known.quiet_until = Some(Instant::now() + REDIAL_AFTER);
                    }
                    self.dial_over(peer);
                }
                let _ = why;
            }
            Event::Peer { peer, id, what } => {
                if self.conns.get(&peer).is_some_and(|l| l.conn.id == id) {
                    self.on_frame(peer, id, what);
                }
            }
            Event::Down { peer, id, why } => {
                if self.conns.get(&peer).is_some_and(|l| l.conn.id == id) {
                    self.close(&peer);
                    // A peer that dialled us and left cannot be dialled back: forget it.
                    if self.known.get(&peer).is_some_and(|k| k.addr.is_none()) {
                        self.known.remove(&peer);
                    }
                    // The swarm hears of it at once, instead of after DEAD_AFTER of silence,
                    // and repairs by dialling another peer.
                    self.call_swarm(|rt, now| rt.handle_message(now, peer.clone(), swarm::Msg::Close));
                    let _ = why;
                }
            }
            Event::Say { text, reply } => {
                let _ = reply.send(self.say(text));
            }
            Event::Quit => {}
        }
    }

    /// A peer found by discovery: remembered, and dialled when the swarm asks (or at once
    /// when it has no id yet: the handshake will say who it is).
    fn found(&mut self, peer: Option<NodeId>, addr: SocketAddr, via: &'static str) {
        match peer {
            Some(peer) if peer == self.me => {}
            // libp2p's mDNS knows no rooms: every chat on the LAN answers it, whatever its
            // `--room`. A peer it finds is dialled only to learn what it is (a probe,
            // never a swarm candidate): a libp2p node is then kept as one (below), a
            // chat is left to the room's own discovery, which says whether it is in this
            // room. Chats already known, or known to be chats, are not probed.
            Some(peer) if via == LIBP2P_MDNS && !self.foreign.contains_key(&peer) => {
                let in_room = self.known.get(&peer).is_some_and(|k| k.addr.is_some()) && !self.probing.contains(&peer);
                if in_room || self.handbook.contains(&peer) || self.conns.contains_key(&peer) {
                    return;
                }
                if self.probing.contains(&peer) || self.probing.len() < 4 * MAX_KNOWN {
                    self.probing.insert(peer.clone());
                    self.dial(Some(peer), addr);
                }
            }
            // A libp2p node is no swarm candidate: the room dials it itself, when it is
            // not connected, so that it rejoins the room's topic after a cut.
            Some(peer) if self.foreign.contains_key(&peer) => {
                if !self.known.contains_key(&peer)
                    && !self.heard.make_room(&mut self.known, MAX_KNOWN, |p| self.conns.contains_key(p))
                {
                    return;
                }
                self.heard.note(&peer);
                let known = self.known.entry(peer.clone()).or_insert(Known { addr: None, quiet_until: None });
                known.addr = Some(addr);
                if !self.conns.contains_key(&peer) && known.dialable() {
                    self.dial(Some(peer), addr);
                }
            }
            Some(peer) => {
                // Found by the room's own discovery: in this room, probed or not.
                self.probing.remove(&peer);
                if !self.known.contains_key(&peer)
                    && !self.heard.make_room(&mut self.known, MAX_KNOWN, |p| self.conns.contains_key(p))
                {
                    return;
                }
                self.heard.note(&peer);
                let connected = self.conns.contains_key(&peer);
                let known = self.known.entry(peer.clone()).or_insert(Known { addr: None, quiet_until: None });
                if known.addr != Some(addr) {
                    known.addr = Some(addr);
                    known.quiet_until = None;
                    // The swarm's view of the room changed: let it top up now. A peer back
                    // at a new address (a restart) is dialled at once, not after the swarm
                    // has given up a dial to its old one.
                    self.dial_over(peer);
                    self.top_up_now();
                } else if !connected {
                    // Announced again: reachable again, perhaps after a cut. The next dial
                    // the swarm asks for goes out, whatever failed before.
                    known.quiet_until = None;
                }
            }
            None => self.dial(None, addr),
        }
    }

    /// Tells the swarm that a dial of `peer` is over (failed, or to an address it has
    /// left), as a refusal would: it stops waiting for an answer that will not come, and
    /// may dial the peer again at once.
    fn dial_over(&mut self, peer: NodeId) {
        if !self.neighbours.contains(&peer) {
            self.call_swarm(|rt, now| rt.handle_message(now, peer, swarm::Msg::Refuse));
        }
    }

    fn dial(&mut self, peer: Option<NodeId>, addr: SocketAddr) {
        if addr == self.listen || !self.dialing.insert(addr) {
            return;
        }
        let (keypair, events) = (self.keypair.clone(), self.events.clone());
        tokio::spawn(async move {
            let event = match conn::dial(addr, keypair).await {
                Ok(up) if peer.as_ref().is_none_or(|p| *p == up.peer) => Event::Up(up),
                Ok(up) => {
                    Event::DialFailed { peer, addr, why: format!("{addr} is {}, not the peer announced", up.peer) }
                }
                Err(e) => Event::DialFailed { peer, addr, why: e.to_string() },
            };
            let _ = events.send(event).await;
        });
    }

    /// A connection is up: kept unless one to the same peer already is and wins the tie.
    fn up(&mut self, up: conn::Upgraded) {
        if up.dialed {
            let addr = self.known.get(&up.peer).and_then(|k| k.addr);
            self.dialing.retain(|a| Some(*a) != addr && *a != up.remote);
        }
        if up.peer == self.me || (!self.conns.contains_key(&up.peer) && self.conns.len() >= MAX_CONNS) {
            return;
        }
        if let Some(old) = self.conns.get(&up.peer) {
            // One connection per pair: keep the one dialled by the smaller peer id (the
            // swarm's tie-break, which both sides compute the same way). Between two
            // dialled by the same side, the older stays.
            let dialer_of = |dialed: bool| if dialed { &self.me } else { &up.peer };
            let winner = std::cmp::min(&self.me, &up.peer);
            if dialer_of(old.conn.dialed) == winner || dialer_of(up.dialed) != winner {
                return;
            }
        }
        let peer = up.peer.clone();
        if !self.known.contains_key(&peer)
            && !self.heard.make_room(&mut self.known, MAX_KNOWN, |p| self.conns.contains_key(p))
        {
            return;
        }
        self.heard.note(&peer);
        if up.dialed {
            self.pinned.retain(|a| *a != up.remote);
        }
        let known = self.known.entry(peer.clone()).or_insert(Known { addr: None, quiet_until: None });
        if up.dialed {
            known.addr = Some(up.remote);
        }
        self.next_conn += 1;
        let identify = super::wire::identify(&self.keypair.public().to_bytes(), self.listen, up.remote, &self.nick);
        let conn = conn::start(up, self.next_conn, identify, self.events.clone());
        self.conns.insert(
            peer.clone(),
            Live { conn, idle_since: Some(Instant::now()), strikes: 0, sync_tokens: (SYNC_BURST, Instant::now()) },
        );
        for msg in self.pending.remove(&peer).unwrap_or_default() {
            self.send_swarm(&peer, msg);
        }
        // Gossipsub: the node hears of the connection (libp2p's "connection established")
        // and sends the peer its subscriptions, on the substream this side opens.
        let up = peer.clone();
        self.call_gossip(|rt, now| rt.handle_message(now, me_client(), GossipMsg::PeerUp { peer: up }));
        // The swarm learns of a peer that found us before we found it.
        self.top_up_now();
    }

    /// Ends the connection to `peer`, and tells the gossipsub node it is gone (libp2p's
    /// "connection closed"): the node frees what it kept for it but a bad score.
    fn close(&mut self, peer: &NodeId) {
        if self.conns.remove(peer).is_none() {
            return;
        }
        self.on_topic.remove(peer);
        if self.foreign_here.remove(peer) {
            let _ = self.ui.send(Ui::Notice(format!("libp2p node {} left", short(peer.as_str()))));
        }
        let down = peer.clone();
        self.call_gossip(|rt, now| rt.handle_message(now, me_client(), GossipMsg::PeerDown { peer: down }));
    }

    /// A libp2p node closed for not being on the room's topic is not redialled for
    /// [`FOREIGN_QUIET`].
    fn quiet_if_foreign(&mut self, peer: &NodeId) {
        if self.foreign.contains_key(peer)
            && let Some(known) = self.known.get_mut(peer)
        {
            known.quiet_until = Some(Instant::now() + FOREIGN_QUIET);
        }
    }

    /// A gossipsub RPC from `peer`: whether it joins or leaves the room's topic noted,
    /// then given to the gossipsub node. A libp2p node that leaves the room's topic is
    /// closed at once: nothing else keeps its connection.
    fn meshsub_in(&mut self, peer: NodeId, id: u64, frame: Vec<u8>) {
        let Ok(rpc) = Rpc::decode(&frame) else {
            return self.strike(&peer, id, "a gossipsub frame that is not an RPC");
        };
        let was_in = self.on_topic.contains(&peer);
        let mut now_in = was_in;
        for sub in rpc.subscriptions.iter().filter(|sub| sub.topic == self.topic) {
            now_in = sub.subscribe;
        }
        if now_in {
            self.on_topic.insert(peer.clone());
        } else {
            self.on_topic.remove(&peer);
        }
        let from = peer.clone();
        self.call_gossip(|rt, now| rt.handle_message(now, from, GossipMsg::Rpc { frame }));
        if was_in && !now_in && self.foreign.contains_key(&peer) && !self.neighbours.contains(&peer) {
            self.close(&peer);
            self.quiet_if_foreign(&peer);
        }
    }

    /// Calls the gossipsub node's runtime (`f` gets it and the time) with every
    /// connection's peer as its peers, sends its RPCs on their meshsub substreams, and
    /// handles what it delivered.
    fn call_gossip(&mut self, f: impl FnOnce(&mut Runtime<GossipsubNode>, Duration)) {
        let peers: Vec<NodeId> = self.conns.keys().cloned().collect();
        self.gossip.set_peers(peers);
        let now = self.now();
        f(&mut self.gossip, now);
        while let Some((to, msg)) = self.gossip.poll_transmit() {
            if let GossipMsg::Rpc { frame } = msg
                && !to.is_client()
            {
                self.send_out(&to, Out::Meshsub(frame));
            }
        }
        let mut delivered = false;
        while self.gossip.poll_observed().is_some() {
            delivered = true;
        }
        if delivered {
            self.gossip_delivered();
        }
    }

    /// The gossipsub node's new deliveries: a handbook author's skipped (its log entry
    /// shows it), a known libp2p author's shown at once, an unknown author's held for
    /// [`LOG_WAIT`] in case its log entry comes.
    fn gossip_delivered(&mut self) {
        let now = self.now();
        self.gossip.handle_message(now, me_client(), GossipMsg::Take);
        let mut new = Vec::new();
        while let Some((to, msg)) = self.gossip.poll_transmit() {
            match msg {
                GossipMsg::TakeOk { delivered } if to.is_client() => new.extend(delivered),
                GossipMsg::Rpc { frame } if !to.is_client() => self.send_out(&to, Out::Meshsub(frame)),
                _ => {}
            }
        }
        for message in new {
            if message.topic != self.topic {
                continue;
            }
            // The id is `from ‖ seqno`, seqno 8 bytes: the author is the rest.
            let Some(author) = message.id.len().checked_sub(8).and_then(|n| PeerId::from_bytes(&message.id[..n]).ok())
            else {
                continue;
            };
            let peer = NodeId::new(author.to_string());
            if peer == self.me || self.is_handbook(&peer) {
                continue;
            }
            let text = printable(&message.data);
            if self.foreign.contains_key(&peer) {
                self.show_live(peer, text);
            } else {
                if self.waiting.len() >= MAX_WAITING {
                    self.show_waiting(true);
                }
                let due = self.now() + LOG_WAIT;
                self.waiting.push_back((due, peer, text));
                self.set_timer(LOG_WAIT, Due::Waiting);
            }
        }
    }

    /// Whether `peer` is a handbook peer: the chat node holds a log of its key, or its
    /// identify listed the swarm's protocol.
    fn is_handbook(&self, peer: &NodeId) -> bool {
        self.handbook.contains(peer)
            || peer
                .as_str()
                .parse::<PeerId>()
                .is_ok_and(|p| self.chat.node().logs().contains_key(&p.public_key().to_bytes()))
    }

    /// Shows the waiting lines whose [`LOG_WAIT`] is over (or the oldest one, when
    /// `oldest`), unless their author turned out to be a handbook peer.
    fn show_waiting(&mut self, oldest: bool) {
        let now = self.now();
        while let Some((due, _, _)) = self.waiting.front() {
            if *due > now && !oldest {
                break;
            }
            let (_, peer, text) = self.waiting.pop_front().expect("a front");
            if !self.is_handbook(&peer) {
                self.show_live(peer, text);
            }
            if oldest {
                break;
            }
        }
    }

    fn show_live(&mut self, peer: NodeId, text: String) {
        let nick = self.foreign.get(&peer).cloned().flatten();
        let _ = self.ui.send(Ui::Live { peer: peer.to_string(), nick, text });
    }

    fn strike(&mut self, peer: &NodeId, _id: u64, why: &str) {
        let Some(live) = self.conns.get_mut(peer) else { return };
        live.strikes += 1;
        let _ = self.ui.send(Ui::Notice(format!("refused from {}: {why}", short(peer.as_str()))));
        if live.strikes > MAX_STRIKES {
            let _ = self.ui.send(Ui::Notice(format!("closing {}: {MAX_STRIKES} refusals", short(peer.as_str()))));
            self.close(peer);
        }
    }

    /// Takes one token from `peer`'s sync bucket; `false` when it is empty.
    fn sync_budget(&mut self, peer: &NodeId) -> bool {
        let Some(live) = self.conns.get_mut(peer) else { return false };
        let (tokens, last) = live.sync_tokens;
        let tokens = (tokens + last.elapsed().as_secs_f64() * SYNC_RATE).min(SYNC_BURST);
        live.sync_tokens = ((tokens - 1.0).max(0.0), Instant::now());
        tokens >= 1.0
    }

    fn on_frame(&mut self, peer: NodeId, id: u64, what: FromPeer) {
        match what {
            FromPeer::Malformed(why) => self.strike(&peer, id, why),
            FromPeer::Identified { nick, swarm } => {
                // A line's nick, once one arrives, is what the history shows; until then
                // the member list has the one identify claimed.
                if let Some(nick) = &nick
                    && self.nicks.len() < 4 * MAX_KNOWN
                {
                    self.nicks.entry(peer.to_string()).or_insert(nick.clone());
                }
                if swarm {
                    if self.handbook.len() < 4 * MAX_KNOWN {
                        self.handbook.insert(peer);
                    }
                } else if self.handbook.contains(&peer) {
                    // No identify, but it already spoke the swarm's protocol: a handbook
                    // peer that does not identify itself.
                } else if self.foreign.contains_key(&peer) || self.foreign.len() < 4 * MAX_KNOWN {
                    // A libp2p node: never a swarm candidate. A dial the swarm asked for
                    // is over, as if refused.
                    self.probing.remove(&peer);
                    self.foreign.insert(peer.clone(), nick);
                    if self.conns.contains_key(&peer) && self.foreign_here.insert(peer.clone()) {
                        let _ = self.ui.send(Ui::Notice(format!(
                            "libp2p node {} joined: it gets the lines said while it is here, no history",
                            short(peer.as_str())
                        )));
                    }
                    self.dial_over(peer);
                    self.top_up_now();
                }
            }
            FromPeer::Meshsub(frame) => self.meshsub_in(peer, id, frame),
            // A probe's swarm messages are not this room's business (it may be a chat of
            // another room): dropped until the room's discovery finds it.
            FromPeer::Swarm(_) if self.probing.contains(&peer) => {}
            FromPeer::Swarm(msg) => {
                // It speaks the swarm's protocol: a handbook peer, even one whose
                // identify was refused or came later (never taken for a libp2p node).
                self.foreign.remove(&peer);
                if self.handbook.len() < 4 * MAX_KNOWN {
                    self.handbook.insert(peer.clone());
                }
                self.call_swarm(|rt, now| rt.handle_message(now, peer.clone(), msg))
            }
            FromPeer::Sync(msg) => {
                if self.neighbours.contains(&peer) && self.sync_budget(&peer) {
                    self.call_chat(|rt, now| rt.handle_message(now, peer.clone(), msg));
                }
            }
            FromPeer::Push(envelope) => self.push_in(peer, id, envelope),
        }
    }

    /// A pushed envelope: admitted by secure gossip's guard (size, the author's
    /// signature, replay window, the author's rate; only an author over its rate is not
    /// held against the neighbour that sent it), its entry the author's own and
    /// numbered as the envelope says, then given to the chat node; if the chat node
    /// stored it, forwarded to every other neighbour.
    fn push_in(&mut self, from: NodeId, id: u64, envelope: Envelope) {
        if !self.neighbours.contains(&from) {
            return;
        }
        match self.guard.admit(&envelope, self.now()) {
            Ok(()) => {}
            Err(Reject::Duplicate) => return,
            // The author's fault, not the neighbour's: an honest neighbour forwards an
            // author's lines as fast as its own guard took them, and a little jitter puts
            // them over ours. Shown, never counted against the neighbour.
            Err(Reject::RateLimited) => {
                let _ = self.ui.send(Ui::Notice(format!(
                    "refused from {}: {}",
                    short(from.as_str()),
                    reject(Reject::RateLimited)
                )));
                return;
            }
            Err(why) => return self.strike(&from, id, reject(why)),
        }
        // Read by the log part; the chat node reads the same bytes again for itself.
        match log::Entry::from_bytes(&envelope.payload) {
            Ok(e) if e.author == envelope.author && e.seq == envelope.seq => {}
            _ => return self.strike(&from, id, "an envelope whose entry is not the author's"),
        }
        let key = Entry::from_bytes(&envelope.payload).map(|e| crate::parts::chat::node::key(&e)).unwrap_or_default();
        let observed = self.call_chat(|rt, now| {
            rt.handle_message(now, from.clone(), ChatMsg::Entries { entries: vec![envelope.payload.clone()] })
        });
        if observed.contains(&key) {
            let frame = Arc::new(serde_json::to_vec(&envelope).expect("an envelope serializes"));
            for peer in self.neighbours.clone() {
                if peer != from && self.conns.contains_key(&peer) {
                    self.send_out(&peer, Out::Push(frame.clone()));
                }
            }
        }
    }

    /// The user's line: refused if its entry would not fit in one envelope; otherwise
    /// written by the chat node, whose push becomes one envelope for every neighbour.
    fn say(&mut self, text: String) -> Result<u64, String> {
        let worst = Line { nick: self.nick.clone(), text: text.clone(), clock: u64::MAX }.to_payload().len();
        // An entry is 140 bytes around its payload (the log chapter's layout).
        if worst + 140 > MAX_PAYLOAD {
            return Err(format!(
                "a line must fit in one {MAX_PAYLOAD}-byte envelope; this one is {} bytes",
                worst + 140
            ));
        }
        let mut answer = Err("the node did not answer".to_string());
        self.chat.set_peers(self.chat_peers());
        self.chat.handle_message(self.now(), me_client(), ChatMsg::Say { text: text.clone() });
        let messages: Vec<_> = std::iter::from_fn(|| self.chat.poll_transmit()).collect();
        // Its own line, stored: the save below writes it.
        while self.chat.poll_observed().is_some() {}
        // On the disk before any peer sees it: a restart resumes after it.
        if let Err(e) = self.save(0) {
            return Err(format!("not said: the history on disk failed ({e})"));
        }
        let mut frame = None;
        for (to, msg) in messages {
            match msg {
                ChatMsg::SayOk { seq } => answer = Ok(seq),
                ChatMsg::SayError { reason } => answer = Err(reason),
                ChatMsg::Entries { entries } if !to.is_client() => {
                    let frame = frame.get_or_insert_with(|| {
                        let entry = entries.first().and_then(|b| log::Entry::from_bytes(b).ok());
                        entry.map(|e| {
                            let envelope = Envelope::sign(&self.keypair, e.seq, &e.to_bytes());
                            // Our own line: the guard must know it, or a neighbour's
                            // forward of it would look new.
                            let _ = self.guard.admit(&envelope, self.started.elapsed());
                            Arc::new(serde_json::to_vec(&envelope).expect("an envelope serializes"))
                        })
                    });
                    if let Some(frame) = frame.clone() {
                        self.send_out(&to, Out::Push(frame));
                    }
                }
                other => self.route_chat(to, other),
            }
        }
        // And on gossipsub, as the plain text, for libp2p nodes (handbook peers that get
        // it this way too skip it: its log entry shows it).
        if answer.is_ok() {
            let topic = self.topic.clone();
            self.call_gossip(|rt, now| {
                rt.handle_message(now, me_client(), GossipMsg::Publish { topic, data: text.into_bytes() })
            });
        }
        answer
    }

    /// The chat node's peers: the neighbours with a connection.
    fn chat_peers(&self) -> Vec<NodeId> {
        self.neighbours.iter().filter(|p| self.conns.contains_key(*p)).cloned().collect()
    }

    /// Calls the chat node's runtime (`f` gets it and the time) and carries out what it
    /// asked; returns the keys it observed (the lines it stored).
    fn call_chat(&mut self, f: impl FnOnce(&mut Runtime<ChatNode>, Duration)) -> Vec<String> {
        self.call_chat_for(f).1
    }

    /// [`Room::call_chat`], also returning what the node answered the room (its messages
    /// to [`me_client`]).
    fn call_chat_for(&mut self, f: impl FnOnce(&mut Runtime<ChatNode>, Duration)) -> (Vec<ChatMsg>, Vec<String>) {
        self.chat.set_peers(self.chat_peers());
        let now = self.now();
        f(&mut self.chat, now);
        let observed: Vec<String> = std::iter::from_fn(|| self.chat.poll_observed()).collect();
        if !observed.is_empty()
            && let Err(e) = self.save(0)
        {
            let _ = self.ui.send(Ui::Notice(format!("the history on disk failed: {e}")));
            self.disk = None;
        }
        let mut answers = Vec::new();
        while let Some((to, msg)) = self.chat.poll_transmit() {
            if to == me_client() {
                answers.push(msg);
            } else {
                self.route_chat(to, msg);
            }
        }
        (answers, observed)
    }

    fn route_chat(&mut self, to: NodeId, msg: ChatMsg) {
        if to.is_client() || !self.conns.contains_key(&to) {
            return;
        }
        let frame = serde_json::to_vec(&msg).expect("a chat message serializes");
        self.send_out(&to, Out::Sync(frame));
    }

    /// The swarm's view of the room changed: its next tick (which tops up its
    /// connections) is brought forward to now, so that it dials a peer just found at
    /// once instead of up to a tick later. The runtime fires it at the loop's next turn;
    /// the tick sets the next one as always, so one chain of ticks stays one.
    fn top_up_now(&mut self) {
        let now = self.now();
        self.swarm.advance_timers(now, |t| matches!(t, swarm::Timer::Tick));
    }

    /// Calls the swarm node's runtime (`f` gets it and the time) with every known
    /// candidate as its view of the room, carries out what it asked, and reads its
    /// neighbours back. A peer whose dial just failed (quiet for [`REDIAL_AFTER`]) is
    /// no candidate until then: a Connect to it would not go out, and the swarm would
    /// wait for an answer that never comes while a list full of dead addresses (peers
    /// that left or restarted) keeps the live ones out.
    fn call_swarm(&mut self, f: impl FnOnce(&mut Runtime<swarm::SwarmNode>, Duration)) {
        let peers: Vec<NodeId> = self
            .known
            .iter()
            .filter(|(p, k)| {
                **p != self.me
                    && !self.foreign.contains_key(*p)
                    && !self.probing.contains(*p)
                    && (self.conns.contains_key(*p) || k.dialable())
            })
            .map(|(p, _)| p.clone())
            .collect();
        self.swarm.set_peers(peers);
        let now = self.now();
        f(&mut self.swarm, now);
        self.swarm.handle_message(now, me_client(), swarm::Msg::Read);
        while self.swarm.poll_observed().is_some() {}
        let mut neighbours = None;
        while let Some((to, msg)) = self.swarm.poll_transmit() {
            match msg {
                swarm::Msg::ReadOk { neighbours: n, .. } if to.is_client() => neighbours = Some(n),
                msg if !to.is_client() => self.send_swarm(&to, msg),
                _ => {}
            }
        }
        if let Some(n) = neighbours {
            self.set_neighbours(n.into_iter().collect());
        }
    }

    fn send_swarm(&mut self, to: &NodeId, msg: swarm::Msg) {
        if self.probing.contains(to) {
            return;
        }
        if self.conns.contains_key(to) {
            let frame = serde_json::to_vec(&msg).expect("a swarm message serializes");
            self.send_out(to, Out::Swarm(frame));
            return;
        }
        // No connection yet: a Connect (or anything else) waits for the dial.
        let Some(addr) = self.known.get(to).filter(|k| k.dialable()).and_then(|k| k.addr) else {
            return;
        };
        let pending = self.pending.entry(to.clone()).or_default();
        if pending.len() < MAX_PENDING {
            pending.push(msg);
        }
        self.dial(Some(to.clone()), addr);
    }

    /// Queues `out` for `to`; a full queue drops it (the peer is slow; anti-entropy and
    /// the swarm's next ping make up for it).
    fn send_out(&mut self, to: &NodeId, out: Out) {
        if let Some(live) = self.conns.get(to) {
            let _ = live.conn.out.try_send(out);
        }
    }

    fn set_neighbours(&mut self, now: BTreeSet<NodeId>) {
        if now == self.neighbours {
            return;
        }
        let joined: Vec<NodeId> = now.difference(&self.neighbours).cloned().collect();
        let left: Vec<NodeId> = self.neighbours.difference(&now).cloned().collect();
        self.neighbours = now;
        for peer in &left {
            let nick = self.nick_of(peer);
            let _ = self.ui.send(Ui::Neighbour { peer: peer.to_string(), nick, joined: false });
            if let Some(live) = self.conns.get_mut(peer) {
                live.idle_since.get_or_insert_with(Instant::now);
            }
        }
        for peer in &joined {
            if let Some(live) = self.conns.get_mut(peer) {
                live.idle_since = None;
            }
            let nick = self.nick_of(peer);
            let _ = self.ui.send(Ui::Neighbour { peer: peer.to_string(), nick, joined: true });
            // Tell a new neighbour our frontier now, instead of at a random later round:
            // it answers with what we lack (a late joiner has the history within a round
            // trip, anti-entropy fetches the rest batch by batch), and a restarted peer
            // learns how far its own log goes.
            let peer = peer.clone();
            self.call_chat(|rt, now| rt.callback(now, |n, c| n.greet(c, peer)));
        }
    }

    fn housekeeping(&mut self) {
        if let Err(e) = self.save(SAVE_BATCH) {
            let _ = self.ui.send(Ui::Notice(format!("the history on disk failed: {e}")));
            self.disk = None;
        }
        // A connection is kept while it carries a neighbour, or while its peer is a libp2p
        // node subscribed to the room's topic (at most MAX_FOREIGN of those).
        let mut foreign_kept = 0;
        for (peer, live) in self.conns.iter_mut() {
            let keep = self.neighbours.contains(peer)
                || (self.foreign.contains_key(peer) && self.on_topic.contains(peer) && {
                    foreign_kept += 1;
                    foreign_kept <= MAX_FOREIGN
                });
            if keep {
                live.idle_since = None;
            } else {
                live.idle_since.get_or_insert_with(Instant::now);
            }
        }
        let idle: Vec<NodeId> = self
            .conns
            .iter()
            .filter(|(_, live)| live.idle_since.is_some_and(|t| t.elapsed() > GRACE))
            .map(|(p, _)| p.clone())
            .collect();
        for peer in idle {
            self.close(&peer);
            self.quiet_if_foreign(&peer);
        }
        self.heard.expire(&mut self.known, |p| self.conns.contains_key(p));
        let connected: BTreeSet<SocketAddr> = self.known.values().filter_map(|k| k.addr).collect();
        for addr in self.pinned.clone() {
            if !connected.contains(&addr)
                || !self.known.iter().any(|(p, k)| k.addr == Some(addr) && self.conns.contains_key(p))
            {
                self.dial(None, addr);
            }
        }
        self.set_timer(HOUSEKEEPING, Due::Housekeeping);
    }

    /// Appends what the chat node holds beyond the files.
    /// Appends the own log's new lines, and at most `others` entries of the others'.
    fn save(&mut self, others: usize) -> Result<(), String> {
        let me = self.chat.node().author();
        match &mut self.disk {
            Some(disk) => disk.save(me, self.chat.node().logs(), others),
            None => Ok(()),
        }
    }

    /// Tells the interface when a ban starts or ends, and when a restarted log resumed.
    fn show_bans(&mut self) {
        let chat = self.chat.node();
        if self.resuming && !chat.resuming() {
            self.resuming = false;
            let held = chat.logs().get(&chat.author()).map_or(0, Vec::len);
            let _ = self.ui.send(Ui::Notice(format!("caught up: your log resumes after line {held}")));
        }
        let now = self.now();
        let bans: Vec<String> = self.chat.node().bans(now).iter().map(describe).collect();
        for ban in bans.iter().filter(|b| !self.bans.contains(b)) {
            let _ = self.ui.send(Ui::Notice(format!("ignoring {ban}")));
        }
        for ban in self.bans.iter().filter(|b| !bans.contains(b)) {
            let _ = self.ui.send(Ui::Notice(format!("no longer ignoring {ban}")));
        }
        self.bans = bans;
    }

    fn nick_of(&self, peer: &NodeId) -> Option<String> {
        self.nicks.get(peer.as_str()).cloned()
    }

    /// Sends the interface the history when it changed, and the member list.
    fn refresh_ui(&mut self) {
        let (answers, _) = self.call_chat_for(|rt, now| rt.handle_message(now, me_client(), ChatMsg::History));
        for msg in answers {
            if let ChatMsg::HistoryOk { lines, .. } = msg {
                let keys: Vec<(u64, [u8; 32], u64)> = lines.iter().map(|l| (l.clock, l.author, l.seq)).collect();
                if keys != self.shown.1 {
                    for line in &lines {
                        if let Ok(key) = PublicKey::from_bytes(line.author) {
                            self.nicks.insert(key.peer_id().to_string(), line.nick.clone());
                        }
                    }
                    self.shown = (keys.len(), keys);
                    let _ = self.ui.send(Ui::History(lines));
                }
            }
        }
        let members: Vec<Member> = self
            .known
            .keys()
            .filter(|p| !self.probing.contains(*p))
            .map(|p| Member {
                peer: p.to_string(),
                nick: self.nicks.get(p.as_str()).cloned(),
                connected: self.neighbours.contains(p) || (self.foreign.contains_key(p) && self.conns.contains_key(p)),
            })
            .collect();
        if members != self.members {
            self.members = members.clone();
            let _ = self.ui.send(Ui::Members(members));
        }
    }
}

/// A ban in words (without its end: the interface says when it starts and ends).
fn describe(ban: &Ban) -> String {
    match ban {
        Ban::Peer { peer, .. } => {
            format!(
                "{} for {} s: it sent an entry its author did not sign",
                short(peer.as_str()),
                crate::parts::chat::node::BAN_FOR.as_secs()
            )
        }
        Ban::Author { author, proof, .. } => {
            let who = PublicKey::from_bytes(*author).map(|k| k.peer_id().to_string()).unwrap_or_default();
            format!(
                "author {} for {} s: it signed two different histories at line {} (the two entries are the proof)",
                short(&who),
                crate::parts::chat::node::BAN_FOR.as_secs(),
                proof.1.seq
            )
        }
    }
}

/// Why the guard refused, in words.
fn reject(why: Reject) -> &'static str {
    match why {
        Reject::TooLarge => "an oversized envelope",
        Reject::BadSignature => "an envelope with a bad signature",
        Reject::Duplicate => "a duplicate",
        Reject::TooOld => "an envelope older than the replay window",
        Reject::RateLimited => "an author over its rate limit",
    }
}

/// A libp2p line as it is shown: UTF-8 (invalid bytes replaced), every control
/// character a space (no peer can print lines of its own making), at most
/// [`MAX_LIVE_LINE`] bytes.
fn printable(data: &[u8]) -> String {
    let mut text: String =
        String::from_utf8_lossy(data).chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.len() > MAX_LIVE_LINE {
        let mut end = MAX_LIVE_LINE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The first characters of a peer id after its common `12D3KooW` prefix.
pub fn short(peer: &str) -> &str {
    let rest = peer.strip_prefix("12D3KooW").unwrap_or(peer);
    &rest[..rest.len().min(6)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A room that has started its three nodes, as [`Room::run`] does, and no
    /// connection. Its key is fixed: `secret` is printed as the seed.
    fn started(secret: u8) -> Room {
        println!("seed: key secret bytes [{secret}; 32]");
        let keypair = Keypair::from_secret_bytes([secret; 32]);
        let (events, _) = mpsc::channel(8);
        let (ui, _) = mpsc::unbounded_channel();
        let listen = "127.0.0.1:9".parse().unwrap();
        let mut room = Room::new(keypair, "ada", "test-room", listen, Vec::new(), Start::Fresh, events, ui);
        room.call_chat(|rt, now| rt.start(now));
        room.call_swarm(|rt, now| rt.start(now));
        room.call_gossip(|rt, now| rt.start(now));
        room
    }

    #[test]
    fn a_top_up_at_once_fires_the_swarms_tick_early_and_keeps_one_chain_of_ticks() {
        let mut room = started(7);
        assert_eq!(room.swarm.pending_timers(), 1, "the swarm's start sets its one tick");
        let tick = room.swarm.poll_timeout().expect("a tick is pending");
        room.top_up_now();
        let now = room.now();
        assert!(now < tick, "this test runs well within a tick ({tick:?})");
        assert!(
            room.swarm.poll_timeout().is_some_and(|at| at <= now),
            "the top-up brings the swarm's tick forward to now: the loop fires it at its next turn"
        );
        room.fire_timers();
        assert_eq!(
            room.swarm.pending_timers(),
            1,
            "after the early tick the swarm has one tick pending, not two chains of them"
        );
        assert!(
            room.swarm.poll_timeout().is_some_and(|at| at > now),
            "the next tick is a tick from when the early one fired"
        );
        assert_eq!(
            room.next_deadline(),
            [room.chat.poll_timeout(), room.swarm.poll_timeout(), room.gossip.poll_timeout()]
                .into_iter()
                .flatten()
                .min(),
            "the loop sleeps until the earliest deadline of the nodes"
        );
    }

    #[test]
    fn each_node_draws_from_one_stream_of_its_own_for_the_whole_run() {
        use kit::rand::{RngExt, SeedableRng};
        let secret = 9;
        println!("seed: key secret bytes [{secret}; 32]");
        let (events, _) = mpsc::channel(8);
        let (ui, _) = mpsc::unbounded_channel();
        let keypair = Keypair::from_secret_bytes([secret; 32]);
        let listen = "127.0.0.1:9".parse().unwrap();
        let mut room = Room::new(keypair, "ada", "test-room", listen, Vec::new(), Start::Fresh, events, ui);
        let seed = u64::from_le_bytes([secret; 8]);
        let seeds = [node_seed(seed, "chat"), node_seed(seed, "swarm"), node_seed(seed, "gossipsub")];
        assert!(seeds[0] != seeds[1] && seeds[1] != seeds[2] && seeds[0] != seeds[2], "three nodes, three streams");
        // Three calls into the chat node, as three events would: the draws continue
        // the one stream seeded at the start, not three fresh ones.
        let now = room.now();
        let draws: Vec<u64> = (0..3).map(|_| room.chat.callback(now, |_, ctx| ctx.rng().random::<u64>())).collect();
        let mut stream = kit::NodeRng::seed_from_u64(seeds[0]);
        let expected: Vec<u64> = (0..3).map(|_| stream.random::<u64>()).collect();
        assert_eq!(draws, expected, "the chat node's draws are one stream seeded {:#x}", seeds[0]);
        let now = room.now();
        let swarm_draw = room.swarm.callback(now, |_, ctx| ctx.rng().random::<u64>());
        assert_eq!(swarm_draw, kit::NodeRng::seed_from_u64(seeds[1]).random::<u64>(), "the swarm's is its own");
    }
}
