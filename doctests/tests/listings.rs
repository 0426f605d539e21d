//! The book's listings that live in `examples/` (so that they can print their figures)
//! run here with `cargo test`, so their assertions are checked on every change.

#[path = "../examples/failure_detection.rs"]
mod failure_detection;

#[test]
fn failure_detection_listing_holds() {
    failure_detection::main();
}
