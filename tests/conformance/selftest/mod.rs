//! Our own tests of the suite (as opposed to the conformance cases in `cases`).

mod bot;
mod config;
mod faults;
mod fixtures;
mod import;
mod report;
mod robustness;
mod schemas;
mod targets;
