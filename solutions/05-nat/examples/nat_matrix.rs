//! For every pair of NAT types: does the reference connect directly or through the
//! relay, and how long after start does each side have its connection?
//!
//!     cargo run --release -p nat-solution --example nat_matrix

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use kit::nat::{Internet, NatKind};
use nat_solution::{Path, Peer, Relay, Server};

const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 1), 3478);
const RELAY: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 2), 3479);

fn main() {
    println!("one-way latency 20 ms per hop; time until both peers have a connection\n");
    print!("{:>18}", "dialer \\ listener");
    for b in NatKind::ALL {
        print!(" {:>18}", format!("{b:?}"));
    }
    println!();
    for a in NatKind::ALL {
        print!("{:>18}", format!("{a:?}"));
        for b in NatKind::ALL {
            let mut net = Internet::new(1, Duration::from_millis(20));
            net.add_public_node(SERVER, Server::new());
            net.add_public_node(RELAY, Relay::new());
            let nat_a = net.add_nat(Ipv4Addr::new(198, 51, 100, 1), a);
            let nat_b = net.add_nat(Ipv4Addr::new(198, 51, 100, 2), b);
            let alice = net.add_node_behind(
                nat_a,
                "198.18.1.10:5000".parse().unwrap(),
                Peer::new("alice", SERVER, RELAY, Some("bob")),
            );
            let bob =
                net.add_node_behind(nat_b, "198.18.2.10:5000".parse().unwrap(), Peer::new("bob", SERVER, RELAY, None));
            let mut when = None;
            while net.now() < Duration::from_secs(10) {
                net.run_for(Duration::from_millis(10));
                let both = [alice, bob].map(|h| net.node::<Peer>(h).unwrap().connection().cloned());
                if let [Some(x), Some(_)] = both {
                    when = Some((net.now(), x.path));
                    break;
                }
            }
            let cell = match when {
                Some((t, Path::Direct(_))) => format!("direct {} ms", t.as_millis()),
                Some((t, Path::Relayed)) => format!("relay {} ms", t.as_millis()),
                None => "no connection".into(),
            };
            print!(" {cell:>18}");
        }
        println!();
    }
}
