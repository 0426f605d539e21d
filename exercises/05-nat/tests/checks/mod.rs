//! The nat exercise's checks: the theory, the relay, then peers behind every pair of
//! NAT types on the kit's NAT model, with your code on one side or both.

use std::any::Any;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use kit::nat::{HostId, Internet, NatKind};
use kit::udp::Datagram;
use kit::{Context, Node, NodeId};

use crate::reference;
use crate::subject;

const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 1), 3478);
const RELAY: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 2), 3479);

/// Which pairs theory says can be punched through, in RFC 4787's terms: the
/// reference's answer, so that these checks do not spell out step 1 for you.
fn theory(a: NatKind, b: NatKind) -> bool {
    reference::direct_possible(a, b)
}

/// Which pairs of NAT types can be punched through, for all 16 ordered pairs
#[test]
fn step_1_theory() {
    for a in NatKind::ALL {
        for b in NatKind::ALL {
            let want = theory(a, b);
            assert_eq!(
                subject::direct_possible(a, b),
                want,
                "direct_possible({a:?}, {b:?}) is {want}: ask where each NAT maps a packet to a new destination \
                 (RFC 4787 §4.1, mapping) and what it lets in from an address it has not sent to (§5, filtering)"
            );
        }
    }
}

/// A node that sends a script of datagrams, one per 100 ms, and keeps what it receives.
struct Script {
    to: SocketAddrV4,
    script: Vec<reference::Wire>,
    got: Vec<reference::Wire>,
}

impl Script {
    fn new(to: SocketAddrV4, script: Vec<reference::Wire>) -> Script {
        Script { to, script, got: Vec::new() }
    }
}

impl Node for Script {
    type Message = reference::Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<reference::Msg, ()>) {
        ctx.set_timer(Duration::from_millis(100), ());
    }
    fn on_message(&mut self, _: &mut Context<reference::Msg, ()>, _: NodeId, message: reference::Msg) {
        match message {
            reference::Msg::Wire(wire) => self.got.push(wire),
            reference::Msg::Unreadable(bytes) => panic!("not a message: {}", String::from_utf8_lossy(&bytes)),
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<reference::Msg, ()>, (): ()) {
        if !self.script.is_empty() {
            reference::wire::send(ctx, self.to, self.script.remove(0));
            ctx.set_timer(Duration::from_millis(100), ());
        }
    }
}

fn join(from: &str, to: &str, session: u64) -> reference::Wire {
    reference::Wire::RelayJoin { from: from.into(), to: to.into(), session }
}

fn data(session: u64, text: &str) -> reference::Wire {
    reference::Wire::RelayData { session, data: text.into() }
}

fn public(last: u8) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, last), 5000)
}

/// The relay forwards between the two peers of a session once both joined, and for nobody else
#[test]
fn step_2_relay() {
    let mut net = Internet::new(2, Duration::from_millis(10));
    net.add_public_node(RELAY, subject::Relay::new());
    // alice joins at 100 ms and sends data at 200 ms (too early: bob is not there)
    // and at 600 ms; bob joins at 400 ms.
    let alice = net.add_public_node(
        public(1),
        Script::new(
            RELAY,
            vec![
                join("alice", "bob", 7),
                data(7, "too early"),
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                data(7, "hi bob"),
            ],
        ),
    );
    let bob = net.add_public_node(
        public(2),
        Script::new(
            RELAY,
            vec![
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                join("bob", "alice", 7),
                data(7, "hi alice"),
            ],
        ),
    );
    // mallory knows the session number and tries everything.
    let mallory = net.add_public_node(
        public(3),
        Script::new(
            RELAY,
            vec![
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                reference::Wire::Punch { from: "x".into(), session: 0 },
                data(7, "from mallory"),
                join("mallory", "alice", 7),
                join("bob", "alice", 7),
                data(7, "from mallory again"),
                data(99, "no such session"),
            ],
        ),
    );
    net.run_for(Duration::from_secs(3));
    let got = |id: HostId| net.node::<Script>(id).unwrap().got.clone();
    let (a, b, m) = (got(alice), got(bob), got(mallory));
    let ready = reference::Wire::RelayReady { session: 7 };
    assert!(
        a.contains(&ready) && b.contains(&ready),
        "both members get RelayReady once the second joins: alice got {a:?}, bob got {b:?}"
    );
    assert!(
        matches!(a.first(), Some(reference::Wire::RelayRefused { session: 7, .. })),
        "data before the session is ready is refused, not forwarded: alice got {a:?}"
    );
    assert!(b.contains(&data(7, "hi bob")), "alice's data reaches bob: bob got {b:?}");
    assert!(a.contains(&data(7, "hi alice")), "bob's data reaches alice: alice got {a:?}");
    for text in ["too early", "from mallory", "from mallory again"] {
        assert!(
            !a.contains(&data(7, text)) && !b.contains(&data(7, text)),
            "{text:?} must not be forwarded: the relay forwards only between the two members of a ready session"
        );
    }
    let refusals = m.iter().filter(|w| matches!(w, reference::Wire::RelayRefused { .. })).count();
    assert_eq!(
        refusals,
        m.len(),
        "mallory gets only refusals (a member's name from another address is someone else): {m:?}"
    );
    assert!(
        refusals >= 4,
        "every one of mallory's data and join requests is refused (a claim to be bob from another address included): {m:?}"
    );
    assert!(!m.contains(&ready), "mallory never gets RelayReady");
}

/// One connection attempt: `dialer` behind a NAT of kind `a` dials `listener` behind `b`.
struct Attempt {
    net: Internet,
    relay: HostId,
    dialer: HostId,
    listener: HostId,
}

fn attempt<D, L, R>(a: NatKind, b: NatKind, dialer: D, listener: L, relay: R, seed: u64) -> Attempt
where
    D: Node + Any,
    L: Node + Any,
    R: Node + Any,
    D::Message: Datagram,
    L::Message: Datagram,
    R::Message: Datagram,
{
    let mut net = Internet::new(kit::seed(seed), Duration::from_millis(20));
    net.add_public_node(SERVER, reference::Server::new());
    let relay = net.add_public_node(RELAY, relay);
    let nat_a = net.add_nat(Ipv4Addr::new(198, 51, 100, 1), a);
    let nat_b = net.add_nat(Ipv4Addr::new(198, 51, 100, 2), b);
    let dialer = net.add_node_behind(nat_a, SocketAddrV4::new(Ipv4Addr::new(198, 18, 1, 10), 5000), dialer);
    let listener = net.add_node_behind(nat_b, SocketAddrV4::new(Ipv4Addr::new(198, 18, 2, 10), 5000), listener);
    net.run_for(Duration::from_secs(10));
    Attempt { net, relay, dialer, listener }
}

fn yours(id: &str, dial: Option<&str>) -> subject::Peer {
    subject::Peer::new(id, SERVER, RELAY, dial)
}

fn theirs(id: &str, dial: Option<&str>) -> reference::Peer {
    reference::Peer::new(id, SERVER, RELAY, dial)
}

/// What a peer ended up with, whichever crate it comes from.
struct Outcome {
    direct: Option<bool>,
    peer: Option<String>,
    received: Vec<String>,
}

fn outcome_of(net: &Internet, id: HostId) -> Outcome {
    if let Some(p) = net.node::<subject::Peer>(id) {
        let c = p.connection();
        return Outcome {
            direct: c.map(|c| matches!(c.path, subject::Path::Direct(_))),
            peer: c.map(|c| c.peer.clone()),
            received: p.received().to_vec(),
        };
    }
    let p = net.node::<reference::Peer>(id).expect("a peer");
    let c = p.connection();
    Outcome {
        direct: c.map(|c| matches!(c.path, reference::Path::Direct(_))),
        peer: c.map(|c| c.peer.clone()),
        received: p.received().to_vec(),
    }
}

fn assert_connected(a: NatKind, b: NatKind, at: &Attempt, who: &str) {
    let want_direct = theory(a, b);
    let how = if want_direct { "directly" } else { "through the relay" };
    for (id, me, other) in [(at.dialer, "alice", "bob"), (at.listener, "bob", "alice")] {
        let o = outcome_of(&at.net, id);
        assert_eq!(
            o.peer.as_deref(),
            Some(other),
            "{who}, {a:?} dials {b:?}: {me} must be connected to {other} {how} (punch first; once punching has \
             failed, fall back to the relay)"
        );
        assert_eq!(o.direct, Some(want_direct), "{who}, {a:?} dials {b:?}: {me} must be connected {how}");
        assert_eq!(
            o.received,
            vec![format!("hello from {other}")],
            "{who}, {a:?} dials {b:?}: {me} must receive {other}'s greeting, once"
        );
    }
}

/// Two of your peers behind cone NATs punch through and greet each other directly
#[test]
fn step_3_direct() {
    for (a, b) in [
        (NatKind::FullCone, NatKind::FullCone),
        (NatKind::PortRestricted, NatKind::PortRestricted),
        (NatKind::AddressRestricted, NatKind::FullCone),
    ] {
        let at = attempt(a, b, yours("alice", Some("bob")), yours("bob", None), reference::Relay::new(), 3);
        let alice = at.net.node::<subject::Peer>(at.dialer).unwrap();
        assert_eq!(
            alice.observed().map(|o| *o.ip()),
            Some(Ipv4Addr::new(198, 51, 100, 1)),
            "the server tells alice her public address"
        );
        assert_connected(a, b, &at, "your peers");
        assert_eq!(
            at.net.node::<reference::Relay>(at.relay).map(|r| r.forwarded),
            Some(0),
            "a punched connection does not use the relay"
        );
    }
}

/// Every pair of NAT types, your peers on both sides: direct where theory allows, relayed otherwise
#[test]
fn step_4_every_pair() {
    let (mut direct, mut relayed, mut forwarded_all) = (0, 0, 0);
    for a in NatKind::ALL {
        for b in NatKind::ALL {
            let at = attempt(a, b, yours("alice", Some("bob")), yours("bob", None), reference::Relay::new(), 4);
            match outcome_of(&at.net, at.dialer).direct {
                Some(true) => direct += 1,
                Some(false) => relayed += 1,
                None => {}
            }
            forwarded_all += at.net.node::<reference::Relay>(at.relay).map(|r| r.forwarded).unwrap_or(0);
            kit::figure("pairs connected directly", direct);
            kit::figure("pairs connected through the relay", relayed);
            kit::figure("datagrams the relay forwarded", forwarded_all);
            assert_connected(a, b, &at, "your peers");
            let forwarded = at.net.node::<reference::Relay>(at.relay).unwrap().forwarded;
            if theory(a, b) {
                assert_eq!(forwarded, 0, "{a:?} dials {b:?}: punching works here, so the relay must not be used");
            } else {
                assert!(forwarded >= 2, "{a:?} dials {b:?}: the greetings go through the relay");
            }
        }
    }
}

/// Your peer with the reference's, each dialling, and your relay between reference peers
#[test]
fn step_5_interop() {
    for a in NatKind::ALL {
        for b in NatKind::ALL {
            let at = attempt(a, b, yours("alice", Some("bob")), theirs("bob", None), reference::Relay::new(), 5);
            assert_connected(a, b, &at, "your alice and the reference's bob");
            let at = attempt(a, b, theirs("alice", Some("bob")), yours("bob", None), reference::Relay::new(), 6);
            assert_connected(a, b, &at, "the reference's alice and your bob");
        }
    }
    let (a, b) = (NatKind::Symmetric, NatKind::Symmetric);
    let at = attempt(a, b, theirs("alice", Some("bob")), theirs("bob", None), subject::Relay::new(), 7);
    assert_connected(a, b, &at, "reference peers through your relay");
    let at = attempt(a, b, yours("alice", Some("bob")), yours("bob", None), subject::Relay::new(), 8);
    assert_connected(a, b, &at, "your peers through your relay");
}
