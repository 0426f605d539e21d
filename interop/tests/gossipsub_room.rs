//! A small mixed gossipsub room (issue 23, item 5), with the code of
//! `examples/gossipsub_room.rs`: six peers, three rust-libp2p and three of the
//! handbook's reference router, each dialling two others at random (seeded, the seed
//! printed), on 127.0.0.1. Every line published by any peer must reach every other.
//!
//!     cargo test --manifest-path interop/Cargo.toml --test gossipsub_room -- --nocapture

use std::time::Duration;

use interop::gossipsub_room::{self, Mix, Plan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_room_delivers_every_line_to_every_peer() {
    let seed = 7;
    let plan = Plan {
        mix: Mix::Mixed,
        n: 6,
        k: 2,
        lines: 10,
        seed,
        interval: Duration::from_millis(50),
        warm_up: Duration::from_secs(4),
        window: Duration::from_millis(1500),
        grace: Duration::from_secs(10),
    };
    println!(
        "seed {seed}: {} links {:?}",
        gossipsub_room::links(plan.n, plan.k, seed).len(),
        gossipsub_room::links(plan.n, plan.k, seed)
    );
    let report = tokio::time::timeout(Duration::from_secs(30), gossipsub_room::run(&plan))
        .await
        .expect("the room finished within 30 s")
        .expect("the room ran");
    println!(
        "meshes {:?}; {}/{} deliveries; latency p50 {:.1} ms, max {:.1} ms; {:.0} bytes a line on all links",
        report.mesh,
        report.expected - report.missing.len(),
        report.expected,
        report.latency_ms(0.5),
        report.latency_ms(1.0),
        report.bytes_per_line(plan.lines)
    );
    gossipsub_room::check_meshes(&plan, &report).expect("every peer grafted a mesh peer");
    assert!(report.missing.is_empty(), "{}", gossipsub_room::describe_missing(&plan, &report));
    assert_eq!(report.latencies.len(), report.expected, "one latency per delivery");
}
