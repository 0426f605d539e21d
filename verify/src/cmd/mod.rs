//! One module per subcommand.

pub mod chat;
pub mod check;
pub mod doctor;
pub mod hint;
pub mod list;
pub mod mistakes;
pub mod overview;
pub mod pack;
pub mod reset;
pub mod restore;
pub mod room;
pub mod setup;
pub mod share;
pub mod solution;
pub mod trace;
pub mod watch;
