//! Book snippets as doc tests.
