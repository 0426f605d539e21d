//! Announce a peer and print the others of its topic as they come and go.
//!
//!     cargo run -p mdns -- PEER TOPIC PORT [--lan]
//!
//! Without `--lan` only this machine's loopback interface is used.

use std::time::Duration;

use mdns::{Discovery, Event, Interface};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lan = args.iter().any(|a| a == "--lan");
    let args: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [peer, topic, port] = args.as_slice() else {
        eprintln!("usage: PEER TOPIC PORT [--lan]");
        std::process::exit(2);
    };
    let Ok(port) = port.parse::<u16>() else {
        eprintln!("PORT must be a number from 0 to 65535, not {port}");
        std::process::exit(2);
    };
    let interface = if lan { Interface::All } else { Interface::Loopback };
    let mut discovery = match Discovery::start(&interface, peer, topic, port) {
        Ok(discovery) => discovery,
        Err(e) => {
            eprintln!("cannot start mDNS: {e}");
            std::process::exit(1);
        }
    };
    println!("announcing {peer} for {topic} on port {port} ({interface:?}); Ctrl-C to stop");
    loop {
        match discovery.next_event(Duration::from_secs(3600)) {
            Some(Event::Joined(p)) => println!("+ {} at {:?} port {}", p.peer, p.addrs, p.port),
            Some(Event::Left(peer)) => println!("- {peer}"),
            None => {}
        }
    }
}
