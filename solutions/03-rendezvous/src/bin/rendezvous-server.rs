//! The rendezvous server, for a workshop room where multicast is blocked: run it on
//! one laptop and point everyone's chat at it.
//!
//!     cargo run -p rendezvous-solution --bin rendezvous-server -- --listen 0.0.0.0:4000

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;

/// A rendezvous point: peers register under a topic and discover each other.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where to listen, such as 127.0.0.1:4000 (this machine only) or 0.0.0.0:4000
    /// (the room's network).
    #[arg(long, default_value = "127.0.0.1:4000")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let server = rendezvous_solution::spawn(listener).context("cannot start the server")?;
    println!("rendezvous server on {}; Ctrl-C to stop", server.addr());
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    server.stop();
    Ok(())
}
