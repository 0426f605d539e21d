//! Merge throughput for large replicas.
//!
//!     cargo run --release -p crdt-solution --example merge_bench
//!
//! Two OR-Set replicas of 100,000 elements each (half of them shared), and two
//! G-Counters of 100,000 replica entries each: how long one merge takes, and how
//! many elements (or entries) per second that is.

use std::time::Instant;

use crdt_solution::{GCounter, OrSet};

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> f64 {
    let started = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    started.elapsed().as_secs_f64() / runs as f64
}

fn main() {
    let n = 100_000u64;
    let mut a: OrSet<u64> = OrSet::new();
    let mut b: OrSet<u64> = OrSet::new();
    for v in 0..n {
        a.add(1, v);
        b.add(2, v + n / 2);
    }
    for v in (0..n).step_by(10) {
        a.remove(&v);
    }
    let set_merge = time(5, || {
        let mut m = a.clone();
        m.merge(&b);
        m
    });
    let clone = time(5, || a.clone());
    let merged = {
        let mut m = a.clone();
        m.merge(&b);
        m
    };
    let elements = time(5, || merged.elements().len());

    let mut g1 = GCounter::new();
    let mut g2 = GCounter::new();
    for r in 0..n {
        g1.increment(r, r);
        g2.increment(r + n / 2, 1);
    }
    let counter_merge = time(20, || {
        let mut m = g1.clone();
        m.merge(&g2);
        m
    });
    let counter_clone = time(20, || g1.clone());

    println!("merge benchmark, replicas of {n} elements");
    println!(
        "  OR-Set merge       {:>7.1} ms ({:.1} M elements/s, after subtracting a {:.1} ms clone)",
        (set_merge - clone) * 1000.0,
        n as f64 / (set_merge - clone) / 1e6,
        clone * 1000.0
    );
    println!("  OR-Set elements()  {:>7.1} ms for {} elements", elements * 1000.0, merged.elements().len());
    println!(
        "  G-Counter merge    {:>7.1} ms ({:.1} M entries/s, after subtracting a {:.1} ms clone)",
        (counter_merge - counter_clone) * 1000.0,
        n as f64 / (counter_merge - counter_clone) / 1e6,
        counter_clone * 1000.0
    );
}
