//! Gossipsub rooms side by side on 127.0.0.1: all rust-libp2p, all the handbook's
//! reference router, and half of each, wired the same way (issue 23, item 5).
//!
//!     cargo run --release --manifest-path interop/Cargo.toml --example gossipsub_room [SEED] [LINES]
//!
//! Rooms of 10 and 30 peers; each peer dials 4 others (a random graph from SEED), every
//! link through a relay that counts its bytes. Both routers get D = 6, D_lo = 5,
//! D_hi = 12, D_lazy = 6, a 1 s heartbeat and the same message id (`from` ‖ `seqno`);
//! see `interop/src/gossipsub_room.rs` for what else differs. After 5 s for the meshes,
//! an idle window of W, then LINES lines (default 50) from random peers, 100 ms apart,
//! in a window of the same W. Per line: the latency to each receiver (p50, p99, max),
//! the bytes on all links (publishing window minus idle window, over the lines), and
//! the deliveries, which must be all of them. The last column counts the RPC frames the
//! reference peers sent per line (rust-libp2p's frames are inside Noise, out of sight).
//!
//! Each room runs on a tokio runtime of its own (two worker threads, as the machine
//! has two cores), dropped before the next, so no room's tasks run during another's.

use std::time::Duration;

use interop::gossipsub_room::{self, Mix, Plan};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(23);
    let lines: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(50);
    let interval = Duration::from_millis(100);
    let window = interval * lines as u32 + Duration::from_secs(2);
    println!("cargo run --release --manifest-path interop/Cargo.toml --example gossipsub_room {seed} {lines}");
    println!(
        "seed {seed}; each peer dials k = 4 others; {lines} lines 100 ms apart; windows of {:.1} s",
        window.as_secs_f64()
    );
    println!();
    println!(
        "| room        |  N | links | mesh (mean) | deliveries  | p50 ms | p99 ms | max ms | bytes/line | idle bytes/s | ref frames/line |"
    );
    println!(
        "|-------------|---:|------:|------------:|-------------|-------:|-------:|-------:|-----------:|-------------:|----------------:|"
    );
    let mut failures = Vec::new();
    for n in [10, 30] {
        for mix in [Mix::AllLibp2p, Mix::AllReference, Mix::Mixed] {
            let plan = Plan {
                mix,
                n,
                k: 4,
                lines,
                seed,
                interval,
                warm_up: Duration::from_secs(5),
                window,
                grace: Duration::from_secs(10),
            };
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let report = rt.block_on(gossipsub_room::run(&plan))?;
            rt.shutdown_background();
            println!(
                "| {:<11} | {n:>2} | {:>5} | {:>11.1} | {:>5}/{:<5} | {:>6.1} | {:>6.1} | {:>6.1} | {:>10.0} | {:>12.0} | {:>15} |",
                mix.name(),
                report.links,
                report.mesh_mean(),
                report.expected - report.missing.len(),
                report.expected,
                report.latency_ms(0.5),
                report.latency_ms(0.99),
                report.latency_ms(1.0),
                report.bytes_per_line(lines),
                report.idle_bytes as f64 / window.as_secs_f64(),
                match mix {
                    Mix::AllLibp2p => "-".to_string(),
                    _ => format!("{:.1}", report.reference_frames_per_line(lines)),
                },
            );
            if let Err(e) = gossipsub_room::check_meshes(&plan, &report) {
                failures.push(e.to_string());
            }
            if !report.missing.is_empty() {
                failures.push(gossipsub_room::describe_missing(&plan, &report));
            }
        }
    }
    anyhow::ensure!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}
