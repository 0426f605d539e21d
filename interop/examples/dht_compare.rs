//! The reference DHT's lookups against mainline's, side by side in one private network
//! on 127.0.0.1: hops, queries and milliseconds per lookup, and how often each finds
//! the true 8 closest nodes.
//!
//!     cargo run --release --manifest-path interop/Cargo.toml --example dht_compare [REFERENCE_NODES] [MAINLINE_NODES] [LOOKUPS]
//!
//! The network (50 + 50 nodes by default) joins in turn through one reference node;
//! every mainline node runs in server mode with that node as its only bootstrap, so
//! nothing leaves the machine. The reference reports its hops and queries itself
//! (`Msg::Closest`). mainline reports neither, so they are read from its own trace
//! events (`mainline::rpc::socket`, the `socket_message_*` events: one per request
//! sent and per response received), on the querier's thread: queries are the distinct
//! transaction ids it sent, and a node's hop is one more than that of the first
//! responder that named it before it was queried (1 for nodes from its own table), as
//! the reference counts them. Both report the largest hop among the 8 closest.

#[path = "../tests/dht/tap.rs"]
mod tap;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::SocketAddrV4;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use dht_solution::Id;
use kit::NodeRng;
use kit::rand::{RngExt, SeedableRng};
use tap::{closest, mainline, reference, to_mainline, whoami};

// ---------------------------------------------------------------------------------
// Reading mainline's trace events.

/// One `socket_message_*` event on a mainline thread.
#[derive(Clone, Debug)]
struct Traced {
    at: Instant,
    thread: ThreadId,
    tid: u32,
    /// A response (`from` set, and the addresses it named), or a request sent.
    from: Option<SocketAddrV4>,
    named: Vec<SocketAddrV4>,
}

static TRACED: Mutex<Vec<Traced>> = Mutex::new(Vec::new());

/// A tracing subscriber that keeps only mainline's socket events, parsed.
struct Recorder;

#[derive(Default)]
struct Fields {
    context: String,
    message: String,
    from: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "context" {
            self.context = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "context" => self.context = format!("{value:?}").trim_matches('"').to_string(),
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "from" => self.from = format!("{value:?}"),
            _ => {}
        }
    }
}

/// The number after `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<u32> {
    let rest = &text[text.find(key)? + key.len()..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Every `address: IP:PORT` in `text` (the nodes a response names).
fn addresses(text: &str) -> Vec<SocketAddrV4> {
    text.match_indices("address: ")
        .filter_map(|(at, key)| text[at + key.len()..].split([',', ' ', '}']).next()?.parse().ok())
        .collect()
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("mainline::rpc::socket")
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let sending = fields.context == "socket_message_sending" && fields.message.contains("message_type: Request(");
        let receiving = fields.context == "socket_message_receiving" && fields.message.contains("message_type: Response(");
        if !(sending || receiving) {
            return;
        }
        let Some(tid) = number_after(&fields.message, "transaction_id: ") else { return };
        let from = if receiving { fields.from.parse().ok() } else { None };
        let traced = Traced {
            at: Instant::now(),
            thread: std::thread::current().id(),
            tid,
            from,
            named: if receiving { addresses(&fields.message) } else { Vec::new() },
        };
        TRACED.lock().expect("trace lock").push(traced);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// The hops and queries of the lookup that ran between `start` and `end` on the thread
/// that sent the most requests meanwhile, for the nodes `result` (closest first).
fn mainline_lookup(start: Instant, end: Instant, result: &[SocketAddrV4]) -> (u32, u32) {
    let events: Vec<Traced> = TRACED.lock().expect("trace lock").iter().filter(|e| e.at >= start && e.at <= end).cloned().collect();
    let mut sent_by: HashMap<ThreadId, HashSet<u32>> = HashMap::new();
    for e in events.iter().filter(|e| e.from.is_none()) {
        sent_by.entry(e.thread).or_default().insert(e.tid);
    }
    let Some((&querier, tids)) = sent_by.iter().max_by_key(|(_, tids)| tids.len()) else { return (0, 0) };
    let queries = tids.len() as u32;
    let mine: Vec<&Traced> = events.iter().filter(|e| e.thread == querier).collect();
    // When each request left, and where it went (known from its answer).
    let mut sent_at: HashMap<u32, Instant> = HashMap::new();
    for e in mine.iter().filter(|e| e.from.is_none()) {
        sent_at.entry(e.tid).or_insert(e.at);
    }
    let responses: Vec<&&Traced> = mine.iter().filter(|e| e.from.is_some()).collect();
    let mut order: Vec<(Instant, SocketAddrV4)> =
        responses.iter().filter_map(|r| Some((*sent_at.get(&r.tid)?, r.from?))).collect();
    order.sort();
    let mut depth: HashMap<SocketAddrV4, u32> = HashMap::new();
    for (asked_at, node) in order {
        let via = responses
            .iter()
            .filter(|r| r.at < asked_at && r.named.contains(&node))
            .filter_map(|r| depth.get(&r.from?).copied())
            .min();
        depth.entry(node).or_insert(via.map_or(1, |d| d + 1));
    }
    let hops = result.iter().take(8).filter_map(|a| depth.get(a)).copied().max().unwrap_or(0);
    (hops, queries)
}

// ---------------------------------------------------------------------------------

#[derive(Default)]
struct Figures {
    exact: usize,
    hops: Vec<u32>,
    queries: Vec<u32>,
    millis: Vec<f64>,
}

fn percentile<T: Copy + PartialOrd>(values: &[T], p: f64) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

impl Figures {
    fn row(&self, name: &str, lookups: usize) {
        println!(
            "  {name:<10} {:>3} of {lookups:<3}   {:>2} / {:<2}          {:>3} / {:<3}           {:>7.1} / {:<7.1}",
            self.exact,
            percentile(&self.hops, 0.5),
            percentile(&self.hops, 0.9),
            percentile(&self.queries, 0.5),
            percentile(&self.queries, 0.9),
            percentile(&self.millis, 0.5),
            percentile(&self.millis, 0.9),
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing::subscriber::set_global_default(Recorder).expect("the only subscriber");
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n_ref, n_ml, lookups) = (args.first().copied().unwrap_or(50), args.get(1).copied().unwrap_or(50), args.get(2).copied().unwrap_or(40));
    let started = Instant::now();
    let mut refs = vec![reference(1, &[], &[]).await];
    let first = refs[0].addr;
    let mut ml = Vec::new();
    for i in 1..n_ref.max(n_ml + 1) {
        if i <= n_ml {
            let node = mainline(&[first]);
            let (id, addr) = whoami(&node).await;
            ml.push((node, id, addr));
        }
        if i < n_ref {
            refs.push(reference(1 + i as u64, &[first], &[]).await);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for r in &refs {
        r.until(Duration::from_secs(20), |seen| seen.table.len() >= 8.min(n_ref + n_ml - 1)).await;
    }
    // Everyone looks itself up once more, now that all have joined (mainline keeps
    // only nodes that answered its own lookups).
    for (node, id, _) in &ml {
        node.find_node(to_mainline(*id)).await;
    }
    for r in &mut refs {
        let id = r.id;
        r.find(id).await;
    }
    println!(
        "private network on 127.0.0.1: {n_ref} reference nodes (kit::udp) and {n_ml} mainline 8 nodes (server mode), \
         joined through one reference node in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut all: Vec<Id> = ml.iter().map(|(_, id, _)| *id).collect();
    all.extend(refs.iter().map(|r| r.id));
    let addr_of: HashMap<Id, SocketAddrV4> =
        ml.iter().map(|(_, id, a)| (*id, *a)).chain(refs.iter().map(|r| (r.id, r.addr))).collect();

    let mut rng = NodeRng::seed_from_u64(7);
    let (mut ours, mut theirs) = (Figures::default(), Figures::default());
    let mut to_reference = 0;
    for _ in 0..lookups {
        let target = Id::random(&mut rng);
        let want = closest(&all, &target, 8);
        let r = rng.random_range(0..refs.len());
        let found = refs[r].find(target).await;
        ours.exact += usize::from(found.nodes == want);
        ours.hops.push(found.rounds);
        ours.queries.push(found.queries);
        ours.millis.push(found.elapsed.as_secs_f64() * 1e3);

        if ml.is_empty() {
            continue;
        }
        let m = rng.random_range(0..ml.len());
        let start = Instant::now();
        let result = ml[m].0.find_node(to_mainline(target)).await;
        let end = Instant::now();
        let mut got: Vec<Id> = result.iter().map(|n| Id(*n.id().as_bytes())).collect();
        got.push(ml[m].1);
        got.sort();
        got.dedup();
        let got = closest(&got, &target, 8);
        theirs.exact += usize::from(got == want);
        let addrs: Vec<SocketAddrV4> = got.iter().filter_map(|id| addr_of.get(id).copied()).collect();
        let (hops, queries) = mainline_lookup(start, end, &addrs);
        theirs.hops.push(hops);
        theirs.queries.push(queries);
        theirs.millis.push((end - start).as_secs_f64() * 1e3);
        // A check on the trace: the queries that reached reference nodes, as their taps saw them.
        to_reference += refs
            .iter()
            .map(|r| {
                let seen = r.seen.lock().expect("tap lock");
                seen.received.iter().filter(|(at, from, msg)| *at >= start && *at <= end && *from == ml[m].2 && matches!(msg.body, dht_solution::Body::Query(_))).count()
            })
            .sum::<usize>();
    }
    println!("{lookups} lookups of random targets from random nodes of each kind, against the true 8 closest of all {}:", n_ref + n_ml);
    println!("  {:<10} {:<11}   {:<18}   {:<21}   ms (median/p90)", "", "exact", "hops (median/p90)", "queries (median/p90)");
    ours.row("reference", lookups);
    if !ml.is_empty() {
        theirs.row("mainline", lookups);
        println!(
            "  mainline's queries, from its trace: {} in all, {to_reference} of them to reference nodes as their taps saw them",
            theirs.queries.iter().sum::<u32>()
        );
    }
    println!(
        "(mainline's find_node returns once no query it sent is still in flight, answered or \
         given up after {} ms, polling its socket every 50 ms; the reference returns once its 8 \
         closest have answered)",
        mainline::DEFAULT_REQUEST_TIMEOUT.as_millis()
    );
}
