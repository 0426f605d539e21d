//! The rust-libp2p listing on the book's page "Your stack meets libp2p"
//! (`book/interop.md`) is the code this suite runs: the lines between `ANCHOR: swarm`
//! and `ANCHOR_END: swarm` in `src/libp2p_node.rs`. The book's own doc tests cannot
//! compile it (rust-libp2p is not in the root workspace), so this test keeps the two
//! from drifting apart.

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
    assert_eq!(listing_in_book(), listing_in_source(), "book/interop.md's rust-libp2p listing differs from src/libp2p_node.rs");
}
