//! `cargo verify doctor`: what will fail on this laptop, found the week before the
//! workshop instead of in the room.
//!
//! Each line is one question a learner cannot answer by looking: is Rust new enough,
//! is there room on the disk, is the workshop prepared for the offline afternoon, does
//! multicast work on loopback (the mDNS checks need it) and on the room's network (the
//! chat needs it), does a connection to a listening port arrive (a firewall), and what
//! is known not to work on this operating system. A line passes, warns or fails, and a
//! line that is not green says the fix in one sentence. Every probe is bounded in time
//! and talks only to this machine: the mDNS probes announce and find a service of the
//! doctor's own, and the LAN probes (only with `--lan`, which is for the room) use the
//! machine's own address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use verify::style;

use crate::app::App;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the result as JSON (for scripts and the room's board).
    #[arg(long)]
    json: bool,

    /// Also test the room's network: mDNS on every interface but loopback, and a TCP
    /// connection to this machine's own LAN address. Use it in the workshop room.
    #[arg(long)]
    lan: bool,

    /// With --lan: test mDNS on this interface only (for example `wlan0` or `en0`).
    #[arg(long, value_name = "NAME", requires = "lan")]
    interface: Option<String>,
}

/// How one line came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// Not tried on this machine, with the reason (for example `--lan` not given).
    Skip,
    Warn,
    Fail,
}

/// One line of the doctor's report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Line {
    /// A short stable name, for scripts: `rust`, `disk`, `offline`, `mdns-loopback`,
    /// `mdns-lan`, `tcp-loopback`, `tcp-lan`, `os`.
    pub name: String,
    pub status: Status,
    /// What was found, with figures.
    pub found: String,
    /// The fix, in one sentence, when the line is not green.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Line {
    fn new(name: &str, status: Status, found: impl Into<String>, fix: Option<&str>) -> Line {
        Line { name: name.into(), status, found: found.into(), fix: fix.map(String::from) }
    }
}

/// The whole report, as `--json` prints it and as it is saved for `share`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub os: String,
    pub lines: Vec<Line>,
}

impl Report {
    /// The worst status of any line.
    pub fn worst(&self) -> Status {
        self.lines.iter().map(|l| l.status).max().unwrap_or(Status::Pass)
    }

    /// One short phrase for the room's board: `ok`, or the names of the lines that
    /// fail and warn (`fail: mdns-loopback; warn: disk`).
    pub fn summary(&self) -> String {
        let names =
            |status| self.lines.iter().filter(|l| l.status == status).map(|l| l.name.as_str()).collect::<Vec<_>>();
        let (fail, warn) = (names(Status::Fail), names(Status::Warn));
        let mut parts = Vec::new();
        if !fail.is_empty() {
            parts.push(format!("fail: {}", fail.join(", ")));
        }
        if !warn.is_empty() {
            parts.push(format!("warn: {}", warn.join(", ")));
        }
        if parts.is_empty() { "ok".into() } else { parts.join("; ") }
    }
}

/// How long an mDNS probe waits for its own announcement. A working loopback answers
/// in milliseconds; a LAN interface in well under a second.
const MDNS_WAIT: Duration = Duration::from_secs(3);
/// How long a TCP probe waits for its connection.
const TCP_WAIT: Duration = Duration::from_secs(2);
/// Below this much free disk the workshop's builds may stop half-way (the prepared
/// workspace's `target/` is a few GiB and grows with each exercise).
const DISK_WARN_GIB: f64 = 4.0;
const DISK_FAIL_GIB: f64 = 1.0;

pub fn run(app: &App, args: Args) -> anyhow::Result<ExitCode> {
    if !args.json {
        println!("{}", style::bold("Checking this laptop for the workshop (a few seconds)…"));
    }
    let report = examine(app, &args);
    // `share` carries the summary to the room's board; a failure to save only costs that.
    let _ = verify::progress::save_json(&app.ws.state_dir.join("doctor.json"), &report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    Ok(if report.worst() == Status::Fail { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The report `doctor` saved last, if any: what `share` sends to the room.
pub fn saved(app: &App) -> Option<Report> {
    let bytes = std::fs::read(app.ws.state_dir.join("doctor.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn examine(app: &App, args: &Args) -> Report {
    let mut lines = vec![rust(&app.ws.root), disk(&app.ws.root), offline(app)];
    lines.push(mdns_loopback());
    lines.push(if args.lan {
        mdns_lan(args.interface.as_deref())
    } else {
        Line::new("mdns-lan", Status::Skip, "not tried: run `cargo verify doctor --lan` in the workshop room", None)
    });
    lines.push(tcp(IpAddr::V4(Ipv4Addr::LOCALHOST), "tcp-loopback"));
    lines.push(if args.lan {
        match lan_address() {
            Some(ip) => tcp(ip, "tcp-lan"),
            None => Line::new(
                "tcp-lan",
                Status::Warn,
                "this machine has no network address besides loopback",
                Some("join the room's wifi, then run `cargo verify doctor --lan` again"),
            ),
        }
    } else {
        Line::new("tcp-lan", Status::Skip, "not tried: run `cargo verify doctor --lan` in the workshop room", None)
    });
    lines.push(os_line());
    Report { os: std::env::consts::OS.into(), lines }
}

fn print_human(report: &Report) {
    for line in &report.lines {
        let mark = match line.status {
            Status::Pass => style::green("✓"),
            Status::Skip => style::dim("-"),
            Status::Warn => style::yellow("!"),
            Status::Fail => style::red("✗"),
        };
        println!("{mark} {:<14} {}", line.name, line.found);
        if let Some(fix) = &line.fix {
            println!("  {:<14} {} {fix}", "", style::bold("fix:"));
        }
    }
    println!();
    println!("{} {}", style::dim("In one line:"), report.summary());
    match report.worst() {
        Status::Fail => println!(
            "{} Something here will fail in the workshop; the fix is beside it. \
             `cargo verify share` shows the instructor this summary.",
            style::red("✗")
        ),
        Status::Warn => println!("{} Ready, with warnings worth reading.", style::yellow("!")),
        _ => println!("{} This laptop is ready for the workshop.", style::green("✓")),
    }
}

/// The Rust version against the workspace's `rust-version`.
fn rust(root: &Path) -> Line {
    let needed = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| t.get("workspace")?.get("package")?.get("rust-version")?.as_str().map(String::from));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Some(version) = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    else {
        return Line::new("rust", Status::Fail, "rustc was not found", Some("install Rust from https://rustup.rs"));
    };
    let have = version.split_whitespace().nth(1).unwrap_or("");
    match needed {
        Some(needed) if version_less(have, &needed) => Line::new(
            "rust",
            Status::Fail,
            format!("{version}; the handbook needs {needed} or newer"),
            Some("run `rustup update stable`"),
        ),
        Some(needed) => Line::new("rust", Status::Pass, format!("{version} (needs {needed} or newer)"), None),
        None => Line::new("rust", Status::Pass, version, None),
    }
}

/// Whether dotted version `a` is older than `b` (`1.87.0` < `1.88`); pre-release tags
/// (`1.90.0-nightly`) count as their release.
fn version_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.split(['-', '+']).next().unwrap_or("").split('.').map(|p| p.parse().unwrap_or(0)).collect()
    };
    let (mut a, mut b) = (parts(a), parts(b));
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    a < b
}

fn disk(root: &Path) -> Line {
    match free_bytes(root) {
        Some(bytes) => {
            let gib = bytes as f64 / (1u64 << 30) as f64;
            let found = format!("{gib:.1} GiB free where the handbook builds");
            if gib < DISK_FAIL_GIB {
                Line::new("disk", Status::Fail, found, Some("free at least 4 GiB: the workshop's builds need it"))
            } else if gib < DISK_WARN_GIB {
                Line::new("disk", Status::Warn, found, Some("free a few GiB: each exercise's build adds to target/"))
            } else {
                Line::new("disk", Status::Pass, found, None)
            }
        }
        None => Line::new("disk", Status::Skip, "free space is not measured on this operating system", None),
    }
}

#[cfg(unix)]
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a valid out pointer.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// Whether the workshop is prepared for offline use: `cargo verify setup` finished for
/// this `Cargo.lock`, and how many of the crates it names cargo has not downloaded.
fn offline(app: &App) -> Line {
    let (have, total) = downloaded_crates(&app.ws.root);
    let prepared = !crate::cmd::setup::needed(app);
    let missing = total - have;
    match (prepared, missing) {
        (true, 0) => {
            Line::new("offline", Status::Pass, format!("prepared: all {total} crates downloaded and built"), None)
        }
        (_, missing) if missing > 0 => Line::new(
            "offline",
            Status::Fail,
            format!("{missing} of {total} crates not downloaded yet"),
            Some("run `cargo verify setup` while online (at home, before the workshop)"),
        ),
        _ => Line::new(
            "offline",
            Status::Warn,
            format!("all {total} crates downloaded, but not built yet"),
            Some("run `cargo verify setup` once (it builds everything, offline)"),
        ),
    }
}

/// Of the registry crates `Cargo.lock` names, how many are in cargo's download cache.
fn downloaded_crates(root: &Path) -> (usize, usize) {
    let Some(lock) = std::fs::read_to_string(root.join("Cargo.lock")).ok().and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return (0, 0);
    };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .or_else(|| std::env::var_os("USERPROFILE").map(|h| Path::new(&h).join(".cargo")));
    // Cargo keeps one cache folder per registry (`index.crates.io-<hash>`); the
    // handbook uses crates.io only, and a vendored room kit is a folder of sources.
    let caches: Vec<std::path::PathBuf> = cargo_home
        .map(|home| home.join("registry").join("cache"))
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let packages = lock.get("package").and_then(|p| p.as_array()).cloned().unwrap_or_default();
    let mut total = 0;
    let mut have = 0;
    for package in &packages {
        let source = package.get("source").and_then(|s| s.as_str()).unwrap_or("");
        if !source.starts_with("registry+") {
            continue;
        }
        let (Some(name), Some(version)) =
            (package.get("name").and_then(|v| v.as_str()), package.get("version").and_then(|v| v.as_str()))
        else {
            continue;
        };
        total += 1;
        let file = format!("{name}-{version}.crate");
        if caches.iter().any(|dir| dir.join(&file).is_file()) {
            have += 1;
        }
    }
    (have, total)
}

/// The loopback interface's name on this operating system, if multicast can be
/// tried there.
fn loopback_name() -> Option<&'static str> {
    match std::env::consts::OS {
        "linux" => Some("lo"),
        "macos" | "freebsd" | "openbsd" | "netbsd" => Some("lo0"),
        _ => None,
    }
}

fn mdns_loopback() -> Line {
    const FIX: &str = "multicast is blocked on loopback here, so the mDNS exercise's checks cannot pass on this \
                       laptop: tell the instructor; the chat still joins with --peer HOST:PORT or --rendezvous";
    let Some(lo) = loopback_name() else {
        return Line::new(
            "mdns-loopback",
            Status::Warn,
            format!("not tried: {} has no multicast on a loopback interface", std::env::consts::OS),
            Some(
                "the mDNS exercise's checks need Linux or macOS (WSL works); the chat joins with --peer or --rendezvous",
            ),
        );
    };
    mdns_line("mdns-loopback", Some(lo), lo, FIX)
}

fn mdns_lan(interface: Option<&str>) -> Line {
    const FIX: &str = "multicast does not work on this network (many guest and campus wifis block it): \
                       the chat joins with --rendezvous HOST:PORT or --peer HOST:PORT instead of mDNS";
    mdns_line("mdns-lan", interface.or(Some("*lan*")), interface.unwrap_or("every interface"), FIX)
}

/// The line for one mDNS round trip on `interface`, named `label` for the learner.
fn mdns_line(name: &str, interface: Option<&str>, label: &str, fix: &str) -> Line {
    match mdns_round_trip(interface) {
        Ok(elapsed) => Line::new(
            name,
            Status::Pass,
            format!("an mDNS announcement on {label} found itself in {} ms", elapsed.as_millis()),
            None,
        ),
        Err(why) => Line::new(name, Status::Fail, format!("on {label}: {why}"), Some(fix)),
    }
}

/// Announces a service of the doctor's own and browses for it until it is resolved:
/// a real mDNS round trip through the interface (`*lan*` means every interface but
/// loopback). Bounded by [`MDNS_WAIT`].
fn mdns_round_trip(interface: Option<&str>) -> Result<Duration, String> {
    const TYPE: &str = "_p2p-doctor._udp.local.";
    let started = Instant::now();
    let daemon = mdns_sd::ServiceDaemon::new().map_err(|e| format!("cannot start mDNS ({e})"))?;
    let result = (|| {
        daemon.disable_interface(mdns_sd::IfKind::All).map_err(|e| e.to_string())?;
        match interface {
            Some("*lan*") => {
                daemon.enable_interface(mdns_sd::IfKind::All).map_err(|e| e.to_string())?;
                daemon.disable_interface(mdns_sd::IfKind::LoopbackV4).map_err(|e| e.to_string())?;
                daemon.disable_interface(mdns_sd::IfKind::LoopbackV6).map_err(|e| e.to_string())?;
            }
            Some(name) => daemon.enable_interface(mdns_sd::IfKind::Name(name.into())).map_err(|e| e.to_string())?,
            None => daemon.enable_interface(mdns_sd::IfKind::All).map_err(|e| e.to_string())?,
        }
        let mut nonce = [0u8; 6];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let instance = format!("doctor-{}", hex::encode(nonce));
        let host = format!("{instance}.local.");
        let info = mdns_sd::ServiceInfo::new(TYPE, &instance, &host, "", 9, &[("doctor", "1")][..])
            .map_err(|e| e.to_string())?
            .enable_addr_auto();
        let events = daemon.browse(TYPE).map_err(|e| e.to_string())?;
        daemon.register(info).map_err(|e| e.to_string())?;
        let deadline = started + MDNS_WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match events.recv_timeout(left) {
                Ok(mdns_sd::ServiceEvent::ServiceResolved(service)) if service.fullname.starts_with(&instance) => {
                    return Ok(started.elapsed());
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Err(format!("the announcement was not heard within {} s", MDNS_WAIT.as_secs()))
    })();
    let _ = daemon.shutdown();
    result
}

/// A listener on `ip` and a connection to it from this machine: a firewall that drops
/// inbound connections shows here (best effort: some firewalls let a machine's own
/// connections through).
fn tcp(ip: IpAddr, name: &str) -> Line {
    let fix = if ip.is_loopback() {
        "connections on loopback are blocked: the checks of every networking exercise need them; \
         allow local connections in the firewall or security software"
    } else {
        "inbound connections are blocked: allow `chat` (or the terminal) in the firewall, or the room's peers cannot dial you"
    };
    let attempt = || -> std::io::Result<Duration> {
        let bind = if ip.is_loopback() { ip } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
        let listener = TcpListener::bind(SocketAddr::new(bind, 0))?;
        let port = listener.local_addr()?.port();
        let started = Instant::now();
        let _client = TcpStream::connect_timeout(&SocketAddr::new(ip, port), TCP_WAIT)?;
        listener.set_nonblocking(true)?;
        while started.elapsed() < TCP_WAIT {
            match listener.accept() {
                Ok(_) => return Ok(started.elapsed()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the connection did not arrive"))
    };
    match attempt() {
        Ok(elapsed) => {
            Line::new(name, Status::Pass, format!("a connection to {ip} arrived in {} µs", elapsed.as_micros()), None)
        }
        Err(e) => Line::new(name, Status::Fail, format!("a connection to {ip} failed: {e}"), Some(fix)),
    }
}

/// This machine's address on the network it would use to reach the world, found
/// without sending anything: a UDP socket's `connect` only picks a route. The address
/// is a documentation one (RFC 5737), never contacted.
fn lan_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// What is known not to work on this operating system, and the way around it.
fn os_line() -> Line {
    let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
    match os {
        "linux" => Line::new("os", Status::Pass, format!("{os} {arch}: everything in the handbook runs here"), None),
        "macos" => Line::new(
            "os",
            Status::Pass,
            format!(
                "{os} {arch}: the first chat or room that listens makes macOS ask to accept incoming connections: \
                 click Allow"
            ),
            None,
        ),
        "windows" => Line::new(
            "os",
            Status::Warn,
            format!(
                "{os} {arch}: the runner cannot adopt a check's detached grandchildren (Linux only), and loopback \
                 multicast is not available"
            ),
            Some("work in WSL 2 for the mDNS exercise; everything else runs natively"),
        ),
        _ => Line::new("os", Status::Warn, format!("{os} {arch}: not tried by the handbook's CI"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert!(version_less("1.87.0", "1.88"));
        assert!(version_less("1.9.0", "1.88"));
        assert!(!version_less("1.88.0", "1.88"));
        assert!(!version_less("1.95.0", "1.88"));
        assert!(!version_less("1.100.0-nightly", "1.88"));
    }

    #[test]
    fn the_summary_names_what_fails_and_warns() {
        let report = Report {
            os: "linux".into(),
            lines: vec![
                Line::new("rust", Status::Pass, "", None),
                Line::new("disk", Status::Warn, "", None),
                Line::new("mdns-loopback", Status::Fail, "", None),
                Line::new("mdns-lan", Status::Skip, "", None),
            ],
        };
        assert_eq!(report.worst(), Status::Fail);
        assert_eq!(report.summary(), "fail: mdns-loopback; warn: disk");
        let ok = Report { os: "linux".into(), lines: vec![Line::new("rust", Status::Pass, "", None)] };
        assert_eq!(ok.summary(), "ok");
    }
}
