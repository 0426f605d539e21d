//! What one neighbour can make a chat node store and do to its clock, on the sans-IO
//! node, with nothing of the room in between (no sync budget, no gossip guard): the
//! figures are what the node alone allows; the room's per-neighbour sync budget then
//! divides the rate.

use std::time::Duration;

use append_log_solution::Writer;
use chat_solution::node::{MAX_CLOCK_LEAD, MAX_NEW_AUTHORS};
use chat_solution::{ChatNode, Line, Msg, Timer};
use kit::{Context, Node, NodeId};

type Ctx = Context<Msg, Timer>;

fn node() -> (ChatNode, Ctx) {
    let mut node = ChatNode::new([7; 32], "victim", Duration::from_millis(500));
    let mut ctx = Ctx::new(NodeId::node(0), vec![NodeId::node(1)], 1);
    node.on_start(&mut ctx);
    ctx.drain();
    (node, ctx)
}

fn entry(writer: &mut Writer, clock: u64) -> Vec<u8> {
    let line = Line { nick: "m".into(), text: "x".into(), clock };
    writer.append(&line.to_payload()).expect("a small line").to_bytes()
}

/// The highest clock in the node's history.
fn clock(node: &mut ChatNode, ctx: &mut Ctx) -> u64 {
    node.on_message(ctx, NodeId::client(0), Msg::History);
    ctx.drain()
        .messages
        .into_iter()
        .find_map(|(_, m)| match m {
            Msg::HistoryOk { lines, .. } => Some(lines.iter().map(|l| l.clock).max().unwrap_or(0)),
            _ => None,
        })
        .expect("History is answered")
}

/// One author whose every line is just under the lead limit ahead of the node's clock:
/// each line is taken, and each moves the node's clock by at most MAX_CLOCK_LEAD. The
/// limit bounds a step, not the sum: 640 lines (ten sync batches) move it by 639,360.
#[test]
fn a_clock_pushed_just_under_the_lead_limit_moves_by_one_lead_per_line() {
    let (mut node, mut ctx) = node();
    let mut writer = Writer::new([9; 32]);
    let neighbour = NodeId::node(1);
    let mut ours = 0;
    let lines = 640;
    for batch in 0..lines / 64 {
        let entries: Vec<Vec<u8>> =
            (0..64).map(|i| entry(&mut writer, (batch * 64 + i + 1) * (MAX_CLOCK_LEAD - 1))).collect();
        node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries });
        ctx.drain();
        let now = clock(&mut node, &mut ctx);
        assert!(
            now <= ours + 64 * MAX_CLOCK_LEAD,
            "one batch of 64 lines moved the clock from {ours} to {now}: more than one lead per line"
        );
        ours = ours.max(now);
    }
    kit::figure(&format!("clock after {lines} lines each {} ahead", MAX_CLOCK_LEAD - 1), ours);
    assert_eq!(ours, lines * (MAX_CLOCK_LEAD - 1), "every line within the lead is taken, one lead at a time");
    kit::figure("lines to push the clock to u64::MAX at that step", u64::MAX / (MAX_CLOCK_LEAD - 1));
    // One line past the limit is not taken.
    let far = entry(&mut writer, ours + MAX_CLOCK_LEAD + 1);
    node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries: vec![far] });
    ctx.drain();
    assert_eq!(clock(&mut node, &mut ctx), ours, "a line more than MAX_CLOCK_LEAD ahead is not taken yet");
}

/// Fresh authors over sync: how many entries one neighbour's `Entries` make the node
/// hold, and their bytes: at most `MAX_NEW_AUTHORS` authors from one neighbour at once.
#[test]
fn what_one_neighbour_can_make_the_node_store() {
    let (mut node, mut ctx) = node();
    let neighbour = NodeId::node(1);
    let mut sent_bytes = 0;
    for author in 0..1000u32 {
        let mut secret = [0u8; 32];
        secret[..4].copy_from_slice(&author.to_le_bytes());
        secret[31] = 1;
        let mut writer = Writer::new(secret);
        let entries: Vec<Vec<u8>> = (0..5).map(|i| entry(&mut writer, i + 1)).collect();
        sent_bytes += entries.iter().map(Vec::len).sum::<usize>();
        node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries });
        ctx.drain();
    }
    let authors = node.logs().len();
    let entries: usize = node.logs().values().map(Vec::len).sum();
    kit::figure("1,000 fresh authors × 5 entries from one neighbour: authors held", authors);
    kit::figure("entries held", entries);
    kit::figure("bytes sent", sent_bytes);
    assert!(
        authors <= MAX_NEW_AUTHORS,
        "{authors} new authors from one neighbour at once; at most MAX_NEW_AUTHORS ({MAX_NEW_AUTHORS})"
    );
}

/// A few authors with huge logs fill MAX_HELD_BYTES: their next entries are refused, and
/// the sender is not banned, while an author with a short log (held or new) is still
/// taken up to its AUTHOR_SHARE, and the node never holds more than twice the bound.
#[test]
fn huge_logs_fill_the_bytes_but_do_not_silence_the_others() {
    use chat_solution::node::{AUTHOR_SHARE, MAX_HELD_BYTES};
    let (mut node, mut ctx) = node();
    let neighbour = NodeId::node(1);
    let mut honest = Writer::new([3; 32]);
    node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries: vec![entry(&mut honest, 1)] });
    let big = |writer: &mut Writer, clock: u64| {
        let line = Line { nick: "huge".into(), text: "x".repeat(60_000), clock };
        writer.append(&line.to_payload()).expect("under the log's 64 KiB").to_bytes()
    };
    let mut writers: Vec<Writer> = (0..12u8).map(|i| Writer::new([100 + i; 32])).collect();
    let mut sent = 0;
    for round in 0..60 {
        let entries: Vec<Vec<u8>> = writers.iter_mut().map(|w| big(w, round + 1)).collect();
        sent += entries.iter().map(Vec::len).sum::<usize>();
        node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries });
        ctx.drain();
    }
    let held: usize = node.logs().values().flatten().map(|e| e.to_bytes().len()).sum();
    kit::figure("bytes sent in huge lines by 12 authors", sent);
    kit::figure("bytes held", held);
    assert!(sent > MAX_HELD_BYTES && held <= MAX_HELD_BYTES + AUTHOR_SHARE * 13, "held {held} of {sent} bytes");
    assert!(node.bans(ctx.now()).is_empty(), "nobody is banned for entries over the bound");
    // The honest author's next line, and a new author's first, are still taken.
    let mut newcomer = Writer::new([4; 32]);
    let lines = vec![entry(&mut honest, 2), entry(&mut newcomer, 3)];
    node.on_message(&mut ctx, neighbour.clone(), Msg::Entries { entries: lines });
    assert_eq!(node.logs().get(&honest.author()).map(Vec::len), Some(2), "a short log still grows");
    assert_eq!(node.logs().get(&newcomer.author()).map(Vec::len), Some(1), "a new author still comes in");
}
