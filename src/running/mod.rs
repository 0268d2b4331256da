//! Running and output: the suite's configuration, the wiring of what a run is aimed at, running
//! cases (documented, negative, bot replays), and what a run leaves behind: the conform report
//! (matrix, JUnit, HTML), snapshots and recorded snapshot sets.
//!
//! May use every product stage (contract, wire, judging, the bot's side). Only `embedded`, the
//! wiring of the embedded target, uses the doubles.

pub mod config;
pub mod conform;
pub mod embedded;
pub mod explore;
pub mod harness;
pub mod record;
pub mod snapshot;
