//! One module per subcommand.

pub mod check;
pub mod hint;
pub mod list;
pub mod overview;
pub mod reset;
pub mod restore;
pub mod setup;
pub mod solution;
pub mod watch;
