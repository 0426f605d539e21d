//! `cargo verify share NAME`: opt in to showing your progress to the instructor's
//! `cargo verify room`.
//!
//! Sharing is remembered in `.verify/share.json`; from then on every check the
//! runner records sends one signed datagram to the room with the result (the runner
//! emits a [`crate::Checked`] event after each check, and [`after_check`] takes it, so
//! what is sent comes from check results, not from re-reading the cache). The key that signs lives in
//! `.verify/share-key`, readable by its owner only, made with the identity
//! exercise's reference crate. `--stop` forgets the setting (the key stays, so the
//! name stays yours if you share again).

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use identity_solution::Keypair;
use serde::{Deserialize, Serialize};
use verify_meta::{Workspace, state, style};

use crate::room::{SERVICE_TYPE, wire};
use crate::{Checked, Handbook};

#[derive(clap::Args, Debug)]
#[command(after_help = "What is sent: your NAME, and per exercise you have checked the steps passed, the step
failing first, and for how long. No code, no file names, no host name. Signed with a key
kept in .verify/share-key, so nobody else can post as NAME in the room.

Examples:
  cargo verify share Ana --room blue-otter --lan      join the room on the workshop network
  cargo verify share Ana --room blue-otter --to 192.0.2.20:47474
                                                      when the room is not found (multicast blocked)
  cargo verify share                                  what is shared, and send it again now
  cargo verify share --stop                           stop sharing")]
pub struct Args {
    /// Your name as the room shows it (1 to 32 characters).
    name: Option<String>,
    /// The room code the instructor gives you.
    #[arg(long, value_name = "CODE")]
    room: Option<String>,
    /// Find the room on the local network with mDNS (default: this laptop only).
    #[arg(long)]
    lan: bool,
    /// With --lan: look on this network interface only (e.g. wlan0).
    #[arg(long, value_name = "NAME", requires = "lan")]
    interface: Option<String>,
    /// Send to the room at this address instead of finding it (HOST:PORT, as the
    /// instructor's screen shows it).
    #[arg(long, value_name = "HOST:PORT")]
    to: Option<String>,
    /// The room's UDP port, when it is not found by mDNS and no --to is given.
    #[arg(long, default_value_t = crate::room::DEFAULT_PORT)]
    port: u16,
    /// Stop sharing.
    #[arg(long, conflicts_with_all = ["name", "room", "lan", "interface", "to"])]
    stop: bool,
}

/// What the runner remembers about sharing, and the results it shares.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Sharing {
    pub name: String,
    pub room: String,
    /// Where reports go (found with mDNS, given with --to, or loopback).
    pub to: String,
    pub seq: u64,
    /// The latest check result of each exercise, as sent.
    #[serde(default)]
    pub exercises: BTreeMap<String, Recorded>,
}

/// One exercise's latest check, in this laptop's clock (seconds since 1970).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recorded {
    pub passed: u16,
    pub total: u16,
    pub stuck: Option<u16>,
    pub stuck_since: u64,
    pub checked_at: u64,
    /// What the audit of the exercise's crate found (the runner's audit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<String>,
}

pub(crate) fn settings_path(ws: &Workspace) -> PathBuf {
    ws.state_dir.join("share.json")
}

fn key_path(ws: &Workspace) -> PathBuf {
    ws.state_dir.join("share-key")
}

fn load(ws: &Workspace) -> Option<Sharing> {
    serde_json::from_slice(&std::fs::read(settings_path(ws)).ok()?).ok()
}

/// The learner's key: loaded, or made once (owner-only permissions, never overwritten).
fn key(ws: &Workspace) -> anyhow::Result<Keypair> {
    let path = key_path(ws);
    if path.exists() {
        return identity_solution::load_key(&path).context("cannot use the sharing key");
    }
    std::fs::create_dir_all(&ws.state_dir).context("cannot create .verify/")?;
    let keypair = Keypair::generate();
    identity_solution::save_key(&path, &keypair).context("cannot save the sharing key")?;
    Ok(keypair)
}

pub fn run(handbook: &Handbook, args: Args) -> anyhow::Result<ExitCode> {
    let ws = handbook.ws;
    if args.stop {
        match std::fs::remove_file(settings_path(ws)) {
            Ok(()) => println!("Stopped sharing. Nothing more is sent to the room."),
            Err(_) => println!("You were not sharing."),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = args.name.clone() else {
        let Some(mut sharing) = load(ws) else {
            println!("You are not sharing your progress. To join the instructor's room:");
            println!("    cargo verify share YOUR-NAME --room CODE --lan");
            return Ok(ExitCode::SUCCESS);
        };
        send(handbook, &mut sharing)?;
        save(ws, &sharing)?;
        println!("Sharing as {} with room {} at {}; sent again just now.", sharing.name, sharing.room, sharing.to);
        print_what(&sharing);
        return Ok(ExitCode::SUCCESS);
    };
    // The room shows names without invisible and bidi characters; so does this.
    let name = wire::display_name(&name);
    if !wire::valid_name(&name) {
        bail!("a name is 1 to {} visible characters, with no spaces at either end", wire::MAX_NAME);
    }
    let old = load(ws);
    let Some(room) = args.room.clone().or_else(|| old.as_ref().map(|s| s.room.clone())) else {
        bail!("which room? Add --room CODE (the instructor's screen shows the code)");
    };
    let to = match (&args.to, args.lan) {
        (Some(to), _) => resolve(to)?.to_string(),
        (None, true) => match find_room(&wire::room_tag(&room), args.interface.as_deref(), Duration::from_secs(5))? {
            Some(addr) => addr.to_string(),
            None => bail!(
                "no room {room} answered on the local network within 5 s. Check the code; if it is right, \
                 multicast is probably blocked here: ask the instructor for the room's address and add --to HOST:PORT"
            ),
        },
        (None, false) => SocketAddr::from(([127, 0, 0, 1], args.port)).to_string(),
    };
    let mut sharing = old.unwrap_or_default();
    sharing.name = name;
    sharing.room = room;
    sharing.to = to;
    key(ws)?;
    send(handbook, &mut sharing)?;
    save(ws, &sharing)?;
    println!("{} sharing as {} with room {} at {}.", style::green("✓"), sharing.name, sharing.room, sharing.to);
    print_what(&sharing);
    println!("  Every check you run from now on updates the room. Stop with: cargo verify share --stop");
    Ok(ExitCode::SUCCESS)
}

fn print_what(sharing: &Sharing) {
    println!("  What is sent: your name and, per exercise you checked since sharing, steps passed, the step");
    println!(
        "  failing first, and what the audit of your crate found (now {} exercise{}). No code, no file",
        sharing.exercises.len(),
        if sharing.exercises.len() == 1 { "" } else { "s" }
    );
    println!("  names, no host name.");
    for (name, recorded) in &sharing.exercises {
        if !recorded.audit.is_empty() {
            println!(
                "  {} {name}: the audit found {} (the room marks your row; `cargo verify check {name} --json` \
                 says where)",
                style::yellow("⚠"),
                recorded.audit.join(", ")
            );
        }
    }
}

fn save(ws: &Workspace, sharing: &Sharing) -> anyhow::Result<()> {
    state::save_json(&settings_path(ws), sharing).context("cannot save .verify/share.json")
}

fn resolve(to: &str) -> anyhow::Result<SocketAddr> {
    to.to_socket_addrs()
        .with_context(|| format!("{to} is not HOST:PORT"))?
        .next()
        .with_context(|| format!("{to} has no address"))
}

/// Browses mDNS for the room tagged `tag`, for at most `wait`: its first IPv4 address
/// and its port.
fn find_room(tag: &str, interface: Option<&str>, wait: Duration) -> anyhow::Result<Option<SocketAddr>> {
    let daemon = crate::room::mdns_daemon(interface).context("cannot start mDNS")?;
    let events = daemon.browse(SERVICE_TYPE).context("cannot browse mDNS")?;
    let deadline = Instant::now() + wait;
    let mut found = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let mdns_sd::ServiceEvent::ServiceResolved(service) = event
            && service.txt_properties.get_property_val_str("room") == Some(tag)
        {
            // The room's laptop may announce several addresses (loopback, a container
            // bridge, the wifi): prefer one another laptop can reach.
            let mut ips: Vec<std::net::IpAddr> =
                service.addresses.iter().map(|a| a.to_ip_addr()).filter(|ip| ip.is_ipv4()).collect();
            ips.sort_by_key(|ip| match ip {
                std::net::IpAddr::V4(v4) if v4.is_loopback() => 3,
                std::net::IpAddr::V4(v4) if v4.is_link_local() => 2,
                std::net::IpAddr::V4(v4) if v4.is_private() => 0,
                _ => 1,
            });
            if let Some(ip) = ips.first() {
                found = Some(SocketAddr::new(*ip, service.port));
                break;
            }
        }
    }
    let _ = daemon.shutdown();
    Ok(found)
}

/// The report this laptop sends: the name and the recorded results, with times
/// turned into durations (clocks of different laptops disagree; durations do not).
fn report(sharing: &Sharing, seq: u64, now: u64, doctor: Option<String>) -> wire::Report {
    let exercises = sharing
        .exercises
        .iter()
        .take(wire::MAX_EXERCISES)
        .map(|(name, r)| wire::Progress {
            exercise: name.clone(),
            passed: r.passed,
            total: r.total,
            stuck: r.stuck,
            stuck_secs: now.saturating_sub(r.stuck_since),
            checked_secs_ago: now.saturating_sub(r.checked_at),
            audit: r.audit.iter().take(wire::MAX_AUDIT).cloned().collect(),
        })
        .collect();
    wire::Report { name: sharing.name.clone(), seq, exercises, doctor }
}

/// Signs and sends one report, advancing `sharing.seq` (the caller saves it). The
/// sequence number is the time in milliseconds, or one more than the last, so it
/// grows across runs even if the file is lost.
fn send(handbook: &Handbook, sharing: &mut Sharing) -> anyhow::Result<()> {
    let keypair = key(handbook.ws)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    sharing.seq = sharing.seq.saturating_add(1).max(now_ms);
    // The last doctor's one line, so the room sees who cannot do mDNS before it matters.
    let doctor = handbook.doctor.clone();
    let to = resolve(&sharing.to)?;
    let datagram =
        wire::seal(&keypair, &wire::room_tag(&sharing.room), &report(sharing, sharing.seq, now_ms / 1000, doctor));
    let bind: SocketAddr = if to.ip().is_loopback() { ([127, 0, 0, 1], 0).into() } else { ([0, 0, 0, 0], 0).into() };
    let socket = UdpSocket::bind(bind).context("cannot open a UDP socket")?;
    socket.send_to(&datagram, to).with_context(|| format!("cannot send to the room at {to}"))?;
    Ok(())
}

/// Takes the runner's event after a check it recorded: records the result and sends
/// it to the room, if the learner shares. Never fails the check: a problem is one dim
/// line.
pub fn after_check(handbook: &Handbook, checked: &Checked) {
    let Some(mut sharing) = load(handbook.ws) else { return };
    let now = crate::now();
    let old = sharing.exercises.get(&checked.exercise);
    let stuck_since = match old {
        Some(o) if o.stuck == checked.stuck => o.stuck_since,
        _ => now,
    };
    sharing.exercises.insert(
        checked.exercise.clone(),
        Recorded {
            passed: checked.passed.min(checked.total),
            total: checked.total,
            stuck: checked.stuck.filter(|s| *s <= checked.total),
            stuck_since,
            checked_at: now,
            audit: checked.audit.clone(),
        },
    );
    // Saved even when sending fails, so the next report carries this result.
    let sent = send(handbook, &mut sharing);
    let saved = save(handbook.ws, &sharing);
    if let Err(e) = sent.and(saved) {
        eprintln!("{}", style::dim(&format!("(could not update the room: {e:#})")));
    }
}
