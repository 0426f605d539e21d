//! The rust-libp2p listings on the book's page "Your stack meets libp2p"
//! (`book/interop.md`) are the code this suite runs: the lines between `ANCHOR: swarm`
//! and `ANCHOR_END: swarm` in `src/libp2p_node.rs`, and those between each
//! `ANCHOR: chat` and the next `ANCHOR_END: chat` in `src/bin/libp2p_chat/main.rs`
//! (rust-libp2p's chat example). The book's own doc tests cannot compile them
//! (rust-libp2p is not in the root workspace), so these tests keep each pair from
//! drifting apart.

fn listing_in_source() -> Vec<String> {
    let source = include_str!("../src/libp2p_node.rs");
    let start = source.find("// ANCHOR: swarm\n").expect("the ANCHOR: swarm line") + "// ANCHOR: swarm\n".len();
    let end = source.find("// ANCHOR_END: swarm").expect("the ANCHOR_END: swarm line");
    source[start..end].lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

fn listing_in_book() -> Vec<String> {
    let page = include_str!("../../book/interop.md");
    let start = page.find("```rust,ignore\n").expect("a ```rust,ignore block on the page") + "```rust,ignore\n".len();
    let end = start + page[start..].find("```").expect("the block's end");
    page[start..end].lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn the_book_shows_the_rust_libp2p_node_the_suite_runs() {
    assert_eq!(
        listing_in_book(),
        listing_in_source(),
        "book/interop.md's rust-libp2p listing differs from src/libp2p_node.rs"
    );
}

/// The lines of every `ANCHOR: chat` … `ANCHOR_END: chat` part of the chat example, in
/// order, trimmed, blank ones left out.
fn chat_in_source() -> Vec<String> {
    let source = include_str!("../src/bin/libp2p_chat/main.rs");
    let mut lines = Vec::new();
    let mut inside = false;
    for line in source.lines().map(str::trim) {
        match line {
            "// ANCHOR: chat" => inside = true,
            "// ANCHOR_END: chat" => inside = false,
            _ if inside && !line.is_empty() => lines.push(line.to_string()),
            _ => {}
        }
    }
    lines
}

/// The first ```rust,ignore block after the page's heading `heading`.
fn block_after(heading: &str) -> Vec<String> {
    let page = include_str!("../../book/interop.md");
    let at = page.find(heading).unwrap_or_else(|| panic!("the heading {heading:?} on book/interop.md"));
    let start =
        at + page[at..].find("```rust,ignore\n").expect("a ```rust,ignore block after it") + "```rust,ignore\n".len();
    let end = start + page[start..].find("```").expect("the block's end");
    page[start..end].lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn the_book_shows_the_chat_example_the_suite_runs() {
    let source = chat_in_source();
    assert!(source.len() > 50, "the chat example's anchored lines: {} (ANCHOR: chat lines missing?)", source.len());
    let book = block_after("## rust-libp2p's chat example in the room");
    if let Some(i) = (0..source.len().max(book.len())).find(|&i| source.get(i) != book.get(i)) {
        panic!(
            "book/interop.md's chat example differs from src/bin/libp2p_chat/main.rs (between its ANCHOR: chat lines) \
             at listing line {} (blank lines not counted):\n  book:   {:?}\n  source: {:?}",
            i + 1,
            book.get(i),
            source.get(i)
        );
    }
}
