//! `cargo verify room`: the instructor's live view of the room.
//!
//! Three loops around one [`Board`]: a UDP socket takes the learners' signed
//! reports (see [`crate::room::wire`]), a small HTTP server serves the page (and its
//! refreshing part, and the state as JSON), and the main loop redraws the terminal
//! table. With `--lan` the room listens on every interface and announces itself with
//! mDNS, so learners' runners find it; otherwise everything stays on loopback.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use verify_meta::{Workspace, steps, style};

use crate::now;
use crate::room::board::Board;
use crate::room::{SERVICE_TYPE, render, wire};

#[derive(clap::Args, Debug)]
#[command(after_help = "Learners join with: cargo verify share NAME --room CODE (add --lan on the room's network).
The design, what the board can and cannot trust, and what to do when multicast is blocked:
book/instructors/room.md.")]
pub struct Args {
    /// The room code learners type to join (default: a new random one, printed).
    #[arg(long, value_name = "CODE")]
    code: Option<String>,
    /// The UDP port learners' reports arrive on.
    #[arg(long, default_value_t = crate::room::DEFAULT_PORT)]
    port: u16,
    /// Where to serve the web page (use 0.0.0.0:PORT to show it to the room's network).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:47475")]
    web: SocketAddr,
    /// Listen on every interface and announce the room with mDNS on the LAN (default:
    /// loopback only, which is for trying it out on one laptop).
    #[arg(long)]
    lan: bool,
    /// With --lan: announce on this network interface only (e.g. wlan0; `lo` keeps
    /// everything on this laptop, for trying it out).
    #[arg(long, value_name = "NAME", requires = "lan")]
    interface: Option<String>,
    /// Print the table only when it changes, without clearing the screen (the default
    /// when the output is not a terminal).
    #[arg(long)]
    plain: bool,
    /// The most learners one address may add (raise it when every laptop reaches the
    /// room through one address, a NAT; this laptop's own loopback is never limited).
    #[arg(long, value_name = "N", default_value_t = crate::room::board::MAX_ROWS_PER_ADDRESS)]
    per_address: usize,
}

/// How often the table is redrawn (and quiet learners forgotten), in milliseconds.
const TICK_MS: u64 = 1000;
/// How long one HTTP request may take in all, from accepting the connection to the
/// last byte of the answer: a client that sends its request (or reads the answer) a
/// byte at a time is cut off then, however steadily it trickles.
const HTTP_DEADLINE: Duration = Duration::from_secs(5);
/// The longest request head the HTTP server reads: GET lines are short.
const MAX_REQUEST: usize = 8 * 1024;
/// How many connections from the room's network are served at once, each on a thread
/// of its own, and how many one address may hold: a phone or two and a few slow or
/// hostile clients never keep the page from anyone else. This laptop's own
/// connections (the projector's browser) have a pool of [`MAX_CONNECTIONS`] of their
/// own, so the network can never keep the page from it.
const MAX_CONNECTIONS: usize = 64;
const MAX_CONNECTIONS_PER_ADDRESS: usize = 8;

pub fn run(ws: &Workspace, args: Args) -> anyhow::Result<ExitCode> {
    let code = args.code.clone().unwrap_or_else(random_code);
    let tag = wire::room_tag(&code);
    let mut exercises = Vec::new();
    for e in &ws.exercises {
        let steps = steps::scan(&e.checks_dir()).map(|s| s.len()).unwrap_or(0);
        exercises.push((e.name.clone(), u16::try_from(steps).unwrap_or(u16::MAX)));
    }
    let mut board = Board::new(tag.clone(), exercises);
    board.per_address = args.per_address.max(1);
    let board = Arc::new(Mutex::new(board));

    let loopback_only = !args.lan || args.interface.as_deref() == Some("lo");
    let ip = if loopback_only { "127.0.0.1" } else { "0.0.0.0" };
    let udp = UdpSocket::bind((ip, args.port))
        .with_context(|| format!("cannot listen on UDP {ip}:{} (is another room running? --port)", args.port))?;
    let udp_addr = udp.local_addr()?;
    let web = TcpListener::bind(args.web).with_context(|| format!("cannot serve the page on {} (--web)", args.web))?;
    let web_addr = web.local_addr()?;

    let _mdns = if args.lan { Some(announce(&tag, udp_addr.port(), args.interface.as_deref())?) } else { None };

    println!("{} {}", style::bold("Room code:"), style::bold(&code));
    println!("room: tag {tag} · listening on udp {udp_addr} · page http://{web_addr}/");
    if args.lan {
        println!("Learners join with: cargo verify share NAME --room {code} --lan");
        println!(
            "(if they do not find the room, multicast is blocked: add --to <this laptop's address>:{})",
            udp_addr.port()
        );
    } else {
        println!("Loopback only (this laptop). For a room, run with --lan. Try: cargo verify share NAME --room {code}");
    }
    std::io::stdout().flush().ok();

    {
        let board = board.clone();
        std::thread::spawn(move || receive(udp, board));
    }
    {
        let board = board.clone();
        std::thread::spawn(move || serve(web, board));
    }

    let tty = std::io::IsTerminal::is_terminal(&std::io::stdout()) && !args.plain;
    let mut last = String::new();
    loop {
        let now = now();
        let table = {
            let mut b = board.lock().unwrap_or_else(|e| e.into_inner());
            b.expire(now);
            render::table(&b, now)
        };
        if tty {
            print!("\x1b[2J\x1b[H{}{}", style::bold(&format!("Room {code} · page http://{web_addr}/\n")), table);
            std::io::stdout().flush().ok();
        } else if table != last {
            println!("---\n{table}");
            std::io::stdout().flush().ok();
        }
        last = table;
        std::thread::sleep(Duration::from_millis(TICK_MS));
    }
}

/// A code easy to say out loud and type: three short words would need a word list,
/// so six letters without the easily confused ones.
fn random_code() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes.iter().map(|b| LETTERS[usize::from(*b) % LETTERS.len()] as char).collect()
}

/// Takes datagrams forever. The buffer is one byte larger than the largest
/// datagram allowed, so an oversized one shows as such (the kernel truncates it).
fn receive(udp: UdpSocket, board: Arc<Mutex<Board>>) {
    let mut buf = vec![0u8; wire::MAX_DATAGRAM + 1];
    loop {
        let Ok((n, from)) = udp.recv_from(&mut buf) else {
            continue;
        };
        let mut b = board.lock().unwrap_or_else(|e| e.into_inner());
        let _ = b.receive_from(&buf[..n], from.ip(), now());
    }
}

/// Serves the page: every connection on a thread of its own, so one slow client
/// never delays another; at most [`MAX_CONNECTIONS`] at once and
/// [`MAX_CONNECTIONS_PER_ADDRESS`] from one address (a connection beyond either is
/// closed at once); each request answered or cut off within [`HTTP_DEADLINE`].
fn serve(web: TcpListener, board: Arc<Mutex<Board>>) {
    let open = Arc::new(Mutex::new(HashMap::new()));
    for stream in web.incoming() {
        let Ok(stream) = stream else { continue };
        let ip = stream.peer_addr().map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let Some(slot) = Slot::take(&open, ip) else { continue };
        let board = board.clone();
        let _ = std::thread::Builder::new().name("room-page".into()).spawn(move || {
            let _slot = slot;
            let _ = answer(stream, &board);
        });
    }
}

/// One connection being served, counted against its address until dropped.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr) -> Option<Slot> {
        let mut counts = open.lock().unwrap_or_else(|e| e.into_inner());
        // This laptop's own connections (the projector's browser) do not count
        // against the others: the room's network can never keep the page from it.
        let total: usize = counts.iter().filter(|(ip, _)| !ip.is_loopback()).map(|(_, n)| n).sum();
        let mine = counts.entry(ip).or_insert(0);
        let full = if ip.is_loopback() {
            *mine >= MAX_CONNECTIONS
        } else {
            total >= MAX_CONNECTIONS || *mine >= MAX_CONNECTIONS_PER_ADDRESS
        };
        if full {
            return None;
        }
        *mine += 1;
        Some(Slot { open: open.clone(), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

fn answer(mut stream: TcpStream, board: &Mutex<Board>) -> std::io::Result<()> {
    let deadline = Instant::now() + HTTP_DEADLINE;
    let head = read_head(&mut stream, deadline)?;
    let line = head.lines().next().unwrap_or("");
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let now = now();
    let (status, kind, body) = {
        let b = board.lock().unwrap_or_else(|e| e.into_inner());
        match path {
            "/" | "/index.html" => ("200 OK", "text/html; charset=utf-8", render::page(&b, now, "The room")),
            "/board" => ("200 OK", "text/html; charset=utf-8", render::board_html(&b, now)),
            "/state.json" => {
                let state = serde_json::json!({ "now": now, "board": &*b, "most_common_stuck": b.most_common_stuck() });
                ("200 OK", "application/json", state.to_string())
            }
            _ => ("404 Not Found", "text/plain; charset=utf-8", "not found\n".to_string()),
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body.as_bytes());
    write_by(&mut stream, &response, deadline)
}

/// The time left before `deadline`, or a time-out error once it has passed.
fn left(deadline: Instant) -> std::io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::TimedOut))
}

/// The request head (up to its blank line, [`MAX_REQUEST`] bytes at most, or what
/// came before the client closed), read by `deadline`.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while head.len() < MAX_REQUEST && !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        stream.set_read_timeout(Some(left(deadline)?))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Writes all of `bytes` by `deadline`, however slowly the client reads.
fn write_by(stream: &mut TcpStream, mut bytes: &[u8], deadline: Instant) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.set_write_timeout(Some(left(deadline)?))?;
        let n = stream.write(bytes)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    stream.flush()
}

/// Announces the room on the LAN: instance `room-<tag>` of [`SERVICE_TYPE`], its UDP
/// port, the tag in TXT, and a host name made from the tag (not the laptop's own).
fn announce(tag: &str, port: u16, interface: Option<&str>) -> anyhow::Result<mdns_sd::ServiceDaemon> {
    let daemon = crate::room::mdns_daemon(interface).context("cannot start mDNS")?;
    let instance = format!("room-{tag}");
    let host = format!("p2p-room-{tag}.local.");
    let info = mdns_sd::ServiceInfo::new(SERVICE_TYPE, &instance, &host, "", port, &[("room", tag)][..])
        .context("cannot build the mDNS announcement")?
        .enable_addr_auto();
    daemon.register(info).context("cannot announce the room with mDNS")?;
    Ok(daemon)
}
