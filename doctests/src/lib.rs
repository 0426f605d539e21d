//! Every Rust snippet in the book, compiled and run as a doc test.
//!
//! Each chapter is included as the documentation of an empty item, so `cargo test`
//! (which runs doc tests) compiles each ```` ```rust ```` block of the book against the
//! reference crates. mdBook's hidden-line syntax (`# `) is rustdoc's too, so the book
//! shows only the lines that matter while the test sees a whole program.

/// Adds one book page as a doc-tested item. The item only exists under `cfg(doctest)`,
/// so the crate itself stays empty.
macro_rules! chapter {
    ($name:ident, $path:literal) => {
        #[cfg(doctest)]
        #[doc = include_str!($path)]
        pub struct $name;
    };
}

chapter!(Identity, "../../book/identity.md");
