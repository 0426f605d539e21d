//! The gossip node as a Maelstrom binary: reads Maelstrom's JSON messages on stdin,
//! writes its replies on stdout.
//!
//! ```text
//! cargo build --release -p gossip
//! maelstrom test -w broadcast --bin target/release/gossip \
//!     --node-count 25 --time-limit 20 --rate 100 --latency 100
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    kit::maelstrom::run(gossip_solution::BroadcastNode::new(), stdin, tokio::io::stdout(), 0).await
}
