//! Captures gossipsub byte vectors from rust-libp2p: a real `gossipsub::Behaviour`
//! (Strict validation, signed messages, a fixed Ed25519 secret, topic `test-net`, the
//! default configuration) in a Swarm over TCP + Noise + yamux, and a handbook-stack peer
//! on loopback that records every length-prefixed RPC frame each way, verbatim.
//!
//! The conversation, in order (the handbook side drives it, so each frame of
//! rust-libp2p's is provoked by one step):
//!
//! 1. rust-libp2p, subscribed before the connection, sends its SUBSCRIBE;
//! 2. the handbook side subscribes; rust-libp2p's mesh is short of peers, so it GRAFTs;
//! 3. rust-libp2p publishes "hello": a PUBLISH;
//! 4. the handbook side announces a message of its own (IHAVE), rust-libp2p asks for it
//!    (IWANT), gets it (PUBLISH) and delivers it;
//! 5. the handbook side leaves the mesh (PRUNE, backoff 60 s); rust-libp2p publishes
//!    "world", still sent to it (flood publishing);
//! 6. at its first heartbeat (5 s after start) rust-libp2p gossips IHAVE to the peer
//!    outside its mesh; the handbook side asks for "hello" (IWANT) and gets it again;
//! 7. the handbook side GRAFTs within its own backoff: rust-libp2p answers PRUNE;
//! 8. rust-libp2p unsubscribes: UNSUBSCRIBE.
//!
//! Run from the repository's root:
//!
//!     cargo run --manifest-path interop/Cargo.toml --example gossipsub_vectors
//!
//! It writes `exercises/11-gossipsub/tests/vectors/rust-libp2p-0.57.json` (or the path
//! given as its argument) and prints the frames. The seqno rust-libp2p picks starts at
//! the clock's nanoseconds, so every run gives other seqnos, signatures and message
//! ids; the file records the ones of one run, and checks read them from it.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use identity_solution::Keypair;
use interop::gossipsub_node::{GossipSeen, GossipsubNode, TOPIC};
use interop::meshsub::{self, Control, Dir, Frame, MESHSUB, MeshsubPeer, Message, Rpc, SubOpts, hex};
use interop::reference_node::ReferenceNode;
use libp2p::gossipsub::{IdentTopic, TopicHash};

/// rust-libp2p's Ed25519 secret: the bytes 00, 01, ..., 1f.
const THEIR_SECRET: [u8; 32] = secret(0x00);
/// The handbook side's: 20, 21, ..., 3f.
const OUR_SECRET: [u8; 32] = secret(0x20);

/// What the handbook side publishes, with seqno 1.
const OUR_DATA: &[u8] = b"hi from the handbook";
/// What rust-libp2p publishes.
const THEIR_DATA: [&[u8]; 2] = [b"hello", b"world"];

/// A bound on each wait; the heartbeat's IHAVE comes 5 s after the start.
const WAIT: Duration = Duration::from_secs(15);

const fn secret(first: u8) -> [u8; 32] {
    let mut s = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        s[i] = first + i as u8;
        i += 1;
    }
    s
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("the repository")?.to_path_buf();
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("exercises/11-gossipsub/tests/vectors/rust-libp2p-0.57.json"));

    let topic = IdentTopic::new(TOPIC);
    let hash: TopicHash = topic.hash();
    let mut theirs = GossipsubNode::start(THEIR_SECRET, None)?;
    let t = topic.clone();
    theirs.with(move |gs| gs.subscribe(&t)).await.context("rust-libp2p subscribes")?;
    let port = theirs.listening_port().await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let keypair = Keypair::from_secret_bytes(OUR_SECRET);
    let their_keypair = Keypair::from_secret_bytes(THEIR_SECRET);
    ensure!(
        their_keypair.peer_id().to_bytes() == theirs.peer_id.to_bytes(),
        "the identity solution and rust-libp2p derive other peer ids from the same secret"
    );
    let node = tokio::time::timeout(WAIT, ReferenceNode::dial_serving(addr, keypair.clone(), &[MESHSUB])).await??;
    let ours = MeshsubPeer::start(node)?;
    let our_id = libp2p::PeerId::from_bytes(&keypair.peer_id().to_bytes())?;

    // 1. rust-libp2p's subscriptions, sent when the connection is up.
    expect(&ours, "rust-libp2p's SUBSCRIBE", |f| f.rpc.subscriptions.iter().any(|s| s.subscribe && s.topic == TOPIC)).await?;

    // 2. Ours; rust-libp2p's mesh has room (fewer than mesh_n_low = 5), so it grafts us.
    ours.send(&Rpc { subscriptions: vec![SubOpts { subscribe: true, topic: TOPIC.into() }], ..Rpc::default() }).await?;
    expect(&ours, "a GRAFT", |f| control(f).is_some_and(|c| c.graft.iter().any(|t| t == TOPIC))).await?;

    // 3. rust-libp2p publishes.
    let mut their_messages = Vec::new();
    their_messages.push(publish(&theirs, &ours, &topic, THEIR_DATA[0]).await?);

    // 4. IHAVE from us, IWANT from rust-libp2p, our message, delivered.
    let mine = meshsub::sign(&keypair, TOPIC, OUR_DATA, 1);
    let mine_id = meshsub::default_message_id(&mine).context("an id")?;
    ours.send(&control_rpc(Control { ihave: vec![(TOPIC.into(), vec![mine_id.clone()])], ..Control::default() })).await?;
    expect(&ours, "an IWANT for our message", |f| control(f).is_some_and(|c| c.iwant.iter().flatten().any(|id| *id == mine_id))).await?;
    ours.send(&Rpc { publish: vec![(mine.clone(), mine.encode())], ..Rpc::default() }).await?;
    theirs
        .wait_for(WAIT, |s| match s {
            GossipSeen::Message { message, .. } if message.data == OUR_DATA => Some(()),
            _ => None,
        })
        .await
        .map_err(|skipped| anyhow::anyhow!("rust-libp2p did not deliver our message: {skipped:?}"))?;

    // 5. We leave its mesh; it still sends its next message to us (flood publishing).
    ours.send(&control_rpc(Control { prune: vec![(TOPIC.into(), Some(60))], ..Control::default() })).await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let h = hash.clone();
        if !theirs.with(move |gs| gs.mesh_peers(&h).any(|p| *p == our_id)).await {
            break;
        }
        ensure!(tokio::time::Instant::now() < deadline, "rust-libp2p kept us in its mesh after our PRUNE");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    their_messages.push(publish(&theirs, &ours, &topic, THEIR_DATA[1]).await?);

    // 6. Its heartbeat gossips to us, outside its mesh; we ask for "hello" again.
    let hello_id = meshsub::default_message_id(&their_messages[0].0).context("an id")?;
    expect(&ours, "an IHAVE at rust-libp2p's heartbeat", |f| control(f).is_some_and(|c| !c.ihave.is_empty())).await?;
    ours.send(&control_rpc(Control { iwant: vec![vec![hello_id.clone()]], ..Control::default() })).await?;
    expect(&ours, "\"hello\" again, for our IWANT", |f| f.rpc.publish.iter().any(|(m, _)| m.data.as_deref() == Some(THEIR_DATA[0])))
        .await?;

    // 7. A GRAFT within the backoff we asked for is refused with a PRUNE.
    ours.send(&control_rpc(Control { graft: vec![TOPIC.into()], ..Control::default() })).await?;
    expect(&ours, "a PRUNE for our GRAFT within the backoff", |f| control(f).is_some_and(|c| !c.prune.is_empty())).await?;

    // 8. rust-libp2p leaves the topic.
    let t = topic.clone();
    theirs.with(move |gs| gs.unsubscribe(&t)).await;
    expect(&ours, "rust-libp2p's UNSUBSCRIBE", |f| f.rpc.subscriptions.iter().any(|s| !s.subscribe && s.topic == TOPIC)).await?;

    let frames = ours.frames();
    for (i, f) in frames.iter().enumerate() {
        let who = if f.dir == Dir::In { "rust-libp2p" } else { "handbook   " };
        println!("{i:2} {:>6.3} s {who} {:>4} bytes  {}", f.at.as_secs_f64(), f.bytes.len(), f.rpc.summary());
    }
    let json = render(&root, &keypair, &their_keypair, &their_messages, &frames)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, json)?;
    println!("wrote {}", out.display());
    Ok(())
}

fn control(f: &Frame) -> Option<&Control> {
    f.rpc.control.as_ref()
}

fn control_rpc(c: Control) -> Rpc {
    Rpc { control: Some(c), ..Rpc::default() }
}

/// Waits for a frame from rust-libp2p that `pick` accepts.
async fn expect(ours: &MeshsubPeer, what: &str, mut pick: impl FnMut(&Frame) -> bool) -> anyhow::Result<Frame> {
    ours.wait_for(WAIT, |f| pick(f).then(|| f.clone()))
        .await
        .map_err(|skipped| anyhow::anyhow!("waited for {what} from rust-libp2p; came instead: {skipped:?}"))
}

/// Has rust-libp2p publish `data` and returns the message as it came to us, with its
/// bytes inside the RPC.
async fn publish(
    theirs: &GossipsubNode,
    ours: &MeshsubPeer,
    topic: &IdentTopic,
    data: &'static [u8],
) -> anyhow::Result<(Message, Vec<u8>)> {
    let t = topic.clone();
    theirs.with(move |gs| gs.publish(t, data)).await.context("rust-libp2p publishes")?;
    let frame = expect(ours, "a PUBLISH", |f| f.rpc.publish.iter().any(|(m, _)| m.data.as_deref() == Some(data))).await?;
    let found = frame.rpc.publish.iter().find(|(m, _)| m.data.as_deref() == Some(data)).expect("picked for it");
    meshsub::verify(&found.1).map_err(|e| anyhow::anyhow!("rust-libp2p's message fails the handbook's StrictSign check: {e}"))?;
    Ok(found.clone())
}

/// The version of `name` in interop's Cargo.lock.
fn locked_version(root: &Path, name: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("interop/Cargo.lock"))?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let at = lock.find(&needle).with_context(|| format!("{name} in interop/Cargo.lock"))? + needle.len();
    Ok(lock[at..].split('"').next().unwrap_or_default().to_string())
}

fn q(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).expect("a string"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt_hex(bytes: &Option<Vec<u8>>) -> String {
    bytes.as_deref().map_or("null".into(), |b| q(&hex(b)))
}

fn kind(rpc: &Rpc) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    for s in &rpc.subscriptions {
        kinds.push(if s.subscribe { "SUBSCRIBE" } else { "UNSUBSCRIBE" });
    }
    if !rpc.publish.is_empty() {
        kinds.push("PUBLISH");
    }
    if let Some(c) = &rpc.control {
        for (name, present) in
            [("IHAVE", !c.ihave.is_empty()), ("IWANT", !c.iwant.is_empty()), ("GRAFT", !c.graft.is_empty()), ("PRUNE", !c.prune.is_empty())]
        {
            if present {
                kinds.push(name);
            }
        }
        if c.unknown.contains(&6) {
            kinds.push("EXTENSIONS");
        }
    }
    kinds
}

fn render(root: &Path, ours: &Keypair, theirs: &Keypair, messages: &[(Message, Vec<u8>)], frames: &[Frame]) -> anyhow::Result<String> {
    let (libp2p, gossipsub) = (locked_version(root, "libp2p")?, locked_version(root, "libp2p-gossipsub")?);
    let mut j = String::new();
    let w = &mut j;
    writeln!(w, "{{")?;
    writeln!(
        w,
        "  \"source\": {},",
        q(&format!(
            "rust-libp2p: crate libp2p {libp2p} (libp2p-gossipsub {gossipsub}), default gossipsub Config, ValidationMode::Strict, MessageAuthenticity::Signed; captured by interop/examples/gossipsub_vectors.rs"
        ))
    )?;
    writeln!(w, "  \"regenerate\": \"cargo run --manifest-path interop/Cargo.toml --example gossipsub_vectors\",")?;
    writeln!(w, "  \"protocol\": {},", q(MESHSUB))?;
    writeln!(w, "  \"topic\": {},", q(TOPIC))?;
    for (name, k) in [("rust_libp2p", theirs), ("handbook", ours)] {
        writeln!(w, "  {}: {{", q(name))?;
        writeln!(w, "    \"secret\": {},", q(&hex(&k.secret_bytes())))?;
        writeln!(w, "    \"public_key\": {},", q(&hex(&k.public().to_bytes())))?;
        writeln!(w, "    \"peer_id\": {},", q(&k.peer_id().to_string()))?;
        writeln!(w, "    \"peer_id_bytes\": {}", q(&hex(&k.peer_id().to_bytes())))?;
        writeln!(w, "  }},")?;
    }
    writeln!(w, "  \"messages\": [")?;
    for (i, (m, bytes)) in messages.iter().enumerate() {
        let signed = meshsub::signed_bytes(bytes)?;
        let id = meshsub::default_message_id(m).context("an id")?;
        let seqno = m.seqno_u64().context("an 8-byte seqno")?;
        if m.from.as_deref() != Some(&theirs.peer_id().to_bytes()[..]) {
            bail!("message {i} is not from rust-libp2p's peer id");
        }
        writeln!(w, "    {{")?;
        writeln!(w, "      \"data_text\": {},", q(&String::from_utf8_lossy(m.data.as_deref().unwrap_or_default())))?;
        writeln!(w, "      \"from\": {},", opt_hex(&m.from))?;
        writeln!(w, "      \"data\": {},", opt_hex(&m.data))?;
        writeln!(w, "      \"seqno\": {},", opt_hex(&m.seqno))?;
        writeln!(w, "      \"seqno_decimal\": {},", q(&seqno.to_string()))?;
        writeln!(w, "      \"topic\": {},", q(&m.topic))?;
        writeln!(w, "      \"signature\": {},", opt_hex(&m.signature))?;
        writeln!(w, "      \"key\": {},", opt_hex(&m.key))?;
        writeln!(w, "      \"message\": {},", q(&hex(bytes)))?;
        writeln!(w, "      \"signed\": {},", q(&hex(&signed)))?;
        writeln!(w, "      \"message_id\": {},", q(&String::from_utf8(id.clone())?))?;
        writeln!(w, "      \"message_id_hex\": {}", q(&hex(&id)))?;
        writeln!(w, "    }}{}", if i + 1 < messages.len() { "," } else { "" })?;
    }
    writeln!(w, "  ],")?;
    writeln!(w, "  \"frames\": [")?;
    for (i, f) in frames.iter().enumerate() {
        let kinds: Vec<String> = kind(&f.rpc).iter().map(|k| q(k)).collect();
        writeln!(w, "    {{")?;
        writeln!(w, "      \"index\": {i},")?;
        writeln!(w, "      \"sender\": {},", q(if f.dir == Dir::In { "rust-libp2p" } else { "handbook" }))?;
        writeln!(w, "      \"kinds\": [{}],", kinds.join(", "))?;
        writeln!(w, "      \"summary\": {},", q(&f.rpc.summary()))?;
        writeln!(w, "      \"at_ms\": {},", f.at.as_millis())?;
        writeln!(w, "      \"prefix_len\": {},", f.prefix)?;
        writeln!(w, "      \"frame\": {}", q(&hex(&f.bytes)))?;
        writeln!(w, "    }}{}", if i + 1 < frames.len() { "," } else { "" })?;
    }
    writeln!(w, "  ]")?;
    writeln!(w, "}}")?;
    Ok(j)
}
