//! Every page of the book is compiled as a doc test, so no Rust snippet escapes.

#[test]
fn every_page_of_the_summary_is_doc_tested() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let summary = std::fs::read_to_string(format!("{root}/book/SUMMARY.md")).expect("book/SUMMARY.md");
    let lib = std::fs::read_to_string(format!("{root}/doctests/src/lib.rs")).expect("doctests/src/lib.rs");
    let missing: Vec<&str> = summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|page| page.ends_with(".md"))
        .filter(|page| !lib.contains(&format!("\"../../book/{page}\"")))
        .collect();
    assert!(missing.is_empty(), "add these pages to doctests/src/lib.rs with chapter!(…): {missing:?}");
}
