//! The reference mDNS peer (`solutions/02-mdns`) on one named interface, driven over
//! stdin and stdout by `tests/mdns.rs`, which runs it inside a network namespace.
//!
//!     mdns_peer INTERFACE PEER TOPIC PORT
//!
//! Prints `joined PEER TOPIC PORT ADDR…` and `left PEER` as others come and go. When its
//! standard input closes, it says goodbye (the reference's `Discovery::stop`) and exits.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;

use mdns_solution::{Discovery, Event, Interface};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [interface, peer, topic, port] = args.as_slice() else {
        anyhow::bail!("usage: mdns_peer INTERFACE PEER TOPIC PORT");
    };
    let port: u16 = port.parse()?;
    let mut discovery = Discovery::start(&Interface::Named(interface.clone()), peer, topic, port)?;
    println!("started");

    // Standard input closing is the signal to leave.
    let (closed_tx, closed) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        for _ in std::io::stdin().lock().lines() {}
        let _ = closed_tx.send(());
    });

    let mut out = std::io::stdout();
    while closed.try_recv().is_err() {
        match discovery.next_event(Duration::from_millis(100)) {
            Some(Event::Joined(p)) => {
                let addrs: Vec<String> = p.addrs.iter().map(|a| a.to_string()).collect();
                writeln!(out, "joined {} {} {} {}", p.peer, p.topic, p.port, addrs.join(" "))?;
            }
            Some(Event::Left(peer)) => writeln!(out, "left {peer}")?,
            None => {}
        }
        out.flush()?;
    }
    discovery.stop();
    println!("stopped");
    Ok(())
}
