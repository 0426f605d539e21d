//! How long mDNS discovery takes between two processes on this machine's loopback
//! interface: from starting a second process that announces itself until the first
//! reports it, and from that process saying goodbye until the first reports it gone.
//!
//!     cargo run --release -p mdns-solution --example mdns_bench [RUNS]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mdns_solution::{Discovery, Event, Interface};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--announce") {
        // The second process: announce until stdin closes, then say goodbye.
        let discovery = Discovery::start(&Interface::Loopback, &args[2], &args[3], 4000).expect("start");
        let _ = std::io::stdin().read(&mut [0u8; 1]);
        discovery.stop();
        return;
    }
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let (mut found, mut left) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let topic = format!("bench-{}-{run}", std::process::id());
        let mut me = Discovery::start(&Interface::Loopback, &format!("watcher-{run}"), &topic, 4001).expect("start");
        let started = Instant::now();
        let mut child = Command::new(&args[0])
            .args(["--announce", &format!("announcer-{run}"), &topic])
            .stdin(Stdio::piped())
            .spawn()
            .expect("start the second process");
        match me.next_event(Duration::from_secs(15)) {
            Some(Event::Joined(_)) => found.push(started.elapsed()),
            other => panic!("run {run}: expected the second process to be found, got {other:?}"),
        }
        let stopped = Instant::now();
        drop(child.stdin.take()); // the child says goodbye
        match me.next_event(Duration::from_secs(15)) {
            Some(Event::Left(_)) => left.push(stopped.elapsed()),
            other => panic!("run {run}: expected the second process to leave, got {other:?}"),
        }
        let _ = child.wait();
        me.stop();
    }
    for (what, mut times) in [("found", found), ("left noticed", left)] {
        times.sort();
        println!(
            "{what:>13}: median {:>4} ms, min {:>4} ms, max {:>4} ms over {runs} runs",
            times[times.len() / 2].as_millis(),
            times[0].as_millis(),
            times[times.len() - 1].as_millis()
        );
    }
}
