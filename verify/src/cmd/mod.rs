//! One module per subcommand.

pub mod chat;
pub mod check;
pub mod doctor;
pub mod hint;
pub mod list;
pub mod mistakes;
pub mod overview;
pub mod reset;
pub mod restore;
pub mod setup;
pub mod solution;
pub mod trace;
pub mod watch;
