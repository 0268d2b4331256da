//! The conformance suite for the Microsoft Graph Calls API: the harness.
//!
//! Data flows one way: fixture -> case -> request -> target -> response -> checks -> verdict/snapshot.
//! See ARCHITECTURE.md for which module owns what.

pub mod bot;
pub mod bot_double;
pub mod case;
pub mod check;
pub mod config;
pub mod conform;
pub mod double;
pub mod faults;
pub mod fixture;
pub mod harness;
pub mod import;
pub mod listener;
pub mod record;
pub mod report;
pub mod schema;
pub mod secret;
pub mod snapshot;
pub mod target;
