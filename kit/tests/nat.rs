//! The NAT model against RFC 4787's definitions: who gets in through which mapping.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use kit::nat::{HostId, Internet, NatKind, Packet};
use kit::{Context, Node, NodeId};

/// The node id of `addr`, as `kit::udp` names it.
fn id(addr: SocketAddrV4) -> NodeId {
    kit::udp::node_id(addr.into())
}

/// The address a node id names.
fn addr_of(id: &NodeId) -> SocketAddrV4 {
    id.as_str().parse().expect("a socket address")
}

/// Sends "hello" to each target at start, and records who reached it.
struct Inside {
    targets: Vec<SocketAddrV4>,
    heard_from: Vec<SocketAddrV4>,
}

impl Node for Inside {
    type Message = Packet;
    type Timer = ();
    fn on_start(&mut self, ctx: &mut Context<Packet, ()>) {
        for &t in &self.targets {
            ctx.send(id(t), Packet(b"hello".to_vec()));
        }
    }
    fn on_message(&mut self, _: &mut Context<Packet, ()>, from: NodeId, _: Packet) {
        self.heard_from.push(addr_of(&from));
    }
}

/// Remembers where packets come from, and on a timer sends "knock" to a given
/// address (the inside host's mapping, as an outside peer would learn it).
#[derive(Default)]
struct Outside {
    seen: Vec<SocketAddrV4>,
    knock: Option<SocketAddrV4>,
}

impl Node for Outside {
    type Message = Packet;
    type Timer = ();
    fn on_start(&mut self, ctx: &mut Context<Packet, ()>) {
        ctx.set_timer(Duration::from_millis(500), ());
    }
    fn on_message(&mut self, _: &mut Context<Packet, ()>, from: NodeId, _: Packet) {
        self.seen.push(addr_of(&from));
    }
    fn on_timer(&mut self, ctx: &mut Context<Packet, ()>, (): ()) {
        if let Some(to) = self.knock {
            ctx.send(id(to), Packet(b"knock".to_vec()));
        }
    }
}

/// A public address in RFC 5737's documentation range 203.0.113.0/24.
fn addr(host: u8, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, host), port)
}

/// The inside host sends to S1 (203.0.113.1:1000) and S2 (203.0.113.2:1000). Then two
/// strangers knock on the port S1 saw: one at S1's IP with another port, one at a
/// third IP. Returns (whether S1 and S2 saw different ports, who got in).
fn probe(kind: NatKind) -> (bool, Vec<SocketAddrV4>) {
    let mut net = Internet::new(1, Duration::from_millis(10));
    let (s1, s2) = (addr(1, 1000), addr(2, 1000));
    let h1 = net.add_public_node(s1, Outside::default());
    let h2 = net.add_public_node(s2, Outside::default());
    let nat = net.add_nat(Ipv4Addr::new(198, 51, 100, 1), kind);
    let inside = net.add_node_behind(
        nat,
        "198.18.1.2:5000".parse().unwrap(),
        Inside { targets: vec![s1, s2], heard_from: vec![] },
    );
    net.run_for(Duration::from_millis(100));
    let seen_by = |net: &Internet, h: HostId| net.node::<Outside>(h).unwrap().seen[0];
    let (m1, m2) = (seen_by(&net, h1), seen_by(&net, h2));
    assert_eq!(*m1.ip(), Ipv4Addr::new(198, 51, 100, 1), "packets leave with the NAT's public IP");
    for from in [addr(1, 2000), addr(3, 1000)] {
        net.add_public_node(from, Outside { seen: vec![], knock: Some(m1) });
    }
    net.run_for(Duration::from_secs(1));
    (m1 != m2, net.node::<Inside>(inside).unwrap().heard_from.clone())
}

#[test]
fn full_cone_lets_anyone_in_through_a_mapping() {
    let (new_port_per_destination, got_in) = probe(NatKind::FullCone);
    assert!(!new_port_per_destination, "endpoint-independent mapping: one public port for every destination");
    assert_eq!(got_in, vec![addr(1, 2000), addr(3, 1000)]);
}

#[test]
fn address_restricted_lets_in_any_port_of_an_address_it_sent_to() {
    let (new_port_per_destination, got_in) = probe(NatKind::AddressRestricted);
    assert!(!new_port_per_destination);
    assert_eq!(got_in, vec![addr(1, 2000)], "S1's IP on another port gets in; a third IP does not");
}

#[test]
fn port_restricted_lets_in_only_the_exact_address_and_port() {
    let (new_port_per_destination, got_in) = probe(NatKind::PortRestricted);
    assert!(!new_port_per_destination);
    assert!(got_in.is_empty(), "neither S1's other port nor a third IP gets in: {got_in:?}");
}

#[test]
fn symmetric_maps_each_destination_to_its_own_port() {
    let (new_port_per_destination, got_in) = probe(NatKind::Symmetric);
    assert!(new_port_per_destination, "address-and-port-dependent mapping: S1 and S2 see different ports");
    assert!(got_in.is_empty(), "{got_in:?}");
}

#[test]
fn replies_come_back_through_every_kind() {
    for kind in NatKind::ALL {
        let mut net = Internet::new(2, Duration::from_millis(10));
        let server = addr(1, 1000);
        struct Echo;
        impl Node for Echo {
            type Message = Packet;
            type Timer = ();
            fn on_message(&mut self, ctx: &mut Context<Packet, ()>, from: NodeId, p: Packet) {
                ctx.send(from, p);
            }
        }
        net.add_public_node(server, Echo);
        let nat = net.add_nat(Ipv4Addr::new(198, 51, 100, 9), kind);
        let inside = net.add_node_behind(
            nat,
            "198.18.1.3:1".parse().unwrap(),
            Inside { targets: vec![server], heard_from: vec![] },
        );
        net.run_for(Duration::from_secs(1));
        assert_eq!(
            net.node::<Inside>(inside).unwrap().heard_from,
            vec![server],
            "{kind:?}: the reply to an outgoing packet gets in"
        );
        assert_eq!(net.counters().filtered, 0);
    }
}
