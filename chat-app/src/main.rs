//! The room chat: the capstone program, every laptop in the room, no server.
//!
//!     cargo run -p chat-app -- NICK [--lan] [--rendezvous HOST:PORT] [--peer HOST:PORT]... [--plain]
//!
//! `--help` says the rest. `cargo verify chat NICK` runs it with every part whose
//! exercise you finished taken from your own crate, the chat node included.
//!
//! - [`parts`]: which crate each part comes from (the parts list is `Cargo.toml`'s
//!   `[features]`).
//! - [`wire`]: the protocols on the substreams, and their limits.
//! - [`conn`]: one connection: TCP, `/noise`, Noise XX, `/yamux/1.0.0`, substreams.
//! - [`room`]: the swarm node and the chat node, and what they ask for; the history on
//!   disk.
//! - [`discover`]: mDNS (the handbook's and libp2p's), rendezvous, `--peer`.
//! - [`ui`]: the terminal: a full-screen interface, or `--plain` lines.

mod conn;
mod discover;
mod parts;
mod room;
mod ui;
mod wire;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use parts::identity::Keypair;
use parts::identity::key_file::{load_key, save_key};
use parts::mdns::Interface;
use room::{Disk, Event, Room, Start};

/// The room chat: every laptop in the room, no server. Lines are signed, kept in each
/// author's log, pushed at once and repaired by anti-entropy; connections are Noise
/// over TCP, multiplexed by yamux.
#[derive(Parser, Debug)]
#[command(version)]
pub struct Args {
    /// The name you go by in the room (1 to 32 bytes; your key, not the name, is who
    /// you are).
    #[arg(value_parser = nick)]
    pub nick: String,
    /// Find the room on the LAN (every interface, listening on every address), not
    /// only on this machine.
    #[arg(long)]
    pub lan: bool,
    /// Do not use mDNS, neither the handbook's nor libp2p's (find the room with
    /// --rendezvous or --peer).
    #[arg(long)]
    pub no_mdns: bool,
    /// A rendezvous server to register with and find the room through, where multicast
    /// is blocked (`cargo run -p rendezvous-solution --bin rendezvous-server`).
    #[arg(long, value_name = "HOST:PORT")]
    pub rendezvous: Option<SocketAddr>,
    /// A peer to dial by hand (repeatable), as another chat prints it at start.
    #[arg(long = "peer", value_name = "HOST:PORT")]
    pub peers: Vec<SocketAddr>,
    /// The TCP port to listen on (0: any free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The room's name: peers announce and look for it (mDNS topic, rendezvous topic),
    /// and it is the gossipsub topic the room's lines are published on (`test-net`
    /// meets rust-libp2p's chat example).
    #[arg(long, default_value = "p2p-handbook-chat")]
    pub room: String,
    /// Where key files live: DIR/NICK.key is created on first use, and the history this
    /// key holds is kept in DIR/PEER-ID/, one log file per author.
    #[arg(long, value_name = "DIR", default_value = ".chat")]
    pub keys: PathBuf,
    /// Plain lines on stdin and stdout instead of the full-screen interface (for
    /// scripts, tests and terminals that cannot draw).
    #[arg(long)]
    pub plain: bool,
}

fn nick(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 32 || s.chars().any(char::is_control) {
        return Err("a nick is 1 to 32 bytes, with no control characters".into());
    }
    Ok(s.to_string())
}

fn keypair(dir: &std::path::Path, nick: &str) -> anyhow::Result<(Keypair, bool)> {
    let path = dir.join(format!("{nick}.key"));
    if path.exists() {
        return Ok((load_key(&path).with_context(|| format!("reading {}", path.display()))?, false));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let keypair = Keypair::generate();
    save_key(&path, &keypair).with_context(|| format!("writing {}", path.display()))?;
    Ok((keypair, true))
}

#[tokio::main]
async fn main() {
    name_the_part_that_panics();
    if let Err(e) = run().await {
        eprintln!("chat: {e:#}");
        std::process::exit(1);
    }
}

/// After the panic's own message, a line that names the part in the learner's terms
/// when the panic is in an exercise's code (which part, that it is the learner's, what
/// to run), and the parts the program was built from: a panic can come before the
/// start line that lists them.
fn name_the_part_that_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        if let Some(part) = info.location().and_then(|l| parts::of_file(l.file())) {
            eprintln!(
                "chat: the {part} part (yours: built from the {part} exercise) panicked; \
                 `cargo verify check {part}` shows which step fails. The program takes your {part} \
                 only while every step of it passes.\nchat: parts: {}",
                parts::summary()
            );
        }
    }));
}

/// The whole program: parse the arguments, start the room, run the interface until the
/// user leaves.
async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let (keypair, new) = keypair(&args.keys, &args.nick)?;
    // The stack speaks the reference identity's types; a learner's identity crate
    // makes the key, and it crosses over as its 32 secret bytes.
    let keypair = handshake_keypair(&keypair);
    let ip = if args.lan { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
    let listener =
        TcpListener::bind((ip, args.port)).await.with_context(|| format!("cannot listen on port {}", args.port))?;
    let listen = listener.local_addr()?;
    let (events_tx, events) = mpsc::channel(1024);
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    let state = args.keys.join(keypair.peer_id().to_string());
    let author = keypair.public().to_bytes();
    let start = match Disk::open(&state, author) {
        Ok(disk) if new || disk.own_intact => Start::Disk(disk),
        Ok(disk) => Start::Lost(Some(disk)),
        Err(e) if new => {
            eprintln!("chat: no history on disk ({}: {e})", state.display());
            Start::Fresh
        }
        Err(e) => {
            eprintln!("chat: no history on disk ({}: {e})", state.display());
            Start::Lost(None)
        }
    };
    let room =
        Room::new(keypair.clone(), &args.nick, &args.room, listen, args.peers.clone(), start, events_tx.clone(), ui_tx);
    let me = room.me().to_string();
    let mut intro = vec![
        format!("parts: {}", parts::summary()),
        format!("{} is {me}, listening on {listen}{}", args.nick, if new { " (a new key)" } else { "" }),
    ];
    let mdns = if args.no_mdns {
        None
    } else {
        let interface = if args.lan { Interface::All } else { Interface::Loopback };
        intro.push(format!(
            "looking for room {:?} with mDNS on {}",
            args.room,
            if args.lan { "the LAN" } else { "this machine" }
        ));
        let handbook = discover::Mdns::start(interface, &me, &args.room, listen.port(), events_tx.clone())
            .context("cannot start mDNS")?;
        // libp2p's mDNS is for libp2p nodes only: without it the room still finds
        // itself, so a failure is said and the program goes on.
        let libp2p = match discover::Libp2pMdns::start(args.lan, &me, listen.port(), events_tx.clone()) {
            Ok(libp2p) => {
                let service = parts::mdns::libp2p::SERVICE_NAME;
                intro.push(format!("and with libp2p's mDNS ({service}), so that libp2p nodes find us"));
                Some(libp2p)
            }
            Err(e) => {
                intro.push(format!("libp2p's mDNS is off: {e:#}"));
                None
            }
        };
        Some((handbook, libp2p))
    };
    if let Some(server) = args.rendezvous {
        intro.push(format!("registering with the rendezvous server at {server}"));
        tokio::spawn(discover::rendezvous(server, args.room.clone(), me.clone(), listen, events_tx.clone()));
    }
    tokio::spawn(conn::serve(listener, keypair, events_tx.clone()));
    let mut room = tokio::spawn(room.run(events));
    let ui = async {
        if args.plain {
            ui::plain(intro, ui_rx, events_tx.clone()).await
        } else {
            ui::full(intro, &args.nick, ui_rx, events_tx.clone()).await
        }
    };
    // The room ends only when told to: if it ends first, a part panicked (a `todo!` stub
    // in an exercise marked yours, most likely), and the program says so and stops.
    let result = tokio::select! {
        result = ui => result,
        ended = &mut room => Err(match ended {
            Err(e) if e.is_panic() => {
                let panic = e.into_panic();
                let why = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
                anyhow::anyhow!("the room stopped: a part panicked ({why}); see the message above")
            }
            _ => anyhow::anyhow!("the room stopped"),
        }),
    };
    if !room.is_finished() {
        let _ = events_tx.send(Event::Quit).await;
        let _ = room.await;
    }
    if let Some((handbook, libp2p)) = mdns {
        handbook.stop();
        if let Some(libp2p) = libp2p {
            libp2p.stop();
        }
    }
    result
}

/// The reference identity's keypair for the same secret.
fn handshake_keypair(keypair: &Keypair) -> identity_solution::Keypair {
    identity_solution::Keypair::from_secret_bytes(keypair.secret_bytes())
}
