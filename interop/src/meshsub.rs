//! The handbook's side of gossipsub (`/meshsub/1.1.0`) in the interop suite: the RPC
//! protobuf, StrictSign signing and verification, and a peer on a [`ReferenceNode`] that
//! records every length-prefixed RPC frame each way, verbatim, and sends the frames it
//! is given.
//!
//! It is written from the specifications, not from rust-libp2p:
//!
//! - the RPC, the `Message` and its signature: the pubsub interface,
//!   <https://github.com/libp2p/specs/blob/master/pubsub/README.md> ("The RPC", "The
//!   Message", "Message Signing": the signature is over `libp2p-pubsub:` followed by the
//!   `Message` protobuf without its `signature` and `key` fields; `key` may be left out
//!   when the peer id inlines the public key, as an Ed25519 peer id does);
//! - the control messages: gossipsub v1.0,
//!   <https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md>
//!   ("Control messages", "Protobuf"), and the PRUNE backoff of gossipsub v1.1,
//!   <https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md>
//!   ("Prune Backoff and Peer Exchange").
//!
//! On the wire every RPC is one frame: an unsigned varint length, then the RPC protobuf
//! (the framing of `solutions/07-streams`' `frame`). A peer sends its RPCs on a stream it
//! opened itself and reads the other side's on the stream the other side opened.
//!
//! The gossipsub exercise's reference (`solutions/11-gossipsub`) is what the tests hold
//! against rust-libp2p; this module is the suite's own reader and recorder, written
//! apart from it, so that a fault in the reference is not also a fault in the record.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use handshake_solution::negotiate::dialer_select;
use identity_solution::{Keypair, PeerId, PublicKey, Signature};
use streams_solution::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::reference_node::ReferenceNode;

/// The gossipsub v1.1 protocol id.
pub const MESHSUB: &str = "/meshsub/1.1.0";

/// What the signed bytes start with (pubsub spec, "Message Signing").
pub const SIGNING_PREFIX: &[u8] = b"libp2p-pubsub:";

/// The largest RPC this side reads: rust-libp2p's default `max_transmit_size` (64 KiB).
pub const MAX_RPC: usize = 65536;

/// One published message, the protobuf `Message` of the pubsub spec.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Message {
    /// Field 1: the author's peer id bytes.
    pub from: Option<Vec<u8>>,
    /// Field 2.
    pub data: Option<Vec<u8>>,
    /// Field 3: eight bytes, big-endian, under StrictSign.
    pub seqno: Option<Vec<u8>>,
    /// Field 4 (required).
    pub topic: String,
    /// Field 5: the Ed25519 signature (64 bytes).
    pub signature: Option<Vec<u8>>,
    /// Field 6: the author's public key protobuf, when the peer id does not inline it.
    pub key: Option<Vec<u8>>,
}

/// A subscription change (`SubOpts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubOpts {
    pub subscribe: bool,
    pub topic: String,
}

/// The control messages of gossipsub (`ControlMessage`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Control {
    /// `ControlIHave`: a topic and the ids of messages the sender has.
    pub ihave: Vec<(String, Vec<Vec<u8>>)>,
    /// `ControlIWant`: ids the sender asks for.
    pub iwant: Vec<Vec<Vec<u8>>>,
    /// `ControlGraft`: topics whose mesh the sender adds this peer to.
    pub graft: Vec<String>,
    /// `ControlPrune`: a topic and the backoff in seconds (v1.1), if any.
    pub prune: Vec<(String, Option<u64>)>,
    /// Field numbers of control messages this codec does not read (IDONTWANT...).
    pub unknown: Vec<u64>,
}

impl Control {
    pub fn is_empty(&self) -> bool {
        self.ihave.is_empty() && self.iwant.is_empty() && self.graft.is_empty() && self.prune.is_empty() && self.unknown.is_empty()
    }
}

/// One RPC.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Rpc {
    pub subscriptions: Vec<SubOpts>,
    /// The messages, decoded, with the bytes each had inside the RPC.
    pub publish: Vec<(Message, Vec<u8>)>,
    pub control: Option<Control>,
}

// ---------------------------------------------------------------------------------
// Protobuf: varints and length-delimited fields, the subset gossipsub uses.

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_uint(out: &mut Vec<u8>, field: u64, value: u64) {
    put_varint(out, field << 3);
    put_varint(out, value);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> anyhow::Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&b) = bytes.get(*at) else { bail!("a varint runs past the end at byte {}", *at) };
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("a varint longer than ten bytes")
}

/// A field's value: a varint or the bytes of a length-delimited field.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The fields of one protobuf message, in wire order: (field number, value, the
/// field's whole bytes).
fn fields(bytes: &[u8]) -> anyhow::Result<Vec<(u64, Value<'_>, &[u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let tag = get_varint(bytes, &mut at)?;
        let value = match tag & 7 {
            0 => Value::Varint(get_varint(bytes, &mut at)?),
            2 => {
                let len = get_varint(bytes, &mut at)? as usize;
                let end = at.checked_add(len).filter(|&e| e <= bytes.len()).context("a field longer than its message")?;
                let v = &bytes[at..end];
                at = end;
                Value::Bytes(v)
            }
            1 => {
                at += 8;
                Value::Varint(0)
            }
            5 => {
                at += 4;
                Value::Varint(0)
            }
            w => bail!("wire type {w} (field {}) is not one gossipsub uses", tag >> 3),
        };
        if at > bytes.len() {
            bail!("a fixed-width field runs past the end");
        }
        out.push((tag >> 3, value, &bytes[start..at]));
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> anyhow::Result<String> {
    String::from_utf8(bytes.to_vec()).context("a topic that is not UTF-8")
}

impl Message {
    /// The protobuf bytes, fields in number order (as rust-libp2p and go-libp2p write them).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (field, value) in [(1, &self.from), (2, &self.data), (3, &self.seqno)] {
            if let Some(v) = value {
                put_bytes(&mut out, field, v);
            }
        }
        put_bytes(&mut out, 4, self.topic.as_bytes());
        for (field, value) in [(5, &self.signature), (6, &self.key)] {
            if let Some(v) = value {
                put_bytes(&mut out, field, v);
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> anyhow::Result<Message> {
        let mut m = Message::default();
        let mut topic = None;
        for (field, value, _) in fields(bytes)? {
            let Value::Bytes(v) = value else { continue };
            match field {
                1 => m.from = Some(v.to_vec()),
                2 => m.data = Some(v.to_vec()),
                3 => m.seqno = Some(v.to_vec()),
                4 => topic = Some(text(v)?),
                5 => m.signature = Some(v.to_vec()),
                6 => m.key = Some(v.to_vec()),
                _ => {}
            }
        }
        m.topic = topic.context("a Message without its required topic (field 4)")?;
        Ok(m)
    }

    /// The seqno as the big-endian u64 StrictSign requires, if it is eight bytes.
    pub fn seqno_u64(&self) -> Option<u64> {
        Some(u64::from_be_bytes(self.seqno.as_deref()?.try_into().ok()?))
    }
}

impl Rpc {
    /// The RPC protobuf, without the length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for s in &self.subscriptions {
            let mut sub = Vec::new();
            put_uint(&mut sub, 1, u64::from(s.subscribe));
            put_bytes(&mut sub, 2, s.topic.as_bytes());
            put_bytes(&mut out, 1, &sub);
        }
        for (_, bytes) in &self.publish {
            put_bytes(&mut out, 2, bytes);
        }
        if let Some(c) =
            self.control.as_ref().filter(|c| !c.ihave.is_empty() || !c.iwant.is_empty() || !c.graft.is_empty() || !c.prune.is_empty())
        {
            let mut control = Vec::new();
            for (topic, ids) in &c.ihave {
                let mut m = Vec::new();
                put_bytes(&mut m, 1, topic.as_bytes());
                for id in ids {
                    put_bytes(&mut m, 2, id);
                }
                put_bytes(&mut control, 1, &m);
            }
            for ids in &c.iwant {
                let mut m = Vec::new();
                for id in ids {
                    put_bytes(&mut m, 1, id);
                }
                put_bytes(&mut control, 2, &m);
            }
            for topic in &c.graft {
                let mut m = Vec::new();
                put_bytes(&mut m, 1, topic.as_bytes());
                put_bytes(&mut control, 3, &m);
            }
            for (topic, backoff) in &c.prune {
                let mut m = Vec::new();
                put_bytes(&mut m, 1, topic.as_bytes());
                if let Some(b) = backoff {
                    put_uint(&mut m, 3, *b);
                }
                put_bytes(&mut control, 4, &m);
            }
            put_bytes(&mut out, 3, &control);
        }
        out
    }

    /// The RPC as it goes on the wire: varint length, then the protobuf.
    pub fn frame(&self) -> Vec<u8> {
        let body = self.encode();
        let mut out = Vec::with_capacity(body.len() + 3);
        put_varint(&mut out, body.len() as u64);
        out.extend(body);
        out
    }

    /// Decodes an RPC protobuf (without the length prefix).
    pub fn decode(bytes: &[u8]) -> anyhow::Result<Rpc> {
        let mut rpc = Rpc::default();
        for (field, value, _) in fields(bytes)? {
            let Value::Bytes(v) = value else { continue };
            match field {
                1 => {
                    let (mut subscribe, mut topic) = (false, None);
                    for (f, value, _) in fields(v)? {
                        match (f, value) {
                            (1, Value::Varint(b)) => subscribe = b != 0,
                            (2, Value::Bytes(t)) => topic = Some(text(t)?),
                            _ => {}
                        }
                    }
                    rpc.subscriptions.push(SubOpts { subscribe, topic: topic.context("a SubOpts without a topic")? });
                }
                2 => rpc.publish.push((Message::decode(v)?, v.to_vec())),
                3 => rpc.control = Some(decode_control(v)?),
                _ => {}
            }
        }
        Ok(rpc)
    }

    /// A one-line account: `SUBSCRIBE test-net`, `PUBLISH "hello"`, `GRAFT test-net`...
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for s in &self.subscriptions {
            parts.push(format!("{} {}", if s.subscribe { "SUBSCRIBE" } else { "UNSUBSCRIBE" }, s.topic));
        }
        for (m, _) in &self.publish {
            parts.push(format!("PUBLISH {:?} on {}", String::from_utf8_lossy(m.data.as_deref().unwrap_or_default()), m.topic));
        }
        if let Some(c) = &self.control {
            for (topic, ids) in &c.ihave {
                let ids: Vec<String> = ids.iter().map(|id| String::from_utf8_lossy(id).into_owned()).collect();
                parts.push(format!("IHAVE {topic} {ids:?}"));
            }
            for ids in &c.iwant {
                let ids: Vec<String> = ids.iter().map(|id| String::from_utf8_lossy(id).into_owned()).collect();
                parts.push(format!("IWANT {ids:?}"));
            }
            for topic in &c.graft {
                parts.push(format!("GRAFT {topic}"));
            }
            for (topic, backoff) in &c.prune {
                match backoff {
                    Some(b) => parts.push(format!("PRUNE {topic} backoff {b} s")),
                    None => parts.push(format!("PRUNE {topic}")),
                }
            }
            for f in &c.unknown {
                match f {
                    // `ControlExtensions` (gossipsub v1.3): rust-libp2p 0.57 sends one,
                    // empty, first on every stream, whatever version was agreed.
                    6 => parts.push("EXTENSIONS (control field 6)".into()),
                    f => parts.push(format!("control field {f}")),
                }
            }
        }
        if parts.is_empty() { "empty RPC".into() } else { parts.join(", ") }
    }
}

fn decode_control(bytes: &[u8]) -> anyhow::Result<Control> {
    let mut c = Control::default();
    for (field, value, _) in fields(bytes)? {
        let Value::Bytes(v) = value else {
            c.unknown.push(field);
            continue;
        };
        match field {
            1 => {
                let (mut topic, mut ids) = (String::new(), Vec::new());
                for (f, value, _) in fields(v)? {
                    match (f, value) {
                        (1, Value::Bytes(t)) => topic = text(t)?,
                        (2, Value::Bytes(id)) => ids.push(id.to_vec()),
                        _ => {}
                    }
                }
                c.ihave.push((topic, ids));
            }
            2 => {
                let mut ids = Vec::new();
                for (f, value, _) in fields(v)? {
                    if let (1, Value::Bytes(id)) = (f, value) {
                        ids.push(id.to_vec());
                    }
                }
                c.iwant.push(ids);
            }
            3 => {
                let mut topic = String::new();
                for (f, value, _) in fields(v)? {
                    if let (1, Value::Bytes(t)) = (f, value) {
                        topic = text(t)?;
                    }
                }
                c.graft.push(topic);
            }
            4 => {
                let (mut topic, mut backoff) = (String::new(), None);
                for (f, value, _) in fields(v)? {
                    match (f, value) {
                        (1, Value::Bytes(t)) => topic = text(t)?,
                        (3, Value::Varint(b)) => backoff = Some(b),
                        _ => {}
                    }
                }
                c.prune.push((topic, backoff));
            }
            f => c.unknown.push(f),
        }
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------
// StrictSign.

/// The bytes a signature covers: `libp2p-pubsub:` and the message's protobuf without
/// its `signature` and `key` fields. Built from the bytes as received, dropping fields
/// 5 and 6, so the fields keep the order and encoding the author signed.
pub fn signed_bytes(message_bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = SIGNING_PREFIX.to_vec();
    for (field, _, whole) in fields(message_bytes)? {
        if field != 5 && field != 6 {
            out.extend_from_slice(whole);
        }
    }
    Ok(out)
}

/// A message signed by `keypair` the StrictSign way: `from` its peer id, an eight-byte
/// big-endian `seqno`, no `key` (an Ed25519 peer id inlines it).
pub fn sign(keypair: &Keypair, topic: &str, data: &[u8], seqno: u64) -> Message {
    let mut m = Message {
        from: Some(keypair.peer_id().to_bytes()),
        data: Some(data.to_vec()),
        seqno: Some(seqno.to_be_bytes().to_vec()),
        topic: topic.into(),
        signature: None,
        key: None,
    };
    let mut signed = SIGNING_PREFIX.to_vec();
    signed.extend(m.encode());
    m.signature = Some(keypair.sign(&signed).to_bytes().to_vec());
    m
}

/// Why StrictSign rejects a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("no `from` (field 1): StrictSign requires the author")]
    NoFrom,
    #[error("`from` is not an Ed25519 peer id: {0}")]
    BadFrom(String),
    #[error("no `seqno` (field 3), or not 8 bytes: StrictSign requires a 64-bit big-endian seqno")]
    BadSeqno,
    #[error("no signature (field 5), or not 64 bytes")]
    NoSignature,
    #[error("`key` (field 6) is not the public key of `from`")]
    KeyMismatch,
    #[error("the signature does not verify over `libp2p-pubsub:` + the message without signature and key")]
    BadSignature,
    #[error("the message does not decode: {0}")]
    Malformed(String),
}

/// Checks a message as StrictSign does on receipt, from its bytes inside the RPC;
/// returns the author.
pub fn verify(message_bytes: &[u8]) -> Result<PeerId, Rejected> {
    let m = Message::decode(message_bytes).map_err(|e| Rejected::Malformed(e.to_string()))?;
    let from = m.from.as_deref().ok_or(Rejected::NoFrom)?;
    let author = PeerId::from_bytes(from).map_err(|e| Rejected::BadFrom(e.to_string()))?;
    if m.seqno.as_ref().is_none_or(|s| s.len() != 8) {
        return Err(Rejected::BadSeqno);
    }
    let signature: [u8; 64] = m.signature.as_deref().and_then(|s| s.try_into().ok()).ok_or(Rejected::NoSignature)?;
    if let Some(key) = &m.key {
        // The libp2p PublicKey protobuf of an Ed25519 key: 08 01 12 20, then the key.
        let inlined = key.strip_prefix(&[0x08, 0x01, 0x12, 0x20][..]).and_then(|k| <[u8; 32]>::try_from(k).ok());
        let key = inlined.and_then(|k| PublicKey::from_bytes(k).ok()).ok_or(Rejected::KeyMismatch)?;
        if key.peer_id() != author {
            return Err(Rejected::KeyMismatch);
        }
    }
    let signed = signed_bytes(message_bytes).map_err(|e| Rejected::Malformed(e.to_string()))?;
    author.public_key().verify(&signed, &Signature::from_bytes(signature)).map_err(|_| Rejected::BadSignature)?;
    Ok(author)
}

/// rust-libp2p's default message id (`Config::default`'s `message_id_fn`): the author's
/// base58 peer id followed by the seqno in decimal, as ASCII.
pub fn default_message_id(m: &Message) -> Option<Vec<u8>> {
    let author = PeerId::from_bytes(m.from.as_deref()?).ok()?;
    Some(format!("{author}{}", m.seqno_u64()?).into_bytes())
}

// ---------------------------------------------------------------------------------
// The recording peer.

/// Which side sent a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From the other side (rust-libp2p) to this one.
    In,
    /// From this side (the handbook's reference) to the other.
    Out,
}

/// One RPC frame as it was on the wire.
#[derive(Clone, Debug)]
pub struct Frame {
    pub dir: Dir,
    /// The whole frame: the varint length prefix, then the RPC.
    pub bytes: Vec<u8>,
    /// How many of `bytes` are the prefix.
    pub prefix: usize,
    pub rpc: Rpc,
    /// Since the peer started.
    pub at: Duration,
}

/// A gossipsub peer of the handbook's stack on one connection: it reads the other
/// side's RPC stream(s) and records every frame, and sends the RPCs it is given on a
/// stream of its own, recording those too.
pub struct MeshsubPeer {
    node: ReferenceNode,
    out: tokio::sync::Mutex<Option<Stream>>,
    log: Arc<Mutex<Vec<Frame>>>,
    incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<Frame>>,
    started: Instant,
}

impl MeshsubPeer {
    /// Starts reading the `/meshsub/1.1.0` streams the other side opens on `node`,
    /// which must have been made with [`MESHSUB`] among its extra protocols.
    pub fn start(node: ReferenceNode) -> anyhow::Result<MeshsubPeer> {
        let mut inbound = node.take_inbound().context("the node's inbound streams were taken already")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, incoming) = mpsc::unbounded_channel();
        let started = Instant::now();
        let task_log = log.clone();
        tokio::spawn(async move {
            while let Some((protocol, stream)) = inbound.recv().await {
                if protocol != MESHSUB {
                    continue;
                }
                let (log, tx) = (task_log.clone(), tx.clone());
                tokio::spawn(read_frames(stream, log, tx, started));
            }
        });
        Ok(MeshsubPeer { node, out: tokio::sync::Mutex::new(None), log, incoming: tokio::sync::Mutex::new(incoming), started })
    }

    pub fn node(&self) -> &ReferenceNode {
        &self.node
    }

    /// Sends one RPC, opening this side's stream (and negotiating [`MESHSUB`]) the
    /// first time. Returns the frame's bytes.
    pub async fn send(&self, rpc: &Rpc) -> anyhow::Result<Vec<u8>> {
        let frame = rpc.frame();
        let prefix = frame.len() - rpc.encode().len();
        self.write(frame, prefix, rpc.clone()).await
    }

    /// Sends one RPC given as its protobuf bytes (another codec's), framed with a
    /// varint length; recorded as this side's codec reads it.
    pub async fn send_encoded(&self, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rpc = Rpc::decode(body).context("an RPC this side cannot read")?;
        let mut frame = Vec::with_capacity(body.len() + 3);
        put_varint(&mut frame, body.len() as u64);
        let prefix = frame.len();
        frame.extend_from_slice(body);
        self.write(frame, prefix, rpc).await
    }

    async fn write(&self, frame: Vec<u8>, prefix: usize, rpc: Rpc) -> anyhow::Result<Vec<u8>> {
        let mut out = self.out.lock().await;
        if out.is_none() {
            let mut stream = self.node.session.open_stream().await.context("opening this side's gossipsub stream")?;
            dialer_select(&mut stream, &[MESHSUB]).await.context("negotiating /meshsub/1.1.0")?;
            *out = Some(stream);
        }
        let stream = out.as_mut().expect("opened above");
        stream.write_all(&frame).await.context("writing an RPC")?;
        stream.flush().await?;
        self.log.lock().expect("log").push(Frame { dir: Dir::Out, bytes: frame.clone(), prefix, rpc, at: self.started.elapsed() });
        Ok(frame)
    }

    /// Waits up to `timeout` for a frame from the other side that `pick` accepts; the
    /// frames skipped are in the error, to say what came instead.
    pub async fn wait_for<T>(&self, timeout: Duration, mut pick: impl FnMut(&Frame) -> Option<T>) -> Result<T, Vec<String>> {
        let mut incoming = self.incoming.lock().await;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut skipped = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, incoming.recv()).await {
                Ok(Some(frame)) => match pick(&frame) {
                    Some(found) => return Ok(found),
                    None => skipped.push(frame.rpc.summary()),
                },
                Ok(None) | Err(_) => return Err(skipped),
            }
        }
    }

    /// Every frame so far, both ways, in the order this side saw them.
    pub fn frames(&self) -> Vec<Frame> {
        self.log.lock().expect("log").clone()
    }
}

/// Reads frames from one of the other side's streams until it ends, keeping each
/// frame's bytes exactly as they came.
async fn read_frames(mut stream: Stream, log: Arc<Mutex<Vec<Frame>>>, tx: mpsc::UnboundedSender<Frame>, started: Instant) {
    loop {
        let mut bytes = Vec::new();
        let mut len = 0u64;
        let mut ended = true;
        for shift in (0..35).step_by(7) {
            let Ok(b) = stream.read_u8().await else { return };
            bytes.push(b);
            len |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                ended = false;
                break;
            }
        }
        if ended || len as usize > MAX_RPC {
            stream.reset();
            return;
        }
        let prefix = bytes.len();
        bytes.resize(prefix + len as usize, 0);
        if stream.read_exact(&mut bytes[prefix..]).await.is_err() {
            return;
        }
        let rpc = match Rpc::decode(&bytes[prefix..]) {
            Ok(rpc) => rpc,
            Err(e) => {
                eprintln!("an RPC this side cannot decode ({e}): {}", hex(&bytes));
                Rpc::default()
            }
        };
        let frame = Frame { dir: Dir::In, bytes, prefix, rpc, at: started.elapsed() };
        log.lock().expect("log").push(frame.clone());
        let _ = tx.send(frame);
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower- or upper-case hex.
pub fn unhex(text: &str) -> anyhow::Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        bail!("odd-length hex");
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).with_context(|| format!("bad hex at {i}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rpc_round_trips() {
        let k = Keypair::from_secret_bytes([7; 32]);
        let m = sign(&k, "test-net", b"hello", 1);
        let rpc = Rpc {
            subscriptions: vec![SubOpts { subscribe: true, topic: "test-net".into() }],
            publish: vec![(m.clone(), m.encode())],
            control: Some(Control {
                ihave: vec![("test-net".into(), vec![b"a".to_vec()])],
                iwant: vec![vec![b"b".to_vec()]],
                graft: vec!["test-net".into()],
                prune: vec![("test-net".into(), Some(60))],
                unknown: vec![],
            }),
        };
        assert_eq!(Rpc::decode(&rpc.encode()).expect("decodes"), rpc);
        assert_eq!(verify(&m.encode()), Ok(k.peer_id()));
        let mut tampered = m.clone();
        tampered.data = Some(b"hellp".to_vec());
        assert_eq!(verify(&tampered.encode()), Err(Rejected::BadSignature));
    }
}
