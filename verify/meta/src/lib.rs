//! The handbook as its tools read it, and nothing that runs a check: where the
//! handbook is ([`workspace`]), each exercise's metadata ([`exercise`]), the steps
//! of its checks ([`steps`]), its hint ladders ([`hints`]), how the runner's state
//! files are written ([`state`]), and how the tools colour what they print
//! ([`style`]).
//!
//! The runner (`verify`) re-exports these modules; the book's preprocessor
//! (`verify/mdbook-exercise`) and the instructor's tools (`verify/instructor`) depend
//! on this crate alone, so neither pulls in what checking or the room needs.

pub mod exercise;
pub mod hints;
pub mod state;
pub mod steps;
pub mod style;
pub mod workspace;

pub use exercise::{Exercise, Meta};
pub use workspace::{Mode, Workspace};
