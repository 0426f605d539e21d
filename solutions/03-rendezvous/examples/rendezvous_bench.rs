//! Registrations and discoveries per second with 1,000 concurrent clients on loopback.
//!
//!     cargo run --release -p rendezvous-solution --example rendezvous_bench [CLIENTS] [OPS]

use std::sync::Arc;
use std::time::Instant;

use rendezvous_solution::{Client, spawn};
use tokio::net::TcpListener;
use tokio::sync::Barrier;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok());
    let clients = args.next().unwrap_or(1000);
    let ops = args.next().unwrap_or(20);
    let topics = 50;
    let server = spawn(TcpListener::bind("127.0.0.1:0").await.unwrap()).unwrap();
    let addr = server.addr();
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await.expect("connect");
            let topic = format!("topic-{}", c % topics);
            let addrs = vec![format!("127.0.0.1:{}", 10_000 + c)];
            barrier.wait().await; // everyone connected
            barrier.wait().await; // go: registrations
            for i in 0..ops {
                client.register(&topic, &format!("peer-{c}-{i}"), &addrs, 600).await.expect("register");
            }
            barrier.wait().await; // go: discoveries
            let mut seen = 0;
            for _ in 0..ops {
                seen += client.discover(&topic, 0, 100).await.expect("discover").0.len();
            }
            seen
        }));
    }
    barrier.wait().await;
    println!("{clients} clients connected, {ops} operations each, {topics} topics");
    let started = Instant::now();
    barrier.wait().await;
    barrier.wait().await;
    let registering = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut seen = 0;
    for task in tasks {
        seen += task.await.unwrap();
    }
    let discovering = started.elapsed().as_secs_f64();
    let n = (clients * ops) as f64;
    println!("registrations: {:>9.0} per second ({:.2} s for {n})", n / registering, registering);
    println!(
        "discoveries:   {:>9.0} per second ({:.2} s for {n}; {:.0} registrations returned on average, up to 100 a page)",
        n / discovering,
        discovering,
        seen as f64 / n
    );
}
