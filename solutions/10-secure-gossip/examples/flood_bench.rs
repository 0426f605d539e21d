//! What a flood of validly signed messages from fresh keys costs honest nodes.
//!
//!     cargo run --release -p secure-gossip-solution --example flood_bench
//!
//! Four honest nodes publish 10 lines each while a fifth node sends 3,000 envelopes,
//! each from a new key, 30 every 10 ms, to all of them. Prints, per honest node, how
//! many honest lines arrived, how much spam got through, how much was refused and
//! why, and how many authors its guard remembers.

use std::time::Duration;

use kit::{Context, Node, NodeId, Sim, SimConfig};
use secure_gossip_solution::identity::Keypair;
use secure_gossip_solution::{Envelope, Msg, SecureNode};

struct Flooder(u64);

impl Node for Flooder {
    type Message = Msg;
    type Timer = ();
    fn on_start(&mut self, ctx: &mut Context<Msg, ()>) {
        ctx.set_timer(Duration::from_millis(10), ());
    }
    fn on_message(&mut self, _: &mut Context<Msg, ()>, _: NodeId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<Msg, ()>, _: ()) {
        if self.0 >= 3000 {
            return;
        }
        let batch: Vec<Envelope> = (0..30)
            .map(|_| {
                self.0 += 1;
                let mut secret = [7u8; 32];
                secret[..8].copy_from_slice(&self.0.to_be_bytes());
                Envelope::sign(&Keypair::from_secret_bytes(secret), 1, b"buy cheap keys")
            })
            .collect();
        for peer in ctx.peers().to_vec() {
            ctx.send(peer, Msg::Gossip { envelopes: batch.clone() });
        }
        ctx.set_timer(Duration::from_millis(10), ());
    }
}

fn main() {
    let mut sim: Sim<Msg, ()> =
        Sim::new(SimConfig { seed: 8, latency: Duration::from_millis(20), ..SimConfig::default() });
    let ids: Vec<NodeId> =
        (0..4u8).map(|i| sim.add_node(SecureNode::new(Keypair::from_secret_bytes([i + 1; 32])))).collect();
    sim.add_node(Flooder(0));
    for k in 0..10 {
        for id in &ids {
            sim.client_send(&NodeId::client(0), id, Msg::Publish { text: format!("line {k} from {id}") });
        }
        sim.run_for(Duration::from_millis(200));
    }
    sim.run_for(Duration::from_secs(3));
    sim.take_client_messages();
    for id in &ids {
        sim.client_send(&NodeId::client(0), id, Msg::Read);
    }
    sim.run_for(Duration::from_secs(1));
    println!("flood: 3,000 envelopes from fresh keys to each of 4 honest nodes, over 1 s");
    for m in sim.take_client_messages() {
        if let Msg::ReadOk { delivered, rejected, tracked_authors } = m.message {
            let honest = delivered.iter().filter(|(_, _, p)| p.starts_with(b"line")).count();
            println!(
                "  {}: {honest}/40 honest lines, {} spam delivered, refused {:?}, {tracked_authors} authors remembered",
                m.from,
                delivered.len() - honest,
                rejected
            );
        }
    }
}
